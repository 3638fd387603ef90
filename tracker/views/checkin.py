"""The client's daily check-in, its safety questions, and resuming a paused plan."""
from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from tracker import checkins, library, offline, plans
from tracker.checkin_forms import CheckInForm, RedFlagForm, ResumeForm
from tracker.models import Plan
from tracker.pages import render

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

RESUMED = {
    checkins.SELF_CARE: "Your stretches and self-massage are back on your plan.",
    checkins.SESSIONS: "Your professional sessions are back on your plan.",
}


@bp.before_request
@login_required
def _client_only():
    if current_user.is_therapist:
        abort(404)


def _after_checkin_url() -> str:
    # /today is built separately; until it exists the plan page is the next best place.
    try:
        return url_for("today.today")
    except BuildError:
        return url_for("plans.plan")


def _next_step(checkin, assessment) -> str:
    if assessment.urgent or checkin.red_flags:
        return url_for("checkin.urgent")
    flash("Check-in saved.", "success")
    if checkin.contraindications:
        return url_for("checkin.paused")
    return _after_checkin_url()


@bp.route("", methods=["GET", "POST"])
def form():
    """Today's check-in: pain, nerve symptoms, a note, problems in the treated area."""
    today = plans.local_today(current_user)
    existing = checkins.today_for(current_user, today)
    # Pre-fill from today's answers only when showing the form: a post stands on its own.
    form = CheckInForm(obj=existing if request.method == "GET" else None)
    if not form.validate_on_submit() or not _valid_day(form, today):
        status = 422 if form.is_submitted() else 200
        return render("checkin/form.html", form=form, existing=existing, today=today,
                      status=status)
    day = form.day.data or today
    recorded = []
    offline.apply_once(
        current_user, form.op_id.data,
        lambda: recorded.append(checkins.record_checkin(current_user, day, **form.values())),
    )
    if not recorded:  # a replay of a check-in saved already
        return redirect(_after_checkin_url())
    checkin, assessment, ask = recorded[0]
    if ask:
        return redirect(url_for("checkin.safety"))
    return redirect(_next_step(checkin, assessment))


def _valid_day(form: CheckInForm, today) -> bool:
    """A replayed check-in may be for one of the last 7 days, never a later one."""
    day = form.day.data
    if day is None or today - timedelta(days=checkins.LATE_DAYS) <= day <= today:
        return True
    form.day.errors = [*form.day.errors, "A check-in can be for today or the 7 days before."]
    return False


@bp.route("/safety", methods=["GET", "POST"])
def safety():
    """The red-flag questions: yes/no each, no default, all required."""
    today = plans.local_today(current_user)
    if checkins.today_for(current_user, today) is None:
        return redirect(url_for("checkin.form"))
    form = RedFlagForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("checkin/safety.html", form=form, status=status)
    assessment = checkins.record_safety_answers(current_user, today, form.answers())
    return redirect(_next_step(checkins.today_for(current_user, today), assessment))


def _safety_page(template: str, show: Callable[..., bool], resume_form=None, status: int = 200):
    """A page about today's safety answers and the open pauses, when there is something
    to show (``show(checkin, pauses)``); otherwise on to the day's plan."""
    today = plans.local_today(current_user)
    checkin = checkins.today_for(current_user, today)
    plan = Plan.current_for(current_user)
    pauses = checkins.open_pauses(plan)
    if not show(checkin, pauses):
        return redirect(_after_checkin_url())
    return render(
        template,
        assessment=checkins.day_assessment(checkin),
        plan=plan,
        pauses=pauses,
        resume_form=resume_form,
        after_url=_after_checkin_url(),
        follow_up=library.CONTRAINDICATION_FOLLOW_UP,
        status=status,
    )


def _has(scope: str, attribute: str):
    def show(checkin, pauses) -> bool:
        reported = checkin is not None and bool(getattr(checkin, attribute))
        return reported or any(p.scope == scope for p in pauses)

    return show


@bp.get("/urgent")
def urgent():
    """Get medical help now: shown after a red flag, while self-care is paused."""
    return _safety_page("checkin/urgent.html", _has(checkins.SELF_CARE, "red_flags"))


@bp.get("/paused")
def paused():
    """Sessions are paused after a problem in the treated area: what to do about it."""
    return _safety_page("checkin/paused.html", _has(checkins.SESSIONS, "contraindications"))


@bp.post("/resume")
def resume():
    """Resume self-care or sessions once a healthcare professional has said it is safe."""
    form = ResumeForm()
    plan = Plan.current_for(current_user)
    if not form.validate_on_submit():
        if form.scope.errors or plan is None:
            abort(400)
        page = {checkins.SELF_CARE: "checkin/urgent.html", checkins.SESSIONS: "checkin/paused.html"}
        return _safety_page(page[form.scope.data], lambda *_: True, resume_form=form, status=422)
    today = plans.local_today(current_user)
    if plan is not None and checkins.resume(plan, form.scope.data, today, current_user):
        flash(RESUMED[form.scope.data], "success")
    else:
        flash("Nothing was paused.", "info")
    return redirect(_after_checkin_url())
