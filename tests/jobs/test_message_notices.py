"""Notices of new messages (tracker.jobs.message_notices): by email, and by push on a
subscribed device; at most one an hour per thread and recipient, only while something is
unread, exactly once under concurrent workers, and never with the message's words.

Emails land in the app's outbox (no SMTP_URL). Jobs run at once in-process
(TRACKER_JOBS_IMMEDIATE=1, set by conftest), so a message sent through the store is noticed
before the call returns; the rules are tested with messages written at chosen moments.
"""
import email
import email.policy
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import csrf_token, sign_in_token
from tests.fake_push_service import FakePushService
from tracker.config import vapid_public_key
from tracker.jobs import message_notices, tasks
from tracker.store import messages
from tracker.store.db import database
from tracker.store.models import (
    CareLink,
    Message,
    MessageNotice,
    PushSubscription,
    User,
)

BASE_URL = "https://care.example.org"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET_WORDS = "my numbness is back"


def person(address, name, role="client") -> User:
    return User.create(email=address, name=name, role=role, timezone="Europe/London",
                       password_hash="not-used-here")


@contextmanager
def worker(app):
    with app.app_context(), database.connection_context():
        yield


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
            ] if folder.exists() else []


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def notice_rows() -> list[tuple]:
    with database.connection_context():
        return [(n.recipient_id, n.seq, n.channel, n.status)
                for n in MessageNotice.select().order_by(MessageNotice.id)]


@pytest.fixture
def world(app):
    app.config["BASE_URL"] = BASE_URL
    with database.connection_context():
        theo = person("theo@example.org", "Theo Therapist", "therapist")
        dana = person("dana@example.org", "Dana Client")
        link = CareLink.create(therapist=theo, client=dana)
    return SimpleNamespace(app=app, theo=theo, dana=dana, link=link)


def write(world, sender, at, body=SECRET_WORDS) -> Message:
    """A message written at ``at``, without its notice (the rules are tested on their own)."""
    with database.connection_context():
        return Message.create(link=world.link, sender=sender, body=body, created_at=at)


def notify(world, recipient, at) -> list[str]:
    with worker(world.app):
        return message_notices.notify(world.link.id, recipient.id, at)


