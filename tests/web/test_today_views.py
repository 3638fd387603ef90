import re
import threading
from datetime import timedelta

import pytest
from markupsafe import escape

from tests.conftest import STRETCH_ITEM, Auth, csrf_token, make_user
from tracker.domain import phases
from tracker.store import checkoffs, plans
from tracker.store.db import database
from tracker.store.models import CheckOff, Plan, SessionBooking

STRETCH = STRETCH_ITEM
SESSION = {
    "key": "massage",
    "technique": "deep-tissue-massage",
    "name": "Deep tissue massage",
    "kind": "session",
    "cadence": {"kind": "every_n_days", "interval": 7, "weekdays": [], "anchor": "calendar"},
    "dose": {"hold_seconds": None, "repetitions": None, "sets": None, "minutes": 60,
             "per_side": False},
    "time_of_day": "10:00",
    "note": "",
}


def spec(stretches=3, session=True):
    items = [{**STRETCH, "key": f"s{i}", "name": f"Stretch {i}"} for i in range(stretches)]
    return {"phases": [{"name": "Acute", "exit": {"kind": "manual"},
                        "items": ([SESSION] if session else []) + items}]}


@pytest.fixture
def setup(app, auth):
    """A client, logged in, with a plan that started today: returns (plan, today)."""

    def make(stretches=3, session=True, email="client@example.org"):
        with database.connection_context():
            user = make_user(email=email)
            today = plans.local_today(user)
            plan = plans.create_plan(user, spec(stretches, session), today, title="Test plan",
                                     created_by=user)
        Auth(auth.client).login(email)
        return plan, today

    return make


def post(client, url, htmx=False, **data):
    token = csrf_token(client, "/today")
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data={**data, "csrf_token": token}, headers=headers)


def rows():
    with database.connection_context():
        return [(c.item_key, c.day, c.status, c.skip_reason) for c in CheckOff.select()]


# --- access ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    assert client.get("/today").location.startswith("/login")
    assert client.get("/today", headers={"HX-Request": "true"}).status_code == 204
    assert client.post("/today/2026-01-01/s0").status_code == 400  # no CSRF token


def test_clients_land_on_today(setup, client):
    setup()
    assert client.get("/").location == "/today"


def test_therapists_are_sent_home(app, client, auth):
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    assert client.get("/today").location == "/home"
    assert client.post("/today/2026-01-01/s0").status_code == 400  # no CSRF token


def test_without_a_plan(app, client, auth):
    with database.connection_context():
        make_user()
    auth.login()
    assert b"No plan yet" in client.get("/today").data


# --- the page ------------------------------------------------------------------------------


def test_today_lists_items_with_doses_in_routine_order(setup, client):
    setup()
    html = client.get("/today").get_data(as_text=True)
    assert html.index("With your therapist") < html.index("Stretches")
    assert "Stretch 0" in html and "hold 30 s, 3 times, each side" in html
    assert 'aria-pressed="false"' in html and "0 of 4" in html
    assert 'data-hold="30" data-reps="3" data-sides="2"' in html


# --- check off and undo ------------------------------------------------------------------


def test_plain_post_checks_off_and_redirects_back(setup, client):
    _, today = setup()
    response = post(client, f"/today/{today}/s0", done="1")
    assert response.status_code == 302
    assert response.location == f"/today?day={today}#item-s0"
    assert rows() == [("s0", today, "done", None)]
    assert 'aria-pressed="true"' in client.get("/today").get_data(as_text=True)


