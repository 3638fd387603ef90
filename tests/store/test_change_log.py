"""The change log's contract: every line the store writes (worded for the client) is one the
reader's-voice wording knows, so a therapist never reads "you" meaning the client."""
import re
from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tracker.domain import library, safety, wording
from tracker.store import plans, reports, safety_reports
from tracker.store.db import database
from tracker.store.models import CareLink, PlanEvent

START = date(2026, 3, 2)


@pytest.fixture
def db(app):
    with database.connection_context():
        yield


def _lines(plan, voice):
    return [wording.change_line(wording.Change(e.kind, e.message, e.actor_id), voice)
            for e in plan.events.order_by(PlanEvent.id)]


def test_every_change_the_store_logs_reads_in_each_voice(db):
    theo = make_user(email="t@example.org", name="Theo", role="therapist")
    dana = make_user(email="d@example.org", name="Dana", tz="America/Los_Angeles")
    CareLink.create(therapist=theo, client=dana)
    spec = library.template("acute-therapist-led")["spec"]
    plan = plans.assign(dana, spec, START, therapist=theo, title="Acute plan")
    plans.pause(plan, START + timedelta(days=3), theo)
    plans.resume(plan, START + timedelta(days=5), theo)
    plans.revise(plan, spec, START + timedelta(days=6), theo, "Foam roller: every 2 days")
    plans.step_to(plan, 1, START + timedelta(days=7), theo, "doing well")
    plan.suggestion = plans.STEP_DOWN
    plan.save()
    plans.decide_suggestion(plan, False, START + timedelta(days=8), theo)
    day = START + timedelta(days=9)
    safety_reports.record(dana, day, safety.assess({"fever": True}, ["swelling"], ["lower_back"]))
    safety_reports.resolve(dana, theo, day + timedelta(days=1))
    plans.finish(plan, day + timedelta(days=2), theo)

    assert _lines(plan, wording.Voice.about("Dana", viewer_id=theo.id)) == [
        "You gave Dana the plan “Acute plan”.",
        "You paused Dana's plan.",
        "You resumed Dana's plan.",
        "You changed Dana's plan from 8 March: Foam roller: every 2 days",
        "You moved Dana to “Improving”: Deep tissue massage, every 2 weeks on Monday.",
        "You kept the plan as it is.",
        "Dana's whole plan is paused after the warning sign Dana reported, until Dana has "
        "been checked.",
        "Dana's sessions and the self-care on the area with a problem are paused until it has "
        "been looked at.",
        "You restarted Dana's plan after Dana was checked.",
        "You finished this plan.",
    ]
    others = _lines(plan, wording.Voice.about("Dana", viewer_id=theo.id + 100))
    assert others[0] == "Theo gave Dana the plan “Acute plan”."
    for line in others:
        assert not re.search(r"\b[Yy]our?\b", re.sub(r"“[^”]*”", "", line)), line
    assert _lines(plan, wording.Voice("Dana", True, dana.id)) == [
        e.message for e in plan.events.order_by(PlanEvent.id)]


def test_a_self_guided_client_s_own_changes(db):
    dana = make_user(email="d@example.org", name="Dana")
    plan = plans.start_own(dana, "self-guided-relief", START, START, replace=False)
    plan.suggestion = plans.STEP_DOWN
    plan.save()
    plans.decide_suggestion(plan, True, START + timedelta(days=1), dana)
    plans.finish(plan, START + timedelta(days=20), dana)
    phase = library.template("self-guided-relief")["spec"]["phases"][1]["name"]
    assert _lines(plan, wording.Voice("Dana", True, dana.id)) == [
        "You started the plan “Self-guided sciatica relief”.",
        f"You moved to “{phase}”.",
        "You finished this plan.",
    ]
    assert _lines(plan, wording.Voice.about("Dana", viewer_id=99)) == [
        "Dana started the plan “Self-guided sciatica relief”.",
        f"Dana moved to “{phase}”.",
        "Dana finished this plan.",
    ]


def test_the_history_shows_warning_signs_as_labels_about_the_client(db):
    dana = make_user(email="d@example.org", name="Dana")
    theo = make_user(email="t@example.org", name="Theo", role="therapist")
    plan = plans.assign(dana, library.template("acute-therapist-led")["spec"], START,
                        therapist=theo, title="Acute plan")
    today = START + timedelta(days=9)
    safety_reports.record(dana, today, safety.assess({"fever": True, "trauma": False},
                                                     ["swelling"], ["lower_back"]))
    history = reports.history(plan, today)
    assert [(s.day, s.red_flags, s.contraindications) for s in history.safety] == [
        (today, ("A fever or feeling unwell with back pain",), ("Swelling",))]
