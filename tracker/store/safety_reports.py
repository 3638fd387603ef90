"""Safety reports in the database: warning signs and treated-area problems, what they pause,
who may resume, and whom to tell.

Not pure (it queries); what the answers mean is tracker.domain.safety, the rules and their
sources tracker.domain.clinical. A report stays open until a person resolves it: while it is open
the plan is paused (everything for a warning sign; sessions and the self-care on that area
for a treated-area problem), tapering waits, the roster flags the client whatever their
state, and the client sees the urgent-care screen on every visit.
"""
from collections.abc import Iterable, Mapping
from datetime import date

from blinker import Namespace

from tracker.domain import safety, schedule
from tracker.store import audit, queries
from tracker.store.db import Prepared, database
from tracker.store.models import (
    CareLink,
    Plan,
    PlanEvent,
    PlanHold,
    PlanPause,
    SafetyCheck,
    User,
    utcnow,
)

WARNING, AREA, CHECKED = "warning", "area", "checked"  # what a therapist is told

# Sent with a report's id (and the kinds of alert due) once it is committed; the jobs layer
# (tracker.jobs.tasks) connects the receiver that has the worker tell the therapists. The
# worker's minute sweep also finds reports whose signal was lost.
announced = Namespace().signal("safety-report")


def announce(check: SafetyCheck, kinds: Iterable[str]) -> None:
    """Have the therapists told about a committed report (call it after the commit)."""
    kinds = list(kinds)
    if kinds:
        announced.send(check.id, kinds=kinds)
# Pause scopes a safety report opens (and earlier versions' equivalents, ended alike).
SAFETY_SCOPES = (schedule.PAUSE_SAFETY, schedule.PAUSE_AREA, schedule.PAUSE_SELF_CARE,
                 schedule.PAUSE_SESSIONS)


_OPEN_REPORTS = Prepared(
    lambda client_id: SafetyCheck.open_reports().where(SafetyCheck.client == client_id),
    lambda client_id: [client_id])


def open_reports(client: User) -> list[SafetyCheck]:
    """The client's open reports, newest first (read on every /today: its SQL prepared)."""
    return _OPEN_REPORTS.models(SafetyCheck, client if isinstance(client, int) else client.id)


def open_by_client(client_ids: Iterable[int]) -> dict[int, list[SafetyCheck]]:
    """Open reports by client id, newest first (one query)."""
    ids = list(client_ids)
    found: dict[int, list[SafetyCheck]] = {}
    if ids:
        for check in SafetyCheck.open_reports().where(SafetyCheck.client.in_(ids)):
            found.setdefault(check.client_id, []).append(check)
    return found


def assessment_of(checks: Iterable[SafetyCheck]) -> safety.Assessment:
    """The open reports read together: every warning sign, problem and area in them."""
    checks = list(checks)
    flags = {k for c in checks for k in c.red_flags}
    problems = {k for c in checks for k in c.problems}
    areas = {k for c in checks for k in c.areas} if all(
        c.areas for c in checks if c.problems) else set()
    return safety.assess(dict.fromkeys(flags, True), problems, areas)


def last_asked(client: User) -> date | None:
    """The last day the client answered the warning-sign questions."""
    return (SafetyCheck.select(SafetyCheck.day)
            .where((SafetyCheck.client == client) & (SafetyCheck.answers != {}))
            .order_by(SafetyCheck.day.desc()).scalar())


def therapists_of(client: User) -> list[User]:
    """Everyone to tell about the client: the therapists linked to them now (archived links
    too). A therapist whose link the client ended is not told: they no longer see the
    client's data."""
    return list(User.select().join(CareLink, on=(CareLink.therapist == User.id))
                .where((CareLink.client == client) & CareLink.active))


def therapist_led(client: User) -> bool:
    """Only a therapist resumes the plan after a report while the client has one linked;
    a client without one (self-guided, or who ended the link) resumes it themselves."""
    return CareLink.select().where((CareLink.client == client) & CareLink.active).exists()


def record(client: User, day: date, assessment: safety.Assessment, *,
           answers: Mapping[str, bool] | None = None, note: str = "") -> SafetyCheck:
    """Store one set of answers and act on what it reports (in the caller's transaction or
    its own): pause the current plan, log it for the client's timeline.

    ``answers`` are the warning-sign questions as answered (None when only treated-area
    problems were asked, at a check-in); answering them clears the questions waiting.
    """
    with database.atomic():
        plan = queries.current_plan(client).first()
        check = SafetyCheck.create(
            client=client, plan=plan, day=day, answers=dict(answers or {}),
            red_flags=list(assessment.red_flags), problems=list(assessment.problems),
            areas=list(assessment.areas), note=note, reported=assessment.reported,
        )
        if answers is not None and client.safety_questions_due:
            User.update(safety_questions_due=False).where(User.id == client.id).execute()
            client.safety_questions_due = False
        if plan is not None and assessment.reported:
            pause_for(plan, assessment, day, client)
    return check


