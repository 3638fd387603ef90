"""The IANA time zones a user may pick (pure)."""
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_LEGACY_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/", "Brazil/")


@cache
def choices() -> tuple[str, ...]:
    """Region/City zones, sorted, plus UTC: the list people recognise."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(_LEGACY_PREFIXES)
    }
    return ("UTC", *sorted(names))


def is_valid(name: str) -> bool:
    if name not in choices():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
