"""A therapist's page for one client: progress, flags, and the plan's controls."""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from tracker.domain import phases, schedule
from tracker.store import audit, notes, outcomes, plans, queries, reports, safety_reports
from tracker.store.models import THERAPIST, CareLink, Plan, User
from tracker.web.access import get_object_or_404, require_plan_author, role_required
from tracker.web.clients.forms import PauseForm, ResumeForm, SafetyResumeForm, StepForm
from tracker.web.pages import render, submitted_status
from tracker.web.plans.forms import SuggestionForm
from tracker.web.questionnaires import catalogue

bp = Blueprint("client_page", __name__, url_prefix="/clients/<int:client_id>")

# The printable summary fits one A4 or Letter page with at most this many of each.
SUMMARY_NOTES = 6
SUMMARY_SAFETY = 4


def _client(client_id: int) -> User:
    """One of the current therapist's clients; anyone else's is 404."""
    return get_object_or_404(CareLink.clients_of(current_user.id), User.id == client_id)


def _client_and_plan(client_id: int, *where) -> tuple[User, Plan]:
    """The client and their current plan (which must match ``where``), or 404."""
    client = _client(client_id)
    return client, get_object_or_404(queries.current_plan(client), *where)


def _plan_to_change(client_id: int, *where) -> tuple[User, Plan]:
    """The client and their current plan, which the current therapist must be allowed to
    change (one author: 403 for the client's other therapists)."""
    client, plan = _client_and_plan(client_id)
    require_plan_author(plan)  # before ``where``: the refusal doesn't depend on the plan's state
    return (client, get_object_or_404(queries.current_plan(client), *where)) if where \
        else (client, plan)


def _forms(plan: Plan, today):
    return {
        "pause": PauseForm(today, plan.start, prefix="pause"),
        "resume": ResumeForm(today, plan.start, prefix="resume"),
        "step": StepForm(today, phases.names_on(plans.plan_input(plan), today), prefix="step"),
        "suggestion": SuggestionForm(),
    }


def _notes_context(client: User, plan: Plan | None, today) -> dict:
    """The session notes the current therapist may read, and the recent sessions they
    have not written a note on yet (the newest three)."""
    views = notes.for_therapist(client, current_user, today)
    sessions = notes.sessions(plan, today) if plan else []
    noted = {(v.note.item_key, v.note.session_day) for v in views if v.own}
    return {"session_notes": views, "note_sessions_exist": bool(sessions),
            "unnoted_sessions": [s for s in sessions if (s.item_key, s.day) not in noted][:3]}


def _page(client: User, template: str, status: int = 200, forms=None, safety_form=None,
          **extra):
    plan = queries.current_plan(client).first()
    today = plans.local_today(client)
    open_reports = safety_reports.open_reports(client)
    context = {"client": client, "plan": plan, "today": today, "reports": open_reports,
               "safety": safety_reports.assessment_of(open_reports),
               "safety_form": safety_form or SafetyResumeForm(prefix="safety"),
               "waiting_since": None,
               # Outcome measures over time: the record column and the summary (issue 19).
               "function_views": outcomes.function_views(client, today, "function",
                                                         catalogue().instruments),
               # One author: the client's other therapists see the plan read-only.
               "can_edit": plan is None or plan.therapist_id in (None, current_user.id),
               **_notes_context(client, plan, today)}
    if plan:
        context.update(
            report=reports.progress_report(plan, today),
            history=reports.history(plan, today),
            forms=forms or _forms(plan, today),
            phase=schedule.phase_on(plans.plan_input(plan), today),
            waiting_since=schedule.waiting_step_down(plans.plan_input(plan), today),
            pause=plans.pause_status(plan, today),
        )
    return render(template, status=status, **context, **extra)


@bp.get("")
@role_required(THERAPIST)
def show(client_id: int):
    """Everything the therapist needs about one client."""
    client = _client(client_id)
    audit.viewed(current_user, client.id, audit.VIEWED_CLIENT)
    return _page(client, "clients/client.html")


