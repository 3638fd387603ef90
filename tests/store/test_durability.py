"""kill -9 durability: every write the server acknowledged survives the server's death.

The app is served by ``flask run`` in a subprocess on a temp SQLite file. Four logged-in
clients post check-offs and check-ins from threads; each request answered 2xx/3xx is
recorded with what it wrote. The server is killed with SIGKILL mid-load, started again on
the same file, and every acknowledged write must be there.

What this proves, and what it doesn't: SQLite in WAL mode with ``synchronous=normal``
(tracker/store/db.py) is durable against a *process* crash: a commit is in the WAL file (in the
OS's page cache) before the request is answered, and the next connection recovers it. An
OS crash or power cut may lose the last commits in that mode (``synchronous=full`` would
fsync every commit); this test doesn't (and can't) cover that.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import requests

from tests.conftest import CSRF_RE, ON_POSTGRES, PASSWORD, ROOT, _free_port
from tracker import create_app
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import User, create_tables

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(ON_POSTGRES, reason="serves its own temp SQLite file"),
]

CLIENTS = 4
ACKED_BEFORE_KILL = 60  # acknowledged writes before the kill: well inside the load


def _world(db_path) -> dict[str, list[tuple[str, str]]]:
    """CLIENTS clients on a plan since 7 days ago: email -> the (day, item) due pairs."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{db_path}"})
    create_tables()
    due = {}
    with app.app_context(), database.connection_context():
        plans.seed_library()
        for i in range(CLIENTS):
            user = User.create_account(f"c{i}@example.org", f"Client {i}", PASSWORD, "client",
                                       "UTC")
            today = plans.local_today(user)
            plan = plans.create_from_template(user, "acute-therapist-led",
                                              today - timedelta(days=7), created_by=user)
            due[user.email] = [(day.isoformat(), item.key)
                               for n in range(8)
                               for day in [today - timedelta(days=n)]
                               for item in plans.day_view(plan, day).items]
    database.close()
    return due


class Server:
    def __init__(self, db_path, log_path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{db_path}",
               "TRACKER_SECRET_KEY": "durability-test", "TRACKER_RATELIMIT_ENABLED": "false"}
        self.log = open(log_path, "a")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
             "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                requests.get(f"{self.url}/healthz", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(log_path.read_text())

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def _logged_in(url: str, email: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = _token(session.get(f"{url}/login").text)
    answer = session.post(f"{url}/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return session, _token(session.get(f"{url}/today").text)


def _token(html: str) -> str:
    match = CSRF_RE.search(html)
    return match.group(1) or match.group(2)


def test_acknowledged_writes_survive_kill_9(tmp_path):
    db_path = tmp_path / "durable.db"
    due = _world(db_path)
    server = Server(db_path, tmp_path / "server.log")
    sessions = {email: _logged_in(server.url, email) for email in due}
    acked_checkoffs: set[tuple[str, str, str]] = set()  # (email, day, item)
    acked_note: dict[str, int] = {}  # email -> the last acknowledged check-in number
    lock, enough = threading.Lock(), threading.Event()

    def load(email):
        session, token = sessions[email]
        headers = {"X-CSRFToken": token}
        for n, (day, item) in enumerate(due[email]):
            try:
                checked = session.post(f"{server.url}/today/{day}/{item}", data={"done": "1"},
                                       headers=headers, allow_redirects=False, timeout=10)
                checked_in = session.post(
                    f"{server.url}/checkin", data={"back_pain": "3", "leg_pain": "4",
                                                   "note": f"n={n}"},
                    headers=headers, allow_redirects=False, timeout=10)
            except requests.RequestException:
                return  # the server is gone
            with lock:
                if checked.status_code < 400:
                    acked_checkoffs.add((email, day, item))
                if checked_in.status_code < 400:
                    acked_note[email] = n
                if len(acked_checkoffs) + len(acked_note) >= ACKED_BEFORE_KILL:
                    enough.set()

    threads = [threading.Thread(target=load, args=(email,)) for email in due]
    for thread in threads:
        thread.start()
    assert enough.wait(60), "the load never got going"
    server.kill()  # mid-load: the threads are still posting
    for thread in threads:
        thread.join(30)
    total_due = sum(len(pairs) for pairs in due.values())
    assert ACKED_BEFORE_KILL - CLIENTS <= len(acked_checkoffs) < total_due, "kill missed the load"

    restarted = Server(db_path, tmp_path / "server.log")  # recovers the WAL on first open
    try:
        assert requests.get(f"{restarted.url}/healthz", timeout=5).json()["database"] == "ok"
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            stored = set(conn.execute(
                "SELECT u.email, c.day, c.item_key FROM checkoff c JOIN plan p ON p.id = c.plan_id"
                " JOIN user u ON u.id = p.client_id WHERE c.status = 'done'").fetchall())
            notes = dict(conn.execute(
                "SELECT u.email, c.note FROM checkin c JOIN user u ON u.id = c.client_id"
            ).fetchall())
        assert acked_checkoffs - stored == set()
        for email, n in acked_note.items():
            # the last acknowledged one, or a later one whose answer the kill cut off
            assert int(notes[email].removeprefix("n=")) >= n, email
        # and the restarted server shows them
        session, _ = _logged_in(restarted.url, next(iter(due)))
        assert session.get(f"{restarted.url}/today").status_code == 200
    finally:
        restarted.stop()
