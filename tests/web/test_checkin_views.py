import email
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import render_template

from tests.conftest import csrf_token, make_user
from tracker.domain import library
from tracker.store import checkins, plans
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, PlanPause, SafetyCheck, User

ALL_NO = {
    "bladder_bowel": "no",
    "saddle_numbness": "no",
    "both_legs": "no",
    "worsening_weakness": "no",
    "fever": "no",
    "trauma": "no",
}
GET_ROUTES = ["/checkin", "/checkin/safety", "/checkin/urgent", "/checkin/paused"]
POST_ROUTES = ["/checkin", "/checkin/safety", "/checkin/resume", "/checkin/checked"]


@pytest.fixture
def client_user(app):
    with database.connection_context():
        return make_user()


@pytest.fixture
def plan(client_user):
    with database.connection_context():
        start = plans.local_today(client_user)
        return plans.create_from_template(
            client_user, "self-guided-relief", start, created_by=client_user
        )


@pytest.fixture
def today(client_user):
    return plans.local_today(client_user)


def check_in(client, **overrides):
    data = {"back_pain": "3", "leg_pain": "4", "anything_new": "no",
            "csrf_token": csrf_token(client, "/checkin"), **overrides}
    return client.post("/checkin", data={k: v for k, v in data.items() if v is not None})


def answer(client, **overrides):
    data = {**ALL_NO, "csrf_token": csrf_token(client, "/checkin/safety"), **overrides}
    return client.post("/checkin/safety", data=data)


def resume(client, **overrides):
    data = {"csrf_token": csrf_token(client, "/checkin"), **overrides}
    return client.post("/checkin/resume", data=data)


def yesterday_checkin(user, today, **fields):
    """An earlier check-in, so today's is not the first ever (no safety questions)."""
    with database.connection_context():
        checkins.save_checkin(user, today - timedelta(days=1), back_pain=3, leg_pain=4, **fields)


def stored():
    with database.connection_context():
        return list(CheckIn.select())


def open_pauses():
    with database.connection_context():
        return {p.scope: p for p in PlanPause.select().where(PlanPause.end.is_null())}


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


# --- who may see it ----------------------------------------------------------------


