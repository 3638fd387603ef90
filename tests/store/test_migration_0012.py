"""Migration 12 (issue 17): ids are never reused, and no bearer token is kept in clear.

A database as version 10 made it on SQLite (``data/schema_v10_sqlite.sql``: ids without
AUTOINCREMENT, ``user.session_token``, calendar tokens in clear) is upgraded: its rows and
ids stay, existing calendar links keep working, and from then on no id is given out twice.
On PostgreSQL (whose sequences never reuse) the user columns change the same way.
"""
import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from tests.store.test_migrations import db_url  # noqa: F401 (the fixture: SQLite, PostgreSQL)
from tracker import create_app
from tracker.store import migrations, privacy, tokens
from tracker.store.db import database
from tracker.store.migrations import LATEST, current_version, upgrade
from tracker.store.models import ALL_MODELS, CheckOff, Invite, Plan, PushSubscription, User

V10_SQLITE = Path(__file__).parent / "data" / "schema_v10_sqlite.sql"


def _insert_v10_users(db):
    """Two users and a plan, as version 10 stored them (session token, calendar token)."""
    p = db.param
    for user_id, email, calendar in ((1, "ana@example.org", "cal-token-of-ana"),
                                     (2, "ben@example.org", None)):
        db.execute_sql(
            'INSERT INTO "user" ("id", "email", "name", "password_hash", "role", "timezone", '
            '"session_token", "calendar_token", "safety_questions_due", "created_at") '
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            (user_id, email, email.split("@")[0].title(), "x", "client", "UTC",
             f"session-{user_id}", calendar, False, "2026-01-05 08:00:00+00:00"))
    db.execute_sql(
        'INSERT INTO "plan" ("id", "client_id", "title", "start", "status", '
        '"suggestion_reason", "created_at") '
        f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
        (7, 2, "Ben's plan", "2026-01-05", "active", "", "2026-01-05 08:00:00+00:00"))
    db.execute_sql(
        'INSERT INTO "checkoff" ("plan_id", "item_key", "day", "status", "logged_at") '
        f"VALUES ({p}, {p}, {p}, {p}, {p})",
        (7, "walk", "2026-01-06", "done", "2026-01-06 08:00:00+00:00"))


def make_v10(url: str) -> None:
    """A database at version 10, shaped as that version made it."""
    create_app({"TESTING": True, "DATABASE_URL": url})
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
            raw.executescript(V10_SQLITE.read_text())
        with database.connection_context():  # not upgrade(): it would run the baseline
            database.create_tables([migrations.SchemaVersion])
            migrations.SchemaVersion.insert(id=1, version=10).execute()
    else:
        upgrade(target=10)  # PostgreSQL: the ids were sequences already; the user columns:
        with database.connection_context():
            database.execute_sql('ALTER TABLE "user" DROP COLUMN "link_key"')
            database.execute_sql('ALTER TABLE "user" RENAME COLUMN "calendar_token_hash" '
                                 'TO "calendar_token"')
            database.execute_sql('ALTER INDEX "user_calendar_token_hash" '
                                 'RENAME TO "user_calendar_token"')
            database.execute_sql('ALTER TABLE "user" ADD COLUMN "session_token" '
                                 'VARCHAR(64) NOT NULL')
            database.execute_sql('CREATE UNIQUE INDEX "user_session_token" '
                                 'ON "user" ("session_token")')
    with database.connection_context():
        _insert_v10_users(database.obj)
        if not url.startswith("sqlite"):  # the rows came with their ids: as if made in order
            for table in ("user", "plan"):
                database.execute_sql(f"SELECT setval('{table}_id_seq', "
                                     f'(SELECT max("id") FROM "{table}"))')
    assert current_version() == 10


