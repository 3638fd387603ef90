"""Benchmark: one reminder tick with 100,000 users spread across time zones.

Not a test (pytest doesn't collect it). Builds a database of 100,000 users with reminder
preferences at random local times in ~30 zones, stores each user's next fire time (the
indexed column), then times the busiest minute's tick in dry-run mode: the indexed query
for the users due plus the pure selection for each (what `flask remind --dry-run` does).
SQLite always; PostgreSQL too when TRACKER_BENCH_POSTGRES_URL is set or a server answers
on 127.0.0.1:5432 (a scratch database is created and dropped).

    .venv/bin/python tests/benchmarks/reminder_tick_bench.py [--users N]
"""
import argparse
import random
import statistics
import sys
import tempfile
import time as clock
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tracker import create_app  # noqa: E402
from tracker.domain import reminder_select as select  # noqa: E402
from tracker.jobs import reminders as service  # noqa: E402
from tracker.store import plans as tracker_plans  # noqa: E402
from tracker.store import reminder_settings  # noqa: E402
from tracker.store.db import database  # noqa: E402
from tracker.store.models import ReminderPreference, User, create_tables  # noqa: E402

ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Sao_Paulo", "America/Halifax", "America/St_Johns", "Europe/London",
    "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Africa/Cairo", "Africa/Lagos",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
    "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Honolulu",
    "America/Anchorage", "Atlantic/Azores", "Asia/Tehran", "America/Mexico_City",
]
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def populate(n: int, seed: int = 1) -> tuple[datetime, int]:
    """Users and preferences as the worker leaves them just before the busiest minute.

    Returns that minute and how many users fire in it. Every user's stored next fire time
    is after the previous minute, as if the worker had run every minute until then.
    """
    rng = random.Random(seed)
    hashed = "scrypt:not-used-in-this-benchmark"
    users, prefs = [], []
    for i in range(n):
        users.append({"email": f"u{i}@bench.example", "name": f"User {i}",
                      "password_hash": hashed, "role": "client",
                      "timezone": rng.choice(ZONES)})
    with database.atomic():
        for start in range(0, n, 1000):
            User.insert_many(users[start:start + 1000]).execute()
    ids = [u.id for u in User.select(User.id).order_by(User.id)]
    settings = []
    for user in users:
        # reminder times on the quarter hour between 06:00 and 21:45, like people pick
        hhmm = f"{rng.randint(6, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        settings.append(select.Preferences(
            timezone=user["timezone"], selfcare_time=_t(hhmm),
            session_day_before=rng.random() < 0.5, channels=(select.EMAIL,)))
    # The busiest minute of the day ahead, then every user's next fire after the minute before.
    first = Counter(select.next_fire_at(p, NOW) for p in settings)
    busiest, _ = max(first.items(), key=lambda kv: kv[1])
    before = busiest - timedelta(minutes=1)
    started = clock.perf_counter()
    fires = [select.next_fire_at(p, before) for p in settings]
    recompute = clock.perf_counter() - started
    for user_id, pref, fire in zip(ids, settings, fires, strict=True):
        prefs.append({
            "user": user_id, "selfcare_time": pref.selfcare_time,
            "email": True, "session_day_before": pref.session_day_before,
            "next_fire_at": fire, "checked_until": before,
        })
    with database.atomic():
        for start in range(0, n, 1000):
            ReminderPreference.insert_many(prefs[start:start + 1000]).execute()
    print(f"  next_fire_at for {n:,} users: {recompute * 1000:.0f} ms")
    return busiest, sum(1 for f in fires if f == busiest)


def _t(hhmm: str):
    return datetime.strptime(hhmm, "%H:%M").time()


def bench(url: str, n: int) -> float:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context(), database.connection_context():
        create_tables()
        now, due_count = populate(n)
        busiest = now
        times = []
        for _ in range(5):
            ReminderPreference.update(checked_until=now - timedelta(minutes=1)).execute()
            started = clock.perf_counter()
            outcomes = service.tick(now, dry_run=True)
            times.append((clock.perf_counter() - started) * 1000)
        phases = _phases(now, busiest)
        rows = phases.pop("rows")
    print(f"  busiest minute {now:%H:%M} UTC: {due_count} users due ({len(rows)} rows read), "
          f"{len(outcomes)} would get a reminder (these users have no plan: nothing is due)")
    for name, ms in phases.items():
        print(f"  {name}: {ms:.0f} ms")
    print(f"  whole tick (dry run), median of 5: {statistics.median(times):.0f} ms, "
          f"worst {max(times):.0f} ms")
    return phases["selection (query + plans + pure select)"]


def _phases(now: datetime, busiest: datetime) -> dict:
    """The tick's steps timed one by one, the way service.tick runs them."""
    started = clock.perf_counter()
    rows = list(
        ReminderPreference.select(ReminderPreference, User.timezone).join(User)
        .where(ReminderPreference.next_fire_at <= busiest).namedtuples()
    )
    query = clock.perf_counter()
    plans = tracker_plans.current_plans([r.user for r in rows])
    loaded = clock.perf_counter()
    for row in rows:
        prefs = reminder_settings.preferences_of(row, row.timezone)
        select.select(now, prefs, lambda day, r=row: service.day_state(plans.get(r.user), day),
                      row.user)
    selected = clock.perf_counter()
    for row in rows:
        select.next_fire_at(reminder_settings.preferences_of(row, row.timezone), now)
    rescheduled = clock.perf_counter()
    return {
        "rows": rows,
        "indexed query for due users": (query - started) * 1000,
        "current plans (batched)": (loaded - query) * 1000,
        "pure selection": (selected - loaded) * 1000,
        "selection (query + plans + pure select)": (selected - started) * 1000,
        "next fire times to store": (rescheduled - selected) * 1000,
    }


def _postgres_url() -> str | None:
    import os

    url = os.environ.get("TRACKER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/")
    try:
        import psycopg2
    except ImportError:
        return None
    try:
        conn = psycopg2.connect(url + "postgres", connect_timeout=2)
    except psycopg2.OperationalError:
        return None
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS tracker_bench")
        cur.execute("CREATE DATABASE tracker_bench")
    conn.close()
    return url + "tracker_bench"


def _drop_postgres(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS tracker_bench")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {args.users:,} users:")
        sqlite_ms = bench(f"sqlite:///{tmp}/bench.db", args.users)
    pg_url = _postgres_url()
    pg_ms = None
    if pg_url:
        print(f"PostgreSQL, {args.users:,} users:")
        try:
            pg_ms = bench(pg_url, args.users)
        finally:
            database.close()
            _drop_postgres(pg_url)
    else:
        print("PostgreSQL: not available, skipped")
    pg = f"{pg_ms:.0f}" if pg_ms is not None else "n/a"
    print(f"reminder selection: sqlite_ms={sqlite_ms:.0f} postgres_ms={pg} (target < 200)")


if __name__ == "__main__":
    main()
