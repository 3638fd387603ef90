"""A client's progress, gathered from the database for the pure progress rules.

Used by the client's /progress page and (later) by the therapist's client page, so both
show the same figures and the same charts.
"""
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from markupsafe import Markup
from peewee import fn

from tracker.domain import charts, progress, roster, schedule, sparkline, symptoms, wording
from tracker.domain import day as today_model
from tracker.domain import safety as safety_rules
from tracker.domain.instruments import BUILT_IN, Instrument
from tracker.store import outcomes, plans, safety_reports
from tracker.store.models import CheckIn, CheckOff, Plan, PlanEvent, SafetyCheck, User

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
    skips: str = ""  # the period's skips by reason: "6 skipped (no time)"


def _marks(plan: Plan, first: date, last: date) -> tuple[dict, dict]:
    """(item key, day) to "done" / "skipped", and each skip to its reason."""
    rows = CheckOff.select(CheckOff.item_key, CheckOff.day, CheckOff.status,
                           CheckOff.skip_reason).where(
        (CheckOff.plan == plan) & (CheckOff.day.between(first, last))
    )
    marks, reasons = {}, {}
    for r in rows:
        marks[(r.item_key, r.day)] = r.status
        if r.status == CheckOff.SKIPPED:
            reasons[(r.item_key, r.day)] = r.skip_reason
    return marks, reasons


def _skips(records) -> str:
    """All the skips of these days by reason, in words."""
    counts: dict = defaultdict(int)
    for record in records:
        for reason, n in record.skip_reasons:
            counts[reason] += n
    return today_model.skip_summary(counts)


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
    marks, reasons = _marks(plan, first, today)
    records = progress.day_records(past, marks, first, today, reasons)
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
        skips=_skips(records),
    )


@dataclass(frozen=True)
class SafetyNote:
    day: date
    red_flags: tuple[str, ...]  # the warning signs reported, as short plain labels
    contraindications: tuple[str, ...]  # the treated-area problems reported


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
    # Short labels, not the questions put to the client ("Do you have ..."): the therapist
    # reads them about the client.
    red_flags = {k: label[:1].upper() + label[1:]
                 for k, label in safety_rules.RED_FLAG_LABELS.items()}
    contra = safety_rules.CONTRAINDICATION_LABELS
    reports = (SafetyCheck.select()
               .where((SafetyCheck.client == plan.client) & SafetyCheck.reported
                      & (SafetyCheck.day >= since))
               .order_by(SafetyCheck.day.desc(), SafetyCheck.id.desc()))
    safety = [SafetyNote(r.day, tuple(red_flags.get(k, k) for k in r.red_flags),
                         tuple(contra.get(k, k) for k in r.problems)) for r in reports]
    # Red flags stored on check-ins by versions before safety reports existed.
    safety += [SafetyNote(c.day, tuple(red_flags.get(k, k) for k in c.red_flags), ())
               for c in checkins if c.red_flags]
    events = list(plan.events.order_by(PlanEvent.at.desc(), PlanEvent.id.desc()).limit(30))
    return History(
        notes=[c for c in checkins if c.note.strip()], skips=skips, safety=safety, events=events
    )


def _item_names(plan: Plan, today: date) -> dict[str, str]:
    """Item keys to names across every phase of the plan as it stands (no query)."""
    spec = schedule.spec_on(plans.plan_input(plan), today)
    return {item.key: item.name for phase in spec.phases for item in phase.items}


# --- the therapist's roster: a fixed number of queries, whatever its size ---------------

ADHERENCE_DAYS = 14


class _PlanData(NamedTuple):
    input: schedule.PlanInput
    marks: dict  # (item key, day) -> "done" / "skipped", from `since` on
    last_checkoff: date | None
    reasons: dict  # (item key, day) -> the skip's reason, from `since` on


def _plan_data(plan_list: list[Plan], since: date) -> dict[int, _PlanData]:
    """The engine's input for each plan plus its recent check-offs (six queries in all)."""
    inputs = plans.plan_inputs(plan_list)
    recent: dict[int, list] = defaultdict(list)
    last: dict[int, date] = {}
    for row in (CheckOff.select(CheckOff.plan, CheckOff.item_key, CheckOff.day, CheckOff.status,
                                CheckOff.skip_reason)
                .where(CheckOff.plan.in_([p.id for p in plan_list]))):
        last[row.plan_id] = max(last.get(row.plan_id, row.day), row.day)
        if row.day >= since:
            recent[row.plan_id].append(row)
    return {
        plan.id: _PlanData(
            input=inputs[plan.id],
            marks={(c.item_key, c.day): c.status for c in recent[plan.id]},
            last_checkoff=last.get(plan.id),
            reasons={(c.item_key, c.day): c.skip_reason for c in recent[plan.id]
                     if c.status == CheckOff.SKIPPED},
        )
        for plan in plan_list
    }


def _last_checkins(client_ids: list[int]) -> dict[int, CheckIn]:
    """Each client's latest check-in (one query; a client has one check-in a day)."""
    latest = (
        CheckIn.select(CheckIn.client.alias("who"), fn.MAX(CheckIn.day).alias("last"))
        .where(CheckIn.client.in_(client_ids))
        .group_by(CheckIn.client)
    )
    query = CheckIn.select(CheckIn.client, CheckIn.day, CheckIn.leg_pain).join(
        latest, on=((CheckIn.client == latest.c.who) & (CheckIn.day == latest.c.last))
    )
    return {c.client_id: c for c in query}