def pause_for(plan: Plan, assessment: safety.Assessment, day: date, actor: User | None) -> None:
    """Open the pauses a report calls for (an open one of the same scope is kept; an area
    pause widens to the new areas)."""
    if assessment.urgent and _open_pause(plan, schedule.PAUSE_SAFETY) is None:
        PlanPause.create(plan=plan, start=day, scope=schedule.PAUSE_SAFETY,
                         reason=assessment.warning_reason, created_by=actor)
        _log(plan, actor, "paused", "Your whole plan is paused after the warning sign you "
             "reported, until you have been checked.", day)
    if assessment.problems:
        existing = _open_pause(plan, schedule.PAUSE_AREA)
        if existing is None:
            PlanPause.create(plan=plan, start=day, scope=schedule.PAUSE_AREA,
                             areas=list(assessment.areas), reason=assessment.area_reason,
                             created_by=actor)
            _log(plan, actor, "paused", "Your sessions and the self-care on the area with a "
                 "problem are paused until it has been looked at.", day)
        elif existing.areas:  # [] already means every area
            wider = [] if not assessment.areas else sorted({*existing.areas, *assessment.areas})
            PlanPause.update(areas=wider).where(PlanPause.id == existing.id).execute()


def plan_held(plan: Plan, today: date) -> bool:
    """Whether anything keeps the plan from stepping down (the taper guard): an open
    pause, a taper hold (flare-up, worse than the start) or an open report."""
    pauses = plan.pauses.where(PlanPause.end.is_null() | (PlanPause.end > today)).exists()
    holds = plan.holds.where(PlanHold.end.is_null() | (PlanHold.end > today)).exists()
    return pauses or holds or bool(open_reports(plan.client_id))


def apply_open_reports(plan: Plan, day: date) -> None:
    """A new plan for a client with open reports starts paused as they require."""
    checks = open_reports(plan.client)
    if checks:
        pause_for(plan, assessment_of(checks), day, None)


def _open_pause(plan: Plan, scope: str) -> PlanPause | None:
    return plan.pauses.where((PlanPause.scope == scope) & PlanPause.end.is_null()).first()


def _log(plan: Plan, actor: User | None, kind: str, message: str, day: date) -> None:
    audit.plan_changed(plan, actor, kind, day, safety=True)
    PlanEvent.create(plan=plan, actor=actor, kind=kind, message=message[:300],
                     effective_from=day)


def resolve(client: User, actor: User, day: date) -> int:
    """End every open report and the pauses they opened, from ``day``: a therapist who has
    reviewed the client, or a self-guided client a professional has checked.

    Returns how many reports were resolved. PermissionError for a client whose therapist
    resumes (a therapist-led plan); callers check the therapist's link first.
    """
    plan = queries.current_plan(client).first()
    if actor.id == client.id and therapist_led(client):
        raise PermissionError("only the therapist resumes a therapist-led plan")
    with database.atomic():
        resolved = (SafetyCheck.update(resolved_at=utcnow(), resolved_by=actor)
                    .where((SafetyCheck.client == client) & SafetyCheck.reported
                           & SafetyCheck.resolved_at.is_null())
                    .execute())
        ended = 0
        if plan is not None:
            ended = (PlanPause.update(end=day)
                     .where((PlanPause.plan == plan) & PlanPause.scope.in_(SAFETY_SCOPES)
                            & PlanPause.end.is_null() & (PlanPause.start <= day))
                     .execute())
            # A pause opened today (or later) never took effect: it ends where it starts.
            PlanPause.update(end=PlanPause.start).where(
                (PlanPause.plan == plan) & PlanPause.scope.in_(SAFETY_SCOPES)
                & PlanPause.end.is_null()).execute()
            if resolved or ended:
                who = "You" if actor.id == client.id else f"Your therapist {actor.name}"
                _log(plan, actor, "resumed", f"{who} restarted your plan after you were "
                     "checked.", day)
    return resolved


def mark_checked(client: User) -> list[SafetyCheck]:
    """The client says a professional has checked them: noted on each open report (the
    therapist is told; the reports stay open until the therapist resumes)."""
    with database.atomic():
        checks = open_reports(client)
        ids = [c.id for c in checks if c.checked_at is None]
        if ids:
            SafetyCheck.update(checked_at=utcnow()).where(SafetyCheck.id.in_(ids)).execute()
    return [c for c in checks if c.id in ids]


def alert_kind(check: SafetyCheck) -> str | None:
    """What a new report tells the therapist: a warning sign is urgent."""
    if check.red_flags:
        return WARNING
    return AREA if check.problems else None
