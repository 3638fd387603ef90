"""A plan has one author: a client's second therapist sees the plan read-only."""
from datetime import timedelta

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker.domain import library
from tracker.store import checkins, plans, safety_reports
from tracker.store.db import database
from tracker.store.models import CareLink, Plan, PlanRevision

REFUSAL = ("Only Theo, who assigned Ann&#39;s plan, can change it. You can still see "
           "Ann&#39;s plan and progress, and write to Ann.")


@pytest.fixture
def world(app):
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        sam = make_user(email="s@example.org", name="Sam", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        CareLink.create(therapist=theo, client=ann)
        CareLink.create(therapist=sam, client=ann)
        today = plans.local_today(ann)
        plan = plans.assign(ann, library.template("acute-therapist-led")["spec"],
                            today - timedelta(days=10), therapist=theo, title="Acute plan")
        Plan.update(suggestion="step_down", suggestion_reason="Leg pain down").where(
            Plan.id == plan.id).execute()
    return {"ann": ann, "plan": plan, "today": today}


def _as(app, email):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/library"), **data})


def _changes(world):
    cid, pid, day = world["ann"].id, world["plan"].id, world["today"].isoformat()
    return [
        ("get", f"/plans/{pid}/edit", {}),
        ("post", "/plans/builder", {"plan_id": str(pid), "action": "refresh"}),
        ("post", f"/clients/{cid}/plan/pause", {"pause-day": day}),
        ("post", f"/clients/{cid}/plan/step", {"step-to_phase": "1", "step-day": day}),
        ("post", f"/clients/{cid}/plan/suggestion", {"decision": "accept"}),
    ]


def test_the_second_therapist_sees_the_plan_read_only(world, app):
    sam = _as(app, "s@example.org")
    response = sam.get(f"/clients/{world['ann'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Acute plan" in html
    assert ("Theo assigned this plan, so only they can change it. You can see Ann's progress "
            "and send messages.") in html
    for control in ("Change this plan", "Move to this phase", "Pause the plan", "Confirm"):
        assert control not in html, control
    assert "Printable summary" in html
    assert sam.get(f"/clients/{world['ann'].id}/summary").status_code == 200


def test_the_author_keeps_every_control(world, app):
    html = _as(app, "t@example.org").get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert "read-only" not in html
    for control in ("Change this plan", "Move to this phase", "Pause the plan", "Confirm"):
        assert control in html, control


@pytest.mark.parametrize("index", range(5))
def test_every_change_by_the_second_therapist_is_refused_with_403(world, app, index):
    sam = _as(app, "s@example.org")
    method, url, data = _changes(world)[index]
    response = sam.get(url) if method == "get" else _post(sam, url, **data)
    assert response.status_code == 403
    assert REFUSAL in response.get_data(as_text=True)
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert (plan.status, plan.suggestion) == ("active", "step_down")
        assert PlanRevision.select().where(PlanRevision.plan == plan).count() == 1


def test_resume_is_refused_to_the_second_therapist_too(world, app):
    theo = _as(app, "t@example.org")
    assert _post(theo, f"/clients/{world['ann'].id}/plan/pause",
                 **{"pause-day": world["today"].isoformat()}).status_code == 302
    sam = _as(app, "s@example.org")
    response = _post(sam, f"/clients/{world['ann'].id}/plan/resume",
                     **{"resume-day": world["today"].isoformat()})
    assert response.status_code == 403
    with database.connection_context():
        assert Plan.get_by_id(world["plan"].id).status == "paused"


def test_any_linked_therapist_may_review_a_warning_sign(world, app):
    with database.connection_context():
        answers = {flag["key"]: False for flag in library.RED_FLAGS}
        checkins.record_safety_answers(world["ann"], world["today"],
                                       {**answers, "saddle_numbness": True})
        assert len(safety_reports.open_reports(world["ann"])) == 1
    sam = _as(app, "s@example.org")
    response = _post(sam, f"/clients/{world['ann'].id}/safety/resume", **{"safety-confirm": "y"})
    assert response.status_code == 302
    with database.connection_context():
        assert safety_reports.open_reports(world["ann"]) == []


def test_a_self_guided_plan_has_no_author_to_overrule(world, app):
    with database.connection_context():
        Plan.update(therapist=None).where(Plan.id == world["plan"].id).execute()
    sam = _as(app, "s@example.org")
    assert sam.get(f"/plans/{world['plan'].id}/edit").status_code == 200
