"""Messages through the test client: both sides of a thread, htmx and plain posts, unread
counts, bad input, the rate limit, and a link that ends."""
import re

import pytest
from flask import render_template

from tests.conftest import PASSWORD, Auth, csrf_token, make_user, new_app
from tracker.store import messages
from tracker.store.db import database
from tracker.store.models import CareLink, Message, MessageRead, create_tables

HX = {"HX-Request": "true"}


@pytest.fixture
def pair(app):
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo Therapist", role="therapist")
        dana = make_user(email="d@example.org", name="Dana Client")
        link = CareLink.create(therapist=theo, client=dana)
    return {"theo": theo, "dana": dana, "link": link}


def login(client, email):
    assert Auth(client).login(email).status_code == 302
    return client


def post(client, url, body, headers=None):
    token = csrf_token(client, url)
    return client.post(url, data={"body": body, "csrf_token": token}, headers=headers or {})


def unread_badge(html: str) -> str | None:
    match = re.search(r'<span class="nav-count" aria-hidden="true">(\d+)</span>', html)
    return match.group(1) if match else None


def test_a_client_with_one_therapist_goes_straight_to_the_thread(pair, client):
    login(client, "d@example.org")
    response = client.get("/messages")
    assert response.status_code == 302
    assert response.location == f"/messages/{pair['theo'].id}"
    html = client.get(response.location).get_data(as_text=True)
    assert "<h1>Messages with Theo Therapist</h1>" in html
    assert "No messages yet." in html
    assert '<label for="body">Message</label>' in html
    assert ">Send</button>" in html


def test_a_client_with_two_therapists_gets_a_list_then_each_thread(pair, client, app):
    with app.app_context(), database.connection_context():
        mia = make_user(email="m@example.org", name="Mia Massage", role="therapist")
        link2 = CareLink.create(therapist=mia, client=pair["dana"])
        messages.send(link2, mia, "Hello from Mia")
    login(client, "d@example.org")
    response = client.get("/messages")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/messages/{mia.id}"' in html and f'href="/messages/{pair["theo"].id}"' in html
    assert "1 unread" in html
    thread = client.get(f"/messages/{mia.id}").get_data(as_text=True)
    assert "Hello from Mia" in thread and "← All messages" in thread


def test_a_client_without_a_therapist_is_told_how_to_get_one(app, client):
    with database.connection_context():
        make_user(email="solo@example.org", name="Solo")
    login(client, "solo@example.org")
    response = client.get("/messages")
    assert response.status_code == 200
    assert "You are not linked with a therapist yet" in response.get_data(as_text=True)


def test_plain_post_sends_and_redirects_then_the_other_side_reads_it(pair, client, app):
    login(client, "d@example.org")
    url = f"/messages/{pair['theo'].id}"
    response = post(client, url, "  My leg is better today.\nThanks!  ")
    assert response.status_code == 302
    assert response.location == f"{url}#message-form"
    with database.connection_context():
        [message] = Message.select()
        assert message.body == "My leg is better today.\nThanks!"
        assert message.sender_id == pair["dana"].id
    html = client.get(url).get_data(as_text=True)
    assert "My leg is better today." in html and ">You</span>" in html

    theo = login(app.test_client(), "t@example.org")
    thread_url = f"/clients/{pair['dana'].id}/messages"
    page = theo.get(thread_url).get_data(as_text=True)
    assert "<h1>Messages with Dana Client</h1>" in page
    assert "My leg is better today." in page
    assert '<p class="new-marker">New</p>' in page  # it was unread when opened
    with database.connection_context():
        assert messages.unread_in(pair["link"], pair["theo"]) == 0
    # Opened again: nothing new any more.
    assert "new-marker" not in theo.get(thread_url).get_data(as_text=True)


