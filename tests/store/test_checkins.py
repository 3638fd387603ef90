from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tracker.domain import library, safety, schedule
from tracker.store import checkins, checkoffs, plans, safety_reports
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, Plan, PlanHold, PlanPause, SafetyCheck

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
    return plans.create_from_template(
        client_user, "self-guided-relief", START, created_by=client_user
    )


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
    "fields, message",
    [
        ({"leg_pain": 11}, r"leg_pain must be a whole number from 0 to 10 \(got 11\)"),
        ({"leg_pain": -1}, r"leg_pain must be a whole number from 0 to 10 \(got -1\)"),
        ({"back_pain": "5"}, r"back_pain must be a whole number from 0 to 10 \(got '5'\)"),
        ({"back_pain": True}, r"back_pain must be a whole number from 0 to 10 \(got True\)"),
        ({"back_pain": None}, r"back_pain must be a whole number from 0 to 10 \(got None\)"),
        ({"note": "x" * 2001}, "note is longer than 2000 characters"),
        ({"contraindications": ["bruise"]}, r"unknown contraindication\(s\): bruise"),
        ({"red_flags": ["fever"]}, "not check-in fields: red_flags"),
        ({"mood": "fine"}, "not check-in fields: mood"),
    ],
)
def test_bad_values_are_refused_and_nothing_stored(client_user, fields, message):
    values = {"back_pain": 2, "leg_pain": 3, **fields}
    with pytest.raises(ValueError, match=message):
        checkins.save_checkin(client_user, START, **values)
    assert CheckIn.select().count() == 0


def test_previous_facts_look_only_before_the_day(client_user):
    assert checkins.previous_facts(client_user, START) is None
    save(client_user, START, numbness=True)
    save(client_user, START + timedelta(days=2), weakness=True)
    assert checkins.previous_facts(client_user, START + timedelta(days=2)) == (
        safety.CheckInFacts(numbness=True, weakness=False)
    )


def test_record_checkin_asks_the_questions_first_time_and_when_numbness_is_new(client_user):
    _, report, ask = checkins.record_checkin(client_user, START, back_pain=2, leg_pain=3)
    assert ask and report is None  # first ever
    assert fresh_user(client_user).safety_questions_due
    checkins.record_safety_answers(client_user, START, dict.fromkeys(safety.RED_FLAG_LABELS,
                                                                     False))
    assert not fresh_user(client_user).safety_questions_due
    day = START + timedelta(days=1)
    assert not checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3,
                                       anything_new=False)[2]
    assert checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3, numbness=True,
                                   anything_new=False)[2]
    # Not answered at all (None) counts as yes: the questions are asked.
    assert checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3)[2]


def test_anything_new_asks_the_questions_whatever_came_before(client_user):
    for i in range(3):  # an established client who answered the questions before
        checkins.record_checkin(client_user, START + timedelta(days=i), back_pain=2, leg_pain=3,
                                numbness=True, weakness=True)
        checkins.record_safety_answers(client_user, START + timedelta(days=i),
                                       dict.fromkeys(safety.RED_FLAG_LABELS, False))
    day = START + timedelta(days=3)
    assert not checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3,
                                       numbness=True, weakness=True, anything_new=False)[2]
    assert checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3, numbness=True,
                                   weakness=True, anything_new=True)[2]


def test_unanswered_questions_are_asked_at_the_next_check_in(client_user):
    checkins.record_checkin(client_user, START, back_pain=2, leg_pain=3)  # asked, not answered
    later = START + timedelta(days=5)
    assert checkins.record_checkin(client_user, later, back_pain=2, leg_pain=3,
                                   anything_new=False)[2]


def fresh_user(user):
    return type(user).get_by_id(user.id)


# --- safety answers and pauses -----------------------------------------------------


def open_pauses(plan):
    return [(p.scope, p.start, p.end) for p in
            PlanPause.select().where(PlanPause.plan == plan).order_by(PlanPause.id)]


def test_a_warning_sign_pauses_the_whole_plan_once(client_user, plan):
    report, result = checkins.record_safety_answers(client_user, START, {"fever": True})
    assert result.urgent and result.urgency == "same_day" and report.is_open
    checkins.record_safety_answers(client_user, START, {"fever": True, "trauma": True})
    assert open_pauses(plan) == [("safety", START, None)]
    assert "fever" in PlanPause.get().reason
    assert SafetyCheck.select().where(SafetyCheck.reported).count() == 2
    # Nothing of the plan is due while it is open: self-care and sessions alike.
    assert schedule.occurrences(plans.plan_input(plan), START, START + timedelta(days=30)) == []


