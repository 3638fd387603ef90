from datetime import date, timedelta

import pytest

from tests.conftest import csrf_token, make_user
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import Plan


@pytest.fixture
def client_user(app):
    with database.connection_context():
        return make_user()


def start(client, **overrides):
    today = date.today()
    data = {
        "template": "self-guided-relief",
        "start": today.isoformat(),
        "csrf_token": csrf_token(client, "/plan"),
        **overrides,
    }
    return client.post("/plan/start", data=data)


def test_anonymous_is_sent_to_login(client):
    assert client.get("/plan").location.startswith("/login")
    assert client.get("/plan", headers={"HX-Request": "true"}).status_code == 204


def test_therapists_have_no_client_plan_page(app, client, auth):
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    assert client.get("/plan").status_code == 403


def test_without_a_plan_the_client_can_start_a_self_guided_one(client_user, client, auth):
    auth.login()
    html = client.get("/plan").get_data(as_text=True)
    assert "Choose a plan" in html and "Self-guided sciatica relief" in html
    assert 'value="Start this plan"' in html
    response = start(client)
    assert response.status_code == 302 and response.location == "/plan"
    with database.connection_context():
        plan = Plan.get()
        assert plan.client_id == client_user.id and plan.self_guided
    html = client.get("/plan").get_data(as_text=True)
    assert "Self-guided sciatica relief" in html and "Now: Getting started" in html


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("template", "no-such-plan", b"pick one of the plans"),
        ("start", "", b"pick a start date"),
        ("start", "not a date", b"Not a valid date"),
        ("start", "1900-01-01", b"within the last 30 days"),
        ("start", (date.today() + timedelta(days=400)).isoformat(), b"within the last 30 days"),
    ],
)
def test_start_rejects_bad_input(client_user, client, auth, field, value, message):
    auth.login()
    response = start(client, **{field: value})
    assert response.status_code == 422 and message in response.data.replace(b"&#39;", b"'")
    with database.connection_context():
        assert Plan.select().count() == 0


def test_start_needs_csrf(client_user, client, auth):
    auth.login()
    response = client.post("/plan/start", data={"template": "maintenance"})
    assert response.status_code == 400


def test_a_second_plan_is_refused_while_one_is_current(client_user, client, auth):
    auth.login()
    start(client)
    response = start(client, template="maintenance")
    assert response.status_code == 302
    with database.connection_context():
        assert Plan.select().count() == 1
    assert b"already have a plan" in client.get("/plan").data


def test_the_demo_plan_shows_its_timeline(app, client, auth, runner):
    runner.invoke(args=["seed-demo"])
    auth.login("client@example.com", "sciatica-demo")
    html = client.get("/plan").get_data(as_text=True)
    assert "Acute sciatica, therapist-led" in html and "with Demo Therapist" in html
    # six weeks of history: past "Acute", now "Improving" (tests/jobs/test_cli.py)
    assert "Now: Improving" in html and "Next: <strong>Maintenance</strong>" in html
    assert "every 2 weeks on Monday" in html
    with database.connection_context():
        plan = Plan.get()
        today = plans.local_today(plan.client)
        assert plan.start == plans.monday_of(today - timedelta(weeks=6))
        assert plan.therapist.email == "therapist@example.com"


# --- confirming a symptom suggestion (self-guided) -------------------------------------------


def _suggest(kind):
    with database.connection_context():
        Plan.update(suggestion=kind, suggestion_reason="Leg pain is 30% lower.").execute()


@pytest.mark.parametrize("decision, phase", [("accept", 1), ("decline", 0)])
def test_self_guided_client_confirms_or_declines_stepping_down(
    client_user, client, auth, decision, phase
):
    from tracker.domain import schedule

    auth.login()
    start(client)
    _suggest("step_down")
    assert b"Ready for the next step?" in client.get("/plan").data
    response = client.post(
        "/plan/suggestion", data={"decision": decision, "csrf_token": csrf_token(client, "/plan")}
    )
    assert response.status_code == 302
    with database.connection_context():
        plan = Plan.get()
        assert plan.suggestion is None
        today = plans.local_today(plan.client)
        assert schedule.phase_on(plans.plan_input(plan), today) == phase


def test_suggestion_decision_needs_a_pending_suggestion_and_a_valid_answer(
    client_user, client, auth
):
    auth.login()
    start(client)
    token = csrf_token(client, "/plan")
    assert client.post("/plan/suggestion", data={"decision": "accept", "csrf_token": token}
                       ).status_code == 404
    _suggest("step_down")
    assert client.post("/plan/suggestion", data={"decision": "maybe", "csrf_token": token}
                       ).status_code == 400


def test_therapist_led_plans_wait_for_the_therapist(app, client, auth, runner):
    runner.invoke(args=["seed-demo"])
    _suggest("step_back")
    auth.login("client@example.com", "sciatica-demo")
    html = client.get("/plan").get_data(as_text=True)
    assert "A flare-up?" in html and "Your therapist will see this" in html
    token = csrf_token(client, "/plan")
    assert client.post("/plan/suggestion", data={"decision": "accept", "csrf_token": token}
                       ).status_code == 404
