"""The client's plan: its phase timeline, and starting a self-guided plan."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from tracker.domain import schedule, wording
from tracker.store import plans, queries
from tracker.store.models import CLIENT, Plan, PlanEvent
from tracker.web.access import get_object_or_404, role_required
from tracker.web.pages import render, submitted_status
from tracker.web.plans.forms import FinishPlanForm, StartPlanForm, SuggestionForm
from tracker.web.questionnaires import catalogue

bp = Blueprint("plans", __name__)


def _choice(form: StartPlanForm, status: int = 200):
    """The page for a client without a plan: the plans on offer as cards."""
    return render(
        "plans/plan.html", plan=None, form=form, status=status,
        waiting=plans.therapist_linked(current_user),
        history=plans.finished_plans(current_user),
    )


@bp.get("/plan")
@role_required(CLIENT)
def plan():
    """The current plan as a timeline of phases, or a choice of plans to start."""
    today = plans.local_today(current_user)
    current = queries.current_plan(current_user).first()
    offered = plans.offered_templates(current_user)
    if current is None:
        return _choice(StartPlanForm(today, offered))
    plan_input = plans.plan_input(current)
    cards = wording.phase_cards(plan_input, today, instruments=catalogue().instruments)
    now, upcoming = wording.now_and_next(cards)
    events = current.events.order_by(PlanEvent.at.desc(), PlanEvent.id.desc()).limit(5)
    switch_form = StartPlanForm(today, offered) if current.self_guided else None
    return render(
        "plans/plan.html", plan=current, cards=cards, now=now, upcoming=upcoming, events=events,
        waiting_since=schedule.waiting_step_down(plan_input, today),
        switch_form=switch_form, finish_form=FinishPlanForm(),
        history=plans.finished_plans(current_user), pause=plans.pause_status(current, today),
    )


@bp.post("/plan/suggestion")
@role_required(CLIENT)
def suggestion():
    """A self-guided client confirms or declines moving phase after a symptom change."""
    plan = get_object_or_404(queries.current_plan(current_user.id),
                             Plan.therapist.is_null(), Plan.suggestion.is_null(False))
    form = SuggestionForm()
    if not form.validate_on_submit():
        abort(400)
    accept = form.decision.data == "accept"
    moved = plans.decide_suggestion(plan, accept, plans.local_today(current_user), current_user)
    if moved is None:
        flash("OK, your plan stays as it is.", "info")
    else:
        flash("Your plan has moved to its next step from today.", "success")
    return redirect(url_for("plans.plan"))


@bp.post("/plan/start")
@role_required(CLIENT)
def start():
    """Start a built-in plan, or switch to one from a self-guided plan (``replace``)."""
    today = plans.local_today(current_user)
    form = StartPlanForm(today, plans.offered_templates(current_user))
    current = queries.current_plan(current_user).first()
    if current is not None and not (current.self_guided and form.replace.data):
        flash("You already have a plan." + (" Use “Switch plan” below to change it."
              if current.self_guided else " Your therapist can change it with you."), "error")
        return redirect(url_for("plans.plan"))
    if not form.validate_on_submit():
        if current is not None:
            flash(" ".join(e for errors in form.errors.values() for e in errors)
                  or "Please try again.", "error")
            return redirect(url_for("plans.plan"))
        return _choice(form, submitted_status(form))
    started = plans.start_own(current_user, form.template.data, form.start.data, today,
                              replace=form.replace.data)
    if started is None:  # a plan came in between (another device, or the therapist)
        flash("You already have a plan.", "error")
        return redirect(url_for("plans.plan"))
    flash("Your new plan has started. Your earlier plan is kept in your history."
          if current is not None else "Your plan has started.", "success")
    return redirect(url_for("plans.plan"))


@bp.post("/plan/finish")
@role_required(CLIENT)
def finish():
    """A self-guided client finishes their plan; a therapist's plan is not theirs to end."""
    plan = get_object_or_404(queries.current_plan(current_user.id), Plan.therapist.is_null())
    if not FinishPlanForm().validate_on_submit():
        abort(400)
    plans.finish(plan, plans.local_today(current_user), current_user)
    flash("Your plan is finished. It stays in your history; you can start another below.",
          "success")
    return redirect(url_for("plans.plan"))
