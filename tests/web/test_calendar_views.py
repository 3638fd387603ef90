import hashlib
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from tests.conftest import Auth, csrf_token
from tracker.domain import schedule
from tracker.store import plans, privacy
from tracker.store.db import database
from tracker.store.models import Plan, User

NEW_YORK = ZoneInfo("America/New_York")  # the demo client's zone


@pytest.fixture
def demo(app, runner):
    runner.invoke(args=["seed-demo"])


@pytest.fixture
def logged_in(demo, auth):
    auth.login("client@example.com", "sciatica-demo")
    return auth.client


def _link(response):
    """The subscribe link a page or fragment shows, or None."""
    match = re.search(r'id="subscribe-url" type="text" readonly value="([^"]+)"',
                      response.get_data(as_text=True))
    return match and match.group(1).replace("http://localhost", "")


def _new_link(client):
    """Create (or replace) the link: the answer is the only place it is shown."""
    response = client.post("/calendar/link", data={"csrf_token": csrf_token(client, "/plan")})
    assert response.status_code == 200
    return _link(response)


def test_feed_matches_the_engine_for_the_last_90_days_and_the_next_12_months(logged_in):
    response = logged_in.get("/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "America/New_York"  # the demo client's zone
    with database.connection_context():
        plan = Plan.get()
        today = plans.local_today(plan.client)
        expected = {
            (o.date, o.item.name)
            for o in schedule.occurrences(plans.plan_input(plan), today - timedelta(90),
                                          today + timedelta(365))
            if o.item.is_session
        }
    events = recurring_ical_events.of(cal).between(today - timedelta(100),
                                                   today + timedelta(400))
    sessions = {
        (e["DTSTART"].dt.date(), str(e["SUMMARY"]))
        for e in events
        if not str(e["SUMMARY"]).startswith("Self-care")
    }
    assert sessions == expected
    assert ("Deep tissue massage" in {s for _, s in sessions})
    # the demo's six weeks of history: past sessions stay in a subscribed calendar
    assert min(day for day, _ in sessions) < today - timedelta(days=35)


def test_feed_needs_login_and_a_plan(app, client, demo, auth):
    assert client.get("/calendar.ics").location.startswith("/login")
    auth.login("therapist@example.com", "sciatica-demo")
    assert client.get("/calendar.ics").status_code == 403  # the feed is a client's


def test_subscribe_link_create_replace_and_turn_off(logged_in, app):
    assert _link(logged_in.get("/plan")) is None
    assert "Create subscribe link" in logged_in.get("/plan").get_data(as_text=True)
    token = csrf_token(logged_in, "/plan")
    response = logged_in.post("/calendar/link", data={"csrf_token": token})
    assert response.status_code == 200  # a page of its own: the link is shown this once
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "<h1>Your calendar link</h1>" in response.get_data(as_text=True)
    first = _link(response)
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 200
    plan_page = logged_in.get("/plan").get_data(as_text=True)
    assert _link(logged_in.get("/plan")) is None and "can't be shown again" in plan_page
    assert "Replace link" in plan_page

    second = _link(logged_in.post("/calendar/link", data={"csrf_token": token}))
    assert second != first
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200

    response = logged_in.post("/calendar/link/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.location == "/plan#calendar-link"
    assert "Create subscribe link" in logged_in.get("/plan").get_data(as_text=True)
    assert anonymous.get(second).status_code == 404


def test_only_the_hash_of_the_link_is_stored(logged_in):
    link = _new_link(logged_in)
    raw = link.rsplit("/", 1)[1].removesuffix(".ics")
    with database.connection_context():
        user = User.by_email("client@example.com")
        assert user.calendar_token_hash == hashlib.sha256(raw.encode()).hexdigest()
        row = database.execute_sql('SELECT * FROM "user" WHERE "id" = ' + database.param,
                                   (user.id,)).fetchone()
    assert raw not in [str(value) for value in row]


def test_a_deleted_accounts_calendar_link_is_gone(app, logged_in):
    link = _new_link(logged_in)
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    with database.connection_context():
        privacy.delete_account(User.by_email("client@example.com"))
    assert anonymous.get(link).status_code == 404


def test_link_actions_answer_htmx_with_the_fragment(logged_in):
    token = csrf_token(logged_in, "/plan")
    response = logged_in.post(
        "/calendar/link", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith('<section id="calendar-link"') and "<html" not in html
    assert "Replace link" in html
    assert _link(response).startswith("/calendar/")
    response = logged_in.post(
        "/calendar/link/delete", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<section id="calendar-link"')
    assert "Create subscribe link" in html and _link(response) is None


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
    mine_link, theirs_link = _new_link(logged_in), _new_link(other)
    anonymous = app.test_client()
    mine = icalendar.Calendar.from_ical(anonymous.get(mine_link).data)
    theirs = icalendar.Calendar.from_ical(anonymous.get(theirs_link).data)
    assert "Demo Client" in str(mine["X-WR-CALNAME"])
    assert "Bea" in str(theirs["X-WR-CALNAME"])
    assert theirs.walk("VTIMEZONE")[0]["TZID"] == "Asia/Tokyo"


def _feed(client, **settings):
    """The feed after saving these reminder settings."""
    from tracker.store.models import ReminderPreference

    with database.connection_context():
        ReminderPreference.update(**settings).execute()
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data)


def _upcoming(cal, today, summary):
    """The events from today on whose summary starts with `summary`."""
    return [e for e in cal.walk("VEVENT")
            if str(e["SUMMARY"]).startswith(summary) and _day(e) >= today]


def _today():
    with database.connection_context():
        return plans.local_today(User.by_email("client@example.com"))


def _triggers(event):
    return [a["TRIGGER"].dt for a in event.walk("VALARM")]


def test_feed_alarms_follow_the_reminder_settings(logged_in):
    cal = _feed(logged_in, selfcare_time="07:30", session_day_before=True,
                session_day_before_time="19:00", second_time=None)
    today = _today()
    selfcare = _upcoming(cal, today, "Self-care")[0]
    assert _triggers(selfcare) == [timedelta(hours=7, minutes=30)]  # 07:30 that day
    # Sessions: expanded the way a calendar app does, the alarm rings at 19:00 the day before.
    session = _upcoming(cal, today, "Deep tissue massage")[0]
    start = session["DTSTART"].dt
    ring = (start + session.walk("VALARM")[0]["TRIGGER"].dt).astimezone(NEW_YORK)
    assert ring.date() == start.astimezone(NEW_YORK).date() - timedelta(days=1)
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
    rings = [a.walk("VALARM")[0]["TRIGGER"].dt.astimezone(NEW_YORK) for a in alarms]
    assert rings and all(r.time() == time(19, 0) for r in rings)


def test_the_second_self_care_time_gets_its_own_alarm(logged_in):
    cal = _feed(logged_in, selfcare_time="08:00", second_time="19:30")
    for event in _upcoming(cal, _today(), "Self-care"):
        assert _triggers(event) == [timedelta(hours=8), timedelta(hours=19, minutes=30)]


def test_alarms_in_quiet_hours_move_to_their_end(logged_in):
    # quiet 22:00-09:00: the 08:00 alarm rings at 09:00, the 23:00 one the next morning
    cal = _feed(logged_in, selfcare_time="08:00", second_time="23:00",
                session_day_before_time="23:30", quiet_start="22:00", quiet_end="09:00")
    today = _today()
    for event in _upcoming(cal, today, "Self-care"):
        assert _triggers(event) == [timedelta(hours=9), timedelta(days=1, hours=9)]
    session = _upcoming(cal, today, "Deep tissue massage")[0]  # at 10:00
    start = session["DTSTART"].dt.astimezone(NEW_YORK)
    ring = (start + _triggers(session)[0]).astimezone(NEW_YORK)
    assert ring == start.replace(hour=9, minute=0)  # the eve's 23:30 moved to 09:00 that day


def test_past_days_are_in_the_feed_without_alarms(logged_in):
    cal = _feed(logged_in, second_time="19:30")
    today = _today()
    past = [e for e in cal.walk("VEVENT") if _day(e) < today]
    assert past and all(not e.walk("VALARM") for e in past)
    assert all(e.walk("VALARM") for e in cal.walk("VEVENT") if _day(e) >= today)


def _day(event):
    start = event["DTSTART"].dt
    return start.date() if isinstance(start, datetime) else start
