"""Leg-pain trends that drive symptom-based step-downs, flare-up step-backs and the taper
guard.

Pure: check-ins are a mapping of day -> leg pain 0-10 (one per day); callers
pass `today`. In sciatica the leg pain is the number that matters most, so it is
the pain input here. Function (issue 19) comes as :class:`FunctionScores`: one
questionnaire's complete answers, day -> score, with the instrument that says its MCID and
direction. The thresholds and their sources are in tracker.domain.clinical.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .clinical import (
    FLARE_UP_POINTS,
    MEANINGFUL_DROP_PCT,
    MEANINGFUL_DROP_POINTS,
    MIN_CHECK_INS,
    SYMPTOM_PHASE_MIN_DAYS,
    WINDOW_DAYS,
)
from .instruments import Instrument, Score, change
from .plan_spec import SYMPTOMS, ExitRule

__all__ = ["MIN_CHECK_INS", "WINDOW_DAYS", "FunctionScores", "Verdict", "baseline", "flare_up",
           "function_flare_up", "function_improved", "meaningful_drop", "ready_to_step_down",
           "seven_day_mean", "worse_than_start"]
_EPSILON = 1e-9  # means are floats: 10 * (1 - 0.3) must still count as 7


@dataclass(frozen=True, slots=True)
class Verdict:
    """A yes/no answer with the reason to show; truthy when `ok`."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


def _window(leg_pain: Mapping[date, int], first: date, last: date) -> list[int]:
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [leg_pain[day] for day in days if day in leg_pain]


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def baseline(leg_pain: Mapping[date, int], plan_start: date) -> float | None:
    """Mean leg pain over the plan's first 7 days; None without a check-in."""
    return _mean(_window(leg_pain, plan_start, plan_start + timedelta(days=WINDOW_DAYS - 1)))


def seven_day_mean(leg_pain: Mapping[date, int], today: date) -> float | None:
    """Mean leg pain over the 7 days ending today; None with fewer than 3 check-ins."""
    values = _window(leg_pain, today - timedelta(days=WINDOW_DAYS - 1), today)
    return _mean(values) if len(values) >= MIN_CHECK_INS else None


def meaningful_drop(start: float, mean: float) -> bool:
    """IMMPACT: a drop of 2 points or of 30% from the starting level is clinically
    meaningful (clinical.MEANINGFUL_DROP_POINTS, MEANINGFUL_DROP_PCT)."""
    drop = start - mean
    return (drop >= MEANINGFUL_DROP_POINTS - _EPSILON
            or (start > 0 and drop >= start * MEANINGFUL_DROP_PCT / 100 - _EPSILON))


def ready_to_step_down(rule: ExitRule, leg_pain: Mapping[date, int], plan_start: date,
                       phase_start: date, today: date,
                       function: FunctionScores | None = None) -> Verdict:
    """Whether a symptoms exit is met today.

    The phase has run 7 days (today included), the last 7 days have 3+ check-ins, their
    mean leg pain is a clinically meaningful drop from the starting level (2 points or
    30%), and it meets the therapist's own target: at or below the phase's threshold, or
    ``drop_pct`` percent below the start. A mean under the threshold alone is never enough
    (a client who started at the threshold has not improved). When the rule also requires
    function (``rule.function``), ``function`` must show it improved by at least its MCID
    (:func:`function_improved`); without it the exit is not met.
    """
    pain = _pain_ready(rule, leg_pain, plan_start, phase_start, today)
    if not pain or rule.function is None:
        return pain
    if function is None or function.instrument_id != rule.function.instrument:
        return Verdict(False, f"{pain.reason}, but there are no "
                              f"{_label(rule.function.instrument)} answers to judge function")
    better = function_improved(function, plan_start, today)
    if not better:
        return Verdict(False, f"{pain.reason}, but {better.reason}")
    return Verdict(True, f"{pain.reason}, and {better.reason}")


