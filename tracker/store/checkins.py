"""Daily check-ins in the database, and what they change on the plan.

Not pure (it queries); the rules live in tracker.domain.safety, tracker.domain.symptoms and
tracker.domain.clinical. Nothing here moves a plan to another phase: a suggestion waits for a
person to confirm it, and the taper guard (holds) only ever keeps a plan where it is.
"""
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from tracker.domain import clinical, safety, schedule, symptoms
from tracker.domain.instruments import BUILT_IN, Instrument
from tracker.store import plans, queries, safety_reports
from tracker.store.db import Prepared, database
from tracker.store.models import (
    CheckIn,
    CheckOff,
    Plan,
    PlanHold,
    PlanPause,
    QuestionnaireResponse,
    SafetyCheck,
    User,
    utcnow,
)

STEP_DOWN, STEP_BACK, REVIEW = plans.STEP_DOWN, plans.STEP_BACK, plans.REVIEW
NOTE_MAX = 2000
LATE_DAYS = 7  # how far back a client may still record a check-off or a check-in
PAIN_SCALE = range(0, 11)

_CHECKIN_FIELDS = ("back_pain", "leg_pain", "numbness", "weakness", "note", "contraindications",
                   "anything_new", "soreness")


_CHECKIN_ON = Prepared(
    lambda client_id, day: CheckIn.select().where((CheckIn.client == client_id)
                                                 & (CheckIn.day == day)).limit(1),
    lambda client_id, day: [client_id, day, 1])


def today_for(client: User, day: date) -> CheckIn | None:
    """The client's check-in of ``day`` (read on every /today: its SQL prepared)."""
    found = _CHECKIN_ON.models(CheckIn, client if isinstance(client, int) else client.id, day)
    return found[0] if found else None


def days_checked_in(client: User, first: date, last: date) -> set[date]:
    """The days in [first, last] the client has a check-in for (one query)."""
    return {c.day for c in CheckIn.select(CheckIn.day).where(
        (CheckIn.client == client) & CheckIn.day.between(first, last))}


def previous_facts(client: User, day: date) -> safety.CheckInFacts | None:
    """What the client's last check-in before ``day`` said about numbness and weakness."""
    last = (
        CheckIn.select(CheckIn.numbness, CheckIn.weakness)
        .where((CheckIn.client == client) & (CheckIn.day < day))
        .order_by(CheckIn.day.desc())
        .first()
    )
    return None if last is None else safety.CheckInFacts(last.numbness, last.weakness)


def _checked(fields: Mapping) -> dict:
    """The fields, validated (ValueError), contraindications in the library's order."""
    unknown = set(fields) - set(_CHECKIN_FIELDS)
    if unknown:
        raise ValueError(f"not check-in fields: {', '.join(sorted(unknown))}")
    for name in ("back_pain", "leg_pain"):
        value = fields.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value not in PAIN_SCALE:
            raise ValueError(f"{name} must be a whole number from 0 to 10 (got {value!r})")
    if len(fields.get("note", "")) > NOTE_MAX:
        raise ValueError(f"note is longer than {NOTE_MAX} characters")
    values = dict(fields)
    if "contraindications" in values:
        values["contraindications"] = list(safety.assess({}, values["contraindications"])
                                           .problems)
    if values.get("anything_new") not in (None, True, False):
        raise ValueError("anything_new must be True, False or None")
    if not isinstance(values.get("soreness", False), bool):
        raise ValueError("soreness must be True or False")
    return values


def save_checkin(client: User, day: date, **fields) -> CheckIn:
    """Store the client's check-in for ``day``, replacing that day's earlier answers.

    One statement, insert or update on the (client, day) unique index, so two devices
    saving at once still leave one row. Red-flag answers are kept (see
    record_safety_answers).
    """
    values = {**_checked(fields), "updated_at": utcnow()}
    (
        CheckIn.insert(client=client, day=day, **values)
        .on_conflict(
            conflict_target=[CheckIn.client, CheckIn.day],
            preserve=[getattr(CheckIn, name) for name in values],
        )
        .execute()
    )
    return CheckIn.get((CheckIn.client == client) & (CheckIn.day == day))


_OPEN_PAUSES = Prepared(
    lambda plan_id: (PlanPause.select().where((PlanPause.plan == plan_id)
                                              & PlanPause.end.is_null())
                     .order_by(PlanPause.start, PlanPause.id)),
    lambda plan_id: [plan_id])


def open_pauses(plan: Plan | None) -> list[PlanPause]:
    """The plan's open pauses, the safety ones first."""
    if plan is None:
        return []
    found = _OPEN_PAUSES.models(PlanPause, plan.id)
    return sorted(found, key=lambda p: p.scope not in safety_reports.SAFETY_SCOPES)


