"""The login rate limits: per account (email, case-insensitive; counted in the database, so
every worker shares it) and per client address (Flask-Limiter); forms take only form bodies."""
import re
import secrets
from datetime import timedelta

import pytest

from tests.conftest import CSRF_RE, PASSWORD, csrf_token, make_user
from tracker import create_app
from tracker.store import accounts
from tracker.store.db import database
from tracker.store.models import LoginThrottle, PasswordReset, User, create_tables, utcnow
from tracker.web import security


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limited.db'}",
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "5 per 15 minutes",
        "REGISTER_LIMIT_PER_ADDRESS": "3 per hour",
    })
    create_tables()
    with database.connection_context():
        make_user(email="client@example.org")
        make_user(email="other@example.org", name="Olive Other")
    return app


def login(client, email, password="wrong password", address="10.0.0.1", **headers):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_defaults_are_generous_and_on(app):
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "20 per 15 minutes"
    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "100 per 15 minutes"


def test_storage_is_redis_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_REDIS_URL", "redis://127.0.0.1:6399/0")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6399/0"


def test_per_account_limit_gives_a_plain_429_with_retry_after(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert login(client, "client@example.org").status_code == 422
    response = login(client, "client@example.org")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html
    minutes = re.search(r"Try again in (\d+) minutes?\.", html)
    assert minutes and 1 <= int(minutes.group(1)) <= 15
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert int(minutes.group(1)) == -(-retry_after // 60)
    assert response.headers["X-Frame-Options"] == "DENY"  # security headers on it too
    # the right password is refused too while the limit lasts
    assert login(client, "client@example.org", PASSWORD).status_code == 429


def test_per_account_limit_ignores_case_and_spaces(limited_app):
    client = limited_app.test_client()
    login(client, "client@example.org", address="10.0.0.1")
    login(client, "CLIENT@Example.org", address="10.0.0.2")
    login(client, "  Client@EXAMPLE.ORG ", address="10.0.0.3")
    assert login(client, "client@example.ORG", address="10.0.0.4").status_code == 429


def test_per_account_limit_does_not_block_another_account(limited_app):
    client = limited_app.test_client()
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        login(client, "client@example.org", address=address)
    assert login(client, "client@example.org", address="10.0.0.9").status_code == 429
    response = login(client, "other@example.org", PASSWORD, address="10.0.0.9")
    assert response.status_code == 302


def test_per_address_limit_across_accounts(limited_app):
    client = limited_app.test_client()
    for n in range(5):
        assert login(client, f"guess{n}@example.org").status_code == 422
    assert login(client, "other@example.org", PASSWORD).status_code == 429
    # another address is unaffected
    assert login(client, "other@example.org", PASSWORD, address="10.0.0.2").status_code == 302


def test_get_login_is_never_limited(limited_app):
    client = limited_app.test_client()
    for _ in range(4):
        login(client, "client@example.org")
    for _ in range(20):
        response = client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert response.status_code == 200


def test_htmx_requests_get_the_same_status(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        login(client, "client@example.org")
    response = login(client, "client@example.org", **{"HX-Request": "true"})
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_limits_off_when_disabled(tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'off.db'}",
        "RATELIMIT_ENABLED": False,
        "LOGIN_LIMIT_PER_ACCOUNT": "1 per 15 minutes",
    })
    create_tables()
    client = app.test_client()
    for _ in range(5):
        assert login(client, "client@example.org").status_code == 422


def test_default_limits_allow_a_busy_test_run(app, client):
    """Many logins from one address (the browser tests' live server) stay under the limit."""
    with database.connection_context():
        make_user(email="busy@example.org")
    for _ in range(20):
        response = login(client, "busy@example.org", PASSWORD, address="127.0.0.1")
        assert response.status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    for n in range(80):  # 100 in all
        assert login(client, f"x{n}@example.org", address="127.0.0.1").status_code == 422
    assert login(client, "nobody@example.org", address="127.0.0.1").status_code == 429


def register(client, email, address="10.0.0.9"):
    token = csrf_token(client, "/register")
    return client.post("/register", data={
        "email": email, "name": "Rita", "password": PASSWORD, "timezone": "UTC",
        "role": "client", "csrf_token": token,
    }, environ_base={"REMOTE_ADDR": address})


def test_creating_accounts_is_limited_per_address(limited_app):
    """Registering says when an email has an account: the limit slows anyone probing."""
    with limited_app.test_client() as client:
        assert register(client, "client@example.org").status_code == 422  # taken
        assert register(client, "other@example.org").status_code == 422
        assert register(client, "new@example.org").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
        response = register(client, "probe@example.org")
        assert response.status_code == 429
        assert "Retry-After" in response.headers
        assert client.get("/register").status_code == 200  # showing the form is never limited
        # An invitation link shares the budget.
        token = csrf_token(client, "/register")
        joined = client.post("/join/not-a-real-token", data={"csrf_token": token},
                             environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert joined.status_code == 429
        assert register(client, "elsewhere@example.org", address="10.0.0.10").status_code == 302


# --- the per-account limit is kept in the database (issue 17, finding 1) -----------------


def test_a_lockout_holds_in_another_worker(limited_app, tmp_path):
    """Two apps on one database, as two gunicorn workers: failures counted by one lock the
    account in the other, where the right password is then refused too."""
    one = limited_app.test_client()
    for _ in range(3):
        assert login(one, "client@example.org").status_code == 422
    other_worker = create_app({
        "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'limited.db'}",
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "5 per 15 minutes",
    })
    response = login(other_worker.test_client(), "client@example.org", PASSWORD,
                     address="10.0.0.7")
    assert response.status_code == 429
    assert "Too many wrong passwords have been tried for this email" in response.get_data(
        as_text=True)
    with database.connection_context():
        assert LoginThrottle.select(LoginThrottle.attempts).scalar() == 3  # not counted


def test_the_lockout_ends_after_the_period(limited_app, monkeypatch):
    client = limited_app.test_client()
    start = utcnow()
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert login(client, "client@example.org", address=address).status_code == 422
    response = login(client, "client@example.org", PASSWORD, address="10.0.0.4")
    assert response.status_code == 429
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    monkeypatch.setattr(security, "utcnow", lambda: start + timedelta(minutes=14, seconds=30))
    assert login(client, "client@example.org", PASSWORD, address="10.0.0.4").status_code == 429
    monkeypatch.setattr(security, "utcnow", lambda: start + timedelta(minutes=15, seconds=5))
    assert login(client, "client@example.org", PASSWORD, address="10.0.0.4").status_code == 302


def test_a_success_before_the_lockout_starts_the_count_again(limited_app):
    client = limited_app.test_client()
    for address in ("10.0.0.1", "10.0.0.2"):
        assert login(client, "client@example.org", address=address).status_code == 422
    assert login(client, "client@example.org", PASSWORD, address="10.0.0.3").status_code == 302
    with database.connection_context():
        assert LoginThrottle.select().count() == 0
    other = limited_app.test_client()
    for address in ("10.0.0.4", "10.0.0.5", "10.0.0.6"):
        assert login(other, "client@example.org", address=address).status_code == 422
    assert login(other, "client@example.org", PASSWORD, address="10.0.0.7").status_code == 429


def test_an_unknown_email_is_locked_with_the_same_words(limited_app):
    client = limited_app.test_client()
    answers = {}
    for email in ("client@example.org", "nobody@example.org"):
        for n in range(3):
            assert login(client, email, address=f"10.0.{len(answers)}.{n}").status_code == 422
        response = login(client, email, address=f"10.0.{len(answers)}.9")
        assert response.status_code == 429
        # signed CSRF tokens carry a timestamp; everything else must be identical
        answers[email] = CSRF_RE.sub("TOKEN", response.get_data(as_text=True))
    assert answers["client@example.org"] == answers["nobody@example.org"]
    with database.connection_context():  # no typed address is stored in clear
        assert all("@" not in row.key for row in LoginThrottle.select())


def test_a_form_that_is_not_filled_in_checks_no_password_and_counts_nothing(limited_app):
    client = limited_app.test_client()
    for n in range(5):
        token = csrf_token(client)
        response = client.post("/login", data={"email": "client@example.org", "password": "",
                                               "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.0.1.{n}"})
        assert response.status_code == 422
    with database.connection_context():
        assert LoginThrottle.select().count() == 0


def test_a_new_password_from_a_reset_link_ends_the_lockout(limited_app):
    client = limited_app.test_client()
    for n in range(3):
        login(client, "client@example.org", address=f"10.0.2.{n}")
    assert login(client, "client@example.org", PASSWORD, address="10.0.2.9").status_code == 429
    token = secrets.token_urlsafe(32)
    with database.connection_context():
        user = User.get(User.email == "client@example.org")
        PasswordReset.create(user=user, token_hash=accounts.hash_token(token),
                             expires_at=utcnow() + accounts.RESET_VALID_FOR)
    response = client.post(f"/reset-password/{token}", data={
        "new": "a brand new password", "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": "10.0.2.9"})
    assert response.status_code == 302
    assert login(client, "client@example.org", "a brand new password",
                 address="10.0.2.9").status_code == 302


def test_limit_is_configurable_and_checked_at_start(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                      "LOGIN_LIMIT_PER_ACCOUNT": "7 per 2 hours"})
    with app.app_context():
        assert security.login_limit_per_account() == (7, timedelta(hours=2))
    with pytest.raises(ValueError, match="couldn't parse rate limit string"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
                    "LOGIN_LIMIT_PER_ACCOUNT": "twenty a while"})


