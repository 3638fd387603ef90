"""Function answers in the plan's suggestions and taper holds (issue 19): a symptoms exit
that requires the PSFS, and a PSFS worse by its MCID as a flare-up signal."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tracker.domain import schedule
from tracker.store import checkins, plans, questionnaires
from tracker.store.db import database
from tracker.store.models import Plan, PlanHold

START = date(2026, 3, 2)  # a Monday
PHASE_1 = START + timedelta(weeks=2)  # "self-guided-relief" leaves phase 0 after 2 weeks
READY = PHASE_1 + timedelta(days=6)  # phase 1 (a symptoms exit) has run 7 days


@pytest.fixture
def client_user(app):
    with database.connection_context():
        yield make_user()


def with_function(plan: Plan, actor) -> None:
    """Phase 1's symptoms exit also requires the PSFS up by its MCID, from the start."""
    spec = plans.plan_input(plan).revisions[0].spec.to_dict()
    spec["phases"][1]["exit"]["function"] = {"instrument": "psfs", "by": "mcid"}
    plans.revise(plan, spec, START, actor, "function too")


@pytest.fixture
def plan(client_user):
    made = plans.create_from_template(client_user, "self-guided-relief", START,
                                      created_by=client_user)
    with_function(made, client_user)
    return made


def fresh(plan):
    return Plan.get_by_id(plan.id)


def pain(user, first, days, leg):
    for i in range(days):
        checkins.save_checkin(user, first + timedelta(days=i), back_pain=1, leg_pain=leg)


def psfs(user, day, *ratings, today=None, complete=True):
    answers = {f"activity_{n}": r for n, r in enumerate(ratings, 1)}
    names = {key: f"Activity named {key[-1]}" for key in answers}
    return questionnaires.save_answers(user, "psfs", answers, names=names, complete=complete,
                                       today=day if today is None else today)


def improved_pain(user):
    pain(user, START, 7, leg=7)
    pain(user, PHASE_1, 7, leg=2)


def test_the_spec_keeps_the_function_requirement(plan):
    rule = plans.plan_input(plan).revisions[-1].spec.phases[1].exit
    assert rule.function is not None and rule.function.instrument == "psfs"


def test_pain_and_function_both_better_suggest_a_step_down(client_user, plan):
    psfs(client_user, START, 4, 4)
    psfs(client_user, PHASE_1, 6, 6)
    improved_pain(client_user)
    assert checkins.update_suggestion(plan, READY) == "step_down"
    assert fresh(plan).suggestion_reason == (
        "Ready for the next phase: 7-day leg pain 2.0 is at or below 3, down from 7.0, and "
        "PSFS function score better by 2 points (4 to 6; 2 is a meaningful change).")


@pytest.mark.parametrize("answers", [
    [],  # no PSFS at all
    [(START, (4, 4))],  # one only
    [(START, (4, 4)), (PHASE_1, (5, 6))],  # better by 1.5: under the MCID
    [(START - timedelta(days=1), (2, 2)), (PHASE_1, (6, 6))],  # the first before the plan
])
def test_no_step_down_while_function_has_not_improved_by_its_mcid(client_user, plan, answers):
    for day, ratings in answers:
        psfs(client_user, day, *ratings)
    improved_pain(client_user)
    assert checkins.update_suggestion(plan, READY) is None
    assert fresh(plan).suggestion is None


def test_a_draft_does_not_count(client_user, plan):
    psfs(client_user, START, 4, 4)
    psfs(client_user, PHASE_1, 8, 8, complete=False)
    improved_pain(client_user)
    assert checkins.update_suggestion(plan, READY) is None


def test_the_answer_that_completes_the_improvement_suggests_it_that_day(client_user, plan):
    psfs(client_user, START, 4, 4)
    improved_pain(client_user)
    assert checkins.update_suggestion(plan, READY) is None
    psfs(client_user, READY, 7, 6)  # saving it re-reads the plan
    assert (fresh(plan).suggestion, fresh(plan).suggested_on) == ("step_down", READY)


def test_a_pain_only_plan_is_unchanged_by_function(client_user):
    plain = plans.create_from_template(client_user, "self-guided-relief", START,
                                       created_by=client_user)
    improved_pain(client_user)
    assert checkins.update_suggestion(plain, READY) == "step_down"


# --------------------------------------------------------------------------- flare-up

def holds(plan):
    return {(h.kind, h.start, h.end) for h in PlanHold.select().where(PlanHold.plan == plan)}