def _adherence(data: _PlanData, due: list[schedule.Occurrence], first: date,
               today: date) -> tuple[int | None, str, str]:
    """Adherence over [first, today] (None: nothing counted), the period's skips in
    words, and today so far ("Today: 2 of 7 so far"); ``due`` is what fell due then."""
    if first > today:
        return None, "", ""
    records = progress.day_records(due, data.marks, first, today, data.reasons)
    today_record = next((r for r in records if r.day == today), None)
    # Today counts once complete: a day still in progress is not a shortfall.
    closed = [r for r in records if r.day != today or r.complete]
    done = sum(r.done for r in closed)
    counted = sum(r.counted for r in closed)
    return (progress.percent(done, counted) if counted > 0 else None, _skips(records),
            progress.day_summary(today_record, today))


NEXT_SESSION_DAYS = 56  # how far ahead the roster looks for a professional session


def _next_session(ahead: list[schedule.Occurrence], marks: dict, today: date) -> date | None:
    """The first professional session due from today on (one already marked today is
    past), within the days looked at."""
    return next((o.date for o in ahead if o.item.is_session
                 and not (o.date == today and (o.item.key, today) in marks)), None)


def _pain_points(client_ids: list[int], since: date) -> dict[int, list[tuple[date, int]]]:
    """Each client's leg pain a day from ``since`` on (one query)."""
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for c in (CheckIn.select(CheckIn.client, CheckIn.day, CheckIn.leg_pain)
              .where(CheckIn.client.in_(client_ids) & (CheckIn.day >= since))
              .order_by(CheckIn.day)):
        found[c.client_id].append((c.day, c.leg_pain))
    return found


def _roster_row(client: User, plan: Plan | None, data: _PlanData | None,
                checkin: CheckIn | None, today: date, reports: list,
                archived: bool, pain: list[tuple[date, int]]) -> roster.Row:
    last_checkin = checkin.day if checkin else None
    open_now = {"warning_open": any(r.red_flags for r in reports),
                "area_open": any(r.problems for r in reports)}
    facts = roster.Facts(today=today, last_checkin=last_checkin, **open_now)
    adherence = phase = next_session = None
    skips = today_text = ""
    trend_first = today - timedelta(days=ADHERENCE_DAYS - 1)
    if plan is not None:
        facts = roster.Facts(
            today=today,
            plan_start=plan.start,
            suggestion=plan.suggestion,
            waiting_since=schedule.waiting_step_down(data.input, today),
            last_checkin=last_checkin,
            last_checkoff=data.last_checkoff,
            **open_now,
        )
        first = max(plan.start, trend_first)
        # One walk of the engine: the 14 days behind for adherence, the weeks ahead for
        # the next session.
        due = schedule.occurrences(data.input, min(first, today),
                                   today + timedelta(days=NEXT_SESSION_DAYS))
        adherence, skips, today_text = _adherence(
            data, [o for o in due if o.date <= today], first, today)
        next_session = _next_session([o for o in due if o.date >= today], data.marks, today)
        spec = schedule.spec_on(data.input, today)
        phase = spec.phase(schedule.phase_on(data.input, today)).name
    return roster.Row(
        client_id=client.id,
        name=client.name,
        flags=roster.flags(facts),
        adherence=adherence,
        last_checkin=last_checkin,
        last_checkin_ago=roster.days_ago(last_checkin, today),
        leg_pain=checkin.leg_pain if checkin else None,
        phase=phase,
        archived=archived,
        skips=skips,
        today=today_text,
        trend=sparkline.sparkline(pain, trend_first, today),
        next_session=next_session,
    )


def roster_rows(clients: list[User], now: datetime,
                archived_ids: frozenset[int] = frozenset(),
                sort: roster.Sort = roster.DEFAULT_SORT,
                instruments: Mapping[str, Instrument] = BUILT_IN) -> list[roster.Row]:
    """The roster's rows for these clients, sorted, each on the client's own today, in
    a fixed number of queries however many they are. ``archived_ids`` are clients the
    therapist archived (shown here while flagged)."""
    if not clients:
        return []
    ids = [c.id for c in clients]
    todays = {c.id: plans.local_today(c, now) for c in clients}
    current = plans.current_plans(ids)
    since = min(todays.values()) - timedelta(days=ADHERENCE_DAYS - 1)
    data = _plan_data(list(current.values()), since) if current else {}
    checkins = _last_checkins(ids)
    reports = safety_reports.open_by_client(ids)
    pain = _pain_points(ids, since)
    function = outcomes.roster_trends(ids, current, instruments)
    rows = []
    for client in clients:
        plan = current.get(client.id)
        rows.append(_roster_row(client, plan, data.get(plan.id) if plan else None,
                                checkins.get(client.id), todays[client.id],
                                reports.get(client.id, []), client.id in archived_ids,
                                pain.get(client.id, [])))
    rows = [replace(row, function=function.get(row.client_id)) for row in rows]
    return roster.sort_rows(rows, sort)
