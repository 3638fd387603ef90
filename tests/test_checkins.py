from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tracker import checkins, plans, safety
from tracker.db import database
from tracker.models import CheckIn, Plan, PlanPause

START = date(2026, 3, 2)  # a Monday
PHASE_1 = START + timedelta(weeks=2)  # "self-guided-relief" leaves phase 0 after 2 weeks


@pytest.fixture
def db(app):
    with database.connection_context():
        yield


@pytest.fixture
def client_user(db):
    return make_user()


@pytest.fixture
def plan(client_user):
    """The self-guided template: phase 0 ends after 2 weeks, phase 1 exits on symptoms."""
    plan = plans.create_from_template(
        client_user, "self-guided-relief", START, created_by=client_user
    )
    plans.record_auto_transitions(plan, PHASE_1)
    return plan


def save(user, day, leg=3, back=2, **extra):
    return checkins.save_checkin(user, day, back_pain=back, leg_pain=leg, **extra)


def fresh(plan):
    return Plan.get_by_id(plan.id)


def log_leg_pain(user, first, days, leg):
    for i in range(days):
        save(user, first + timedelta(days=i), leg=leg)


# --- saving ------------------------------------------------------------------------


def test_a_second_save_the_same_day_updates_the_one_row(client_user):
    first = save(
        client_user, START, leg=7, back=5, note="bad night", contraindications=["swelling"]
    )
    CheckIn.update(red_flags=["fever"]).execute()
    second = save(client_user, START, leg=4, back=3, numbness=True, contraindications=[])
    assert CheckIn.select().count() == 1 and second.id == first.id
    assert (second.leg_pain, second.back_pain, second.numbness) == (4, 3, True)
    assert second.note == "bad night"  # not given the second time: kept
    assert second.contraindications == []
    assert second.red_flags == ["fever"]  # safety answers survive an edit
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at


def test_another_day_is_another_row(client_user):
    save(client_user, START)
    save(client_user, START + timedelta(days=1))
    assert CheckIn.select().count() == 2


def test_contraindications_are_stored_in_library_order(client_user):
    saved = save(client_user, START, contraindications=["fracture", "severe_pain", "fracture"])
    assert saved.contraindications == ["severe_pain", "fracture"]


@pytest.mark.parametrize(
    "fields",
    [
        {"leg_pain": 11},
        {"leg_pain": -1},
        {"back_pain": "5"},
        {"back_pain": True},
        {"back_pain": None},
        {"note": "x" * 2001},
        {"contraindications": ["bruise"]},
        {"red_flags": ["fever"]},
        {"mood": "fine"},
    ],
)
def test_bad_values_are_refused_and_nothing_stored(client_user, fields):
    values = {"back_pain": 2, "leg_pain": 3, **fields}
    with pytest.raises(ValueError):
        checkins.save_checkin(client_user, START, **values)
    assert CheckIn.select().count() == 0


def test_previous_facts_look_only_before_the_day(client_user):
    assert checkins.previous_facts(client_user, START) is None
    save(client_user, START, numbness=True)
    save(client_user, START + timedelta(days=2), weakness=True)
    assert checkins.previous_facts(client_user, START + timedelta(days=2)) == (
        safety.CheckInFacts(numbness=True, weakness=False)
    )


def test_record_checkin_asks_red_flags_first_time_and_when_numbness_is_new(client_user):
    _, _, ask = checkins.record_checkin(client_user, START, back_pain=2, leg_pain=3)
    assert ask  # first ever
    day = START + timedelta(days=1)
    assert not checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3)[2]
    assert checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3, numbness=True)[2]


# --- safety answers and pauses -----------------------------------------------------


def test_a_red_flag_pauses_self_care_once_and_records_the_day(client_user, plan):
    save(client_user, START)
    result = checkins.record_safety_answers(client_user, START, {"fever": True})
    assert result.urgent
    checkins.record_safety_answers(client_user, START, {"fever": True, "trauma": True})
    pauses = list(PlanPause.select())
    assert [(p.scope, p.start, p.end) for p in pauses] == [("self_care", START, None)]
    assert "fever" in pauses[0].reason
    assert fresh(plan).red_flag_on == START
    assert CheckIn.get().red_flags == ["fever", "trauma"]


def test_a_later_no_keeps_the_days_yes(client_user, plan):
    save(client_user, START)
    checkins.record_safety_answers(client_user, START, {"fever": True})
    checkins.record_safety_answers(client_user, START, {"fever": False})
    assert CheckIn.get().red_flags == ["fever"]


def test_all_no_changes_nothing_on_the_plan(client_user, plan):
    save(client_user, START)
    result = checkins.record_safety_answers(
        client_user, START, {flag: False for flag in safety.RED_FLAG_LABELS}
    )
    assert not result.urgent
    assert PlanPause.select().count() == 0 and fresh(plan).red_flag_on is None


