"""The client's daily check-in, "Something's wrong" (the safety questions, any day), the
urgent-care and paused screens, and what a client may do about a pause."""
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from tracker.domain import library
from tracker.store import checkins, offline, plans, queries, safety_reports
from tracker.store.models import CLIENT
from tracker.web.access import role_required
from tracker.web.checkin.forms import CheckedForm, CheckInForm, ResumeForm, SafetyForm
from tracker.web.pages import render, submitted_status
from tracker.web.questionnaires import catalogue
from tracker.web.templating import long_date, short_date

bp = Blueprint("checkin", __name__, url_prefix="/checkin")


def _next_page(report=None, urgent: bool = False) -> str:
    """After answers: the urgent screen for a warning sign, the paused screen for a problem
    in the treated area, else today's plan."""
    if urgent:
        return url_for("checkin.urgent")
    if report is not None and report.reported:
        return url_for("checkin.paused")
    return url_for("today.today")


@bp.route("", methods=["GET", "POST"])
@role_required(CLIENT)
def form():
    """The check-in for today or, filled in afterwards, one of the 7 days before: pain,
    nerve symptoms, anything new, problems in the treated area."""
    today = plans.local_today(current_user)
    showing = request.method == "GET"
    day = _asked_day(today) if showing else None
    # Pre-fill from the day's answers only when showing the form: a post stands on its own.
    form = CheckInForm(obj=checkins.today_for(current_user, day) if showing else None)
    if showing:
        form.anything_new.data = None  # asked afresh each time
        form.day.data = day if day != today else None
    if not form.validate_on_submit() or not _valid_day(form, today):
        day = form.day.data if form.day.data and not form.day.errors else today
        return render("checkin/form.html", form=form, today=today, day=day,
                      existing=checkins.today_for(current_user, day),
                      days=_day_choices(today, day), status=submitted_status(form))
    day = form.day.data or today
    recorded = []
    offline.apply_once(
        current_user, form.op_id.data,
        lambda: recorded.append(
            checkins.record_checkin(current_user, day, today=today,
                                    instruments=catalogue().instruments, **form.values())),
    )
    if not recorded:  # a replay of a check-in saved already
        return redirect(url_for("today.today"))
    _checkin, report, ask = recorded[0]
    if report is not None:
        safety_reports.announce(report, [safety_reports.AREA])
    if ask:
        return redirect(url_for("checkin.safety"))
    if report is None:
        flash("Check-in saved." if day == today
              else f"Check-in for {long_date(day)} saved.", "success")
    return redirect(_next_page(report))


def _valid_day(form: CheckInForm, today) -> bool:
    """A check-in may be for one of the last 7 days (filled in afterwards, or replayed
    from a phone that was offline), never a later one."""
    day = form.day.data
    if day is None or today - timedelta(days=checkins.LATE_DAYS) <= day <= today:
        return True
    form.day.errors = [*form.day.errors, "A check-in can be for today or the 7 days before."]
    return False


def _asked_day(today):
    """The day in ``?day=`` (today without it): one of the last 7 days, else 404."""
    text = request.args.get("day", "")
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(404)
    if not today - timedelta(days=checkins.LATE_DAYS) <= day <= today:
        abort(404)
    return day


def _day_choices(today, chosen) -> list[dict]:
    """The day picker: today and the 7 days before, newest first, each saying whether
    it has a check-in."""
    first = today - timedelta(days=checkins.LATE_DAYS)
    done = checkins.days_checked_in(current_user, first, today)
    return [{"day": day, "chosen": day == chosen, "checked_in": day in done,
             "name": "Today" if day == today else "Yesterday" if i == 1 else short_date(day),
             "url": url_for("checkin.form", day=None if day == today else day.isoformat())}
            for i, day in ((i, today - timedelta(days=i)) for i in range(checkins.LATE_DAYS + 1))]


