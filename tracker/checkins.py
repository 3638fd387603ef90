"""Daily check-ins in the database, and what they change on the plan.

Not pure (it queries); the rules live in tracker.safety and tracker.symptoms. Nothing
here moves a plan to another phase: a suggestion waits for a person to confirm it.
"""
from collections.abc import Mapping
from datetime import date

from tracker import plans, safety, schedule, symptoms
from tracker.db import database
from tracker.models import CheckIn, Plan, PlanPause, User, utcnow

SELF_CARE, SESSIONS = schedule.PAUSE_SELF_CARE, schedule.PAUSE_SESSIONS
RESUMABLE_SCOPES = (SELF_CARE, SESSIONS)
STEP_DOWN, STEP_BACK = "step_down", "step_back"
NOTE_MAX = 2000
LATE_DAYS = 7  # how far back a client may still record a check-off or a check-in
PAIN_SCALE = range(0, 11)

_CHECKIN_FIELDS = ("back_pain", "leg_pain", "numbness", "weakness", "note", "contraindications")


def today_for(client: User, day: date) -> CheckIn | None:
    return CheckIn.get_or_none((CheckIn.client == client) & (CheckIn.day == day))


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
                                           .contraindications)
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


def open_pauses(plan: Plan | None) -> list[PlanPause]:
    if plan is None:
        return []
    found = plan.pauses.where(PlanPause.end.is_null()).order_by(PlanPause.start, PlanPause.id)
    # Self-care first: it is the one paused for a warning sign.
    return sorted(found, key=lambda p: p.scope != SELF_CARE)


def _open_pause(plan: Plan, scope: str, day: date, reason: str, user: User | None) -> PlanPause:
    existing = plan.pauses.where((PlanPause.scope == scope) & PlanPause.end.is_null()).first()
    if existing is not None:
        return existing
    return PlanPause.create(plan=plan, start=day, scope=scope, reason=reason, created_by=user)


def apply_assessment(
    plan: Plan, assessment: safety.Assessment, day: date, user: User | None = None
) -> None:
    """Pause self-care after a red flag and sessions after a contraindication, from
    ``day`` until a person resumes them (an already open pause is kept, not doubled)."""
    with database.atomic():
        if assessment.pause_self_care:
            _open_pause(plan, SELF_CARE, day, assessment.self_care_reason, user)
            plan.red_flag_on = day
            plan.save(only=[Plan.red_flag_on])
        if assessment.pause_sessions:
            _open_pause(plan, SESSIONS, day, assessment.sessions_reason, user)


def record_checkin(client: User, day: date, **fields) -> tuple[CheckIn, safety.Assessment, bool]:
    """Save the day's check-in and act on it: contraindications pause sessions, and the
    plan may get a step-down or step-back suggestion.

    Returns the check-in, its assessment and whether to ask the red-flag questions.
    """
    with database.atomic():
        previous = previous_facts(client, day)
        checkin = save_checkin(client, day, **fields)
        assessment = safety.assess({}, checkin.contraindications)
        plan = Plan.current_for(client)
        if plan is not None:
            apply_assessment(plan, assessment, day, client)
            update_suggestion(plan, day)
    ask = safety.should_ask_red_flags(previous, checkin.numbness, checkin.weakness)
    return checkin, assessment, ask


def record_safety_answers(
    client: User, day: date, answers: Mapping[str, bool]
) -> safety.Assessment:
    """Store the red-flag answers on the day's check-in and act on them.

    A yes given earlier the same day is kept even if a later answer is no: the
    therapist should still see it. CheckIn.DoesNotExist when there is no check-in.
    """
    with database.atomic():
        checkin = CheckIn.get((CheckIn.client == client) & (CheckIn.day == day))
        assessment = safety.assess(answers, checkin.contraindications)
        flags = [k for k in safety.RED_FLAG_LABELS
                 if k in assessment.red_flags or k in checkin.red_flags]
        CheckIn.update(red_flags=flags, updated_at=utcnow()).where(
            CheckIn.id == checkin.id
        ).execute()
        plan = Plan.current_for(client)
        if plan is not None:
            apply_assessment(plan, assessment, day, client)
    return assessment