def _pain_ready(rule: ExitRule, leg_pain: Mapping[date, int], plan_start: date,
                phase_start: date, today: date) -> Verdict:
    if rule.kind != SYMPTOMS:
        return Verdict(False, "this phase does not step down on symptoms")
    if (today - phase_start).days + 1 < SYMPTOM_PHASE_MIN_DAYS:
        return Verdict(False, f"the phase has run for less than {SYMPTOM_PHASE_MIN_DAYS} days")
    mean = seven_day_mean(leg_pain, today)
    if mean is None:
        return Verdict(False, f"fewer than {MIN_CHECK_INS} check-ins in the last 7 days")
    start = baseline(leg_pain, plan_start)
    if start is None:
        return Verdict(False, "no starting pain level to compare with")
    if not meaningful_drop(start, mean):
        return Verdict(False, f"7-day leg pain {mean:.1f} is not yet {MEANINGFUL_DROP_POINTS} "
                              f"points or {MEANINGFUL_DROP_PCT}% below the starting {start:.1f}")
    if rule.threshold is not None and mean <= rule.threshold + _EPSILON:
        return Verdict(True, f"7-day leg pain {mean:.1f} is at or below {rule.threshold:g}, "
                             f"down from {start:.1f}")
    target = start * (100 - rule.drop_pct) / 100
    if mean <= target + _EPSILON:
        return Verdict(True, f"7-day leg pain {mean:.1f} is {rule.drop_pct}% or more "
                             f"below the starting {start:.1f}")
    return Verdict(False, f"7-day leg pain {mean:.1f} has not come down to {target:.1f} yet")


def worse_than_start(leg_pain: Mapping[date, int], plan_start: date, today: date) -> Verdict:
    """Whether the recent trend is worse than the start: after the first week, the 7-day
    mean (3+ check-ins) is above the starting level. Tapering waits while it is."""
    if (today - plan_start).days < WINDOW_DAYS:
        return Verdict(False, "the plan's first week sets the starting level")
    mean, start = seven_day_mean(leg_pain, today), baseline(leg_pain, plan_start)
    if mean is None or start is None:
        return Verdict(False, "too few check-ins to tell")
    if mean > start + _EPSILON:
        return Verdict(True, f"7-day leg pain {mean:.1f} is above the starting {start:.1f}")
    return Verdict(False, f"7-day leg pain {mean:.1f} is not above the starting {start:.1f}")


def flare_up(leg_pain: Mapping[date, int], plan_start: date, today: date) -> Verdict:
    """Whether today's leg pain is a flare-up (clinical.FLARE_UP_POINTS): 2+ points above
    the previous 7 days' mean (with 3+ check-ins there), or, after the first week, 2+
    points above the starting level, or back at the starting level after a week below it.

    Pain that simply stays where it started is not a flare-up: that client has not
    improved (tapering needs improvement), but nothing has flared.
    """
    pain = leg_pain.get(today)
    if pain is None:
        return Verdict(False, "no check-in today")
    previous = _window(leg_pain, today - timedelta(days=WINDOW_DAYS), today - timedelta(days=1))
    mean = sum(previous) / len(previous) if len(previous) >= MIN_CHECK_INS else None
    if mean is not None and pain >= mean + FLARE_UP_POINTS - _EPSILON:
        return Verdict(True, f"leg pain {pain} is {FLARE_UP_POINTS}+ points "
                             f"above last week's {mean:.1f}")
    start = baseline(leg_pain, plan_start)
    if (today - plan_start).days < WINDOW_DAYS or start is None:
        return Verdict(False, "no flare-up")
    if pain >= start + FLARE_UP_POINTS - _EPSILON:
        return Verdict(True, f"leg pain {pain} is {FLARE_UP_POINTS}+ points above the "
                             f"starting level {start:.1f}")
    if mean is not None and mean < start - _EPSILON and pain >= start - _EPSILON:
        return Verdict(True, f"leg pain {pain} is back at the starting level {start:.1f}")
    return Verdict(False, "no flare-up")


