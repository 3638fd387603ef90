import re
from datetime import timedelta

import pytest

from tracker.domain import schedule
from tracker.store import plans, questionnaires
from tracker.store.db import database
from tracker.store.models import (
    CareLink,
    CheckIn,
    CheckOff,
    PhaseTransition,
    Plan,
    PlanEvent,
    PlanHold,
    PlanRevision,
    QuestionnaireResponse,
    User,
)


def test_init_db_is_idempotent(runner):
    assert "Database ready" in runner.invoke(args=["init-db"]).output
    assert runner.invoke(args=["init-db"]).exit_code == 0


def test_seed_demo_is_idempotent_and_links_the_demo_accounts(runner):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    assert "therapist@example.com" in result.output and "client@example.com" in result.output
    with database.connection_context():
        therapist = User.by_email("therapist@example.com")
        client = User.by_email("client@example.com")
        assert therapist.name == "Demo Therapist" and therapist.is_therapist
        assert client.name == "Demo Client" and not client.is_therapist
        assert User.authenticate("client@example.com", "sciatica-demo") == client
        assert CareLink.select().where(
            (CareLink.therapist == therapist) & (CareLink.client == client)
        ).count() == 1


def _counts():
    with database.connection_context():
        return {model.__name__: model.select().count()
                for model in (User, CareLink, Plan, PlanRevision, CheckIn, CheckOff, PlanHold,
                              PhaseTransition, PlanEvent, QuestionnaireResponse)}


def test_seed_demo_gives_six_weeks_of_history_and_a_second_run_changes_nothing(
        runner, app, auth):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = _counts()
    with database.connection_context():
        client = User.by_email("client@example.com")
        today = plans.local_today(client)
        plan = Plan.get(Plan.client == client)
        assert today - timedelta(weeks=6, days=6) <= plan.start <= today - timedelta(weeks=6)
        pain = [c.leg_pain for c in CheckIn.select().order_by(CheckIn.day)]
        done = CheckOff.select().where(CheckOff.status == CheckOff.DONE).count()
        skipped = CheckOff.select().where(CheckOff.status == CheckOff.SKIPPED).count()
        # the phase changed on the way: "Improving" since four weeks in
        [improving] = [span for span in schedule.timeline(plans.plan_input(plan), today)
                       if span.current]
        assert (improving.phase_index, improving.start) == (1, plan.start + timedelta(weeks=4))
        assert plan.suggestion == "step_down"
        assert not CheckIn.select().where(CheckIn.day >= today).exists()  # today is to do
        # the PSFS: on the plan, answered twice six weeks apart, better by its MCID, and the
        # "Improving" exit requires it
        assert questionnaires.rules(plan) == (questionnaires.Rule("psfs", True, 6, False),)
        start_answer, later = questionnaires.history(client, "psfs")
        assert (start_answer.day, later.day) == (plan.start, plan.start + timedelta(weeks=6))
        assert start_answer.names == later.names == {
            "activity_1": "Sitting through a meeting", "activity_2": "Putting on socks"}
        assert (start_answer.score.value, later.score.value) == (3.5, 6.5)
        assert later.change.difference == 3.0 and later.change.meaningful
        assert plans.plan_input(plan).revisions[0].spec.phases[1].exit.function.instrument \
            == "psfs"
        assert plan.suggestion_reason.endswith(
            "and PSFS function score better by 3 points (3.5 to 6.5; 2 is a meaningful "
            "change).")
    assert len(pain) >= 35 and pain[0] == 7 and set(pain[-7:]) <= {3, 4}
    assert done > 200 and 10 <= skipped <= done // 5

    auth.login("client@example.com", "sciatica-demo")
    progress = auth.client.get("/progress").get_data(as_text=True)
    assert progress.count("<circle") >= 30  # a point for each check-in in the chart's range
    assert "Ready for the next step?" in auth.client.get("/plan").get_data(as_text=True)
    auth.logout()
    auth.login("therapist@example.com", "sciatica-demo")
    roster = auth.client.get("/clients").get_data(as_text=True)
    adherence = re.search(r'<td class="col-adherence"[^>]*><span class="figure">(\d+)%</span>',
                          roster)
    assert adherence and 70 <= int(adherence[1]) < 100
    assert "Ready to step down" in roster

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts() == first


@pytest.mark.parametrize("offset", range(7))
def test_the_demo_story_holds_whatever_the_weekday(app, offset):
    """Six weeks back is a Monday six to seven weeks back: each weekday tells the story."""
    import random

    from tracker.jobs import demo

    with database.connection_context():
        client = User.create_account("d@example.org", "D", "a password!", "client", "UTC")
        today = plans.local_today(client) + timedelta(days=offset)
        plan = demo._demo_plan(client, client, today)
        demo._history(plan, client, today, random.Random(demo.SEED))
        plan = Plan.get_by_id(plan.id)
        assert plan.suggestion == "step_down"
        assert "PSFS function score better by 3 points" in plan.suggestion_reason
        assert schedule.phase_on(plans.plan_input(plan), today) == 1
        assert not PlanHold.select().exists()  # no flare-up or worsening on the way
