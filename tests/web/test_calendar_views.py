import re
from datetime import timedelta

import icalendar
import pytest
import recurring_ical_events

from tests.conftest import Auth, csrf_token
from tracker.domain import schedule
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import Plan, User


@pytest.fixture
def demo(app, runner):
    runner.invoke(args=["seed-demo"])


@pytest.fixture
def logged_in(demo, auth):
    auth.login("client@example.com", "sciatica-demo")
    return auth.client


def _link(client):
    match = re.search(r'id="subscribe-url" type="text" readonly value="([^"]+)"',
                      client.get("/plan").get_data(as_text=True))
    return match and match.group(1).replace("http://localhost", "")


def test_feed_matches_the_engine_for_the_next_12_months(logged_in):
    response = logged_in.get("/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "America/New_York"  # the demo client's zone
    with database.connection_context():
        plan = Plan.get()
        today = plans.local_today(plan.client)
        expected = {
            (o.date, o.item.name)
            for o in schedule.occurrences(plans.plan_input(plan), today, today + timedelta(365))
            if o.item.is_session
        }
    events = recurring_ical_events.of(cal).between(today, today + timedelta(366))
    sessions = {
        (e["DTSTART"].dt.date(), str(e["SUMMARY"]))
        for e in events
        if not str(e["SUMMARY"]).startswith("Self-care")
    }
    assert sessions == expected
    assert ("Deep tissue massage" in {s for _, s in sessions})


def test_feed_needs_login_and_a_plan(app, client, demo, auth):
    assert client.get("/calendar.ics").location.startswith("/login")
    auth.login("therapist@example.com", "sciatica-demo")
    assert client.get("/calendar.ics").status_code == 403  # the feed is a client's


def test_subscribe_link_create_replace_and_turn_off(logged_in, app):
    assert _link(logged_in) is None
    token = csrf_token(logged_in, "/plan")
    assert logged_in.post("/calendar/link", data={"csrf_token": token}).status_code == 302
    first = _link(logged_in)
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 200

    logged_in.post("/calendar/link", data={"csrf_token": token})
    second = _link(logged_in)
    assert second != first
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200

    logged_in.post("/calendar/link/delete", data={"csrf_token": token})
    assert _link(logged_in) is None
    assert anonymous.get(second).status_code == 404


def test_link_actions_answer_htmx_with_the_fragment(logged_in):
    token = csrf_token(logged_in, "/plan")
    response = logged_in.post(
        "/calendar/link", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith('<section id="calendar-link"') and "<html" not in html
    assert "Replace link" in html


@pytest.mark.parametrize("path", ["/calendar/link", "/calendar/link/delete"])
def test_link_actions_need_csrf_and_login(app, client, demo, auth, path):
    assert client.post(path).status_code == 400  # no CSRF token, before anything else
    auth.login("client@example.com", "sciatica-demo")
    assert client.post(path).status_code == 400


@pytest.mark.parametrize("token", ["nope", "x" * 500, "%00", ""])
def test_unknown_tokens_are_404(client, demo, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_each_token_shows_only_its_owners_plan(app, logged_in):
    other = app.test_client()
    with database.connection_context():
        user = User.create_account("b@example.org", "Bea", "a password!", "client", "Asia/Tokyo")
        plans.create_from_template(user, "maintenance", plans.local_today(user), created_by=user)
    Auth(other).login("b@example.org", "a password!")
    for c in (logged_in, other):
        c.post("/calendar/link", data={"csrf_token": csrf_token(c, "/plan")})
    anonymous = app.test_client()
    mine = icalendar.Calendar.from_ical(anonymous.get(_link(logged_in)).data)
    theirs = icalendar.Calendar.from_ical(anonymous.get(_link(other)).data)
    assert "Demo Client" in str(mine["X-WR-CALNAME"])
    assert "Bea" in str(theirs["X-WR-CALNAME"])
    assert theirs.walk("VTIMEZONE")[0]["TZID"] == "Asia/Tokyo"


def test_feed_alarms_follow_the_reminder_settings(logged_in):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from tracker.store.models import ReminderPreference

    with database.connection_context():
        ReminderPreference.update(selfcare_time="07:30", session_day_before=True,
                                  session_day_before_time="19:00").execute()
    cal = icalendar.Calendar.from_ical(logged_in.get("/calendar.ics").data)
    zone = ZoneInfo("America/New_York")
    selfcare = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Self-care"))
    trigger = selfcare.walk("VALARM")[0]["TRIGGER"].dt
    assert trigger == timedelta(hours=7, minutes=30)  # 07:30 on the day (all-day event)
    # Sessions: expanded the way a calendar app does, the alarm rings at 19:00 the day before.
    session = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Deep tissue massage")
    start = session["DTSTART"].dt
    ring = (start + session.walk("VALARM")[0]["TRIGGER"].dt).astimezone(zone)
    assert ring.date() == start.astimezone(zone).date() - timedelta(days=1)
    assert ring.time() == time(19, 0)
    assert isinstance(start, datetime)
    # Expand the session's alarm as a calendar app would (recurring-ical-events 3.8.2 cannot
    # expand alarms on all-day events, so the self-care days stay out of this calendar).
    only_session = icalendar.Calendar()
    for component in cal.walk("VTIMEZONE") + [session]:
        only_session.add_component(component)
    alarms = list(recurring_ical_events.of(only_session, components=["VALARM"]).between(
        start - timedelta(days=2), start))
    # each expanded event carries its alarm with the trigger resolved to a moment
    rings = [a.walk("VALARM")[0]["TRIGGER"].dt.astimezone(zone) for a in alarms]
    assert rings and all(r.time() == time(19, 0) for r in rings)
