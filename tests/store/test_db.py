import threading

import pytest
from peewee import PostgresqlDatabase
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from tests.conftest import ON_POSTGRES, make_user
from tracker import create_app
from tracker.store.db import database, open_database
from tracker.store.models import User, create_tables


def test_sqlite_pragmas_are_set(app):
    with app.app_context(), database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_create_tables_is_idempotent(app):
    tables = sorted(database.get_tables())
    user = make_user()
    create_tables()
    create_tables()
    assert sorted(database.get_tables()) == tables
    assert User.get_by_id(user.id).email == user.email  # nothing dropped or emptied


def test_connection_is_closed_after_each_request(client):
    client.get("/login")
    assert database.is_closed()


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_pages_say_unavailable_not_500_when_database_unreachable(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert b"Temporarily unavailable" in response.data


def test_postgres_urls_get_a_pool_of_the_configured_size():
    pooled = open_database("postgresql://u@db.example/tracker", max_connections=5,
                           stale_timeout=60)
    assert isinstance(pooled, PooledPostgresqlDatabase)
    assert pooled._max_connections == 5 and pooled._stale_timeout == 60
    assert not isinstance(open_database("postgresql://u@db.example/tracker"),
                          PooledPostgresqlDatabase)
    assert isinstance(open_database("postgresql://u@db.example/tracker"), PostgresqlDatabase)


def test_sqlite_files_get_a_pool_too_but_memory_databases_do_not(tmp_path):
    pooled = open_database(f"sqlite:///{tmp_path}/x.db", max_connections=5, stale_timeout=60)
    assert isinstance(pooled, PooledSqliteDatabase)
    assert pooled._max_connections == 5
    assert not isinstance(open_database("sqlite:///:memory:", max_connections=5),
                          PooledSqliteDatabase)
    assert not isinstance(open_database(f"sqlite:///{tmp_path}/x.db"), PooledSqliteDatabase)


def browse_from_threads(app, as_user) -> None:
    """Four threads load pages while a logged-in client loads /today, 25 times each;
    afterwards the pool has every connection back, one per thread at most, reused."""
    pool = database.obj
    make_user()
    errors = []

    def browse() -> None:
        client = app.test_client()
        try:
            for _ in range(25):
                for path in ("/login", "/healthz"):
                    assert client.get(path).status_code == 200
        except AssertionError as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=browse) for _ in range(4)]
    for thread in threads:
        thread.start()
    client = as_user("client@example.org")
    for _ in range(25):
        assert client.get("/today").status_code == 200
    for thread in threads:
        thread.join()
    assert not errors
    assert pool._in_use == {}
    assert 1 <= len(pool._connections) <= 5


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite pool")
def test_sqlite_pool_reuses_connections_with_their_pragmas_across_threads(app, as_user):
    """Each request returns its connection, which keeps its pragmas and is handed to
    whichever thread asks next."""
    assert isinstance(database.obj, PooledSqliteDatabase)
    browse_from_threads(app, as_user)
    with database.connection_context():
        assert database.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
        assert database.execute_sql("PRAGMA busy_timeout").fetchone() == (10_000,)


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (TRACKER_TEST_POSTGRES_URL)")
def test_postgres_pool_gets_every_connection_back_after_many_requests(app, as_user):
    """Requests from several threads at once: each returns its connection at the end."""
    pool = database.obj
    assert isinstance(pool, PooledPostgresqlDatabase)
    browse_from_threads(app, as_user)
    with database.connection_context():
        (connected,) = database.execute_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        ).fetchone()
    assert connected <= 5
    assert pool._in_use == {}


# --- the two custom fields: moments in UTC, times of day ----------------------------------


def test_every_timestamp_reads_back_aware_in_utc_whatever_zone_it_was_written_in(app):
    from datetime import UTC, datetime, timedelta, timezone

    from tracker.store.models import ReminderPreference

    written = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    with app.app_context(), database.connection_context():
        user = make_user()
        ReminderPreference.create(user=user, next_fire_at=written, checked_until=written)
        pref = ReminderPreference.get()
        assert pref.next_fire_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert pref.next_fire_at.tzinfo is UTC and user.created_at.tzinfo is UTC
        # Compared in the query with an aware value from another zone, found the same.
        assert ReminderPreference.select().where(
            ReminderPreference.next_fire_at == written).count() == 1
        with pytest.raises(ValueError, match="next_fire_at needs an aware datetime"):
            ReminderPreference.update(next_fire_at=datetime(2026, 3, 29, 1, 30)).execute()


@pytest.mark.parametrize("given", ["07:30", "07:30:00"])
def test_a_time_of_day_is_a_time_in_python_and_hh_mm_in_the_database(app, given):
    from datetime import time

    from tracker.store.models import ReminderPreference

    with app.app_context(), database.connection_context():
        pref = ReminderPreference(user=make_user())
        pref.second_time = given
        assert pref.second_time == time(7, 30)  # a time as soon as it is assigned
        pref.save()
        stored = database.execute_sql("SELECT second_time, selfcare_time FROM "
                                      "reminderpreference").fetchone()
        assert tuple(stored) == ("07:30", "08:00")
        assert ReminderPreference.get().second_time == time(7, 30)
        with pytest.raises(ValueError, match='a time of day must be "HH:MM"'):
            pref.quiet_start = "7pm"
