"""The calendar feed: the plan's last 90 days and next 12 months for any calendar app."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, redirect, url_for
from flask_login import current_user, login_required

from tracker.domain import calendar_feed, schedule
from tracker.store import plans, queries, reminder_settings, tokens
from tracker.store.models import CLIENT, ReminderPreference, User, utcnow
from tracker.web.access import get_object_or_404, role_required
from tracker.web.pages import private, render, wants_fragment

bp = Blueprint("calendar", __name__)

FEED_DAYS = 365
# A subscribed calendar replaces its copy with each fetch: past days stay in the feed so
# the sessions already had do not vanish from it.
PAST_DAYS = 90


def _feed_response(user: User) -> Response:
    plan = get_object_or_404(queries.current_plan(user.id))  # a therapist has none
    today = plans.local_today(user)
    occurrences = schedule.occurrences(
        plans.plan_input(plan), today - timedelta(days=PAST_DAYS),
        today + timedelta(days=FEED_DAYS)
    )
    # the defaults until they set any
    pref = ReminderPreference.get_or_none(ReminderPreference.user == user) or ReminderPreference()
    body = calendar_feed.build_feed(
        occurrences,
        tz=ZoneInfo(user.timezone),
        plan_id=plan.id,
        calendar_name=f"{plan.title} ({user.name})",
        generated_at=utcnow(),
        url_for_today=url_for("today.today", _external=True),
        reminders=reminder_settings.preferences_of(pref, user.timezone),
        how_to_urls=_how_to_urls(occurrences),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="care-plan.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    return response


def _how_to_urls(occurrences) -> dict[str, str]:
    """Each item's technique's "How to" page (with its pictures), as an absolute URL."""
    ids = plans.technique_ids({o.item.technique for o in occurrences if o.item.technique})
    return {slug: url_for("library.detail", technique_id=i, _external=True)
            for slug, i in ids.items()}


@bp.get("/calendar.ics")
@role_required(CLIENT)
def feed():
    """The logged-in client's feed (to download or open)."""
    return _feed_response(current_user)


@bp.get("/calendar/<token>.ics")
def subscribed_feed(token: str):
    """The same feed behind a secret URL, for calendar apps that cannot log in."""
    user = tokens.user_for_calendar_token(token)
    if user is None:
        abort(404)
    return _feed_response(user)


@bp.post("/calendar/link")
@login_required
def new_link():
    """Create the subscribe link, or replace it (the old one stops working). Only its hash
    is kept, so the answer is the one time the link is shown."""
    token = tokens.new_calendar_token(current_user)
    link = url_for("calendar.subscribed_feed", token=token, _external=True)
    return private(render("calendar/link.html", "plans/_calendar.html", calendar_link=link))


@bp.post("/calendar/link/delete")
@login_required
def delete_link():
    """Turn the subscribe link off."""
    tokens.end_calendar_token(current_user)
    if wants_fragment():
        return render("plans/_calendar.html", "plans/_calendar.html")
    return redirect(url_for("plans.plan", _anchor="calendar-link"))
