"""Prepared queries (tracker.store.db.Prepared): their SQL and parameters are peewee's own.

Each prepared query's SQL is built once per database kind and shape; these tests build it
again with peewee for many arguments and compare, SQL and parameters, on SQLite and (with
TRACKER_TEST_POSTGRES_URL) PostgreSQL, and check the rows are the ones peewee returns.
"""
from datetime import UTC, date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_user
from tracker.store import (
    accounts,
    checkins,
    checkoffs,
    messages,
    plans,
    queries,
    questionnaires,
    safety_reports,
)
from tracker.store.db import Prepared, database
from tracker.store.models import CheckOff, Plan

ids = st.lists(st.integers(1, 10**9), min_size=1, max_size=5)
keys = st.lists(st.text("abcdefgh-", min_size=1, max_size=12), max_size=4, unique=True)
days = st.dates(date(2020, 1, 1), date(2030, 12, 31))

PREPARED = {
    "check-offs": (plans._CHECKOFFS,
                   st.tuples(ids, keys, st.none() | days).filter(lambda a: a[1] or a[2])),
    "current plan and day": (plans._CURRENT_DAY, st.tuples(st.integers(1, 10**9), days)),
    "check-in of a day": (checkins._CHECKIN_ON, st.tuples(st.integers(1, 10**9), days)),
    "open pauses": (checkins._OPEN_PAUSES, st.tuples(st.integers(1, 10**9))),
    "open reports": (safety_reports._OPEN_REPORTS, st.tuples(st.integers(1, 10**9))),
    "unread messages": (messages._UNREAD_TOTAL, st.tuples(st.integers(1, 10**9))),
    "questionnaires due": (questionnaires._DUE_ROWS,
                           st.tuples(st.integers(1, 10**9), st.integers(1, 10**9), days)),
    "check-off written": (checkoffs._UPSERT, st.tuples(
        st.integers(1, 10**9), st.text(min_size=1, max_size=64), days,
        st.sampled_from(["done", "skipped"]), st.none() | st.text(max_size=32),
        st.datetimes(timezones=st.just(UTC)))),
    "live sign-in": (accounts._LIVE_SESSION, st.tuples(st.text("0123456789abcdef", min_size=64,
                                                                max_size=64))),
    "check-off undone": (checkoffs._DELETE,
                         st.tuples(st.integers(1, 10**9), st.text(min_size=1, max_size=64), days)),
}


@pytest.fixture
def db(app):
    with database.connection_context():
        yield


def test_every_prepared_query_is_checked_here():
    from tracker.store import db as db_module

    found = set()
    for module in (accounts, queries, plans, checkins, checkoffs, safety_reports, messages,
                   questionnaires, db_module):
        found |= {id(v) for v in vars(module).values() if isinstance(v, Prepared)}
    assert found == {id(p) for p, _ in PREPARED.values()}


@pytest.mark.parametrize("name", sorted(PREPARED))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sql_and_parameters_equal_peeweees(db, name, data):
    prepared, arguments = PREPARED[name]
    args = data.draw(arguments)
    assert prepared.sql(*args) == prepared.build(*args).sql()


def plan_with_a_day_marked() -> tuple:
    """A client's plan with one item done and one skipped on its second day."""
    client = make_user()
    plan = plans.create_from_template(client, "self-guided-relief", date(2026, 11, 2),
                                      created_by=client)
    day = date(2026, 11, 3)
    CheckOff.create(plan=plan, item_key="piriformis", day=day)
    CheckOff.create(plan=plan, item_key="knee-to-chest", day=day, status=CheckOff.SKIPPED,
                    skip_reason="pain")
    return client, plan, day


