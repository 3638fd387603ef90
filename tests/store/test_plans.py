from datetime import UTC, date, datetime

import pytest

from tests.conftest import make_user
from tracker.domain import library, plan_spec, schedule
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import Plan, PlanRevision, Technique


@pytest.fixture
def db(app):
    with database.connection_context():
        yield


def test_local_today_follows_the_users_zone(db):
    user = make_user(tz="Pacific/Auckland")
    late_utc = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    assert plans.local_today(user, late_utc) == date(2026, 11, 22)
    user.timezone = "America/Los_Angeles"
    assert plans.local_today(user, late_utc) == date(2026, 11, 21)


def test_monday_of():
    assert plans.monday_of(date(2026, 11, 22)) == date(2026, 11, 16)
    assert plans.monday_of(date(2026, 11, 16)) == date(2026, 11, 16)


def test_a_template_is_copied_so_editing_the_plan_never_changes_it(db):
    client = make_user()
    original = library.template("acute-therapist-led")["spec"]
    plan = plans.create_from_template(client, "acute-therapist-led", date(2026, 11, 16),
                                      created_by=client)
    revision = plan.revisions.get()
    revision.spec["phases"][0]["name"] = "Changed"
    revision.save()
    assert library.template("acute-therapist-led")["spec"] == original
    assert plan.title == "Acute sciatica, therapist-led" and plan.self_guided


def test_create_plan_rejects_a_bad_spec_and_stores_nothing(db):
    client = make_user()
    with pytest.raises(plan_spec.SpecError, match=r"a plan needs 1 to 10 phases \(got 0\)") as bad:
        plans.create_plan(client, {"phases": []}, date(2026, 11, 16), title="x", created_by=client)
    assert bad.value.code == "phase_count"
    assert Plan.select().count() == PlanRevision.select().count() == 0


def test_plan_input_round_trips_through_the_database(db):
    client = make_user()
    plan = plans.create_from_template(client, "acute-therapist-led", date(2026, 11, 16),
                                      created_by=client)
    loaded = plans.plan_input(plan)
    spec = plan_spec.PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    assert loaded.revisions == (schedule.Revision(date(2026, 11, 16), spec),)
    assert loaded.start == date(2026, 11, 16)


def test_seed_library_is_idempotent_and_read_only_builtins(db):
    plans.seed_library()
    plans.seed_library()
    assert Technique.select().count() == len(library.TECHNIQUES)
    piriformis = Technique.get(Technique.slug == "piriformis-stretch")
    assert piriformis.is_builtin and piriformis.instructions
