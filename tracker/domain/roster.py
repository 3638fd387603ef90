"""A therapist's roster: which clients need a look, and in what order.

Pure: imports neither Flask nor peewee and never reads the clock; the caller passes each
client's facts and their own local `today`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from markupsafe import Markup

from .function_chart import FunctionTrend

__all__ = [
    "AREA", "DEFAULT_SORT", "FLARE_UP", "INACTIVE", "INACTIVE_DAYS", "RED_FLAG", "SORTS",
    "STEP_DOWN", "WAITING", "Column", "Facts", "Flag", "Row", "Sort", "days_ago", "flags",
    "matches", "parse_sort", "sort_rows",
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
    trend: Markup = Markup("")  # leg pain over the last 14 days, a small SVG with its words
    next_session: date | None = None  # the next professional session due, if any soon
    function: FunctionTrend | None = None  # the latest function score and its change

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


# Flags from most to least urgent: the "Flags" column sorts by the most urgent one.
_FLAG_ORDER = (RED_FLAG, AREA, FLARE_UP, WAITING, STEP_DOWN, INACTIVE)


def _flag_rank(row: Row) -> tuple[int, ...]:
    """Most urgent first; of two with the same worst flag, the one with more flags."""
    ranks = sorted(_FLAG_ORDER.index(f) if f in _FLAG_ORDER else len(_FLAG_ORDER)
                   for f in row.flags)
    return (*ranks, len(_FLAG_ORDER) + 1)


class Column(NamedTuple):
    label: str
    value: Callable[[Row], object]  # None: no figure (always listed last)
    descending: bool  # the first click's order: the one that shows who needs a look first


# The roster's columns that sort, by their name in the URL (?sort=adherence&dir=asc).
SORTS: dict[str, Column] = {
    "name": Column("Name", lambda r: r.name.casefold(), False),
    "flags": Column("Flags", _flag_rank, False),
    "adherence": Column("Adherence (14 days)", lambda r: r.adherence, False),
    "checkin": Column("Last check-in", lambda r: r.last_checkin, False),
    "pain": Column("Leg pain", lambda r: r.leg_pain, True),
    # The change since the first answer, as a share of the instrument's range; the
    # first click shows the most worsened first.
    "function": Column("Function", lambda r: r.function.sort_key if r.function else None,
                       False),
    "phase": Column("Phase", lambda r: r.phase.casefold() if r.phase else None, False),
    "next": Column("Next session", lambda r: r.next_session, False),
}


class Sort(NamedTuple):
    """How the roster is sorted: a column of SORTS, or None for the default (flagged
    clients first, then by name)."""

    column: str | None = None
    descending: bool = False

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"

    def aria(self, column: str) -> str | None:
        """The header's aria-sort: "ascending" or "descending" on the sorted column."""
        if column != self.column:
            return None
        return "descending" if self.descending else "ascending"

    def toggled(self, column: str) -> Sort:
        """The sort a click on ``column``'s header asks for: the other way round when it
        is already sorted by it, else that column's first order."""
        if column == self.column:
            return Sort(column, not self.descending)
        return Sort(column, SORTS[column].descending)


def parse_sort(column: str | None, direction: str | None) -> Sort:
    """The sort asked for in a URL; an unknown column is the default order, an unknown
    direction that column's first order."""
    if column not in SORTS:
        return Sort()
    if direction in ("asc", "desc"):
        return Sort(column, direction == "desc")
    return Sort(column, SORTS[column].descending)


def matches(query: str, *texts: str) -> bool:
    """True when any of ``texts`` contains ``query``, ignoring case ("" matches all)."""
    needle = query.strip().casefold()
    return not needle or any(needle in t.casefold() for t in texts)


def _by_name(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.name.casefold(), r.name, r.client_id))


DEFAULT_SORT = Sort()


def sort_rows(rows: Iterable[Row], sort: Sort = DEFAULT_SORT) -> list[Row]:
    """By default flagged clients first, then everyone by name (case-insensitively).
    By a column: its figure either way, clients without one (no check-in, no plan) last,
    and equal figures by name."""
    if sort.column is None:
        return sorted(_by_name(rows), key=lambda r: not r.flagged)
    value = SORTS[sort.column].value
    named = _by_name(rows)
    known = [r for r in named if value(r) is not None]
    # sorted() is stable also with reverse=True: equal figures keep the name order.
    return (sorted(known, key=value, reverse=sort.descending)  # type: ignore[arg-type]
            + [r for r in named if value(r) is None])
