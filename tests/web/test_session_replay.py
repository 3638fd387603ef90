"""A copied session cookie, replayed after the sign-in it belonged to has ended, is refused:
after logout, a password change (on that device or another), "Sign out everywhere", a
password reset, and account deletion (also once a new account has taken the old one's id).

Each replay is tried three ways, with exact outcomes: a page (302 to the login page), an
htmx request (204 with HX-Redirect) and a state change carrying the session's own CSRF
token (302 to the login page, nothing done).
"""
import secrets

import pytest

from tests.conftest import PASSWORD, Auth, csrf_token, make_user
from tracker.store import accounts
from tracker.store.db import database
from tracker.store.models import CheckIn, LoginSession, PasswordReset, User, utcnow

NEW_PASSWORD = "a different password"


@pytest.fixture
def user(app):
    with database.connection_context():
        return make_user()


def signed_in(app, email="client@example.org", password=PASSWORD):
    device = app.test_client()
    assert Auth(device).login(email, password).status_code == 302
    return device


def copy_of(app, device):
    """A thief's client holding a copy of ``device``'s session cookie, and the CSRF token
    that session carries (read while the copy still works)."""
    thief = app.test_client()
    thief.set_cookie("session", device.get_cookie("session").value)
    assert thief.get("/settings").status_code == 200  # the copy works while signed in
    return thief, csrf_token(thief, "/checkin")


def assert_refused(thief, token):
    page = thief.get("/settings")
    assert (page.status_code, page.location) == (302, "/login?next=/settings")
    fragment = thief.get("/today", headers={"HX-Request": "true"})
    assert (fragment.status_code, fragment.headers["HX-Redirect"]) == (
        204, "/login?next=/today")
    with database.connection_context():
        before = CheckIn.select().count()
    change = thief.post("/checkin", data={"back_pain": "3", "leg_pain": "4",
                                          "anything_new": "no", "csrf_token": token})
    assert (change.status_code, change.location) == (302, "/login")
    with database.connection_context():
        assert CheckIn.select().count() == before


def live_sign_ins() -> int:
    with database.connection_context():
        return LoginSession.select().where(LoginSession.revoked_at.is_null()).count()


def test_after_logout(app, user):
    device = signed_in(app)
    thief, token = copy_of(app, device)
    assert Auth(device).logout().status_code == 302
    assert_refused(thief, token)
    assert live_sign_ins() == 0


def test_after_a_password_change_on_another_device(app, user):
    device, laptop = signed_in(app), signed_in(app)
    thief, token = copy_of(app, device)
    response = laptop.post("/account/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "csrf_token": csrf_token(laptop, "/account/password")})
    assert response.status_code == 302
    assert_refused(thief, token)
    assert device.get("/settings").status_code == 302
    assert laptop.get("/settings").status_code == 200  # the device that changed it stays in


def test_after_a_password_change_on_the_copied_device(app, user):
    """The device that changes the password gets a new sign-in: a copy of its old cookie,
    which may be why the password is being changed, is dead too."""
    device = signed_in(app)
    thief, token = copy_of(app, device)
    response = device.post("/account/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "csrf_token": csrf_token(device, "/account/password")})
    assert response.status_code == 302
    assert device.get("/settings").status_code == 200
    assert_refused(thief, token)
    assert live_sign_ins() == 1


def test_after_sign_out_everywhere(app, user):
    device, laptop = signed_in(app), signed_in(app)
    thief, token = copy_of(app, device)
    response = laptop.post("/settings/devices/sign-out-everywhere",
                           data={"csrf_token": csrf_token(laptop, "/settings")})
    assert (response.status_code, response.location) == (302, "/login")
    assert_refused(thief, token)
    assert live_sign_ins() == 0


def test_after_signing_that_device_out_from_another(app, user):
    device, laptop = signed_in(app), signed_in(app)
    thief, token = copy_of(app, device)
    with database.connection_context():
        first = LoginSession.select().order_by(LoginSession.id).first()
    response = laptop.post(f"/settings/devices/{first.id}/sign-out",
                           data={"csrf_token": csrf_token(laptop, "/settings")})
    assert response.status_code == 302
    assert_refused(thief, token)


def test_after_a_password_reset(app, user):
    device = signed_in(app)
    thief, token = copy_of(app, device)
    reset = secrets.token_urlsafe(32)
    with database.connection_context():
        PasswordReset.create(user=user, token_hash=accounts.hash_token(reset),
                             expires_at=utcnow() + accounts.RESET_VALID_FOR)
    other = app.test_client()
    response = other.post(f"/reset-password/{reset}", data={
        "new": NEW_PASSWORD, "csrf_token": csrf_token(other)})
    assert response.status_code == 302
    assert_refused(thief, token)


def test_after_account_deletion_even_when_a_new_account_takes_its_id(app, user):
    device = signed_in(app)
    thief, token = copy_of(app, device)
    response = device.post("/settings/data/delete", data={
        "password": PASSWORD, "confirm": "y", "csrf_token": csrf_token(device, "/settings/data")})
    assert (response.status_code, response.location) == (302, "/login")
    with database.connection_context():
        assert User.select().count() == 0
        newcomer = make_user("newcomer@example.org", "Nina Newcomer")
    assert_refused(thief, token)
    # the copy never becomes the newcomer, whatever id the database gave her
    assert "Nina Newcomer" not in thief.get("/settings", follow_redirects=True).get_data(
        as_text=True)
    assert newcomer.id >= 1
