"""Shared fixtures: an app on a temp SQLite file, a client, login helpers, a live server."""
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tracker import create_app
from tracker.db import create_tables
from tracker.models import User

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


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}"})
    create_tables()
    return app


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


@pytest.fixture
def auth(client):
    return Auth(client)


# --- real browser ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer(str):
    """The server's base URL, also carrying the path of its SQLite file."""

    db_path: Path

    def rows(self, sql: str, *params) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by a subprocess on 127.0.0.1 with its own temp database."""
    tmp = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp / 'live.db'}",
        "TRACKER_SECRET_KEY": "live-server-test-key",
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
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError((tmp / "server.log").read_text())
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    return {**browser_context_args, **playwright.devices["Pixel 7"]}


class QueryCounter:
    """Counts the SQL statements run while it is active."""

    def __init__(self, monkeypatch):
        from tracker.db import database

        self.count = 0
        real = database.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return real(sql, params, *args, **kwargs)

        monkeypatch.setattr(database.obj, "execute_sql", counting)


@pytest.fixture
def queries(monkeypatch):
    return lambda: QueryCounter(monkeypatch)
