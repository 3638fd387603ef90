"""A therapist's roster: which clients need a look, and in what order.

Pure: imports neither Flask nor peewee and never reads the clock; the caller passes each
client's facts and their own local `today`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

__all__ = [
    "AREA", "FLARE_UP", "INACTIVE", "INACTIVE_DAYS", "RED_FLAG", "STEP_DOWN", "WAITING",
    "Facts", "Flag", "Row", "days_ago", "flags", "sort_rows",
]

INACTIVE_DAYS = 5


class Flag(NamedTuple):
    key: str
    label: str  # shown as text: a flag never relies on colour alone


RED_FLAG = Flag("red-flag", "Warning sign")
AREA = Flag("area", "Treated-area problem")
FLARE_UP = Flag("flare-up", "Flare-up")
WAITING = Flag("waiting", "Due to step down: waiting for review")
STEP_DOWN = Flag("step-down", "Ready to step down")
INACTIVE = Flag("inactive", f"No activity for {INACTIVE_DAYS} days")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the roster knows about one client, on the client's own `today`."""

    today: date
    plan_start: date | None = None  # None: no current plan
    suggestion: str | None = None  # the plan's pending "step_down", "step_back" or "review"
    warning_open: bool = False  # an open report of a warning sign, whatever the plan's state
    area_open: bool = False  # an open report of a problem in the treated area
    waiting_since: date | None = None  # a step down fell due and waits for review
    last_checkin: date | None = None
    last_checkoff: date | None = None  # the latest day anything was checked off or skipped


def flags(facts: Facts) -> tuple[Flag, ...]:
    """The client's flags, most urgent first. A report stays flagged until a person
    resolves it; "ready to step down" is never shown beside an open problem."""
    found = []
    if facts.warning_open:
        found.append(RED_FLAG)
    if facts.area_open:
        found.append(AREA)
    if facts.suggestion in ("step_back", "review"):
        found.append(FLARE_UP)
    if facts.waiting_since is not None:
        found.append(WAITING)
    elif facts.suggestion == "step_down" and not (facts.warning_open or facts.area_open):
        found.append(STEP_DOWN)
    if _inactive(facts):
        found.append(INACTIVE)
    return tuple(found)


def _inactive(facts: Facts) -> bool:
    """Nothing checked in or off in the last 5 days (today included) of a plan that has
    been running at least that long."""
    window_start = facts.today - timedelta(days=INACTIVE_DAYS - 1)
    if facts.plan_start is None or facts.plan_start > facts.today - timedelta(days=INACTIVE_DAYS):
        return False
    activity = [d for d in (facts.last_checkin, facts.last_checkoff) if d is not None]
    return not activity or max(activity) < window_start


def days_ago(day: date | None, today: date) -> str:
    """ "today", "yesterday", "3 days ago" or "never"."""
    if day is None:
        return "never"
    days = (today - day).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


@dataclass(frozen=True, slots=True)
class Row:
    """One client on the roster, ready to show."""

    client_id: int
    name: str
    flags: tuple[Flag, ...] = ()
    adherence: int | None = None  # percent over the last 14 days; None: nothing was due
    last_checkin: date | None = None
    last_checkin_ago: str = "never"
    leg_pain: int | None = None  # at the last check-in
    phase: str | None = None  # None: no current plan
    archived: bool = False  # put away by the therapist, back in view while flagged
    skips: str = ""  # the last 14 days' skips by reason: "6 skipped (no time)"
    today: str = ""  # the client's today so far: "2 of 7 so far"; "" without a plan

    @property
    def adherence_text(self) -> str:
        """ "80%", "All skipped", "Too soon to say" (only today is due, in progress) or
        "Nothing due"."""
        if self.adherence is not None:
            return f"{self.adherence}%"
        if self.skips:
            return "All skipped"
        if self.today and self.today != "nothing due":
            return "Too soon to say"
        return "Nothing due"

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def urgent(self) -> bool:
        return RED_FLAG in self.flags


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """Flagged clients first, then everyone by name (case-insensitively)."""
    return sorted(rows, key=lambda r: (not r.flagged, r.name.casefold(), r.name, r.client_id))
