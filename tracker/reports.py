"""A client's progress, gathered from the database for the pure progress rules.

Used by the client's /progress page and (later) by the therapist's client page, so both
show the same figures and the same charts.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from tracker import charts, library, plans, progress, schedule, symptoms, wording
from tracker import today as today_model
from tracker.models import CheckIn, CheckOff, Plan, PlanEvent

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
    calendar: list[list[progress.CalendarDay]]


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
        calendar=progress.adherence_calendar(records, first, today, today),
    )


@dataclass(frozen=True)
class SafetyNote:
    day: date
    red_flags: tuple[str, ...]  # the questions answered yes, in plain words
    contraindications: tuple[str, ...]


@dataclass(frozen=True)
class History:
    """What the therapist reads between appointments."""

    notes: list[CheckIn]  # check-ins with a note, newest first
    skips: list[tuple[date, str, str]]  # (day, item name, reason label)
    safety: list[SafetyNote]
    events: list[PlanEvent]


HISTORY_DAYS = 90


def history(plan: Plan, today: date) -> History:
    """Notes, skip reasons, red flags and plan changes of the last 90 days (fixed queries)."""
    since = today - timedelta(days=HISTORY_DAYS)
    checkins = list(
        CheckIn.select()
        .where((CheckIn.client == plan.client) & (CheckIn.day >= since))
        .order_by(CheckIn.day.desc())
    )
    names = _item_names(plan, today)
    skips = [
        (c.day, names.get(c.item_key, c.item_key), today_model.SKIP_LABELS.get(c.skip_reason, ""))
        for c in CheckOff.select()
        .where((CheckOff.plan == plan) & (CheckOff.status == CheckOff.SKIPPED)
               & (CheckOff.day >= since))
        .order_by(CheckOff.day.desc())
    ]
    red_flags = {f["key"]: f["question"] for f in library.RED_FLAGS}
    contra = {c["key"]: c["question"] for c in library.CONTRAINDICATIONS}
    safety = [
        SafetyNote(
            c.day,
            tuple(red_flags.get(k, k) for k in c.red_flags),
            tuple(contra.get(k, k) for k in c.contraindications),
        )
        for c in checkins
        if c.red_flags or c.contraindications
    ]
    events = list(plan.events.order_by(PlanEvent.at.desc()).limit(30))
    return History(
        notes=[c for c in checkins if c.note.strip()], skips=skips, safety=safety, events=events
    )


def _item_names(plan: Plan, today: date) -> dict[str, str]:
    """Item keys to names across every phase of the plan as it stands (no query)."""
    spec = schedule.spec_on(plans.plan_input(plan), today)
    return {item.key: item.name for phase in spec.phases for item in phase.items}
