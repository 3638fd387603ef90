"""Benchmark: the busiest reminder minute of 100,000 users with real plans, selected and sent.

Not a test (pytest does not collect it); ``make bench`` runs it through bench.py.

1. A fresh database (a temp SQLite file, or ``--db-url`` PostgreSQL: a scratch database is
   created on that server and dropped after), schema by the migrations. 100,000 clients in 5
   zones, each with a plan copied from a built-in template that started 1-120 days ago
   (some revised with an "after done" item, some moved on a phase, some paused, whole or
   in part), check-offs on the past 3 days and, for some, this morning. 40% have their
   reminder at one popular local time (08:00 in the issue; here the Berlin wall time of the
   real minute after the run starts, see plan_minute), the rest on a quarter hour from
   06:00 to 21:45: that minute has about 8,000 users due.
2. Selection: ``reminders.select_due`` for that minute (the due users, their plans' day
   states in batches, the pure selection), timed 4 times: the first cold (no spec parsed
   yet in this process), then the minimum of 3. This is the tick's T.
3. Sending (skipped with ``--no-send``): ``huey_consumer tracker.jobs.worker.huey -w 4 -k
   process -n`` (4 worker processes) on Redis (a huey name of its own), an SMTP sink (an
   asyncio server in a subprocess, below) as TRACKER_SMTP_URL. The bench runs the real
   ``tasks.reminder_tick`` for the minute: it claims each reminder (ReminderClaim) and
   queues one ``send_reminder`` job each; the workers send them through
   tracker/jobs/email.py. Measured: from the tick's start to the last message at the sink,
   sends per second, and at the sink, that every reminder arrived exactly once.

Prints a summary; the last line is
``busiest_minute: due=N reminders=R select_ms=T select_cold_ms=C send_s=S sends_per_s=X
delivered=D distinct=U duplicates=0`` (send figures n/a with --no-send).

    .venv/bin/python tests/benchmarks/busiest_minute_bench.py [--users 100000]
        [--db-url postgresql://postgres@127.0.0.1:5432/] [--no-send] [--workers 4]
"""
import argparse
import asyncio
import copy
import os
import random
import subprocess
import sys
import tempfile
import time as clock
import urllib.parse
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# The jobs' queue: Redis, under a name of this run's own (set before tracker.jobs.tasks is
# imported: it makes its huey at import time). Other queues on the same Redis are untouched.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
HUEY_NAME = f"busiest-minute-bench-{os.getpid()}"
os.environ["TRACKER_REDIS_URL"] = REDIS_URL
os.environ["TRACKER_HUEY_NAME"] = HUEY_NAME

from peewee import PostgresqlDatabase  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.domain import library, plan_spec, schedule  # noqa: E402
from tracker.domain import reminder_select as select  # noqa: E402
from tracker.jobs import reminders as service  # noqa: E402
from tracker.jobs import tasks  # noqa: E402
from tracker.store import migrations  # noqa: E402
from tracker.store import plans as tracker_plans  # noqa: E402
from tracker.store.db import database  # noqa: E402
from tracker.store.models import (  # noqa: E402
    CheckOff,
    PhaseTransition,
    Plan,
    PlanPause,
    PlanRevision,
    ReminderClaim,
    ReminderPreference,
    User,
)

# Five different offsets: a local time is five different minutes.
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata",
         "Australia/Perth")
# The busiest minute is a real one, the next after the run starts, so that the tick's `now`
# and the workers' clock agree as in production (a tick run for a minute in the future
# would see the claims its workers are sending as leases long run out). The popular time,
# 08:00 in the issue, is that minute's wall time in Berlin; TODAY is Berlin's date then.
BUSIEST = TODAY = POPULAR = None


def plan_minute(now: datetime) -> None:
    global BUSIEST, TODAY, POPULAR
    BUSIEST = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    local = BUSIEST.astimezone(ZoneInfo(ZONES[0]))
    TODAY, POPULAR = local.date(), local.time().replace(tzinfo=None)


# Most clients are on an active plan with daily self-care; maintenance has it 3 days a week.
TEMPLATE_WEIGHTS = {"acute-therapist-led": 45, "self-guided-relief": 45, "maintenance": 10}
SECRET_KEY = "bench-secret-key"
BATCH = 500


