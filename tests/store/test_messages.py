"""Messages in the database (tracker.store.messages): threads, read markers, unread counts,
when a notice is due, ending a link, the export, account deletion and migration 9."""
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_user
from tests.store.test_migrations import db_url  # noqa: F401 (a fixture: a new database)
from tracker import create_app
from tracker.store import messages, privacy
from tracker.store.db import database
from tracker.store.migrations import LATEST, current_version, upgrade
from tracker.store.models import CareLink, Message, MessageNotice, MessageRead, User

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(app):
    """Theo and Mia (therapists) both look after Dana; Theo also after Eve. Jobs run in the
    app's context (a message is noticed as it is sent)."""
    with app.app_context(), database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        mia = make_user(email="m@example.org", name="Mia", role="therapist")
        dana = make_user(email="d@example.org", name="Dana")
        eve = make_user(email="e@example.org", name="Eve")
        links = {
            "theo-dana": CareLink.create(therapist=theo, client=dana),
            "mia-dana": CareLink.create(therapist=mia, client=dana),
            "theo-eve": CareLink.create(therapist=theo, client=eve),
        }
        yield {"theo": theo, "mia": mia, "dana": dana, "eve": eve, **links}


def test_a_thread_keeps_order_and_each_side_reads_its_own(world):
    w = world
    first = messages.send(w["theo-dana"], w["dana"], "Hello", T0)
    second = messages.send(w["theo-dana"], w["theo"], "Hi Dana", T0 + timedelta(minutes=1))
    third = messages.send(w["theo-dana"], w["dana"], "Thanks", T0 + timedelta(minutes=2))
    assert [m.id for m in messages.recent(w["theo-dana"])] == [first.id, second.id, third.id]
    assert [m.body for m in messages.recent(w["theo-dana"], limit=2)] == ["Hi Dana", "Thanks"]
    # Sending marks one's own side read up to there.
    assert messages.unread_in(w["theo-dana"], w["dana"]) == 0
    assert messages.unread_in(w["theo-dana"], w["theo"]) == 1  # Theo read up to his reply
    assert messages.mark_read(w["theo-dana"], w["theo"]) == 1
    assert messages.mark_read(w["theo-dana"], w["theo"]) == 0
    assert messages.unread_in(w["theo-dana"], w["theo"]) == 0
    assert MessageRead.select().count() == 2  # one marker per side


def test_unread_counts_per_thread_and_in_total(world):
    w = world
    messages.send(w["theo-dana"], w["theo"], "1")
    messages.send(w["theo-dana"], w["theo"], "2")
    messages.send(w["mia-dana"], w["mia"], "3")
    messages.send(w["theo-eve"], w["eve"], "4")
    assert messages.unread_by_link(w["dana"]) == {w["theo-dana"].id: 2, w["mia-dana"].id: 1}
    assert messages.unread_total(w["dana"]) == 3
    assert messages.unread_by_link(w["theo"]) == {w["theo-eve"].id: 1}
    assert messages.unread_total(w["mia"]) == 0
    messages.mark_read(w["theo-dana"], w["dana"])
    assert messages.unread_total(w["dana"]) == 1


def test_a_read_marker_never_moves_back(world):
    w = world
    a = messages.send(w["theo-dana"], w["theo"], "a")
    b = messages.send(w["theo-dana"], w["theo"], "b")
    messages.mark_read(w["theo-dana"], w["dana"])
    messages._read_up_to(w["theo-dana"].id, w["dana"].id, a.id, T0)
    assert messages.last_read_id(w["theo-dana"].id, w["dana"].id) == b.id


def test_threads_of_each_side(world):
    w = world
    assert {link.therapist.name for link in messages.threads_of(w["dana"])} == {"Theo", "Mia"}
    assert {link.client.name for link in messages.threads_of(w["theo"])} == {"Dana", "Eve"}


def test_nobody_else_and_no_ended_link_can_send(world):
    w = world
    with pytest.raises(messages.ThreadClosed, match="not one of this thread's two people"):
        messages.send(w["theo-dana"], w["eve"], "sneaky")
    assert messages.end_link(w["dana"], w["theo-dana"].id) is not None
    with pytest.raises(messages.ThreadClosed, match="the care link has ended"):
        messages.send(w["theo-dana"], w["theo"], "too late")
    assert Message.select().count() == 0