@bp.get("/summary")
@role_required(THERAPIST)
def summary(client_id: int):
    """A one-page progress summary to print (or save as PDF) for the client or a doctor."""
    client, plan = _client_and_plan(client_id)
    audit.viewed(current_user, client.id, audit.VIEWED_SUMMARY)
    today = plans.local_today(client)
    first = max(plan.start, today - timedelta(weeks=reports.WEEKS_SHOWN, days=-1))  # as shown
    shared = notes.shared_with(client, today, since=first)
    safety = [s for s in reports.history(plan, today).safety if s.day >= first]
    # One printed page: the newest of each, and how many more (on the client's page).
    return _page(client, "clients/summary.html",
                 summary_notes=shared[:SUMMARY_NOTES], notes_more=len(shared[SUMMARY_NOTES:]),
                 summary_safety=safety[:SUMMARY_SAFETY],
                 safety_more=len(safety[SUMMARY_SAFETY:]))


def _done(client: User, message: str):
    flash(message, "success")
    return redirect(url_for("client_page.show", client_id=client.id))


def _invalid(client: User, plan: Plan, name: str, form):
    forms = _forms(plan, plans.local_today(client))
    forms[name] = form
    return _page(client, "clients/client.html", status=submitted_status(form), forms=forms)


@bp.post("/plan/pause")
@role_required(THERAPIST)
def pause(client_id: int):
    """Pause the whole plan from a date."""
    client, plan = _plan_to_change(client_id)
    form = PauseForm(plans.local_today(client), plan.start, prefix="pause")
    if plan.status == Plan.PAUSED:  # its form is gone from the page: an error there is unseen
        flash(f"{client.name}'s plan is already paused.", "info")
        return redirect(url_for("client_page.show", client_id=client.id))
    if not form.validate_on_submit():
        return _invalid(client, plan, "pause", form)
    plans.pause(plan, form.day.data, current_user, form.reason.data or "")
    return _done(client, f"{client.name}'s plan is paused from {form.day.data:%-d %B}.")


@bp.post("/plan/resume")
@role_required(THERAPIST)
def resume(client_id: int):
    """Resume a paused plan from a date."""
    client, plan = _plan_to_change(client_id, Plan.status == Plan.PAUSED)
    form = ResumeForm(plans.local_today(client), plan.start, prefix="resume")
    if not form.validate_on_submit():
        return _invalid(client, plan, "resume", form)
    plans.resume(plan, form.day.data, current_user)
    return _done(client, f"{client.name}'s plan resumes on {form.day.data:%-d %B}.")


@bp.post("/plan/step")
@role_required(THERAPIST)
def step(client_id: int):
    """Step the plan up or down to a phase by hand, from a date."""
    client, plan = _plan_to_change(client_id)
    today = plans.local_today(client)
    names = phases.names_on(plans.plan_input(plan), today)
    form = StepForm(today, names, prefix="step")
    if not form.validate_on_submit():
        return _invalid(client, plan, "step", form)
    plans.step_to(plan, form.to_phase.data, form.day.data, current_user,
                  form.reason.data or "changed by the therapist")
    return _done(client, f"{client.name} moves to “{names[form.to_phase.data]}” "
                         f"from {form.day.data:%-d %B}.")


@bp.post("/plan/suggestion")
@role_required(THERAPIST)
def suggestion(client_id: int):
    """Confirm or decline a ready-to-step-down or flare-up suggestion."""
    client, plan = _plan_to_change(client_id, Plan.suggestion.is_null(False))
    form = SuggestionForm()
    if not form.validate_on_submit():
        abort(400)
    moved = plans.decide_suggestion(
        plan, form.decision.data == "accept", plans.local_today(client), current_user
    )
    return _done(client, "Plan moved to the next step." if moved is not None
                 else "Suggestion declined; the plan stays as it is.")


@bp.post("/safety/resume")
@role_required(THERAPIST)
def safety_resume(client_id: int):
    """Resolve the client's open safety reports and restart what they paused, after review.

    Any linked therapist may, not only the plan's author: safety first, a warning sign is
    reviewed by whoever sees it (the plan itself is not changed, only un-paused)."""
    client = _client(client_id)
    if not safety_reports.open_reports(client):
        flash(f"{client.name} has no open report: nothing to resume.", "info")
        return redirect(url_for("client_page.show", client_id=client.id))
    form = SafetyResumeForm(prefix="safety")
    if not form.validate_on_submit():
        return _page(client, "clients/client.html", status=submitted_status(form),
                     safety_form=form)
    safety_reports.resolve(client, current_user, plans.local_today(client))
    return _done(client, f"{client.name}'s plan is back on from today.")