# --- the data ---------------------------------------------------------------------------


def _bulk(model, fields: list, rows: list[tuple]) -> None:
    """Multi-row INSERTs with plain parameters, in the caller's transaction."""
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    table = model._meta.table_name
    size = max(1, min(BATCH, 30_000 // len(fields)))
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        database.execute_sql(
            f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([one] * len(batch)),
            [value for row in batch for value in row])


def _after_done(spec: dict) -> dict:
    """The spec with its first daily self-care item counted from when it was last done."""
    spec = copy.deepcopy(spec)
    for phase in spec["phases"]:
        for item in phase["items"]:
            if item["cadence"]["kind"] == "every_n_days" and item.get("kind") != "session":
                item["cadence"] = {**item["cadence"], "interval": 2, "anchor": "after_done"}
                return spec
    return spec


def seed(n: int, rng: random.Random) -> dict:
    """``n`` clients with plans, history and reminder settings, in one transaction."""
    started = clock.perf_counter()
    tracker_plans.seed_library()
    now = datetime.now(UTC)
    stamp = User.created_at.db_value(now)
    slugs = [t["slug"] for t in library.TEMPLATES]
    specs = {slug: plan_spec.PlanSpec.from_dict(library.template(slug)["spec"]) for slug in slugs}
    stored = {slug: PlanRevision.spec.db_value(spec.to_dict()) for slug, spec in specs.items()}
    revised = {slug: PlanRevision.spec.db_value(
        plan_spec.PlanSpec.from_dict(_after_done(library.template(slug)["spec"])).to_dict())
        for slug in slugs}
    history_days = [TODAY - timedelta(days=d) for d in (3, 2, 1, 0)]
    due_on: dict[tuple[str, date], list] = {}  # (slug, start) -> occurrences in the history

    def occurrences(slug: str, start: date) -> list:
        found = due_on.get((slug, start))
        if found is None:
            plan_in = schedule.PlanInput(start, (schedule.Revision(start, specs[slug]),))
            found = due_on[(slug, start)] = schedule.occurrences(
                plan_in, history_days[0], history_days[-1])
        return found

    people = []
    with database.atomic():
        _bulk(User, [User.email, User.name, User.password_hash, User.role, User.timezone,
                     User.link_key, User.safety_questions_due, User.created_at],
              [(f"c{i}@bench.example", f"Client {i}", "scrypt:unused", "client",
                ZONES[i % len(ZONES)], f"k{i:031d}", False, stamp) for i in range(n)])
        ids = [u.id for u in User.select(User.id).order_by(User.id)]
        plans = []
        weights = [TEMPLATE_WEIGHTS.get(slug, 10) for slug in slugs]
        for user_id in ids:
            slug = rng.choices(slugs, weights)[0]
            start = TODAY - timedelta(days=rng.randint(1, 120))
            plans.append((user_id, slug, start))
        _bulk(Plan, [Plan.client, Plan.created_by, Plan.title, Plan.template_slug, Plan.start,
                     Plan.status, Plan.suggestion_reason, Plan.created_at, Plan.version],
              [(u, u, library.template(s)["name"], s, start, Plan.ACTIVE, "", stamp, 0)
               for u, s, start in plans])
        plan_ids = [p.id for p in Plan.select(Plan.id).order_by(Plan.id)]
        revisions, transitions, pauses, checkoffs, prefs = [], [], [], [], []
        counts = {"after-done revisions": 0, "phase changes": 0, "pauses": 0}
        for plan_id, (user_id, slug, start) in zip(plan_ids, plans, strict=True):
            revisions.append((plan_id, start, stored[slug], user_id, stamp, ""))
            roll = rng.random()
            if roll < 0.10 and start < TODAY - timedelta(days=7):
                revisions.append((plan_id, start + timedelta(days=7), revised[slug], user_id,
                                  stamp, "after done"))
                counts["after-done revisions"] += 1
            elif roll < 0.15 and len(specs[slug].phases) > 1:
                transitions.append((plan_id, TODAY - timedelta(days=rng.randint(0, 20)), 1,
                                    "progress", user_id, stamp))
                counts["phase changes"] += 1
            elif roll < 0.18:
                scope = rng.choice(("all", "safety", "area", "self_care"))
                pauses.append((plan_id, TODAY - timedelta(days=rng.randint(0, 5)), None, scope,
                               '["lower_back"]' if scope == "area" else "[]", "bench",
                               user_id, stamp))
                counts["pauses"] += 1
            morning = rng.random() < 0.1  # some did part of today's routine before 08:00
            for o in occurrences(slug, start):
                if o.date < TODAY and rng.random() < 0.75 or (
                        o.date == TODAY and morning and rng.random() < 0.5):
                    checkoffs.append((plan_id, o.item.key, o.date, CheckOff.DONE, stamp))
            if rng.random() < 0.4:
                at = POPULAR
            else:
                at = time(rng.randint(6, 21), rng.choice((0, 15, 30, 45)))
            prefs.append((user_id, at, rng.random() < 0.5))
        _bulk(PlanRevision, [PlanRevision.plan, PlanRevision.effective_from, PlanRevision.spec,
                             PlanRevision.created_by, PlanRevision.created_at, PlanRevision.note],
              revisions)
        _bulk(PhaseTransition, [PhaseTransition.plan, PhaseTransition.on,
                                PhaseTransition.to_phase, PhaseTransition.reason,
                                PhaseTransition.created_by, PhaseTransition.created_at],
              transitions)
        _bulk(PlanPause, [PlanPause.plan, PlanPause.start, PlanPause.end, PlanPause.scope,
                          PlanPause.areas, PlanPause.reason, PlanPause.created_by,
                          PlanPause.created_at], pauses)
        _bulk(CheckOff, [CheckOff.plan, CheckOff.item_key, CheckOff.day, CheckOff.status,
                         CheckOff.logged_at], checkoffs)
        # Each user's next fire after the minute before the busiest, as the worker leaves it.
        before = BUSIEST - timedelta(minutes=1)
        rows = []
        for (user_id, selfcare, eve), (_u, _slug, _start), i in zip(
                prefs, plans, range(n), strict=True):
            settings = select.Preferences(timezone=ZONES[i % len(ZONES)], selfcare_time=selfcare,
                                          session_day_before=eve)
            rows.append((user_id, selfcare, None, eve, time(18, 0), True, False,
                         select.next_fire_at(settings, before), before, stamp))
        _bulk(ReminderPreference, [
            ReminderPreference.user, ReminderPreference.selfcare_time,
            ReminderPreference.second_time, ReminderPreference.session_day_before,
            ReminderPreference.session_day_before_time, ReminderPreference.email,
            ReminderPreference.push, ReminderPreference.next_fire_at,
            ReminderPreference.checked_until, ReminderPreference.updated_at],
            [tuple(ReminderPreference._meta.fields[name].db_value(v) for name, v in zip(
                ("user", "selfcare_time", "second_time", "session_day_before",
                 "session_day_before_time", "email", "push", "next_fire_at", "checked_until",
                 "updated_at"), row, strict=True)) for row in rows])
    people = {"users": n, "plans": len(plan_ids), "revisions": len(revisions),
              "check-offs": len(checkoffs), **counts,
              "seconds": clock.perf_counter() - started}
    return people


# --- selection ----------------------------------------------------------------------------


def time_selection(repeats: int = 3) -> dict:
    """select_due for the busiest minute: cold once, then the minimum of ``repeats``."""
    tracker_plans._SPEC_TEXTS.clear()
    tracker_plans._SPECS.clear()
    runs, cpu = [], []
    for _ in range(repeats + 1):
        started, started_cpu = clock.perf_counter(), clock.process_time()
        selected, states = service.select_due(BUSIEST)
        runs.append((clock.perf_counter() - started) * 1000)
        cpu.append((clock.process_time() - started_cpu) * 1000)
    reminders = [r for _row, _prefs, found in selected for r in found]
    return {"due": len(selected), "reminders": len(reminders), "cold_ms": runs[0],
            "ms": min(runs[1:]), "cpu_ms": min(cpu[1:]), "engine_runs": len(states._occurrences),
            "plans": len(states.inputs)}


# --- sending ------------------------------------------------------------------------------


async def _smtp_session(reader, writer, out) -> None:
    """Just enough SMTP for smtplib: one line per message received (time, recipients)."""
    writer.write(b"220 sink ESMTP\r\n")
    rcpts: list[str] = []
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"MAIL":
            rcpts = []
            writer.write(b"250 OK\r\n")
        elif verb == b"RCPT":
            rcpts.append(line.decode().split(":", 1)[1].split()[0].strip("<>"))
            writer.write(b"250 OK\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while await reader.readline() not in (b".\r\n", b""):
                pass
            out.write(f"{clock.time():.6f}\t{','.join(rcpts)}\n")
            out.flush()
            writer.write(b"250 OK queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:  # RSET, NOOP
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


def run_sink(port: int, path: str) -> None:
    async def serve():
        with open(path, "a") as out:
            server = await asyncio.start_server(
                lambda r, w: _smtp_session(r, w, out), "127.0.0.1", port)
            async with server:
                await server.serve_forever()

    asyncio.run(serve())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _received(path: Path) -> list[tuple[float, str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        at, rcpt = line.split("\t")
        rows.append((float(at), rcpt))
    return rows


def send_minute(db_url: str, tmp: Path, expected: int, workers: int) -> dict:
    """The busiest minute's tick with the real task, sent by ``workers`` huey processes."""
    port = _free_port()
    sink_file = tmp / "sink.log"
    sink = subprocess.Popen([sys.executable, __file__, "--sink", str(port), str(sink_file)])
    env = {**os.environ, "TRACKER_DATABASE_URL": db_url, "TRACKER_SECRET_KEY": SECRET_KEY,
           "TRACKER_SMTP_URL": f"smtp://127.0.0.1:{port}", "TRACKER_REDIS_URL": REDIS_URL,
           "TRACKER_HUEY_NAME": HUEY_NAME, "TRACKER_INSTANCE_PATH": str(tmp / "instance"),
           "TRACKER_BASE_URL": "https://care.bench.example", "PYTHONPATH": str(ROOT)}
    with open(tmp / "consumer.log", "w") as log:
        consumer = subprocess.Popen(
            [str(ROOT / ".venv/bin/huey_consumer"), "tracker.jobs.worker.huey",
             "-w", str(workers), "-k", "process", "-n", "-q"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    huey = tasks.huey
    try:
        # Warm workers, as a running worker is: each builds its app on its first job (a
        # send of a claim that does not exist: nothing is sent).
        for _ in range(4 * workers):
            tasks.send_reminder(0, BUSIEST.isoformat())
        deadline = clock.time() + 60
        while huey.pending_count() and clock.time() < deadline:
            clock.sleep(0.2)
        clock.sleep(2)
        # The minute starts: the periodic task's body, as the worker runs it.
        app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": SECRET_KEY,
                          "SMTP_URL": f"smtp://127.0.0.1:{port}",
                          "BASE_URL": "https://care.bench.example",
                          "INSTANCE_PATH": str(tmp / "instance")})
        tasks.app_factory = lambda: app
        tasks._app = None
        start = clock.time()
        handled = tasks.reminder_tick.call_local(BUSIEST.isoformat())
        tick_s = clock.time() - start
        deadline = start + 600
        while len(_received(sink_file)) < expected and clock.time() < deadline:
            if consumer.poll() is not None:
                raise RuntimeError((tmp / "consumer.log").read_text()[-3000:])
            clock.sleep(0.25)
        clock.sleep(2)  # anything more (a duplicate) would arrive now
        received = _received(sink_file)
    finally:
        consumer.terminate()
        try:
            consumer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            consumer.kill()
        sink.terminate()
        sink.wait(timeout=10)
        huey.flush()
    with app.app_context(), database.connection_context():
        statuses = {}
        for claim in ReminderClaim.select(ReminderClaim.status):
            statuses[claim.status] = statuses.get(claim.status, 0) + 1
    last = max((at for at, _ in received), default=start)
    first = min((at for at, _ in received), default=start)
    rcpts = [r for _, r in received]
    return {"handled": handled, "tick_s": tick_s, "delivered": len(received),
            "distinct": len(set(rcpts)), "duplicates": len(rcpts) - len(set(rcpts)),
            "send_s": last - start, "sends_per_s": len(received) / max(last - first, 1e-9),
            "claims": statuses}


# --- the run ------------------------------------------------------------------------------


@contextmanager
def fresh_database(url: str | None, name: str | None = None):
    """A new empty database's URL: a temp SQLite file, or a PostgreSQL database made anew
    on ``url``'s server, named ``name`` (else the URL's own, else "tracker_bench"), dropped
    at the end. tests/benchmarks/bench.py and today_profile.py use it too."""
    if not url:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/{name or 'bench'}.db"
        return
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    name = name or parts.path.strip("/") or "tracker_bench"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    def admin(sql: str) -> None:
        conn = psycopg2.connect(admin_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        if database.obj is not None and not database.is_closed():
            database.close()
        if database.obj is not None and hasattr(database.obj, "close_all"):
            database.obj.close_all()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def analyze() -> None:
    """PostgreSQL: statistics for the planner after the bulk load, as autovacuum's
    autoanalyze gives a live database after large changes. Without them the planner guesses
    at tables it thinks are empty (the selection took 2.2 s of wall time for 0.78 s of its
    own CPU; 0.9 s with them). SQLite is left as the app runs it (no ANALYZE)."""
    if isinstance(database.obj, PostgresqlDatabase):
        database.execute_sql("ANALYZE")


def run(users: int, db_url: str | None, send: bool, workers: int) -> dict:
    rng = random.Random(20)
    plan_minute(datetime.now(UTC))
    with fresh_database(db_url, "tracker_busiest_minute") as url, \
            tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
                          "INSTANCE_PATH": str(Path(tmp) / "instance")})
        with app.app_context(), database.connection_context():
            migrations.upgrade()
            counts = seed(users, rng)
            analyze()
            print("  seeded " + ", ".join(f"{v:,} {k}" for k, v in counts.items()
                                          if k != "seconds") + f" in {counts['seconds']:.1f} s")
            selection = time_selection()
        print(f"  busiest minute {BUSIEST:%Y-%m-%d %H:%M} UTC: {selection['due']:,} users due, "
              f"{selection['reminders']:,} reminders ({selection['plans']:,} plans loaded, "
              f"{selection['engine_runs']:,} distinct engine runs)")
        print(f"  selection: {selection['ms']:.0f} ms (min of 3; this process's CPU "
              f"{selection['cpu_ms']:.0f} ms), cold {selection['cold_ms']:.0f} ms")
        result = {"selection": selection, "send": None}
        if send:
            if database.obj is not None and not database.is_closed():
                database.close()
            sent = send_minute(url, Path(tmp), selection["reminders"], workers)
            result["send"] = sent
            print(f"  tick (claims, {sent['handled']:,} jobs queued, next fires stored): "
                  f"{sent['tick_s']:.1f} s")
            print(f"  sent by {workers} huey worker processes: last of {sent['delivered']:,} "
                  f"at the sink {sent['send_s']:.1f} s after the minute's start, "
                  f"{sent['sends_per_s']:.0f} sends/s; {sent['distinct']:,} distinct recipients, "
                  f"{sent['duplicates']} duplicates; claims {sent['claims']}")
    return result


def summary(result: dict) -> str:
    s, sent = result["selection"], result["send"]
    line = (f"busiest_minute: due={s['due']} reminders={s['reminders']} "
            f"select_ms={s['ms']:.0f} select_cpu_ms={s['cpu_ms']:.0f} "
            f"select_cold_ms={s['cold_ms']:.0f}")
    if sent is None:
        return line + " send_s=n/a sends_per_s=n/a delivered=n/a distinct=n/a duplicates=n/a"
    return line + (f" send_s={sent['send_s']:.1f} sends_per_s={sent['sends_per_s']:.0f} "
                   f"delivered={sent['delivered']} distinct={sent['distinct']} "
                   f"duplicates={sent['duplicates']}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--sink":
        run_sink(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--db-url", default="",
                        help="a PostgreSQL server URL, e.g. postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--no-send", action="store_true", help="time the selection only")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    kind = "PostgreSQL" if args.db_url else "SQLite"
    print(f"Busiest minute on {kind}, {args.users:,} users (load: {os.getloadavg()[0]:.1f})")
    result = run(args.users, args.db_url or None, not args.no_send, args.workers)
    print(summary(result))


if __name__ == "__main__":
    main()
