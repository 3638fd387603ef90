"""Twenty people writing at the same moment through real HTTP: every write saved, no 5xx.

Guards tracker/store/db.py's ``SQLITE_LOCK_TYPE = "IMMEDIATE"``. With SQLite's default deferred
transactions, a request that reads and then writes (a check-in reads the last one, the plan,
the pauses; a pause reads the open pauses) cannot upgrade its read lock under WAL once
another writer has committed: it fails at once with "database is locked", whatever the busy
timeout, and the client gets a 503. Twenty clients checking in at once got ~15 of those.

Each test serves the ``app`` fixture's app (SQLite, or PostgreSQL with
TRACKER_TEST_POSTGRES_URL) with werkzeug's threaded server, logs twenty HTTP sessions in
through the login form, releases their posts together with a barrier, then checks every
status and the rows the writes left in the database. tests/store/test_reliability.py covers the same
writes without HTTP.
"""
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import CSRF_RE, PASSWORD, make_user
from tracker.domain import library
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import (
    CareLink,
    CheckIn,
    PhaseTransition,
    Plan,
    PlanPause,
    SafetyCheck,
    User,
)

CLIENTS = 20
TIMEOUT = 30  # s, per request: a hang fails the test instead of stalling it

def _account(email: str, name: str, role: str = "client") -> User:
    """An account with conftest's PASSWORD, hashed with the tests' cheap method: the forty
    logins here take milliseconds, not seconds."""
    return make_user(email, name, role)


@pytest.fixture
def base_url(app):
    """The app served over HTTP by werkzeug's threaded server (a thread per request)."""
    # Every request holds a pooled connection: the pool must cover all of them at once, or
    # the test would measure the pool's 10 s wait instead of the database's locking.
    assert app.config["DB_MAX_CONNECTIONS"] >= CLIENTS
    # The therapist logs in once per client page (twenty sessions); the login limit is
    # tests/web/test_rate_limit.py's subject, not this file's. Read per request, so set here.
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "1000 per 15 minutes"
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1000 per 15 minutes"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # polled every 50 ms: shutdown() returns that soon instead of after the default 0.5 s
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="http-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(TIMEOUT)
        server.server_close()


class Browser:
    """One person's cookie jar, logged in through the form, with its page-wide CSRF token."""

    def __init__(self, base_url: str, email: str, page: str):
        self.base_url = base_url
        self.http = requests.Session()
        login_page = self.http.get(f"{base_url}/login", timeout=TIMEOUT)
        answer = self.http.post(
            f"{base_url}/login",
            data={"email": email, "password": PASSWORD, "csrf_token": _token(login_page)},
            allow_redirects=False, timeout=TIMEOUT,
        )
        assert answer.status_code == 302, answer.text[:500]
        # logging in starts a fresh session, and with it a new token: read it from a page
        shown = self.http.get(f"{base_url}{page}", timeout=TIMEOUT)
        assert shown.status_code == 200, shown.text[:500]
        self.token = _token(shown)

    def post(self, path: str, data: dict) -> requests.Response:
        return self.http.post(f"{self.base_url}{path}", data={**data, "csrf_token": self.token},
                              allow_redirects=False, timeout=TIMEOUT)


def _token(page: requests.Response) -> str:
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {page.url} ({page.status_code}): {page.text[:300]}"
    return match.group(1) or match.group(2)


def _log_in_all(base_url: str, logins: list[tuple[str, str]]) -> list[Browser]:
    """A Browser per (email, page), logged in side by side (setup, not the test)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda login: Browser(base_url, *login), logins))


def _all_at_once(posts: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run each post on its own thread, all released by one barrier; responses in order."""
    barrier = threading.Barrier(len(posts), timeout=TIMEOUT)
    responses: list[requests.Response | None] = [None] * len(posts)
    errors: list[Exception] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            responses[i] = posts[i]()
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return responses


def _assert_all(responses: list[requests.Response], status: int, locations: list[str]) -> None:
    """Every response is ``status``, each to its page. On failure the counts show it (e.g.
    {503: 15, 302: 5}) and the captured log the cause ("database is locked")."""
    assert Counter(r.status_code for r in responses) == {status: len(responses)}
    assert [r.headers["Location"] for r in responses] == locations


@pytest.fixture
def clients(app):
    """Twenty clients, each on a plan that started today."""
    with database.connection_context():
        people = [_account(f"client{i}@example.org", f"Client {i}") for i in range(CLIENTS)]
        today = plans.local_today(people[0])
        for person in people:
            plans.create_from_template(person, "acute-therapist-led", today, created_by=person)
    return people, today