def test_upgrading_a_version_10_database_keeps_rows_and_ids(db_url):  # noqa: F811
    make_v10(db_url)

    assert upgrade() == (LATEST, list(range(11, LATEST + 1)))

    with database.connection_context():
        columns = {c.name for c in database.get_columns("user")}
        assert {"session_token", "calendar_token"} & columns == set()
        assert {"link_key", "calendar_token_hash"} <= columns
        ana, ben = User.get_by_id(1), User.get_by_id(2)
        assert (ana.email, ben.email) == ("ana@example.org", "ben@example.org")
        assert len(ana.link_key) == 32 and ana.link_key != ben.link_key
        # the subscribed calendar link keeps working; only its hash is stored
        assert ana.calendar_token_hash == hashlib.sha256(b"cal-token-of-ana").hexdigest()
        assert tokens.user_for_calendar_token("cal-token-of-ana") == ana
        assert ben.calendar_token_hash is None
        plan = Plan.get_by_id(7)
        assert plan.client == ben and [c.day for c in plan.checkoffs] == [date(2026, 1, 6)]
        indexes = {i.name: i.unique for i in database.get_indexes("user")}
        assert indexes["user_calendar_token_hash"] and indexes["user_email"]
        assert {i.name for i in database.get_indexes("checkoff")} >= {
            "checkoff_plan_id_item_key_day", "checkoff_plan_id_day"}
    assert upgrade() == (LATEST, [])


def test_after_the_upgrade_a_deleted_users_id_is_not_given_out_again(db_url):  # noqa: F811
    make_v10(db_url)
    upgrade()
    with database.connection_context():
        privacy.delete_account(User.get_by_id(2))  # the highest id
        new = User.create_account("cy@example.org", "Cy", "pw-123456789", "client", "UTC")
        assert new.id == 3
        new.delete_instance()
        again = User.create_account("di@example.org", "Di", "pw-123456789", "client", "UTC")
        assert again.id == 4


def test_every_sqlite_table_has_autoincrement_after_the_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_v10(url)
    upgrade()
    with database.connection_context():
        sql = dict(database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        seq = dict(database.execute_sql("SELECT name, seq FROM sqlite_sequence").fetchall())
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert database.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)
    for model in ALL_MODELS:
        assert "AUTOINCREMENT" in sql[model._meta.table_name], model
    assert not any("__rebuild" in name for name in sql)
    assert seq["user"] == 2 and seq["plan"] == 7  # starts at the highest id kept


def test_new_and_upgraded_sqlite_databases_have_the_same_tables(tmp_path):
    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    upgrade()
    new = _schema()
    make_v10(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade()
    assert _schema() == new


def _schema() -> dict:
    """Each table's columns (name, type, null, key) and indexes, and its AUTOINCREMENT."""
    db = database.obj
    with database.connection_context():
        sql = dict(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        return {table: (sorted((c.name, c.data_type.lower(), c.null, c.primary_key)
                               for c in db.get_columns(table)),
                        sorted((i.name, tuple(i.columns), i.unique)
                               for i in db.get_indexes(table)),
                        "AUTOINCREMENT" in sql[table])
                for table in db.get_tables()}


@pytest.mark.parametrize("model", [User, Plan, Invite, PushSubscription, CheckOff])
def test_new_databases_never_reuse_an_id(db_url, model):  # noqa: F811
    """Create, delete the newest, create again: a new id (SQLite reused it before)."""
    create_app({"TESTING": True, "DATABASE_URL": db_url})
    upgrade()
    with database.connection_context():
        first = _make(model, "a")
        if model is User:  # as the app deletes an account (the audit log is append-only)
            privacy.delete_account(first)
        else:
            first.delete_instance(recursive=True)
        second = _make(model, "b")
        assert second.id > first.id


def _make(model, tag: str):
    user = User.create_account(f"{tag}-{model.__name__}@example.org", "Al", "pw-123456789",
                               "therapist", "UTC")
    if model is User:
        return user
    if model is Invite:
        return Invite.create(therapist=user, token_hash=tag * 64, expires_at=user.created_at)
    if model is PushSubscription:
        return PushSubscription.create(user=user, endpoint=f"https://push.example/{tag}",
                                       p256dh="k", auth="a")
    plan = Plan.create(client=user, title="P", start=date(2026, 1, 5))
    if model is Plan:
        return plan
    return CheckOff.create(plan=plan, item_key="walk", day=date(2026, 1, 5))


def test_init_db_makes_every_sqlite_table_with_autoincrement(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "Database ready" in result.output
    assert current_version() == LATEST
    with database.connection_context():
        sql = dict(database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    assert all("AUTOINCREMENT" in sql[m._meta.table_name] for m in ALL_MODELS)
    assert "AUTOINCREMENT" not in sql["schema_version"]  # its one row has id 1
    assert migrations.MIGRATIONS[11].__name__ == "_0012_ids_never_reused_and_tokens_hashed"
