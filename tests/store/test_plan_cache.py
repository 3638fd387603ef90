"""The cached engine input (issue 20): a day's view with the cache equals the one without.

A plan's revisions and changes are kept per process under the plan's version, which the
database raises on every write to them (triggers, so a write by another process or host
counts too); this process's own writes also empty the cache at once. Also on PostgreSQL.
"""
import copy
from datetime import date, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_user
from tracker.domain import library
from tracker.store import checkoffs, plans
from tracker.store.db import database
from tracker.store.models import (
    PhaseTransition,
    Plan,
    PlanHold,
    PlanPause,
    PlanRevision,
    SessionBooking,
)

START = date(2026, 11, 2)


@pytest.fixture
def db(app):
    with database.connection_context():
        yield


@pytest.fixture(autouse=True)
def cache_on(monkeypatch):
    monkeypatch.setattr(plans, "CACHE_PLAN_INPUTS", True)
    plans._forget()
    yield
    plans._forget()


def fresh(plan: Plan) -> Plan:
    return Plan.get_by_id(plan.id)


def view_without_cache(plan: Plan, day: date):
    plans.CACHE_PLAN_INPUTS = False
    try:
        return plans.day_view(fresh(plan), day)
    finally:
        plans.CACHE_PLAN_INPUTS = True


def new_plan(n: int = 0) -> tuple:
    client = make_user(email=f"cache{n}@example.org")
    therapist = make_user(email=f"cache-t{n}@example.org", role="therapist")
    plan = plans.create_from_template(client, "acute-therapist-led", START, created_by=therapist,
                                      therapist=therapist)
    return client, therapist, plan


def test_every_write_to_a_plans_parts_raises_its_version(db):
    _, therapist, plan = new_plan()
    seen = [fresh(plan).version]

    def bumped():
        seen.append(fresh(plan).version)
        return seen[-1] > seen[-2]

    spec = library.template("acute-therapist-led")["spec"]
    PlanRevision.create(plan=plan, effective_from=START + timedelta(days=7), spec=spec,
                        created_by=therapist)
    assert bumped()
    transition = PhaseTransition.create(plan=plan, on=START + timedelta(days=3), to_phase=1,
                                        reason="better")
    assert bumped()
    pause = PlanPause.create(plan=plan, start=START + timedelta(days=4), scope="all")
    assert bumped()
    PlanPause.update(end=START + timedelta(days=5)).where(PlanPause.id == pause.id).execute()
    assert bumped()
    PlanHold.create(plan=plan, kind=PlanHold.FLARE_UP, start=START)
    assert bumped()
    SessionBooking.create(plan=plan, item_key="massage", original_day=START,
                          day=START + timedelta(days=1), time=time(9, 0))
    assert bumped()
    transition.delete_instance()
    assert bumped()
    # Raw SQL, as another process's write looks to this one: no hook ran, the trigger did.
    plans._STATIC.clear()
    database.execute_sql('DELETE FROM "sessionbooking"')
    assert bumped()


def test_a_write_elsewhere_is_seen_by_the_next_request(db):
    """Another host's write (raw SQL here: this process's hooks do not run) raises the
    version, so the next read of the plan misses the cache and reads the new rows."""
    _, _, plan = new_plan()
    day = START + timedelta(days=2)
    before = plans.day_view(fresh(plan), day)
    sql, params = PlanPause.insert(plan=plan, start=START, scope="all").sql()
    assert plans.day_view(fresh(plan), day) == before  # in the cache again
    assert plans._STATIC
    database.execute_sql(sql, params)  # as another host writes: no hook here, the trigger
    after = plans.day_view(fresh(plan), day)
    assert before.items and after.items == ()
    assert after == view_without_cache(plan, day)


def test_a_plan_object_read_before_its_own_write_sees_the_write(db):
    """This process's writes empty the cache: a request holding the plan it read before
    writing (its version now old) reads the plan's parts afresh."""
    client, therapist, plan = new_plan()
    day = START + timedelta(days=2)
    assert plans.day_view(plan, day).items
    plans.pause(plan, START, therapist)
    assert plans.day_view(plan, day).items == ()


OPS = ("pause", "resume", "step", "revise", "book", "hold", "end_hold", "check", "uncheck")


def after_done_spec() -> dict:
    """The template with each phase's first item due 2 days after it was last done: its
    days then hang on the check-offs, which the day's cache keys on."""
    spec = copy.deepcopy(library.template("acute-therapist-led")["spec"])
    for phase in spec["phases"]:
        phase["items"][0]["cadence"] = {"kind": "every_n_days", "interval": 2, "weekdays": [],
                                        "anchor": "after_done"}
    return spec


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 27)), max_size=6),
       look=st.lists(st.integers(0, 34), min_size=1, max_size=4))
def test_day_views_with_the_cache_equal_those_without(db, ops, look):
    """Any sequence of changes (check-offs too: some items are due 2 days after they
    were done), each followed by reading some days: cached == uncached."""
    n = next(_counter)
    client, therapist, plan = new_plan(n)
    spec = after_done_spec()
    keys = sorted({i["key"] for p in spec["phases"] for i in p["items"]})
    plans.revise(plan, spec, START, therapist)
    for op, offset in ops:
        day = START + timedelta(days=offset)
        current = fresh(plan)
        if op == "pause" and not plans.paused_on(current, day):
            plans.pause(current, day, therapist)
        elif op == "resume" and plans.paused_on(current, day):
            plans.resume(current, day, therapist)
        elif op == "step":
            plans.step_to(current, offset % 3, day, therapist, "test")
        elif op == "revise":
            plans.revise(current, spec, day, therapist)
        elif op == "book":
            SessionBooking.insert(plan=plan, item_key="massage", original_day=day,
                                  day=day + timedelta(days=1), time=time(10, 0)
                                  ).on_conflict_ignore().execute()
        elif op == "hold":
            PlanHold.create(plan=plan, kind=PlanHold.FLARE_UP, start=day)
        elif op in ("check", "uncheck"):
            checkoffs.set_done(current, keys[offset % len(keys)], day, op == "check")
        elif op == "end_hold":
            PlanHold.update(end=day).where((PlanHold.plan == plan) & PlanHold.end.is_null()
                                           & (PlanHold.start < day)).execute()
        for d in look:
            shown = START + timedelta(days=d)
            wanted = view_without_cache(plan, shown)
            assert plans.day_view(fresh(plan), shown) == wanted
            found, view = plans.current_day(client.id, shown)  # the plan and its day at once
            assert (found.id, found.version, view) == (plan.id, fresh(plan).version, wanted)


def _numbers():
    n = 0
    while True:
        n += 1
        yield n


_counter = _numbers()


def test_the_plan_and_its_day_at_once_count_what_was_done_of_after_done_items(db):
    """``current_day`` reads the plan and the day's marks in one query, and what was done
    of the "after done" items (due a while after they were last done) in another."""
    client, therapist, plan = new_plan()
    spec = after_done_spec()
    first = spec["phases"][0]["items"][0]["key"]
    plans.revise(plan, spec, START, therapist)
    checkoffs.set_done(fresh(plan), first, START + timedelta(days=1), True)
    for offset in range(5):
        day = START + timedelta(days=offset)
        assert plans.current_day(client.id, day) == (fresh(plan), view_without_cache(plan, day))
    assert plans.current_day(client.id + 1000, START) == (None, None)
    # Done a day early, it is next due two days after that, not every other day from the
    # start (0, 2, 4): the check-off counts.
    due = [offset for offset in range(5) if any(
        i.key == first for i in view_without_cache(plan, START + timedelta(offset)).items)]
    assert due == [0, 3]