@pytest.mark.parametrize("path", GET_ROUTES)
def test_anonymous_is_sent_to_login(client, path):
    assert client.get(path).location.startswith("/login")
    htmx = client.get(path, headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_anonymous_posts_are_sent_to_login(client, path):
    response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("path", GET_ROUTES)
def test_therapists_have_no_check_in(app, client, auth, path):
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    assert client.get(path).status_code == 403


def test_therapists_cannot_post_a_check_in_or_resume(app, client, auth):
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    token = csrf_token(client, "/home")
    assert client.post("/checkin", data={"csrf_token": token, "back_pain": "1",
                                         "leg_pain": "1"}).status_code == 403
    assert client.post("/checkin/resume", data={"csrf_token": token,
                                                "confirm": "y"}).status_code == 403
    assert client.post("/checkin/checked", data={"csrf_token": token}).status_code == 403
    assert stored() == []


@pytest.mark.parametrize("path", POST_ROUTES)
def test_posts_need_csrf(client_user, client, auth, path):
    auth.login()
    response = client.post(path, data={"back_pain": "3", "leg_pain": "4", **ALL_NO,
                                       "scope": "sessions", "confirm": "y"})
    assert response.status_code == 400 and stored() == []


# --- the form ----------------------------------------------------------------------


def test_the_form_has_labelled_pain_scales_and_safety_boxes(client_user, client, auth):
    auth.login()
    html = text(client.get("/checkin"))
    assert "<h1>How are you today?</h1>" in html
    for name in ("back_pain", "leg_pain"):
        assert len(re.findall(rf'type="radio" name="{name}"', html)) == 11
    assert "<legend>Back pain</legend>" in html and "<legend>Leg pain</legend>" in html
    assert html.count("0 no pain") == 2 and html.count("10 worst") == 2
    assert 'type="range"' not in html and "style=" not in html and "<script>" not in html
    assert "Numbness or tingling" in html and "Weakness in leg or foot" in html
    assert "Anything else?" in html and 'maxlength="2000"' in html
    assert "In the area that is treated, do you have any of these today?" in html
    assert len(re.findall(r'type="checkbox" name="contraindications"', html)) == 5
    assert "Where is it?" in html and len(re.findall(r'type="checkbox" name="areas"', html)) == 5
    assert "Anything new or worrying since your last check-in?" in html
    assert len(re.findall(r'type="radio" name="anything_new"', html)) == 2
    assert "Sore, stiff or lightly bruised after a massage" in html
    assert 'value="Save check-in"' in html


def test_the_first_check_in_asks_the_safety_questions(client_user, plan, client, auth, today):
    auth.login()
    response = check_in(client, leg_pain="6", numbness="y", note="  Stiff in the morning. ")
    assert response.status_code == 302 and response.location == "/checkin/safety"
    [saved] = stored()
    assert (saved.day, saved.leg_pain, saved.back_pain) == (today, 6, 3)
    assert saved.numbness and not saved.weakness and saved.note == "Stiff in the morning."
    html = text(client.get("/checkin/safety"))
    assert html.count('type="radio"') == 12 and "checked" not in html
    assert 'value="Send answers"' in html
    response = answer(client)
    assert response.status_code == 302 and response.location == "/today"
    assert "Nothing you told us needs urgent care" in text(client.get("/today"))


def test_a_usual_day_goes_straight_to_today(client_user, plan, client, auth, today):
    yesterday_checkin(client_user, today)
    auth.login()
    response = check_in(client)
    assert response.status_code == 302 and response.location == "/today"


def test_a_check_in_without_the_new_question_is_kept_and_asks_the_questions(
        client_user, client, auth, today):
    yesterday_checkin(client_user, today)  # e.g. queued offline before the question existed
    auth.login()
    assert check_in(client, anything_new=None).location == "/checkin/safety"
    assert [c.anything_new for c in stored() if c.day == today] == [None]


def test_new_weakness_asks_again(client_user, client, auth, today):
    yesterday_checkin(client_user, today)
    auth.login()
    assert check_in(client, weakness="y").location == "/checkin/safety"


def test_the_form_is_prefilled_and_editable_the_same_day(client_user, client, auth, today):
    yesterday_checkin(client_user, today)
    auth.login()
    check_in(client, leg_pain="6", contraindications="swelling", note="Tight")
    html = text(client.get("/checkin"))
    assert 'name="leg_pain" id="leg_pain-6"\n      value="6" checked' in html
    assert 'value="swelling" checked' in html and "Tight</textarea>" in html
    assert not re.search(r'name="anything_new"[^>]*checked', html)  # asked afresh
    assert "You checked in already" in html
    check_in(client, leg_pain="2")
    [saved] = [c for c in stored() if c.day == today]
    assert saved.leg_pain == 2 and saved.contraindications == [] and saved.note == ""


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"leg_pain": "11"}, "Please choose your leg pain from 0 (no pain) to 10 (worst)."),
        ({"leg_pain": "-1"}, "Please choose your leg pain"),
        ({"back_pain": ""}, "Please choose your back pain"),
        ({"back_pain": "three"}, "Please choose your back pain"),
        ({"back_pain": "4.5"}, "Please choose your back pain"),
        ({"leg_pain": None}, "Please choose your leg pain"),
        ({"note": "x" * 10_000}, "Please keep your note to 2000 characters or fewer."),
        ({"note": "fine\x00then"}, "Please remove control characters."),
        ({"note": "bell\x07"}, "Please remove control characters."),
        ({"contraindications": "bruise"}, "Please tick only the items listed."),
        ({"areas": "elbow"}, "Please tick only the areas listed."),
        ({"anything_new": "maybe"}, "Please answer: is anything new or worrying?"),
    ],
)
def test_bad_input_is_shown_again_and_nothing_stored(client_user, client, auth, overrides,
                                                     message):
    auth.login()
    data = {k: v for k, v in overrides.items() if v is not None}
    if None in overrides.values():
        token = csrf_token(client, "/checkin")
        response = client.post("/checkin", data={"back_pain": "3", "csrf_token": token})
    else:
        response = check_in(client, **data)
    html = text(response)
    assert response.status_code == 422 and message in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert re.search(r'aria-describedby="[^"]*-error"', html)
    assert stored() == []


def test_a_note_may_have_line_breaks(client_user, client, auth):
    auth.login()
    assert check_in(client, note="Line one\r\nLine two\tend").status_code == 302
    assert stored()[0].note == "Line one\r\nLine two\tend"


# --- safety questions ("Something's wrong") -----------------------------------------