def test_all_no_is_kept_and_changes_nothing_on_the_plan(client_user, plan):
    report, result = checkins.record_safety_answers(
        client_user, START, dict.fromkeys(safety.RED_FLAG_LABELS, False)
    )
    assert not result.reported and not report.is_open
    assert report.answers == dict.fromkeys(safety.RED_FLAG_LABELS, False)
    assert PlanPause.select().count() == 0


def test_a_treated_area_problem_pauses_sessions_and_that_areas_self_care_once(client_user):
    plan = plans.create_from_template(client_user, "acute-therapist-led", START,
                                      created_by=client_user)
    for _ in range(2):
        checkins.record_checkin(client_user, START, back_pain=2, leg_pain=3,
                                contraindications=["swelling"], areas=["thighs"])
    pause = PlanPause.get()
    assert PlanPause.select().count() == 1 and SafetyCheck.select().count() == 1
    assert (pause.scope, pause.end, pause.areas) == ("area", None, ["thighs"])
    assert pause.reason == "In the treated area (thighs (back of the leg)): swelling."
    due = {o.item.key for o in schedule.occurrences(plans.plan_input(plan), START,
                                                   START + timedelta(days=13))}
    # The foam roller and the seated forward bend work on the back of the thighs; the
    # massage is a session. Heat, ice and the other stretches go on.
    assert "massage" not in due and "foam-roller" not in due and "forward-bend" not in due
    assert {"heat", "ice", "piriformis", "knee-to-chest"} <= due


def test_a_problem_with_no_area_said_pauses_all_self_care_too(client_user, plan):
    checkins.record_checkin(client_user, START, back_pain=2, leg_pain=3,
                            contraindications=["infection"])
    assert PlanPause.get().areas == []
    assert schedule.occurrences(plans.plan_input(plan), START, START + timedelta(days=6)) == []


def test_check_in_without_a_plan_still_saves_and_reports(client_user):
    checkin, report, _ = checkins.record_checkin(
        client_user, START, back_pain=2, leg_pain=3, contraindications=["fracture"]
    )
    assert report.problems == ["fracture"] and checkin.contraindications == ["fracture"]
    assert PlanPause.select().count() == 0
    # A plan given later starts paused while the report is open.
    plan = plans.create_from_template(client_user, "self-guided-relief", START,
                                      created_by=client_user)
    assert open_pauses(plan) == [("area", START, None)]


def test_resolve_ends_every_safety_pause_and_report(client_user, plan):
    checkins.record_checkin(client_user, START, back_pain=2, leg_pain=3,
                            contraindications=["swelling"])
    checkins.record_safety_answers(client_user, START, {"fever": True})
    later = START + timedelta(days=3)
    assert safety_reports.resolve(client_user, client_user, later) == 2
    assert safety_reports.resolve(client_user, client_user, later) == 0
    assert {p.scope: p.end for p in PlanPause.select()} == {"area": later, "safety": later}
    assert safety_reports.open_reports(client_user) == []
    # A new warning sign after resuming opens a new pause.
    checkins.record_safety_answers(client_user, later, {"trauma": True})
    assert PlanPause.select().where(PlanPause.end.is_null()).count() == 1


def test_only_the_therapist_resolves_a_therapist_led_plan(client_user):
    therapist = make_user(email="t@example.org", role="therapist")
    link = CareLink.create(therapist=therapist, client=client_user)
    plans.assign(client_user, library.template("acute-therapist-led")["spec"], START,
                 therapist=therapist, title="Acute")
    checkins.record_safety_answers(client_user, START, {"both_legs": True})
    with pytest.raises(PermissionError, match="only the therapist"):
        safety_reports.resolve(client_user, client_user, START)
    assert [c.id for c in safety_reports.mark_checked(client_user)] == [1]
    assert safety_reports.open_reports(client_user)[0].checked_at is not None
    assert safety_reports.resolve(client_user, therapist, START) == 1
    # A client who ended the link resumes on their own: that therapist no longer sees them.
    checkins.record_safety_answers(client_user, START, {"fever": True})
    CareLink.update(active=False).where(CareLink.id == link.id).execute()
    assert safety_reports.therapists_of(client_user) == []
    assert safety_reports.resolve(client_user, client_user, START) == 1


