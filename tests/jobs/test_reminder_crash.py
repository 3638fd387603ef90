"""A reminder tick killed (SIGKILL) mid-send, then run again: every reminder exactly once.

The tick runs for real (``flask --app wsgi remind --now ...`` in a subprocess) on a temp
SQLite database with many users due, sending by SMTP to a fake server in this process. The
server holds one message before accepting it, the test kills the worker right then (its
claim is taken, its send never finished), and a second tick after the claim's lease has
run out sends that one and the rest. No recipient gets two, none gets none.
"""
import os
import select as io_select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.conftest import ON_POSTGRES, ROOT
from tracker import create_app
from tracker.jobs import claims
from tracker.store import plans, reminder_settings
from tracker.store.db import database
from tracker.store.models import ReminderClaim, User, create_tables

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(ON_POSTGRES, reason="runs the worker on its own temp SQLite file"),
]

USERS = 24
HOLD_AT = 10  # the message the server holds while the worker is killed


class FakeSMTP(socketserver.ThreadingTCPServer):
    """Just enough SMTP for smtplib; a message counts once the server has said 250 to it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.delivered: list[str] = []  # recipients, in order
        self.lock = threading.Lock()
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.seen = 0


class _Session(socketserver.StreamRequestHandler):
    def handle(self):
        server: FakeSMTP = self.server
        self.wfile.write(b"220 fake ESMTP\r\n")
        recipient = ""
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 fake\r\n")
            elif verb == b"RCPT":
                recipient = line.decode().split("<", 1)[1].split(">", 1)[0]
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                with server.lock:
                    server.seen += 1
                    hold = server.seen == server.hold_at
                if hold:
                    server.holding.set()
                    server.release.wait(30)
                    if self._client_gone():
                        return  # never accepted: the sender did not live to hear it
                with server.lock:
                    server.delivered.append(recipient)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")

    def _client_gone(self) -> bool:
        readable, _, _ = io_select.select([self.connection], [], [], 1)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except ConnectionResetError:
            return True


@pytest.fixture
def smtp():
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def due_world(tmp_path):
    """USERS clients in UTC on a plan, email reminders at 08:00; returns (db path, 08:00)."""
    db_path = tmp_path / "remind.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{db_path}"})
    create_tables()
    now = datetime.now(UTC)
    with app.app_context(), database.connection_context():
        plans.seed_library()
        for i in range(USERS):
            user = User.create(email=f"u{i}@example.org", name=f"User {i}", role="client",
                               password_hash="not-used-here", timezone="UTC")
            plans.create_from_template(user, "acute-therapist-led", now.date(), created_by=user)
            pref = reminder_settings.preference_for(user)
            pref.email = True
            reminder_settings.reschedule(pref, user, now)
    database.close()
    tomorrow = now.date() + timedelta(days=1)
    return db_path, datetime.combine(tomorrow, time(8, 0), UTC)


def _remind(db_path, smtp_port: int, now: datetime, **popen):
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{db_path}",
           "TRACKER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
           "TRACKER_SECRET_KEY": "reminder-crash-test"}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "remind", "--now", now.isoformat()],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def test_a_tick_killed_mid_send_loses_nothing_and_sends_nothing_twice(due_world, smtp):
    db_path, eight = due_world
    port = smtp.server_address[1]
    smtp.hold_at = HOLD_AT

    worker = _remind(db_path, port, eight + timedelta(seconds=30))
    assert smtp.holding.wait(60), worker.communicate()[0]
    worker.send_signal(signal.SIGKILL)  # mid-send: claimed, not yet recorded as sent
    worker.wait(10)
    smtp.release.set()
    assert len(smtp.delivered) == HOLD_AT - 1

    # The next ticks (the worker runs every minute): before the lease ends the interrupted
    # claim waits (its send may still be under way elsewhere); after it, it goes out.
    again = _remind(db_path, port, eight + timedelta(minutes=1))
    output, _ = again.communicate(timeout=60)
    assert again.returncode == 0, output
    assert len(smtp.delivered) == USERS - 1, output
    later = _remind(db_path, port, eight + claims.CLAIM_LEASE + timedelta(minutes=2))
    output, _ = later.communicate(timeout=60)
    assert later.returncode == 0, output
    assert "retry" in output

    assert Counter(smtp.delivered) == {f"u{i}@example.org": 1 for i in range(USERS)}
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{db_path}"})
    with app.app_context(), database.connection_context():
        statuses = Counter(c.status for c in ReminderClaim.select())
    assert statuses == {"sent": USERS}
