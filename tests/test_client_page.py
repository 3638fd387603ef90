from datetime import timedelta

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker import library, plans, schedule
from tracker.db import database
from tracker.models import CareLink, CheckIn, CheckOff, Plan, PlanEvent


@pytest.fixture
def world(app, auth):
    """Client A with a plan 10 days old and history; A's therapist (logged in); strangers."""
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        make_user(email="t2@example.org", name="Other T", role="therapist")
        a = make_user(email="a@example.org", name="Ann")
        make_user(email="b@example.org", name="Bob")
        CareLink.create(therapist=therapist, client=a)
        today = plans.local_today(a)
        start = today - timedelta(days=10)
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(a, spec, start, therapist=therapist, title="Acute plan")
        CheckIn.create(client=a, day=today - timedelta(days=2), back_pain=3, leg_pain=6,
                       note="Sore after gardening", red_flags=["fever"])
        CheckOff.create(plan=plan, item_key="ice", day=today - timedelta(days=1),
                        status="skipped", skip_reason="no_time")
    auth.login("t@example.org")
    return {"client": a, "plan": plan, "today": today, "therapist": therapist}


def test_client_page_shows_progress_history_and_flags(world, client):
    html = client.get(f"/clients/{world['client'].id}").get_data(as_text=True)
    assert "Ann" in html and "Acute plan" in html
    assert "Sore after gardening" in html
    assert "Red flag" in html and "fever" in html.lower()
    assert "Ice after self-massage: No time" in html
    assert "Days done, week by week" in html and 'role="img"' in html
    assert "gave you the plan" in html  # the change log


def test_summary_is_printable(world, client):
    response = client.get(f"/clients/{world['client'].id}/summary")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Progress summary: Ann" in html
    assert "not a diagnosis" in html


@pytest.mark.parametrize("who", ["t2@example.org", "a@example.org", "b@example.org"])
def test_only_the_clients_therapist_sees_the_page(world, app, who):
    other = app.test_client()
    Auth(other).login(who)
    cid = world["client"].id
    for path in (f"/clients/{cid}", f"/clients/{cid}/summary"):
        assert other.get(path).status_code == 404
    token = csrf_token(other, "/library")
    for action in ("pause", "resume", "step", "suggestion"):
        response = other.post(f"/clients/{cid}/plan/{action}", data={"csrf_token": token})
        assert response.status_code == 404


def test_anonymous_is_sent_to_login(world, app):
    anonymous = app.test_client()
    assert anonymous.get(f"/clients/{world['client'].id}").location.startswith("/login")


def test_unknown_client_is_404(world, client):
    assert client.get("/clients/99999").status_code == 404


def _post(client, cid, action, **data):
    token = csrf_token(client, f"/clients/{cid}")
    return client.post(f"/clients/{cid}/plan/{action}", data={**data, "csrf_token": token})


def test_pause_and_resume(world, client):
    cid, today = world["client"].id, world["today"]
    response = _post(client, cid, "pause", **{"pause-day": today.isoformat(),
                                               "pause-reason": "Away travelling"})
    assert response.status_code == 302
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.status == "paused"
        assert schedule.occurrences(plans.plan_input(plan), today, today + timedelta(7)) == []
    _post(client, cid, "resume", **{"resume-day": (today + timedelta(days=3)).isoformat()})
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.status == "active"
        assert schedule.occurrences(plans.plan_input(plan), today + timedelta(3),
                                    today + timedelta(3))
        messages = [e.message for e in PlanEvent.select()]
    assert any("paused your plan" in m for m in messages)
    assert any("resumed your plan" in m for m in messages)


def test_pausing_a_paused_plan_says_so(world, client):
    """Its pause form is no longer on the page, so an error there would go unseen."""
    cid, today = world["client"].id, world["today"]
    assert _post(client, cid, "pause", **{"pause-day": today.isoformat()}).status_code == 302
    again = _post(client, cid, "pause", **{"pause-day": ""})
    assert again.status_code == 302
    assert "is already paused" in client.get(again.location).get_data(as_text=True)


def test_step_down_by_hand_is_dated_and_told_to_the_client(world, client, app):
    cid, today = world["client"].id, world["today"]
    _post(client, cid, "step", **{"step-to_phase": "1", "step-day": today.isoformat(),
                                  "step-reason": "Doing well"})
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        plan_in = plans.plan_input(plan)
        assert schedule.phase_on(plan_in, today) == 1
        assert schedule.phase_on(plan_in, today - timedelta(days=1)) == 0
    ann = app.test_client()
    Auth(ann).login("a@example.org")
    html = ann.get("/plan").get_data(as_text=True)
    assert "Your therapist Theo moved you to “Improving”: Deep tissue massage, every 2 weeks" in (
        html.replace("&#34;", '"')
    )


def test_confirm_a_step_down_suggestion(world, client):
    with database.connection_context():
        Plan.update(suggestion="step_down", suggestion_reason="Leg pain 30% lower").execute()
    cid, today = world["client"].id, world["today"]
    assert "Ready to step down" in client.get(f"/clients/{cid}").get_data(as_text=True)
    _post(client, cid, "suggestion", decision="accept")
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.suggestion is None
        assert schedule.phase_on(plans.plan_input(plan), today) == 1


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("pause", {"pause-day": "2000-01-01"}, "Pick a date from"),
        ("pause", {"pause-day": "garbage"}, "Not a valid date"),
        ("pause", {"pause-day": "", "pause-reason": "x"}, "Please pick a date"),
        ("pause", {"pause-reason": "x" * 500}, "Please keep it to 200 characters or fewer."),
        ("step", {"step-to_phase": "7"}, "Pick one of the plan"),
        ("step", {"step-to_phase": "abc"}, "Pick one of the plan"),
    ],
)
def test_bad_input_is_refused_with_a_message(world, client, action, data, message):
    response = _post(client, world["client"].id, action, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    with database.connection_context():
        assert Plan.get_by_id(world["plan"].id).status == "active"


def test_suggestion_without_one_pending_is_404_and_bad_decision_400(world, client):
    cid = world["client"].id
    assert _post(client, cid, "suggestion", decision="accept").status_code == 404
    with database.connection_context():
        Plan.update(suggestion="step_back").execute()
    assert _post(client, cid, "suggestion", decision="perhaps").status_code == 400


def test_actions_need_csrf(world, client):
    assert client.post(f"/clients/{world['client'].id}/plan/pause").status_code == 400
