"""The login rate limit: per account (email, case-insensitive) and per client address."""
import re

import pytest

from tests.conftest import PASSWORD, csrf_token, make_user
from tracker import create_app
from tracker.store.db import database
from tracker.store.models import create_tables


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
