import re

from tests.conftest import make_user
from tracker.store.db import database


def test_index_sends_anonymous_visitors_to_login(client):
    assert client.get("/").location == "/login"


def test_home_greets_the_user_in_their_zone(app, client, auth):
    with database.connection_context():
        make_user(tz="America/New_York")
    auth.login()
    assert client.get("/").location == "/today"
    html = client.get("/home").get_data(as_text=True)
    assert "Hello, Casey Client" in html and "America/New York" in html


def test_every_page_has_the_phone_basics(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert "<title>Log in · Sciatica care plan</title>" in html
    assert '<main id="main"' in html
    assert 'rel="icon"' in html
    assert re.search(r"/static/vendor/htmx\.min\.[0-9a-f]{10}\.js", html)  # hashed name


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"couldn&#39;t find that page" in response.data


def test_static_files_are_served(client):
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/favicon.svg").status_code == 200