def test_rows_equal_peeweees(db):
    client, plan, day = plan_with_a_day_marked()
    checkins.save_checkin(client, day, back_pain=2, leg_pain=5)
    assert plans.current_day(client.id, day)[0] == queries.current_plan(client).first()
    assert plans.current_day(client.id, day)[0].version == Plan.get_by_id(plan.id).version
    got = checkins.today_for(client, day)
    assert (got.id, got.day, got.leg_pain, got.red_flags) == (
        checkins.CheckIn.get(checkins.CheckIn.client == client).id, day, 5, [])
    assert checkins.today_for(client, day + timedelta(days=1)) is None
    rows = plans._CHECKOFFS.rows([plan.id], [], day)
    assert sorted((r[1], r[3], r[4]) for r in rows) == [
        ("knee-to-chest", "skipped", "pain"), ("piriformis", "done", None)]
    assert messages.unread_total(client) == 0


def test_a_joined_prepared_query_reads_what_peewee_reads(db):
    """The sign-in and its user, from one prepared query, as peewee's own query reads them."""
    client = make_user()
    token = accounts.start_session(client, "Firefox on Linux")
    digest = accounts.hash_token(token)
    (found,) = accounts._LIVE_SESSION.joined(digest)
    peewee_found = accounts._LIVE_SESSION.build(digest).first()
    assert (found.id, found.token_hash, found.device, found.last_seen_at, found.user.id,
            found.user.email, found.user.role, found.user.timezone) == (
        peewee_found.id, peewee_found.token_hash, peewee_found.device,
        peewee_found.last_seen_at, client.id, client.email, client.role, client.timezone)
    assert accounts.user_for_session(token).id == client.id
    assert accounts._LIVE_SESSION.joined("0" * 64) == []
    accounts.end_session(token)
    assert accounts._LIVE_SESSION.joined(digest) == []


def test_prepared_models_are_the_models_peewee_makes(db):
    """``Prepared.models`` fills each model as peewee's own query does: the same data, field
    by field (dates, JSON lists, foreign keys), nothing dirty, for every query that uses it."""
    client = make_user()
    plan = plans.create_from_template(client, "self-guided-relief", date(2026, 11, 2),
                                      created_by=client)
    day = date(2026, 11, 3)
    checkins.record_checkin(client, day, ["glutes_hips"], back_pain=2, leg_pain=5,
                            contraindications=["severe_pain"])
    plans.pause(Plan.get_by_id(plan.id), day, client, "A break")
    cases = [
        (checkins._CHECKIN_ON, checkins.CheckIn, (client.id, day)),
        (checkins._OPEN_PAUSES, checkins.PlanPause, (plan.id,)),
        (safety_reports._OPEN_REPORTS, safety_reports.SafetyCheck, (client.id,)),
    ]
    for prepared, model, args in cases:
        ours = prepared.models(model, *args)
        peewees = list(prepared.build(*args))
        assert ours, model.__name__
        assert [type(m) for m in ours] == [model] * len(peewees)
        assert [m.__data__ for m in ours] == [m.__data__ for m in peewees], model.__name__
        assert all(not m._dirty for m in ours)
    assert safety_reports.open_reports(client)[0].problems == ["severe_pain"]
    assert sorted(p.reason for p in checkins.open_pauses(plan)) == [
        "A break", "In the treated area (buttocks and hips): severe pain."]


def test_prepared_models_and_the_rest_are_what_peewee_reads(db):
    """``Prepared.models_and_rest``: the plan as peewee makes it, and the joined check-off's
    columns as read, row by row (a plan without a check-off that day: one row, Nones)."""
    client, plan, day = plan_with_a_day_marked()
    CheckOff.create(plan=plan, item_key="piriformis", day=day - timedelta(days=1))
    for on, wanted in [(day, [("knee-to-chest", "skipped", "pain"), ("piriformis", "done", None)]),
                       (day + timedelta(days=1), [(None, None, None)])]:
        ours = plans._CURRENT_DAY.models_and_rest(Plan, client.id, on)
        peewees = list(plans._CURRENT_DAY.build(client.id, on))
        assert [m.__data__ for m, _ in ours] == [m.__data__ for m in peewees]
        assert all(type(m) is Plan and not m._dirty for m, _ in ours)
        assert sorted(rest for _, rest in ours) == wanted
    assert plans._CURRENT_DAY.models_and_rest(Plan, client.id + 1, day) == []
