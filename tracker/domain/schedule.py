"""Care-plan schedule engine: phases, cadences, tapering and due dates.

The engine takes a plan as assigned (its spec revisions from ``plan_spec.py``, and what
happened: transitions, pauses, holds, completions, moves) and answers what is due when,
which phase is in force, and when the next step down comes. Pure: imports neither Flask
nor peewee and never reads the clock; callers pass dates and time zones. Internally a day
is its proleptic ordinal (an int), which keeps the per-item date arithmetic cheap.
"""
from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from itertools import pairwise
from operator import itemgetter
from zoneinfo import ZoneInfo

from . import clinical
from .plan_spec import (
    AFTER_DONE,
    AFTER_SESSIONS,
    AFTER_WEEKS,
    EVERY_N_DAYS,
    EVERY_N_WEEKS,
    MAX_PHASES,
    MONTHLY,
    MONTHLY_WEEKDAY,
    SYMPTOMS,
    WEEKLY_DAYS,
    Cadence,
    Dose,
    ExitRule,
    ItemSpec,
    PlanSpec,
    SpecError,
    check_int,
    check_one_of,
    freeze,
)

__all__ = [
    "PAUSE_ALL", "PAUSE_AREA", "PAUSE_SAFETY", "PAUSE_SCOPES", "PAUSE_SELF_CARE",
    "PAUSE_SESSIONS", "SYMPTOM_PHASE_MIN_DAYS", "WHOLE_PLAN_SCOPES",
    "Completion", "Hold", "Move", "Occurrence", "Pause", "PhaseSpan", "PlanInput", "Revision",
    "Transition",
    "auto_transitions", "next_due", "occurrences", "phase_on", "spec_on", "timeline", "to_utc",
    "waiting_step_down",
]

# "all": the therapist's pause; "safety": a warning sign, which stops everything like "all";
# "area": a problem in the treated area (sessions and the self-care working there);
# "self_care" and "sessions": what earlier versions paused for a red flag / a problem.
PAUSE_ALL, PAUSE_SELF_CARE, PAUSE_SESSIONS = "all", "self_care", "sessions"
PAUSE_SAFETY, PAUSE_AREA = "safety", "area"
PAUSE_SCOPES = (PAUSE_ALL, PAUSE_SELF_CARE, PAUSE_SESSIONS, PAUSE_SAFETY, PAUSE_AREA)
WHOLE_PLAN_SCOPES = (PAUSE_ALL, PAUSE_SAFETY)  # these shape the schedule itself

SYMPTOM_PHASE_MIN_DAYS = clinical.SYMPTOM_PHASE_MIN_DAYS

_INF = date.max.toordinal() + 1  # "open-ended": later than any real day
_SEARCH_DAYS = 12 * 366  # how far ahead to look for an n-th session or a next due date


# --------------------------------------------------------------------------- engine inputs

@dataclass(frozen=True, slots=True)
class Revision:
    """A plan edit, in force from `effective_from` until the next revision."""

    effective_from: date
    spec: PlanSpec


@dataclass(frozen=True, slots=True)
class Transition:
    """A phase change on `on` (manual, symptom-confirmed, or a stored automatic one)."""

    on: date
    to_phase: int
    reason: str = ""

    def __post_init__(self) -> None:
        check_int(self.to_phase, 0, MAX_PHASES - 1, "to_phase")


@dataclass(frozen=True, slots=True)
class Pause:
    """Nothing is due from `start` until `end` (exclusive; None = still paused).

    `scope` narrows it: "all" and "safety" stop everything (and stop the clock of
    time-based phases); "self_care" or "sessions" leave the other kind of item due; "area"
    stops sessions and the self-care items in `items` (None: all self-care).

    Every pause also holds the taper: no automatic step down while it runs.
    """

    start: date
    end: date | None = None
    scope: str = PAUSE_ALL
    items: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise SpecError("ends_before_start", name="pause", end=self.end, start=self.start)
        check_one_of(self.scope, PAUSE_SCOPES, "scope")
        if self.items is not None and self.scope != PAUSE_AREA:
            raise SpecError("area_items_only", field="items")

    def covers(self, occurrence: Occurrence) -> bool:
        """True when this pause stops the occurrence (by date and by kind of item)."""
        if occurrence.date < self.start or (self.end is not None and occurrence.date >= self.end):
            return False
        if self.scope in WHOLE_PLAN_SCOPES:
            return True
        if self.scope == PAUSE_AREA:
            return (occurrence.item.is_session or self.items is None
                    or occurrence.item.key in self.items)
        return occurrence.item.is_session == (self.scope == PAUSE_SESSIONS)