def test_htmx_post_answers_with_the_item_and_the_progress_out_of_band(setup, client):
    _, today = setup()
    response = post(client, f"/today/{today}/s1", htmx=True, done="1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<li id="item-s1"') and 'aria-pressed="true"' in html
    assert 'id="day-progress"' in html and 'hx-swap-oob="innerHTML"' in html
    assert "1 of 4" in html
    # A check-off swap stays small: the item and the progress, plus the item's figure
    # (issue 18: each under 4 KB; the item's own markup stays under 3 KB).
    figures_html = re.findall(r"<svg .*?</svg>", html, re.S)
    assert all(len(f.encode()) < 4 * 1024 for f in figures_html)
    assert len(re.sub(r"<svg .*?</svg>", "", html, flags=re.S).encode()) < 3 * 1024


def test_undo_removes_the_check_off(setup, client):
    _, today = setup()
    post(client, f"/today/{today}/s0", done="1")
    html = post(client, f"/today/{today}/s0", htmx=True, done="0").get_data(as_text=True)
    assert rows() == [] and 'aria-pressed="false"' in html


def test_a_double_tap_or_retry_leaves_one_record(setup, client):
    _, today = setup()
    for _ in range(3):
        post(client, f"/today/{today}/s0", done="1")
    assert rows() == [("s0", today, "done", None)]


def test_concurrent_check_offs_leave_one_record(setup):
    plan, today = setup()
    errors = []

    def tap():
        try:
            with database.connection_context():
                checkoffs.set_done(plan, "s0", today, True)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and rows() == [("s0", today, "done", None)]


# --- skip ------------------------------------------------------------------------------


def test_skip_with_a_reason(setup, client):
    _, today = setup()
    html = post(client, f"/today/{today}/s2/skip", htmx=True, reason="no_time").get_data(
        as_text=True
    )
    assert "Skipped: No time" in html and "0 of 3" in html
    assert rows() == [("s2", today, "skipped", "no_time")]
    # Checking it off after all replaces the skip.
    post(client, f"/today/{today}/s2", done="1")
    assert rows() == [("s2", today, "done", None)]


def test_a_skipped_item_offers_undo_skip_a_post_of_the_undone_state(setup, client):
    """The page: "Undo skip" is a form posting done=0 to the item (as undoing a check-off),
    so it works without JavaScript; the item's Skip is gone until then."""
    _, today = setup()
    post(client, f"/today/{today}/s2/skip", reason="no_time")
    html = client.get("/today").get_data(as_text=True)
    [item] = re.findall(r'<li id="item-s2".*?</li>', html, re.S)
    [undo] = re.findall(r'<form class="skipped-note".*?</form>', item, re.S)
    assert f'method="post" action="/today/{today}/s2"' in undo
    assert '<input type="hidden" name="done" value="0">' in undo
    assert ">Undo skip<" in undo and "Why are you skipping" not in item


def test_undo_skip_by_plain_post_redirects_back_to_the_item(setup, client):
    _, today = setup()
    post(client, f"/today/{today}/s2/skip", reason="too_painful")
    response = post(client, f"/today/{today}/s2", done="0")
    assert response.status_code == 302 and response.location == f"/today?day={today}#item-s2"
    assert rows() == []
    assert "Undo skip" not in client.get("/today").get_data(as_text=True)


def test_undo_skip_by_htmx_answers_with_the_item_due_again(setup, client):
    _, today = setup()
    post(client, f"/today/{today}/s2/skip", reason="no_time")
    response = post(client, f"/today/{today}/s2", htmx=True, done="0")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<li id="item-s2" '
                                                                    'class="item item-due"')
    assert "Undo skip" not in html and "Why are you skipping Stretch 2?" in html
    assert "0 of 4" in html and rows() == []


def test_undo_skip_of_another_clients_item_is_not_found(setup, client, app):
    _, today = setup()
    other = app.test_client()
    with database.connection_context():
        make_user(email="b@example.org")
    Auth(other).login("b@example.org")
    assert post(other, f"/today/{today}/s2", done="0").status_code == 404


@pytest.mark.parametrize("reason", ["", "bored", "x" * 1000])
def test_skip_needs_a_known_reason(setup, client, reason):
    _, today = setup()
    response = post(client, f"/today/{today}/s0/skip", reason=reason)
    assert response.status_code == 302 and rows() == []
    assert b"pick a reason" in client.get(response.location).data


# --- past days ---------------------------------------------------------------------------


def test_late_check_off_records_the_day_it_was_for(setup, client):
    plan, today = setup()
    with database.connection_context():
        Plan.update(start=today - timedelta(days=3)).where(Plan.id == plan.id).execute()
        plan.revisions.get().__class__.update(effective_from=today - timedelta(days=3)).execute()
    yesterday = today - timedelta(days=1)
    html = client.get(f"/today?day={yesterday}").get_data(as_text=True)
    assert "check off what you did that day" in html
    post(client, f"/today/{yesterday}/s0", done="1")
    with database.connection_context():
        record = CheckOff.get()
    assert record.day == yesterday and record.logged_at.date() >= yesterday


@pytest.mark.parametrize("offset", [8, 30, -1])
def test_days_outside_the_last_week_cannot_be_opened_or_changed(setup, client, offset):
    _, today = setup()
    day = today - timedelta(days=offset)
    response = client.get(f"/today?day={day}")
    assert response.status_code == 302 and response.location == "/today"
    assert post(client, f"/today/{day}/s0", done="1").status_code == 404
    assert rows() == []


@pytest.mark.parametrize(
    "url, data, status",
    [
        ("/today/not-a-date/s0", {"done": "1"}, 404),
        ("/today/{today}/no-such-item", {"done": "1"}, 404),
        ("/today/{today}/s0", {"done": "maybe"}, 400),
        ("/today/{today}/s0", {}, 400),
    ],
)
def test_bad_check_off_requests(setup, client, url, data, status):
    _, today = setup()
    assert post(client, url.format(today=today), **data).status_code == status
    assert rows() == []


