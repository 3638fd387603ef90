import io
import json
import zipfile
from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, Auth, csrf_token, make_user
from tracker.domain import library
from tracker.store import checkoffs, plans
from tracker.store.db import database
from tracker.store.models import ALL_MODELS, CareLink, CheckIn, Plan, PlanEvent, User


@pytest.fixture
def world(app):
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        bob = make_user(email="b@example.org", name="Bob")
        CareLink.create(therapist=therapist, client=ann)
        today = plans.local_today(ann)
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(ann, spec, today - timedelta(days=3), therapist=therapist,
                            title="Ann's plan")
        plans.step_to(plan, 1, today, therapist, "Doing well")
        checkoffs.set_done(plan, "piriformis", today, True)
        CheckIn.create(client=ann, day=today, back_pain=2, leg_pain=4, note="Ann's own words")
        bob_plan = plans.assign(bob, spec, today, therapist=therapist, title="Bob's plan")
        CheckIn.create(client=bob, day=today, back_pain=1, leg_pain=1, note="Bob's words")
    return {"therapist": therapist, "ann": ann, "bob": bob, "plan": plan, "bob_plan": bob_plan}


def test_export_has_everything_of_mine_and_nothing_of_others(world, client, auth):
    auth.login("a@example.org")
    response = client.post("/settings/data/export",
                           data={"csrf_token": csrf_token(client, "/settings/data")})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert {"data.json", "check_ins.csv", "check_offs.csv", "plan_changes.csv"} <= set(
        archive.namelist())
    record = json.loads(archive.read("data.json"))
    assert record["account"]["email"] == "a@example.org"
    assert record["check_ins"][0]["note"] == "Ann's own words"
    [plan] = record["plans"]
    assert plan["check_offs"][0]["item_key"] == "piriformis"
    # The therapist's words about Ann go with Ann's data.
    assert any("moved you to" in c["message"] for c in plan["changes"])
    assert "Ann's own words" in archive.read("check_ins.csv").decode()
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Bob" not in everything


def test_export_needs_login_and_csrf(world, client, auth):
    assert client.post("/settings/data/export").status_code == 400  # no CSRF token
    response = client.post("/settings/data/export",
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")
    auth.login("a@example.org")
    assert client.post("/settings/data/export").status_code == 400


def _delete(client, **data):
    return client.post("/settings/data/delete",
                       data={**data, "csrf_token": csrf_token(client, "/settings/data")})


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password": "wrong password", "confirm": "y"}, "not your password"),
        ({"password": PASSWORD}, "tick the box"),
        ({"confirm": "y"}, "enter your password"),
    ],
)
def test_deleting_needs_the_password_and_the_box(world, client, auth, data, message):
    auth.login("a@example.org")
    response = _delete(client, **data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with database.connection_context():
        assert User.by_email("a@example.org") is not None


def test_a_client_deletes_everything_of_theirs(world, client, auth):
    auth.login("a@example.org")
    response = _delete(client, password=PASSWORD, confirm="y")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/today").status_code == 302  # logged out
    ann_id = world["ann"].id
    with database.connection_context():
        assert User.get_or_none(User.id == ann_id) is None
        for model in ALL_MODELS:  # nothing anywhere still points at Ann
            for field in model._meta.refs:
                if field.rel_model is User:
                    assert not model.select().where(field == ann_id).exists(), model.__name__
        assert Plan.select().where(Plan.client == ann_id).count() == 0
        # Bob and the therapist are untouched.
        assert CheckIn.get(CheckIn.client == world["bob"]).note == "Bob's words"
        assert User.by_email("t@example.org") is not None
    assert Auth(client).login("a@example.org").status_code == 422  # the account is gone


def test_a_therapist_leaving_keeps_their_clients_plans(world, client, auth):
    auth.login("t@example.org")
    _delete(client, password=PASSWORD, confirm="y")
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.therapist is None and plan.revisions.count() >= 1
        assert PlanEvent.select().where(PlanEvent.plan == plan).count() >= 2
        assert CareLink.select().count() == 0


def test_a_deleted_therapist_is_a_former_therapist_in_their_clients_history(world, client, auth):
    """Issue 17, finding 9: after the therapist's account is deleted, nothing the client
    sees or downloads names them (their plan's change log, step reasons, shared notes),
    even under a name the therapist had before renaming."""
    from tracker.store import notes
    from tracker.store.models import PhaseTransition

    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        plans.pause(plan, plans.local_today(world["ann"]), world["therapist"], "Away")
        plans.resume(plan, plans.local_today(world["ann"]), world["therapist"])
        plan.suggestion = plans.STEP_BACK
        plan.save()
        plans.decide_suggestion(plan, True, plans.local_today(world["ann"]), world["therapist"])
        notes.write(plan, world["therapist"], "massage", plan.start, done="Deep tissue",
                    areas="Glutes", pressure="firm", response="", shared=True)
        User.update(name="Theodora").where(User.id == world["therapist"].id).execute()
    auth.login("t@example.org")
    assert _delete(client, password=PASSWORD, confirm="y").status_code == 302
    with database.connection_context():
        stored = [e.message for e in PlanEvent.select().where(PlanEvent.plan == plan)]
        reasons = [t.reason for t in PhaseTransition.select().where(
            PhaseTransition.plan == plan)]
    assert "A former therapist gave you the plan “Ann's plan”." in stored
    assert "A former therapist paused your plan." in stored
    assert not [m for m in stored + reasons if "Theo" in m]
    assert "flare-up, confirmed by a former therapist" in reasons
    auth.login("a@example.org")
    for path in ("/plan", "/progress"):
        page = client.get(path).get_data(as_text=True)
        assert "Theo" not in page, path
    plan_page = client.get("/plan").get_data(as_text=True)
    assert "A former therapist paused your plan." in plan_page
    assert "A former therapist moved you to" in plan_page
    assert "By A former therapist" in client.get("/progress").get_data(as_text=True)
    token = csrf_token(client, "/settings/data")
    archive = zipfile.ZipFile(io.BytesIO(client.post("/settings/data/export",
                                                     data={"csrf_token": token}).data))
    for name in archive.namelist():
        assert "Theo" not in archive.read(name).decode(), name
