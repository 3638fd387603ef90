"""Benchmark the app as it is served: gunicorn, a seeded database, wrk at 32 connections.

Not a test (pytest does not collect it); ``make bench`` runs it.

1. A fresh database: a temp SQLite file, or PostgreSQL when ``BENCH_DATABASE_URL`` is set
   (e.g. ``postgresql://postgres@127.0.0.1:5432/tracker_bench``; created, dropped after).
   The schema comes from the migrations, as ``flask db upgrade`` makes it.
2. Seeds 100 therapists and 2,000 clients; each client has a plan copied from a built-in
   template that started 90 days ago, about 3 in 4 of its past items checked off, and a
   check-in on most days (bulk inserts).
3. Serves the app and a minimal Flask app answering "ok" (tests/benchmarks/ok_app.py) with
   gunicorn and the same settings (tracker/jobs/gunicorn_conf.py) on free ports of 127.0.0.1,
   and runs wrk against: "ok"; GET /today, logged in, for 40 clients in turn; the
   check-off POST (htmx, CSRF header), toggling items of those clients done and undone; and
   the logged-in floor (/offline/session). The last three take turns, ``--rounds`` times
   (3), and each keeps its best round (a busy spell on the machine touches all alike).
4. Counts the SQL statements of one /today, and runs the busiest reminder minute of 100,000
   users with plans (tests/benchmarks/busiest_minute_bench.py) on the same kind of database:
   T is the minute's selection (min of 3), S the time from the minute's start until its last
   email reaches an SMTP sink, sent by 4 huey worker processes on Redis.

Prints a table; the last line is (issue 20)
``bench: today_floor_ratio=R1 checkoff_floor_ratio=R2 today_p99_ms=P1 checkoff_p99_ms=P2
today_queries=Q tick_busiest_minute_ms=T send_busiest_minute_s=S`` (ratios: requests/s
against the logged-in floor's, /offline/session, in the same run; S is n/a with --no-send).

    .venv/bin/python tests/benchmarks/bench.py [--duration 10] [--tick-users 100000]
        [--no-send]
"""
import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time as clock
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import busiest_minute_bench  # noqa: E402  (first: it names the jobs' queue before tracker loads)
from busiest_minute_bench import fresh_database  # noqa: E402,F401 (today_profile.py too)
from werkzeug.security import generate_password_hash  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.domain import library, plan_spec, schedule  # noqa: E402
from tracker.store import migrations  # noqa: E402
from tracker.store import plans as tracker_plans  # noqa: E402
from tracker.store.db import database  # noqa: E402
from tracker.store.models import (  # noqa: E402
    CareLink,
    CheckIn,
    CheckOff,
    Plan,
    PlanRevision,
    ReminderPreference,
    User,
)

PASSWORD = "bench-password"
SECRET_KEY = "bench-secret-key"
ZONES = ["Europe/London", "America/New_York", "Europe/Berlin", "America/Los_Angeles",
         "Australia/Sydney", "Asia/Kolkata"]
BATCH = 500  # rows per INSERT: well under SQLite's parameter limit
CSRF_FORM = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CHECK_ACTION = re.compile(r'action="(/today/\d{4}-\d\d-\d\d/[^"/]+)"')
TARGETS = {"today_floor_ratio": ">= 0.5", "checkoff_floor_ratio": ">= 0.5",
           "today_p99_ms": "< 50", "checkoff_p99_ms": "< 50", "today_queries": "<= 8",
           "tick_busiest_minute_ms": "< 1000", "send_busiest_minute_s": "< 60"}


# --- the database ---------------------------------------------------------------------


def _close_database() -> None:
    """Close this process's connections (all of them when pooled)."""
    if database.obj is None:
        return
    if not database.is_closed():
        database.close()
    if hasattr(database.obj, "close_all"):
        database.obj.close_all()


def _insert(model, rows: list[dict]) -> None:
    with database.atomic():
        for start in range(0, len(rows), BATCH):
            model.insert_many(rows[start:start + BATCH]).execute()


def _bulk(model, fields: list, rows: list[tuple]) -> None:
    """Many rows in multi-row INSERTs with plain parameters: ~10x faster than building
    each row through peewee, for the hundreds of thousands of check-offs."""
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    table = model._meta.table_name
    with database.atomic():
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            database.execute_sql(
                f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([one] * len(batch)),
                [value for row in batch for value in row])


