"""How a plan is going: adherence, habit strength, streaks, pain trends, the week ahead.

Pure: imports neither Flask nor peewee and never reads the clock; callers pass
`today` and the marks and check-ins they loaded.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import sqrt
from typing import Literal

from .clinical import MEANINGFUL_DROP_PCT, MEANINGFUL_DROP_POINTS
from .day import skip_summary
from .schedule import Occurrence
from .symptoms import WINDOW_DAYS, baseline, meaningful_drop, seven_day_mean
from .wording import YOU, Voice, session_line

__all__ = [
    "MEANINGFUL_DROP_PCT", "CheckMark", "DayPlan", "DayRecord", "PainPoint", "PainTrend",
    "TrendState", "TrendVerdict", "WeekAdherence",
    "adherence", "current_streak", "day_records", "day_summary", "habit_score", "pain_trend",
    "percent",
    "week_ahead", "weekly_adherence",
]

CheckMark = Literal["done", "skipped"]
TrendVerdict = Literal["better", "worse", "about the same"]

# Loop Habit Tracker's smoothing for a daily habit: a day's weight halves every 13 days.
_HABIT_MULTIPLIER = 0.5 ** (sqrt(1) / 13)
_EPSILON = 1e-9  # means are floats: 10 * 0.7 must still count as 7


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=i) for i in range((last - first).days + 1))


# --------------------------------------------------------------------------- adherence

@dataclass(frozen=True, slots=True)
class DayRecord:
    """What was due on one day and what became of it."""

    day: date
    due: int
    done: int
    skipped: int
    # (reason, count) of the skips: detail for the wording, left out of equality
    skip_reasons: tuple[tuple[str | None, int], ...] = field(default=(), compare=False)

    @property
    def skips(self) -> str:
        """ "6 skipped (no time)", or "" with no skips."""
        return skip_summary(dict(self.skip_reasons) if self.skip_reasons
                            else {None: self.skipped})

    @property
    def all_skipped(self) -> bool:
        """Something was due and every item of it was skipped."""
        return self.due > 0 and self.counted <= 0

    @property
    def counted(self) -> int:
        """Due items that count towards adherence: a skip is not a miss."""
        return self.due - self.skipped

    @property
    def complete(self) -> bool:
        """Everything counted was done (a day where all was skipped is complete too)."""
        if self.counted > 0:
            return self.done >= self.counted
        return self.due > 0


def day_records(occurrences: Iterable[Occurrence], marks: Mapping[tuple[str, date], CheckMark],
                first: date, last: date,
                reasons: Mapping[tuple[str, date], str | None] | None = None
                ) -> list[DayRecord]:
    """One record per day in [first, last] with something due, oldest first.

    `marks` maps (item key, day) to "done" or "skipped", `reasons` (optional) a skip to
    its reason. An item due twice on a day counts once, as one mark covers it; a mark
    with nothing due is ignored.
    """
    reasons = reasons or {}
    seen: set[tuple[str, date]] = set()
    tally: dict[date, list[int]] = {}
    why: dict[date, dict[str | None, int]] = {}
    for occurrence in occurrences:
        key = (occurrence.item.key, occurrence.date)
        if not first <= occurrence.date <= last or key in seen:
            continue
        seen.add(key)
        counts = tally.setdefault(occurrence.date, [0, 0, 0])
        counts[0] += 1
        mark = marks.get(key)
        if mark == "done":
            counts[1] += 1
        elif mark == "skipped":
            counts[2] += 1
            by_reason = why.setdefault(occurrence.date, {})
            reason = reasons.get(key)
            by_reason[reason] = by_reason.get(reason, 0) + 1
    return [DayRecord(day, *tally[day], tuple(why.get(day, {}).items()))
            for day in sorted(tally)]


def day_summary(record: DayRecord | None, today: date) -> str:
    """One day in words: "2 of 7 so far" (today, unfinished), "3 of 4 done", "6 skipped
    (no time)", "1 of 4 done; 3 skipped (no time)" or "nothing due"."""
    if record is None or record.due <= 0:
        return "nothing due"
    if record.all_skipped:
        return record.skips
    progress = "so far" if record.day == today and not record.complete else "done"
    text = f"{record.done} of {record.counted} {progress}"
    return f"{text}; {record.skips}" if record.skipped else text


@dataclass(frozen=True, slots=True)
class WeekAdherence:
    """One Monday-to-Sunday week; `ratio` is done / (due - skipped), None if nothing counted."""

    week_start: date
    due: int
    done: int
    skipped: int
    ratio: float | None

    @property
    def counted(self) -> int:
        return self.due - self.skipped

    @property
    def percent(self) -> int | None:
        """Whole percent; 100 only when everything was done, 0 only when nothing was."""
        return None if self.ratio is None else percent(self.done, self.counted)


