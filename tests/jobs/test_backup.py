"""``flask backup`` and ``flask restore`` (SQLite's online backup API), and their refusals."""
import sqlite3
import threading
from datetime import date, timedelta

import pytest

from tests.conftest import ON_POSTGRES, make_user
from tracker import create_app
from tracker.store.db import database
from tracker.store.migrations import LATEST, upgrade
from tracker.store.models import CheckIn

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="backs up SQLite files of its own")


@pytest.fixture
def live(tmp_path):
    """An app on a migrated SQLite file with one client; (app, database path, client id)."""
    path = tmp_path / "live.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
    with database.connection_context():
        user_id = make_user().id
    return app, path, user_id


def _count(path, table="checkin") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _integrity(path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_backup_taken_while_writing_is_consistent(live, tmp_path):
    app, path, user_id = live
    committed, stop = [0], threading.Event()

    def writer():
        with database.connection_context():
            day = date(2020, 1, 1)
            while not stop.is_set():
                with database.atomic():
                    CheckIn.create(client=user_id, day=day, back_pain=2, leg_pain=3,
                                   note="x" * 500)
                committed[0] += 1
                day += timedelta(days=1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while committed[0] < 50:
            threading.Event().wait(0.01)
        before = committed[0]
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.db")])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert f"schema version {LATEST}" in result.output
    copy = tmp_path / "copy.db"
    assert _integrity(copy) == "ok"
    assert before <= _count(copy) <= committed[0]
    # every row whole: nothing torn
    with sqlite3.connect(copy) as conn:
        torn = conn.execute("SELECT count(*) FROM checkin WHERE length(note) != 500").fetchone()
    assert torn == (0,)


def test_restore_puts_the_backup_back_and_keeps_the_old_database(live, tmp_path):
    app, path, user_id = live
    runner = app.test_cli_runner()
    with database.connection_context():
        CheckIn.create(client=user_id, day=date(2026, 1, 1), back_pain=1, leg_pain=1)
    assert runner.invoke(args=["backup", str(tmp_path / "b.db")]).exit_code == 0
    with database.connection_context():
        CheckIn.create(client=user_id, day=date(2026, 1, 2), back_pain=9, leg_pain=9)
    assert _count(path) == 2

    refused = runner.invoke(args=["restore", str(tmp_path / "b.db")], input="n\n")
    assert refused.exit_code != 0 and _count(path) == 2  # asked, and "no" changed nothing
    result = runner.invoke(args=["restore", str(tmp_path / "b.db")], input="y\n")
    assert result.exit_code == 0, result.output
    assert _count(path) == 1 and _integrity(path) == "ok"
    [kept] = tmp_path.glob("live.db.before-restore-*")
    assert _count(kept) == 2 and str(kept) in result.output
    with database.connection_context():  # the app reads the restored data
        assert [c.day for c in CheckIn.select()] == [date(2026, 1, 1)]


@pytest.mark.parametrize("content, message", [
    (b"just some text, not a database at all" * 100, "not a SQLite database"),
    (None, "not one of this app"),
    (b"", "not one of this app"),  # an empty file is an empty SQLite database
])
def test_restore_refuses_what_is_not_a_backup_of_this_app(live, tmp_path, content, message):
    app, path, _ = live
    foreign = tmp_path / "foreign.db"
    if content is None:
        with sqlite3.connect(foreign) as conn:
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    else:
        foreign.write_bytes(content)
    before = path.read_bytes()
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(foreign)])
    assert result.exit_code != 0
    assert message in result.output
    assert path.read_bytes() == before
    assert list(tmp_path.glob("live.db.before-restore-*")) == []


def test_restore_refuses_a_missing_file(live, tmp_path):
    app, _, _ = live
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "nope.db")])
    assert result.exit_code != 0 and "There is no file" in result.output


def test_backup_does_not_overwrite_unless_forced(live, tmp_path):
    app, _, _ = live
    runner = app.test_cli_runner()
    target = tmp_path / "b.db"
    target.write_text("precious")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert target.read_text() == "precious"
    assert runner.invoke(args=["backup", "--force", str(target)]).exit_code == 0
    assert _integrity(target) == "ok"
    assert list(tmp_path.glob(".b.db.*")) == []  # no temp file left behind


def test_backup_refuses_the_database_itself(live):
    app, path, _ = live
    result = app.test_cli_runner().invoke(args=["backup", "--force", str(path)])
    assert result.exit_code != 0 and "another file" in result.output


def test_on_postgresql_the_commands_point_to_pg_dump(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    runner = app.test_cli_runner()
    for args in (["backup", str(tmp_path / "x")], ["restore", "--yes", str(tmp_path / "x")]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "pg_dump" in result.output and "pg_restore" in result.output