def test_status_context(client_user, plan):
    save(client_user, START)
    checkins.record_safety_answers(client_user, START, {"fever": True})
    context = checkins.status_context(client_user, plan, START)
    assert context["checkin"].leg_pain == 3
    assert [p.scope for p in context["pauses"]] == ["safety"]
    assert context["safety"].red_flags == ("fever",)
    assert bool(context["resume_by_therapist"]) is False
    assert context["sore_after_session"] is False
    assert checkins.status_context(client_user, None, START + timedelta(days=1))["pauses"] == []


def test_soreness_after_a_session_reassures(client_user):
    plan = plans.create_from_template(client_user, "acute-therapist-led", START,
                                      created_by=client_user)
    massage_day = next(o.date for o in schedule.occurrences(
        plans.plan_input(plan), START, START + timedelta(days=7)) if o.item.is_session)
    day = massage_day + timedelta(days=1)
    checkins.record_checkin(client_user, day, back_pain=2, leg_pain=3, soreness=True)
    assert not checkins.status_context(client_user, plan, day)["sore_after_session"]
    checkoffs.set_done(plan, "massage", massage_day, True)
    assert checkins.status_context(client_user, plan, day)["sore_after_session"]


# --- suggestions -------------------------------------------------------------------


def test_step_down_when_the_symptoms_exit_is_met(client_user, plan):
    log_leg_pain(client_user, START, 7, leg=7)  # the baseline week
    today = PHASE_1 + timedelta(days=6)  # phase 1 has run 7 days
    log_leg_pain(client_user, PHASE_1, 7, leg=2)
    assert checkins.update_suggestion(plan, today) == "step_down"
    stored = fresh(plan)
    assert (stored.suggestion, stored.suggested_on) == ("step_down", today)
    assert "at or below 3, down from 7.0" in stored.suggestion_reason
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


def test_a_flare_up_in_phase_0_asks_for_review_and_holds_the_taper(client_user, plan):
    today = START + timedelta(days=10)
    log_leg_pain(client_user, today - timedelta(days=7), 7, leg=2)
    save(client_user, today, leg=6)
    assert checkins.update_suggestion(plan, today) == "review"
    # The 7-day mean (2.6) is also above the starting level (2.0): both hold the taper.
    assert {(h.kind, h.start, h.end) for h in PlanHold.select()} == {
        ("flare_up", today, None), ("worse", today, None)}
    # Phase 0 would end after 2 weeks (PHASE_1); with the flare-up open it waits.
    later = PHASE_1 + timedelta(days=5)
    assert schedule.phase_on(plans.plan_input(plan), later) == 0
    assert schedule.waiting_step_down(plans.plan_input(plan), later) == PHASE_1
    # A person reviews it and the pain settles: the holds end that day, the phase moves on.
    plans.decide_suggestion(fresh(plan), False, later, client_user)
    log_leg_pain(client_user, later - timedelta(days=6), 7, leg=2)
    checkins.update_suggestion(fresh(plan), later)
    assert {(h.kind, h.end) for h in PlanHold.select()} == {("flare_up", later),
                                                            ("worse", later)}
    assert schedule.phase_on(plans.plan_input(plan), later) == 1
    assert schedule.phase_on(plans.plan_input(plan), later - timedelta(days=1)) == 0


def test_no_step_down_while_a_report_is_open(client_user, plan):
    log_leg_pain(client_user, START, 7, leg=7)
    today = PHASE_1 + timedelta(days=6)
    log_leg_pain(client_user, PHASE_1, 7, leg=2)
    assert checkins.update_suggestion(plan, today) == "step_down"
    checkins.record_safety_answers(client_user, today + timedelta(days=1), {"trauma": True})
    assert fresh(plan).suggestion is None  # withdrawn: never beside an open problem
    assert checkins.update_suggestion(plan, today + timedelta(days=2)) is None


def test_worse_than_the_start_holds_the_taper_until_it_is_not(client_user, plan):
    log_leg_pain(client_user, START, 7, leg=4)  # the starting level
    log_leg_pain(client_user, START + timedelta(days=7), 5, leg=6)
    day = START + timedelta(days=12)
    save(client_user, day, leg=3)  # below the start today (no flare-up), the week above it
    checkins.update_suggestion(plan, day)
    assert [(h.kind, h.end) for h in PlanHold.select()] == [("worse", None)]
    assert schedule.waiting_step_down(plans.plan_input(plan), PHASE_1) == PHASE_1
    log_leg_pain(client_user, PHASE_1 + timedelta(days=1), 7, leg=3)
    better = PHASE_1 + timedelta(days=7)
    checkins.update_suggestion(plan, better)
    assert [(h.kind, h.end) for h in PlanHold.select()] == [("worse", better)]
    assert schedule.phase_on(plans.plan_input(plan), better) == 1


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
