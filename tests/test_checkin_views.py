import re
from datetime import timedelta

import pytest
from flask import render_template

from tests.conftest import csrf_token, make_user
from tracker import checkins, plans
from tracker.db import database
from tracker.models import CheckIn, Plan, PlanPause

ALL_NO = {
    "bladder_bowel": "no",
    "saddle_numbness": "no",
    "worsening_weakness": "no",
    "fever": "no",
    "trauma": "no",
}
GET_ROUTES = ["/checkin", "/checkin/safety", "/checkin/urgent", "/checkin/paused"]
POST_ROUTES = ["/checkin", "/checkin/safety", "/checkin/resume"]


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
    data = {"back_pain": "3", "leg_pain": "4", "csrf_token": csrf_token(client, "/checkin")}
    return client.post("/checkin", data={**data, **overrides})


def answer(client, **overrides):
    data = {**ALL_NO, "csrf_token": csrf_token(client, "/checkin/safety"), **overrides}
    return client.post("/checkin/safety", data=data)


def resume(client, scope, **overrides):
    data = {"scope": scope, "csrf_token": csrf_token(client, "/checkin"), **overrides}
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
    assert client.get(path).status_code == 404


def test_therapists_cannot_post_a_check_in_or_resume(app, client, auth):
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    token = csrf_token(client, "/home")
    assert client.post("/checkin", data={"csrf_token": token, "back_pain": "1",
                                         "leg_pain": "1"}).status_code == 404
    assert client.post("/checkin/resume", data={"csrf_token": token, "scope": "sessions",
                                                "confirm": "y"}).status_code == 404
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
    assert 'value="Save check-in"' in html


def test_the_first_check_in_asks_the_safety_questions(client_user, plan, client, auth, today):
    auth.login()
    response = check_in(client, leg_pain="6", numbness="y", note="  Stiff in the morning. ")
    assert response.status_code == 302 and response.location == "/checkin/safety"
    [saved] = stored()
    assert (saved.day, saved.leg_pain, saved.back_pain) == (today, 6, 3)
    assert saved.numbness and not saved.weakness and saved.note == "Stiff in the morning."
    html = text(client.get("/checkin/safety"))
    assert html.count('type="radio"') == 10 and "checked" not in html
    assert 'value="Send answers"' in html
    response = answer(client)
    assert response.status_code == 302 and response.location == "/today"
    assert "Check-in saved." in text(client.get("/today"))


def test_a_usual_day_goes_straight_to_today(client_user, plan, client, auth, today):
    yesterday_checkin(client_user, today)
    auth.login()
    response = check_in(client)
    assert response.status_code == 302 and response.location == "/today"


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


# --- safety questions --------------------------------------------------------------


def test_safety_questions_need_todays_check_in_first(client_user, client, auth):
    auth.login()
    assert client.get("/checkin/safety").location == "/checkin"


def test_every_safety_question_must_be_answered(client_user, plan, client, auth):
    auth.login()
    check_in(client)
    response = answer(client, fever="", trauma="maybe")
    html = text(response)
    assert response.status_code == 422 and html.count("Please answer yes or no.") == 2
    assert 'aria-describedby="fever-error"' in html
    assert stored()[0].red_flags == [] and open_pauses() == {}


def test_a_red_flag_shows_urgent_care_and_pauses_self_care(client_user, plan, client, auth,
                                                          today):
    auth.login()
    check_in(client, leg_pain="6")
    response = answer(client, worsening_weakness="yes")
    assert response.status_code == 302 and response.location == "/checkin/urgent"
    html = text(client.get("/checkin/urgent"))
    assert "<h1" in html and "Get medical help now</h1>" in html
    assert "emergency department" in html and "local emergency number" in html
    assert "tel:" not in html and "diagnosis" in html
    assert "Weakness in the leg or foot getting worse" in html
    assert "Self-care is paused" in html and "Resume self-care" in html
    assert "A healthcare professional has checked me and said I can continue" in html
    assert list(open_pauses()) == ["self_care"]
    with database.connection_context():
        assert Plan.get().red_flag_on == today
    assert stored()[0].red_flags == ["worsening_weakness"]


def test_urgent_and_paused_pages_need_something_to_show(client_user, plan, client, auth):
    auth.login()
    assert client.get("/checkin/urgent").location == "/today"
    assert client.get("/checkin/paused").location == "/today"


# --- contraindications -------------------------------------------------------------


