import pytest

from tests.conftest import CSRF_RE, PASSWORD, csrf_token, make_user
from tracker.store.db import database
from tracker.store.models import User


def register(client, **overrides):
    data = {
        "email": "new@example.org",
        "name": "Nadia New",
        "password": "a good password",
        "timezone": "America/New_York",
        "role": "client",
        "csrf_token": csrf_token(client, "/register"),
        **overrides,
    }
    return client.post("/register", data=data)


# --- register -------------------------------------------------------------------------


def test_register_page_has_the_contract_labels(client):
    html = client.get("/register").get_data(as_text=True)
    for label in ("Email", "Name", "Password", "Time zone"):
        assert f">{label}</label>" in html
    assert 'value="Create account"' in html


@pytest.mark.production_hash
def test_register_creates_a_hashed_account_and_logs_in(client):
    response = register(client, email="New@Example.ORG")
    assert response.status_code == 302
    with database.connection_context():
        user = User.by_email("new@example.org")
    assert user.email == "new@example.org"
    assert user.timezone == "America/New_York" and user.role == "client"
    assert user.password_hash.startswith("scrypt:") and "a good password" not in user.password_hash
    assert client.get("/home").status_code == 200


def test_register_as_therapist(client):
    register(client, role="therapist")
    with database.connection_context():
        assert User.by_email("new@example.org").is_therapist


def test_email_is_unique_case_insensitively(app, client):
    with database.connection_context():
        make_user(email="taken@example.org")
    response = register(client, email="TAKEN@example.org")
    assert response.status_code == 422
    assert b"already exists" in response.data


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "", b"Please enter your email"),
        ("email", "not-an-email", b"valid email address"),
        ("email", "a" * 300 + "@example.org", b"too long"),
        ("name", "", b"Please enter your name"),
        ("name", "x" * 10_000, b"under 100 characters"),
        ("name", "bad\x00name", b"control characters"),
        ("password", "short", b"Use 8 to 128 characters"),
        ("password", "p" * 200, b"Use 8 to 128 characters"),
        ("timezone", "Mars/Olympus", b"pick a time zone"),
        ("timezone", "", b"pick a time zone"),
        ("role", "admin", b"choose client or therapist"),
    ],
)
def test_register_rejects_bad_input_with_a_clear_message(client, field, value, message):
    response = register(client, **{field: value})
    assert response.status_code == 422
    assert message in response.data
    with database.connection_context():
        assert User.select().count() == 0


def test_register_escapes_html_in_the_name(client):
    register(client, name="<script>alert(1)</script>")
    html = client.get("/home").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# --- log in / out ------------------------------------------------------------------


def test_login_page_has_the_contract_labels(client):
    html = client.get("/login").get_data(as_text=True)
    assert ">Email</label>" in html and ">Password</label>" in html
    assert 'value="Log in"' in html


def test_login_and_logout(app, client, auth):
    with database.connection_context():
        make_user()
    response = auth.login(email="CLIENT@example.org")
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/home").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/home").status_code == 302


def test_unknown_email_and_wrong_password_get_the_same_answer(app, auth):
    with database.connection_context():
        make_user()
    wrong_password = auth.login(password="not the password")
    unknown_email = auth.login(email="nobody@example.org")
    assert wrong_password.status_code == unknown_email.status_code == 422
    assert b"don&#39;t match an account" in wrong_password.data
    # Signed CSRF tokens carry a timestamp; everything else must be identical.
    def page(response, email):
        html = response.get_data(as_text=True).replace(email, "EMAIL")
        return CSRF_RE.sub("TOKEN", html)

    assert page(wrong_password, "client@example.org") == page(unknown_email, "nobody@example.org")


def test_login_follows_a_local_next_but_not_an_external_one(app, client):
    with database.connection_context():
        make_user()
    data = {"email": "client@example.org", "password": PASSWORD}
    response = client.post(
        "/login?next=/account/password", data={**data, "csrf_token": csrf_token(client)}
    )
    assert response.location == "/account/password"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    response = client.post(
        "/login?next=//evil.example/x", data={**data, "csrf_token": csrf_token(client)}
    )
    assert response.location == "/"


def test_login_rotates_the_session(app, client, auth):
    with database.connection_context():
        make_user()
    client.get("/login")
    before = client.get_cookie("session").value
    auth.login()
    assert client.get_cookie("session").value != before


@pytest.mark.parametrize("data", [{}, {"email": "x"}, {"password": "y"}])
def test_login_with_missing_fields_is_a_form_error(client, data):
    response = client.post("/login", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 422


# --- CSRF and anonymous access -------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/register", "/logout", "/account/password"])
def test_state_changes_without_csrf_token_are_refused_clearly(app, client, auth, path):
    with database.connection_context():
        make_user()
    auth.login()
    response = client.post(path, data={"email": "client@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert b"security token" in response.data


def test_htmx_requests_carry_the_token_in_a_header(app, client, auth):
    with database.connection_context():
        make_user()
    auth.login()
    token = csrf_token(client, "/home")
    response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/home", "/account/password"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_anonymous_htmx_requests_get_hx_redirect(client):
    response = client.get("/home", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


def test_logout_needs_post(app, client, auth):
    with database.connection_context():
        make_user()
    auth.login()
    assert client.get("/logout").status_code == 405


# --- change password ------------------------------------------------------------------


def change_password(client, current=PASSWORD, new="brand new secret", confirm=None):
    return client.post(
        "/account/password",
        data={
            "current": current,
            "new": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )


def test_change_password_logs_out_other_sessions(app, auth):
    with database.connection_context():
        make_user()
    other_device = app.test_client()
    type(auth)(other_device).login()
    auth.login()
    assert change_password(auth.client).status_code == 302
    assert auth.client.get("/home").status_code == 200
    assert other_device.get("/home").status_code == 302
    with database.connection_context():
        assert User.authenticate("client@example.org", "brand new secret")
        assert User.authenticate("client@example.org", PASSWORD) is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"current": "wrong password"}, b"not your current password"),
        ({"new": "short"}, b"Use 8 to 128 characters"),
        ({"confirm": "something else"}, b"two new passwords differ"),
    ],
)
def test_change_password_rejects_bad_input(app, auth, kwargs, message):
    with database.connection_context():
        make_user()
    auth.login()
    response = change_password(auth.client, **kwargs)
    assert response.status_code == 422 and message in response.data
    with database.connection_context():
        assert User.authenticate("client@example.org", PASSWORD)