# --------------------------------------------------------------------------- function

def _label(instrument_id: str) -> str:
    """How an instrument is named in a reason: its id in capitals ("PSFS", "ODI")."""
    return instrument_id.upper()


@dataclass(frozen=True, slots=True)
class FunctionScores:
    """One questionnaire's complete answers for a client (day -> score, at most one a day)
    and the instrument they answer (its MCID and direction); ``instrument`` None: the rule
    names one this app does not have (a clinic file removed)."""

    instrument_id: str
    instrument: Instrument | None
    scores: Mapping[date, float]

    @property
    def label(self) -> str:
        return _label(self.instrument_id)

    def since(self, plan_start: date, today: date) -> list[tuple[date, float]]:
        """The answers from the plan's start to today, oldest first."""
        return sorted((d, v) for d, v in self.scores.items()
                      if plan_start <= d <= today and v is not None)


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def _change(instrument: Instrument, before: float, after: float):
    whole = len(instrument.items)  # the stored score is of a complete answer
    return change(instrument, Score(instrument.id, before, whole, whole),
                  Score(instrument.id, after, whole, whole))


def _usable(function: FunctionScores) -> Verdict | None:
    """Why the instrument cannot be judged, or None when it can."""
    if function.instrument is None:
        return Verdict(False, f"the {function.label} questionnaire is not available")
    if function.instrument.mcid is None:
        return Verdict(False, f"the {function.label} has no meaningful change (MCID) to judge by")
    return None


def function_improved(function: FunctionScores, plan_start: date, today: date) -> Verdict:
    """Whether function improved by at least the instrument's MCID, from the plan's first
    complete answer to its latest (clinical.FUNCTION_COMPARED_WITH); fewer than two
    answers since the plan started is not met, and says so."""
    unusable = _usable(function)
    if unusable is not None:
        return unusable
    answers, label = function.since(plan_start, today), function.label
    if not answers:
        return Verdict(False, f"no {label} answered since the plan started")
    if len(answers) == 1:
        return Verdict(False, f"only one {label} answered since the plan started "
                              "(a second shows the change)")
    (_, first), (_, latest) = answers[0], answers[-1]
    found = _change(function.instrument, first, latest)
    mcid = function.instrument.mcid.value
    if found.meaningful:
        return Verdict(True, f"{label} function score better by {_points(found.difference)} "
                             f"({first:g} to {latest:g}; {mcid:g} is a meaningful change)")
    return Verdict(False, f"{label} function score not yet better by {_points(mcid)}, a "
                          f"meaningful change ({first:g} to {latest:g})")


def function_flare_up(function: FunctionScores, plan_start: date, today: date) -> Verdict:
    """Whether today's complete answer is worse by at least the instrument's MCID than the
    answer before it or than the plan's first answer (clinical.FUNCTION_COMPARED_WITH).
    Like a pain flare-up it is read on the day it is answered."""
    unusable = _usable(function)
    if unusable is not None:
        return Verdict(False, "no flare-up: " + unusable.reason)
    answers, label = function.since(plan_start, today), function.label
    if not answers or answers[-1][0] != today:
        return Verdict(False, f"no {label} answered today")
    if len(answers) < 2:
        return Verdict(False, "no flare-up")
    latest = answers[-1][1]
    mcid = function.instrument.mcid.value
    for what, before in (("the previous answer", answers[-2][1]),
                         ("the first answer", answers[0][1])):
        found = _change(function.instrument, before, latest)
        if found.worse_meaningful:
            return Verdict(True, f"{label} function score worse by "
                                 f"{_points(-found.difference)} than {what} ({before:g} to "
                                 f"{latest:g}; {mcid:g} is a meaningful change)")
    return Verdict(False, "no flare-up")