def test_20_clients_check_in_at_once(base_url, clients):
    people, today = clients
    browsers = _log_in_all(base_url, [(p.email, "/checkin") for p in people])

    responses = _all_at_once([
        (lambda i=i, b=b: b.post("/checkin", {
            "back_pain": str(i % 11), "leg_pain": str((i + 3) % 11), "numbness": "y",
            "anything_new": "no", "note": f"client {i}",
        }))
        for i, b in enumerate(browsers)
    ])

    # A first check-in ever asks the red-flag questions next.
    _assert_all(responses, 302, ["/checkin/safety"] * CLIENTS)
    with database.connection_context():
        saved = {(c.client_id, c.day, c.back_pain, c.leg_pain, c.numbness, c.weakness, c.note,
                  tuple(c.contraindications)) for c in CheckIn.select()}
        assert CheckIn.select().count() == CLIENTS
    assert saved == {(p.id, today, i % 11, (i + 3) % 11, True, False, f"client {i}", ())
                     for i, p in enumerate(people)}


def test_20_clients_answer_the_safety_questions_at_once(base_url, clients):
    people, today = clients
    with database.connection_context():
        for person in people:
            CheckIn.create(client=person, day=today, back_pain=4, leg_pain=5)
    browsers = _log_in_all(base_url, [(p.email, "/checkin/safety") for p in people])
    # Every question the form asks today, answered no: new questions are covered as they come.
    answers = {flag["key"]: "no" for flag in library.RED_FLAGS}
    assert answers

    responses = _all_at_once([(lambda b=b: b.post("/checkin/safety", answers))
                              for b in browsers])

    # No warning sign: on to the day's plan, and nothing paused; every answer set is kept.
    _assert_all(responses, 302, ["/today"] * CLIENTS)
    with database.connection_context():
        assert sorted((s.client_id, s.reported, tuple(s.answers.values()))
                      for s in SafetyCheck.select()) == [
            (p.id, False, (False,) * len(library.RED_FLAGS)) for p in people]
        assert PlanPause.select().count() == 0
        assert Plan.select().where(Plan.status != Plan.ACTIVE).count() == 0
        assert [(c.client_id, c.day) for c in CheckIn.select().order_by(CheckIn.client)] == [
            (p.id, today) for p in people]


def test_a_therapist_pauses_steps_and_resumes_20_plans_at_once(base_url):
    with database.connection_context():
        therapist = _account("therapist@example.org", "Thea Therapist", role="therapist")
        people = [_account(f"client{i}@example.org", f"Client {i}") for i in range(CLIENTS)]
        today = plans.local_today(people[0])
        for person in people:
            CareLink.create(therapist=therapist, client=person)
        plan_ids = [
            plans.create_from_template(person, "acute-therapist-led", today,
                                       created_by=therapist, therapist=therapist).id
            for person in people
        ]
    # The therapist has each client's page open in its own session (twenty logins).
    pages = [f"/clients/{p.id}" for p in people]
    browsers = _log_in_all(base_url, [(therapist.email, page) for page in pages])
    day = today.isoformat()

    def round_of(action: str, data: dict) -> list[requests.Response]:
        return _all_at_once([(lambda b=b, page=page: b.post(f"{page}/plan/{action}", data))
                             for b, page in zip(browsers, pages, strict=True)])

    _assert_all(round_of("pause", {"pause-day": day, "pause-reason": "away"}), 302, pages)
    with database.connection_context():
        paused = {(p.plan_id, p.start, p.end, p.scope, p.reason, p.created_by_id)
                  for p in PlanPause.select()}
        assert PlanPause.select().count() == CLIENTS
        statuses = [p.status for p in Plan.select().order_by(Plan.id)]
    assert paused == {(plan_id, today, None, "all", "away", therapist.id) for plan_id in plan_ids}
    assert statuses == [Plan.PAUSED] * CLIENTS

    _assert_all(round_of("step", {"step-day": day, "step-to_phase": "1",
                                  "step-reason": "doing well"}), 302, pages)
    with database.connection_context():
        stepped = {(t.plan_id, t.on, t.to_phase, t.reason, t.created_by_id)
                   for t in PhaseTransition.select()}
        assert PhaseTransition.select().count() == CLIENTS
    assert stepped == {(plan_id, today, 1, "doing well", therapist.id) for plan_id in plan_ids}

    _assert_all(round_of("resume", {"resume-day": day}), 302, pages)
    with database.connection_context():
        resumed = {(p.plan_id, p.start, p.end) for p in PlanPause.select()}
        assert PlanPause.select().count() == CLIENTS
        statuses = [p.status for p in Plan.select().order_by(Plan.id)]
    assert resumed == {(plan_id, today, today) for plan_id in plan_ids}
    assert statuses == [Plan.ACTIVE] * CLIENTS