@bp.route("/safety", methods=["GET", "POST"])
@role_required(CLIENT)
def safety():
    """Something's wrong: the warning-sign questions (yes/no each, no default, all
    required) and problems in the treated area, on any day, with or without a check-in."""
    form = SafetyForm()
    if not form.validate_on_submit():
        return render("checkin/safety.html", form=form,
                      questions_due=current_user.safety_questions_due,
                      status=submitted_status(form))
    report, assessment = checkins.record_safety_answers(
        current_user, plans.local_today(current_user), **form.values(),
        instruments=catalogue().instruments)
    kind = safety_reports.alert_kind(report)
    if kind:
        safety_reports.announce(report, [kind])
    else:
        flash("Thank you. Nothing you told us needs urgent care. If anything changes, tell "
              "us here at any time.", "success")
    return redirect(_next_page(report, assessment.urgent))


def _safety_page(template: str, show, status: int = 200, resume_form=None):
    """A page about the client's open reports and pauses, when ``show(context)`` says there
    is something to show; otherwise on to the day's plan."""
    plan = queries.current_plan(current_user).first()
    context = checkins.status_context(current_user, plan, plans.local_today(current_user))
    if not show(context):
        return redirect(url_for("today.today"))
    return render(template, plan=plan, status=status, **safety_screen(context, resume_form))


def safety_screen(context: dict, resume_form=None) -> dict:
    """What the safety screens (and /today, while a report is open) show. The buttons'
    forms only while a report is open: they are the report's (checkin/_actions.html)."""
    reports = bool(context["reports"])
    return {
        **context,
        "resume_form": resume_form or (ResumeForm() if reports else None),
        "checked_form": CheckedForm() if reports else None,
        "emergency_number": emergency_number(),
        "texts": library,
    }


def emergency_number() -> str:
    """TRACKER_EMERGENCY_NUMBER as dialable text ("" when unset or not a phone number)."""
    number = str(current_app.config.get("EMERGENCY_NUMBER") or "").strip()
    return number if number and all(c.isdigit() or c in "+ " for c in number) else ""


@bp.get("/urgent")
@role_required(CLIENT)
def urgent():
    """Get medical help: shown while a warning sign is open, on every visit."""
    return _safety_page("checkin/urgent.html", lambda c: c["safety"].urgent)


@bp.get("/paused")
@role_required(CLIENT)
def paused():
    """Sessions and the self-care on the area are paused after a treated-area problem."""
    return _safety_page("checkin/paused.html", lambda c: c["safety"].reported)


@bp.post("/resume")
@role_required(CLIENT)
def resume():
    """A self-guided client restarts the plan once a professional has said it is safe; a
    therapist-led plan is restarted by the therapist only (403)."""
    if safety_reports.therapist_led(current_user):
        abort(403)
    form = ResumeForm()
    if not safety_reports.open_reports(current_user):
        flash("Nothing was paused.", "info")
        return redirect(url_for("today.today"))
    if not form.validate_on_submit():
        return _safety_page("checkin/paused.html", lambda c: True, status=submitted_status(form),
                            resume_form=form)
    safety_reports.resolve(current_user, current_user, plans.local_today(current_user))
    flash("Your plan is back on. Go gently, and stop if anything feels worse.", "success")
    return redirect(url_for("today.today"))


@bp.post("/checked")
@role_required(CLIENT)
def checked():
    """A client of a therapist says a professional has checked them: the therapist is
    told and restarts the plan."""
    if not CheckedForm().validate_on_submit():
        abort(400)
    marked = safety_reports.mark_checked(current_user)
    for report in marked:
        safety_reports.announce(report, [safety_reports.CHECKED])
    flash("Thank you. Your therapist has been told and will restart your plan."
          if marked else "Your therapist already knows; they will restart your plan.", "success")
    return redirect(url_for("checkin.urgent") if any(r.red_flags for r in
                    safety_reports.open_reports(current_user)) else url_for("checkin.paused"))