@dataclass(frozen=True, slots=True)
class Hold:
    """A span in which no phase steps down to less frequent care automatically (the taper
    guard: a flare-up waiting for review, pain worse than at the start). `end` exclusive;
    None while it holds. Pauses hold too; a step due inside a hold waits for its end."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise SpecError("ends_before_start", name="hold", end=self.end, start=self.start)


@dataclass(frozen=True, slots=True)
class Completion:
    """The local day an item was done."""

    item_key: str
    on: date


@dataclass(frozen=True, slots=True)
class Move:
    """An occurrence booked for another day (and optionally time)."""

    item_key: str
    original: date
    to: date
    time: time | None = None


@dataclass(frozen=True, slots=True)
class PlanInput:
    """Everything the engine needs about one assigned plan."""

    start: date
    revisions: tuple[Revision, ...]
    transitions: tuple[Transition, ...] = ()
    pauses: tuple[Pause, ...] = ()
    completions: tuple[Completion, ...] = ()
    moves: tuple[Move, ...] = ()
    end: date | None = None
    holds: tuple[Hold, ...] = ()

    def __post_init__(self) -> None:
        for name in ("revisions", "transitions", "pauses", "completions", "moves", "holds"):
            freeze(self, name)
        if not self.revisions:
            raise SpecError("no_revision", field="revisions")
        if self.end is not None and self.end <= self.start:
            raise SpecError("plan_end", field="end", end=self.end, start=self.start)


# --------------------------------------------------------------------------- engine outputs

@dataclass(frozen=True, slots=True)
class Occurrence:
    """One due item on one day."""

    date: date
    time: time | None
    item: ItemSpec
    phase_index: int
    phase_name: str
    original_date: date | None = None  # set when the occurrence was moved

    @property
    def dose(self) -> Dose:
        return self.item.dose


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """A stretch of time in one phase; `end` is exclusive, None when unknown."""

    phase_index: int
    name: str
    start: date | None
    end: date | None
    projected: bool
    current: bool
    # Set on the current phase when its automatic step down fell due on that day but waits
    # for a pause or hold to end (the taper guard).
    waiting_since: date | None = None


# --------------------------------------------------------------------------- day arithmetic

def _weekday(day: int) -> int:
    return (day - 1) % 7  # ordinal 1, 0001-01-01, was a Monday


def _ceil_step(first: int, lo: int, step: int) -> int:
    """The first of first, first + step, ... that is >= lo."""
    return first if lo <= first else first - (first - lo) // step * step


def _month_date(month_index: int, day_of_month: int) -> int:
    """Ordinal of day_of_month (clamped to month end) in month year*12+month-1."""
    year, month0 = divmod(month_index, 12)
    if year > date.max.year:
        return _INF
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day_of_month, last)).toordinal()


def _add_months(day: int, months: int) -> int:
    d = date.fromordinal(day)
    return _month_date(d.year * 12 + d.month - 1 + months, d.day)


def _month_index(day: int) -> int:
    d = date.fromordinal(day)
    return d.year * 12 + d.month - 1


def _nth_weekday(month_index: int, cadence: Cadence) -> int:
    """Ordinal of the cadence's weekday, its `ordinal`th (-1: last), in that month."""
    year, month0 = divmod(month_index, 12)
    if year > date.max.year:
        return _INF
    weekday, nth = cadence.weekdays[0], cadence.ordinal or 1
    if nth > 0:
        first = date(year, month0 + 1, 1)
        return first.toordinal() + (weekday - first.weekday()) % 7 + 7 * (nth - 1)
    last = date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])
    return last.toordinal() - (last.weekday() - weekday) % 7


def _snap(cadence: Cadence, day: int) -> int:
    """The cadence's first matching day on or after `day`."""
    if cadence.kind in (EVERY_N_DAYS, MONTHLY):
        return day
    if cadence.kind == MONTHLY_WEEKDAY:
        if day >= _INF:
            return _INF
        month = _month_index(day)
        found = _nth_weekday(month, cadence)
        return found if found >= day else _nth_weekday(month + 1, cadence)
    weekday = _weekday(day)
    return day + min((w - weekday) % 7 for w in cadence.weekdays)


def _calendar_days(cadence: Cadence, anchor: int, lo: int, hi: int) -> Sequence[int]:
    """Days in [lo, hi) of the calendar series that starts at `anchor` (already snapped)."""
    if cadence.kind == MONTHLY:
        return _monthly_days(anchor, cadence.interval, lo, hi)
    if cadence.kind == MONTHLY_WEEKDAY:
        return _monthly_weekday_days(anchor, cadence, lo, hi)
    if cadence.kind == WEEKLY_DAYS:
        return _weekly_days(anchor, cadence, lo, hi)
    step = cadence.interval * (7 if cadence.kind == EVERY_N_WEEKS else 1)
    return range(_ceil_step(anchor, lo, step), hi, step)


