"""The client's plan: its phase timeline, and starting a self-guided plan."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from tracker.domain import library, schedule, wording
from tracker.store import plans
from tracker.store.models import Plan, PlanEvent
from tracker.web.pages import render
from tracker.web.plans.forms import StartPlanForm, SuggestionForm

bp = Blueprint("plans", __name__)


def _client_only() -> None:
    if current_user.is_therapist:
        abort(404)


@bp.get("/plan")
@login_required
def plan():
    """The current plan as a timeline of phases, or a choice of plans to start."""
    _client_only()
    today = plans.local_today(current_user)
    current = Plan.current_for(current_user)
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
@login_required
def suggestion():
    """A self-guided client confirms or declines moving phase after a symptom change."""
    _client_only()
    plan = Plan.current_for(current_user)
    form = SuggestionForm()
    if plan is None or not plan.self_guided or plan.suggestion is None:
        abort(404)
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
@login_required
def start():
    """Start a built-in plan (self-guided: no therapist)."""
    _client_only()
    today = plans.local_today(current_user)
    form = StartPlanForm(today)
    if Plan.current_for(current_user) is not None:
        flash("You already have a plan. Finish it before starting another.", "error")
        return redirect(url_for("plans.plan"))
    if not form.validate_on_submit():
        return render(
            "plans/plan.html", plan=None, form=form, templates=library.TEMPLATES, status=422
        )
    plans.create_from_template(
        current_user, form.template.data, form.start.data, created_by=current_user
    )
    flash("Your plan has started.", "success")
    return redirect(url_for("plans.plan"))