def record_checkin(client: User, day: date, areas: Iterable[str] = (), *,
                   today: date | None = None,
                   instruments: Mapping[str, Instrument] = BUILT_IN,
                   **fields) -> tuple[CheckIn, SafetyCheck | None, bool]:
    """Save the day's check-in and act on it: a problem in the treated area becomes a
    report (it pauses sessions and the self-care on that area), the plan may get a
    suggestion or a taper hold, and the warning-sign questions may be due.

    ``day`` is the day the check-in is for; ``today`` (default: ``day``) the client's
    today. A check-in filled in afterwards for an earlier day is stored under that day,
    but what it reports is acted on as of today, as if told today.

    Returns the check-in, the report it made (None when nothing new was reported) and
    whether to ask the warning-sign questions now (they stay due until answered).
    """
    today = max(today or day, day)
    with database.atomic():
        previous = previous_facts(client, day)
        checkin = save_checkin(client, day, **fields)
        already = {k for c in safety_reports.open_reports(client) for k in c.problems}
        new = [k for k in checkin.contraindications if k not in already]
        report = None
        if new:
            report = safety_reports.record(client, today, safety.assess({}, new, areas))
        plan = queries.current_plan(client).first()
        if plan is not None:
            update_suggestion(plan, today, instruments)
        ask = safety.should_ask(
            previous, checkin.numbness, checkin.weakness,
            # not answered (None) counts as yes: the questions are asked
            anything_new=checkin.anything_new is not False,
            questions_due=client.safety_questions_due,
            last_asked=safety_reports.last_asked(client), today=today,
        )
        if ask and not client.safety_questions_due:
            User.update(safety_questions_due=True).where(User.id == client.id).execute()
            client.safety_questions_due = True
    return checkin, report, ask


def record_safety_answers(client: User, day: date, answers: Mapping[str, bool],
                          problems: Iterable[str] = (), areas: Iterable[str] = (),
                          note: str = "", *,
                          instruments: Mapping[str, Instrument] = BUILT_IN,
                          ) -> tuple[SafetyCheck, safety.Assessment]:
    """Store the warning-sign answers (from a check-in or "Something's wrong", any day)
    and act on them: a report pauses the plan, and tapering waits while it is open."""
    assessment = safety.assess(answers, problems, areas)
    with database.atomic():
        check = safety_reports.record(client, day, assessment, answers=answers, note=note)
        plan = queries.current_plan(client).first()
        if plan is not None and assessment.reported:
            update_suggestion(plan, day, instruments)
    return check, assessment


def function_scores(plan: Plan, today: date,
                    instruments: Mapping[str, Instrument] = BUILT_IN,
                    ) -> dict[str, symptoms.FunctionScores]:
    """The client's complete questionnaire answers from the plan's start to ``today``, by
    instrument (day -> the score stored when saved), in one query. Every instrument
    answered counts, on the plan's schedule or not: a worsening is a worsening."""
    found: dict[str, dict[date, float]] = {}
    rows = (QuestionnaireResponse
            .select(QuestionnaireResponse.instrument, QuestionnaireResponse.day,
                    QuestionnaireResponse.score)
            .where((QuestionnaireResponse.client == plan.client_id)
                   & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE)
                   & QuestionnaireResponse.score.is_null(False)
                   & (QuestionnaireResponse.day >= plan.start)
                   & (QuestionnaireResponse.day <= today))
            .tuples())
    for instrument_id, day, value in rows:
        found.setdefault(instrument_id, {})[day] = value
    return {i: symptoms.FunctionScores(i, instruments.get(i), scores)
            for i, scores in found.items()}


def update_suggestion(plan: Plan, today: date,
                      instruments: Mapping[str, Instrument] = BUILT_IN) -> str | None:
    """Read the plan's pain trend and function answers on ``today``: suggest a step down (a
    symptoms exit met with real improvement, of function too when the exit requires it,
    and nothing open), a step back (a flare-up after the first phase) or a review (a
    flare-up in the first phase), and open or close the taper holds. A flare-up is one of
    leg pain, or a questionnaire answered since the start worse by its MCID on the day
    answered (tracker.domain.clinical.FUNCTION_COMPARED_WITH).

    Never changes the phase. A suggestion made earlier today that no longer holds (the
    check-in was edited) is withdrawn; older ones wait for a person. Returns the
    suggestion made, if any.
    """
    if not plan.start <= today:  # before the start
        return None
    leg_pain = dict(
        CheckIn.select(CheckIn.day, CheckIn.leg_pain)
        .where((CheckIn.client == plan.client_id) & (CheckIn.day >= plan.start)
               & (CheckIn.day <= today))
        .tuples()
    )
    function = function_scores(plan, today, instruments)
    flare = _flare_up(leg_pain, function, plan.start, today)
    _set_hold(plan, PlanHold.FLARE_UP, today, bool(flare), _cap(f"Flare-up: {flare.reason}."),
              keep_open=True)
    worse = symptoms.worse_than_start(leg_pain, plan.start, today)
    _set_hold(plan, PlanHold.WORSE, today, bool(worse), _cap(f"Worse than at the start: "
                                                             f"{worse.reason}."))
    # The phase as the holds just opened leave it: a step due today waits for them.
    plan_input = plans.plan_input(plan)
    current = next((s for s in schedule.timeline(plan_input, today) if s.current), None)
    if current is None:  # after the end
        return None
    suggestion, reason = _suggest(plan, plan_input, current, leg_pain, function, today, flare)
    if suggestion is not None:
        plan.suggestion, plan.suggestion_reason, plan.suggested_on = suggestion, reason, today
    elif plan.suggestion is not None and (
            plan.suggested_on == today
            or (plan.suggestion == STEP_DOWN and safety_reports.plan_held(plan, today))):
        plan.suggestion, plan.suggestion_reason, plan.suggested_on = None, "", None
    else:
        return None
    plan.save(only=[Plan.suggestion, Plan.suggestion_reason, Plan.suggested_on])
    return suggestion