def _ids(model, field, prefix: str) -> list[int]:
    return [r.id for r in model.select(model.id).where(field.startswith(prefix))
            .order_by(model.id)]


def seed(therapists: int, clients: int, days: int, today: date, rng: random.Random) -> dict:
    """The benchmark's people, plans and history; returns counts for the table."""
    started = clock.perf_counter()
    password_hash = generate_password_hash(PASSWORD, method="scrypt")  # one hash, shared
    tracker_plans.seed_library()
    people = [{"email": f"therapist{i}@bench.example", "name": f"Therapist {i}",
               "password_hash": password_hash, "role": "therapist",
               "timezone": ZONES[i % len(ZONES)]}
              for i in range(therapists)]
    people += [{"email": f"client{i}@bench.example", "name": f"Client {i}",
                "password_hash": password_hash, "role": "client",
                "timezone": ZONES[i % len(ZONES)]}
               for i in range(clients)]
    _insert(User, people)
    therapist_ids = _ids(User, User.email, "therapist")
    client_ids = _ids(User, User.email, "client")
    links, plan_rows = [], []
    start = today - timedelta(days=days - 1)
    slugs = [t["slug"] for t in library.TEMPLATES]
    for i, client_id in enumerate(client_ids):
        therapist_id = therapist_ids[i % len(therapist_ids)]
        links.append({"therapist": therapist_id, "client": client_id})
        slug = slugs[i % len(slugs)]
        plan_rows.append({"client": client_id, "therapist": therapist_id,
                          "created_by": therapist_id, "title": library.template(slug)["name"],
                          "template_slug": slug, "start": start})
    _insert(CareLink, links)
    _insert(Plan, plan_rows)
    plan_ids = [p.id for p in Plan.select(Plan.id).order_by(Plan.id)]
    # Each template's spec checked by the engine, as plans.create_from_template does.
    specs = {slug: plan_spec.PlanSpec.from_dict(library.template(slug)["spec"]) for slug in slugs}
    revisions, checkoffs, checkins, prefs = [], [], [], []
    logged_at = CheckOff.logged_at.db_value(datetime.now(UTC))
    past = {slug: schedule.occurrences(
        schedule.PlanInput(start, (schedule.Revision(start, spec),)), start,
        today - timedelta(days=1)) for slug, spec in specs.items()}
    for i, (plan_id, row) in enumerate(zip(plan_ids, plan_rows, strict=True)):
        slug = row["template_slug"]
        revisions.append({"plan": plan_id, "effective_from": start,
                          "spec": specs[slug].to_dict(), "created_by": row["therapist"]})
        for occurrence in past[slug]:
            if rng.random() < 0.75:
                checkoffs.append((plan_id, occurrence.item.key, occurrence.date.isoformat(),
                                  CheckOff.DONE, logged_at))
        for d in range(days - 1):
            if rng.random() < 0.7:
                checkins.append((row["client"], (start + timedelta(days=d)).isoformat(),
                                 rng.randint(0, 8), rng.randint(0, 8), False, False, "", "[]",
                                 "[]", False, logged_at, logged_at))
        prefs.append({"user": client_ids[i], "email": True,
                      "selfcare_time": f"{rng.randint(6, 21):02d}:00"})
    _insert(PlanRevision, revisions)
    _bulk(CheckOff, [CheckOff.plan, CheckOff.item_key, CheckOff.day, CheckOff.status,
                     CheckOff.logged_at], checkoffs)
    _bulk(CheckIn, [CheckIn.client, CheckIn.day, CheckIn.back_pain, CheckIn.leg_pain,
                    CheckIn.numbness, CheckIn.weakness, CheckIn.note, CheckIn.red_flags,
                    CheckIn.contraindications, CheckIn.soreness, CheckIn.created_at,
                    CheckIn.updated_at], checkins)
    _insert(ReminderPreference, prefs)
    return {"users": len(people), "plans": len(plan_ids), "check-offs": len(checkoffs),
            "check-ins": len(checkins), "seconds": clock.perf_counter() - started}


