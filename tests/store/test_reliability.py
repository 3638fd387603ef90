"""Concurrent writers: one record per check-off, and SQLite never says "database is locked"."""
import threading
from datetime import timedelta

from tests.conftest import make_user
from tracker.domain import library
from tracker.store import checkoffs, plans
from tracker.store.db import database
from tracker.store.models import CheckIn, CheckOff


def _run_all(targets):
    errors, barrier = [], threading.Barrier(len(targets))

    def run(target):
        try:
            with database.connection_context():
                barrier.wait()  # start together, for real contention
                target()
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_50_concurrent_check_offs_of_one_item_leave_one_record(app):
    with database.connection_context():
        user = make_user()
        today = plans.local_today(user)
        plan = plans.create_from_template(user, "acute-therapist-led", today, created_by=user)
    errors = _run_all([lambda: checkoffs.set_done(plan, "piriformis", today, True)] * 50)
    assert errors == []
    with database.connection_context():
        assert CheckOff.select().count() == 1


def test_20_concurrent_writers_never_see_database_is_locked(app):
    with database.connection_context():
        users = [make_user(email=f"w{i}@example.org") for i in range(20)]
        today = plans.local_today(users[0])
        spec = library.template("acute-therapist-led")["spec"]
        user_plans = [plans.create_plan(u, spec, today, title="p", created_by=u) for u in users]

    def writer(user, plan):
        def write():
            for day in range(5):
                with database.atomic():
                    CheckIn.create(client=user, day=today - timedelta(days=day), back_pain=2,
                                   leg_pain=3)
                for key in ("piriformis", "heat", "ice"):
                    checkoffs.set_done(plan, key, today - timedelta(days=day), True)
        return write

    errors = _run_all([writer(u, p) for u, p in zip(users, user_plans, strict=True)])
    assert [str(e) for e in errors] == []
    with database.connection_context():
        assert CheckIn.select().count() == 20 * 5
        assert CheckOff.select().count() == 20 * 5 * 3
