"""Versioned schema migrations: upgrade from the first schema keeps the data, is idempotent,
works on an empty database, refuses a newer one, and applies each migration once however
many processes upgrade at the same time.

Runs on SQLite; also on PostgreSQL when TRACKER_TEST_POSTGRES_URL names a server database
to connect to (e.g. postgresql://postgres@127.0.0.1:5432/postgres): each test then creates
a scratch database there and drops it afterwards.
"""
import os
import subprocess
import sys
import threading
import uuid
from datetime import date, time
from pathlib import Path

import pytest
from playhouse.db_url import parse

from tracker import create_app
from tracker.store import migrations
from tracker.store.db import database
from tracker.store.migrations import (
    CHECKOFF_PLAN_DAY_INDEX,
    CHECKOFF_PLAN_INDEX,
    LATEST,
    current_version,
    upgrade,
)
from tracker.store.models import CheckOff, Plan, PlanRevision, User, create_tables

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_ADMIN_URL, reason="set TRACKER_TEST_POSTGRES_URL to test on PostgreSQL"))]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """The URL of a new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    import psycopg2

    name = f"tracker_migrate_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(**parse(PG_ADMIN_URL))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        if database.obj is not None and not database.is_closed():
            database.close()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def app(db_url):
    return create_app({"TESTING": True, "DATABASE_URL": db_url})


def make_v1_schema() -> None:
    """The schema as first versioned: the baseline, without migration 2's index and
    migration 3's table (which the models declare by now, so the baseline made them), and
    with the index of check-offs by plan that migration 17 drops (the models no longer
    declare it)."""
    upgrade(target=1)
    with database.connection_context():
        database.execute_sql(f"CREATE INDEX {CHECKOFF_PLAN_INDEX} ON checkoff (plan_id)")
        if migrations.has_index(database.obj, "checkoff", CHECKOFF_PLAN_DAY_INDEX):
            database.execute_sql(f"DROP INDEX {CHECKOFF_PLAN_DAY_INDEX}")
        database.execute_sql("DROP TABLE appliedoperation")
    assert current_version() == 1


def add_data() -> None:
    with database.connection_context():
        user = User.create_account("kim@example.org", "Kim", "pw-123456789", "client", "UTC")
        plan = Plan.create(client=user, title="Acute plan", start=date(2026, 1, 5))
        PlanRevision.create(plan=plan, effective_from=date(2026, 1, 5),
                            spec={"phases": [{"name": "acute", "items": ["walk"]}]})
        for day in (5, 6, 7):
            CheckOff.create(plan=plan, item_key="walk", day=date(2026, 1, day))


def assert_data_survived() -> None:
    with database.connection_context():
        user = User.by_email("kim@example.org")
        assert user.check_password("pw-123456789")
        plan = Plan.get(Plan.client == user)
        assert plan.title == "Acute plan" and plan.start == date(2026, 1, 5)
        assert [r.spec for r in plan.revisions] == [
            {"phases": [{"name": "acute", "items": ["walk"]}]}
        ]
        days = sorted(c.day for c in plan.checkoffs)
        assert days == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)]


def has_v2_index() -> bool:
    with database.connection_context():
        return migrations.has_index(database.obj, "checkoff", CHECKOFF_PLAN_DAY_INDEX)


def schema() -> dict:
    """Tables with their columns and indexes, to compare two databases."""
    db = database.obj
    with database.connection_context():
        return {
            table: (
                sorted((c.name, c.data_type.lower(), c.null, c.primary_key)
                       for c in db.get_columns(table)),
                sorted((i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)),
            )
            for table in db.get_tables()
        }


def test_upgrade_from_the_first_schema_keeps_the_data(app):
    make_v1_schema()
    add_data()
    assert not has_v2_index()

    assert upgrade() == (LATEST, list(range(2, LATEST + 1)))

    assert current_version() == LATEST
    assert has_v2_index()
    with database.connection_context():
        assert not migrations.has_index(database.obj, "checkoff", CHECKOFF_PLAN_INDEX)
    assert_data_survived()
    assert upgrade() == (LATEST, [])  # a second run changes nothing
    assert_data_survived()


def test_upgrade_gives_claims_stuck_without_a_lease_one_that_has_ended(app):
    from datetime import UTC, datetime

    from tracker.store.models import ReminderClaim

    upgrade(target=3)
    add_data()
    due = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    with database.connection_context():
        user = User.by_email("kim@example.org")
        for slot, status in (("selfcare", "claimed"), ("second", "sent")):
            ReminderClaim.create(user=user, local_date=due.date(), slot=slot, channel="email",
                                 status=status, due_at=due, next_attempt_at=None)
    upgrade()
    with database.connection_context():
        leases = {c.slot: c.next_attempt_at for c in ReminderClaim.select()}
    assert leases == {"selfcare": due, "second": None}
    assert_data_survived()


def test_upgrade_makes_naive_reminder_times_aware_utc_and_drops_red_flag_on(app):
    from datetime import UTC, datetime

    from peewee import DateField
    from playhouse.migrate import SchemaMigrator, migrate

    from tracker.store.models import ReminderClaim, ReminderPreference

    upgrade(target=5)
    add_data()
    db = database.obj
    with database.connection_context():
        # As version 5 left them: an unused plan.red_flag_on, reminder times stored naive.
        migrate(SchemaMigrator.from_database(db).add_column(
            "plan", "red_flag_on", DateField(null=True)))
        user = User.by_email("kim@example.org")
        db.execute_sql(
            "INSERT INTO reminderclaim (user_id, local_date, slot, channel, status, attempts,"
            " items, due_at, next_attempt_at, last_error, created_at) VALUES"
            f" ({user.id}, '2026-11-20', 'selfcare-1', 'email', 'failed', 1, '[]',"
            " '2026-11-20 13:00:00', '2026-11-20 13:05:00.250000', '',"
            " '2026-11-20 13:00:00+00:00')")
        db.execute_sql(
            "INSERT INTO reminderpreference (user_id, selfcare_time, session_day_before,"
            " session_day_before_time, email, push, next_fire_at, checked_until, updated_at)"
            f" VALUES ({user.id}, '07:30', true, '18:00', true, false, '2026-11-21 12:30:00',"
            " '2026-11-20 13:01:00', '2026-11-20 13:00:00+00:00')")
    upgrade()
    with database.connection_context():
        assert not migrations.has_column(db, "plan", "red_flag_on")
        claim = ReminderClaim.get()
        assert (claim.due_at, claim.next_attempt_at) == (
            datetime(2026, 11, 20, 13, tzinfo=UTC), datetime(2026, 11, 20, 13, 5, 0, 250000, UTC))
        # Queries compare with aware values and find the converted rows.
        assert ReminderClaim.select().where(
            ReminderClaim.next_attempt_at <= datetime(2026, 11, 20, 13, 6, tzinfo=UTC)).count() == 1
        assert ReminderClaim.update(status="claimed").where(
            ReminderClaim.next_attempt_at == claim.next_attempt_at).execute() == 1
        pref = ReminderPreference.get()
        assert (pref.next_fire_at, pref.checked_until, pref.selfcare_time) == (
            datetime(2026, 11, 21, 12, 30, tzinfo=UTC), datetime(2026, 11, 20, 13, 1, tzinfo=UTC),
            time(7, 30))
    assert_data_survived()


def test_a_naive_timestamp_is_refused(app):
    from datetime import datetime

    from tracker.store.models import ReminderClaim

    upgrade()
    add_data()
    with database.connection_context(), pytest.raises(ValueError, match="needs an aware"):
        ReminderClaim.create(user=User.get(), local_date=date(2026, 11, 20), slot="selfcare-1",
                             channel="email", due_at=datetime(2026, 11, 20, 13))


def test_an_empty_database_gets_the_whole_schema_at_the_latest_version(app):
    assert current_version() is None
    assert upgrade() == (LATEST, list(range(1, LATEST + 1)))
    assert current_version() == LATEST and has_v2_index()
    add_data()
    assert_data_survived()


def test_new_and_upgraded_databases_have_the_same_schema(tmp_path):
    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    upgrade()
    new = schema()
    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"})
    make_v1_schema()
    upgrade()
    assert schema() == new


def test_a_database_made_before_versioning_is_adopted_and_upgraded(app):
    create_tables()  # what init-db did before migrations
    add_data()
    assert current_version() is None

    assert upgrade() == (LATEST, list(range(1, LATEST + 1)))
    assert has_v2_index()
    assert_data_survived()


def test_a_newer_schema_is_refused(app):
    upgrade()
    with database.connection_context():
        migrations.SchemaVersion.update(version=LATEST + 1).execute()
    with pytest.raises(migrations.SchemaTooNew):
        upgrade()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code != 0 and "newer than this code" in result.output


def test_a_failing_migration_rolls_back_with_its_version(app, monkeypatch):
    upgrade()

    def broken(migrator, db):
        db.execute_sql('CREATE INDEX "checkoff_item_key" ON "checkoff" ("item_key")')
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    with pytest.raises(RuntimeError, match="boom"):
        upgrade()
    assert current_version() == LATEST
    with database.connection_context():
        assert not migrations.has_index(database.obj, "checkoff", "checkoff_item_key")


def test_simultaneous_upgrades_apply_each_migration_once(app, monkeypatch):
    upgrade()
    runs = []
    start = threading.Barrier(4)

    def slow(migrator, db):
        runs.append(threading.get_ident())
        threading.Event().wait(0.3)  # hold the lock while the others try
        db.execute_sql('CREATE INDEX "checkoff_item_key" ON "checkoff" ("item_key")')

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, slow])
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    results, errors = [], []

    def worker():
        start.wait()
        try:
            results.append(upgrade())
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(runs) == 1
    assert sorted(applied for _v, applied in results) == [[], [], [], [LATEST + 1]]
    assert current_version() == LATEST + 1


def test_cli_upgrade_in_several_processes_at_once(db_url, tmp_path):
    env = {**os.environ, "TRACKER_DATABASE_URL": db_url, "TRACKER_SECRET_KEY": "migrate-test"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    procs = [subprocess.Popen([*flask, "db", "upgrade"], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(3)]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    applied = sorted(
        int(n)
        for out in outputs if "Applied migration(s)" in out
        for n in out.split("Applied migration(s) ")[1].split(";")[0].split(", ")
    )
    assert applied == list(range(1, LATEST + 1)), outputs
    current = subprocess.run([*flask, "db", "current"], cwd=ROOT, env=env, text=True,
                             capture_output=True, check=True)
    assert f"Schema version: {LATEST} (latest: {LATEST})" in current.stdout


def test_cli_db_upgrade_current_and_init_db(app):
    runner = app.test_cli_runner()
    assert "Schema version: none" in runner.invoke(args=["db", "current"]).output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and f"schema at version {LATEST}" in result.output
    assert "nothing to do" in runner.invoke(args=["db", "upgrade"]).output
    assert f"Schema version: {LATEST} (latest: {LATEST})" in runner.invoke(
        args=["db", "current"]).output
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "Database ready" in result.output
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def test_migration_10_adds_session_notes_and_invite_emails_to_an_existing_database(app):
    """A database at version 9 (made before issue 16's notes) gets both tables, data kept."""
    upgrade(target=9)
    with database.connection_context():
        database.execute_sql('DROP TABLE "sessionnote"')
        database.execute_sql('DROP TABLE "inviteemail"')
        assert not {"sessionnote", "inviteemail"} & set(database.get_tables())
    add_data()
    assert upgrade() == (LATEST, list(range(10, LATEST + 1)))
    with database.connection_context():
        assert {"sessionnote", "inviteemail"} <= set(database.get_tables())
        indexes = {i.name: (tuple(i.columns), i.unique)
                   for i in database.obj.get_indexes("sessionnote")}
        assert indexes["sessionnote_therapist_id_plan_id_item_key_session_day"] == (
            ("therapist_id", "plan_id", "item_key", "session_day"), True)
    assert_data_survived()


def test_check_offs_by_plan_are_read_through_the_unique_index(app):
    """Migration 17 dropped the index of check-offs by plan alone: a plan's check-offs, and
    the cascade when a plan goes, are found through the unique (plan, item_key, day) index
    (or the (plan, day) one), never by scanning the table."""
    upgrade()
    add_data()
    with database.connection_context():
        plan = Plan.get()
        query, params = CheckOff.select().where(CheckOff.plan == plan.id).sql()
        if database.obj.__class__.__name__.startswith("Sqlite"):
            steps = [row[-1] for row in database.execute_sql(
                f"EXPLAIN QUERY PLAN {query}", params).fetchall()]
            assert len(steps) == 1 and steps[0].startswith("SEARCH checkoff USING INDEX "), steps
            assert steps[0].split()[4] in {"checkoff_plan_id_item_key_day", CHECKOFF_PLAN_DAY_INDEX}
        plan.delete_instance()
        assert CheckOff.select().count() == 0
