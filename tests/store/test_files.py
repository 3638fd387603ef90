"""Files about people are private (issue 17, finding 8): the instance folder 0700, and the
database, its WAL and shared memory, huey's queue, outbox emails and backups 0600, whatever
the process's umask; an account's outbox emails go with it."""
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from huey import SqliteHuey

from tests.conftest import ON_POSTGRES, PASSWORD, Auth, csrf_token, make_user
from tracker import create_app
from tracker.jobs import backup
from tracker.jobs import email as mail
from tracker.jobs.tasks import queue_file
from tracker.store import files
from tracker.store.db import database
from tracker.store.migrations import upgrade
from tracker.store.models import CheckIn

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files of its own")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def lax_umask():
    """The usual umask, which makes files world-readable unless the app says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@sqlite_only
def test_the_instance_folder_and_the_database_files_are_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance)})  # tracker.db inside
    with app.app_context():
        upgrade()
    db_file = instance / "tracker.db"
    with database.connection_context():
        user = make_user()
        CheckIn.create(client=user, day="2026-03-02", back_pain=1, leg_pain=2)
        found = {p.name: mode(p) for p in files.sqlite_files(db_file) if p.exists()}
        assert {"tracker.db", "tracker.db-wal", "tracker.db-shm"} <= found.keys()
        assert set(found.values()) == {0o600}, found
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600


@sqlite_only
def test_a_database_left_readable_by_an_older_version_is_made_private(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=wal")
        conn.execute("CREATE TABLE t (x)")
        os.chmod(path, 0o644)
        assert mode(path) == 0o644
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})
        assert mode(path) == 0o600
        assert mode(path.with_name("old.db-wal")) == 0o600


def test_hueys_queue_is_private(tmp_path):
    instance = tmp_path / "queue"
    path = queue_file(instance)
    queue = SqliteHuey("files-test", filename=str(path))
    queue.storage.enqueue(b"job")
    assert queue.storage.dequeue() == b"job"
    assert mode(instance) == 0o700
    assert {mode(p) for p in files.sqlite_files(path) if p.exists()} == {0o600}
    assert path.exists()


@sqlite_only
def test_backups_and_restored_databases_are_private(tmp_path):
    source = tmp_path / "live.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{source}"})
    with app.app_context():
        upgrade()
    target = tmp_path / "backups" / "copy.db"
    backup.backup(source, target)
    assert mode(target) == 0o600
    restored = tmp_path / "fresh" / "tracker.db"
    assert backup.restore(target, restored) is None
    assert mode(restored) == 0o600
    # a second restore keeps the database it replaces, private too
    kept = backup.restore(target, restored)
    assert mode(kept) == 0o600 and mode(restored) == 0o600


def _mail(app, to_email: str) -> Path:
    message = mail.compose_notice(to_name="Ann", to_email=to_email, sender="a@localhost",
                                  subject="Hello", lines=["Hi"], link="http://x",
                                  link_text="Open", message_id="<1@x>")
    return Path(mail.deliver(message, None, Path(app.instance_path) / "outbox"))


def test_deleting_an_account_deletes_the_emails_to_it_in_the_outbox(app, client):
    with database.connection_context():
        make_user(email="ann@example.org", name="Ann")
        make_user(email="bob@example.org", name="Bob")
    anns = [_mail(app, "ann@example.org"), _mail(app, "Ann@Example.org")]
    bobs = _mail(app, "bob@example.org")
    Auth(client).login("ann@example.org")
    response = client.post("/settings/data/delete", data={
        "password": PASSWORD, "confirm": "y",
        "csrf_token": csrf_token(client, "/settings/data")})
    assert response.status_code == 302 and response.location == "/login"
    assert [p.exists() for p in anns] == [False, False]
    assert bobs.exists()
