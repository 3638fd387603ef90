"""Accounts over time (issue 15): sign-ins ended on the server, "Forgot password?", the
signed-in devices in settings, and changing the name, email and time zone."""
import email
import email.policy
import hashlib
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, Auth, csrf_token, make_user
from tracker import create_app
from tracker.domain import reminder_select
from tracker.store import accounts, checkoffs, plans, reminder_settings
from tracker.store.db import database
from tracker.store.models import (
    CheckOff,
    LoginSession,
    PasswordReset,
    ReminderPreference,
    User,
    create_tables,
    utcnow,
)

NEW_PASSWORD = "a brand new password"
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/120.0 "
           "Mobile Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 Version/17.0 "
          "Mobile/15E148 Safari/604.1")
WINDOWS = "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/121.0"
INVALID = "This link has expired or has already been used."


def text(response) -> str:
    return response.get_data(as_text=True)


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
            ] if folder.exists() else []


def reset_path(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://[^/\s]+(/reset-password/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def ask_for_reset(client, address="client@example.org", ip="10.0.0.1"):
    token = csrf_token(client, "/forgot-password")
    return client.post("/forgot-password", data={"email": address, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


def set_new_password(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"new": password, "csrf_token": csrf_token(client, "/login")})


@pytest.fixture
def user(app):
    with database.connection_context():
        return make_user()


def signed_in(app, address="client@example.org", password=PASSWORD, agent=None):
    """A new test client (a device) logged in through the form."""
    device = app.test_client()
    if agent:
        device.environ_base["HTTP_USER_AGENT"] = agent
    assert Auth(device).login(address, password).status_code == 302
    return device


def live_sessions() -> int:
    with database.connection_context():
        return LoginSession.select().where(LoginSession.revoked_at.is_null()).count()


# --- logging out ends the sign-in on the server -----------------------------------------


def test_a_copied_session_cookie_is_refused_after_logout(app, user):
    device = signed_in(app)
    thief = app.test_client()
    thief.set_cookie("session", device.get_cookie("session").value)
    assert thief.get("/settings").status_code == 200  # the copy works while signed in
    assert Auth(device).logout().status_code == 302
    assert thief.get("/settings").status_code == 302
    assert thief.get("/settings").location.startswith("/login")
    assert thief.get("/today", headers={"HX-Request": "true"}).status_code == 204
    assert live_sessions() == 0


def test_the_export_is_refused_to_a_copied_cookie_after_logout(app, user):
    device = signed_in(app)
    token = csrf_token(device, "/settings/data")
    thief = app.test_client()
    thief.set_cookie("session", device.get_cookie("session").value)
    Auth(device).logout()
    response = thief.post("/settings/data/export", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_session_without_a_sign_in_loads_nobody(app, user):
    device = app.test_client()
    with device.session_transaction() as session:
        session["_user_id"] = str(user.id)  # a bare user id: not a sign-in
    assert device.get("/settings").status_code == 302
    with device.session_transaction() as session:  # well-formed, but no sign-in has it
        session["_user_id"] = secrets.token_urlsafe(32)
    assert device.get("/settings").status_code == 302


def test_only_the_hash_of_a_sign_in_token_is_stored(app, user):
    device = signed_in(app, agent=ANDROID)
    with device.session_transaction() as session:
        token = session["_user_id"]
    with database.connection_context():
        row = LoginSession.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.device == "Chrome on Android"
    assert token not in {row.token_hash, row.device}


def test_change_password_ends_the_other_sign_ins_and_keeps_this_one(app, user):
    here, there = signed_in(app), signed_in(app)
    response = here.post("/account/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "csrf_token": csrf_token(here, "/account/password")})
    assert response.status_code == 302
    assert here.get("/settings").status_code == 200
    assert there.get("/settings").status_code == 302
    assert live_sessions() == 1


# --- "Forgot password?" -----------------------------------------------------------------


def test_the_login_page_links_to_forgot_password(client):
    html = text(client.get("/login"))
    assert '<a href="/forgot-password">Forgot password?</a>' in html


def test_the_reset_pages_have_the_contract_labels(app, client, user):
    html = text(client.get("/forgot-password"))
    assert re.search(r'<label for="email">Email</label>', html)
    ask_for_reset(client)
    html = text(client.get(reset_path(outbox(app)[0])))
    assert re.search(r'<label for="new">New password</label>', html)
    assert 'value="Set new password"' in html


def test_a_reset_journey(app, client, user):
    elsewhere = signed_in(app)
    response = ask_for_reset(client)
    assert response.status_code == 302 and response.location == "/forgot-password/sent"
    [message] = outbox(app)
    assert message["To"] == "Casey Client <client@example.org>"
    assert message["Subject"] == "Set a new password"
    path = reset_path(message)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    response = set_new_password(client, path)
    assert response.status_code == 302 and response.location == "/login"
    assert elsewhere.get("/settings").status_code == 302  # every sign-in ended
    assert Auth(client).login(password=PASSWORD).status_code == 422
    assert Auth(client).login(password=NEW_PASSWORD).status_code == 302
    assert client.get("/settings").status_code == 200


def test_the_answer_is_the_same_for_an_unknown_email(app, client, user):
    known, unknown = ask_for_reset(client), ask_for_reset(client, "nobody@example.org")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location) \
        == (302, "/forgot-password/sent")
    sent = client.get("/forgot-password/sent")
    assert sent.status_code == 200 and "If an account uses that email" in text(sent)
    assert len(outbox(app)) == 1
    with database.connection_context():
        assert PasswordReset.select().count() == 1


def test_only_the_hash_of_a_reset_token_is_stored(app, client, user):
    ask_for_reset(client)
    token = reset_path(outbox(app)[0]).rsplit("/", 1)[1]
    with database.connection_context():
        row = PasswordReset.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at - row.created_at == timedelta(hours=1)


def test_a_used_link_is_refused_with_a_plain_message(app, client, user):
    ask_for_reset(client)
    path = reset_path(outbox(app)[0])
    assert set_new_password(client, path).status_code == 302
    for response in (client.get(path), set_new_password(client, path, "yet another password")):
        assert response.status_code == 404
        assert INVALID in text(response)
    assert Auth(client).login(password=NEW_PASSWORD).status_code == 302


def test_a_new_password_uses_up_every_link_of_the_account(app, client, user):
    ask_for_reset(client)
    ask_for_reset(client)
    first, second = (reset_path(m) for m in outbox(app))
    assert set_new_password(client, second).status_code == 302
    assert client.get(first).status_code == 404


def test_an_expired_link_is_refused_with_a_plain_message(app, client, user):
    ask_for_reset(client)
    path = reset_path(outbox(app)[0])
    with database.connection_context():
        PasswordReset.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    response = client.get(path)
    assert response.status_code == 404 and INVALID in text(response)
    assert set_new_password(client, path).status_code == 404
    with database.connection_context():
        assert User.authenticate("client@example.org", PASSWORD)


@pytest.mark.parametrize("token", ["nonsense", "A" * 43, "A" * 44, "%00" * 43])
def test_an_unknown_or_malformed_link_is_refused(client, user, token):
    response = client.get(f"/reset-password/{token}")
    assert response.status_code == 404 and INVALID in text(response)


@pytest.mark.parametrize("password, message", [
    ("", "Please enter a password."),
    ("short", "Use 8 to 128 characters."),
    ("x" * 129, "Use 8 to 128 characters."),
])
def test_a_bad_new_password_keeps_the_link(app, client, user, password, message):
    ask_for_reset(client)
    path = reset_path(outbox(app)[0])
    response = set_new_password(client, path, password)
    assert response.status_code == 422 and message in text(response)
    assert set_new_password(client, path).status_code == 302


@pytest.mark.parametrize("address, message", [
    ("", "Please enter your email."),
    ("x" * 250 + "@a.org", "That email is too long."),
])
def test_a_bad_reset_request_is_a_form_error(app, client, address, message):
    response = ask_for_reset(client, address)
    assert response.status_code == 422 and message in text(response)
    assert outbox(app) == []


def test_requests_without_csrf_are_refused(app, client, user):
    assert client.post("/forgot-password", data={"email": "client@example.org"}).status_code == 400
    ask_for_reset(client)
    path = reset_path(outbox(app)[0])
    assert client.post(path, data={"new": NEW_PASSWORD}).status_code == 400


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limited.db'}",
        "INSTANCE_PATH": str(tmp_path / "limited-instance"),
        "RESET_LIMIT_PER_ACCOUNT": "2 per hour",
        "RESET_LIMIT_PER_ADDRESS": "3 per hour",
    })
    create_tables()
    with database.connection_context():
        make_user()
    yield app
    database.close()


def test_reset_requests_are_limited_per_email(limited_app):
    client = limited_app.test_client()
    for _ in range(2):
        assert ask_for_reset(client).status_code == 302
    response = ask_for_reset(client, "Client@Example.org ", ip="10.0.0.2")
    assert response.status_code == 429
    assert "Too many attempts" in text(response)
    # an unknown email is limited alike: the limit tells nothing about who has an account
    for _ in range(2):
        assert ask_for_reset(client, "nobody@example.org", ip="10.0.0.3").status_code == 302
    assert ask_for_reset(client, "nobody@example.org", ip="10.0.0.4").status_code == 429
    assert len(outbox(limited_app)) == 2


def test_reset_requests_are_limited_per_address(limited_app):
    client = limited_app.test_client()
    for n in range(3):
        assert ask_for_reset(client, f"someone{n}@example.org").status_code == 302
    assert ask_for_reset(client, "someone9@example.org").status_code == 429
    assert ask_for_reset(client, "someone9@example.org", ip="10.9.9.9").status_code == 302
    assert client.get("/forgot-password").status_code == 200  # the page itself is not limited


# --- the signed-in devices --------------------------------------------------------------


def devices_ids() -> list[int]:
    with database.connection_context():
        return [s.id for s in LoginSession.select().where(LoginSession.revoked_at.is_null())
                .order_by(LoginSession.id)]


def sign_out(device, session_id):
    return device.post(f"/settings/devices/{session_id}/sign-out",
                       data={"csrf_token": csrf_token(device, "/settings")})


def test_settings_lists_the_signed_in_devices(app, user):
    phone, laptop = signed_in(app, agent=IPHONE), signed_in(app, agent=WINDOWS)
    html = text(laptop.get("/settings"))
    assert "Signed-in devices" in html
    assert "Safari on iPhone" in html and "Firefox on Windows" in html
    assert html.count(">Sign out</button>") == 2
    assert html.count("This device") == 1
    assert "<summary>Sign out everywhere</summary>" in html
    assert 'href="/settings/account">Name, email and time zone</a>' in html
    assert phone.get("/settings").status_code == 200


def test_sign_out_one_other_device(app, user):
    phone, laptop = signed_in(app), signed_in(app)
    phone_id, laptop_id = devices_ids()
    response = sign_out(laptop, phone_id)
    assert response.status_code == 302 and response.location == "/settings#devices"
    assert phone.get("/settings").status_code == 302
    assert laptop.get("/settings").status_code == 200
    assert devices_ids() == [laptop_id]


def test_sign_out_this_device(app, user):
    phone, laptop = signed_in(app), signed_in(app)
    _, laptop_id = devices_ids()
    response = sign_out(laptop, laptop_id)
    assert response.status_code == 302 and response.location == "/login"
    assert laptop.get("/settings").status_code == 302
    assert phone.get("/settings").status_code == 200


def test_sign_out_everywhere(app, user):
    phone, laptop = signed_in(app), signed_in(app)
    response = laptop.post("/settings/devices/sign-out-everywhere",
                           data={"csrf_token": csrf_token(laptop, "/settings")})
    assert response.status_code == 302 and response.location == "/login"
    assert phone.get("/settings").status_code == 302
    assert laptop.get("/settings").status_code == 302
    assert devices_ids() == []


def test_nobody_signs_out_someone_elses_device(app, user):
    with database.connection_context():
        make_user("other@example.org", "Olive Other")
    mine, theirs = signed_in(app), signed_in(app, "other@example.org")
    my_id, their_id = devices_ids()
    assert sign_out(mine, their_id).status_code == 404
    assert sign_out(mine, 9999).status_code == 404
    assert theirs.get("/settings").status_code == 200
    assert sign_out(mine, my_id).status_code == 302  # its own: fine
    assert sign_out(theirs, my_id).status_code == 404  # already ended


@pytest.mark.parametrize("path", ["/settings/devices/1/sign-out",
                                  "/settings/devices/sign-out-everywhere"])
def test_device_sign_out_needs_a_post_with_csrf_and_a_login(app, client, user, path):
    assert client.post(path, data={"csrf_token": csrf_token(client)}).location.startswith(
        "/login")
    device = signed_in(app)
    assert device.get(path).status_code == 405
    assert device.post(path).status_code == 400
    assert device.get("/settings").status_code == 200


# --- name, email, time zone ---------------------------------------------------------------


def save_profile(device, **changes):
    data = {"name": "Casey Client", "email": "client@example.org", "timezone": "Europe/London",
            "password": "", **changes, "csrf_token": csrf_token(device, "/settings/account")}
    return device.post("/settings/account", data=data)


def stored(address="client@example.org") -> User:
    with database.connection_context():
        return User.by_email(address)


def test_the_account_page_shows_the_current_values(app, user):
    html = text(signed_in(app).get("/settings/account"))
    assert 'value="Casey Client"' in html and 'value="client@example.org"' in html
    assert '<option selected value="Europe/London">' in html
    for label in ("Name", "Email", "Time zone", "Current password (needed to change your email)"):
        assert f">{label}</label>" in html
    assert 'value="Save changes"' in html


def test_change_the_name(app, user):
    device = signed_in(app)
    response = save_profile(device, name="  Casey Jones ")
    assert response.status_code == 302 and response.location == "/settings"
    assert stored().name == "Casey Jones"
    assert outbox(app) == []


def test_changing_the_email_needs_the_password_and_tells_the_old_address(app, user):
    device = signed_in(app)
    for password in ("", "not my password"):
        response = save_profile(device, email="casey@example.net", password=password)
        assert response.status_code == 422
        assert "To change your email, enter your current password." in text(response)
    assert stored() is not None
    response = save_profile(device, email="Casey@Example.net", password=PASSWORD)
    assert response.status_code == 302
    assert stored("casey@example.net").id == user.id
    [notice] = outbox(app)
    assert notice["To"] == "Casey Client <client@example.org>"
    assert notice["Subject"] == "Your email address was changed"
    assert "casey@example.net" in notice.get_body(("plain",)).get_content()
    assert Auth(app.test_client()).login("casey@example.net").status_code == 302


def test_an_email_in_use_is_a_clear_error(app, user):
    with database.connection_context():
        make_user("other@example.org", "Olive Other")
    device = signed_in(app)
    response = save_profile(device, email="OTHER@example.org", password=PASSWORD)
    assert response.status_code == 422
    assert "Another account already uses this email." in text(response)
    assert stored().id == user.id and outbox(app) == []


def test_an_email_taken_at_the_same_moment_is_a_clear_error(app, user, monkeypatch):
    """The unique index decides a race the look-up missed: still no 500."""
    with database.connection_context():
        make_user("other@example.org", "Olive Other")
    device = signed_in(app)
    monkeypatch.setattr(User, "by_email", classmethod(
        lambda cls, address: None if address == "other@example.org" else
        cls.get_or_none(cls.email == address)))
    response = save_profile(device, email="other@example.org", password=PASSWORD)
    assert response.status_code == 422
    assert "Another account already uses this email." in text(response)


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Please enter your name."),
    ({"name": "x" * 101}, "Please keep your name under 100 characters."),
    ({"name": "a\x00b"}, None),
    ({"email": "not an email", "password": PASSWORD},
     "Please enter a valid email address, like name@example.com."),
    ({"email": ""}, "Please enter your email."),
    ({"timezone": "Mars/Olympus"}, "Please pick a time zone from the list."),
])
def test_bad_profile_input_is_a_form_error(app, user, changes, message):
    response = save_profile(signed_in(app), **changes)
    assert response.status_code == 422
    if message:
        assert message in text(response)
    assert (stored().name, stored().timezone) == ("Casey Client", "Europe/London")