# --- one source of truth: forms only (issue 17, finding 2) ------------------------------


def test_a_json_login_is_refused_even_with_the_csrf_header(limited_app):
    """The bypass: a JSON body with the CSRF header went past the per-account limit,
    which read the email from request.form. Forms take form bodies only now."""
    client = limited_app.test_client()
    for n in range(3):
        assert login(client, "client@example.org", address=f"10.0.3.{n}").status_code == 422
    assert login(client, "client@example.org", PASSWORD, address="10.0.3.9").status_code == 429
    token = csrf_token(client)
    response = client.post("/login", json={"email": "client@example.org", "password": PASSWORD,
                                           "csrf_token": token},
                           headers={"X-CSRFToken": token},
                           environ_base={"REMOTE_ADDR": "10.0.3.10"})
    assert response.status_code == 415
    assert "This address takes a form" in response.get_data(as_text=True)
    assert client.get("/settings").status_code == 302  # not logged in


@pytest.mark.parametrize("content_type", [
    "application/json", "text/plain", "application/xml", "application/vnd.api+json",
])
def test_forms_take_only_form_bodies(app, content_type):
    """The right password in any other encoding logs nobody in (never an account unlocked
    by the encoding)."""
    with database.connection_context():
        make_user(email="json@example.org")
    client = app.test_client()
    token = csrf_token(client)
    body = (f'{{"email": "json@example.org", "password": "{PASSWORD}"}}'
            if "json" in content_type else f"email=json@example.org&password={PASSWORD}")
    for path in ("/login", "/register", "/forgot-password"):
        response = client.post(path, data=body, content_type=content_type,
                               headers={"X-CSRFToken": token})
        assert response.status_code == 415, path
    assert client.get("/settings").status_code == 302


def test_form_encodings_and_bodiless_posts_still_work(app):
    with database.connection_context():
        make_user(email="form@example.org")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", data={"email": "form@example.org", "password": PASSWORD,
                                           "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    # a logout with the token in a header and no body at all (as htmx may send it)
    token = csrf_token(client, "/home")
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302
    assert client.get("/settings").status_code == 302
