"""Reminder settings, and unsubscribing from reminder emails without logging in."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from tracker.store import reminder_settings
from tracker.store.models import utcnow
from tracker.store.tokens import user_from_unsubscribe_token
from tracker.web.extensions import csrf
from tracker.web.pages import render, submitted_status
from tracker.web.push.routes import devices_context
from tracker.web.settings.forms import ReminderForm

bp = Blueprint("reminders", __name__)

_TIME_FIELDS = ("selfcare_time", "second_time", "session_day_before_time", "quiet_start",
                "quiet_end")


@bp.route("/settings/reminders", methods=["GET", "POST"])
@login_required
def settings():
    """When and how to be reminded, in the user's own time."""
    pref = reminder_settings.preference_for(current_user)
    form = ReminderForm(data=_form_data(pref))  # a POST's own fields take precedence
    if form.validate_on_submit():
        for name in _TIME_FIELDS:
            setattr(pref, name, getattr(form, name).data)
        pref.session_day_before = form.session_day_before.data
        pref.email = form.email.data
        reminder_settings.reschedule(pref, current_user, utcnow())
        flash("Reminders saved.", "success")
        return redirect(url_for("reminders.settings"))
    return render("reminders/settings.html", form=form, pref=pref,
                  status=submitted_status(form), **devices_context(current_user))


def _form_data(pref) -> dict:
    data = {name: getattr(pref, name) for name in _TIME_FIELDS}
    return {**data, "session_day_before": pref.session_day_before, "email": pref.email}


@bp.route("/reminders/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail apps post one-click unsubscribes
def unsubscribe(token: str):
    """Stop reminder emails from the link in one (no login needed)."""
    user = user_from_unsubscribe_token(token)
    if user is None:  # not ours, or its account is gone or has a new email address
        return render("reminders/unsubscribed.html", gone=True, status=404)
    if request.method == "POST":
        pref = reminder_settings.preference_for(user)
        pref.email = False
        reminder_settings.reschedule(pref, user, utcnow())
        return render("reminders/unsubscribed.html", done=True, token=token)
    return render("reminders/unsubscribed.html", done=False, token=token)
