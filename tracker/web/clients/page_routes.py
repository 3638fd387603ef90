"""A therapist's page for one client: progress, flags, and the plan's controls."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from tracker.domain import schedule
from tracker.store import plans, reports, safety_reports
from tracker.store.models import CareLink, Plan, User
from tracker.web.clients.forms import PauseForm, ResumeForm, SafetyResumeForm, StepForm
from tracker.web.pages import render
from tracker.web.plans.forms import SuggestionForm

bp = Blueprint("client_page", __name__, url_prefix="/clients/<int:client_id>")


def linked_client_or_404(client_id: int) -> User:
    """One of the current therapist's clients; anyone else's (or a client asking) is 404."""
    if not current_user.is_therapist:
        abort(404)
    client = CareLink.clients_of(current_user).where(User.id == client_id).first()
    if client is None:
        abort(404)
    return client


def _plan_or_404(client: User) -> Plan:
    plan = Plan.current_for(client)
    if plan is None:
        abort(404)
    return plan


def _forms(plan: Plan, today):
    phases = [p.name for p in schedule.spec_on(plans.plan_input(plan), today).phases]
    return {
        "pause": PauseForm(today, plan.start, prefix="pause"),
        "resume": ResumeForm(today, plan.start, prefix="resume"),
        "step": StepForm(today, phases, prefix="step"),
        "suggestion": SuggestionForm(),
    }


def _page(client: User, template: str, status: int = 200, forms=None, safety_form=None):
    plan = Plan.current_for(client)
    today = plans.local_today(client)
    open_reports = safety_reports.open_reports(client)
    context = {"client": client, "plan": plan, "today": today, "reports": open_reports,
               "safety": safety_reports.assessment_of(open_reports),
               "safety_form": safety_form or SafetyResumeForm(prefix="safety"),
               "waiting_since": None}
    if plan:
        context.update(
            report=reports.progress_report(plan, today),
            history=reports.history(plan, today),
            forms=forms or _forms(plan, today),
            phase=schedule.phase_on(plans.plan_input(plan), today),
            waiting_since=schedule.waiting_step_down(plans.plan_input(plan), today),
        )
    return render(template, status=status, **context)


@bp.get("")
@login_required
def show(client_id: int):
    """Everything the therapist needs about one client."""
    return _page(linked_client_or_404(client_id), "clients/client.html")


@bp.get("/summary")
@login_required
def summary(client_id: int):
    """A one-page progress summary to print (or save as PDF) for the client or a doctor."""
    client = linked_client_or_404(client_id)
    _plan_or_404(client)
    return _page(client, "clients/summary.html")


def _done(client: User, message: str):
    flash(message, "success")
    return redirect(url_for("client_page.show", client_id=client.id))


def _invalid(client: User, plan: Plan, name: str, form):
    forms = _forms(plan, plans.local_today(client))
    forms[name] = form
    return _page(client, "clients/client.html", status=422, forms=forms)


@bp.post("/plan/pause")
@login_required
def pause(client_id: int):
    """Pause the whole plan from a date."""
    client = linked_client_or_404(client_id)
    plan = _plan_or_404(client)
    form = PauseForm(plans.local_today(client), plan.start, prefix="pause")
    if plan.status == Plan.PAUSED:  # its form is gone from the page: an error there is unseen
        flash(f"{client.name}'s plan is already paused.", "info")
        return redirect(url_for("client_page.show", client_id=client.id))
    if not form.validate_on_submit():
        return _invalid(client, plan, "pause", form)
    plans.pause(plan, form.day.data, current_user, form.reason.data or "")
    return _done(client, f"{client.name}'s plan is paused from {form.day.data:%-d %B}.")


@bp.post("/plan/resume")
@login_required
def resume(client_id: int):
    """Resume a paused plan from a date."""
    client = linked_client_or_404(client_id)
    plan = _plan_or_404(client)
    form = ResumeForm(plans.local_today(client), plan.start, prefix="resume")
    if plan.status != Plan.PAUSED:
        abort(404)
    if not form.validate_on_submit():
        return _invalid(client, plan, "resume", form)
    plans.resume(plan, form.day.data, current_user)
    return _done(client, f"{client.name}'s plan resumes on {form.day.data:%-d %B}.")


@bp.post("/plan/step")
@login_required
def step(client_id: int):
    """Step the plan up or down to a phase by hand, from a date."""
    client = linked_client_or_404(client_id)
    plan = _plan_or_404(client)
    today = plans.local_today(client)
    phases = [p.name for p in schedule.spec_on(plans.plan_input(plan), today).phases]
    form = StepForm(today, phases, prefix="step")
    if not form.validate_on_submit():
        return _invalid(client, plan, "step", form)
    plans.step_to(plan, form.to_phase.data, form.day.data, current_user,
                  form.reason.data or "changed by the therapist")
    return _done(client, f"{client.name} moves to “{phases[form.to_phase.data]}” "
                         f"from {form.day.data:%-d %B}.")


@bp.post("/plan/suggestion")
@login_required
def suggestion(client_id: int):
    """Confirm or decline a ready-to-step-down or flare-up suggestion."""
    client = linked_client_or_404(client_id)
    plan = _plan_or_404(client)
    form = SuggestionForm()
    if plan.suggestion is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    moved = plans.decide_suggestion(
        plan, form.decision.data == "accept", plans.local_today(client), current_user
    )
    return _done(client, "Plan moved to the next step." if moved is not None
                 else "Suggestion declined; the plan stays as it is.")


@bp.post("/safety/resume")
@login_required
def safety_resume(client_id: int):
    """Resolve the client's open safety reports and restart what they paused, after review."""
    client = linked_client_or_404(client_id)
    if not safety_reports.open_reports(client):
        flash(f"{client.name} has no open report: nothing to resume.", "info")
        return redirect(url_for("client_page.show", client_id=client.id))
    form = SafetyResumeForm(prefix="safety")
    if not form.validate_on_submit():
        return _page(client, "clients/client.html", status=422, safety_form=form)
    safety_reports.resolve(client, current_user, plans.local_today(client))
    return _done(client, f"{client.name}'s plan is back on from today.")
