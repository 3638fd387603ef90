"""Tests for the pure schedule engine: examples first, then properties."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain import library
from tracker.domain.plan_spec import (
    ANCHORS,
    CADENCE_KINDS,
    ITEM_KINDS,
    Cadence,
    Dose,
    ExitRule,
    ItemSpec,
    PhaseSpec,
    PlanSpec,
    SpecError,
)
from tracker.domain.schedule import (
    PAUSE_ALL,
    PAUSE_AREA,
    PAUSE_SAFETY,
    PAUSE_SCOPES,
    Completion,
    Hold,
    Move,
    Occurrence,
    Pause,
    PhaseSpan,
    PlanInput,
    Revision,
    Transition,
    auto_transitions,
    next_due,
    occurrences,
    phase_on,
    timeline,
    to_utc,
    waiting_step_down,
)

MON = date(2024, 1, 1)  # a Monday, in a leap year
WEEKLY_MON = Cadence("every_n_weeks", 1, (0,))
DAILY = Cadence("every_n_days", 1)
AFTER_WEEKS_4 = ExitRule("after_weeks", 4)
MANUAL = ExitRule("manual")


def d(month: int, day: int, year: int = 2024) -> date:
    return date(year, month, day)


def item(key: str, cadence: Cadence = DAILY, kind: str = "stretch", at: time | None = None,
         **dose: int | bool) -> ItemSpec:
    return ItemSpec(key, key, key.replace("-", " ").title(), kind, cadence, Dose(**dose), at)


def session(cadence: Cadence, at: time | None = time(10, 0)) -> ItemSpec:
    return item("massage", cadence, "session", at, minutes=60)


def phase(name: str, rule: ExitRule, *items: ItemSpec) -> PhaseSpec:
    return PhaseSpec(name, rule, items)


def plan_of(*phases: PhaseSpec, start: date = MON, **extra) -> PlanInput:
    return PlanInput(start, (Revision(start, PlanSpec(phases)),), **extra)


def days_of(plan: PlanInput, key: str, start: date, end: date) -> list[date]:
    return [o.date for o in occurrences(plan, start, end) if o.item.key == key]


def taper_plan(**extra) -> PlanInput:
    """Weekly massage for 4 weeks, every 2 weeks for 3 sessions, then monthly."""
    return plan_of(
        phase("Acute", AFTER_WEEKS_4, session(WEEKLY_MON),
              item("piriformis", hold_seconds=15, repetitions=3, per_side=True)),
        phase("Taper", ExitRule("after_sessions", 3), session(Cadence("every_n_weeks", 2, (0,))),
              item("piriformis", hold_seconds=30, repetitions=3, per_side=True)),
        phase("Maintenance", MANUAL, session(Cadence("monthly", 1))),
        **extra)


EXAMPLE_SPEC = {"phases": [
    {"name": "Acute",
     "exit": {"kind": "after_weeks", "n": 4},
     "items": [
         {"key": "massage", "technique": "deep-tissue-massage", "name": "Deep tissue massage",
          "kind": "session",
          "cadence": {"kind": "every_n_weeks", "interval": 1, "weekdays": [0],
                      "anchor": "calendar"},
          "dose": {"hold_seconds": None, "repetitions": None, "sets": None, "minutes": 60,
                   "per_side": False},
          "time_of_day": "10:00", "note": ""},
         {"key": "piriformis", "technique": "piriformis-stretch", "name": "Piriformis stretch",
          "kind": "stretch",
          "cadence": {"kind": "every_n_days", "interval": 1, "weekdays": [],
                      "anchor": "calendar"},
          "dose": {"hold_seconds": 15, "repetitions": 3, "sets": None, "minutes": None,
                   "per_side": True},
          "time_of_day": None, "note": "Gently, within comfort"}]},
    {"name": "Maintenance", "exit": {"kind": "manual"}, "items": []},
]}


# --------------------------------------------------------------------------- tapering

def test_weekly_then_every_two_weeks_then_monthly():
    plan = taper_plan()
    assert days_of(plan, "massage", MON, d(7, 31)) == [
        d(1, 1), d(1, 8), d(1, 15), d(1, 22),  # acute: weeks 0-3
        d(2, 5), d(2, 19), d(3, 4),            # taper: weeks 5, 7, 9 (3 sessions)
        d(4, 1), d(5, 1), d(6, 1), d(7, 1),    # monthly from 28 days after the last
    ]
    assert [phase_on(plan, day) for day in (d(1, 28), d(1, 29), d(3, 4), d(3, 5))] == [0, 1, 1, 2]


def test_self_care_dose_progresses_with_the_phase_and_never_skips_a_day():
    found = [o for o in occurrences(taper_plan(), d(1, 27), d(1, 30)) if o.item.key == "piriformis"]
    assert [o.date for o in found] == [d(1, 27), d(1, 28), d(1, 29), d(1, 30)]
    assert [o.dose.hold_seconds for o in found] == [15, 15, 30, 30]
    assert found[0].dose.describe() == "hold 15 s, 3 times, each side"
    assert [o.phase_name for o in found] == ["Acute", "Acute", "Taper", "Taper"]


def test_occurrences_sort_by_time_then_phase_order():
    plan = plan_of(phase("Only", MANUAL, item("b", at=time(18, 0)), item("a"), item("c"),
                         session(WEEKLY_MON, time(9, 30))))
    assert [o.item.key for o in occurrences(plan, MON, MON)] == ["a", "c", "massage", "b"]


@pytest.mark.parametrize(("dose", "text"), [
    (Dose(hold_seconds=30, repetitions=3, per_side=True), "hold 30 s, 3 times, each side"),
    (Dose(minutes=20), "20 min"),
    (Dose(repetitions=1, sets=2), "once, 2 sets"),
    (Dose(), ""),
])
def test_dose_describe(dose, text):
    assert dose.describe() == text


# --------------------------------------------------------------------------- calendar edges

def test_monthly_clamps_to_month_end_without_drifting():
    plan = plan_of(phase("Only", MANUAL, session(Cadence("monthly", 1))), start=d(1, 31, 2023))
    assert days_of(plan, "massage", d(1, 1, 2023), d(6, 30, 2023)) == [
        d(1, 31, 2023), d(2, 28, 2023), d(3, 31, 2023), d(4, 30, 2023), d(5, 31, 2023),
        d(6, 30, 2023)]
    leap = plan_of(phase("Only", MANUAL, session(Cadence("monthly", 1))), start=d(1, 31))
    assert days_of(leap, "massage", d(1, 1), d(3, 31)) == [d(1, 31), d(2, 29), d(3, 31)]


def test_29_february_anchor_and_leap_days():
    yearly = plan_of(phase("Only", MANUAL, session(Cadence("monthly", 12))), start=d(2, 29))
    assert days_of(yearly, "massage", d(1, 1), d(12, 31, 2028)) == [
        d(2, 29), d(2, 28, 2025), d(2, 28, 2026), d(2, 28, 2027), d(2, 29, 2028)]
    thursdays = plan_of(phase("Only", MANUAL, item("t", Cadence("weekly_days", 1, (3,)))))
    assert d(2, 29) in days_of(thursdays, "t", d(2, 20), d(3, 5))
    assert days_of(plan_of(phase("Only", MANUAL, item("s"))), "s", d(2, 28), d(3, 1)) == [
        d(2, 28), d(2, 29), d(3, 1)]


def test_weekly_days_with_an_interval_skips_whole_weeks():
    plan = plan_of(phase("Only", MANUAL, item("w", Cadence("weekly_days", 2, (3, 0)))),
                   start=d(1, 3))  # a Wednesday: first match is Thursday
    assert days_of(plan, "w", d(1, 1), d(1, 31)) == [d(1, 4), d(1, 15), d(1, 18), d(1, 29)]


@pytest.mark.parametrize(("tz", "day", "local", "utc"), [
    ("Europe/London", d(3, 31), time(1, 30), datetime(2024, 3, 31, 1, 30)),   # gap: 02:30 BST
    ("Europe/London", d(10, 27), time(1, 30), datetime(2024, 10, 27, 0, 30)),  # fold: first
    ("America/New_York", d(3, 10), time(2, 30), datetime(2024, 3, 10, 7, 30)),  # gap: 03:30 EDT
    ("America/New_York", d(11, 3), time(1, 30), datetime(2024, 11, 3, 5, 30)),  # fold: first
    ("America/New_York", d(7, 1), time(10, 0), datetime(2024, 7, 1, 14, 0)),
])
def test_to_utc_handles_dst_gaps_and_folds(tz, day, local, utc):
    result = to_utc(day, local, ZoneInfo(tz))
    assert result == utc.replace(tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("tz", "days", "utc_hours"), [
    ("Europe/London", (d(3, 30), d(3, 31), d(4, 1)), [10, 9, 9]),
    ("America/New_York", (d(11, 2), d(11, 3), d(11, 4)), [14, 15, 15]),  # EST from 02:00
])
def test_daily_item_on_dst_days_keeps_its_local_time(tz, days, utc_hours):
    plan = plan_of(phase("Only", MANUAL, item("s", at=time(10, 0))))
    found = occurrences(plan, days[0], days[-1])
    assert [o.date for o in found] == list(days)
    assert [to_utc(o.date, o.time, ZoneInfo(tz)).hour for o in found] == utc_hours


def test_to_utc_rejects_an_aware_time():
    with pytest.raises(SpecError, match="t must be a naive local time"):
        to_utc(MON, time(10, 0, tzinfo=UTC), ZoneInfo("Europe/London"))


# --------------------------------------------------------------------------- pauses

def test_pause_drops_calendar_occurrences_and_delays_after_done_ones():
    plan = plan_of(phase("Only", MANUAL, session(WEEKLY_MON), item("s"),
                         item("ball", Cadence("every_n_days", 7, (), "after_done"))),
                   pauses=(Pause(d(1, 10), d(1, 20)),))
    found = occurrences(plan, MON, d(1, 31))
    assert not [o for o in found if d(1, 10) <= o.date < d(1, 20)]
    assert days_of(plan, "massage", MON, d(1, 31)) == [d(1, 1), d(1, 8), d(1, 22), d(1, 29)]
    assert days_of(plan, "ball", MON, d(1, 31)) == [d(1, 1), d(1, 8), d(1, 20), d(1, 27)]


def test_open_pause_stops_everything():
    plan = plan_of(phase("Only", MANUAL, item("s")), pauses=(Pause(d(1, 5)),))
    assert days_of(plan, "s", MON, d(3, 1)) == [d(1, 1), d(1, 2), d(1, 3), d(1, 4)]
    assert next_due(plan, "s", d(1, 4)) is None


def test_paused_days_extend_an_after_weeks_phase():
    plan = plan_of(phase("A", ExitRule("after_weeks", 2), item("s")), phase("B", MANUAL),
                   pauses=(Pause(d(1, 5), d(1, 8)),))
    assert (phase_on(plan, d(1, 17)), phase_on(plan, d(1, 18))) == (0, 1)


# --------------------------------------------------------------------------- after_done

AFTER_DONE_WEEKLY = Cadence("every_n_days", 7, (), "after_done")


def test_after_done_never_done_is_due_from_the_anchor():
    plan = plan_of(phase("Only", MANUAL, item("ball", AFTER_DONE_WEEKLY)))
    assert days_of(plan, "ball", MON, d(1, 22)) == [d(1, 1), d(1, 8), d(1, 15), d(1, 22)]


def test_after_done_is_due_a_gap_after_the_last_completion():
    plan = plan_of(phase("Only", MANUAL, item("ball", AFTER_DONE_WEEKLY)),
                   completions=(Completion("ball", d(1, 3)),))
    assert days_of(plan, "ball", MON, d(1, 31)) == [d(1, 1), d(1, 10), d(1, 17), d(1, 24),
                                                     d(1, 31)]
    assert next_due(plan, "ball", d(1, 10)) == d(1, 17)


def test_after_done_done_late_shows_the_missed_due_days():
    plan = plan_of(phase("Only", MANUAL, item("ball", AFTER_DONE_WEEKLY)),
                   completions=(Completion("ball", d(1, 1)), Completion("ball", d(1, 19))))
    assert days_of(plan, "ball", MON, d(2, 2)) == [d(1, 1), d(1, 8), d(1, 15), d(1, 26),
                                                    d(2, 2)]


def _nth_monday_plan(ordinal: int, anchor: str = "calendar", **extra) -> PlanInput:
    cadence = Cadence("monthly_weekday", 1, (0,), anchor, ordinal)
    return plan_of(phase("Only", MANUAL, session(cadence)), start=d(1, 2), **extra)


@pytest.mark.parametrize(("ordinal", "mondays"), [
    (1, [d(2, 5), d(3, 4), d(4, 1), d(5, 6)]),
    (4, [d(1, 22), d(2, 26), d(3, 25), d(4, 22), d(5, 27)]),
    (-1, [d(1, 29), d(2, 26), d(3, 25), d(4, 29), d(5, 27)]),
])
def test_monthly_weekday_lands_on_the_nth_weekday_never_a_weekend(ordinal, mondays):
    # the plan starts on Tuesday 2 January, the day after January's 1st Monday
    assert days_of(_nth_monday_plan(ordinal), "massage", MON, d(5, 31)) == mondays


def test_monthly_weekday_every_two_months_and_on_a_friday():
    cadence = Cadence("monthly_weekday", 2, (4,), ordinal=2)
    plan = plan_of(phase("Only", MANUAL, session(cadence)))
    assert days_of(plan, "massage", MON, d(12, 31)) == [
        d(1, 12), d(3, 8), d(5, 10), d(7, 12), d(9, 13), d(11, 8)]


def test_monthly_weekday_skips_a_paused_month_and_keeps_its_day():
    plan = _nth_monday_plan(4, pauses=(Pause(d(2, 20), d(3, 1)),))
    assert days_of(plan, "massage", MON, d(4, 30)) == [d(1, 22), d(3, 25), d(4, 22)]


def test_monthly_weekday_after_done_is_the_next_one_a_month_on():
    # done late on Thursday 1 February: due again on the 4th Monday at least 4 weeks later
    plan = _nth_monday_plan(4, "after_done", completions=(Completion("massage", d(2, 1)),))
    assert days_of(plan, "massage", MON, d(5, 31)) == [d(1, 22), d(3, 25), d(4, 22), d(5, 27)]
    paused = _nth_monday_plan(4, "after_done", pauses=(Pause(d(2, 20), d(3, 1)),))
    assert days_of(paused, "massage", MON, d(4, 30)) == [d(1, 22), d(3, 25), d(4, 22)]


def test_monthly_after_done_counts_months_from_the_completion():
    cadence = Cadence("monthly", 1, (), "after_done")
    plan = plan_of(phase("Only", MANUAL, session(cadence)),
                   completions=(Completion("massage", d(1, 31)),))
    assert days_of(plan, "massage", MON, d(4, 30)) == [d(1, 1), d(2, 29), d(3, 31), d(4, 30)]


# --------------------------------------------------------------------------- moves

def test_moved_session_appears_on_its_new_day_and_time():
    plan = plan_of(phase("Only", MANUAL, session(WEEKLY_MON), item("s")),
                   moves=(Move("massage", d(1, 15), d(1, 17), time(17, 0)),))
    found = [o for o in occurrences(plan, d(1, 14), d(1, 21)) if o.item.key == "massage"]
    assert [(o.date, o.time, o.original_date) for o in found] == [
        (d(1, 17), time(17, 0), d(1, 15))]
    assert [o.item.key for o in occurrences(plan, d(1, 17), d(1, 17))] == ["s", "massage"]
    assert next_due(plan, "massage", d(1, 14)) == d(1, 17)


def test_move_from_outside_the_range_is_found_and_move_into_a_pause_is_dropped():
    moved = Move("massage", d(1, 15), d(1, 11))
    plan = plan_of(phase("Only", MANUAL, session(WEEKLY_MON)), moves=(moved,))
    [found] = occurrences(plan, d(1, 10), d(1, 12))
    assert (found.date, found.time, found.original_date) == (d(1, 11), time(10, 0), d(1, 15))
    paused = replace(plan, pauses=(Pause(d(1, 11), d(1, 12)),))
    assert days_of(paused, "massage", MON, d(1, 31)) == [d(1, 1), d(1, 8), d(1, 22), d(1, 29)]


def test_after_sessions_phase_ends_the_day_after_the_moved_last_session():
    rules = (phase("A", ExitRule("after_sessions", 3), session(WEEKLY_MON)),
             phase("B", MANUAL, session(Cadence("every_n_weeks", 2, (0,)))))
    assert phase_on(plan_of(*rules), d(1, 16)) == 1
    moved = plan_of(*rules, moves=(Move("massage", d(1, 15), d(1, 18)),))
    assert (phase_on(moved, d(1, 18)), phase_on(moved, d(1, 19))) == (0, 1)
    assert days_of(moved, "massage", MON, d(2, 29)) == [
        d(1, 1), d(1, 8), d(1, 18), d(2, 5), d(2, 19)]


# --------------------------------------------------------------------------- revisions

def test_revision_changes_the_dose_from_its_date_and_keeps_the_series():
    before = PlanSpec((phase("Only", MANUAL, item("p", hold_seconds=15)),))
    after = PlanSpec((phase("Only", MANUAL, item("p", hold_seconds=30)),))
    plan = PlanInput(MON, (Revision(MON, before), Revision(d(1, 10), after)))
    found = occurrences(plan, d(1, 8), d(1, 11))
    assert [(o.date, o.dose.hold_seconds) for o in found] == [
        (d(1, 8), 15), (d(1, 9), 15), (d(1, 10), 30), (d(1, 11), 30)]


def test_revision_changing_session_cadence_keeps_the_minimum_gap():
    weekly = PlanSpec((phase("Only", MANUAL, session(WEEKLY_MON)),))
    fortnightly_thu = PlanSpec((phase("Only", MANUAL, session(Cadence("every_n_weeks", 2, (3,)))),))
    plan = PlanInput(MON, (Revision(MON, weekly), Revision(d(1, 17), fortnightly_thu)))
    assert days_of(plan, "massage", MON, d(2, 29)) == [
        d(1, 1), d(1, 8), d(1, 15), d(2, 1), d(2, 15), d(2, 29)]


@pytest.mark.parametrize(("effective", "weeks", "boundary"), [
    (d(3, 1), 4, d(3, 1)),     # the new rule's end (Jan 29) is past: never before the edit
    (d(2, 1), 12, d(3, 25)),   # still ahead: the new rule counts from the phase start
])
def test_revision_changing_the_exit_rule_never_moves_the_past(effective, weeks, boundary):
    manual = PlanSpec((phase("A", MANUAL, item("s")), phase("B", MANUAL)))
    timed = PlanSpec((phase("A", ExitRule("after_weeks", weeks), item("s")), phase("B", MANUAL)))
    plan = PlanInput(MON, (Revision(MON, manual), Revision(effective, timed)))
    before = boundary - timedelta(days=1)
    assert (phase_on(plan, before), phase_on(plan, boundary)) == (0, 1)
    assert auto_transitions(plan, boundary) == [Transition(boundary, 1, f"after {weeks} weeks")]


def test_adding_a_revision_leaves_earlier_occurrences_unchanged():
    plan = taper_plan(completions=(Completion("massage", d(1, 8)),))
    edit = PlanSpec((phase("Only", MANUAL, session(Cadence("weekly_days", 1, (1, 4)))),))
    edited = replace(plan, revisions=plan.revisions + (Revision(d(2, 10), edit),))
    assert occurrences(edited, MON, d(2, 9)) == occurrences(plan, MON, d(2, 9))
    assert occurrences(edited, d(2, 10), d(2, 16)) != occurrences(plan, d(2, 10), d(2, 16))


def test_revision_with_fewer_phases_clamps_to_its_last_phase():
    plan = taper_plan(transitions=(Transition(d(1, 10), 7),))
    assert phase_on(plan, d(1, 10)) == 2  # index 7 clamps to the last phase
    one_phase = PlanSpec((phase("Solo", MANUAL, item("s")),))
    edited = replace(plan, revisions=plan.revisions + (Revision(d(2, 1), one_phase),))
    assert (phase_on(edited, d(1, 31)), phase_on(edited, d(2, 1))) == (2, 0)


# --------------------------------------------------------------------------- transitions

def test_step_down_and_flare_up_step_back_keep_session_spacing():
    plan = plan_of(phase("Weekly", MANUAL, session(WEEKLY_MON)),
                   phase("Monthly", MANUAL, session(Cadence("monthly", 1))),
                   transitions=(Transition(d(1, 29), 1, "step down"),
                                Transition(d(3, 20), 0, "flare-up")))
    assert days_of(plan, "massage", MON, d(4, 10)) == [
        d(1, 1), d(1, 8), d(1, 15), d(1, 22),  # weekly
        d(2, 19), d(3, 19),                    # monthly, 28+ days after the last weekly
        d(4, 1), d(4, 8),                      # weekly again, 7+ days after, on Monday
    ]
    assert timeline(plan, d(4, 2)) == [
        PhaseSpan(0, "Weekly", d(1, 1), d(1, 29), False, False),
        PhaseSpan(1, "Monthly", d(1, 29), d(3, 20), False, False),
        PhaseSpan(0, "Weekly", d(3, 20), None, False, True),
        PhaseSpan(1, "Monthly", None, None, True, False),
    ]


def test_auto_transitions_lists_only_unrecorded_ones():
    plan = taper_plan()
    assert auto_transitions(plan, d(1, 28)) == []
    assert auto_transitions(plan, d(2, 1)) == [Transition(d(1, 29), 1, "after 4 weeks")]
    recorded = taper_plan(transitions=(Transition(d(1, 29), 1, "after 4 weeks"),))
    assert auto_transitions(recorded, d(3, 10)) == [Transition(d(3, 5), 2, "after 3 sessions")]
    assert occurrences(recorded, MON, d(6, 1)) == occurrences(plan, MON, d(6, 1))


def test_recorded_transition_to_the_current_phase_changes_nothing():
    plan = taper_plan()
    noop = taper_plan(transitions=(Transition(d(1, 10), 0, "confirmed"),))
    assert occurrences(noop, MON, d(6, 1)) == occurrences(plan, MON, d(6, 1))


def test_plan_end_stops_everything():
    plan = taper_plan(end=d(2, 1))
    assert max(o.date for o in occurrences(plan, MON, d(12, 31))) == d(1, 31)
    assert next_due(plan, "massage", d(1, 30)) is None
    assert timeline(plan, d(3, 1))[-1] == PhaseSpan(1, "Taper", d(1, 29), d(2, 1), False, False)


# --------------------------------------------------------------------------- timeline

def test_timeline_of_a_time_based_plan_is_certain():
    assert timeline(taper_plan(), d(2, 10)) == [
        PhaseSpan(0, "Acute", d(1, 1), d(1, 29), False, False),
        PhaseSpan(1, "Taper", d(1, 29), d(3, 5), False, True),
        PhaseSpan(2, "Maintenance", d(3, 5), None, False, False),
    ]


@pytest.mark.parametrize(("today", "step_down"), [
    (d(1, 3), d(1, 8)),    # earliest: the phase start + 7 days
    (d(1, 20), d(1, 21)),  # already past that: the day after today
])
def test_timeline_projects_a_symptom_step_down(today, step_down):
    plan = plan_of(phase("Acute", ExitRule("symptoms", threshold=3.0), item("s")),
                   phase("Taper", ExitRule("after_weeks", 4), item("s")),
                   phase("Maintenance", MANUAL))
    assert timeline(plan, today) == [
        PhaseSpan(0, "Acute", d(1, 1), step_down, False, True),
        PhaseSpan(1, "Taper", step_down, step_down + timedelta(weeks=4), True, False),
        PhaseSpan(2, "Maintenance", step_down + timedelta(weeks=4), None, True, False),
    ]
    assert phase_on(plan, d(6, 1)) == 0  # a symptoms exit never moves the plan by itself


def test_timeline_after_a_manual_exit_has_no_dates():
    plan = plan_of(phase("Acute", MANUAL, item("s")), phase("Taper", MANUAL),
                   phase("Maintenance", MANUAL))
    assert timeline(plan, d(1, 5)) == [
        PhaseSpan(0, "Acute", d(1, 1), None, False, True),
        PhaseSpan(1, "Taper", None, None, True, False),
        PhaseSpan(2, "Maintenance", None, None, True, False),
    ]


# --------------------------------------------------------------------------- plan spec

def test_example_spec_round_trips():
    spec = PlanSpec.from_dict(EXAMPLE_SPEC)
    assert spec.to_dict() == EXAMPLE_SPEC
    assert spec.phases[0].items[0].is_session and not spec.phases[0].items[1].is_session
    assert spec.phases[0].items[0].time_of_day == time(10, 0)


def _set(path: str, value):
    """A mutation that sets EXAMPLE_SPEC[path] (dotted, with list indices) to value."""
    def mutate(spec: dict) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target = spec
        for part in parents:
            target = target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return mutate


_DELETE = object()
_ITEM = "phases.0.items.0"


@pytest.mark.parametrize(("mutate", "message", "code"), [
    (_set(f"{_ITEM}.kind", "yoga"), "phases[0].items[0]: kind must be one of", "one_of"),
    (_set(f"{_ITEM}.cadence.kind", "hourly"), "items[0].cadence: kind must be one of", "one_of"),
    (_set(f"{_ITEM}.cadence.anchor", "whenever"), "anchor must be one of", "one_of"),
    (_set("phases.0.exit.kind", "never"), "phases[0].exit: kind must be one of", "one_of"),
    (_set(f"{_ITEM}.cadence.interval", 0),
     "interval must be a whole number from 1 to 52", "whole_number"),
    (_set(f"{_ITEM}.cadence.interval", 53),
     "interval must be a whole number from 1 to 52", "whole_number"),
    (_set(f"{_ITEM}.cadence.interval", "2"), "interval must be a whole number", "whole_number"),
    (_set(f"{_ITEM}.cadence.weekdays", [7]),
     "weekday must be a whole number from 0 to 6", "whole_number"),
    (_set(f"{_ITEM}.cadence.weekdays", [-1]),
     "weekday must be a whole number from 0 to 6", "whole_number"),
    (_set(f"{_ITEM}.cadence.weekdays", []),
     "every_n_weeks needs exactly one weekday", "every_n_weeks_count"),
    (_set(f"{_ITEM}.cadence.weekdays", [0, 3]),
     "every_n_weeks needs exactly one weekday", "every_n_weeks_count"),
    (_set(f"{_ITEM}.cadence", {"kind": "weekly_days", "weekdays": []}),
     "at least one weekday", "weekly_days_count"),
    (_set(f"{_ITEM}.cadence", {"kind": "every_n_days", "weekdays": [1]}),
     "takes no weekdays", "no_weekdays"),
    (_set(f"{_ITEM}.cadence", {"kind": "weekly_days", "weekdays": [1, 1]}),
     "must not repeat", "weekdays_repeat"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [], "ordinal": 4}),
     "monthly_weekday needs exactly one weekday", "monthly_weekday_count"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [0, 2], "ordinal": 4}),
     "monthly_weekday needs exactly one weekday", "monthly_weekday_count"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [0]}),
     "ordinal must be 1, 2, 3, 4 or -1 (the last) (got None)", "ordinal_choice"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [0], "ordinal": 5}),
     "ordinal must be 1, 2, 3, 4 or -1 (the last) (got 5)", "ordinal_choice"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [0], "ordinal": 0}),
     "ordinal must be 1, 2, 3, 4 or -1 (the last) (got 0)", "ordinal_choice"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [0], "ordinal": 4.0}),
     "ordinal must be 1, 2, 3, 4 or -1 (the last) (got 4.0)", "ordinal_choice"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly_weekday", "weekdays": [0], "ordinal": True}),
     "ordinal must be 1, 2, 3, 4 or -1 (the last) (got True)", "ordinal_choice"),
    (_set(f"{_ITEM}.cadence", {"kind": "monthly", "ordinal": 4}),
     "ordinal only applies to monthly_weekday (got 4)", "ordinal_unused"),
    (_set(f"{_ITEM}.key", ""), "key must be a non-empty string", "text_required"),
    (_set("phases.0.items.1.key", "massage"),
     "phases[0]: duplicate item key(s): massage", "duplicate_keys"),
    (_set(f"{_ITEM}.dose.hold_seconds", 0),
     "hold_seconds must be a whole number from 1 to 600", "whole_number"),
    (_set(f"{_ITEM}.dose.hold_seconds", 601),
     "hold_seconds must be a whole number", "whole_number"),
    (_set(f"{_ITEM}.dose.repetitions", 51),
     "repetitions must be a whole number from 1 to 50", "whole_number"),
    (_set(f"{_ITEM}.dose.sets", 0), "sets must be a whole number from 1 to 50", "whole_number"),
    (_set(f"{_ITEM}.dose.minutes", -5),
     "minutes must be a whole number from 1 to 240", "whole_number"),
    (_set(f"{_ITEM}.dose.minutes", 241), "minutes must be a whole number", "whole_number"),
    (_set(f"{_ITEM}.dose.minutes", True), "minutes must be a whole number", "whole_number"),
    (_set(f"{_ITEM}.dose.per_side", "yes"), "per_side must be true or false", "true_or_false"),
    (_set(f"{_ITEM}.time_of_day", "25:00"), 'time_of_day must be "HH:MM"', "time_of_day"),
    (_set(f"{_ITEM}.time_of_day", "9:00"), 'time_of_day must be "HH:MM"', "time_of_day"),
    (_set(f"{_ITEM}.time_of_day", "10:60"), 'time_of_day must be "HH:MM"', "time_of_day"),
    (_set(f"{_ITEM}.time_of_day", ""), 'time_of_day must be "HH:MM"', "time_of_day"),
    (_set(f"{_ITEM}.time_of_day", "09:30:00"), 'time_of_day must be "HH:MM"', "time_of_day"),
    (_set(f"{_ITEM}.time_of_day", 930), 'time_of_day must be "HH:MM"', "time_of_day"),
    (_set(f"{_ITEM}.cadence", _DELETE),
     "phases[0].items[0]: missing field(s): cadence", "missing_fields"),
    (_set(f"{_ITEM}.colour", "red"),
     "phases[0].items[0]: unknown field(s): colour", "unknown_fields"),
    (_set("phases.0.exit", {"kind": "after_weeks"}), "exit: missing field(s): n", "missing_fields"),
    (_set("phases.0.exit.n", 0), "n must be a whole number from 1 to 52", "whole_number"),
    (_set("phases.0.exit", {"kind": "symptoms", "threshold": 11}),
     "threshold must be a number", "threshold_range"),
    (_set("phases.0.exit", {"kind": "symptoms", "drop_pct": 0}),
     "drop_pct must be", "whole_number"),
    (_set("phases.0.exit", {"kind": "manual", "n": 3}),
     "exit: unknown field(s): n", "unknown_fields"),
    (_set("phases.0.name", ""), "phases[0]: name must be a non-empty string", "text_required"),
    (_set("phases.0.name", "Acute\x00"), "name must not contain control characters",
     "text_control"),
    (_set(f"{_ITEM}.note", "Ease in\x1b[31m"), "note must not contain control characters",
     "text_control"),
    (_set("phases", []), "a plan needs 1 to 10 phases (got 0)", "phase_count"),
    (_set("phases", [EXAMPLE_SPEC["phases"][1]] * 11),
     "a plan needs 1 to 10 phases (got 11)", "phase_count"),
    (_set("phases.1.items", [{**EXAMPLE_SPEC["phases"][0]["items"][1], "key": f"k{i}"}
                             for i in range(61)]),
     "phases[1]: a phase holds at most 60 items", "too_many_items"),
    (_set("phases", {"name": "x"}), "phases must be a list", "not_list"),
    (_set(f"{_ITEM}.dose", [60]), "items[0].dose: must be an object", "not_object"),
])
def test_malformed_specs_are_rejected_with_a_clear_message(mutate, message, code):
    spec = copy.deepcopy(EXAMPLE_SPEC)
    mutate(spec)
    with pytest.raises(SpecError, match=re.escape(message)) as raised:
        PlanSpec.from_dict(spec)
    assert raised.value.code == code
    assert str(raised.value).endswith(raised.value.message)


@pytest.mark.parametrize(("build", "message", "code"), [
    (lambda: PlanInput(MON, ()), "at least one revision", "no_revision"),
    (lambda: taper_plan(end=MON), "must be after its start", "plan_end"),
    (lambda: Pause(d(1, 5), d(1, 4)), r"pause ends \(2024-01-04\) before it starts",
     "ends_before_start"),
    (lambda: Hold(d(1, 5), d(1, 4)), r"hold ends \(2024-01-04\) before it starts",
     "ends_before_start"),
    (lambda: Pause(d(1, 5), None, "self_care", frozenset({"piriformis"})),
     "items only apply to an area pause", "area_items_only"),
    (lambda: Pause(d(1, 5), None, "safety", frozenset()),
     "items only apply to an area pause", "area_items_only"),
    (lambda: taper_plan(holds=Hold(d(1, 5))), "holds must be a list", "not_list"),
    (lambda: Transition(MON, 10), "to_phase must be a whole number from 0 to 9", "whole_number"),
])
def test_engine_inputs_are_validated(build, message, code):
    with pytest.raises(SpecError, match=message) as raised:
        build()
    assert raised.value.code == code


def test_holds_are_stored_as_a_tuple():
    assert taper_plan(holds=[Hold(d(1, 5))]).holds == (Hold(d(1, 5)),)  # stored as a tuple


# --------------------------------------------------------------------------- properties

KEYS = ("massage", "piriformis", "ball", "heat")
TIMES = st.none() | st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
# Notes: any text the one free-text policy accepts (line breaks and tabs, no other control).
NOTES = st.text(st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\r\n\t"),
                max_size=5)


def _days(lo: int, hi: int, origin: date = MON) -> st.SearchStrategy[date]:
    return st.integers(lo, hi).map(lambda n: origin + timedelta(days=n))


@st.composite
def cadences(draw, kinds=CADENCE_KINDS, anchors=ANCHORS) -> Cadence:
    kind = draw(st.sampled_from(kinds))
    weekdays: tuple[int, ...] = ()
    if kind == "weekly_days":
        weekdays = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True)))
    elif kind in ("every_n_weeks", "monthly_weekday"):
        weekdays = (draw(st.integers(0, 6)),)
    ordinal = draw(st.sampled_from((1, 2, 3, 4, -1))) if kind == "monthly_weekday" else None
    return Cadence(kind, draw(st.integers(1, 3)), weekdays, draw(st.sampled_from(anchors)),
                   ordinal)


doses = st.builds(Dose, st.none() | st.integers(1, 600), st.none() | st.integers(1, 50),
                  st.none() | st.integers(1, 50), st.none() | st.integers(1, 240), st.booleans())
timed_exits = st.one_of(st.builds(ExitRule, st.just("after_weeks"), st.integers(1, 8)),
                        st.builds(ExitRule, st.just("after_sessions"), st.integers(1, 5)))
exit_rules = st.one_of(
    timed_exits, timed_exits,  # twice: phases that move on by themselves matter most
    st.builds(ExitRule, st.just("symptoms"), st.none(),
              st.none() | st.floats(0, 10, allow_nan=False), st.integers(1, 100)),
    st.just(MANUAL),
)


@st.composite
def phases(draw, name: str) -> PhaseSpec:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=0, max_size=4, unique=True))
    items = tuple(ItemSpec(key, key, key.title(), draw(st.sampled_from(ITEM_KINDS)),
                           draw(cadences()), draw(doses), draw(TIMES), draw(NOTES))
                  for key in keys)
    return PhaseSpec(name, draw(exit_rules), items)


@st.composite
def plan_specs(draw, min_phases: int = 1) -> PlanSpec:
    count = draw(st.integers(min_phases, 3))
    return PlanSpec(tuple(draw(phases(f"Phase {i}")) for i in range(count)))


@st.composite
def moves(draw, start: date, postpone_only: bool) -> Move:
    original = draw(_days(0, 250, start))
    shift = draw(st.integers(0 if postpone_only else -6, 10))
    return Move(draw(st.sampled_from(KEYS)), original, original + timedelta(days=shift),
                draw(TIMES))


@st.composite
def plans(draw, postpone_only: bool = False) -> PlanInput:
    start = draw(_days(-200, 500))
    revisions = [Revision(start, draw(plan_specs(min_phases=2)))]
    revisions += [Revision(day, draw(plan_specs()))
                  for day in draw(st.lists(_days(1, 200, start), max_size=2))]
    pause = st.builds(lambda s, n: Pause(s, None if n is None else s + timedelta(days=n)),
                      _days(0, 250, start), st.none() | st.integers(1, 30))
    return PlanInput(
        start, tuple(revisions),
        transitions=tuple(draw(st.lists(
            st.builds(Transition, _days(0, 250, start), st.integers(0, 3)), max_size=2))),
        pauses=tuple(draw(st.lists(pause, max_size=2))),
        completions=tuple(draw(st.lists(
            st.builds(Completion, st.sampled_from(KEYS), _days(-10, 250, start)), max_size=6))),
        moves=tuple(draw(st.lists(moves(start, postpone_only), max_size=2))),
        end=draw(st.none() | _days(30, 400, start)),
    )


def _spec_in_force(plan: PlanInput, day: date) -> PlanSpec:
    ordered = sorted(plan.revisions, key=lambda r: r.effective_from)
    in_force = [r for r in ordered if r.effective_from <= day] or ordered[:1]
    return in_force[-1].spec


def _paused(plan: PlanInput, day: date) -> bool:
    return any(p.start <= day and (p.end is None or day < p.end) for p in plan.pauses)


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(plans(), st.integers(-5, 250), st.integers(0, 90))
def test_occurrences_are_sorted_unique_in_range_and_in_the_phase_in_force(plan, offset, length):
    start = plan.start + timedelta(days=offset)
    end = start + timedelta(days=length)
    found = occurrences(plan, start, end)
    keys = [(o.date, o.time or time(0)) for o in found]
    assert keys == sorted(keys)
    assert len({(o.item.key, o.date) for o in found}) == len(found)
    for o in found:
        assert start <= o.date <= end and o.date >= plan.start
        assert plan.end is None or o.date < plan.end
        assert not _paused(plan, o.date)
        assert o.phase_index == phase_on(plan, o.date)
        if o.original_date is None:
            in_force = _spec_in_force(plan, o.date).phase(o.phase_index)
            assert o.item in in_force.items and o.phase_name == in_force.name


@PROPERTY
@given(plans(), st.integers(0, 200), st.integers(0, 60), st.integers(0, 60))
def test_splitting_the_range_changes_nothing(plan, offset, first, second):
    a = plan.start + timedelta(days=offset)
    b, c = a + timedelta(days=first), a + timedelta(days=first + 1 + second)
    whole = occurrences(plan, a, c)
    assert whole == occurrences(plan, a, b) + occurrences(plan, b + timedelta(days=1), c)


@PROPERTY
@given(plans(), st.integers(-5, 250), st.sampled_from(KEYS))
def test_next_due_is_the_first_later_occurrence(plan, offset, key):
    after = plan.start + timedelta(days=offset)
    later = days_of(plan, key, after + timedelta(days=1), after + timedelta(days=400))
    due = next_due(plan, key, after)
    if later:
        assert due == later[0]
    else:
        assert due is None or due > after + timedelta(days=400)


@PROPERTY
@given(plans(postpone_only=True), st.integers(1, 300), plan_specs())
def test_adding_a_revision_never_changes_what_came_before(plan, offset, spec):
    effective = plan.start + timedelta(days=offset)
    edited = replace(plan, revisions=plan.revisions + (Revision(effective, spec),))
    day_before = effective - timedelta(days=1)
    assert occurrences(edited, plan.start, day_before) == occurrences(plan, plan.start, day_before)
    for day in (plan.start, day_before):
        assert phase_on(edited, day) == phase_on(plan, day)


@PROPERTY
@given(plans(), _days(0, 250), st.integers(1, 40))
def test_a_paused_span_has_no_occurrences(plan, pause_start, length):
    pause_start = plan.start + (pause_start - MON)
    pause_end = pause_start + timedelta(days=length)
    paused = replace(plan, pauses=plan.pauses + (Pause(pause_start, pause_end),))
    assert occurrences(paused, pause_start, pause_end - timedelta(days=1)) == []


def _is_the_nth_weekday(day: date, cadence: Cadence) -> bool:
    if day.weekday() != cadence.weekdays[0]:
        return False
    if cadence.ordinal == -1:
        return (day + timedelta(days=7)).month != day.month
    return (day.day - 1) // 7 + 1 == cadence.ordinal


@st.composite
def nth_weekday_plans(draw) -> PlanInput:
    """Plans whose items all repeat monthly on the Nth weekday, with everything else random."""
    plan = draw(plans())
    def monthly(spec: PlanSpec) -> PlanSpec:
        return PlanSpec(tuple(replace(p, items=tuple(
            replace(i, cadence=draw(cadences(kinds=("monthly_weekday",)))) for i in p.items))
            for p in spec.phases))
    holds = st.builds(lambda s, n: Hold(s, None if n is None else s + timedelta(days=n)),
                      _days(0, 250, plan.start), st.none() | st.integers(1, 40))
    return replace(plan, revisions=tuple(Revision(r.effective_from, monthly(r.spec))
                                         for r in plan.revisions),
                   holds=tuple(draw(st.lists(holds, max_size=2))))


@PROPERTY
@given(nth_weekday_plans(), st.integers(-5, 400), st.integers(0, 400))
def test_monthly_weekday_occurrences_are_that_weekday_and_ordinal(plan, offset, length):
    start = plan.start + timedelta(days=offset)
    found = occurrences(plan, start, start + timedelta(days=length))
    for o in found:
        assert not _paused(plan, o.date) and o.phase_index == phase_on(plan, o.date)
        if o.original_date is None:  # a moved occurrence is on the day it was moved to
            assert _is_the_nth_weekday(o.date, o.item.cadence), (o.date, o.item.cadence)
            assert o.item in _spec_in_force(plan, o.date).phase(o.phase_index).items


@PROPERTY
@given(cadences(kinds=("monthly_weekday",), anchors=("calendar",)), _days(0, 3000))
def test_monthly_weekday_calendar_series_has_one_a_month(cadence, start):
    plan = plan_of(phase("Only", MANUAL, item("s", cadence)), start=start)
    found = days_of(plan, "s", start, start + timedelta(days=400))
    assert all(_is_the_nth_weekday(day, cadence) for day in found)
    months = [day.year * 12 + day.month for day in found]
    assert all(b - a == cadence.interval for a, b in pairwise(months))
    assert found and found[0] - start < timedelta(days=31 * cadence.interval + 7)


@st.composite
def tapering_plans(draw) -> PlanInput:
    """Plans whose session minimum gap never shrinks from one phase to the next,
    moving on by time or session count only (no recorded step-backs)."""
    count = draw(st.integers(2, 4))
    cadence_list = sorted((draw(cadences()) for _ in range(count)), key=lambda c: c.min_gap)
    steps = st.one_of(st.builds(ExitRule, st.just("after_weeks"), st.integers(1, 6)),
                      st.builds(ExitRule, st.just("after_sessions"), st.integers(1, 4)))
    spec = PlanSpec(tuple(
        phase(f"P{i}", MANUAL if i == count - 1 else draw(steps), session(cadence), item("s"))
        for i, cadence in enumerate(cadence_list)))
    start = draw(_days(0, 400))
    pause = st.builds(lambda s, n: Pause(s, s + timedelta(days=n)),
                      _days(0, 300, start), st.integers(1, 30))
    done = st.builds(Completion, st.just("massage"), _days(-20, 400, start))
    return PlanInput(start, (Revision(start, spec),),
                     pauses=tuple(draw(st.lists(pause, max_size=2))),
                     completions=tuple(draw(st.lists(done, max_size=5))))


@PROPERTY
@given(tapering_plans())
def test_session_gaps_never_shrink_in_a_tapering_plan(plan):
    sessions = [o for o in occurrences(plan, plan.start, plan.start + timedelta(days=730))
                if o.item.is_session]
    for earlier, later in pairwise(sessions):
        gap = (later.date - earlier.date).days
        # tapering: the later phase's minimum gap is at least the earlier phase's
        assert later.item.cadence.min_gap >= earlier.item.cadence.min_gap
        assert gap >= later.item.cadence.min_gap, (earlier, later)


@settings(max_examples=100, deadline=None)
@given(plan_specs())
def test_plan_spec_round_trips_through_json(spec):
    stored = json.loads(json.dumps(spec.to_dict()))
    assert PlanSpec.from_dict(stored) == spec
    assert PlanSpec.from_dict(stored).to_dict() == stored


def test_occurrence_is_frozen():
    [first, *_] = occurrences(taper_plan(), MON, MON)
    assert isinstance(first, Occurrence)
    with pytest.raises(AttributeError, match="cannot assign to field 'date'"):
        first.date = d(1, 2)  # type: ignore[misc]


# --- partial pauses (self-care, sessions, a treated-area problem) --------------------------


def _acute(start):
    spec = PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    return PlanInput(start=start, revisions=(Revision(start, spec),))


@pytest.mark.parametrize(
    "scope, sessions_left, self_care_left",
    [("self_care", True, False), ("sessions", False, True), ("all", False, False),
     ("area", False, False)],
)
def test_a_partial_pause_drops_only_its_kind(scope, sessions_left, self_care_left):
    start = date(2026, 11, 16)
    plan = _acute(start)
    paused = replace(plan, pauses=(Pause(start, date(2026, 11, 30), scope),))
    inside = occurrences(paused, start, date(2026, 11, 29))
    assert any(o.item.is_session for o in inside) is sessions_left
    assert any(not o.item.is_session for o in inside) is self_care_left
    after = date(2026, 11, 30)
    assert occurrences(paused, after, after + timedelta(days=7)) == occurrences(
        plan, after, after + timedelta(days=7)
    )


def test_an_unknown_pause_scope_is_refused():
    assert PAUSE_SCOPES == ("all", "self_care", "sessions", "safety", "area")
    with pytest.raises(SpecError, match=r"scope must be one of all, self_care, sessions, "
                                        r"safety, area \(got 'everything'\)") as raised:
        Pause(date(2026, 1, 1), None, "everything")
    assert (raised.value.code, raised.value.field) == ("one_of", "scope")


# --- the taper guard: holds and pauses defer an automatic step ------------------------------
# The acute template from MON: Acute (after 4 weeks: Jan 29), Improving (after 6 weeks),
# Maintenance. Its items: a weekly Monday massage and daily self-care.

ACUTE_SELF_CARE = {"piriformis", "knee-to-chest", "forward-bend", "heat", "trigger-point", "ice"}
STEP_DUE = d(1, 29)  # 4 weeks after MON


def _acute_on(start: date = MON, **extra) -> PlanInput:
    spec = PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    return PlanInput(start, (Revision(start, spec),), **extra)


def _keys(plan: PlanInput, first: date, last: date) -> set[str]:
    return {o.item.key for o in occurrences(plan, first, last)}


def test_an_unheld_acute_plan_steps_down_after_4_and_6_weeks():
    plan = _acute_on()
    assert auto_transitions(plan, d(12, 31)) == [
        Transition(STEP_DUE, 1, "after 4 weeks"), Transition(d(3, 11), 2, "after 6 weeks")]
    assert waiting_step_down(plan, d(2, 10)) is None


def test_an_open_hold_over_the_step_keeps_the_phase_and_says_since_when():
    plan = _acute_on(holds=(Hold(d(1, 20)),))
    assert [phase_on(plan, day) for day in (d(1, 28), STEP_DUE, d(2, 10), d(12, 31))] == [
        0, 0, 0, 0]
    assert timeline(plan, d(2, 10)) == [
        PhaseSpan(0, "Acute", MON, None, False, True, waiting_since=STEP_DUE),
        PhaseSpan(1, "Improving", None, None, True, False),
        PhaseSpan(2, "Maintenance", None, None, True, False),
    ]
    assert auto_transitions(plan, d(12, 31)) == []
    assert waiting_step_down(plan, d(2, 10)) == STEP_DUE
    assert waiting_step_down(plan, STEP_DUE) == STEP_DUE
    # before the step falls due there is nothing to wait for yet
    assert waiting_step_down(plan, STEP_DUE - timedelta(days=1)) is None
    assert timeline(plan, d(1, 25))[0].waiting_since is None
    # the hold changes no item: the weekly massage and daily self-care go on
    assert days_of(plan, "massage", STEP_DUE, d(2, 19)) == [
        d(1, 29), d(2, 5), d(2, 12), d(2, 19)]
    assert _keys(plan, d(1, 20), d(2, 19)) == ACUTE_SELF_CARE | {"massage"}


def test_the_step_happens_on_the_day_the_hold_ends():
    end = d(2, 5)
    plan = _acute_on(holds=(Hold(d(1, 20), end),))
    assert (phase_on(plan, end - timedelta(days=1)), phase_on(plan, end)) == (0, 1)
    assert auto_transitions(plan, d(12, 31)) == [
        Transition(end, 1, "after 4 weeks (after a pause or review)"),
        Transition(end + timedelta(weeks=6), 2, "after 6 weeks"),  # counted from the step
    ]
    assert waiting_step_down(plan, end - timedelta(days=1)) == STEP_DUE
    assert waiting_step_down(plan, end) is None
    assert timeline(plan, d(2, 10)) == [
        PhaseSpan(0, "Acute", MON, end, False, False),
        PhaseSpan(1, "Improving", end, d(3, 18), False, True),
        PhaseSpan(2, "Maintenance", d(3, 18), None, False, False),
    ]
    assert [o.phase_name for o in occurrences(plan, d(2, 4), d(2, 5))
            if o.item.key == "piriformis"] == ["Acute", "Improving"]


@pytest.mark.parametrize(("hold", "step"), [
    (Hold(STEP_DUE, d(2, 1)), d(2, 1)),  # a hold from the due day itself holds it
    (Hold(d(1, 10), STEP_DUE), STEP_DUE),  # `end` is exclusive: over the day before
    (Hold(d(1, 10), d(1, 20)), STEP_DUE),  # over and done before the step
    (Hold(d(1, 10), d(1, 10)), STEP_DUE),  # empty
])
def test_hold_edges(hold, step):
    plan = _acute_on(holds=(hold,))
    assert auto_transitions(plan, d(3, 1))[0].on == step


def test_touching_and_overlapping_holds_and_pauses_hold_as_one():
    plan = _acute_on(holds=(Hold(d(1, 25), d(2, 1)), Hold(d(2, 1), d(2, 8))),
                     pauses=(Pause(d(2, 5), d(2, 12), PAUSE_AREA),))
    assert auto_transitions(plan, d(3, 1))[0].on == d(2, 12)


@pytest.mark.parametrize("end", [d(2, 20), None])
def test_a_hold_that_starts_after_the_step_keeps_the_history(end):
    plain = _acute_on()
    plan = _acute_on(holds=(Hold(d(1, 30), end),))
    assert auto_transitions(plan, d(3, 10)) == auto_transitions(plain, d(3, 10)) == [
        Transition(STEP_DUE, 1, "after 4 weeks")]
    assert occurrences(plan, MON, d(3, 10)) == occurrences(plain, MON, d(3, 10))
    assert timeline(plan, d(2, 10))[0] == PhaseSpan(0, "Acute", MON, STEP_DUE, False, False)


def test_a_closed_hold_between_the_steps_changes_nothing():
    plain = _acute_on()
    plan = _acute_on(holds=(Hold(d(1, 30), d(2, 20)),))
    assert timeline(plan, d(2, 10)) == timeline(plain, d(2, 10))
    assert occurrences(plan, MON, d(12, 31)) == occurrences(plain, MON, d(12, 31))


def test_an_open_hold_after_the_first_step_holds_the_next_one():
    plan = _acute_on(holds=(Hold(d(1, 30)),))
    assert timeline(plan, d(3, 20)) == [
        PhaseSpan(0, "Acute", MON, STEP_DUE, False, False),
        PhaseSpan(1, "Improving", STEP_DUE, None, False, True, waiting_since=d(3, 11)),
        PhaseSpan(2, "Maintenance", None, None, True, False),
    ]
    assert waiting_step_down(plan, d(3, 20)) == d(3, 11)


def test_a_hold_defers_an_after_sessions_step_too():
    plain = taper_plan()  # Taper: 3 sessions, every 2 weeks from Feb 5: ends Mar 5
    assert auto_transitions(plain, d(6, 1))[1] == Transition(d(3, 5), 2, "after 3 sessions")
    plan = taper_plan(holds=(Hold(d(3, 1), d(3, 20)),))
    assert auto_transitions(plan, d(6, 1))[1] == Transition(
        d(3, 20), 2, "after 3 sessions (after a pause or review)")
    assert waiting_step_down(plan, d(3, 10)) == d(3, 5)
    # held in the fortnightly phase: the session of Mar 18 is still due
    assert days_of(plan, "massage", d(3, 5), d(3, 19)) == [d(3, 18)]


@pytest.mark.parametrize(("items", "paused"), [
    (frozenset({"piriformis"}), {"massage", "piriformis"}),
    (frozenset({"piriformis", "heat", "no-such-item"}), {"massage", "piriformis", "heat"}),
    (frozenset(), {"massage"}),  # no self-care works there: only sessions
    (None, ACUTE_SELF_CARE | {"massage"}),  # area not said: all of it
])
def test_an_area_pause_drops_sessions_and_the_self_care_working_there(items, paused):
    pause = Pause(d(1, 8), None, PAUSE_AREA, items)
    plan = _acute_on(pauses=(pause,))
    assert _keys(plan, d(1, 8), d(1, 21)) == (ACUTE_SELF_CARE | {"massage"}) - paused
    assert _keys(plan, MON, d(1, 7)) == ACUTE_SELF_CARE | {"massage"}  # before it: all
    inside = Occurrence(d(1, 8), None, plan.revisions[0].spec.phases[0].items[1], 0, "Acute")
    assert pause.covers(inside) is (items is None or "piriformis" in items)


def test_an_area_pause_holds_the_step_but_does_not_stretch_the_phase():
    closed = _acute_on(pauses=(Pause(d(1, 8), d(1, 15), PAUSE_AREA),))
    assert auto_transitions(closed, d(3, 1))[0] == Transition(STEP_DUE, 1, "after 4 weeks")
    over = _acute_on(pauses=(Pause(d(1, 22), d(2, 2), PAUSE_AREA, frozenset({"heat"})),))
    assert auto_transitions(over, d(3, 1))[0] == Transition(
        d(2, 2), 1, "after 4 weeks (after a pause or review)")
    open_ = _acute_on(pauses=(Pause(d(1, 22), None, PAUSE_AREA),))
    assert phase_on(open_, d(6, 1)) == 0 and waiting_step_down(open_, d(6, 1)) == STEP_DUE


@pytest.mark.parametrize("end", [d(1, 17), None])
def test_a_safety_pause_stops_everything(end):
    plan = _acute_on(pauses=(Pause(d(1, 10), end, PAUSE_SAFETY),))
    last = d(1, 16) if end else d(12, 31)
    assert occurrences(plan, d(1, 10), last) == []
    assert next_due(plan, "massage", d(1, 9)) == (d(1, 22) if end else None)


def test_a_safety_pause_stretches_an_after_weeks_phase_like_a_pause_of_everything():
    safety = _acute_on(pauses=(Pause(d(1, 10), d(1, 17), PAUSE_SAFETY),))
    everything = _acute_on(pauses=(Pause(d(1, 10), d(1, 17), PAUSE_ALL),))
    resumed = STEP_DUE + timedelta(days=7)  # by the 7 paused days
    assert (phase_on(safety, resumed - timedelta(days=1)), phase_on(safety, resumed)) == (0, 1)
    assert auto_transitions(safety, d(12, 31)) == [
        Transition(resumed, 1, "after 4 weeks"), Transition(d(3, 18), 2, "after 6 weeks")]
    assert occurrences(safety, MON, d(12, 31)) == occurrences(everything, MON, d(12, 31))
    assert timeline(safety, d(2, 1)) == timeline(everything, d(2, 1))
    assert waiting_step_down(safety, d(2, 1)) is None  # the clock stopped: nothing is late


def test_an_open_safety_pause_stops_the_clock():
    plan = _acute_on(pauses=(Pause(d(1, 10), None, PAUSE_SAFETY),))
    assert phase_on(plan, d(12, 31)) == 0 and auto_transitions(plan, d(12, 31)) == []
    assert waiting_step_down(plan, d(3, 1)) is None
    # from the due day on it holds instead: the step is late and waits
    late = _acute_on(pauses=(Pause(STEP_DUE, None, PAUSE_SAFETY),))
    assert waiting_step_down(late, d(3, 1)) == STEP_DUE


def _covered(plan: PlanInput, day: date) -> bool:
    return any(s.start <= day and (s.end is None or day < s.end)
               for s in (*plan.holds, *plan.pauses))


@st.composite
def held_plans(draw) -> PlanInput:
    """Plans that move on by time or session count, with holds and pauses of any scope."""
    count = draw(st.integers(2, 4))
    steps = st.one_of(st.builds(ExitRule, st.just("after_weeks"), st.integers(1, 6)),
                      st.builds(ExitRule, st.just("after_sessions"), st.integers(1, 4)))
    spec = PlanSpec(tuple(
        phase(f"P{i}", MANUAL if i == count - 1 else draw(steps), session(WEEKLY_MON),
              item("s"), item("p", Cadence("weekly_days", 1, (1, 4))))
        for i in range(count)))
    start = draw(_days(0, 60))
    length = st.none() | st.integers(0, 40)
    # early and often: the first steps fall within about 100 days
    hold = st.builds(lambda s, n: Hold(s, None if n is None else s + timedelta(days=n)),
                     _days(0, 100, start), length)
    pause = st.builds(
        lambda s, n, scope, items: Pause(s, None if n is None else s + timedelta(days=n), scope,
                                         items if scope == PAUSE_AREA else None),
        _days(0, 120, start), length, st.sampled_from(PAUSE_SCOPES),
        st.none() | st.just(frozenset({"s"})))
    return PlanInput(start, (Revision(start, spec),),
                     holds=tuple(draw(st.lists(hold, min_size=1, max_size=3))),
                     pauses=tuple(draw(st.lists(pause, max_size=2))))


@PROPERTY
@given(held_plans(), st.integers(0, 300))
def test_no_automatic_step_lands_on_a_held_or_paused_day(plan, offset):
    today = plan.start + timedelta(days=offset)
    steps = auto_transitions(plan, plan.start + timedelta(days=400))
    for step in steps:
        assert not _covered(plan, step.on), step
    spans = timeline(plan, today)
    for span in spans[1:]:
        if span.start is not None:
            assert not _covered(plan, span.start), span
    (current,) = [s for s in spans if s.current] or [None]
    waiting = waiting_step_down(plan, today)
    assert waiting == (current.waiting_since if current else None)
    if waiting is not None:
        assert waiting <= today and _covered(plan, waiting) and _covered(plan, today)
        assert phase_on(plan, today) == phase_on(plan, waiting) == current.phase_index


@PROPERTY
@given(held_plans())
def test_holds_only_ever_delay_a_step(plan):
    unheld = replace(plan, holds=())
    far = plan.start + timedelta(days=400)
    held_steps, plain_steps = auto_transitions(plan, far), auto_transitions(unheld, far)
    for held, plain in zip(held_steps, plain_steps, strict=False):
        assert held.to_phase == plain.to_phase and held.on >= plain.on
    assert len(held_steps) <= len(plain_steps)
    # before the first hold nothing changes
    first = min((h.start for h in plan.holds), default=far)
    last = first - timedelta(days=1)
    assert occurrences(plan, plan.start, last) == occurrences(unheld, plan.start, last)


def test_a_weekday_of_the_month_after_a_pause_keeps_its_whole_gap():
    """Found by the tapering property: every 3 months on the 4th Monday, after the session,
    and a pause over the October one. The chain restarts on 25 November (the first 4th
    Monday after the pause), so the next is 3 months after that, not after the pause's end."""
    quarterly = Cadence("monthly_weekday", 3, (0,), "after_done", ordinal=4)
    plan = plan_of(phase("P", MANUAL, session(quarterly)), start=date(2024, 1, 1),
                   pauses=(Pause(date(2024, 9, 29), date(2024, 10, 29)),))
    days = [o.date for o in occurrences(plan, date(2024, 10, 1), date(2025, 6, 1))]
    assert days == [date(2024, 11, 25), date(2025, 2, 24), date(2025, 5, 26)]