def _flare_up(leg_pain: Mapping[date, int], function: Mapping[str, symptoms.FunctionScores],
              plan_start: date, today: date) -> symptoms.Verdict:
    """Leg pain's flare-up first, then each questionnaire's, in id order."""
    pain = symptoms.flare_up(leg_pain, plan_start, today)
    if pain:
        return pain
    for instrument_id in sorted(function):
        found = symptoms.function_flare_up(function[instrument_id], plan_start, today)
        if found:
            return found
    return pain


def _set_hold(plan: Plan, kind: str, today: date, holds: bool, reason: str,
              keep_open: bool = False) -> None:
    """Open a hold of ``kind`` from today when ``holds``; otherwise end an open one (one
    opened today, when the check-in that opened it was edited, is deleted). A
    ``keep_open`` hold (a flare-up) is ended only by a person's review."""
    query = PlanHold.select().where((PlanHold.plan == plan) & (PlanHold.kind == kind)
                                    & PlanHold.end.is_null())
    existing = query.first()
    if holds and existing is None:
        PlanHold.create(plan=plan, kind=kind, start=today, reason=reason)
    elif not holds and existing is not None:
        if existing.start >= today:
            existing.delete_instance()
        elif not keep_open:
            PlanHold.update(end=today).where(PlanHold.id == existing.id).execute()


def _suggest(plan: Plan, plan_input: schedule.PlanInput, current: schedule.PhaseSpan,
             leg_pain: Mapping[date, int], function: Mapping[str, symptoms.FunctionScores],
             today: date, flare: symptoms.Verdict) -> tuple[str | None, str]:
    # A flare-up comes first, in every phase: stepping down on the day pain jumps would be
    # the wrong advice; in the first phase there is nothing to step back to, so it asks
    # for a review.
    phase = current.phase_index
    if flare:
        return (STEP_BACK if phase > 0 else REVIEW), _cap(f"Flare-up: {flare.reason}.")
    spec = schedule.spec_on(plan_input, today)
    if phase + 1 < len(spec.phases) and not safety_reports.plan_held(plan, today):
        rule = spec.phase(phase).exit
        ready = symptoms.ready_to_step_down(
            rule, leg_pain, plan.start, current.start, today,
            function.get(rule.function.instrument) if rule.function else None,
        )
        if ready:
            return STEP_DOWN, _cap(f"Ready for the next phase: {ready.reason}.")
    return None, ""


def _cap(text: str) -> str:
    most = safety.REASON_MAX
    return text if len(text) <= most else text[: most - 1] + "…"


def last_session_day(plan: Plan, day: date) -> date | None:
    """The last day on or before ``day`` (within the soreness window) a professional
    session of the plan was checked off."""
    first = day - timedelta(days=clinical.SORENESS_DAYS_AFTER_SESSION)
    spec = schedule.spec_on(plans.plan_input(plan), day)
    keys = {i.key for phase in spec.phases for i in phase.items if i.is_session}
    if not keys:
        return None
    return (CheckOff.select(CheckOff.day)
            .where((CheckOff.plan == plan) & CheckOff.item_key.in_(sorted(keys))
                   & (CheckOff.status == CheckOff.DONE)
                   & (CheckOff.day >= first) & (CheckOff.day <= day))
            .order_by(CheckOff.day.desc()).scalar())


class _Lazy:
    """A yes/no answer worked out the first time something asks (``bool``), then kept."""

    def __init__(self, answer):
        self._answer, self._value = answer, None

    def __bool__(self) -> bool:
        if self._value is None:
            self._value = bool(self._answer())
        return self._value


def status_context(client: User, plan: Plan | None, today: date) -> dict:
    """What the check-in status and the safety screens need: today's check-in, the open
    pauses and reports, whether questions wait, and whether to reassure about soreness."""
    checkin = today_for(client, today)
    reports = safety_reports.open_reports(client)
    sore = False
    if checkin is not None and checkin.soreness and plan is not None:
        sore = safety.sore_after_session(True, last_session_day(plan, today), today)
    return {
        "checkin": checkin,
        "pauses": open_pauses(plan),
        "reports": reports,
        "safety": safety_reports.assessment_of(reports),
        "questions_due": client.safety_questions_due,
        # asked only when a page shows who resumes (most pages never do)
        "resume_by_therapist": _Lazy(lambda: safety_reports.therapist_led(client)),
        "sore_after_session": sore,
    }