def test_a_psfs_worse_by_its_mcid_is_a_flare_up_that_holds_the_taper(client_user, plan):
    day = START + timedelta(days=10)  # phase 0
    psfs(client_user, START, 6, 6)
    psfs(client_user, day, 4, 4)
    stored = fresh(plan)
    assert (stored.suggestion, stored.suggested_on) == ("review", day)
    assert stored.suggestion_reason == (
        "Flare-up: PSFS function score worse by 2 points than the previous answer (6 to 4; "
        "2 is a meaningful change).")
    assert holds(plan) == {("flare_up", day, None)}
    # phase 0 would end after 2 weeks: with the flare-up open the step waits
    later = PHASE_1 + timedelta(days=3)
    assert schedule.phase_on(plans.plan_input(plan), later) == 0
    assert schedule.waiting_step_down(plans.plan_input(plan), later) == PHASE_1
    # a check-in on a later day does not end it: a person reviews it
    pain(client_user, later, 1, leg=2)
    checkins.update_suggestion(fresh(plan), later)
    assert holds(plan) == {("flare_up", day, None)}
    plans.decide_suggestion(fresh(plan), False, later, client_user)
    checkins.update_suggestion(fresh(plan), later)
    assert holds(plan) == {("flare_up", day, later)}
    assert schedule.phase_on(plans.plan_input(plan), later) == 1


def test_after_phase_0_a_function_flare_up_suggests_a_step_back(client_user, plan):
    psfs(client_user, START, 5, 5)
    psfs(client_user, PHASE_1, 8, 8)
    psfs(client_user, READY, 5, 6)  # 8 -> 5.5: worse by 2.5 than the previous answer
    assert fresh(plan).suggestion == "step_back"


def test_under_the_mcid_is_no_flare_up(client_user, plan):
    psfs(client_user, START, 6, 6)
    psfs(client_user, START + timedelta(days=10), 5, 4)  # 1.5 worse
    assert fresh(plan).suggestion is None
    assert holds(plan) == set()


def test_correcting_the_days_answer_withdraws_the_flare_up(client_user, plan):
    day = START + timedelta(days=10)
    psfs(client_user, START, 6, 6)
    psfs(client_user, day, 3, 3)
    assert fresh(plan).suggestion == "review"
    psfs(client_user, day, 6, 5)  # corrected the same day
    assert fresh(plan).suggestion is None
    assert holds(plan) == set()


def test_taking_the_answer_back_to_a_draft_withdraws_it_too(client_user, plan):
    day = START + timedelta(days=10)
    psfs(client_user, START, 6, 6)
    psfs(client_user, day, 3, 3)
    psfs(client_user, day, 3, 3, complete=False)
    assert fresh(plan).suggestion is None
    assert holds(plan) == set()


def test_a_pain_flare_up_comes_first_in_the_reason(client_user, plan):
    day = START + timedelta(days=10)
    pain(client_user, day - timedelta(days=7), 7, leg=2)
    psfs(client_user, START, 6, 6)
    psfs(client_user, day, 3, 3)
    checkins.record_checkin(client_user, day, back_pain=1, leg_pain=6)
    assert fresh(plan).suggestion_reason.startswith("Flare-up: leg pain 6 is 2+ points")


def test_an_instrument_without_an_mcid_never_re_reads_the_plan(client_user, plan):
    questionnaires.save_answers(client_user, "groc", {"change": -3}, complete=True,
                                today=START + timedelta(days=10))
    assert fresh(plan).suggestion is None and holds(plan) == set()


def test_function_scores_are_one_query_for_every_instrument(client_user, plan):
    psfs(client_user, START - timedelta(days=1), 1)  # before the plan: left out
    psfs(client_user, START, 4, 4)
    psfs(client_user, PHASE_1, 6, 7, complete=False)  # a draft: left out
    questionnaires.save_answers(client_user, "groc", {"change": 1}, complete=True,
                                today=PHASE_1)
    found = checkins.function_scores(plan, READY)
    assert {k: dict(v.scores) for k, v in found.items()} == {
        "psfs": {START: 4.0}, "groc": {PHASE_1: 1.0}}
    assert found["psfs"].instrument.id == "psfs"


def test_a_function_flare_up_on_the_step_down_day_holds_the_first_phase(client_user, plan):
    """The hold it opens is read before the phase: phase 0 stays, so a review, not a step
    back (as a pain flare-up on that day)."""
    psfs(client_user, START, 6, 6)
    psfs(client_user, PHASE_1, 3, 4)
    assert fresh(plan).suggestion == "review"
    assert schedule.phase_on(plans.plan_input(plan), PHASE_1) == 0
    assert holds(plan) == {("flare_up", PHASE_1, None)}