# --- serving and load -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict, log: Path, pythonpath: str | None = None):
    """gunicorn serving ``app`` with tracker/jobs/gunicorn_conf.py; yields its base URL."""
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", "python:tracker.jobs.gunicorn_conf"]
    if pythonpath:
        command += ["--pythonpath", pythonpath]
    server_env = {**env, "TRACKER_BIND": f"127.0.0.1:{port}", "TRACKER_ACCESS_LOG": ""}
    with open(log, "w") as out:
        proc = subprocess.Popen([*command, app], cwd=ROOT, env=server_env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text()) from None
                clock.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Visitor:
    """A client logged in through the real form: its cookie, CSRF token and items today."""

    def __init__(self, base: str, email: str):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = CSRF_FORM.search(opener.open(base + "/login").read().decode())[1]
        form = {"email": email, "password": PASSWORD, "csrf_token": token}
        opener.open(base + "/login", data=urllib.parse.urlencode(form).encode())
        page = opener.open(base + "/today").read().decode()
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        self.csrf = CSRF_HEADER.search(page)[1]
        self.check_paths = CHECK_ACTION.findall(page)


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for these values


def lua_today(visitors: list[Visitor], path: str = "/today") -> str:
    rows = ",\n".join(f"  {_lua_string(v.cookie)}" for v in visitors)
    return f"""local cookies = {{
{rows}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "{path}", {{["Cookie"] = cookies[(i % #cookies) + 1]}})
end
"""


def lua_checkoff(visitors: list[Visitor]) -> str:
    rows = ",\n".join(
        f"  {{{_lua_string(v.cookie)}, {_lua_string(v.csrf)}, {_lua_string(path)}}}"
        for v in visitors for path in v.check_paths
    )
    return f"""local posts = {{
{rows}
}}
local done = {{}}
local i = 0
request = function()
  i = i + 1
  local n = (i % #posts) + 1
  local p = posts[n]
  done[n] = not done[n]
  local headers = {{["Cookie"] = p[1], ["X-CSRFToken"] = p[2], ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded"}}
  return wrk.format("POST", p[3], headers, done[n] and "done=1" or "done=0")
end
"""


