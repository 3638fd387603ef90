"""A client's progress, gathered from the database for the pure progress rules.

Used by the client's /progress page and (later) by the therapist's client page, so both
show the same figures and the same charts.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from tracker import charts, plans, progress, schedule, symptoms, wording
from tracker.models import CheckIn, CheckOff, Plan

WEEKS_SHOWN = 12


@dataclass(frozen=True)
class Report:
    first: date
    today: date
    trend: progress.PainTrend
    pain_chart: Markup
    pain_table: Markup
    adherence_chart: Markup
    adherence: int | None  # percent over the weeks shown
    habit_score: int  # percent
    streak: int
    week: list[progress.DayPlan]
    cards: list[wording.PhaseCard]


def _marks(plan: Plan, first: date, last: date) -> dict:
    rows = CheckOff.select(CheckOff.item_key, CheckOff.day, CheckOff.status).where(
        (CheckOff.plan == plan) & (CheckOff.day.between(first, last))
    )
    return {(r.item_key, r.day): r.status for r in rows}


def pain_points(client, first: date, last: date) -> list[progress.PainPoint]:
    rows = (
        CheckIn.select(CheckIn.day, CheckIn.back_pain, CheckIn.leg_pain)
        .where((CheckIn.client == client) & (CheckIn.day.between(first, last)))
        .order_by(CheckIn.day)
    )
    return [progress.PainPoint(r.day, r.back_pain, r.leg_pain) for r in rows]


def progress_report(plan: Plan, today: date) -> Report:
    """Pain, adherence, habit score, streak, the week ahead and the phases of one plan."""
    first = max(plan.start, today - timedelta(weeks=WEEKS_SHOWN) + timedelta(days=1))
    plan_in = plans.plan_input(plan)
    past = schedule.occurrences(plan_in, first, today)
    ahead = schedule.occurrences(plan_in, today, today + timedelta(days=6))
    records = progress.day_records(past, _marks(plan, first, today), first, today)
    weeks = progress.weekly_adherence(records, first, today)
    points = pain_points(plan.client, plan.start, today)
    baseline = symptoms.baseline({p.day: p.leg for p in points}, plan.start)
    shown = [p for p in points if p.day >= first]
    overall = progress.adherence(records)
    return Report(
        first=first,
        today=today,
        trend=progress.pain_trend(points, plan.start, today),
        pain_chart=charts.pain_chart(shown, first, today, baseline),
        pain_table=charts.pain_table(shown),
        adherence_chart=charts.adherence_chart(weeks),
        adherence=None if overall is None else round(100 * overall),
        habit_score=round(100 * progress.habit_score(records, today)),
        streak=progress.current_streak(records, today),
        week=progress.week_ahead(ahead, today),
        cards=wording.phase_cards(plan_in, today),
    )
