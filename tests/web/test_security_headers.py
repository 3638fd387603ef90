"""Security headers on every kind of response, HTTPS-only settings, session cookie flags."""
from flask import request

from tests.conftest import CSRF_RE, PASSWORD, make_user
from tracker import create_app
from tracker.store.db import database
from tracker.store.models import create_tables
from tracker.web.security import CONTENT_SECURITY_POLICY

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'"
)


def assert_security_headers(response):
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert "Strict-Transport-Security" not in headers


def test_the_policy_has_no_inline_script_or_style():
    assert CONTENT_SECURITY_POLICY == CSP
    assert "unsafe" not in CSP


def test_headers_on_a_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_security_headers(response)


def test_headers_on_an_htmx_fragment(app, client, auth):
    with database.connection_context():
        make_user()
    auth.login()
    response = client.get("/library?q=stretch", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.data  # really the fragment
    assert_security_headers(response)


def test_headers_on_json(client):
    response = client.get("/healthz")
    assert response.is_json
    assert_security_headers(response)


def test_headers_on_a_static_file(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert_security_headers(response)
    response.close()


def test_headers_on_an_error_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"find that page" in response.data
    assert_security_headers(response)


def test_headers_on_a_405(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert_security_headers(response)


def test_a_stricter_referrer_policy_set_by_a_view_is_kept(app):
    @app.get("/_strict")
    def strict():
        return "ok", 200, {"Referrer-Policy": "no-referrer"}

    response = app.test_client().get("/_strict")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite_lax(app, client, auth):
    with database.connection_context():
        make_user()
    response = auth.login()
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies
    assert "HttpOnly" in cookies[0]
    assert "SameSite=Lax" in cookies[0]
    assert "Secure" not in cookies[0]  # plain http in development and tests


def https_app(tmp_path, **extra):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'https.db'}",
                      "HTTPS": True, **extra})
    create_tables()
    return app


def test_https_adds_hsts_and_secure_cookies(tmp_path):
    app = https_app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    client = app.test_client()
    for path in ("/login", "/healthz", "/static/css/app.css", "/no-such-page"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
        assert response.headers["X-Frame-Options"] == "DENY"
        response.close()
    with app.app_context():
        from flask import url_for

        with app.test_request_context():
            assert url_for("auth.login", _external=True).startswith("https://")


def test_https_login_cookie_is_secure(tmp_path):
    app = https_app(tmp_path)
    client = app.test_client()
    with database.connection_context():
        make_user()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    match = CSRF_RE.search(page)
    token = match.group(1) or match.group(2)
    response = client.post(
        "/login",
        data={"email": "client@example.org", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it over https
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_HTTPS", "1")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" in response.headers


def test_no_hsts_without_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def _address_app(tmp_path, proxies: int):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
                      "PROXIES": proxies})
    app.add_url_rule("/_seen", "seen", lambda: f"{request.remote_addr} {request.scheme}")
    return app.test_client()


def test_behind_a_load_balancer_the_client_address_and_scheme_come_from_it(tmp_path):
    client = _address_app(tmp_path, proxies=1)
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    assert client.get("/_seen", headers=headers).data == b"203.0.113.7 https"


def test_forwarded_headers_are_ignored_unless_proxies_are_trusted(tmp_path):
    client = _address_app(tmp_path, proxies=0)
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    assert client.get("/_seen", headers=headers).data == b"127.0.0.1 http"