def test_a_contraindication_pauses_sessions_and_says_why(client_user, plan, client, auth):
    auth.login()
    check_in(client, contraindications=["swelling", "fracture"])
    response = answer(client)
    assert response.status_code == 302 and response.location == "/checkin/paused"
    html = text(client.get("/checkin/paused"))
    assert "healthcare provider" in html and "not a diagnosis" in html
    assert "have a healthcare provider look at it first" in html  # swelling's advice
    assert "get it checked by a healthcare provider" in html  # fracture's advice
    assert "Professional sessions are paused" in html and "Resume sessions" in html
    assert "Check-in saved." in html
    pause = open_pauses()["sessions"]
    assert pause.reason == "In the treated area: swelling; a known or possible broken bone."


def test_a_contraindication_on_a_later_day_goes_straight_to_the_notice(client_user, plan, client,
                                                                       auth, today):
    yesterday_checkin(client_user, today)
    auth.login()
    assert check_in(client, contraindications="infection").location == "/checkin/paused"
    assert list(open_pauses()) == ["sessions"]


# --- resuming ----------------------------------------------------------------------


@pytest.fixture
def paused_plan(client_user, plan, today):
    with database.connection_context():
        checkins.save_checkin(client_user, today, back_pain=3, leg_pain=4,
                              contraindications=["swelling"])
        checkins.record_safety_answers(client_user, today, {"fever": True})
    return plan


@pytest.mark.parametrize("scope, page", [("self_care", "Get medical help now"),
                                         ("sessions", "Pause your massage sessions")])
def test_resume_needs_the_confirmation(paused_plan, client, auth, scope, page):
    auth.login()
    response = resume(client, scope)
    html = text(response)
    assert response.status_code == 422 and page in html
    assert "Please tick the box to confirm a healthcare professional" in html
    assert f'aria-describedby="resume-{scope}-confirm-error"' in html
    assert set(open_pauses()) == {"self_care", "sessions"}


def test_resume_without_confirmation_when_nothing_is_paused_says_so(plan, client, auth):
    auth.login()
    response = resume(client, "self_care")
    assert response.status_code == 422
    assert "Nothing is paused, so there was nothing to resume." in text(response)


@pytest.mark.parametrize("scope, message", [
    ("self_care", "Your stretches and self-massage are back on your plan."),
    ("sessions", "Your professional sessions are back on your plan."),
])
def test_resume_with_the_confirmation_ends_that_pause(paused_plan, client, auth, today, scope,
                                                      message):
    auth.login()
    response = resume(client, scope, confirm="y")
    assert response.status_code == 302 and response.location == "/today"
    assert scope not in open_pauses() and len(open_pauses()) == 1
    with database.connection_context():
        assert PlanPause.get(PlanPause.scope == scope).end == today
    assert message in text(client.get("/today"))


@pytest.mark.parametrize("scope", ["all", "", "everything"])
def test_resume_rejects_an_unknown_scope(paused_plan, client, auth, scope):
    auth.login()
    assert resume(client, scope, confirm="y").status_code == 400
    assert len(open_pauses()) == 2


def test_resume_with_nothing_paused_says_so(client_user, plan, client, auth):
    auth.login()
    response = resume(client, "sessions", confirm="y")
    assert response.status_code == 302
    assert "Nothing was paused." in text(client.get("/today"))


# --- the status fragment for /today ------------------------------------------------


def render_status(app, user, plan, today):
    with app.test_request_context("/today"), database.connection_context():
        return render_template("checkin/_status.html",
                               **checkins.status_context(user, plan, today))


def test_status_fragment_before_and_after_checking_in(app, client_user, plan, today):
    html = render_status(app, client_user, plan, today)
    assert html.strip().startswith('<section id="checkin-status"')
    assert html.count('id="checkin-status"') == 1
    assert ">How are you today? Check in</a>" in html and 'href="/checkin"' in html
    with database.connection_context():
        checkins.save_checkin(client_user, today, back_pain=3, leg_pain=4)
    html = render_status(app, client_user, plan, today)
    assert "Today: leg 4, back 3" in html and ">Edit</a>" in html
    assert "Check in</a>" not in html and "paused" not in html


def test_status_fragment_shows_open_pauses_with_the_resume_form(app, paused_plan, client_user,
                                                                today):
    html = render_status(app, client_user, paused_plan, today)
    assert "Self-care is paused" in html and "Professional sessions are paused" in html
    assert "Warning sign reported: a fever with back pain." in html
    assert html.count('action="/checkin/resume"') == 2
    assert html.count('name="csrf_token"') == 2
