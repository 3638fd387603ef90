"""A request that was on its way before a login must not undo the login.

Sessions live in a signed cookie, so a response that sets the cookie overwrites the browser's
copy. An anonymous request still in flight when someone logs in (the service worker storing
/today, /plan and /checkin as it starts, say) used to answer with a cookie of its own:
Flask-Login's "basic" session protection marked the anonymous session "not fresh", a write.
Arriving after the login's answer, it put the anonymous session back, and the next page sent
the person to /login (seen in the browser tests as a login that landed on /login?next=...).
So an anonymous request that only bounces to the login page writes no cookie.
"""
from http.cookies import SimpleCookie

from tests.conftest import PASSWORD, csrf_token, make_user


def _session_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie(header)
        if "session" in cookie:
            return cookie["session"].value
    return None


def test_an_anonymous_request_with_a_session_writes_no_cookie(client):
    csrf_token(client, "/login")  # the login page: an anonymous session holding a CSRF token
    for path in ("/today", "/plan", "/checkin", "/clients", "/login?next=/today"):
        response = client.get(path)
        assert response.status_code in (200, 302), path
        assert _session_cookie(response) is None, path


def test_a_request_sent_before_the_login_does_not_undo_it(app, client):
    with app.app_context():
        make_user("late@example.org", role="client")
    token = csrf_token(client, "/login")
    stale = client.get_cookie("session").value  # what a request in flight still carries
    login = client.post("/login", data={"email": "late@example.org", "password": PASSWORD,
                                        "csrf_token": token})
    assert login.status_code == 302
    # The request that left before the login comes back now, with the old cookie.
    late = app.test_client()
    late.set_cookie("session", stale)
    assert _session_cookie(late.get("/today")) is None  # so the browser keeps the login
    assert client.get("/today").status_code == 200