def _weekly_days(anchor: int, cadence: Cadence, lo: int, hi: int) -> list[int]:
    step = 7 * cadence.interval
    monday = anchor - _weekday(anchor)
    days: list[int] = []
    for weekday in cadence.weekdays:
        first = monday + weekday
        if first < anchor:  # that weekday of the anchor's week came before the anchor
            first += step
        days.extend(range(_ceil_step(first, lo, step), hi, step))
    if len(cadence.weekdays) > 1:
        days.sort()
    return days


def _monthly_days(anchor: int, interval: int, lo: int, hi: int) -> list[int]:
    # each day is computed from the anchor, never from the previous one, so no drift
    a, first = date.fromordinal(anchor), date.fromordinal(max(lo, anchor))
    base = a.year * 12 + a.month - 1
    k = max(0, (first.year * 12 + first.month - 1 - base) // interval - 1)
    days = []
    while (day := _month_date(base + k * interval, a.day)) < hi:
        if day >= lo:
            days.append(day)
        k += 1
    return days


def _monthly_weekday_days(anchor: int, cadence: Cadence, lo: int, hi: int) -> list[int]:
    # every `interval` months from the anchor's month (the anchor is such a day already)
    base, interval = _month_index(anchor), cadence.interval
    k = max(0, (_month_index(max(lo, anchor)) - base) // interval - 1)
    days = []
    while (day := _nth_weekday(base + k * interval, cadence)) < hi:
        if day >= lo:
            days.append(day)
        k += 1
    return days


# --------------------------------------------------------------------------- normalised plan

@dataclass(frozen=True, slots=True)
class _Change:
    """A phase change the walk must honour (recorded, clamp, auto or projected)."""

    day: int
    phase: int
    cause: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Plan:
    """PlanInput with days as ordinals, sorted and indexed for lookups."""

    start: int
    end: int
    rev_days: tuple[int, ...]
    specs: tuple[PlanSpec, ...]
    changes: tuple[_Change, ...]
    change_days: tuple[int, ...]
    pause_starts: tuple[int, ...]
    pause_ends: tuple[int, ...]
    completions: Mapping[str, tuple[int, ...]]
    moves: Mapping[tuple[str, int], tuple[int, time | None]]
    moved_keys: frozenset[str]
    holds: tuple[tuple[int, int], ...] = ()  # merged [start, end) spans: pauses and holds

    @classmethod
    def of(cls, plan: PlanInput) -> _Plan:
        revisions = sorted(plan.revisions, key=lambda r: r.effective_from)
        pauses = _merge_pauses([p for p in plan.pauses if p.scope in WHOLE_PLAN_SCOPES])
        done: dict[str, list[int]] = {}
        for c in plan.completions:
            done.setdefault(c.item_key, []).append(c.on.toordinal())
        moves = {(m.item_key, m.original.toordinal()): (m.to.toordinal(), m.time)
                 for m in plan.moves}
        changes = _recorded_changes(plan.transitions)
        return cls(
            plan.start.toordinal(), _INF if plan.end is None else plan.end.toordinal(),
            tuple(r.effective_from.toordinal() for r in revisions),
            tuple(r.spec for r in revisions), changes, tuple(c.day for c in changes),
            tuple(s for s, _ in pauses), tuple(e for _, e in pauses),
            {key: tuple(sorted(days)) for key, days in done.items()},
            moves, frozenset(key for key, _ in moves),
            tuple(_merge_pauses([*plan.pauses, *plan.holds])))

    def with_change(self, change: _Change) -> _Plan:
        changes = tuple(sorted((*self.changes, change), key=lambda c: c.day))
        return replace(self, changes=changes, change_days=tuple(c.day for c in changes))

    def spec_at(self, day: int) -> PlanSpec:
        # before the first revision the first one applies: it is the plan as assigned
        return self.specs[max(bisect_right(self.rev_days, day) - 1, 0)]

    def clamp(self, phase: int, day: int) -> int:
        return min(phase, len(self.spec_at(day).phases) - 1)

    def hold_release(self, day: int) -> int:
        """The first day from `day` on that no pause or hold covers (_INF: not yet known)."""
        for start, end in self.holds:
            if start <= day < end:
                return end
            if start > day:
                break
        return day

    def pause_end_at(self, day: int) -> int | None:
        """The end of the pause covering `day`, or None when not paused."""
        i = bisect_right(self.pause_starts, day) - 1
        return self.pause_ends[i] if i >= 0 and day < self.pause_ends[i] else None

    def next_pause_start(self, day: int) -> int:
        i = bisect_right(self.pause_starts, day)
        return self.pause_starts[i] if i < len(self.pause_starts) else _INF

    def can_land(self, day: int, lo: int, hi: int) -> bool:
        """A moved occurrence may land on `day` within [lo, hi)."""
        return (max(lo, self.start) <= day < min(hi, self.end)
                and self.pause_end_at(day) is None)

    def active_ranges(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """[lo, hi) minus the pauses, as ranges."""
        starts, ends = self.pause_starts, self.pause_ends
        ranges, i = [], bisect_right(ends, lo)  # first pause still running at lo
        while lo < hi:
            if i == len(starts) or starts[i] >= hi:
                ranges.append((lo, hi))
                break
            if starts[i] > lo:
                ranges.append((lo, starts[i]))
            lo, i = max(lo, ends[i]), i + 1
        return ranges

    def paused_days(self, lo: int, hi: int) -> int | None:
        """Paused days in [lo, hi); None if an open-ended pause starts there."""
        total = 0
        for start, end in zip(self.pause_starts, self.pause_ends, strict=True):
            if start < hi and end > lo:
                if end >= _INF:
                    return None
                total += min(end, hi) - max(start, lo)
        return total


def _merge_pauses(pauses: Sequence[Pause | Hold]) -> list[tuple[int, int]]:
    spans = sorted((p.start.toordinal(), _INF if p.end is None else p.end.toordinal())
                   for p in pauses)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _recorded_changes(transitions: Sequence[Transition]) -> tuple[_Change, ...]:
    # several transitions on one day: the last one recorded wins
    by_day = {t.on.toordinal(): t for t in sorted(transitions, key=lambda t: t.on)}
    return tuple(_Change(day, t.to_phase, "recorded", t.reason)
                 for day, t in sorted(by_day.items()))


# --------------------------------------------------------------------------- series

@dataclass(frozen=True, slots=True)
class _Series:
    """One item's run of days with one cadence inside one phase period."""

    key: str
    cadence: Cadence
    session: bool
    gap: int
    start: int
    end: int
    anchor: int
    specs: tuple[tuple[int, ItemSpec, int, str], ...]  # (from day, item, order, phase name)

    # direct construction: dataclasses.replace costs ~10x more and runs per item per period
    def until(self, end: int) -> _Series:
        return _Series(self.key, self.cadence, self.session, self.gap, self.start,
                       min(self.end, end), self.anchor, self.specs)

    def extended(self, end: int, spec: tuple[int, ItemSpec, int, str]) -> _Series:
        return _Series(self.key, self.cadence, self.session, self.gap, self.start,
                       end, self.anchor, (*self.specs, spec))


def _series_days(plan: _Plan, series: _Series, lo: int, hi: int) -> Sequence[int]:
    """Original (unmoved) days of `series` in [lo, hi), pauses applied."""
    lo, hi = max(lo, series.start), min(hi, series.end, plan.end)
    if lo >= hi:
        return ()
    if series.cadence.anchor == AFTER_DONE:
        return _after_done_days(plan, series, lo, hi)
    ranges = plan.active_ranges(lo, hi)
    if len(ranges) == 1:
        return _calendar_days(series.cadence, series.anchor, *ranges[0])
    days: list[int] = []
    for a, b in ranges:
        days.extend(_calendar_days(series.cadence, series.anchor, a, b))
    return days


def _step(series: _Series, base: int, k: int) -> int:
    cadence = series.cadence
    if cadence.kind == MONTHLY:  # months, from the base, so no drift
        return _add_months(base, k * cadence.interval)
    if cadence.kind == MONTHLY_WEEKDAY:
        # the first such weekday at least the minimum gap after the base, then whole months
        # on from that one; k = 0 (the anchor, or the end of a pause) snaps forward
        if k == 0:
            return _snap(cadence, base)
        first = _snap(cadence, base + series.gap)
        if first >= _INF:
            return _INF
        return _nth_weekday(_month_index(first) + (k - 1) * cadence.interval, cadence)
    return base + k * series.gap


def _after_done_days(plan: _Plan, series: _Series, lo: int, hi: int) -> list[int]:
    """Due days of an after_done series in [lo, hi).

    A day is due when it lies on the chain projected from the last completion
    before it (or from the series anchor); a due day inside a pause moves to the
    pause end and the chain restarts there.
    """
    done = plan.completions.get(series.key, ())
    i = bisect_left(done, series.start)
    base, k = series.anchor, 0
    if i and _step(series, done[i - 1], 1) >= series.anchor:
        base, k = done[i - 1], 1
    days: list[int] = []
    while True:
        due = _step(series, base, k)
        if i < len(done) and done[i] < due:  # done (early or late): re-anchor on it
            base, k, i = done[i], 1, i + 1
            continue
        if due >= hi:
            return days
        resume = plan.pause_end_at(due)
        if resume is not None:
            if resume >= _INF:
                return days
            # the chain restarts on the first due day from the pause's end; a weekday of
            # the month is snapped to first, so the next one is a whole gap after the day
            # actually due, not after the pause's end
            base, k = (_snap(series.cadence, resume)
                       if series.cadence.kind == MONTHLY_WEEKDAY else resume), 0
            continue
        k += _emit_run(plan, series, due, min(hi, done[i] + 1 if i < len(done) else hi),
                       lo, days)


def _emit_run(plan: _Plan, series: _Series, due: int, stop: int, lo: int,
              days: list[int]) -> int:
    """Append the chain's days from `due` up to the next event; return how many steps."""
    if series.cadence.kind in (MONTHLY, MONTHLY_WEEKDAY):  # months vary: one step at a time
        if due >= lo:
            days.append(due)
        return 1
    run = range(due, min(stop, plan.next_pause_start(due)), series.gap)
    days.extend(run[max(0, -(-(lo - due) // series.gap)):])
    return len(run)


def _placed(plan: _Plan, series: _Series, lo: int, hi: int,
            first: int, last: int) -> list[tuple[int, int]]:
    """(original, effective) days for originals in [lo, hi); a move that would land
    outside [first, last), in a pause or outside the plan drops the occurrence."""
    days = _series_days(plan, series, lo, hi)
    if series.key not in plan.moved_keys:
        return [(day, day) for day in days]
    placed = []
    for day in days:
        move = plan.moves.get((series.key, day))
        if move is None:
            placed.append((day, day))
        elif plan.can_land(move[0], first, last):
            placed.append((day, move[0]))
    return placed


def _last_before(plan: _Plan, earlier: Sequence[_Series], day: int,
                 first: int, last: int) -> int | None:
    effective = (eff for series in earlier
                 for _, eff in _placed(plan, series, series.start, day, first, last) if eff < day)
    return max(effective, default=None)


@dataclass(frozen=True, slots=True)
class _Carry:
    """The last session day per item key, and of any session, before a period."""

    by_key: Mapping[str, int]
    latest: int | None

    def after(self, plan: _Plan, period: _Period) -> _Carry:
        """This history extended with the sessions of `period`, which has ended."""
        by_key = dict(self.by_key)
        for series in period.series:
            if series.session:
                placed = _placed(plan, series, series.start, series.end, period.start, period.end)
                for _, day in placed:
                    by_key[series.key] = max(by_key.get(series.key, day), day)
        return _Carry(by_key, max(by_key.values(), default=None))


def _anchor(plan: _Plan, item: ItemSpec, day: int, period: tuple[int, int],
            carry: _Carry, built: Sequence[_Series]) -> int:
    """Where a new series of `item` starting on `day` is anchored.

    Sessions keep their spacing across a change: never sooner than the last
    session (of this item, else of any session item when a phase starts) plus
    this cadence's minimum gap. Self-care starts on `day`.
    """
    if not item.is_session:
        return _snap(item.cadence, day)
    start, cap = period
    if day == start:
        last = carry.by_key.get(item.key, carry.latest)
    else:
        same = [s for s in built if s.key == item.key]
        last = _last_before(plan, same, day, start, cap)
        last = carry.by_key.get(item.key) if last is None else last
    base = day if last is None else max(day, last + item.cadence.min_gap)
    return _snap(item.cadence, base)


def _segments(plan: _Plan, start: int, cap: int) -> Iterator[tuple[int, int, PlanSpec]]:
    """[from, to) stretches of [start, cap) with one revision in force."""
    days = [d for d in dict.fromkeys(plan.rev_days) if start < d < cap]
    for lo, hi in pairwise([start, *days, cap]):
        yield lo, hi, plan.spec_at(lo)


def _build_series(plan: _Plan, phase: int, start: int, cap: int,
                  carry: _Carry) -> list[_Series]:
    """Every item's series in phase `phase` over [start, cap)."""
    built: list[_Series] = []
    live: dict[str, _Series] = {}
    for lo, hi, spec in _segments(plan, start, cap):
        phase_spec = spec.phases[phase]
        current: dict[str, _Series] = {}
        for order, item in enumerate(phase_spec.items):
            entry = (lo, item, order, phase_spec.name)
            old = live.pop(item.key, None)
            if old is not None and old.cadence == item.cadence and old.session == item.is_session:
                current[item.key] = old.extended(hi, entry)
                continue
            if old is not None:
                built.append(old)
            anchor = _anchor(plan, item, lo, (start, cap), carry, built)
            current[item.key] = _Series(item.key, item.cadence, item.is_session,
                                        item.cadence.min_gap, lo, hi, anchor, (entry,))
        built.extend(live.values())
        live = current
    built.extend(live.values())
    return built


# --------------------------------------------------------------------------- phase walk

@dataclass(frozen=True, slots=True)
class _Period:
    """A stretch in one phase, with every item's series inside it."""

    phase: int
    start: int
    end: int
    cause: str
    reason: str
    rule: ExitRule
    projected: bool
    series: tuple[_Series, ...]
    due: int | None = None  # when its automatic step down fell due, if a hold delayed it


def _initial_phase(plan: _Plan) -> _Change:
    # transitions recorded on or before the start day decide the starting phase
    i = bisect_right(plan.change_days, plan.start)
    if i == 0:
        return _Change(plan.start, 0, "start")
    change = plan.changes[i - 1]
    return replace(change, day=plan.start, phase=plan.clamp(change.phase, plan.start))


def _next_recorded(plan: _Plan, phase: int, after: int) -> _Change | None:
    # a recorded change to the phase the plan is already in changes nothing
    for change in plan.changes[bisect_right(plan.change_days, after):]:
        target = plan.clamp(change.phase, change.day)
        if target != phase:
            return replace(change, phase=target)
    return None


def _next_clamp(plan: _Plan, phase: int, after: int) -> _Change | None:
    for day in dict.fromkeys(plan.rev_days):
        if day > after and plan.clamp(phase, day) != phase:
            return _Change(day, plan.clamp(phase, day), "clamp", "phase removed by a plan edit")
    return None


def _next_change(plan: _Plan, phase: int, after: int) -> _Change | None:
    recorded, clamp = _next_recorded(plan, phase, after), _next_clamp(plan, phase, after)
    if clamp is not None and (recorded is None or clamp.day < recorded.day):
        return clamp
    return recorded


def _add_active_days(plan: _Plan, start: int, days: int) -> int:
    """The day `days` unpaused days after `start`; _INF while paused indefinitely."""
    end = start + days
    while True:
        paused = plan.paused_days(start, end)
        if paused is None:
            return _INF
        if start + days + paused == end:
            return end
        end = start + days + paused


def _nth_session_end(plan: _Plan, start: int, cap: int, series: Sequence[_Series],
                     n: int) -> int:
    """The day after the n-th session of the period (by booked order); _INF if none."""
    sessions = [s for s in series if s.session]
    found: list[tuple[int, int]] = []
    lo = start
    while sessions and lo < min(cap, start + _SEARCH_DAYS):
        hi = min(lo + 366, cap)
        window = [p for s in sessions for p in _placed(plan, s, lo, hi, start, cap)]
        found.extend(sorted(window))
        if len(found) >= n:
            return max(eff for _, eff in found[:n]) + 1
        lo = hi
    return _INF


def _exit_at(plan: _Plan, phase: int, day: int) -> tuple[ExitRule, bool]:
    spec = plan.spec_at(day)
    return spec.phases[phase].exit, phase + 1 < len(spec.phases)


def _boundary(plan: _Plan, rule: ExitRule, has_next: bool, start: int, cap: int,
              series: Sequence[_Series]) -> int:
    """Where an automatic exit rule ends the period; _INF when it never does."""
    if not has_next:
        return _INF
    if rule.kind == AFTER_WEEKS:
        return _add_active_days(plan, start, 7 * rule.n)
    if rule.kind == AFTER_SESSIONS:
        return _nth_session_end(plan, start, cap, series, rule.n)
    return _INF  # symptoms and manual exits wait for a recorded transition


def _rule_end(plan: _Plan, phase: int, start: int, cap: int,
              series: Sequence[_Series]) -> tuple[ExitRule, int]:
    """The exit rule that ends the period and the day it does.

    An edit effective D that changes the rule while the period is still running
    recomputes the end, but never before D: history stays as it was.
    """
    rule, has_next = _exit_at(plan, phase, start)
    end = _boundary(plan, rule, has_next, start, cap, series)
    for day in dict.fromkeys(plan.rev_days):
        if day <= start or day >= cap:
            continue
        if end < day:
            break
        if _exit_at(plan, phase, day) != (rule, has_next):
            rule, has_next = _exit_at(plan, phase, day)
            end = max(_boundary(plan, rule, has_next, start, cap, series), day)
    return rule, end


def _auto_reason(rule: ExitRule) -> str:
    unit = "week" if rule.kind == AFTER_WEEKS else "session"
    return f"after {rule.n} {unit}{'s' if rule.n != 1 else ''}"


def _walk(plan: _Plan, until: int = _INF) -> Iterator[_Period]:
    """The plan's phase periods in order, for every period starting before `until`."""
    change, carry = _initial_phase(plan), _Carry({}, None)
    start, projected = plan.start, False
    while start < min(plan.end, until):
        phase = change.phase
        upcoming = _next_change(plan, phase, start)
        cap = min(plan.end, _INF if upcoming is None else upcoming.day)
        series = _build_series(plan, phase, start, cap, carry)
        rule, end = _rule_end(plan, phase, start, cap, series)
        due = None
        if end < cap:
            released = plan.hold_release(end)  # the taper guard: a step down waits
            if released > end:
                due, end = end, released
        if end < cap:
            reason = _auto_reason(rule) + (" (after a pause or review)" if due else "")
            upcoming = _Change(end, plan.clamp(phase + 1, end), "auto", reason)
        else:
            end = cap
        projected = projected or change.cause == "projected"
        kept = tuple(s.until(end) for s in series if s.start < end)
        period = _Period(phase, start, end, change.cause, change.reason, rule, projected, kept,
                         due)
        yield period
        if upcoming is None or end >= plan.end:
            return
        start, change, carry = end, upcoming, carry.after(plan, period)


# --------------------------------------------------------------------------- occurrences

def _sort_tail(t: time | None, order: int) -> int:
    minutes = 0 if t is None else t.hour * 60 + t.minute
    return (minutes << 6) | order  # order < 64, minutes < 2048: fits 17 bits


def _find_series(periods: Sequence[_Period], key: str, day: int) -> tuple[_Period, _Series] | None:
    for period in periods:
        if period.start <= day < period.end:
            for series in period.series:
                if series.key == key and series.start <= day < series.end:
                    return period, series
    return None


def _spec_on(series: _Series, day: int) -> tuple[int, ItemSpec, int, str]:
    specs = series.specs
    return specs[bisect_right(specs, day, key=lambda s: s[0]) - 1]


def _moved_rows(plan: _Plan, periods: Sequence[_Period], lo: int, hi: int,
                keys: frozenset[str] | None) -> tuple[list[tuple], set[tuple[str, int]]]:
    """Rows for moved occurrences landing in [lo, hi), and the (key, day)s they take."""
    rows, taken = [], set()
    for (key, original), (to, new_time) in sorted(plan.moves.items(), key=lambda m: m[0][1]):
        if not lo <= to < hi or (keys is not None and key not in keys) or (key, to) in taken:
            continue
        found = _find_series(periods, key, original)
        if found is None:
            continue
        period, series = found
        if original not in _series_days(plan, series, original, original + 1):
            continue
        if not plan.can_land(to, period.start, period.end):
            continue
        _, item, order, name = _spec_on(series, original)
        t = item.time_of_day if new_time is None else new_time
        occurrence = Occurrence(date.fromordinal(to), t, item, period.phase, name,
                                date.fromordinal(original))
        rows.append(((to << 17) | _sort_tail(t, order), occurrence))
        taken.add((key, to))
    return rows, taken


# A frozen dataclass __init__ sets each field through object.__setattr__, which was
# half the cost of a year of occurrences. Writing the slots of a brand-new,
# not-yet-shared instance directly is equivalent and twice as fast.
_SET_OCCURRENCE = tuple(Occurrence.__dict__[f].__set__ for f in Occurrence.__slots__)


def _series_rows(plan: _Plan, period: _Period, series: _Series, lo: int, hi: int,
                 taken: set[tuple[str, int]], days: Sequence[date], rows: list) -> None:
    """Append (sort key, occurrence) rows for unmoved occurrences of `series` in [lo, hi)."""
    originals = _series_days(plan, series, lo, hi)
    if not originals:
        return
    key, moved, phase = series.key, series.key in plan.moved_keys, period.phase
    new, append = object.__new__, rows.append
    set_date, set_time, set_item, set_phase, set_name, set_original = _SET_OCCURRENCE
    for j, (begin, item, order, name) in enumerate(series.specs):
        chunk = originals
        if len(series.specs) > 1:  # an edit changed dose or time mid-series
            until = series.specs[j + 1][0] if j + 1 < len(series.specs) else _INF
            chunk = originals[bisect_left(originals, begin):bisect_left(originals, until)]
        t, tail = item.time_of_day, _sort_tail(item.time_of_day, order)
        for d in chunk:
            if moved and ((key, d) in plan.moves or (key, d) in taken):
                continue
            occurrence = new(Occurrence)
            set_date(occurrence, days[d - lo])
            set_time(occurrence, t)
            set_item(occurrence, item)
            set_phase(occurrence, phase)
            set_name(occurrence, name)
            set_original(occurrence, None)
            append(((d << 17) | tail, occurrence))


def _collect(plan: _Plan, lo: int, hi: int,
             keys: frozenset[str] | None = None) -> list[Occurrence]:
    """Occurrences in [lo, hi), sorted by day, time and phase order."""
    lo, hi = max(lo, plan.start), min(hi, plan.end)
    if lo >= hi:
        return []
    stop = max([hi] + [orig + 1 for (_, orig), (to, _) in plan.moves.items() if lo <= to < hi])
    periods = list(_walk(plan, stop))
    rows, taken = _moved_rows(plan, periods, lo, hi, keys)
    days = [date.fromordinal(d) for d in range(lo, hi)]
    for period in periods:
        if period.start < hi and period.end > lo:
            for series in period.series:
                if keys is None or series.key in keys:
                    _series_rows(plan, period, series, lo, hi, taken, days, rows)
    rows.sort(key=itemgetter(0))  # stable: equal keys keep series order
    return [row[1] for row in rows]


# --------------------------------------------------------------------------- public API

def occurrences(plan: PlanInput, start: date, end: date) -> list[Occurrence]:
    """Everything due from `start` to `end` inclusive, sorted by date, time, phase order."""
    found = _collect(_Plan.of(plan), start.toordinal(), end.toordinal() + 1)
    # Partial pauses only drop items; whole-plan pauses also shape the schedule itself.
    partial = [p for p in plan.pauses if p.scope not in WHOLE_PLAN_SCOPES]
    if partial:
        found = [o for o in found if not any(p.covers(o) for p in partial)]
    return found


def spec_on(plan: PlanInput, day: date) -> PlanSpec:
    """The plan's phases and items as in force on `day` (the first revision before it)."""
    return _Plan.of(plan).spec_at(day.toordinal())


def phase_on(plan: PlanInput, day: date) -> int:
    """The phase in force on `day` (the first phase before the plan starts)."""
    normalised, phase = _Plan.of(plan), None
    for period in _walk(normalised, day.toordinal() + 1):
        phase = period.phase
    return _initial_phase(normalised).phase if phase is None else phase


def next_due(plan: PlanInput, item_key: str, after: date) -> date | None:
    """The first day strictly after `after` on which `item_key` is due, if any soon."""
    normalised, keys = _Plan.of(plan), frozenset((item_key,))
    lo, width = max(after.toordinal() + 1, normalised.start), 64
    limit = min(normalised.end, lo + _SEARCH_DAYS)
    while lo < limit:
        hi = min(lo + width, limit)
        found = _collect(normalised, lo, hi, keys)
        if found:
            return found[0].date
        lo, width = hi, width * 2
    return None


def auto_transitions(plan: PlanInput, up_to: date) -> list[Transition]:
    """after_weeks/after_sessions transitions due by `up_to` that are not recorded yet."""
    return [Transition(date.fromordinal(p.start), p.phase, p.reason)
            for p in _walk(_Plan.of(plan), up_to.toordinal() + 1) if p.cause == "auto"]


def timeline(plan: PlanInput, today: date) -> list[PhaseSpan]:
    """Past phase spans, the current one, then the future ones (estimated or unknown)."""
    normalised, day = _Plan.of(plan), today.toordinal()
    periods = list(_walk(normalised))
    for _ in range(MAX_PHASES):
        estimate = _symptom_estimate(normalised, periods[-1], day)
        if estimate is None:
            break
        normalised = normalised.with_change(estimate)
        periods = list(_walk(normalised))
    spans = [_span(normalised, p, day) for p in periods]
    return spans + _unknown_spans(normalised, periods[-1], day)


def waiting_step_down(plan: PlanInput, today: date) -> date | None:
    """The day the current phase's automatic step down fell due, when it is still waiting
    for a pause or hold to end ("due to step down: waiting for review"); else None."""
    day, found = today.toordinal(), None
    for period in _walk(_Plan.of(plan), day + 1):
        found = period
    if found is None or found.due is None or not found.start <= day < found.end:
        return None
    return date.fromordinal(found.due) if found.due <= day else None


def _symptom_estimate(plan: _Plan, last: _Period, today: int) -> _Change | None:
    """A projected step-down for an open symptoms phase, at its earliest possible day."""
    if last.rule.kind != SYMPTOMS:  # the walk's last period always runs to the plan end
        return None
    spec = plan.spec_at(max(last.start, today))
    if last.phase + 1 >= len(spec.phases):
        return None
    day = plan.hold_release(max(last.start + SYMPTOM_PHASE_MIN_DAYS, today + 1))
    if day >= plan.end:  # also while a hold is open (_INF): no step down can be projected
        return None
    return _Change(day, last.phase + 1, "projected", "if symptoms improve")


def _span(plan: _Plan, period: _Period, today: int) -> PhaseSpan:
    named_on = max(period.start, min(today, period.end - 1))
    end = None if period.end >= _INF else date.fromordinal(period.end)
    current = period.start <= today < period.end and today < plan.end
    waiting = (date.fromordinal(period.due)
               if current and period.due is not None and period.due <= today else None)
    return PhaseSpan(period.phase, plan.spec_at(named_on).phase(period.phase).name,
                     date.fromordinal(period.start), end, period.projected, current, waiting)


def _unknown_spans(plan: _Plan, last: _Period, today: int) -> list[PhaseSpan]:
    """Phases after an open-ended one: they will come, but nobody knows when."""
    if plan.end < _INF:  # a plan with an end date has no phases beyond it
        return []
    spec = plan.spec_at(max(last.start, today))
    return [PhaseSpan(i, spec.phases[i].name, None, None, True, False)
            for i in range(last.phase + 1, len(spec.phases))]


def to_utc(day: date, t: time, tz: ZoneInfo) -> datetime:
    """The aware UTC instant of local `t` on `day` in `tz`.

    A time skipped by a DST jump is shifted forward by the jump; a time that
    happens twice resolves to the first occurrence (fold=0 does both).
    """
    if t.tzinfo is not None:
        raise SpecError("local_time", field="t")
    local = datetime.combine(day, t.replace(fold=0), tzinfo=tz)
    return local.astimezone(UTC)
