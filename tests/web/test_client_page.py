import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Auth, csrf_token, make_user, sign_in_token
from tracker.domain import library, schedule
from tracker.store import checkins, plans, safety_reports
from tracker.store.db import database
from tracker.store.models import (
    CareLink,
    CheckIn,
    CheckOff,
    Plan,
    PlanEvent,
    PlanPause,
    SafetyCheck,
    User,
)


@pytest.fixture
def world(app, auth):
    """Client A with a plan 10 days old and history; A's therapist (logged in); strangers."""
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        make_user(email="t2@example.org", name="Other T", role="therapist")
        a = make_user(email="a@example.org", name="Ann")
        make_user(email="b@example.org", name="Bob")
        CareLink.create(therapist=therapist, client=a)
        today = plans.local_today(a)
        start = today - timedelta(days=10)
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(a, spec, start, therapist=therapist, title="Acute plan")
        CheckIn.create(client=a, day=today - timedelta(days=2), back_pain=3, leg_pain=6,
                       note="Sore after gardening", red_flags=["fever"])
        CheckOff.create(plan=plan, item_key="ice", day=today - timedelta(days=1),
                        status="skipped", skip_reason="no_time")
    auth.login("t@example.org")
    return {"client": a, "plan": plan, "today": today, "therapist": therapist}


def test_client_page_shows_progress_history_and_flags(world, client):
    html = client.get(f"/clients/{world['client'].id}").get_data(as_text=True)
    assert "Ann" in html and "Acute plan" in html
    assert "Sore after gardening" in html
    assert "Red flag" in html and "fever" in html.lower()
    assert "Ice after self-massage: No time" in html
    assert "Days done, week by week" in html and 'role="img"' in html
    assert "You gave Ann the plan “Acute plan”." in html  # the change log, in the reader's voice


def test_summary_is_printable(world, client):
    response = client.get(f"/clients/{world['client'].id}/summary")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Progress summary: Ann" in html
    assert "not a diagnosis" in html


@pytest.mark.parametrize("who, status", [
    ("t2@example.org", 404),  # another therapist: not their client, as if there were none
    ("a@example.org", 403),  # clients: the page is for therapists
    ("b@example.org", 403),
])
def test_only_the_clients_therapist_sees_the_page(world, app, who, status):
    other = app.test_client()
    Auth(other).login(who)
    cid = world["client"].id
    for path in (f"/clients/{cid}", f"/clients/{cid}/summary"):
        assert other.get(path).status_code == status
    token = csrf_token(other, "/library")
    for action in ("pause", "resume", "step", "suggestion"):
        response = other.post(f"/clients/{cid}/plan/{action}", data={"csrf_token": token})
        assert response.status_code == status


def test_anonymous_is_sent_to_login(world, app):
    anonymous = app.test_client()
    assert anonymous.get(f"/clients/{world['client'].id}").location.startswith("/login")


def test_unknown_client_is_404(world, client):
    assert client.get("/clients/99999").status_code == 404


def _post(client, cid, action, **data):
    token = csrf_token(client, f"/clients/{cid}")
    return client.post(f"/clients/{cid}/plan/{action}", data={**data, "csrf_token": token})


def test_pause_and_resume(world, client):
    cid, today = world["client"].id, world["today"]
    response = _post(client, cid, "pause", **{"pause-day": today.isoformat(),
                                               "pause-reason": "Away travelling"})
    assert response.status_code == 302
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.status == "paused"
        assert schedule.occurrences(plans.plan_input(plan), today, today + timedelta(7)) == []
    _post(client, cid, "resume", **{"resume-day": (today + timedelta(days=3)).isoformat()})
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.status == "active"
        assert schedule.occurrences(plans.plan_input(plan), today + timedelta(3),
                                    today + timedelta(3))
        messages = [e.message for e in PlanEvent.select()]
    assert any("paused your plan" in m for m in messages)
    assert any("resumed your plan" in m for m in messages)


def test_pausing_a_paused_plan_says_so(world, client):
    """Its pause form is no longer on the page, so an error there would go unseen."""
    cid, today = world["client"].id, world["today"]
    assert _post(client, cid, "pause", **{"pause-day": today.isoformat()}).status_code == 302
    again = _post(client, cid, "pause", **{"pause-day": ""})
    assert again.status_code == 302
    assert "is already paused" in client.get(again.location).get_data(as_text=True)


