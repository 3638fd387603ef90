"""``due_now`` (one query, for /today) says what ``due`` says, day by day (issue 19)."""
from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tracker.domain import library
from tracker.domain.instruments import BUILT_IN
from tracker.store import plans, questionnaires
from tracker.store.db import database
from tracker.store.models import Plan

START = date(2026, 3, 2)
DAYS = range(-3, 45)


@pytest.fixture
def people(app):
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(ann, spec, START, therapist=therapist, title="Ann's plan")
        yield {"therapist": therapist, "ann": ann, "plan": plan, "spec": spec}


def _both(plan, instruments=BUILT_IN):
    plan = Plan.get_by_id(plan.id)
    days = [START + timedelta(days=d) for d in DAYS]
    slow = [questionnaires.due(plan, day, instruments) for day in days]
    fast = [questionnaires.due_now(plan, day, instruments) for day in days]
    assert fast == slow
    return {(day - START).days: ids for day, ids in zip(days, slow, strict=True) if ids}


def test_the_same_on_every_day_with_every_kind_of_rule(people):
    plan, ann = people["plan"], people["ann"]
    assert _both(plan) == {}
    questionnaires.assign(plan, "psfs", at_start=True, every_weeks=2)
    questionnaires.assign(plan, "groc", at_start=False, at_phase_change=True)
    plans.step_to(plan, 1, START + timedelta(days=10), people["therapist"], "Doing well")
    questionnaires.save_answers(ann, "psfs", {"activity_1": 4}, names={"activity_1": "Sit"},
                                today=START + timedelta(days=14), complete=True)
    questionnaires.save_answers(ann, "groc", {"change": 1},  # a draft: still due
                                today=START + timedelta(days=10))
    assert _both(plan) == {0: ["psfs"], 10: ["groc"], 28: ["psfs"], 42: ["psfs"]}
    assert _both(plan, {"groc": BUILT_IN["groc"]}) == {10: ["groc"]}  # psfs no longer offered


def test_the_same_for_a_self_guided_plan_and_a_finished_one(people):
    ann = people["ann"]
    plan = plans.create_plan(ann, people["spec"], START, title="Mine", created_by=ann)
    assert _both(plan) == {0: ["psfs"], 14: ["psfs"], 28: ["psfs"], 42: ["psfs"]}
    Plan.update(status=Plan.FINISHED).where(Plan.id == plan.id).execute()
    assert _both(plan) == {}