def wrk(url: str, connections: int, seconds: int, script: Path | None = None) -> dict:
    """requests/s and p99 latency (ms) from wrk --latency; fails on any error response."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad:
        raise RuntimeError(f"wrk got {bad[1]} error responses from {url}:\n{out}")
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99[2]]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
            "p99": float(p99[1]) * scale, "errors": errors[1] if errors else "none"}


# --- counted in-process -------------------------------------------------------------------


def today_queries(url: str, email: str, instance: Path) -> int:
    """SQL statements of one /today for a logged-in client (the second visit: warm)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False,
                      "INSTANCE_PATH": str(instance)})
    client = app.test_client()
    token = CSRF_FORM.search(client.get("/login").get_data(as_text=True))[1]
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert client.get("/today").status_code == 200
    count = 0
    real = database.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        nonlocal count
        count += 1
        return real(sql, params, *args, **kwargs)

    database.obj.execute_sql = counting
    try:
        assert client.get("/today").status_code == 200
    finally:
        del database.obj.execute_sql
    return count


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--therapists", type=int, default=100)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--visitors", type=int, default=40, help="clients wrk acts as")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns of /today, the check-off and the floor (the best counts)")
    parser.add_argument("--tick-users", type=int, default=100_000)
    parser.add_argument("--no-send", action="store_true",
                        help="time the busiest minute's selection only, not its sending")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make bench` installs Debian's wrk")
    url = os.environ.get("BENCH_DATABASE_URL", "").strip() or None
    kind = "PostgreSQL" if url else "SQLite"
    workers = os.environ.get("TRACKER_WORKERS") or str(2 * (os.cpu_count() or 1) + 1)
    print(f"Benchmark on {kind}; gunicorn with {workers} workers, {os.cpu_count()} cores; "
          f"wrk {args.connections} connections, {args.duration} s a run, "
          f"{args.rounds} rounds of the pages and the floor (best of each)")
    rng = random.Random(8)
    results: dict[str, dict] = {}
    with fresh_database(url) as db_url, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        instance = tmp / "instance"  # never the repository's instance/ folder
        app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": SECRET_KEY,
                          "INSTANCE_PATH": str(instance)})
        with app.app_context():
            migrations.upgrade()
            with database.connection_context():
                counts = seed(args.therapists, args.clients, args.days,
                              datetime.now(UTC).date(), rng)
                busiest_minute_bench.analyze()  # PostgreSQL: the planner's statistics
        _close_database()
        print(f"  seeded {counts['users']:,} users, {counts['plans']:,} plans, "
              f"{counts['check-offs']:,} check-offs, {counts['check-ins']:,} check-ins "
              f"in {counts['seconds']:.1f} s")
        env = {**os.environ, "TRACKER_DATABASE_URL": db_url, "TRACKER_SECRET_KEY": SECRET_KEY,
               "TRACKER_RATELIMIT_ENABLED": "false", "TRACKER_WORKERS": workers,
               "TRACKER_INSTANCE_PATH": str(instance)}
        env.pop("TRACKER_REDIS_URL", None)
        env.pop("TRACKER_HUEY_NAME", None)
        visitors_emails = [f"client{i}@bench.example"
                           for i in rng.sample(range(args.clients), args.visitors)]
        queries = today_queries(db_url, visitors_emails[0], instance)
        _close_database()
        with gunicorn("ok_app:app", env, tmp / "ok.log", str(ROOT / "tests/benchmarks")) as base:
            wrk(base + "/", args.connections, 2)  # warm-up
            results["ok"] = wrk(base + "/", args.connections, args.duration)
        with gunicorn("wsgi:app", env, tmp / "app.log") as base:
            visitors = [Visitor(base, email) for email in visitors_emails]
            (tmp / "today.lua").write_text(lua_today(visitors))
            (tmp / "checkoff.lua").write_text(lua_checkoff(visitors))
            posts = sum(len(v.check_paths) for v in visitors)
            print(f"  {len(visitors)} clients logged in; {posts} items to check off in turn")
            wrk(base, args.connections, 2, tmp / "today.lua")  # warm-up
            # The floor: the least a logged-in request costs in this app (the session, the
            # user from the database, a CSRF token, a little JSON). The three runs take
            # turns, --rounds times, and each keeps its best round: whatever else slows the
            # machine for a while then touches all three alike, not one of them.
            (tmp / "session.lua").write_text(lua_today(visitors, "/offline/session"))
            scripts = {"/today": "today.lua", "check-off POST": "checkoff.lua",
                       "logged-in floor": "session.lua"}
            runs: dict[str, list[dict]] = {name: [] for name in scripts}
            for _ in range(args.rounds):
                for name, script in scripts.items():
                    runs[name].append(wrk(base, args.connections, args.duration, tmp / script))
            for name, each in runs.items():
                results[name] = max(each, key=lambda r: r["rps"])
                print(f"  {name}: " + ", ".join(f"{r['rps']:.0f} req/s (p99 {r['p99']:.1f} ms)"
                                                for r in each))
            # For scale, not a target: a request that touches the database without a login.
            results["/healthz"] = wrk(base + "/healthz", args.connections, args.duration)
    print(f"Busiest reminder minute, {args.tick_users:,} users with plans "
          f"(tests/benchmarks/busiest_minute_bench.py):")
    _close_database()
    minute = busiest_minute_bench.run(args.tick_users, url, not args.no_send, 4)
    floor = results["logged-in floor"]["rps"]
    sent = minute["send"]
    figures = {
        "today_floor_ratio": results["/today"]["rps"] / floor,
        "checkoff_floor_ratio": results["check-off POST"]["rps"] / floor,
        "today_p99_ms": results["/today"]["p99"],
        "checkoff_p99_ms": results["check-off POST"]["p99"],
        "today_queries": queries,
        "tick_busiest_minute_ms": minute["selection"]["ms"],
        "send_busiest_minute_s": sent["send_s"] if sent else None,
    }
    ok = results["ok"]["rps"]
    print()
    print(f"{'endpoint':<16} {'req/s':>9} {'/ ok':>6} {'/ floor':>8} {'p99 ms':>8}  socket errors")
    for name, r in results.items():
        print(f"{name:<16} {r['rps']:>9.0f} {r['rps'] / ok:>6.2f} {r['rps'] / floor:>8.2f} "
              f"{r['p99']:>8.1f}  {r['errors']}")
    print(f"SQL statements of one /today: {queries}")
    print(busiest_minute_bench.summary(minute))
    print("targets: " + ", ".join(f"{k} {v}" for k, v in TARGETS.items()))
    print("bench: " + " ".join(f"{k}={_figure(k, v)}" for k, v in figures.items()))


def _figure(name: str, value) -> str:
    if value is None:
        return "n/a"
    if name.endswith("ratio"):
        return f"{value:.2f}"
    if name.endswith("queries") or name.endswith("_ms") and "busiest" in name:
        return f"{value:.0f}"
    return f"{value:.1f}"

if __name__ == "__main__":
    main()
