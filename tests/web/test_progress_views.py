import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.conftest import make_user
from tracker.store import checkoffs, plans, reports
from tracker.store.db import database
from tracker.store.models import CheckIn


@pytest.fixture
def client_with_history(app, auth):
    """A client 10 days into the acute plan, with check-ins and some check-offs."""
    with database.connection_context():
        user = make_user()
        today = plans.local_today(user)
        start = today - timedelta(days=10)
        plan = plans.create_from_template(user, "acute-therapist-led", start, created_by=user)
        for i in range(11):
            day = start + timedelta(days=i)
            CheckIn.create(client=user, day=day, back_pain=4, leg_pain=8 - i // 2)
            checkoffs.set_done(plan, "piriformis", day, True)
        checkoffs.skip(plan, "ice", today, "no_time")
    auth.login()
    return plan, today


def test_anonymous_and_therapists(app, client, auth):
    assert client.get("/progress").location.startswith("/login")
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    assert client.get("/progress").status_code == 403


def test_without_a_plan(app, client, auth):
    with database.connection_context():
        make_user()
    auth.login()
    assert b"once you have a plan" in client.get("/progress").data


def test_progress_page_shows_charts_with_text_alternatives(client_with_history, client):
    html = client.get("/progress").get_data(as_text=True)
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    assert "<table" in html and "Leg pain" in html
    assert "Habit strength" in html and "Streak" in html
    assert "The next 7 days" in html and "Acute" in html
    svg = html[html.index("<svg"): html.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # well-formed


def test_report_figures(client_with_history):
    plan, today = client_with_history
    with database.connection_context():
        report = reports.progress_report(plan, today)
    assert report.trend.verdict == "better"  # leg pain 8 -> 3: a 2-point drop in the 7-day mean
    assert 0 < report.adherence < 100 and 0 < report.habit_score < 100
    assert len(report.week) == 7 and report.week[0].day == today
    assert report.first == plan.start


def test_other_clients_data_never_shows(client_with_history, app):
    from tests.conftest import Auth

    other = app.test_client()
    with database.connection_context():
        user = make_user(email="b@example.org", name="Bea")
        plans.create_from_template(user, "maintenance", plans.local_today(user), created_by=user)
    Auth(other).login("b@example.org")
    html = other.get("/progress").get_data(as_text=True)
    assert "No check-ins yet" in html