def test_the_questions_are_there_any_day_without_a_check_in(client_user, plan, client, auth):
    auth.login()
    html = text(client.get("/checkin/safety"))
    assert "<h1>Something's wrong?</h1>" in html and html.count('type="radio"') == 12
    assert "in both legs" in html and "worse than when you last told us" in html
    assert 'name="problems"' in html and 'name="areas"' in html
    assert "Something's wrong</a>" in html  # the link in the app's bar
    assert answer(client).location == "/today"
    assert stored() == []  # no check-in needed


def test_every_safety_question_must_be_answered(client_user, plan, client, auth):
    auth.login()
    check_in(client)
    response = answer(client, fever="", trauma="maybe")
    html = text(response)
    assert response.status_code == 422 and html.count("Please answer yes or no.") == 2
    assert 'aria-describedby="fever-error"' in html
    with database.connection_context():
        assert SafetyCheck.select().count() == 0
    assert open_pauses() == {}


def test_a_warning_sign_shows_urgent_care_and_pauses_everything(client_user, plan, client,
                                                                auth, today):
    auth.login()
    check_in(client, leg_pain="6")
    response = answer(client, worsening_weakness="yes")
    assert response.status_code == 302 and response.location == "/checkin/urgent"
    html = text(client.get("/checkin/urgent"))
    assert "Get medical help now</h1>" in html
    assert "emergency department" in html and "local emergency number" in html
    assert "tel:" not in html and "diagnosis" in html
    assert "Weakness or numbness getting worse" in html
    assert "Your whole plan is paused" in html
    # Self-guided: the client restarts it once checked.
    assert "A healthcare professional has checked me and said I can continue" in html
    assert list(open_pauses()) == ["safety"]
    # And again on every visit until it is resolved.
    today_html = text(client.get("/today"))
    assert "Get medical help now</h2>" in today_html and 'role="alert"' in today_html
    assert "You reported a warning sign." in text(client.get("/plan"))


def test_fever_and_trauma_are_same_day_advice(client_user, plan, client, auth):
    auth.login()
    assert answer(client, trauma="yes").location == "/checkin/urgent"
    html = text(client.get("/checkin/urgent"))
    assert "See a doctor today</h1>" in html and "same-day" in html
    assert list(open_pauses()) == ["safety"]


def test_the_emergency_number_is_a_tap_to_call_link(app, client_user, plan, client, auth):
    app.config["EMERGENCY_NUMBER"] = 999  # TRACKER_EMERGENCY_NUMBER=999 parses as a number
    auth.login()
    answer(client, bladder_bowel="yes")
    html = text(client.get("/checkin/urgent"))
    assert '<a class="button danger call" href="tel:999">Call 999</a>' in html


def test_urgent_and_paused_pages_need_something_to_show(client_user, plan, client, auth):
    auth.login()
    assert client.get("/checkin/urgent").location == "/today"
    assert client.get("/checkin/paused").location == "/today"


# --- problems in the treated area --------------------------------------------------


def test_a_treated_area_problem_pauses_and_says_exactly_what(client_user, plan, client, auth,
                                                             today):
    yesterday_checkin(client_user, today)
    auth.login()
    response = check_in(client, contraindications=["swelling", "fracture"],
                        areas=["lower_back"])
    assert response.status_code == 302 and response.location == "/checkin/paused"
    html = text(client.get("/checkin/paused"))
    assert "healthcare provider" in html and "not a diagnosis" in html
    assert "have a healthcare provider look at it first" in html  # swelling's advice
    assert "get it checked by a healthcare provider" in html  # fracture's advice
    assert "Your massage sessions, and the self-care that works on that area" in html
    assert "(lower back)" in html
    pause = open_pauses()["area"]
    assert pause.reason == ("In the treated area (lower back): swelling; "
                            "a known or possible broken bone.")
    assert pause.areas == ["lower_back"]


def test_a_treated_area_problem_can_be_reported_any_day(client_user, plan, client, auth):
    auth.login()
    assert answer(client, problems="infection").location == "/checkin/paused"
    assert list(open_pauses()) == ["area"]


# --- resuming ----------------------------------------------------------------------


@pytest.fixture
def paused_plan(client_user, plan, today):
    with database.connection_context():
        checkins.record_checkin(client_user, today, back_pain=3, leg_pain=4,
                                contraindications=["swelling"])
        checkins.record_safety_answers(client_user, today, {"fever": True})
    return plan