def test_check_off_needs_csrf(setup, client):
    _, today = setup()
    assert client.post(f"/today/{today}/s0", data={"done": "1"}).status_code == 400
    assert rows() == []


def test_one_client_cannot_touch_another_clients_items(setup, app):
    plan_a, today = setup(email="a@example.org")
    other = app.test_client()
    with database.connection_context():
        make_user(email="b@example.org")
    Auth(other).login("b@example.org")
    assert post(other, f"/today/{today}/s0", done="1").status_code == 404
    assert rows() == []


# --- professional sessions -------------------------------------------------------------


def test_booking_moves_the_session(setup, client):
    plan, today = setup()
    tomorrow = today + timedelta(days=1)
    response = post(client, f"/today/{today}/massage/book", day=tomorrow.isoformat(), at="14:30")
    assert response.status_code == 302
    with database.connection_context():
        assert SessionBooking.select().count() == 1
        assert plans.day_view(plan, today).item("massage") is None
        moved = plans.day_view(plan, tomorrow).item("massage")
    assert moved.time.strftime("%H:%M") == "14:30" and moved.booked_from == today
    assert b"booked for" in client.get("/today").data


@pytest.mark.parametrize(
    ("data", "message", "day_value", "at_value"),
    [
        ({"day": "", "at": "14:30"}, "Please pick the date the session is booked for.",
         "", "14:30"),
        ({"day": "2020-01-01", "at": "09:15"}, phases.OUT_OF_WINDOW, "2020-01-01", "09:15"),
        ({"day": "nonsense"}, "“nonsense” isn't a date like 2026-12-01.", "nonsense", "10:00"),
        ({"day": "{tomorrow}", "at": "25:99"}, "“25:99” isn't a time like 07:30.",
         "{tomorrow}", "10:00"),
    ],
)
def test_a_bad_booking_shows_the_form_again_open_as_typed_with_why(
        setup, client, data, message, day_value, at_value):
    """422 and the day again, the item's booking form open with what was typed (a time
    that isn't one leaves the session's time in the field) and the reason, linked to the
    inputs; nothing is booked."""
    _, today = setup()
    tomorrow = (today + timedelta(days=1)).isoformat()
    data = {k: v.format(tomorrow=tomorrow) for k, v in data.items()}
    response = post(client, f"/today/{today}/massage/book", **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    with database.connection_context():
        assert SessionBooking.select().count() == 0
    [form] = re.findall(r'<details class="action-details book-details" open>.*?</details>',
                        page, re.S)
    assert "Booked for another time?" in form
    error = re.search(r'<p class="error" id="book-error-massage">([^<]*)</p>', form)[1]
    assert error == escape(message)
    assert f'name="day" required value="{day_value.format(tomorrow=tomorrow)}" ' \
           'aria-describedby="book-error-massage" aria-invalid="true"' in form
    assert f'name="at" value="{at_value}" aria-describedby="book-error-massage"' in form
    assert page.count(" open>") == 1


def test_only_sessions_can_be_booked(setup, client):
    _, today = setup()
    tomorrow = today + timedelta(days=1)
    assert post(client, f"/today/{today}/s0/book", day=str(tomorrow)).status_code == 404


def test_a_done_session_and_the_next_one_follows_the_cadence(setup, client):
    plan, today = setup()
    post(client, f"/today/{today}/massage", done="1")
    with database.connection_context():
        assert plans.day_view(plan, today).item("massage").done
        assert plans.day_view(plan, today + timedelta(days=7)).item("massage") is not None


# --- queries don't grow with items ---------------------------------------------------


def test_rendering_today_runs_the_same_number_of_queries_for_5_and_50_items(
    app, setup, client, auth, queries
):
    counts = []
    for n, email in ((5, "five@example.org"), (50, "fifty@example.org")):
        if counts:
            auth.logout()
        setup(stretches=n, session=False, email=email)
        counter = queries()
        assert client.get("/today").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_a_sessions_time_and_length_show_on_today_plan_and_progress(setup, client):
    """10:00 and 60 min, not only in the calendar feed and the email. (One test for the
    three pages: they read the same session, set up here.)"""
    setup()
    today_page = client.get("/today").get_data(as_text=True)
    [item] = re.findall(r'<li id="item-massage".*?</li>', today_page, re.S)
    assert '<span class="item-dose">60 min · 10:00</span>' in item
    plan_page = client.get("/plan").get_data(as_text=True)
    assert "Deep tissue massage, every 7 days at 10:00 for 60 min" in plan_page
    progress_page = client.get("/progress").get_data(as_text=True)
    assert "Deep tissue massage at 10:00 for 60 min" in progress_page
