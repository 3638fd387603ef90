"""The builder's function choice on a symptoms exit, what /plan says of it, and a function
flare-up on the roster and in the digest (issue 19)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import Auth
from tests.web import test_builder_views as views
from tests.web.test_builder_views import (
    CLIENT,
    THERAPIST,
    acute_fields,
    assign_form,
    post,
    spec_of,
    text,
)
from tracker.domain import builder, plan_spec
from tracker.store import plans, queries, questionnaires
from tracker.store.db import database
from tracker.store.models import Plan

world, login = views.world, views.login  # the builder tests' fixtures

SYMPTOMS_EXIT = {"phases-0-exit_kind": "symptoms", "phases-0-exit_drop_pct": "30",
                 "phases-0-exit_threshold": ""}
CHOICE = "and function improves: PSFS up by at least 2 points (its MCID)"


def test_the_builder_offers_function_on_a_symptoms_exit(world, login):
    html = text(login(THERAPIST).get("/plans/new?template=acute-therapist-led"))
    assert ('<fieldset class="field radio-group exit-symptoms" id="phases-0-exit_function" '
            'aria-describedby="phases-0-exit_function-hint">\n  <legend>And function</legend>'
            ) in html
    assert ('<input type="radio" id="phases-0-exit_function-0" name="phases-0-exit_function" '
            'value="" checked> Leg pain only</label>') in html
    assert ('<input type="radio" id="phases-0-exit_function-1" name="phases-0-exit_function" '
            f'value="psfs"> {CHOICE}</label>') in html
    assert 'value="groc"' not in html  # no MCID: it cannot be required


def test_assign_stores_the_function_requirement_and_plan_says_it(world, login):
    http = login(THERAPIST)
    form = assign_form(world, **SYMPTOMS_EXIT, **{"phases-0-exit_function": "psfs"})
    response = post(http, form)
    assert response.status_code == 302
    with database.connection_context():
        plan = queries.current_plan(world.client).first()
    (stored,) = spec_of(plan.id)
    assert stored["phases"][0]["exit"] == {
        "kind": "symptoms", "threshold": None, "drop_pct": 30,
        "function": {"instrument": "psfs", "by": "mcid"}}
    assert stored["phases"][1]["exit"] == {"kind": "after_weeks", "n": 6}  # unchanged
    # the therapist's page names the client; the client's /plan says "you"
    html = text(http.get(f"/clients/{world.client.id}"))
    assert ("as long as their PSFS function score is also up by at least 2 points (its MCID) "
            "from their first answer") in html
    Auth(http).logout()
    html = text(login(CLIENT).get("/plan"))
    assert ("when it has dropped at least 30% from your first week, as long as your PSFS "
            "function score is also up by at least 2 points (a meaningful change) from your "
            "first answer, and the change is confirmed") in html


def test_the_edit_page_shows_the_stored_choice_again(world, login):
    http = login(THERAPIST)
    assert post(http, assign_form(world, **SYMPTOMS_EXIT,
                                  **{"phases-0-exit_function": "psfs"})).status_code == 302
    with database.connection_context():
        plan = queries.current_plan(world.client).first()
    html = text(http.get(f"/plans/{plan.id}/edit"))
    assert ('<input type="radio" id="phases-0-exit_function-1" name="phases-0-exit_function" '
            f'value="psfs" checked> {CHOICE}</label>') in html
    assert ('id="phases-0-exit_function-0" name="phases-0-exit_function" value=""> Leg pain '
            'only</label>') in html


def test_a_pain_only_exit_stores_no_function_key(world, login):
    response = post(login(THERAPIST), assign_form(world, **SYMPTOMS_EXIT,
                                                  **{"phases-0-exit_function": ""}))
    assert response.status_code == 302
    with database.connection_context():
        plan = queries.current_plan(world.client).first()
    assert spec_of(plan.id)[0]["phases"][0]["exit"] == {
        "kind": "symptoms", "threshold": None, "drop_pct": 30}


@pytest.mark.parametrize("value", ["groc", "oswestry", "PS FS", "psfs\x00"])
def test_a_questionnaire_not_offered_is_refused_next_to_the_field(world, login, value):
    response = post(login(THERAPIST), assign_form(world, **SYMPTOMS_EXIT,
                                                  **{"phases-0-exit_function": value}))
    assert response.status_code == 422
    html = text(response)
    assert ('<p class="error" id="phases-0-exit_function-error">') in html
    with database.connection_context():
        assert queries.current_plan(world.client).first().id == world.plan.id  # nothing new


def test_a_function_choice_on_another_kind_of_exit_is_not_stored(world, login):
    form = assign_form(world, **{"phases-0-exit_function": "psfs"})  # after 4 weeks
    assert post(login(THERAPIST), form).status_code == 302
    with database.connection_context():
        plan = queries.current_plan(world.client).first()
    assert spec_of(plan.id)[0]["phases"][0]["exit"] == {"kind": "after_weeks", "n": 4}


def test_the_draft_round_trips_the_function_requirement():
    spec = {"phases": [{"name": "Weekly", "items": [], "exit": {
        "kind": "symptoms", "threshold": 3.0, "drop_pct": 30,
        "function": {"instrument": "psfs", "by": "mcid"}}},
        {"name": "Monthly", "items": [], "exit": {"kind": "manual"}}]}
    draft = builder.draft_from_spec(spec)
    assert draft.phases[0].exit_function == "psfs"
    assert builder.form_fields(draft)["phases-0-exit_function"] == ["psfs"]
    checked, errors = builder.check(draft, {}, ["psfs"])
    assert errors == {}
    assert checked == plan_spec.PlanSpec.from_dict(spec).to_dict()


def test_acute_fields_carry_an_empty_function_choice():
    assert acute_fields().getlist("phases-0-exit_function") == [""]


def test_function_answers_add_no_query_to_today_or_the_roster(world, login, queries):
    """/today and the roster read the stored suggestion and holds: a function exit and
    PSFS answers (one of them a flare-up) change what they show, not what they ask."""
    def count(http, path):
        http.get(path)  # the first visit after logging in may write (the session)
        counter = queries()
        assert http.get(path).status_code == 200
        return counter.count

    http = login(THERAPIST)
    roster_before = count(http, "/clients")
    Auth(http).logout()
    http = login(CLIENT)
    today_before = count(http, "/today")
    with database.connection_context():
        plan = Plan.get_by_id(world.plan.id)
        spec = plan_spec.PlanSpec.from_dict(spec_of(plan.id)[-1]).to_dict()
        spec["phases"][0]["exit"] = {"kind": "symptoms", "threshold": None, "drop_pct": 30,
                                     "function": {"instrument": "psfs", "by": "mcid"}}
        plans.revise(plan, spec, plan.start, world.therapist, "function too")
        names = {"activity_1": "Putting on socks"}
        questionnaires.save_answers(world.client, "psfs", {"activity_1": 7}, names=names,
                                    today=plan.start + timedelta(days=1), complete=True)
        questionnaires.save_answers(world.client, "psfs", {"activity_1": 3}, names=names,
                                    today=world.today, complete=True)
        assert plans.plan_input(plan).revisions[-1].spec.phases[0].exit.function is not None
    assert count(http, "/today") == today_before
    Auth(http).logout()
    http = login(THERAPIST)
    roster = count(http, "/clients")
    assert roster == roster_before
    assert "Flare-up" in text(http.get("/clients"))