def test_ending_a_link_deletes_its_thread_and_only_that(world):
    w = world
    messages.send(w["theo-dana"], w["dana"], "theo thread")
    messages.send(w["mia-dana"], w["dana"], "mia thread")
    assert messages.end_link(w["eve"], w["theo-dana"].id) is None  # not Eve's link
    ended = messages.end_link(w["dana"], w["theo-dana"].id, T0)
    assert ended.active is False and ended.ended_at == T0
    assert messages.end_link(w["dana"], w["theo-dana"].id) is None  # already ended
    assert [m.body for m in Message.select()] == ["mia thread"]
    assert MessageRead.select().where(MessageRead.link == w["theo-dana"].id).count() == 0
    assert MessageNotice.select().where(MessageNotice.link == w["theo-dana"].id).count() == 0
    assert messages.unread_total(w["theo"]) == 0


def test_a_notice_is_due_for_the_unread_once_an_hour(world):
    w = world
    link = w["theo-dana"]
    assert messages.notice_due(link.id, w["theo"].id, T0) is None  # nothing unread
    m1 = Message.create(link=link, sender=w["dana"], body="x", created_at=T0)
    assert messages.notice_due(link.id, w["theo"].id, T0) == (1, m1.id)
    assert messages.notice_due(link.id, w["dana"].id, T0) is None  # her own
    assert messages.notice_due(link.id, w["eve"].id, T0) is None  # not in the thread
    MessageNotice.create(link=link, recipient=w["theo"], seq=1, channel="email",
                         covers_id=m1.id, created_at=T0)
    assert messages.notice_due(link.id, w["theo"].id, T0 + timedelta(hours=2)) is None
    m2 = Message.create(link=link, sender=w["dana"], body="y", created_at=T0)
    assert messages.notice_due(link.id, w["theo"].id, T0 + timedelta(minutes=59)) is None
    assert messages.notice_due(link.id, w["theo"].id, T0 + timedelta(hours=1)) == (2, m2.id)
    assert messages.waiting_threads(T0 - timedelta(days=1)) == [(link.id, w["theo"].id)]


def test_the_export_holds_each_thread_in_the_readers_words(world):
    w = world
    messages.send(w["theo-dana"], w["dana"], "From Dana", T0)
    messages.send(w["theo-dana"], w["theo"], "From Theo", T0 + timedelta(minutes=1))
    messages.send(w["theo-eve"], w["eve"], "Eve's words", T0)
    record = privacy.export(w["dana"])
    assert record["messages"] == [{"with": "Theo", "messages": [
        {"from": "you", "at": T0, "text": "From Dana"},
        {"from": "Theo", "at": T0 + timedelta(minutes=1), "text": "From Theo"}]}]
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(w["dana"])))
    assert "From Theo" in archive.read("messages.csv").decode()
    assert "Eve's words" not in json.dumps(privacy.export(w["dana"]), default=str)
    assert [t["with"] for t in privacy.export(w["theo"])["messages"]] == ["Dana", "Eve"]


@pytest.mark.parametrize("leaver", ["dana", "theo"])
def test_deleting_an_account_deletes_its_threads(world, leaver):
    w = world
    messages.send(w["theo-dana"], w["dana"], "bye")
    messages.send(w["theo-dana"], w["theo"], "reply")
    messages.send(w["theo-eve"], w["eve"], "Eve's")
    messages.send(w["mia-dana"], w["mia"], "Mia's")
    privacy.delete_account(User.get_by_id(w[leaver].id))
    left = sorted(m.body for m in Message.select())
    assert left == (["Eve's"] if leaver == "dana" else ["Mia's"])  # every thread of theirs
    assert MessageRead.select().join(CareLink).count() == MessageRead.select().count()


@pytest.fixture
def fresh_app(db_url):  # noqa: F811 (the fixture imported above)
    """An app on a new, empty database of its own (SQLite; PostgreSQL too when
    TRACKER_TEST_POSTGRES_URL is set), as tests/store/test_migrations.py has them."""
    return create_app({"TESTING": True, "DATABASE_URL": db_url})


def test_migration_9_adds_the_message_tables_to_an_older_database(fresh_app):
    assert upgrade(7) == (7, list(range(1, 8)))
    with database.connection_context():
        database.drop_tables([MessageNotice, MessageRead, Message])  # as version 7 had them
        assert not database.table_exists("message")
    assert upgrade() == (LATEST, list(range(8, LATEST + 1)))
    assert current_version() == LATEST >= 9
    with database.connection_context():
        assert {"message", "messageread", "messagenotice"} <= set(database.get_tables())
        indexes = {i.name: i.unique for i in database.get_indexes("messagenotice")}
        assert indexes["messagenotice_link_id_recipient_id_seq_channel"] is True
