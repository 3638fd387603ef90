"""The client's plan: its phase timeline, and starting a self-guided plan."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from tracker.domain import library, schedule, wording
from tracker.store import plans, queries
from tracker.store.models import CLIENT, Plan, PlanEvent
from tracker.web.access import get_object_or_404, role_required
from tracker.web.pages import render, submitted_status
from tracker.web.plans.forms import StartPlanForm, SuggestionForm

bp = Blueprint("plans", __name__)


@bp.get("/plan")
@role_required(CLIENT)
def plan():
    """The current plan as a timeline of phases, or a choice of plans to start."""
    today = plans.local_today(current_user)
    current = queries.current_plan(current_user).first()
    if current is None:
        return render(
            "plans/plan.html", plan=None, form=StartPlanForm(today), templates=library.TEMPLATES
        )
    plan_input = plans.plan_input(current)
    cards = wording.phase_cards(plan_input, today)
    now, upcoming = wording.now_and_next(cards)
    events = current.events.order_by(PlanEvent.at.desc(), PlanEvent.id.desc()).limit(5)
    return render(
        "plans/plan.html", plan=current, cards=cards, now=now, upcoming=upcoming, events=events,
        waiting_since=schedule.waiting_step_down(plan_input, today),
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
    """Start a built-in plan (self-guided: no therapist)."""
    today = plans.local_today(current_user)
    form = StartPlanForm(today)
    if queries.current_plan(current_user).first() is not None:
        flash("You already have a plan. Finish it before starting another.", "error")
        return redirect(url_for("plans.plan"))
    if not form.validate_on_submit():
        return render(
            "plans/plan.html", plan=None, form=form, templates=library.TEMPLATES,
            status=submitted_status(form),
        )
    plans.create_from_template(
        current_user, form.template.data, form.start.data, created_by=current_user
    )
    flash("Your plan has started.", "success")
    return redirect(url_for("plans.plan"))
