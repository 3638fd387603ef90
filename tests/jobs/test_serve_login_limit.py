"""The per-account login limit under `make serve`'s gunicorn with 5 workers and no Redis
(issue 17, finding 1: with counters in each worker's memory, 110 attempts got their first 429
at attempt 90 and the right password then logged in).

30 wrong passwords for one account, sent 10 at a time so the workers share them: exactly 20
are checked (422) and 10 refused (429); the right password is then refused too, with
Retry-After. Another account still logs in.
"""
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT, _free_port, wait_until_healthy

pytestmark = pytest.mark.subprocess

PASSWORD = "a long enough password"
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def served(tmp_path):
    """gunicorn as `make serve` starts it (tracker/jobs/gunicorn_conf.py), 5 sync workers,
    on a temp SQLite file migrated by `flask db upgrade`; the access log names each
    request's worker."""
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "TRACKER_SECRET_KEY": "serve-login-limit-key",
        "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
        "TRACKER_BIND": f"127.0.0.1:{port}",
        "TRACKER_WORKERS": "5",
        "TRACKER_ACCESS_LOG": "-",
        "GUNICORN_CMD_ARGS": "--access-logformat 'worker=%(p)s %(m)s %(U)s %(s)s'",
    }
    for name in ("TRACKER_REDIS_URL", "TRACKER_RATELIMIT_STORAGE_URI",
                 "TRACKER_LOGIN_LIMIT_PER_ACCOUNT", "TRACKER_LOGIN_LIMIT_PER_ADDRESS"):
        env.pop(name, None)  # the defaults: 20 per 15 minutes, memory:// for the limiter
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    log_path = tmp_path / "gunicorn.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "python:tracker.jobs.gunicorn_conf", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, proc, log_path)
    yield base, log_path
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)
    log.close()


def browser():
    """A new visitor: its own cookies, so its own session and CSRF token."""
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def post_form(opener, base, path, fields):
    """GET the form for its token, POST it; returns (status, headers, body)."""
    page = opener.open(f"{base}{path}", timeout=10).read().decode()
    data = urllib.parse.urlencode({**fields, "csrf_token": TOKEN_RE.search(page)[1]}).encode()
    try:
        response = opener.open(f"{base}{path}", data=data, timeout=10)
        return response.status, response.headers, response.read().decode(), response.url
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(), error.url


def register(base, email):
    status, _, _, url = post_form(browser(), base, "/register", {
        "email": email, "name": "Sam", "password": PASSWORD, "timezone": "UTC",
        "role": "client"})
    assert status == 200 and not url.endswith("/register")


def login(base, email, password):
    return post_form(browser(), base, "/login", {"email": email, "password": password})


def test_the_21st_attempt_is_refused_in_every_worker_and_then_the_right_password(served):
    base, log_path = served
    register(base, "target@example.org")
    register(base, "bystander@example.org")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: login(base, "target@example.org", f"guess {n}")[0],
                                range(30)))
    assert answers.count(422) == 20, answers  # passwords checked
    assert answers.count(429) == 10, answers  # refused unchecked

    status, headers, body, _ = login(base, "target@example.org", PASSWORD)
    assert status == 429
    assert 14 * 60 < int(headers["Retry-After"]) <= 15 * 60
    assert "Too many wrong passwords have been tried for this email" in body
    assert re.search(r"Try again in 1[45] minutes\.", body)

    status, _, _, url = login(base, "bystander@example.org", PASSWORD)
    assert status == 200 and not url.endswith("/login")  # logged in, on their home page

    log = log_path.read_text()
    assert log.count("Booting worker") == 5
    workers = set(re.findall(r"worker=<?(\d+)>? POST /login (?:422|429)", log))
    assert len(workers) >= 2, "the attempts were spread over several workers"