def test_a_contraindication_pauses_sessions_once(client_user, plan):
    for _ in range(2):
        checkins.record_checkin(
            client_user, START, back_pain=2, leg_pain=3, contraindications=["swelling"]
        )
    pause = PlanPause.get()
    assert PlanPause.select().count() == 1
    assert (pause.scope, pause.end, pause.reason) == (
        "sessions", None, "In the treated area: swelling."
    )
    assert fresh(plan).red_flag_on is None


def test_check_in_without_a_plan_still_saves(client_user):
    checkin, assessment, _ = checkins.record_checkin(
        client_user, START, back_pain=2, leg_pain=3, contraindications=["fracture"]
    )
    assert assessment.pause_sessions and checkin.contraindications == ["fracture"]
    assert PlanPause.select().count() == 0


def test_resume_closes_the_open_pause_of_that_scope_only(client_user, plan):
    save(client_user, START, contraindications=["swelling"])
    assessment = checkins.record_safety_answers(client_user, START, {"fever": True})
    checkins.apply_assessment(plan, assessment, START, client_user)
    later = START + timedelta(days=3)
    assert checkins.resume(plan, "self_care", later, client_user) == 1
    assert checkins.resume(plan, "self_care", later, client_user) == 0
    ended = {p.scope: p.end for p in PlanPause.select()}
    assert ended == {"self_care": later, "sessions": None}
    # A new red flag after resuming opens a new pause.
    checkins.apply_assessment(plan, assessment, later, client_user)
    assert PlanPause.select().where(PlanPause.end.is_null()).count() == 2


def test_resume_checks_scope_and_who(client_user, plan):
    with pytest.raises(ValueError):
        checkins.resume(plan, "all", START, client_user)
    stranger = make_user(email="someone@example.org")
    with pytest.raises(PermissionError):
        checkins.resume(plan, "self_care", START, stranger)


def test_status_context_takes_two_queries(client_user, plan, monkeypatch):
    save(client_user, START)
    checkins.record_safety_answers(client_user, START, {"fever": True})
    queries = []
    real = database.obj.execute_sql
    monkeypatch.setattr(
        database.obj, "execute_sql", lambda sql, *a, **k: queries.append(sql) or real(sql, *a, **k)
    )
    context = checkins.status_context(client_user, plan, START)
    assert len(queries) == 2
    assert context["checkin"].leg_pain == 3
    assert [p.scope for p in context["pauses"]] == ["self_care"]
    assert checkins.status_context(client_user, None, START + timedelta(days=1)) == {
        "checkin": None, "pauses": []
    }


# --- suggestions -------------------------------------------------------------------


def test_step_down_when_the_symptoms_exit_is_met(client_user, plan):
    log_leg_pain(client_user, START, 7, leg=7)  # the baseline week
    today = PHASE_1 + timedelta(days=6)  # phase 1 has run 7 days
    log_leg_pain(client_user, PHASE_1, 7, leg=2)
    assert checkins.update_suggestion(plan, today) == "step_down"
    stored = fresh(plan)
    assert (stored.suggestion, stored.suggested_on) == ("step_down", today)
    assert "at or below 3" in stored.suggestion_reason
    assert plans.plan_input(stored).transitions == plans.plan_input(plan).transitions


def test_no_step_down_before_the_phase_has_run_a_week(client_user, plan):
    log_leg_pain(client_user, START, 7, leg=7)
    log_leg_pain(client_user, PHASE_1 - timedelta(days=3), 7, leg=2)
    assert checkins.update_suggestion(plan, PHASE_1 + timedelta(days=3)) is None
    assert fresh(plan).suggestion is None


def test_step_back_on_a_flare_up_after_phase_0(client_user, plan):
    today = PHASE_1 + timedelta(days=3)
    log_leg_pain(client_user, today - timedelta(days=7), 7, leg=2)
    save(client_user, today, leg=6)
    assert checkins.update_suggestion(plan, today) == "step_back"
    stored = fresh(plan)
    assert stored.suggestion == "step_back" and stored.suggestion_reason.startswith("Flare-up")


def test_no_step_back_in_phase_0(client_user, plan):
    today = START + timedelta(days=10)
    log_leg_pain(client_user, today - timedelta(days=7), 7, leg=2)
    save(client_user, today, leg=6)
    assert checkins.update_suggestion(plan, today) is None
    assert fresh(plan).suggestion is None


def test_an_edit_that_ends_the_flare_withdraws_todays_suggestion(client_user, plan):
    today = PHASE_1 + timedelta(days=3)
    log_leg_pain(client_user, today - timedelta(days=7), 7, leg=2)
    checkins.record_checkin(client_user, today, back_pain=1, leg_pain=6)
    assert fresh(plan).suggestion == "step_back"
    checkins.record_checkin(client_user, today, back_pain=1, leg_pain=2)
    assert fresh(plan).suggestion is None


def test_an_earlier_suggestion_waits_for_a_person(client_user, plan):
    today = PHASE_1 + timedelta(days=3)
    Plan.update(suggestion="step_back", suggestion_reason="x", suggested_on=START).execute()
    save(client_user, today, leg=2)
    assert checkins.update_suggestion(fresh(plan), today) is None
    assert fresh(plan).suggestion == "step_back"
