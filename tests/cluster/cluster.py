"""`make test-cluster`: two app hosts behind HAProxy, one killed mid-load (issue 20, part 3).

Not a pytest test (it starts real servers and takes about three minutes). What it runs:

- a fresh PostgreSQL database (created on 127.0.0.1:5432 and dropped at the end) and a Redis
  database (``redis://127.0.0.1:6379/14``, emptied first), shared by both hosts;
- two app hosts, each a gunicorn (``make serve``'s config, 2 sync workers) on its own loopback
  address (127.0.0.2 and 127.0.0.3, port 8000) with its own instance folder, and a huey worker
  (``huey_consumer tracker.jobs.worker.huey``) beside it; the same secret and push keys;
- Debian's HAProxy on 127.0.0.1 in front, round robin, checking ``GET /healthz`` every second,
  connection failures retried on the other host (the configuration is README's example);
- an SMTP sink (aiosmtpd) that every reminder email goes to, counting each recipient.

Then, in one run:

1. **Login limit shared.** A wrong password for one account is sent to each host directly in
   turn until the limit (5 in this run); the next attempt on either host, the right password
   too, is refused (429). The per-address limit likewise, through ``X-Forwarded-For`` (the
   hosts trust one proxy): its counter is in Redis.
2. **Load with a kill.** 16 clients log in through the balancer, then each loops: open /today,
   check an item off, check in with a pain score. Halfway through, host B's gunicorn (master
   and workers) gets SIGKILL. Every answer is recorded: acknowledged (2xx/3xx) or not.
3. **Nothing acknowledged is lost.** Every acknowledged check-off is in the database, done;
   each client's last acknowledged check-in is there with its score (or a later, unanswered
   one's). Each client's next request, with the same cookies, succeeds on the remaining host
   without logging in again.
4. **Reminders exactly once.** 400 clients set a reminder for one local minute soon after the
   start, across 5 time zones; both workers tick every minute. The sink must receive one
   email for each, none twice.

It prints a summary and exits non-zero when a check fails.

    .venv/bin/python tests/cluster/cluster.py [--clients 16] [--seconds 24] [--reminders 400]
"""
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time as clock
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
PG_ADMIN = os.environ.get("CLUSTER_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/14")
HOSTS = {"a": "127.0.0.2", "b": "127.0.0.3"}
APP_PORT = 8000
PASSWORD = "cluster-password-1"
ADDRESS_LIMIT = 30  # login attempts per address in this run (the load's logins share 127.0.0.1)
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
         "America/Los_Angeles"]
CSRF_FORM = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CHECK_ACTION = re.compile(r'action="/today/(\d{4}-\d\d-\d\d)/([^"/]+)"')

# What a request can die of when its host does: a refused or reset connection (OSError), or
# a response cut off after its headers (http.client.IncompleteRead and its kin).
LOST = (OSError, http.client.HTTPException)

HAPROXY_CFG = """\
# The load balancer of `make test-cluster` (README: "Running in production").
global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # a request whose connection failed (a host just died) goes to the other host
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    option forwardfor

frontend care
    bind {lb}
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
    http-response set-header X-Served-By %s
{servers}
"""


def fail(message: str) -> None:
    raise SystemExit(f"cluster: FAILED: {message}")


def need_tools() -> None:
    if shutil.which("haproxy") is None:
        fail("haproxy is not installed (make test-cluster installs Debian's package)")
    import psycopg2
    import redis

    try:
        psycopg2.connect(PG_ADMIN).close()
    except psycopg2.Error as exc:
        fail(f"no PostgreSQL at {PG_ADMIN}: {exc}")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        fail(f"no Redis at {REDIS_URL}: {exc}")