def day_assessment(checkin: CheckIn | None) -> safety.Assessment:
    """The assessment of a stored check-in (its red flags answered yes and its
    contraindications), to show again after a redirect."""
    if checkin is None:
        return safety.assess({}, ())
    return safety.assess({k: True for k in checkin.red_flags}, checkin.contraindications)


def update_suggestion(plan: Plan, today: date) -> str | None:
    """Suggest a step down (symptoms exit met) or a step back (flare-up after phase 0).

    Never changes the phase. A suggestion made earlier today that no longer holds (the
    check-in was edited) is withdrawn; older ones wait for a person. Returns the
    suggestion made, if any.
    """
    plan_input = plans.plan_input(plan)
    current = next((s for s in schedule.timeline(plan_input, today) if s.current), None)
    if current is None:  # before the start or after the end
        return None
    spec = schedule.spec_on(plan_input, today)
    phase = schedule.phase_on(plan_input, today)
    leg_pain = dict(
        CheckIn.select(CheckIn.day, CheckIn.leg_pain)
        .where(
            (CheckIn.client == plan.client_id)
            & (CheckIn.day >= plan.start)
            & (CheckIn.day <= today)
        )
        .tuples()
    )
    suggestion, reason = _suggest(spec, phase, current.start, leg_pain, plan.start, today)
    if suggestion is not None:
        plan.suggestion, plan.suggestion_reason, plan.suggested_on = suggestion, reason, today
    elif plan.suggestion is not None and plan.suggested_on == today:
        plan.suggestion, plan.suggestion_reason, plan.suggested_on = None, "", None
    else:
        return None
    plan.save(only=[Plan.suggestion, Plan.suggestion_reason, Plan.suggested_on])
    return suggestion


def _suggest(spec: schedule.PlanSpec, phase: int, phase_start: date,
             leg_pain: Mapping[date, int], plan_start: date,
             today: date) -> tuple[str | None, str]:
    # A flare-up comes first: stepping down on the day pain jumps would be the wrong advice.
    flare = symptoms.flare_up(leg_pain, plan_start, today)
    if flare and phase > 0:
        return STEP_BACK, _cap(f"Flare-up: {flare.reason}.")
    if phase + 1 < len(spec.phases):
        ready = symptoms.ready_to_step_down(
            spec.phase(phase).exit, leg_pain, plan_start, phase_start, today
        )
        if ready:
            return STEP_DOWN, _cap(f"Ready for the next phase: {ready.reason}.")
    return None, ""


def _cap(text: str) -> str:
    most = safety.REASON_MAX
    return text if len(text) <= most else text[: most - 1] + "…"


def resume(plan: Plan, scope: str, today: date, user: User) -> int:
    """End the open pause of ``scope`` today, after a professional has said it is safe.

    ``user`` must be the plan's client or therapist. Returns how many pauses ended (0 when
    nothing of that scope was paused).
    """
    if scope not in RESUMABLE_SCOPES:
        raise ValueError(f"scope must be one of {', '.join(RESUMABLE_SCOPES)} (got {scope!r})")
    if user.id not in (plan.client_id, plan.therapist_id):
        raise PermissionError("only the plan's client or therapist can resume it")
    return (
        PlanPause.update(end=today)
        .where(
            (PlanPause.plan == plan)
            & (PlanPause.scope == scope)
            & PlanPause.end.is_null()
            & (PlanPause.start <= today)
        )
        .execute()
    )


def status_context(client: User, plan: Plan | None, today: date) -> dict:
    """What templates/checkin/_status.html needs: today's check-in and the open pauses."""
    return {"checkin": today_for(client, today), "pauses": open_pauses(plan)}