def test_a_message_sent_through_the_form_emails_the_other_side_once_without_its_words(
        world, client):
    with client.session_transaction() as session:
        session["_user_id"] = sign_in_token(world.dana)
    url = f"/messages/{world.theo.id}"
    response = client.post(url, data={"body": SECRET_WORDS, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    [sent] = outbox(world.app)
    assert sent["To"] == "Theo Therapist <theo@example.org>"
    assert sent["Subject"] == "Dana Client sent you a message"
    text = plain(sent)
    assert "Dana Client sent you a message in your sciatica care plan app." in text
    assert f"Read the message: {BASE_URL}/clients/{world.dana.id}/messages" in text
    everything = sent.as_string()
    assert SECRET_WORDS not in everything and "numbness" not in everything
    assert notice_rows() == [(world.theo.id, 1, "email", "sent")]
    # A second message within the hour: no second email.
    response = client.post(url, data={"body": "and more", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert len(outbox(world.app)) == 1


def test_the_client_is_told_with_a_link_to_their_thread(world):
    write(world, world.theo, T0)
    assert notify(world, world.dana, T0) == ["sent"]
    [sent] = outbox(world.app)
    assert sent["Subject"] == "Theo Therapist sent you a message"
    assert f"Read the message: {BASE_URL}/messages/{world.theo.id}" in plain(sent)


def test_at_most_one_notice_an_hour_per_thread_while_unread(world):
    write(world, world.dana, T0)
    assert notify(world, world.theo, T0) == ["sent"]
    write(world, world.dana, T0 + timedelta(minutes=10))
    assert notify(world, world.theo, T0 + timedelta(minutes=10)) == []
    assert notify(world, world.theo, T0 + timedelta(minutes=59, seconds=59)) == []
    assert notify(world, world.theo, T0 + timedelta(hours=1)) == ["sent"]
    assert [m["Subject"] for m in outbox(world.app)] == [
        "Dana Client sent you a message", "Dana Client sent you 2 messages"]
    # Nothing newer than the last notice: no reminder of the same messages, ever.
    assert notify(world, world.theo, T0 + timedelta(hours=5)) == []
    assert notice_rows() == [(world.theo.id, 1, "email", "sent"),
                             (world.theo.id, 2, "email", "sent")]


def test_nothing_is_sent_once_the_thread_is_read(world):
    write(world, world.dana, T0)
    assert notify(world, world.theo, T0) == ["sent"]
    later = write(world, world.dana, T0 + timedelta(minutes=5))
    with worker(world.app):
        messages.mark_read(world.link, world.theo, T0 + timedelta(minutes=6))
        assert messages.last_read_id(world.link.id, world.theo.id) == later.id
    assert notify(world, world.theo, T0 + timedelta(hours=2)) == []
    assert len(outbox(world.app)) == 1


def test_ones_own_messages_are_never_noticed_to_oneself(world):
    write(world, world.dana, T0)
    assert notify(world, world.dana, T0) == []
    assert outbox(world.app) == []


def test_the_sweep_sends_a_notice_held_back_by_the_hour_once(world):
    write(world, world.dana, T0)
    assert notify(world, world.theo, T0) == ["sent"]
    write(world, world.dana, T0 + timedelta(minutes=20))
    with worker(world.app):
        assert message_notices.sweep(T0 + timedelta(minutes=30)) == []
        assert message_notices.sweep(T0 + timedelta(minutes=61)) == ["sent"]
        assert message_notices.sweep(T0 + timedelta(minutes=62)) == []
        assert message_notices.sweep(T0 + timedelta(hours=3)) == []
    assert len(outbox(world.app)) == 2


def test_the_sweep_sends_a_lost_enqueue_and_leaves_old_threads(world):
    write(world, world.dana, T0 - timedelta(days=3))  # older than the sweep's window
    with worker(world.app):
        assert message_notices.sweep(T0) == []
    write(world, world.theo, T0)  # its enqueue was lost
    with worker(world.app):
        assert message_notices.sweep(T0 + timedelta(minutes=1)) == ["sent"]
        assert message_notices.sweep(T0 + timedelta(minutes=2)) == []
    assert [m["To"] for m in outbox(world.app)] == ["Dana Client <dana@example.org>"]


def test_a_failed_email_is_retried_and_read_messages_are_not_sent_late(world, monkeypatch):
    write(world, world.dana, T0)

    def down(*_args):
        raise OSError("mail server down")

    with monkeypatch.context() as patched, worker(world.app):
        patched.setitem(message_notices.SENDERS, message_notices.EMAIL, down)
        assert message_notices.notify(world.link.id, world.theo.id, T0) == ["failed"]
    with worker(world.app):
        assert message_notices.sweep(T0 + timedelta(seconds=30)) == []  # not yet
        assert message_notices.sweep(T0 + timedelta(minutes=1)) == ["sent"]
    assert len(outbox(world.app)) == 1
    # Failed again, and read meanwhile: the retry sends nothing.
    write(world, world.dana, T0 + timedelta(hours=2))
    with monkeypatch.context() as patched, worker(world.app):
        patched.setitem(message_notices.SENDERS, message_notices.EMAIL, down)
        assert message_notices.notify(world.link.id, world.theo.id,
                                      T0 + timedelta(hours=2)) == ["failed"]
    with worker(world.app):
        messages.mark_read(world.link, world.theo)
        assert message_notices.sweep(T0 + timedelta(hours=2, minutes=1)) == ["sent"]
    assert len(outbox(world.app)) == 1
    assert notice_rows()[-1] == (world.theo.id, 2, "email", "sent")


def test_exactly_once_under_concurrent_workers(world):
    write(world, world.dana, T0)
    results, errors = [], []
    barrier = threading.Barrier(12)

    def run():
        try:
            with worker(world.app):
                barrier.wait()
                results.append(message_notices.notify(world.link.id, world.theo.id, T0))
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    threads += [threading.Thread(target=lambda: results.append(sweep_in(world, barrier)))
                for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r for outcome in results for r in outcome) == ["sent"]
    assert len(outbox(world.app)) == 1
    assert notice_rows() == [(world.theo.id, 1, "email", "sent")]


def sweep_in(world, barrier):
    with worker(world.app):
        barrier.wait()
        return message_notices.sweep(T0)


def test_an_ended_link_sends_nothing_and_leaves_nothing(world):
    write(world, world.dana, T0)
    with worker(world.app):
        assert messages.end_link(world.dana, world.link.id, T0) is not None
        assert message_notices.notify(world.link.id, world.theo.id, T0) == []
        assert message_notices.sweep(T0) == []
        assert Message.select().count() == 0
    assert outbox(world.app) == []


# --- web push --------------------------------------------------------------------------------


@pytest.fixture
def service(app, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakePushService(expected_subject=app.config["VAPID_SUBJECT"],
                           expected_public_key=vapid_public_key(app)).start()
    yield fake
    fake.stop()


def test_a_subscribed_recipient_also_gets_one_push_without_the_words(world, service):
    sub = service.subscribe()
    with database.connection_context():
        PushSubscription.create(user=world.dana, endpoint=sub["endpoint"],
                                p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"])
    write(world, world.theo, T0)
    assert sorted(notify(world, world.dana, T0)) == ["sent", "sent"]
    assert service.errors == []
    assert service.payloads == [{"title": "Theo Therapist sent you a message",
                                 "body": "Open the app to read it.",
                                 "url": f"/messages/{world.theo.id}",
                                 "tag": f"message-{world.link.id}"}]
    assert notify(world, world.dana, T0 + timedelta(minutes=1)) == []
    assert len(service.messages) == 1 and len(outbox(world.app)) == 1


# --- the jobs ---------------------------------------------------------------------------------


def test_the_jobs_run_at_once(world):
    assert tasks.huey.immediate
    with world.app.app_context():
        with database.connection_context():
            messages.send(world.link, world.dana, "hello")  # enqueued: sent at once
        assert len(outbox(world.app)) == 1
        assert tasks.message_notice(world.link.id, world.theo.id).get() == []  # within the hour
        assert tasks.message_notice_sweep.call_local() == []
        assert database.is_closed()
