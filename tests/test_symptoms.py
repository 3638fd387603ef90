"""Tests for leg-pain trends: baseline, weekly mean, step-down and flare-up."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tracker.schedule import ExitRule
from tracker.symptoms import (
    MEANINGFUL_CHANGE_POINTS,
    Verdict,
    baseline,
    flare_up,
    ready_to_step_down,
    seven_day_mean,
)

START = date(2024, 1, 1)
PHASE_START = START + timedelta(days=7)  # the second week
WEEK_TWO_END = PHASE_START + timedelta(days=6)  # the phase's 7th day


def day(n: int) -> date:
    return START + timedelta(days=n)


def pain(first_week: list[int], second_week: list[int] | None = None) -> dict[date, int]:
    """Check-ins on consecutive days from START, then from PHASE_START."""
    check_ins = {day(i): value for i, value in enumerate(first_week)}
    check_ins.update({day(7 + i): value for i, value in enumerate(second_week or [])})
    return check_ins


def step_down(rule: ExitRule, check_ins: dict[date, int], today: date = WEEK_TWO_END) -> Verdict:
    return ready_to_step_down(rule, check_ins, START, PHASE_START, today)


BY_THRESHOLD = ExitRule("symptoms", threshold=3.0)
BY_DROP = ExitRule("symptoms", drop_pct=30)


def test_meaningful_change_is_two_points():
    assert MEANINGFUL_CHANGE_POINTS == 2


def test_baseline_is_the_mean_of_the_first_seven_days():
    assert baseline({}, START) is None
    assert baseline({day(7): 9}, START) is None  # day 8 is outside the first week
    assert baseline(pain([8, 6]), START) == 7
    assert baseline({**pain([5] * 7), day(7): 0}, START) == 5


def test_seven_day_mean_needs_three_check_ins():
    today = day(10)
    assert seven_day_mean({day(9): 4, day(10): 6}, today) is None
    assert seven_day_mean({day(3): 9, day(9): 4, day(10): 6}, today) is None  # day 3 is too old
    assert seven_day_mean({day(4): 4, day(9): 4, day(10): 7}, today) == 5


@pytest.mark.parametrize(("second_week", "ready"), [
    ([3] * 7, True),               # mean exactly at the threshold
    ([3, 3, 3, 4, 3], False),      # 3.2: just above
    ([2, 3, 4], True),
])
def test_step_down_at_the_threshold(second_week, ready):
    # a baseline of 4 puts the 30% target at 2.8, so only the threshold can say yes
    verdict = step_down(BY_THRESHOLD, pain([4] * 7, second_week))
    assert bool(verdict) is ready


@pytest.mark.parametrize(("first_week", "second_week", "ready"), [
    ([10] * 7, [7] * 7, True),                 # exactly 30% below 10
    ([10] * 7, [7, 7, 7, 7, 7, 7, 8], False),  # 7.14: 28.6% below
    ([6] * 7, [4, 4, 4, 4, 5], True),          # 4.2 is exactly 30% below 6
    ([6] * 7, [4, 4, 4, 5, 5], False),         # 4.4
])
def test_step_down_at_the_30_percent_drop(first_week, second_week, ready):
    verdict = step_down(BY_DROP, pain(first_week, second_week))
    assert bool(verdict) is ready
    assert ("30% or more below" in verdict.reason) is ready


def test_step_down_needs_a_week_in_the_phase():
    check_ins = pain([8] * 7, [1] * 7)
    assert not step_down(BY_THRESHOLD, check_ins, today=WEEK_TWO_END - timedelta(days=1))
    assert step_down(BY_THRESHOLD, check_ins, today=WEEK_TWO_END)


@pytest.mark.parametrize(("rule", "check_ins", "reason"), [
    (ExitRule("after_weeks", 4), pain([8] * 7, [1] * 7), "does not step down on symptoms"),
    (BY_THRESHOLD, pain([8] * 7, [1, 1]), "fewer than 3 check-ins"),
    (BY_DROP, {day(12): 1, day(13): 1, day(11): 1}, "no starting pain level"),
    (BY_THRESHOLD, pain([6] * 7, [5] * 7), "has not come down to 4.2"),
])
def test_step_down_says_why_not(rule, check_ins, reason):
    verdict = step_down(rule, check_ins)
    assert not verdict and reason in verdict.reason


@pytest.mark.parametrize(("previous", "today", "flare"), [
    ([4, 4, 4], 6, True),      # exactly 2 points above
    ([4, 4, 4], 5, False),
    ([4, 4, 5], 6, False),     # 1.67 above 4.33
    ([4, 4, 5], 7, True),
    ([4, 4], 9, False),        # too few check-ins to compare with
])
def test_flare_up_is_two_points_above_last_week(previous, today, flare):
    # inside the first week, so the baseline rule does not apply
    check_ins = {day(i): value for i, value in enumerate(previous)}
    check_ins[day(len(previous))] = today
    assert bool(flare_up(check_ins, START, day(len(previous)))) is flare


def test_flare_up_when_pain_is_back_at_the_starting_level_after_week_one():
    check_ins = pain([6] * 7, [5, 5, 6])
    assert flare_up(check_ins, START, day(9))
    assert "starting level" in flare_up(check_ins, START, day(9)).reason
    assert not flare_up(pain([6] * 7, [5, 5, 5]), START, day(9))
    early = {day(0): 6, day(1): 5, day(2): 5, day(3): 6}
    assert not flare_up(early, START, day(3))  # first week: no baseline to compare with yet


def test_no_flare_up_without_a_check_in_today():
    verdict = flare_up(pain([2] * 7), START, day(8))
    assert not verdict and verdict.reason == "no check-in today"
