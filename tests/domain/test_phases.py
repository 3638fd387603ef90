"""Phase names and the booking rule (tracker.domain.phases): pure, no app."""
from datetime import date, timedelta

import pytest

from tracker.domain import library, schedule
from tracker.domain.phases import OTHER_PHASE, OUT_OF_WINDOW, booking_refusal, names_on

START = date(2026, 1, 5)  # a Monday; the acute plan's phases change on days 28 and 70
LATE_DAYS = 7


def acute_plan() -> schedule.PlanInput:
    spec = schedule.PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    return schedule.PlanInput(START, (schedule.Revision(START, spec),))


def day(n: int) -> date:
    return START + timedelta(days=n)


def test_names_on_lists_the_phases_in_order():
    assert names_on(acute_plan(), START) == ["Acute", "Improving", "Maintenance"]


@pytest.mark.parametrize("due, booked, today", [
    (day(0), day(0), day(0)),  # the day it is due
    (day(7), day(27), day(7)),  # later, the last day of the same phase
    (day(35), day(28), day(35)),  # earlier, the first day of the same phase, a week back
])
def test_a_session_may_move_within_its_phase(due, booked, today):
    assert booking_refusal(acute_plan(), due, booked, today, late_days=LATE_DAYS) is None


@pytest.mark.parametrize("due, booked", [
    (day(21), day(28)),  # into the next phase
    (day(28), day(27)),  # back into the one before
])
def test_a_session_may_not_move_into_another_phase(due, booked):
    assert booking_refusal(acute_plan(), due, booked, day(21),
                           late_days=LATE_DAYS) == OTHER_PHASE


@pytest.mark.parametrize("booked", [day(80 - 8), day(80 + 121)])
def test_a_booking_stays_from_a_week_back_to_four_months_ahead(booked):
    assert booking_refusal(acute_plan(), day(80), booked, day(80),
                           late_days=LATE_DAYS) == OUT_OF_WINDOW
