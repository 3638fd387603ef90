"""In-process cost of one /today and one check-off against the logged-in floor (issue 20).

Not a test. Seeds `make bench`'s data at a small scale (``--clients``) in a temp SQLite file (or
``--db-url``), logs clients in with Flask's test client, and times, in this process, the floor
(``/offline/session``: the session, the user, a CSRF token), ``/today`` and the check-off POST
(htmx), as the best of ``--rounds`` rounds of ``--requests`` requests each, spread over the
clients. Prints ms per request and the ratios to the floor; ``--profile`` adds a cProfile of
/today (``--profile check-off``: of the check-off), the functions taking most time;
``--only`` a regular expression the listed functions' paths must match.

    .venv/bin/python tests/benchmarks/today_profile.py [--profile] [--requests 400]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import re
import sys
import tempfile
import time as clock
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench import (  # noqa: E402
    CSRF_FORM,
    CSRF_HEADER,
    PASSWORD,
    SECRET_KEY,
    _close_database,
    fresh_database,
    seed,
)
from tracker import create_app  # noqa: E402
from tracker.store import migrations  # noqa: E402
from tracker.store.db import database  # noqa: E402

CHECK_ACTION = re.compile(r'action="(/today/\d{4}-\d\d-\d\d/[^"/]+)"')


def logged_in(app, email: str):
    client = app.test_client()
    token = CSRF_FORM.search(client.get("/login").get_data(as_text=True))[1]
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/today").get_data(as_text=True)
    return client, CSRF_HEADER.search(page)[1], CHECK_ACTION.findall(page)


def best_ms(run, requests: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = clock.process_time()  # this process's CPU: steadier on a busy machine
        run(requests)
        best = min(best, (clock.process_time() - started) * 1000 / requests)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--profile", nargs="?", const="today", choices=["today", "check-off"],
                        help="a cProfile of /today (the default) or of the check-off")
    parser.add_argument("--only", default=None,
                        help="with --profile: list only functions whose path matches this")
    args = parser.parse_args()
    with fresh_database(args.db_url) as db_url, tempfile.TemporaryDirectory() as tmp:
        config = {"DATABASE_URL": db_url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False,
                  "INSTANCE_PATH": str(Path(tmp) / "instance")}
        app = create_app(config)
        with app.app_context():
            migrations.upgrade()
            with database.connection_context():
                seed(3, args.clients, args.days, datetime.now(UTC).date(), random.Random(8))
        _close_database()
        app = create_app(config)
        visitors = [logged_in(app, f"client{i}@bench.example") for i in range(args.visitors)]

        def floor(n):
            for i in range(n):
                assert visitors[i % len(visitors)][0].get("/offline/session").status_code == 200

        def today(n):
            for i in range(n):
                assert visitors[i % len(visitors)][0].get("/today").status_code == 200

        posts = [(c, token, path) for c, token, paths in visitors for path in paths]
        state = {"done": "1"}

        def checkoff(n):
            for i in range(n):
                client, token, path = posts[i % len(posts)]
                response = client.post(path, data={"done": state["done"]},
                                       headers={"X-CSRFToken": token, "HX-Request": "true"})
                assert response.status_code == 200, response.status_code
                if i % len(posts) == len(posts) - 1:
                    state["done"] = "0" if state["done"] == "1" else "1"

        # Rounds interleaved (floor, /today, check-off, again...), so a busy spell on the
        # machine touches all three alike; the best round of each counts.
        runs = (("floor", floor), ("/today", today), ("check-off", checkoff))
        results = {name: float("inf") for name, _ in runs}
        for _ in range(args.rounds):
            for name, run in runs:
                results[name] = min(results[name], best_ms(run, args.requests, 1))
        size = len(visitors[0][0].get("/today").get_data())
        print(f"in process (CPU time), best of {args.rounds} x {args.requests} requests "
              f"({args.clients} clients, {args.days} days of history; /today {size:,} bytes)")
        for name, ms in results.items():
            print(f"  {name:10s} {ms:6.3f} ms  (floor / this: {results['floor'] / ms:.2f})")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            (today if args.profile == "today" else checkoff)(args.requests)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(*([args.only] if args.only else []), 45)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())


if __name__ == "__main__":
    main()
