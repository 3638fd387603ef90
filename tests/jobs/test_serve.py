"""`make serve`'s gunicorn: several workers on a temp SQLite file answer the health check,
pages and hashed static files (long-cached, compressed), and keep a login across workers."""
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, _free_port, wait_until_healthy

pytestmark = pytest.mark.subprocess


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "TRACKER_SECRET_KEY": "serve-test-key",
        "TRACKER_BIND": f"127.0.0.1:{port}",
        "TRACKER_WORKERS": "3",
        "TRACKER_ACCESS_LOG": "",
    }
    env.pop("TRACKER_REDIS_URL", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "python:tracker.jobs.gunicorn_conf", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, proc, tmp_path / "gunicorn.log")
    yield base, tmp_path / "gunicorn.log"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)
    log.close()


def get(url, **headers):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5)


def test_gunicorn_serves_pages_and_long_cached_hashed_files(served):
    base, log = served
    assert get(f"{base}/healthz").status == 200
    page = get(f"{base}/login").read().decode()
    css = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page)
    assert css, "the stylesheet has a content-hashed name"
    response = get(base + css[1], **{"Accept-Encoding": "br, gzip"})
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] in ("br", "gzip")
    assert "Booting worker" in log.read_text() and log.read_text().count("Booting worker") == 3


def test_a_login_holds_across_the_workers(served):
    """30 logged-in requests, which the kernel spreads over the workers as it likes, all
    stay logged in: the workers share the secret key and the database, nothing else."""
    base, _ = served
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/register", timeout=5).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode({
        "email": "served@example.org", "name": "Sam", "password": "a long enough password",
        "timezone": "UTC", "role": "client", "csrf_token": token,
    }).encode()
    assert opener.open(f"{base}/register", data=form, timeout=5).status == 200

    for _ in range(30):
        response = opener.open(f"{base}/settings", timeout=5)
        assert response.status == 200 and response.url.endswith("/settings")  # not /login
    assert "Log out" in response.read().decode()
