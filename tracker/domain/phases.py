"""What a plan's phases allow on a day (pure): their names, and where a session may move."""
from datetime import date, timedelta

from tracker.domain import schedule

BOOK_AHEAD_DAYS = 120

OUT_OF_WINDOW = "Pick a date from the last week to four months ahead."
OTHER_PHASE = "That date falls in another phase of your plan; ask your therapist to move it."


def names_on(plan: schedule.PlanInput, day: date) -> list[str]:
    """The names of the plan's phases as the plan stands on ``day``, in order."""
    return [phase.name for phase in schedule.spec_on(plan, day).phases]


def booking_refusal(plan: schedule.PlanInput, due: date, booked: date, today: date, *,
                    late_days: int) -> str | None:
    """Why a session due on ``due`` may not be booked for ``booked``, or None if it may.

    A booking stays between ``late_days`` back (as far as a check-off may be made) and four
    months ahead of ``today``, and within the phase the session is due in: moving it into
    another phase changes the plan itself, which is the therapist's call.
    """
    if not today - timedelta(days=late_days) <= booked <= today + timedelta(days=BOOK_AHEAD_DAYS):
        return OUT_OF_WINDOW
    if schedule.phase_on(plan, booked) != schedule.phase_on(plan, due):
        return OTHER_PHASE
    return None
