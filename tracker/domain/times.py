"""Times of day (pure): the one parser and the one formatter.

A time of day is a ``datetime.time`` everywhere in the code; on the wire and in JSON plan specs
it is written "HH:MM" (24-hour clock, minutes only). Every place that reads one calls
``parse_time_of_day``; every place that writes one calls ``format_time_of_day``.
"""
import re
from datetime import time

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_time_of_day(value: str | time | None) -> time | None:
    """"HH:MM" (or a ``time``, or None/"" for "no time") → ``time`` with seconds dropped.

    Raises ValueError naming the expected shape for anything else ("8am", "24:00", "7:5")."""
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        found = _HHMM.fullmatch(value) or (len(value) == 8 and value.endswith(":00")
                                          and _HHMM.fullmatch(value[:5]))
        if found:
            return time(int(found.group(1)), int(found.group(2)))
    raise ValueError(f'a time of day must be "HH:MM" (got {value!r})')


def format_time_of_day(value: time | None) -> str | None:
    """``time`` → "HH:MM"; None stays None."""
    return None if value is None else f"{value:%H:%M}"
