"""Invites by email: "Send invite by email" emails the join link, once, and still shows it."""
import email
import email.policy
import re
from pathlib import Path

import pytest

from tests.conftest import TEST_CONFIG, Auth, csrf_token, make_user, new_app
from tracker.jobs import claims, invite_mail
from tracker.store import invites
from tracker.store.db import database
from tracker.store.models import Invite, InviteEmail, create_tables, utcnow


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
            ] if folder.exists() else []


@pytest.fixture
def theo(app):
    with database.connection_context():
        make_user(email="t@example.org", name="Theo Therapist", role="therapist")
    client = app.test_client()
    assert Auth(client).login("t@example.org").status_code == 302
    return client


def _send(client, **data):
    token = csrf_token(client, "/clients/invite")
    return client.post("/clients/invite", data={"csrf_token": token, **data})


def test_the_form_has_the_email_field_and_both_buttons(theo):
    html = theo.get("/clients/invite").get_data(as_text=True)
    assert 'type="email"' in html and "Client&#39;s email" in html
    assert 'value="Send invite by email"' in html and 'value="Create invite link"' in html


def test_send_invite_by_email_sends_the_link_and_still_shows_it(app, theo):
    response = _send(theo, note="Dana (Tuesdays)", email=" dana@example.net ",
                     send_email="Send invite by email")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The invite is on its way to dana@example.net." in html
    link = re.search(r'id="invite-link" type="text" value="([^"]+)"', html).group(1)
    assert "<svg" in html  # the QR code, as before
    [message] = outbox(app)
    assert message["To"] == "dana@example.net"
    assert message["Subject"] == "Theo Therapist invited you to your care plan"
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hello,\n\nTheo Therapist invites you")
    path = "/" + link.split("/", 3)[3]  # BASE_URL's host in the email, the request's here
    assert f"Open the invite: http://127.0.0.1:5000{path}\n" in body
    assert "Dana (Tuesdays)" not in message.as_string()  # the note is for the therapist only
    html_part = message.get_body(("html",)).get_content()
    assert f'<a href="http://127.0.0.1:5000{path}">Open the invite</a>' in html_part
    with database.connection_context():
        row = InviteEmail.get()
        assert (row.status, row.attempts, row.invite_id) == ("sent", 1, Invite.get().id)
    # The link in the email works.
    assert app.test_client().get(path).status_code == 200


def test_create_invite_link_sends_nothing_even_with_an_email(app, theo):
    response = _send(theo, email="dana@example.net", submit="Create invite link")
    assert response.status_code == 200
    assert "on its way" not in response.get_data(as_text=True)
    assert outbox(app) == []


@pytest.mark.parametrize("address, message", [
    ("", "Please enter the client&#39;s email address to send the invite to, or create a "
         "link to copy instead."),
    ("not-an-email", "Please enter a valid email address, like name@example.com."),
    ("a" * 250 + "@x.org", "That email is too long."),
    ("dana@exam\x00ple.net", "Please remove control characters."),
])
def test_bad_addresses_are_refused(app, theo, address, message):
    response = _send(theo, email=address, send_email="Send invite by email")
    assert response.status_code == 422
    assert re.search(r'id="email-error">' + re.escape(message), response.get_data(as_text=True))
    with database.connection_context():
        assert Invite.select().count() == 0
    assert outbox(app) == []


def test_a_job_run_twice_sends_once(app, theo):
    with app.app_context(), database.connection_context():
        therapist = make_user(email="t3@example.org", name="Tess", role="therapist")
        created, token = invites.create(therapist, "")
        now = utcnow()
        assert invite_mail.send(created.id, token, "x@example.net", now) == claims.SENT
        assert invite_mail.send(created.id, token, "x@example.net", now) is None
    assert len(outbox(app)) == 1


def test_a_cancelled_or_used_invite_is_not_emailed(app):
    with database.connection_context():
        therapist = make_user(email="t3@example.org", name="Tess", role="therapist")
        created, token = invites.create(therapist, "")
        invites.revoke(created)
        assert invite_mail.send(created.id, token, "x@example.net", utcnow()) is None
        assert invite_mail.send(10_000, token, "x@example.net", utcnow()) is None
    assert outbox(app) == []


def test_a_failed_send_is_retried_at_its_time(app, monkeypatch):
    with app.app_context(), database.connection_context():
        therapist = make_user(email="t3@example.org", name="Tess", role="therapist")
        created, token = invites.create(therapist, "")
        now = utcnow()

        def broken(message):
            raise OSError("mail server down")

        monkeypatch.setattr(invite_mail, "deliver", broken)
        assert invite_mail.send(created.id, token, "x@example.net", now) == claims.FAILED
        assert invite_mail.retry_at(created.id) == now + claims.RETRY_DELAYS[0]
        assert invite_mail.send(created.id, token, "x@example.net", now) is None  # not yet
        monkeypatch.undo()
        later = now + claims.RETRY_DELAYS[0]
        assert invite_mail.send(created.id, token, "x@example.net", later) == claims.SENT
        assert invite_mail.retry_at(created.id) is None
    assert len(outbox(app)) == 1


def test_sending_by_email_is_rate_limited_per_therapist(tmp_path):
    app = new_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
                   "INSTANCE_PATH": str(tmp_path / "instance"), **TEST_CONFIG,
                   "INVITE_EMAIL_LIMIT": "2 per hour"})
    create_tables()
    with database.connection_context():
        make_user(email="t@example.org", name="Theo", role="therapist")
    client = app.test_client()
    Auth(client).login("t@example.org")
    for n in range(2):
        assert _send(client, email=f"c{n}@example.net",
                     send_email="Send invite by email").status_code == 200
    response = _send(client, email="c3@example.net", send_email="Send invite by email")
    assert response.status_code == 429
    assert "You have sent many invites by email in the last hour." in \
        response.get_data(as_text=True)
    # Creating a link to copy is not limited.
    assert _send(client, submit="Create invite link").status_code == 200
    with database.connection_context():
        assert Invite.select().count() == 3
    assert len(outbox(app)) == 2
    database.close()


def test_an_invite_email_outlives_nothing_of_the_therapist(app):
    """Deleting the therapist's account deletes their invites and their emails' claims."""
    from tracker.store import privacy

    with app.app_context(), database.connection_context():
        therapist = make_user(email="t3@example.org", name="Tess", role="therapist")
        created, token = invites.create(therapist, "")
        invite_mail.send(created.id, token, "x@example.net", utcnow())
        privacy.delete_account(therapist)
        assert InviteEmail.select().count() == 0 and Invite.select().count() == 0
