"""Shared fixtures: an app on a temp SQLite file, a client, login helpers, a live server.

With ``TRACKER_TEST_POSTGRES_URL`` set (e.g. ``postgresql://postgres@127.0.0.1:5432/``) the
``app`` fixture uses PostgreSQL instead: the session creates a fresh database with a unique
name on that server and the tables once, empties them (ids from 1 again) before each test
and drops the database at the end. Tests that build their own app from a tmp_path SQLite
URL stay on SQLite.
"""
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import jinja2
import pytest
from peewee import sort_models

# Jobs (safety alerts) run at once in the test's process, and never touch the repository's
# instance/huey.db; set before tracker.jobs.tasks is imported.
os.environ["TRACKER_JOBS_IMMEDIATE"] = "1"
# A cheap password hash for every app the tests build, the live server's too: scrypt costs
# ~0.1 s of CPU per hash, and most tests create or log in accounts. Production keeps scrypt
# (tests/test_config.py); a test marked production_hash gets it too.
os.environ["TRACKER_PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"

from tracker import create_app
from tracker.store.db import database, open_database
from tracker.store.models import ALL_MODELS, User, create_tables

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')

# Debian's chromium, never a downloaded browser (see shared/testing.md).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --- the database: SQLite, or PostgreSQL when TRACKER_TEST_POSTGRES_URL is set ----------

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "").strip()
ON_POSTGRES = bool(POSTGRES_URL)

# Tests of SQLite itself, skipped on the PostgreSQL run ("file.py::test": reason).
SQLITE_ONLY = {
    "test_db.py::test_sqlite_pragmas_are_set":
        "checks SQLite's PRAGMAs (WAL, foreign_keys, busy_timeout); PostgreSQL has none",
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "production_hash: the app fixture hashes passwords with scrypt, as in "
        "production, instead of the tests' cheap method")


def pytest_report_header(config):
    if ON_POSTGRES:
        server = urlsplit(POSTGRES_URL)
        return (f"database: PostgreSQL on {server.hostname}:{server.port or 5432} "
                "(a fresh tracker_test_* database, dropped at the end)")
    return "database: SQLite (a temp file per test)"


def pytest_collection_modifyitems(config, items):
    if not ON_POSTGRES:
        return
    for item in items:
        reason = SQLITE_ONLY.get(f"{item.path.name}::{item.originalname}")
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def _with_database(url: str, name: str) -> str:
    """The URL with its path set to this database name."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database with every table, for this session; dropped at the end.

    Session-scoped as creating a database and its tables takes seconds; what tests change
    in it does not carry over: the ``app`` fixture empties every table before each test.
    """
    import psycopg2

    admin_db = urlsplit(POSTGRES_URL).path.strip("/") or "postgres"
    name = f"tracker_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = psycopg2.connect(_with_database(POSTGRES_URL, admin_db))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(POSTGRES_URL, name)
    try:
        database.initialize(open_database(url))
        create_tables()
        database.close()
        yield url
    finally:
        with admin.cursor() as cur:
            # FORCE: connections a test left open (threads, unclosed apps) must not block it
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _empty_tables() -> None:
    """Every table empty and its id sequence back at 1, as in a new database.

    DELETE, children first, then setval: ~20 ms, where TRUNCATE ... RESTART IDENTITY
    CASCADE takes ~400 ms a test (it recreates every table's files).
    """
    tables = [model._meta.table_name for model in reversed(sort_models(ALL_MODELS))]
    sql = "; ".join(f'DELETE FROM "{table}"' for table in tables) + "; SELECT " + ", ".join(
        f"setval(pg_get_serial_sequence('\"{table}\"', 'id'), 1, false)" for table in tables)
    with database.connection_context(), database.atomic():
        # fail loudly rather than wait forever on a connection left inside a transaction
        database.execute_sql("SET LOCAL lock_timeout = '10s'")
        database.execute_sql(sql)


def _close(db) -> None:
    """Close this thread's connection of a peewee database, even inside a transaction.

    A pooled database then closes every connection it holds: each test's app has its own
    pool, and idle connections left behind would add up to the server's limit.
    """
    if not db.is_closed():
        try:
            db.close()
        except Exception:
            db._state.conn.close()
            db._state.reset()
    if hasattr(db, "close_all"):
        db.close_all()