def test_htmx_post_answers_with_an_empty_box_and_the_thread_out_of_band(pair, client):
    login(client, "t@example.org")
    url = f"/clients/{pair['dana'].id}/messages"
    response = post(client, url, "See you on Tuesday", HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="message-form"')
    assert re.search(r'<textarea[^>]*name="body"[^>]*>\s*</textarea>', html)  # emptied
    assert 'id="thread"' in html and 'hx-swap-oob="true"' in html
    assert "See you on Tuesday" in html
    assert "<html" not in html


def test_htmx_poll_returns_only_the_thread_and_marks_read(pair, client, app):
    with app.app_context(), database.connection_context():
        messages.send(pair["link"], pair["theo"], "How is the stretch going?")
    login(client, "d@example.org")
    response = client.get(f"/messages/{pair['theo'].id}", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="thread"')
    assert 'hx-trigger="every 10s"' in html
    assert "How is the stretch going?" in html
    assert "hx-swap-oob" not in html
    assert "HX-Request" in response.headers["Vary"]
    with database.connection_context():
        assert messages.unread_in(pair["link"], pair["dana"]) == 0


def test_the_client_nav_shows_the_unread_count_and_it_resets_on_reading(pair, client, app):
    login(client, "d@example.org")
    html = client.get("/progress").get_data(as_text=True)
    assert unread_badge(html) is None
    assert ">Messages" in html
    with app.app_context(), database.connection_context():
        messages.send(pair["link"], pair["theo"], "One")
        messages.send(pair["link"], pair["theo"], "Two")
    html = client.get("/progress").get_data(as_text=True)
    assert unread_badge(html) == "2"
    # Read as "Messages, 2 unread": the words inline right after the label.
    assert ('<span class="nav-label">Messages<span class="nav-badge"' in html
            and '<span class="sr-inline">, 2 unread</span>' in html)
    # The badge polls its own URL.
    badge = client.get("/messages/unread", headers=HX)
    assert badge.status_code == 200
    assert unread_badge(badge.get_data(as_text=True)) == "2"
    assert client.get("/messages/unread").status_code == 302  # a plain visit: the messages
    # Reading resets it, on the thread page itself too.
    html = client.get(f"/messages/{pair['theo'].id}").get_data(as_text=True)
    assert unread_badge(html) is None
    assert unread_badge(client.get("/messages/unread", headers=HX).get_data(as_text=True)) is None


def test_the_therapist_sees_other_clients_unread_on_the_thread_page(pair, client, app):
    with app.app_context(), database.connection_context():
        eve = make_user(email="e@example.org", name="Eve Other")
        link2 = CareLink.create(therapist=pair["theo"], client=eve)
        messages.send(link2, eve, "Question about the roller")
        messages.send(pair["link"], pair["dana"], "Hi")
    login(client, "t@example.org")
    html = client.get(f"/clients/{pair['dana'].id}/messages").get_data(as_text=True)
    assert "Unread from other clients" in html
    assert f'href="/clients/{eve.id}/messages">Eve Other: 1 unread</a>' in html


def test_the_client_page_panel_links_to_the_thread_with_the_unread_count(pair, app, client):
    with app.app_context(), database.connection_context():
        messages.send(pair["link"], pair["dana"], "Hi")
        messages.send(pair["link"], pair["dana"], "Again")
    login(client, "t@example.org")
    client.get("/clients")  # the session is the therapist's
    with app.test_request_context():
        from flask_login import login_user

        with database.connection_context():
            login_user(pair["theo"])
            html = render_template("clients/_messages_panel.html", client=pair["dana"])
            assert f'<a class="button messages-link" href="/clients/{pair["dana"].id}/messages">' \
                   '<span>Messages<span class="sr-inline">, 2 unread</span></span><span ' \
                   'class="count-badge" aria-hidden="true">2</span></a>' in html
            assert "Dana Client sent 2 messages you have not read." in html
            login_user(pair["dana"])  # a client: no panel
            assert render_template("clients/_messages_panel.html",
                                   client=pair["dana"]).strip() == ""


@pytest.mark.parametrize("body, error", [
    ("", "Write a message first."),
    ("   \n  ", "Write a message first."),
    ("x" * 2001, "A message can be at most 2,000 characters."),
    ("bell\x07", "Please remove control characters."),
    ("nul\x00", "Please remove control characters."),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_messages_are_refused_with_a_clear_error(pair, client, body, error, htmx):
    login(client, "d@example.org")
    url = f"/messages/{pair['theo'].id}"
    response = post(client, url, body, HX if htmx else None)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="body-error">{error}</p>' in html
    assert ("<html" in html) is not htmx
    with database.connection_context():
        assert Message.select().count() == 0


def test_a_message_of_exactly_the_limit_is_sent(pair, client):
    login(client, "d@example.org")
    assert post(client, f"/messages/{pair['theo'].id}", "y" * 2000).status_code == 302


def test_someone_elses_thread_is_404_and_the_wrong_role_403(pair, client, app):
    with database.connection_context():
        make_user(email="o@example.org", name="Other Client")
        make_user(email="t2@example.org", name="Tara", role="therapist")
    other = login(client, "o@example.org")
    assert other.get(f"/messages/{pair['theo'].id}").status_code == 404
    assert post(other, f"/messages/{pair['theo'].id}", "hi").status_code == 404
    assert other.get(f"/clients/{pair['dana'].id}/messages").status_code == 403
    tara = login(app.test_client(), "t2@example.org")
    assert tara.get(f"/clients/{pair['dana'].id}/messages").status_code == 404
    assert tara.get("/messages").status_code == 403
    assert tara.get(f"/messages/{pair['theo'].id}").status_code == 403
    anonymous = app.test_client()
    response = anonymous.get("/messages")
    assert response.status_code == 302 and response.location.startswith("/login")
    response = anonymous.get(f"/messages/{pair['theo'].id}", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_when_the_client_ends_the_link_the_thread_is_gone(pair, client, app):
    with app.app_context(), database.connection_context():
        messages.send(pair["link"], pair["theo"], "Hello")
        messages.send(pair["link"], pair["dana"], "Hi back")
    login(client, "d@example.org")
    token = csrf_token(client, "/settings")
    response = client.post(f"/settings/therapists/{pair['link'].id}/end",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "your messages with them are deleted" in response.get_data(as_text=True)
    with database.connection_context():
        assert Message.select().count() == 0 and MessageRead.select().count() == 0
    assert client.get(f"/messages/{pair['theo'].id}").status_code == 404
    assert post(client, f"/messages/{pair['theo'].id}", "still there?").status_code == 404


@pytest.fixture
def limited_app(tmp_path):
    app = new_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'limited.db'}",
                   "MESSAGE_LIMIT_PER_USER": "3 per minute"})
    create_tables()
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        dana = make_user(email="d@example.org", name="Dana")
        eve = make_user(email="e@example.org", name="Eve")
        CareLink.create(therapist=theo, client=dana)
        CareLink.create(therapist=theo, client=eve)
    return app, theo, dana, eve


@pytest.mark.parametrize("htmx", [False, True])
def test_sending_is_rate_limited_per_person(limited_app, htmx):
    app, theo, dana, eve = limited_app
    client = login(app.test_client(), "t@example.org")
    headers = HX if htmx else None
    assert post(client, f"/clients/{dana.id}/messages", "1", headers).status_code in (200, 302)
    assert post(client, f"/clients/{dana.id}/messages", "2", headers).status_code in (200, 302)
    # One budget for every thread.
    assert post(client, f"/clients/{eve.id}/messages", "3", headers).status_code in (200, 302)
    response = post(client, f"/clients/{eve.id}/messages", "4 kept", headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 61  # a minute's window (rounded up)
    assert "You have sent a lot of messages in a short time." in html
    assert "4 kept</textarea>" in html  # the text is not lost
    assert ("<html" in html) is not htmx
    with database.connection_context():
        assert Message.select().count() == 3
    # Over the limit on a thread that isn't theirs: the reason, on a page of its own.
    response = post(client, "/clients/99999/messages", "5", headers)
    assert response.status_code == 429
    assert "You have sent a lot of messages in a short time." in response.get_data(as_text=True)
    # Reading and polling are not limited, and another person has their own budget.
    assert client.get(f"/clients/{eve.id}/messages").status_code == 200
    dana_client = login(app.test_client(), "d@example.org")
    assert post(dana_client, f"/messages/{theo.id}", "mine").status_code == 302
    assert PASSWORD