def test_the_account_page_needs_a_login_and_csrf(app, client, user):
    assert client.get("/settings/account").location.startswith("/login")
    device = signed_in(app)
    response = device.post("/settings/account", data={"name": "X", "email": "x@example.org",
                                                       "timezone": "UTC"})
    assert response.status_code == 400 and stored().name == "Casey Client"


def test_a_new_time_zone_moves_the_next_reminder(app, user):
    with database.connection_context():
        pref = reminder_settings.preference_for(user)
        pref.email = True  # a channel, so a reminder is due at all
        reminder_settings.reschedule(pref, user, utcnow())
        before = ReminderPreference.get_by_id(pref.id).next_fire_at
    assert save_profile(signed_in(app), timezone="America/New_York").status_code == 302
    with database.connection_context():
        pref = ReminderPreference.get_by_id(pref.id)
        fresh = User.get_by_id(user.id)
        expected = reminder_select.next_fire_at(
            reminder_settings.preferences_of(pref, "America/New_York"), pref.checked_until)
    assert fresh.timezone == "America/New_York"
    assert before is not None
    assert pref.next_fire_at == expected != before


def test_days_already_recorded_keep_their_dates_after_a_new_time_zone(app, user):
    spec = {"phases": [{"name": "Acute", "exit": {"kind": "manual"}, "items": [
        {"key": "s0", "name": "Stretch", "technique": "piriformis-stretch", "kind": "stretch",
         "cadence": {"kind": "every_n_days", "interval": 1, "weekdays": [],
                     "anchor": "calendar"},
         "dose": {"hold_seconds": 30, "repetitions": 3, "sets": None, "minutes": None,
                  "per_side": True}, "time_of_day": None, "note": ""}]}]}
    with database.connection_context():
        today = plans.local_today(user)
        plan = plans.create_plan(user, spec, today - timedelta(days=3), title="Test plan",
                                 created_by=user)
        checkoffs.set_done(plan, "s0", today - timedelta(days=1), True)
        checkoffs.set_done(plan, "s0", today, True)
    assert save_profile(signed_in(app), timezone="Pacific/Kiritimati").status_code == 302
    with database.connection_context():
        days = sorted(c.day for c in CheckOff.select())
    assert days == [today - timedelta(days=1), today]


def test_nothing_changed_says_so(app, user):
    device = signed_in(app)
    assert save_profile(device).status_code == 302
    assert "Nothing changed." in text(device.get("/settings"))


def test_store_sign_ins_are_seen_at_most_every_few_minutes(app, user):
    with database.connection_context():
        start = utcnow()
        token = accounts.start_session(user, "", now=start)
        assert accounts.user_for_session(token, start + timedelta(minutes=1)).id == user.id
        assert LoginSession.get().last_seen_at == start
        later = start + accounts.SEEN_EVERY
        accounts.user_for_session(token, later)
        assert LoginSession.get().last_seen_at == later
        assert accounts.end_session(token) is True
        assert accounts.user_for_session(token) is None
        assert accounts.end_session(token) is False


def test_the_reset_link_is_built_on_base_url_never_the_requests_host(app, client, user):
    """A forged Host header must not put an attacker's site in the emailed link."""
    app.config["WTF_CSRF_ENABLED"] = False  # the session cookie is not sent to evil.example
    response = client.post("/forgot-password", data={"email": "client@example.org"},
                           headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 302
    body = outbox(app)[0].get_body(("plain",)).get_content()
    assert f"{app.config['BASE_URL']}/reset-password/" in body
    assert "evil.example" not in body
