"""What one plan-builder edit costs: bytes sent back and server time, per kind of edit.

Run from the repo root: .venv/bin/python tests/benchmarks/builder_bench.py [--browser]
(Not a test module: pytest does not collect it.) The app runs in-process on a temp SQLite
file (Flask's test client, so no network time); the draft is the acute template, as a
therapist posts it with htmx. With --browser it also serves the app (flask run, demo data)
and times edits in Debian's chromium at 1280 px, from the request to htmx:afterSettle.
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
import zlib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TRACKER_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")

from werkzeug.datastructures import MultiDict  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.domain import builder, library  # noqa: E402
from tracker.store import plans  # noqa: E402
from tracker.store.db import database  # noqa: E402
from tracker.store.models import User, create_tables  # noqa: E402

REPEATS = 30
TEMPLATE = "acute-therapist-led"
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# (what the therapist did, the fields htmx posts besides the draft); an action the running
# version does not know is answered with the whole builder and a message, and is measured too.
EDITS = [
    ("whole builder (action=refresh)", {"action": "refresh"}),
    ("technique changed (refresh-item-1-0)", {"action": "refresh-item-1-0"}),
    ("item added (add-item-1)", {"action": "add-item-1"}),
    ("item moved (item-down-1-0)", {"action": "item-down-1-0"}),
    ("item removed (remove-item-1-0)", {"action": "remove-item-1-0"}),
    ("phase added (add-phase)", {"action": "add-phase"}),
    ("live preview (preview, live=1)", {"action": "preview", "live": "1"}),
]


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                      "INSTANCE_PATH": str(folder / "instance"),
                      "REGISTER_LIMIT_PER_ADDRESS": "10000 per hour"})
    create_tables()
    with database.connection_context():
        plans.seed_library()
        User.create_account("t@example.org", "Tess", PASSWORD, "therapist", "Europe/London")
    http = app.test_client()
    token = CSRF.search(http.get("/login").get_data(as_text=True))[1]
    http.post("/login", data={"email": "t@example.org", "password": PASSWORD,
                              "csrf_token": token})
    page = http.get(f"/plans/new?template={TEMPLATE}")
    token = CSRF.search(page.get_data(as_text=True))[1]
    draft = builder.form_fields(builder.draft_from_spec(library.template(TEMPLATE)["spec"]))
    form = MultiDict([(k, v) for k, values in draft.items() for v in values])
    form.update({"csrf_token": token, "source": TEMPLATE, "start": date.today().isoformat(),
                 "title": "Bench"})
    print(f"GET /plans/new?template={TEMPLATE}: {len(page.data):,} bytes; "
          f"the form posts {len(form)} fields")
    for label, extra in EDITS:
        data = MultiDict(form)
        data.update(extra)
        sizes, packed, times = [], [], []
        for _ in range(REPEATS):
            started = time.perf_counter()
            response = http.post("/plans/builder", data=data, headers={"HX-Request": "true"})
            times.append((time.perf_counter() - started) * 1000)
            sizes.append(len(response.data))
            packed.append(len(zlib.compress(response.data, 6)))
        size, deflated = statistics.median(sizes), statistics.median(packed)
        print(f"{label:40} {response.status_code}  {size:>9,.0f} bytes "
              f"({deflated:>7,.0f} deflated)  median {statistics.median(times):6.1f} ms  "
              f"(min {min(times):.1f})")


def in_browser() -> None:
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
           "TRACKER_SECRET_KEY": "bench", "TRACKER_INSTANCE_PATH": str(folder / "instance"),
           "TRACKER_JOBS_IMMEDIATE": "1"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in ("init-db", "seed-demo"):
        subprocess.run([*flask, command], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([*flask, "run", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz")
            break
        except OSError:
            time.sleep(0.1)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill("therapist@example.com")
            page.get_by_label("Password").fill("sciatica-demo")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
            page.goto(f"{base}/plans/new?template={TEMPLATE}")
            # the page's CSP forbids eval, so timings are read with evaluate, not awaited
            page.evaluate("""() => { window.__took = [];
              document.body.addEventListener('htmx:beforeRequest', (e) => {
                if (e.detail.elt.id !== 'preview') window.__from = performance.now(); });
              document.body.addEventListener('htmx:afterSettle', (e) => {
                if (e.target.id === 'preview') return;
                window.__took.push(performance.now() - window.__from); }); }""")
            page.locator("#phases-1-items-0 > summary").click()

            def timed(act, times=8) -> str:
                took = []
                for n in range(times):
                    before = page.evaluate("window.__took.length")
                    act(n)
                    while page.evaluate("window.__took.length") <= before:
                        page.wait_for_timeout(5)
                    took.append(page.evaluate("window.__took")[-1])
                return f"median {statistics.median(took):4.0f} ms (max {max(took):.0f})"

            choices = ["swedish-massage", "deep-tissue-massage"]
            print("technique changed:", timed(lambda n: page.locator(
                "#phases-1-items-0-technique").select_option(choices[n % 2])))
            print("item added:       ", timed(lambda n: page.locator(
                "#phases-1-add-item").click(), 4))
            browser.close()
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
    if "--browser" in sys.argv:
        in_browser()