def percent(done: int, counted: int) -> int:
    """done / counted as a whole percent (counted > 0), never shown as 100 while
    something is left, nor as 0 once something was done."""
    percent = round(100 * done / counted)
    if percent == 100 and done < counted:
        return 99
    return 1 if percent == 0 and done > 0 else percent


def _ratio(done: int, counted: int) -> float | None:
    return min(1.0, done / counted) if counted > 0 else None


def weekly_adherence(records: Iterable[DayRecord], first: date,
                     last: date) -> list[WeekAdherence]:
    """Every Monday-based week overlapping [first, last], empty weeks included.

    Only records inside [first, last] count, so a first or last week may be partial.
    """
    if first > last:
        return []
    monday = first - timedelta(days=first.weekday())
    tally = {monday + timedelta(weeks=i): [0, 0, 0]
             for i in range((last - monday).days // 7 + 1)}
    for record in records:
        if first <= record.day <= last:
            counts = tally[record.day - timedelta(days=record.day.weekday())]
            counts[0] += record.due
            counts[1] += record.done
            counts[2] += record.skipped
    return [WeekAdherence(week, due, done, skipped, _ratio(done, due - skipped))
            for week, (due, done, skipped) in tally.items()]


def adherence(records: Iterable[DayRecord]) -> float | None:
    """Done / (due - skipped) over all records; None when nothing counted."""
    done = counted = 0
    for record in records:
        done += record.done
        counted += record.counted
    return _ratio(done, counted)


def habit_score(records: Iterable[DayRecord], today: date) -> float:
    """Habit strength in [0, 1], Loop Habit Tracker's exponential score for a daily habit.

    Each day with something counted moves the score towards that day's share done;
    days with nothing due or everything skipped leave it alone. Today counts only
    once complete, so a day still in progress never pulls the score down.
    """
    score = 0.0
    for record in sorted(records, key=lambda r: r.day):
        if record.day > today or record.counted <= 0:
            continue
        if record.day == today and not record.complete:
            continue
        value = min(1.0, record.done / record.counted)
        score = score * _HABIT_MULTIPLIER + value * (1 - _HABIT_MULTIPLIER)
    return score


def current_streak(records: Iterable[DayRecord], today: date) -> int:
    """Complete days in a row (a skipped item counts as done) up to today, or up to
    yesterday while today is unfinished. Days with nothing due, and days where every item
    was skipped, neither add to it nor break it."""
    streak = 0
    for record in sorted(records, key=lambda r: r.day, reverse=True):
        if record.day > today or record.counted <= 0:
            continue
        if record.complete:
            streak += 1
        elif record.day != today:
            break
    return streak


# --------------------------------------------------------------------------- pain

@dataclass(frozen=True, slots=True)
class PainPoint:
    """One check-in: back and leg pain, 0-10."""

    day: date
    back: int
    leg: int


TrendState = Literal["none", "first_week", "no_start", "too_few", "compared"]


@dataclass(frozen=True, slots=True)
class PainTrend:
    """Leg pain now (7-day mean) against the first week; `summary_for` says it in a
    reader's voice (`summary`: to the client)."""

    baseline: float | None
    mean: float | None
    change: float | None  # mean - baseline: negative is less pain
    verdict: TrendVerdict | None  # None: not enough check-ins to compare yet
    state: TrendState = "compared"  # why there is no verdict, when there is none

    @property
    def summary(self) -> str:
        """The sentence to show the client."""
        return self.summary_for(YOU)

    def summary_for(self, voice: Voice) -> str:
        """ "Your leg pain is 2 points lower than in your first week." to the client,
        "Dana's leg pain is 2 points lower than in their first week." to a therapist."""
        if self.verdict is not None and self.change is not None:
            return _summary(self.verdict, self.change, voice)
        return _NO_VERDICT[self.state](voice)


def _points(value: float) -> str:
    text = f"{abs(value):.1f}".removesuffix(".0")
    return f"{text} point" if text == "1" else f"{text} points"


def _verdict(start: float, mean: float) -> TrendVerdict:
    """IMMPACT (tracker.domain.clinical): better by 2 points or 30%; worse by 2 points."""
    if meaningful_drop(start, mean):
        return "better"
    if mean - start >= MEANINGFUL_DROP_POINTS - _EPSILON:
        return "worse"
    return "about the same"


_NO_VERDICT = {
    "none": lambda v: "No pain check-ins yet.",
    "first_week": lambda v: (
        "Your first week sets your starting level; after it, you will see how your leg pain "
        "compares." if v.viewer_is_client else
        f"{v.Possessive} first week sets the starting level; after it, you will see how "
        "their leg pain compares."),
    "no_start": lambda v: f"There is no check-in from {v.possessive} first week to compare with.",
    "too_few": lambda v: (
        "Check in on at least 3 days a week to see how your leg pain compares with your "
        "first week." if v.viewer_is_client else
        f"With check-ins on at least 3 days a week, {v.client_name}'s leg pain can be "
        "compared with their first week."),
}


def _summary(verdict: TrendVerdict, change: float, voice: Voice) -> str:
    pain = f"{voice.Possessive} leg pain is"
    first_week = f"{voice.their} first week"
    if verdict == "better":
        return f"{pain} {_points(change)} lower than in {first_week}."
    if verdict == "worse":
        advice = ("talk to your therapist or a healthcare provider" if voice.viewer_is_client
                  else f"review the plan with {voice.client_name} and suggest they see a "
                       "healthcare provider")
        return (f"{pain} {_points(change)} higher than in {first_week}; "
                f"if it keeps getting worse, {advice}.")
    if round(change, 1) == 0:
        return f"{pain} about the same as in {first_week}."
    direction = "lower" if change < 0 else "higher"
    return f"{pain} about the same as in {first_week} ({_points(change)} {direction})."


def pain_trend(points: Iterable[PainPoint], plan_start: date, today: date) -> PainTrend:
    """Compare the last 7 days' leg pain with the plan's first week.

    "better" takes a drop of 2 points or 30%, "worse" a rise of 2 points. There is
    no verdict until the first week is over, nor without 3 check-ins in the last 7 days.
    """
    leg = {p.day: p.leg for p in points if p.day <= today}
    start = baseline(leg, plan_start)
    mean = seven_day_mean(leg, today)
    if not leg:
        return PainTrend(start, mean, None, None, "none")
    if today < plan_start + timedelta(days=WINDOW_DAYS):
        return PainTrend(start, mean, None, None, "first_week")
    if start is None:
        return PainTrend(start, mean, None, None, "no_start")
    if mean is None:
        return PainTrend(start, mean, None, None, "too_few")
    return PainTrend(start, mean, mean - start, _verdict(start, mean))


# --------------------------------------------------------------------------- week ahead

@dataclass(frozen=True, slots=True)
class DayPlan:
    """One day of the week ahead: self-care item names, and sessions with their time and
    length ("Deep tissue massage at 10:00 for 60 min"), in order."""

    day: date
    items: tuple[str, ...]  # self-care (everything that is not a session)
    sessions: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.items and not self.sessions


def week_ahead(occurrences: Iterable[Occurrence], today: date) -> list[DayPlan]:
    """Today and the next six days, empty days included."""
    last = today + timedelta(days=6)
    items: dict[date, list[str]] = {day: [] for day in _days(today, last)}
    sessions: dict[date, list[str]] = {day: [] for day in items}
    for occurrence in occurrences:
        if today <= occurrence.date <= last:
            if occurrence.item.is_session:  # when, and how long: booked times included
                sessions[occurrence.date].append(session_line(
                    occurrence.item.name, occurrence.time, occurrence.item.dose.minutes))
            else:
                items[occurrence.date].append(occurrence.item.name)
    return [DayPlan(day, tuple(items[day]), tuple(sessions[day])) for day in items]


# --------------------------------------------------------------------------- calendar

@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One square of the adherence calendar."""

    day: date
    state: str  # "done", "partial", "missed", "skipped" (all of it), "today" (unfinished),
    # "rest" (nothing due) or "future"
    label: str  # for screen readers and tooltips, e.g. "Mon 3 Nov: 4 of 6 done"


def _calendar_state(record: DayRecord | None, day: date, today: date) -> tuple[str, str]:
    if day > today:
        return "future", "not yet"
    text = day_summary(record, today)
    if record is None or record.due <= 0:
        return "rest", text
    if record.all_skipped:
        return "skipped", text
    if record.done >= record.counted:
        return "done", text
    if day == today:
        return "today", text
    return ("partial" if record.done else "missed"), text


def adherence_calendar(
    records: Iterable[DayRecord], first: date, last: date, today: date
) -> list[list[CalendarDay]]:
    """Monday-to-Sunday weeks covering [first, last], each day marked by what was done."""
    by_day = {r.day: r for r in records}
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    weeks: list[list[CalendarDay]] = []
    for day in _days(start, end):
        if day.weekday() == 0:
            weeks.append([])
        state, text = _calendar_state(by_day.get(day), day, today)
        if day < first:
            state, text = "rest", "before the plan"
        weeks[-1].append(CalendarDay(day, state, f"{day:%a} {day.day} {day:%b}: {text}"))
    return weeks
