"""Jinja filters for showing dates and times the way people read them."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from tracker.domain import clinical, safety
from tracker.domain.times import format_time_of_day


def short_date(day: date | None) -> str:
    """ "Mon 14 Dec" """
    return "" if day is None else f"{day:%a} {day.day} {day:%b}"


def long_date(day: date | None) -> str:
    """ "Monday 14 December 2026" """
    return "" if day is None else f"{day:%A} {day.day} {day:%B %Y}"


def local_datetime(moment: datetime | None) -> str:
    """A stored UTC moment in the reader's own time zone: "Mon 14 Dec, 09:05 (Europe/London)"."""
    if moment is None:
        return ""
    zone = getattr(current_user, "timezone", None) or "UTC"
    local = moment.astimezone(ZoneInfo(zone))
    return f"{short_date(local.date())}, {local:%H:%M} ({zone})"


def time_of_day(value: time | None) -> str:
    """ "07:30" (the one formatter, domain/times.py); nothing for no time."""
    return format_time_of_day(value) or ""


def red_flag_label(key: str) -> str:
    """A warning sign's short plain label (its key when unknown to this version)."""
    return safety.RED_FLAG_LABELS.get(key, key.replace("_", " "))


def problem_label(key: str) -> str:
    """A treated-area problem's label."""
    return safety.CONTRAINDICATION_LABELS.get(key, key.replace("_", " "))


def area_label(key: str) -> str:
    """A body area's label."""
    return clinical.AREA_LABELS.get(key, key.replace("_", " "))


def init_app(app: Flask) -> None:
    for f in (short_date, long_date, local_datetime, time_of_day, red_flag_label, problem_label,
              area_label):
        app.add_template_filter(f)
