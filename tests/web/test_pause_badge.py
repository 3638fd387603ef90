"""What a plan's pages say about a pause: "Paused" while one covers today, "Pauses from …"
for one set to begin later (the plan's status is "paused" from the day it is set); and a
plan whose therapist deleted their account says "from a former therapist"."""
import re
from datetime import timedelta

import pytest

from tests.conftest import Auth, make_user
from tracker.domain import library
from tracker.store import plans, privacy
from tracker.store.db import database
from tracker.store.models import CareLink, Plan


@pytest.fixture
def world(app):
    with database.connection_context():
        theo = make_user("t@example.org", "Theo", "therapist")
        dana = make_user("d@example.org", "Dana")
        CareLink.create(therapist=theo, client=dana)
        today = plans.local_today(dana)
        plan = plans.assign(dana, library.template("acute-therapist-led")["spec"],
                            today - timedelta(days=3), therapist=theo, title="Acute plan")
    return {"theo": theo, "dana": dana, "plan": plan, "today": today}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_pause_set_for_later_is_named_with_its_day(app, world, client, as_user):
    with database.connection_context():
        start = world["today"] + timedelta(days=10)
        plans.pause(Plan.get_by_id(world["plan"].id), start, world["theo"])
        assert plans.pause_status(Plan.get_by_id(world["plan"].id), world["today"]) == (False,
                                                                                      start)
    when = f"{start:%A} {start.day} {start:%B %Y}"
    as_user("d@example.org")
    page = _text(client.get("/plan").get_data(as_text=True))
    assert f"pauses from {when}" in page and "· paused" not in page
    therapist = app.test_client()
    assert Auth(therapist).login("t@example.org").status_code == 302
    page = _text(therapist.get(f"/clients/{world['dana'].id}").get_data(as_text=True))
    assert f"Pauses from {when}" in page and "· Paused" not in page


def test_a_pause_from_today_reads_paused(world, client, as_user):
    with database.connection_context():
        plans.pause(Plan.get_by_id(world["plan"].id), world["today"], world["theo"])
        assert plans.pause_status(Plan.get_by_id(world["plan"].id), world["today"]) == (True,
                                                                                      None)
    as_user("d@example.org")
    page = _text(client.get("/plan").get_data(as_text=True))
    assert "· paused" in page and "pauses from" not in page


def test_a_plan_from_a_deleted_therapist_names_no_one(world, client, as_user):
    with database.connection_context():
        privacy.delete_account(world["theo"])
    as_user("d@example.org")
    page = _text(client.get("/plan").get_data(as_text=True))
    assert "from a former therapist" in page
    assert "Theo" not in page and "self-guided" not in page