def test_step_down_by_hand_is_dated_and_told_to_the_client(world, client, app):
    cid, today = world["client"].id, world["today"]
    _post(client, cid, "step", **{"step-to_phase": "1", "step-day": today.isoformat(),
                                  "step-reason": "Doing well"})
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        plan_in = plans.plan_input(plan)
        assert schedule.phase_on(plan_in, today) == 1
        assert schedule.phase_on(plan_in, today - timedelta(days=1)) == 0
    ann = app.test_client()
    Auth(ann).login("a@example.org")
    html = ann.get("/plan").get_data(as_text=True)
    assert "Your therapist Theo moved you to “Improving”: Deep tissue massage, every 2 weeks" in (
        html.replace("&#34;", '"')
    )


def test_confirm_a_step_down_suggestion(world, client):
    with database.connection_context():
        Plan.update(suggestion="step_down", suggestion_reason="Leg pain 30% lower").execute()
    cid, today = world["client"].id, world["today"]
    assert "Ready to step down" in client.get(f"/clients/{cid}").get_data(as_text=True)
    _post(client, cid, "suggestion", decision="accept")
    with database.connection_context():
        plan = Plan.get_by_id(world["plan"].id)
        assert plan.suggestion is None
        assert schedule.phase_on(plans.plan_input(plan), today) == 1


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("pause", {"pause-day": "2000-01-01"}, "Pick a date from"),
        ("pause", {"pause-day": "garbage"}, "Not a valid date"),
        ("pause", {"pause-day": "", "pause-reason": "x"}, "Please pick a date"),
        ("pause", {"pause-reason": "x" * 500}, "Please keep it to 200 characters or fewer."),
        ("step", {"step-to_phase": "7"}, "Pick one of the plan"),
        ("step", {"step-to_phase": "abc"}, "Pick one of the plan"),
    ],
)
def test_bad_input_is_refused_with_a_message(world, client, action, data, message):
    response = _post(client, world["client"].id, action, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    with database.connection_context():
        assert Plan.get_by_id(world["plan"].id).status == "active"


def test_suggestion_without_one_pending_is_404_and_bad_decision_400(world, client):
    cid = world["client"].id
    assert _post(client, cid, "suggestion", decision="accept").status_code == 404
    with database.connection_context():
        Plan.update(suggestion="step_back").execute()
    assert _post(client, cid, "suggestion", decision="perhaps").status_code == 400


def test_actions_need_csrf(world, client):
    assert client.post(f"/clients/{world['client'].id}/plan/pause").status_code == 400


# --- safety reports: what the therapist sees, and "Resume" after review ----------------------

# A report at a fixed moment: 18:30 on Thursday 15 January in New York (the therapist),
# 08:30 on Friday 16 January in Tokyo (the client).
REPORTED_AT = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
ALL_NO = {flag["key"]: False for flag in library.RED_FLAGS}
RESUME_BUTTON = '<button type="submit" class="primary">Resume</button>'
NOT_CONFIRMED = "Please tick the box to confirm you have reviewed the report."


def _person(email, name, role="client", tz="UTC"):
    """A user nobody logs in as with a password (scrypt is slow): sessions are set directly."""
    return User.create(email=email, name=name, role=role, timezone=tz,
                       password_hash="not-used-here")


def _session(app, user):
    """A test client logged in as ``user`` through Flask-Login's session key."""
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = sign_in_token(user)
        session["_fresh"] = True
    return browser


def _report(client, day, note="", **flags):
    """A warning-sign report answered on ``day`` (stored, reported at REPORTED_AT)."""
    check, _ = checkins.record_safety_answers(client, day, {**ALL_NO, **flags}, note=note)
    SafetyCheck.update(created_at=REPORTED_AT).where(SafetyCheck.id == check.id).execute()
    return check


@pytest.fixture
def reported(app):
    """Nell (Tokyo), on a plan from Tess (New York) for three days, reported a warning sign
    two days ago; Tess is logged in. Also an unlinked therapist."""
    with database.connection_context():
        tess = _person("tess@example.org", "Tess", "therapist", "America/New_York")
        other = _person("other@example.org", "Olga", "therapist")
        nell = _person("nell@example.org", "Nell", tz="Asia/Tokyo")
        CareLink.create(therapist=tess, client=nell)
        today = plans.local_today(nell)
        plan = plans.assign(nell, library.template("acute-therapist-led")["spec"],
                            today - timedelta(days=3), therapist=tess, title="Acute plan")
        check = _report(nell, today - timedelta(days=2), note="Numb since the fall",
                        saddle_numbness=True, both_legs=True)
    return SimpleNamespace(app=app, tess=tess, other=other, nell=nell, plan=plan,
                           check=check, today=today, browser=_session(app, tess))


def _safety_resume(browser, cid, **data):
    token = csrf_token(browser, "/library")
    return browser.post(f"/clients/{cid}/safety/resume", data={**data, "csrf_token": token})


def _pauses(plan):
    """Every pause of the plan, as (scope, start, end)."""
    with database.connection_context():
        return sorted((p.scope, p.start, p.end) for p in
                      PlanPause.select().where(PlanPause.plan == plan))


def _roster_flags(browser, client):
    """The flags on the client's roster card, as the therapist reads them."""
    html = browser.get("/clients").get_data(as_text=True)
    card = re.search(rf'<tr class="roster-row[^"]*" id="client-{client.id}">(.*?)\n</tr>',
                     html, re.S).group(1)
    return re.findall(r'<li class="flag flag-[a-z-]+">([^<]+)</li>', card)


def test_client_page_shows_the_open_report_for_review(reported):
    html = reported.browser.get(f"/clients/{reported.nell.id}").get_data(as_text=True)
    assert "Warning sign reported</h2>" in html
    # When, in the therapist's time zone (not the client's Friday morning in Tokyo).
    assert "Reported Thu 15 Jan, 18:30 (America/New_York)" in html
    assert "Fri 16 Jan" not in html
    day = reported.today - timedelta(days=2)
    assert f"(Nell's day: {day:%a} {day.day} {day:%b})" in html
    assert ('<ul class="told-us"><li>Numbness in the groin, buttocks or inner thighs</li>'
            "<li>Symptoms in both legs</li></ul>") in html
    assert "<li>A fever or feeling unwell with back pain: no</li>" in html  # all answers
    assert "In their words: “Numb since the fall”" in html
    assert "Their whole plan is paused: self-care, sessions and tapering." in html
    assert f'action="/clients/{reported.nell.id}/safety/resume"' in html
    assert RESUME_BUTTON in html
    assert "says a healthcare professional has checked them" not in html
    assert _roster_flags(reported.browser, reported.nell) == ["Warning sign"]


def test_client_page_shows_that_a_professional_has_checked_them(reported):
    nell = _session(reported.app, reported.nell)
    response = nell.post("/checkin/checked", data={"csrf_token": csrf_token(nell, "/checkin")})
    assert response.status_code == 302
    with database.connection_context():
        checked_at = SafetyCheck.get_by_id(reported.check.id).checked_at
    local = checked_at.astimezone(ZoneInfo("America/New_York"))
    html = reported.browser.get(f"/clients/{reported.nell.id}").get_data(as_text=True)
    assert ("<strong>Nell says a healthcare professional has checked them</strong> "
            f"({local:%a} {local.day} {local:%b}, {local:%H:%M} (America/New_York)).") in html
    assert RESUME_BUTTON in html  # still open


def test_resume_without_the_confirm_box_is_refused(reported):
    before = _pauses(reported.plan)
    response = _safety_resume(reported.browser, reported.nell.id)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="safety-confirm-error">{NOT_CONFIRMED}</p>' in html
    assert 'aria-invalid="true"' in html
    with database.connection_context():
        check = SafetyCheck.get_by_id(reported.check.id)
        assert (check.resolved_at, check.resolved_by_id) == (None, None)
        assert not PlanEvent.select().where(PlanEvent.kind == "resumed").exists()
    assert _pauses(reported.plan) == before
    assert [end for _scope, _start, end in before] == [None]


def test_resume_after_review_resolves_the_report_and_ends_the_pauses(reported):
    cid, today = reported.nell.id, reported.today
    response = _safety_resume(reported.browser, cid, **{"safety-confirm": "y"})
    assert response.status_code == 302 and response.location == f"/clients/{cid}"
    html = reported.browser.get(response.location).get_data(as_text=True)
    assert "Nell&#39;s plan is back on from today." in html
    assert "Warning sign reported" not in html and RESUME_BUTTON not in html
    with database.connection_context():
        check = SafetyCheck.get_by_id(reported.check.id)
        assert check.resolved_at is not None and check.resolved_by_id == reported.tess.id
        assert safety_reports.open_reports(reported.nell) == []
        [event] = PlanEvent.select().where(PlanEvent.kind == "resumed")
        assert (event.plan_id, event.actor_id, event.effective_from) == (
            reported.plan.id, reported.tess.id, today)
        assert event.message == "Your therapist Tess restarted your plan after you were checked."
        plan = Plan.get_by_id(reported.plan.id)
        assert plan.status == "active"
    assert _pauses(reported.plan) == [
        (schedule.PAUSE_SAFETY, today - timedelta(days=2), today)]
    assert _roster_flags(reported.browser, reported.nell) == []


def test_resume_with_nothing_open_says_so(reported):
    cid = reported.nell.id
    _safety_resume(reported.browser, cid, **{"safety-confirm": "y"})
    response = _safety_resume(reported.browser, cid, **{"safety-confirm": "y"})
    assert response.status_code == 302 and response.location == f"/clients/{cid}"
    html = reported.browser.get(response.location).get_data(as_text=True)
    assert "Nell has no open report: nothing to resume." in html
    with database.connection_context():
        assert PlanEvent.select().where(PlanEvent.kind == "resumed").count() == 1


@pytest.mark.parametrize("who, status", [("other", 404), ("nell", 403)])
def test_only_the_clients_therapist_may_resume(reported, who, status):
    browser = _session(reported.app, getattr(reported, who))
    response = _safety_resume(browser, reported.nell.id, **{"safety-confirm": "y"})
    assert response.status_code == status
    with database.connection_context():
        assert [c.id for c in safety_reports.open_reports(reported.nell)] == [reported.check.id]
    assert [end for _scope, _start, end in _pauses(reported.plan)] == [None]


def test_a_client_with_no_plan_but_an_open_report(reported):
    with database.connection_context():
        nia = _person("nia@example.org", "Nia", tz="Europe/Paris")
        CareLink.create(therapist=reported.tess, client=nia)
        check = _report(nia, plans.local_today(nia), fever=True)
    html = reported.browser.get(f"/clients/{nia.id}").get_data(as_text=True)
    assert "Reported Thu 15 Jan, 18:30 (America/New_York)" in html
    assert "<li>A fever or feeling unwell with back pain</li>" in html
    assert "They have no plan yet; a plan you give them starts paused until you resume." in html
    assert "Nia has no plan yet." in html
    assert _safety_resume(reported.browser, nia.id).status_code == 422
    response = _safety_resume(reported.browser, nia.id, **{"safety-confirm": "y"})
    assert response.status_code == 302 and response.location == f"/clients/{nia.id}"
    with database.connection_context():
        assert SafetyCheck.get_by_id(check.id).resolved_by_id == reported.tess.id
        assert safety_reports.open_reports(nia) == []
    html = reported.browser.get(f"/clients/{nia.id}").get_data(as_text=True)
    assert "Nia&#39;s plan is back on from today." in html
    assert "Warning sign reported" not in html and RESUME_BUTTON not in html


def test_a_step_down_due_during_an_open_report_waits_for_review(app):
    """Four weeks of the acute phase have passed, but a treated-area problem reported in
    week 3 is still open: the step down waits, and the client page says so. (A warning
    sign's pause stops the phase's clock instead, so its step down never falls due.)"""
    with database.connection_context():
        tess = _person("tess@example.org", "Tess", "therapist", "America/New_York")
        ada = _person("ada@example.org", "Ada", tz="Asia/Tokyo")
        CareLink.create(therapist=tess, client=ada)
        today = plans.local_today(ada)
        start = today - timedelta(weeks=5)
        plan = plans.create_from_template(ada, "acute-therapist-led", start,
                                          created_by=tess, therapist=tess)
        checkins.record_safety_answers(ada, start + timedelta(weeks=3), ALL_NO,
                                       problems=["swelling"], areas=["lower_back"])
    browser = _session(app, tess)
    html = browser.get(f"/clients/{ada.id}").get_data(as_text=True)
    due = start + timedelta(weeks=4)
    assert "Problem in the treated area</h2>" in html
    assert "Due to step down: waiting for review</h2>" in html
    assert (f"The next, less frequent phase was due on {due:%A} {due.day} {due:%B %Y}. It "
            "waits while a report, a pause") in " ".join(html.split())
    assert _roster_flags(browser, ada) == ["Treated-area problem",
                                           "Due to step down: waiting for review",
                                           "No activity for 5 days"]
    with database.connection_context():
        assert schedule.phase_on(plans.plan_input(plan), today) == 0  # not stepped down