def test_resume_needs_the_confirmation(paused_plan, client, auth):
    auth.login()
    response = resume(client)
    html = text(response)
    assert response.status_code == 422 and "See a doctor today" in html
    assert "Please tick the box to confirm a healthcare professional" in html
    assert 'aria-describedby="confirm-error"' in html
    assert set(open_pauses()) == {"area", "safety"}


def test_a_self_guided_client_resumes_with_the_confirmation(paused_plan, client, auth, today):
    auth.login()
    response = resume(client, confirm="y")
    assert response.status_code == 302 and response.location == "/today"
    assert open_pauses() == {}
    with database.connection_context():
        assert {p.end for p in PlanPause.select()} == {today}
        assert SafetyCheck.select().where(SafetyCheck.resolved_at.is_null()
                                          & SafetyCheck.reported).count() == 0
    assert "Your plan is back on." in text(client.get("/today"))


def test_resume_with_nothing_paused_says_so(client_user, plan, client, auth):
    auth.login()
    response = resume(client, confirm="y")
    assert response.status_code == 302
    assert "Nothing was paused." in text(client.get("/today"))


@pytest.fixture
def led_plan(client_user, today):
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Tess Therapist", role="therapist")
        CareLink.create(therapist=therapist, client=client_user)
        plan = plans.assign(client_user, library.template("acute-therapist-led")["spec"], today,
                            therapist=therapist, title="Acute")
        checkins.record_safety_answers(client_user, today, {"saddle_numbness": True})
    return plan


def test_on_a_therapist_led_plan_only_the_therapist_resumes(led_plan, client, auth):
    auth.login()
    html = text(client.get("/checkin/urgent"))
    assert "Your therapist has been told" in html and 'action="/checkin/resume"' not in html
    assert 'value="A professional has checked me"' in html
    assert resume(client, confirm="y").status_code == 403
    assert list(open_pauses()) == ["safety"]


def test_a_professional_has_checked_me_tells_the_therapist(app, led_plan, client, auth):
    auth.login()
    response = client.post("/checkin/checked",
                           data={"csrf_token": csrf_token(client, "/checkin")})
    assert response.status_code == 302 and response.location == "/checkin/urgent"
    html = text(client.get("/checkin/urgent"))
    assert "Your therapist has been told and will restart your plan." in html
    assert "You told your therapist a professional has checked you." in html
    assert list(open_pauses()) == ["safety"]  # still paused until the therapist resumes
    subjects = sorted(email.message_from_bytes(p.read_bytes())["Subject"]
                      for p in (Path(app.instance_path) / "outbox").glob("*.eml"))
    # (the report itself was stored directly by the fixture, not announced)
    assert subjects == ["Casey Client says a professional has checked them"]


# --- the status fragment for /today ------------------------------------------------


def render_status(app, user, plan, today):
    with app.test_request_context("/today"), database.connection_context():
        return render_template("checkin/_status.html", texts=library,
                               **checkins.status_context(user, plan, today))


def test_status_fragment_before_and_after_checking_in(app, client_user, plan, today):
    html = render_status(app, client_user, plan, today)
    assert html.strip().startswith('<section id="checkin-status"')
    assert html.count('id="checkin-status"') == 1
    assert ">How are you today? Check in</a>" in html and 'href="/checkin"' in html
    assert "Something's wrong</a>" in html and 'href="/checkin/safety"' in html
    with database.connection_context():
        checkins.save_checkin(client_user, today, back_pain=3, leg_pain=4)
    html = render_status(app, client_user, plan, today)
    assert "Today: leg 4, back 3" in html and ">Edit</a>" in html
    assert "Check in</a>" not in html and "paused" not in html


def test_status_fragment_asks_for_unanswered_questions(app, client_user, plan, today):
    with database.connection_context():
        checkins.record_checkin(client_user, today, back_pain=3, leg_pain=4)
        user = User.get_by_id(client_user.id)
    html = render_status(app, user, plan, today)
    assert "Safety questions are waiting." in html and "Answer the safety questions" in html


def test_resume_without_confirmation_when_nothing_is_paused_says_so(plan, client, auth):
    auth.login()
    response = resume(client)
    assert response.status_code == 302 and response.location == "/today"
    assert "Nothing was paused." in text(client.get("/today"))