@contextmanager
def postgres_database():
    import psycopg2

    name = f"tracker_cluster_{os.getpid()}_{secrets.token_hex(3)}"
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class Sink:
    """An SMTP server that counts what it receives, by recipient."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
                with sink.lock:
                    for rcpt in envelope.rcpt_tos:
                        sink.received[rcpt.lower()] += 1
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            if proc.poll() is not None:
                break
            clock.sleep(0.2)
    fail(f"{url} never became healthy:\n{log.read_text()[-3000:]}")


@contextmanager
def process(command: list[str], env: dict, log: Path):
    """A process in its own session (so the whole group can be killed), stopped at the end."""
    out = open(log, "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.close()


def seed(env: dict, clients: int, reminders: int, spare: int) -> dict:
    """The accounts (in this process, through the store, on the shared database)."""
    os.environ.update(env)
    from tracker import create_app
    from tracker.store import plans, reminder_settings
    from tracker.store.db import database
    from tracker.store.models import User

    app = create_app()
    now = datetime.now(UTC)
    # The reminder minute: two to three minutes ahead, so both workers' ticks are running.
    fire = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    with app.app_context(), database.connection_context():
        plans.seed_library()
        people = {"load": [], "reminder": [], "spare": []}
        for kind, count in (("load", clients), ("reminder", reminders), ("spare", spare)):
            for i in range(count):
                zone = ZONES[i % len(ZONES)]
                user = User.create_account(f"{kind}{i}@cluster.example", f"{kind.title()} {i}",
                                           PASSWORD, "client", zone)
                today = plans.local_today(user, now)
                plans.create_from_template(user, "self-guided-relief", today,
                                           created_by=user)
                if kind == "reminder":
                    pref = reminder_settings.preference_for(user)
                    local = fire.astimezone(__import__("zoneinfo").ZoneInfo(zone))
                    pref.selfcare_time = local.time().replace(second=0, microsecond=0)
                    pref.second_time = None
                    pref.session_day_before = False
                    pref.email = True
                    pref.push = False
                    reminder_settings.reschedule(pref, user, now)
                people[kind].append(user.email)
    database.close()
    return {**people, "fire": fire}


class Browser:
    """One person's cookies and CSRF token, talking to one base URL."""

    def __init__(self, base: str, email: str):
        self.base, self.email = base, email
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())
        self.csrf = ""

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = None if data is None else urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=20) as resp:
                return resp.status, resp.read().decode(), resp.headers.get("X-Served-By", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.headers.get("X-Served-By", "")

    def login(self, password: str = PASSWORD, headers: dict | None = None) -> int:
        status, page, _ = self.request("/login", headers=headers)
        token = CSRF_FORM.search(page)[1]
        status, _, _ = self.request("/login", {"email": self.email, "password": password,
                                               "csrf_token": token}, headers)
        return status


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


@dataclass
class Record:
    requests: int = 0
    errors_before: int = 0
    errors_after: int = 0
    checkoffs: list = field(default_factory=list)  # acknowledged (email, day, key)
    checkins: dict = field(default_factory=dict)  # email -> [(value, acknowledged)]
    served: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def journey(browser: Browser, stop: threading.Event, killed: threading.Event, record: Record,
            rng: random.Random) -> None:
    done: set[tuple[str, str]] = set()
    while not stop.is_set():
        def note(ok: bool, served: str = "") -> None:
            # An answer that fails once the kill has begun (the flag is set just before it)
            # counts after it: a response cut off mid-body by the dying host is one of those.
            with record.lock:
                record.requests += 1
                record.served[served or "?"] += 1
                if not ok:
                    if killed.is_set():
                        record.errors_after += 1
                    else:
                        record.errors_before += 1

        try:
            status, page, served = browser.request("/today")
        except LOST:
            note(False)
            continue
        note(status == 200, served)
        if status != 200:
            continue
        browser.csrf = CSRF_HEADER.search(page)[1]
        todo = [m for m in CHECK_ACTION.findall(page) if m not in done]
        if todo:
            day, key = rng.choice(todo)
            try:
                status, _, served = browser.request(
                    f"/today/{day}/{key}", {"done": "1", "op_id": secrets.token_hex(8)},
                    {"X-CSRFToken": browser.csrf, "HX-Request": "true"})
                ok = status == 200
            except LOST:
                ok, served = False, ""
            note(ok, served)
            if ok:
                done.add((day, key))
                with record.lock:
                    record.checkoffs.append((browser.email, day, key))
        value = rng.randint(0, 10)
        form = {"back_pain": str(rng.randint(0, 10)), "leg_pain": str(value),
                "anything_new": "no", "csrf_token": ""}
        try:
            status, page, _ = browser.request("/checkin")
            token = CSRF_FORM.search(page)[1] if status == 200 else ""
            form["csrf_token"] = token
            status, _, served = browser.request("/checkin", form)
            ok = status in (200, 302, 303)
        except LOST:
            ok, served = False, ""
        note(ok, served)
        with record.lock:
            record.checkins.setdefault(browser.email, []).append((value, ok))


def check_login_limit(spare: list[str], lb: str) -> list[str]:
    """The per-account and per-address limits hold across both hosts."""
    lines = []
    a, b = (f"http://{HOSTS[h]}:{APP_PORT}" for h in ("a", "b"))
    email = spare[0]
    statuses = []
    for i in range(5):  # TRACKER_LOGIN_LIMIT_PER_ACCOUNT below: 5 per 15 minutes
        statuses.append(Browser(a if i % 2 == 0 else b, email).login("wrong password 1"))
    right_a = Browser(a, email).login()
    right_b = Browser(b, email).login()
    if statuses != [422] * 5 or (right_a, right_b) != (429, 429):
        fail(f"per-account limit: wrong passwords {statuses}, then the right one on A "
             f"{right_a}, on B {right_b} (want 5 x 422, then 429 on both)")
    lines.append(f"login limit per account: 5 wrong passwords alternating A/B -> {statuses}; "
                 f"right password then refused on A ({right_a}) and B ({right_b})")
    # Per address (Redis): logins from one address (forwarded, as from the balancer),
    # alternating hosts; the limit counts them together.
    forwarded = {"X-Forwarded-For": "203.0.113.77"}
    statuses = [Browser(a if i % 2 == 0 else b, spare[1]).login(headers=forwarded)
                for i in range(ADDRESS_LIMIT + 1)]
    if statuses[:-1].count(429) or statuses[-1] != 429:
        fail(f"per-address limit across hosts: {statuses} "
             f"(want {ADDRESS_LIMIT} answered, then 429)")
    lines.append(f"login limit per address (Redis): {ADDRESS_LIMIT} logins from one address "
                 f"alternating A/B answered, the next refused ({statuses[-1]})")
    return lines


def verify_writes(env: dict, record: Record) -> list[str]:
    from tracker.store.db import database
    from tracker.store.models import CheckIn, CheckOff, Plan, User

    lost = []
    with database.connection_context():
        for email, day, key in record.checkoffs:
            row = (CheckOff.select().join(Plan).join(User, on=(Plan.client == User.id))
                   .where((User.email == email) & (CheckOff.item_key == key)
                          & (CheckOff.day == day)).first())
            if row is None or getattr(row, "status", "done") not in ("done",):
                lost.append(f"check-off {email} {day} {key}")
        checked_ins = 0
        for email, attempts in record.checkins.items():
            acked = [i for i, (_, ok) in enumerate(attempts) if ok]
            if not acked:
                continue
            last = acked[-1]
            allowed = {value for value, _ in attempts[last:]}
            row = (CheckIn.select().join(User, on=(CheckIn.client == User.id))
                   .where(User.email == email).order_by(CheckIn.day.desc()).first())
            checked_ins += 1
            if row is None or row.leg_pain not in allowed:
                lost.append(f"check-in {email}: stored {getattr(row, 'leg_pain', None)}, "
                            f"acknowledged {attempts[last][0]}")
    if lost:
        fail("acknowledged writes lost: " + "; ".join(lost[:10]))
    return [f"writes checked: {len(record.checkoffs)} acknowledged check-offs all stored done; "
            f"{checked_ins} clients' last acknowledged check-in stored"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=24)
    parser.add_argument("--reminders", type=int, default=400)
    args = parser.parse_args()
    need_tools()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    started = clock.monotonic()
    summary: list[str] = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cluster-")))
        db_url = stack.enter_context(postgres_database())
        sink = stack.enter_context(Sink())
        lb_port = free_port()
        lb = f"http://127.0.0.1:{lb_port}"
        common = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
            "TRACKER_DATABASE_URL": db_url,
            "TRACKER_REDIS_URL": REDIS_URL,
            "TRACKER_SECRET_KEY": secrets.token_hex(32),
            "TRACKER_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
            "TRACKER_BASE_URL": lb,
            "TRACKER_PROXIES": "1",
            "TRACKER_WORKERS": "2",
            "TRACKER_ACCESS_LOG": "",
            "TRACKER_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "TRACKER_LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
            "TRACKER_LOGIN_LIMIT_PER_ADDRESS": f"{ADDRESS_LIMIT} per 15 minutes",
        }
        # One push key pair for both hosts: made once by host A's first start, then shared.
        first = {**common, "TRACKER_INSTANCE_PATH": str(tmp / "keys")}
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                       env=first, check=True, capture_output=True)
        common["TRACKER_VAPID_PRIVATE_KEY"] = (tmp / "keys" / "vapid_private.pem").read_text()
        people = seed({**common, "TRACKER_INSTANCE_PATH": str(tmp / "seed")},
                      args.clients, args.reminders, 2)
        summary.append(f"seeded {args.clients} load clients, {args.reminders} reminder clients "
                       f"(due {people['fire']:%H:%M} UTC) on PostgreSQL; Redis {REDIS_URL}")
        servers, hosts = [], {}
        for name, address in HOSTS.items():
            env = {**common, "TRACKER_INSTANCE_PATH": str(tmp / f"host-{name}"),
                   "TRACKER_BIND": f"{address}:{APP_PORT}"}
            web = stack.enter_context(process(
                [str(BIN / "gunicorn"), "-c", "python:tracker.jobs.gunicorn_conf", "wsgi:app"],
                env, tmp / f"gunicorn-{name}.log"))
            stack.enter_context(process(
                [str(BIN / "huey_consumer"), "tracker.jobs.worker.huey", "-w", "2", "-k",
                 "thread"], env, tmp / f"worker-{name}.log"))
            wait_healthy(f"http://{address}:{APP_PORT}", web, tmp / f"gunicorn-{name}.log")
            hosts[name] = web
            servers.append(f"    server {name} {address}:{APP_PORT} check")
        cfg = tmp / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(lb=f"127.0.0.1:{lb_port}", servers="\n".join(servers)))
        proxy = stack.enter_context(process(["haproxy", "-f", str(cfg), "-db"], common,
                                            tmp / "haproxy.log"))
        wait_healthy(lb, proxy, tmp / "haproxy.log")
        summary.append("hosts: a=127.0.0.2:8000, b=127.0.0.3:8000 (gunicorn, 2 workers, and a "
                       f"huey worker each) behind HAProxy at {lb}")

        summary += check_login_limit(people["spare"], lb)

        record = Record()
        browsers = []
        for email in people["load"]:
            browser = Browser(lb, email)
            if browser.login() not in (302, 303):
                fail(f"{email} could not log in through the balancer")
            browsers.append(browser)
        stop, killed = threading.Event(), threading.Event()
        threads = [threading.Thread(target=journey, args=(b, stop, killed, record,
                                                          random.Random(i)))
                   for i, b in enumerate(browsers)]
        for thread in threads:
            thread.start()
        clock.sleep(args.seconds / 2)
        killed.set()  # first: whatever fails from here on failed at or after the kill
        os.killpg(hosts["b"].pid, signal.SIGKILL)
        kill_at = clock.monotonic()
        clock.sleep(args.seconds / 2)
        stop.set()
        for thread in threads:
            thread.join()
        summary.append(f"load: {record.requests} requests from {len(browsers)} clients in "
                       f"{args.seconds:.0f} s; host b SIGKILLed at {args.seconds / 2:.0f} s; "
                       f"errors before the kill {record.errors_before}, after "
                       f"{record.errors_after}; answered by {dict(record.served)}")
        if record.errors_before:
            fail(f"{record.errors_before} errors before the kill")

        # The same cookies: each client's next request succeeds on the host left.
        next_ok = 0
        for browser in browsers:
            status, page, served = browser.request("/today")
            if status != 200 or "Log in" in page[:2000] or served != "a":
                fail(f"{browser.email}'s next request after the kill: {status} from {served!r}")
            next_ok += 1
        summary.append(f"after the kill: {next_ok}/{len(browsers)} clients' next /today answered "
                       "200 by host a with the same cookies (no new login)")
        os.environ.update({"TRACKER_DATABASE_URL": db_url})
        summary += verify_writes(common, record)

        # Reminders: every one exactly once, the sink counting.
        expected = {e.lower() for e in people["reminder"]}
        deadline = people["fire"] + timedelta(seconds=150)
        while datetime.now(UTC) < deadline:
            with sink.lock:
                got = sum(1 for e in expected if sink.received[e])
            if got == len(expected):
                break
            clock.sleep(1)
        clock.sleep(15)  # any duplicate would come with the next ticks
        with sink.lock:
            received = dict(sink.received)
        missing = [e for e in expected if not received.get(e)]
        twice = {e: n for e, n in received.items() if n > 1}
        extra = [e for e in received if e not in expected]
        last = datetime.now(UTC)
        if missing or twice or extra:
            fail(f"reminders: {len(missing)} missing, {len(twice)} sent twice {list(twice)[:5]}, "
                 f"{len(extra)} unexpected")
        summary.append(f"reminders: {len(expected)} due at {people['fire']:%H:%M} UTC, "
                       f"{sum(received.values())} received at the sink, each exactly once "
                       f"(both workers ticking; checked until {last:%H:%M:%S})")
        del kill_at
    summary.append(f"cluster: PASSED in {clock.monotonic() - started:.0f} s")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
