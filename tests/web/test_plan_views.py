from datetime import date, timedelta

import pytest

from tests.conftest import csrf_token, make_user
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, CheckOff, Plan, PlanEvent


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


# --- choosing a plan by its card; finishing and switching (self-guided) ----------------------


def _link_to_therapist(client_user):
    with database.connection_context():
        therapist = make_user(email="t@example.org", role="therapist")
        CareLink.create(therapist=therapist, client=client_user)
        return therapist


def test_each_plan_is_a_card_and_the_self_guided_one_is_chosen_first(client_user, client, auth):
    auth.login()
    html = client.get("/plan").get_data(as_text=True)
    assert "<select" not in html
    for slug in ("acute-therapist-led", "self-guided-relief", "maintenance"):
        assert f'type="radio" id="plan-{slug}" name="template" value="{slug}"' in html
    assert html.count(" checked>") == 1
    assert ('value="self-guided-relief"\n             '
            'aria-describedby="plan-self-guided-relief-text" checked>') in html
    assert "<legend>Choose a plan</legend>" in html


def test_a_client_waiting_for_their_therapist_is_offered_only_the_self_guided_plan(
        client_user, client, auth):
    _link_to_therapist(client_user)
    auth.login()
    html = client.get("/plan").get_data(as_text=True)
    assert "Waiting for your therapist's plan" in html
    assert 'value="self-guided-relief"' in html
    assert 'value="acute-therapist-led"' not in html and 'value="maintenance"' not in html
    response = start(client, template="acute-therapist-led")
    assert response.status_code == 422 and b"pick one of the plans" in response.data
    with database.connection_context():
        assert Plan.select().count() == 0


def _finish(client, **overrides):
    return client.post("/plan/finish",
                       data={"csrf_token": csrf_token(client, "/plan"), **overrides})


def test_a_self_guided_client_finishes_their_plan_and_keeps_its_history(
        client_user, client, auth):
    auth.login()
    start(client, start=(date.today() - timedelta(days=3)).isoformat())
    html = client.get("/plan").get_data(as_text=True)
    assert "<summary>Finish this plan</summary>" in html and 'value="Yes, finish this plan"' in html
    with database.connection_context():
        plan = Plan.get()
        CheckOff.create(plan=plan, item_key=plan.revisions[0].spec["phases"][0]["items"][0]["key"],
                        day=plan.start, status=CheckOff.DONE)
        CheckIn.create(client=client_user, day=plan.start, leg_pain=6, back_pain=3)
    response = _finish(client)
    assert response.status_code == 302 and response.location == "/plan"
    with database.connection_context():
        plan = Plan.get()
        assert plan.status == Plan.FINISHED
        assert CheckOff.select().count() == 1 and CheckIn.select().count() == 1
        event = plan.events.where(PlanEvent.kind == "finished").get()
        assert event.effective_from == plans.local_today(client_user)
    html = client.get("/plan").get_data(as_text=True)
    assert "Choose a plan" in html and "Earlier plans" in html
    assert "<strong>Self-guided sciatica relief</strong>" in html
    html = client.get("/progress").get_data(as_text=True)
    assert "Self-guided sciatica relief: finished" in html and "Keeping it up" in html
    assert "The next 7 days" not in html


def test_finishing_a_plan_that_starts_later_still_shows_its_history(client_user, client, auth):
    auth.login()
    start(client, start=(date.today() + timedelta(days=10)).isoformat())
    assert _finish(client).status_code == 302
    response = client.get("/progress")
    assert response.status_code == 200 and b"finished" in response.data


def test_finish_refuses_anonymous_therapists_a_missing_token_and_no_plan(
        app, client_user, client, auth):
    response = client.post("/plan/finish", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")
    auth.login()
    assert _finish(client).status_code == 404  # nothing to finish
    start(client)
    assert client.post("/plan/finish").status_code == 400
    with database.connection_context():
        assert Plan.get().status == Plan.ACTIVE
        make_user(email="t@example.org", role="therapist")
    auth.logout()
    auth.login("t@example.org")
    assert _finish(client).status_code == 403


def test_a_therapist_led_plan_is_not_finished_or_switched_by_the_client(
        app, client, auth, runner):
    runner.invoke(args=["seed-demo"])
    auth.login("client@example.com", "sciatica-demo")
    html = client.get("/plan").get_data(as_text=True)
    assert "Finish this plan" not in html and "Switch plan" not in html
    assert _finish(client).status_code == 404
    response = start(client, replace="y")
    assert response.status_code == 302
    with database.connection_context():
        assert Plan.select().count() == 1 and Plan.get().status == Plan.ACTIVE
    assert b"Your therapist can change it with you" in client.get("/plan").data


def test_a_self_guided_client_switches_plan_in_one_step(client_user, client, auth):
    auth.login()
    start(client)
    html = client.get("/plan").get_data(as_text=True)
    assert "<summary>Switch plan</summary>" in html
    assert '<input type="hidden" name="replace" value="y">' in html
    response = start(client, template="maintenance", replace="y")
    assert response.status_code == 302 and response.location == "/plan"
    with database.connection_context():
        old, new = Plan.select().order_by(Plan.id)
        assert (old.status, new.status) == (Plan.FINISHED, Plan.ACTIVE)
        assert new.template_slug == "maintenance"
    html = client.get("/plan").get_data(as_text=True)
    assert "<h1>Maintenance</h1>" in html and "Earlier plans" in html


def test_a_switch_with_bad_input_changes_nothing(client_user, client, auth):
    auth.login()
    start(client)
    response = start(client, template="no-such-plan", replace="y")
    assert response.status_code == 302
    with database.connection_context():
        assert [p.status for p in Plan.select()] == [Plan.ACTIVE]
    assert b"pick one of the plans" in client.get("/plan").data.replace(b"&#39;", b"'")