# Tests create many accounts from one address (tests/web/test_rate_limit.py tests the limit),
# and run up to 50 threads holding connections at once (test_reliability), where a server
# process has far fewer: a pool that large.
TEST_CONFIG = {"REGISTER_LIMIT_PER_ADDRESS": "10000 per hour", "DB_MAX_CONNECTIONS": 60}


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the session, for every app the tests build.

    Each test builds a new app, whose Jinja environment would compile every template it
    renders again (most of a short test's time). A template's entry is keyed by its source's
    checksum, so an edited template is compiled afresh.
    """

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = TemplateCache()


def new_app(config: dict):
    """create_app(config), sharing the session's compiled templates."""
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture(autouse=True)
def instance_folder(tmp_path, monkeypatch):
    """Every app a test builds keeps its files (secret key, outbox, keys) in the test's temp
    folder unless told otherwise, never in the repository's instance/."""
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


@pytest.fixture
def app(tmp_path, request):
    config = {**TEST_CONFIG}
    if request.node.get_closest_marker("production_hash"):
        config["PASSWORD_HASH_METHOD"] = "scrypt"
    if not ON_POSTGRES:
        app = new_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
                          "INSTANCE_PATH": str(tmp_path / "instance"), **config})
        create_tables()
        db = database.obj
        yield app
        _close(db)
        return
    url = request.getfixturevalue("postgres_url")
    app = new_app({"TESTING": True, "DATABASE_URL": url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), **config})
    db = database.obj
    _empty_tables()
    yield app
    _close(db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path="/login") -> str:
    """The CSRF token of this client's session, read from a rendered page."""
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def make_user(email="client@example.org", name="Casey Client", role="client", tz="Europe/London"):
    return User.create_account(email, name, PASSWORD, role, tz)


class Auth:
    """Log a test client in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, email="client@example.org", password=PASSWORD):
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_token(self.client, "/home")
        return self.client.post("/logout", data={"csrf_token": token})


def sign_in_token(user) -> str:
    """A new server-side sign-in for ``user``: the value of Flask-Login's ``_user_id`` for a
    test that logs a client in through the session rather than the form."""
    from tracker.store import accounts

    if database.is_closed():
        with database.connection_context():
            return accounts.start_session(user)
    return accounts.start_session(user)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def as_user(client):
    """Log the test client in as someone, by email; returns the client."""

    def login(email):
        assert Auth(client).login(email).status_code == 302
        return client

    return login


# A daily stretch item in the plan spec format, for tests that build their own plans.
STRETCH_ITEM = {
    "technique": "piriformis-stretch",
    "kind": "stretch",
    "cadence": {"kind": "every_n_days", "interval": 1, "weekdays": [], "anchor": "calendar"},
    "dose": {"hold_seconds": 30, "repetitions": 3, "sets": None, "minutes": None,
             "per_side": True},
    "time_of_day": None,
    "note": "",
}


# --- real browser ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer(str):
    """The server's base URL, also carrying the path of its SQLite file."""

    db_path: Path
    outbox: Path  # the server's emails (no SMTP in tests)

    def rows(self, sql: str, *params) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


def wait_until_healthy(base: str, proc, log_path: Path, seconds: float = 15) -> None:
    """Wait until a server started as ``proc`` answers /healthz; else kill it and fail
    with its log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(log_path.read_text())


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by a subprocess on 127.0.0.1 with its own temp database.

    Always SQLite, also when TRACKER_TEST_POSTGRES_URL is set: tests read its rows with
    sqlite3 (LiveServer.rows), and `make test` runs the browser tests on SQLite only.

    Session-scoped because starting it (init-db, seed-demo, a server) takes seconds; so that
    no test depends on what another left, a test that changes data registers its own
    account (a new email each time), and tests on the demo accounts only read or leave
    them as they found them.
    """
    tmp = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp / 'live.db'}",
        "TRACKER_SECRET_KEY": "live-server-test-key",
        "TRACKER_INSTANCE_PATH": str(tmp / "instance"),
        "TRACKER_JOBS_IMMEDIATE": "1",
        "TRACKER_REGISTER_LIMIT_PER_ADDRESS": TEST_CONFIG["REGISTER_LIMIT_PER_ADDRESS"],
        # One server for the whole run, where many browser tests log in as the demo accounts:
        # the login limits (tested in tests/web/test_rate_limit.py) would lock them out.
        "TRACKER_LOGIN_LIMIT_PER_ACCOUNT": "10000 per hour",
        "TRACKER_LOGIN_LIMIT_PER_ADDRESS": "10000 per hour",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = LiveServer(f"http://127.0.0.1:{port}")
    url.db_path = tmp / "live.db"
    url.outbox = tmp / "instance" / "outbox"
    wait_until_healthy(url, proc, tmp / "server.log")
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def log_in(page, base: str, email: str, password: str) -> None:
    """Log in through the form, in a real browser."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def register_with_plan(page, base: str, email: str, name: str,
                       template: str = "self-guided-relief") -> None:
    """Register a client through the form and start a built-in plan today, in a browser."""
    page.goto(f"{base}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/register" not in url)  # signed in before going on
    page.goto(f"{base}/plan")
    page.locator(f"input[name=template][value='{template}']").check()  # a plan card
    page.get_by_role("button", name="Start this plan").click()
    page.get_by_role("heading", level=1).wait_for()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    return {**browser_context_args, **playwright.devices["Pixel 7"]}


class QueryCounter:
    """Counts the SQL statements run while it is active."""

    def __init__(self, monkeypatch):
        from tracker.store.db import database

        self.count = 0
        real = database.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return real(sql, params, *args, **kwargs)

        monkeypatch.setattr(database.obj, "execute_sql", counting)


@pytest.fixture
def queries(monkeypatch):
    return lambda: QueryCounter(monkeypatch)
