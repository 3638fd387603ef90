"""A therapist's alert settings: how to be told about each kind of news, and when the daily
digest comes."""
from dataclasses import asdict

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from tracker.domain import digest
from tracker.store import alert_settings
from tracker.store.models import THERAPIST
from tracker.web.access import role_required
from tracker.web.pages import render, submitted_status
from tracker.web.settings.alert_forms import AlertForm

bp = Blueprint("alerts", __name__)

# Which fieldsets the page shows, in order: the immediate one, then the digest's.
DIGEST_FIELDS = ("area", "flare_up", "step_down", "inactive")


@bp.route("/settings/alerts", methods=["GET", "POST"])
@role_required(THERAPIST)
def settings():
    """How and when to be told about clients who need attention."""
    prefs = alert_settings.preferences_for(current_user)
    form = AlertForm(data=asdict(prefs))  # a POST's own fields take precedence
    if form.validate_on_submit():
        alert_settings.save(current_user, form.preferences(current_user.timezone))
        flash("Alert settings saved.", "success")
        return redirect(url_for("alerts.settings"))
    return render("settings/alerts.html", form=form, digest_fields=DIGEST_FIELDS,
                  inactive_default=digest.INACTIVE_DAYS_DEFAULT,
                  status=submitted_status(form))
