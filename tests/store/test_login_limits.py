"""The per-account login limit in the database: checks counted before they are made, the
lockout (the right password refused too), a new window, a success starting afresh, many
threads at once, clean-up, and migration 11. On SQLite and PostgreSQL (the app fixture)."""
import threading
from datetime import UTC, datetime, timedelta

from tracker.store import login_limits
from tracker.store.db import database
from tracker.store.migrations import LATEST, upgrade
from tracker.store.models import LoginThrottle

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PERIOD = timedelta(minutes=15)
KEY = login_limits.account_key("client@example.org", "secret")


def attempt(at=NOW, key=KEY, limit=20):
    return login_limits.begin_attempt(key, at, limit, PERIOD)


def test_the_key_is_the_normalised_email_hidden_behind_the_secret(app):
    same = {login_limits.account_key(email, "secret")
            for email in ("client@example.org", " CLIENT@Example.ORG ", "Client@example.org")}
    assert same == {KEY}
    assert login_limits.account_key("client@example.org", "other secret") != KEY
    assert "client" not in KEY and len(KEY) == 64


def test_twenty_checks_then_locked_for_the_period(app):
    with database.connection_context():
        for n in range(20):
            assert attempt(NOW + timedelta(seconds=n)) is None
        # the 21st within 15 minutes is refused, until 15 minutes after the 20th
        until = NOW + timedelta(seconds=19) + PERIOD
        assert attempt(NOW + timedelta(minutes=5)) == until
        assert attempt(until - timedelta(seconds=1)) == until
        row = LoginThrottle.get()
        assert (row.attempts, row.locked_until) == (20, until)  # refusals are not counted
        # when the lockout ends, a new window begins
        assert attempt(until) is None
        row = LoginThrottle.get()
        assert (row.attempts, row.locked_until, row.window_ends_at) == (1, None, until + PERIOD)


def test_a_success_before_the_lockout_starts_afresh(app):
    with database.connection_context():
        for _ in range(19):
            assert attempt() is None
        login_limits.succeeded(KEY)
        assert LoginThrottle.select().count() == 0
        for _ in range(20):
            assert attempt() is None
        assert attempt() == NOW + PERIOD


def test_a_window_that_ends_below_the_limit_starts_again(app):
    with database.connection_context():
        for _ in range(19):
            assert attempt() is None
        later = NOW + PERIOD
        for _ in range(20):
            assert attempt(later) is None
        assert attempt(later) == later + PERIOD


def test_each_account_and_unknown_email_is_counted_on_its_own(app):
    nobody = login_limits.account_key("nobody@example.org", "secret")
    with database.connection_context():
        for _ in range(3):
            assert attempt(key=nobody, limit=3) is None
        assert attempt(key=nobody, limit=3) == NOW + PERIOD
        assert attempt(limit=3) is None


def test_a_lowered_limit_locks_at_once(app):
    with database.connection_context():
        for _ in range(5):
            assert attempt() is None
        assert attempt(limit=3) == NOW + PERIOD


def test_many_threads_at_once_get_exactly_the_limit(app):
    """40 checks of one account from 8 threads at once: 20 allowed, 20 refused."""
    results, barrier = [], threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(5):
            with database.connection_context():
                results.append(attempt())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == 20
    assert len(results) == 40 and set(results) == {None, NOW + PERIOD}


def test_forget_old_drops_only_ended_windows_and_lockouts(app):
    locked = login_limits.account_key("locked@example.org", "secret")
    with database.connection_context():
        attempt()  # window until NOW + 15 min
        for _ in range(2):
            attempt(NOW + timedelta(minutes=10), key=locked, limit=2)  # locked until +25 min
        assert login_limits.forget_old(NOW + timedelta(minutes=14)) == 0
        assert login_limits.forget_old(NOW + timedelta(minutes=16)) == 1
        assert [row.key for row in LoginThrottle.select()] == [locked]
        assert login_limits.forget_old(NOW + timedelta(minutes=26)) == 1
        assert LoginThrottle.select().count() == 0


def test_migration_11_adds_the_table_to_an_existing_database(tmp_path):
    from tracker import create_app

    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})
    upgrade(target=10)
    with database.connection_context():
        database.execute_sql('DROP TABLE "loginthrottle"')
    assert upgrade() == (LATEST, list(range(11, LATEST + 1)))
    with database.connection_context():
        assert "loginthrottle" in database.get_tables()
        unique = {tuple(i.columns) for i in database.get_indexes("loginthrottle") if i.unique}
        assert ("key",) in unique
        assert login_limits.begin_attempt(KEY, NOW, 1, PERIOD) is None
        assert login_limits.begin_attempt(KEY, NOW, 1, PERIOD) == NOW + PERIOD


def test_the_daily_clean_up_drops_ended_counts(app, monkeypatch):
    from tracker.jobs import tasks

    monkeypatch.setattr(tasks, "app", lambda: app)
    with database.connection_context():
        login_limits.begin_attempt(KEY, datetime.now(UTC) - timedelta(hours=2), 20, PERIOD)
        live = login_limits.account_key("live@example.org", "secret")
        login_limits.begin_attempt(live, datetime.now(UTC), 20, PERIOD)
    assert tasks.forget_old_sign_ins.call_local() == 1
    with database.connection_context():
        assert [row.key for row in LoginThrottle.select()] == [live]
