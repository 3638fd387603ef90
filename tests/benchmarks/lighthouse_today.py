"""Lighthouse (mobile) on /today for the demo client, with its figures: bytes transferred
and the performance score, against the issue's budget (under 60 KB, performance 95 or more).

A measurement, not a test (pytest does not collect it). It needs Lighthouse from npm in a
scratch folder (never committed) and Debian's chromium (/work/shared/testing.md):

    (cd /tmp/lh && npm install lighthouse)
    .venv/bin/python tests/benchmarks/lighthouse_today.py \
        --lighthouse /tmp/lh/node_modules/.bin/lighthouse

It makes a temp database (db upgrade, seed-demo), serves the app with gunicorn as
``make serve`` does (tests/benchmarks/bench.py's ``gunicorn``), logs the demo client in
through the form, and runs Lighthouse with the session cookie. The last line is
``lighthouse: path=/today transferred_kb=K performance=P requests=N figures=F`` and the
exit status is 1 when over budget.
"""
import argparse
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import gunicorn  # noqa: E402

BUDGET_KB, MIN_PERFORMANCE = 60, 95
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')


def log_in(base: str, email: str, password: str) -> tuple[str, str]:
    """The demo client's cookie header after the real login form, and /today's HTML."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    match = CSRF.search(opener.open(base + "/login").read().decode())
    form = {"email": email, "password": password, "csrf_token": match[1] or match[2]}
    opener.open(base + "/login", data=urllib.parse.urlencode(form).encode())
    page = opener.open(base + "/today").read().decode()
    return "; ".join(f"{c.name}={c.value}" for c in jar), page


def lighthouse(binary: str, url: str, cookie: str, out: Path) -> dict:
    subprocess.run(
        [binary, url, "--chrome-path=/usr/bin/chromium", f"--chrome-flags={CHROME_FLAGS}",
         "--form-factor=mobile", "--only-categories=performance", "--output=json",
         f"--output-path={out}", "--quiet", f"--extra-headers={json.dumps({'Cookie': cookie})}"],
        check=True, timeout=180,
    )
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE", "lighthouse"))
    parser.add_argument("--path", default="/today")
    parser.add_argument("--runs", type=int, default=3, help="the median run is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{tmp / 'lh.db'}",
               "TRACKER_INSTANCE_PATH": str(tmp / "instance"),
               "TRACKER_SECRET_KEY": "lighthouse-bench-key", "TRACKER_WORKERS": "2"}
        flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True,
                           capture_output=True)
        with gunicorn("wsgi:app", env, tmp / "app.log") as base:
            cookie, page = log_in(base, "client@example.com", "sciatica-demo")
            figures = page.count('class="figure ')
            results = []
            for run in range(args.runs):
                report = lighthouse(args.lighthouse, base + args.path, cookie,
                                    tmp / f"lh{run}.json")
                results.append((
                    report["categories"]["performance"]["score"] * 100,
                    report["audits"]["total-byte-weight"]["numericValue"] / 1024,
                    len(report["audits"]["network-requests"]["details"]["items"]),
                    report,
                ))
    results.sort(key=lambda r: r[0])
    performance, kb, requests, report = results[len(results) // 2]
    for item in report["audits"]["network-requests"]["details"]["items"]:
        print(f"  {item.get('transferSize', 0) / 1024:6.1f} KB  {item['url']}")
    print(f"runs: performance {[round(r[0]) for r in results]}, "
          f"KB {[round(r[1], 1) for r in results]}")
    print(f"lighthouse: path={args.path} transferred_kb={kb:.1f} performance={performance:.0f} "
          f"requests={requests} figures={figures}")
    return 0 if kb < BUDGET_KB and performance >= MIN_PERFORMANCE else 1


if __name__ == "__main__":
    sys.exit(main())
