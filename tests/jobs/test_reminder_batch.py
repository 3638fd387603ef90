"""The reminder tick's batched selection gives exactly the per-user answers.

``reminders.DayStates`` (every due user's plan input and marks loaded at once) against
``reminders.day_state`` (one plan load per user), and ``reminders.select_due`` against the
per-user selection, on random plans: several templates, revisions with an "after done" item,
phase changes, whole and partial pauses, partial check-offs and skips, five zones, across
the 2026 DST changes. And the batch's query count does not grow with its users.
"""
import copy
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_user
from tracker.domain import library
from tracker.domain import reminder_select as select
from tracker.jobs import reminders as service
from tracker.store import checkoffs, plans, reminder_settings
from tracker.store.db import database
from tracker.store.models import PlanPause, ReminderClaim, ReminderPreference

ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata",
         "America/Los_Angeles")
SLUGS = tuple(t["slug"] for t in library.TEMPLATES)
TODAY = date(2026, 3, 8)  # the US springs forward; Europe on 29 March, Sydney falls back 5 April


def _after_done_spec(slug: str) -> dict:
    """The template with its first every-n-days self-care item counted from when it was
    last done (the one cadence whose due days depend on past check-offs)."""
    spec = copy.deepcopy(library.template(slug)["spec"])
    for phase in spec["phases"]:
        for item in phase["items"]:
            if item["cadence"]["kind"] == "every_n_days" and item.get("kind") != "session":
                item["cadence"] = {**item["cadence"], "interval": 2, "anchor": "after_done"}
                return spec
    return spec


def _keys(plan) -> list[tuple[str, bool]]:
    return sorted({(item.key, item.is_session) for revision in plans.plan_input(plan).revisions
                   for phase in revision.spec.phases for item in phase.items})


def build(rng: random.Random, n: int, prefix: str = "u") -> list:
    """``n`` clients with random plans and history; returns (user, plan or None)."""
    people = []
    for i in range(n):
        user = make_user(email=f"{prefix}{i}@example.org", tz=rng.choice(ZONES))
        if rng.random() < 0.1:
            people.append((user, None))
            continue
        start = TODAY - timedelta(days=rng.randint(0, 30))
        slug = rng.choice(SLUGS)
        plan = plans.create_from_template(user, slug, start, created_by=user)
        if rng.random() < 0.4:
            plans.revise(plan, _after_done_spec(slug), start + timedelta(days=rng.randint(0, 8)),
                         user)
        if rng.random() < 0.3 and len(plans.plan_input(plan).revisions[-1].spec.phases) > 1:
            plans.step_to(plan, 1, TODAY - timedelta(days=rng.randint(-3, 10)), user, "test")
        roll = rng.random()
        if roll < 0.15:
            pause_from = TODAY + timedelta(days=rng.randint(-5, 3))
            end = rng.choice((None, pause_from + timedelta(days=rng.randint(1, 6))))
            PlanPause.create(plan=plan, start=pause_from, end=end,
                             scope=rng.choice(("all", "safety")))
        elif roll < 0.3:
            PlanPause.create(plan=plan, start=TODAY - timedelta(days=rng.randint(0, 4)),
                             end=rng.choice((None, TODAY + timedelta(days=2))),
                             scope=rng.choice(("area", "self_care", "sessions")),
                             areas=rng.choice(([], ["lower_back"], ["glutes_hips", "thighs"])))
        keys = _keys(plan)
        for offset in range(-12, 3):
            day = TODAY + timedelta(days=offset)
            if day < start:
                continue
            for key, is_session in keys:
                roll = rng.random() * (3 if is_session else 1)  # sessions mostly still to do
                if roll < 0.45:
                    checkoffs.set_done(plan, key, day, True)
                elif roll < 0.55:
                    checkoffs.skip(plan, key, day, "too sore")
        people.append((user, plan))
    return people


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batched_day_states_equal_the_per_user_ones(app, seed):
    rng = random.Random(seed)
    with database.connection_context():
        people = build(rng, 25)
        days = [TODAY + timedelta(days=d) for d in range(-3, 3)]
        # Sunday TODAY for all (the weekly sessions are on Mondays), two more days each
        wanted = {user.id: frozenset({TODAY, *rng.sample(days, 2)}) for user, _plan in people}
        batch = service.DayStates({u.id: p for u, p in people if p is not None},
                                  {user: {day: None for day in days}
                                   for user, days in wanted.items()})
        compared = 0
        for user, plan in people:
            for day in sorted(wanted[user.id]):
                assert batch.of(plan, day) == service.day_state(plan, day), (seed, user, day)
                compared += 1
        states = {batch.of(p, d) for u, p in people for d in wanted[u.id]}
    assert compared == sum(len(days) for days in wanted.values()) >= 50
    # the plans really differ: paused days, days with items left, days with all done
    assert select.DayState(paused=True) in states
    assert any(s.self_care_due_not_done for s in states)
    assert any(s.sessions_tomorrow for s in states)


def _prefs(rng: random.Random, people) -> None:
    for user, _plan in people:
        pref = reminder_settings.preference_for(user)
        pref.email = True
        pref.push = rng.random() < 0.3
        pref.selfcare_time = rng.choice((time(7, 0), time(8, 0), time(8, 30), time(2, 30)))
        pref.second_time = rng.choice((None, time(12, 0), time(8, 0)))
        pref.session_day_before = rng.random() < 0.7
        pref.session_day_before_time = rng.choice((time(18, 0), time(20, 0)))
        if rng.random() < 0.3:
            pref.quiet_start, pref.quiet_end = time(22, 0), time(8, 15)
        pref.save()


def _per_user(now: datetime) -> list[select.Reminder]:
    """The selection the tick made before it was batched: one plan load per user."""
    found = []
    rows = (ReminderPreference.select(ReminderPreference, plans.User.timezone)
            .join(plans.User).where(ReminderPreference.next_fire_at <= now)
            .order_by(ReminderPreference.next_fire_at).namedtuples())
    for row in rows:
        prefs = reminder_settings.preferences_of(row, row.timezone)
        plan = plans.current_plans([row.user]).get(row.user)
        since = max(row.checked_until or now - select.DEFAULT_WINDOW,
                    now - service.LOOKBACK_LIMIT)
        window = max(now - since, timedelta(seconds=1))
        found += select.select(now, prefs, lambda day, plan=plan: service.day_state(plan, day),
                               row.user, window)
    return found


def test_the_batched_tick_selects_what_the_per_user_one_did_across_zones_and_dst(app):
    rng = random.Random(7)
    with database.connection_context():
        people = build(rng, 30)
        _prefs(rng, people)
        total = 0
        # Every half hour over two days around the US change (an hour's window each time,
        # the look-back limit), and a day over the European one.
        starts = [datetime(2026, 3, 7, 0, 0, tzinfo=UTC),
                  datetime(2026, 3, 28, 12, 0, tzinfo=UTC)]
        for first in starts:
            for step in range(0, 96 if first.day == 7 else 48):
                now = first + timedelta(minutes=30 * step)
                ReminderPreference.update(next_fire_at=now - timedelta(minutes=1),
                                          checked_until=now - timedelta(hours=1)).execute()
                expected = _per_user(now)
                selected, _states = service.select_due(now)
                got = [r for _row, _prefs, reminders in selected for r in reminders]
                assert got == expected, now
                total += len(got)
    assert total > 100  # the comparison was about real reminders


def test_the_batched_tick_sends_what_is_due(app):
    """The whole tick, sending: each due reminder once, then nothing on the next tick."""
    rng = random.Random(11)
    with database.connection_context():
        people = build(rng, 12)
        _prefs(rng, people)
        now = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
        ReminderPreference.update(next_fire_at=now - timedelta(minutes=1),
                                  checked_until=now - timedelta(hours=1)).execute()
        expected = sorted(select.claim_key(r) for r in _per_user(now))
    with app.app_context(), database.connection_context():
        outcomes = service.tick(now)
        again = service.tick(now)
        claimed = sorted(select.claim_key(service._reminder_from_claim(c))
                         for c in ReminderClaim.select())
    assert expected
    assert sorted((o.local_date.isoformat(), o.slot, o.channel) for o in outcomes) == sorted(
        key[1:] for key in expected)
    assert {o.status for o in outcomes} == {"sent"}
    assert claimed == expected
    assert again == []


def _due_queries(queries, n: int, prefix: str) -> int:
    rng = random.Random(n)
    with database.connection_context():
        people = build(rng, n, prefix)
        now = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
        for user, _plan in people:  # every one's reminder fires a minute before `now`
            pref = reminder_settings.preference_for(user)
            pref.email = True
            local = (now - timedelta(minutes=1)).astimezone(ZoneInfo(user.timezone))
            pref.selfcare_time = local.time()
            pref.save()
        ReminderPreference.update(next_fire_at=now - timedelta(minutes=1),
                                  checked_until=now - timedelta(minutes=2)).execute()
        counter = queries()
        selected, states = service.select_due(now)
        count = counter.count
        assert len(selected) == n
        assert len(states.inputs) == sum(1 for _u, p in people if p is not None)
        ReminderPreference.delete().execute()
    return count


def test_the_batch_needs_the_same_queries_for_10_and_200_due_users(app, queries):
    small = _due_queries(queries, 10, "s")
    large = _due_queries(queries, 200, "l")
    assert small == large
    assert large <= 6  # due users, current plans, revisions, changes, check-offs (+ techniques)


def test_a_queued_reminder_is_sent_once_by_whichever_worker_takes_it(app):
    """tick(enqueue=...) claims and queues; send_claimed sends each claim once, however many
    times its job is delivered, and not after a retry took the claim (lease ran out)."""
    rng = random.Random(5)
    with database.connection_context():
        people = build(rng, 8)
        now = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
        for user, _plan in people:  # each one's reminder fired five minutes ago
            pref = reminder_settings.preference_for(user)
            pref.email = True
            pref.selfcare_time = (now - timedelta(minutes=5)).astimezone(
                ZoneInfo(user.timezone)).time()
            pref.save()
        ReminderPreference.update(next_fire_at=now - timedelta(minutes=1),
                                  checked_until=now - timedelta(hours=1)).execute()
        expected = sorted(select.claim_key(r) for r in _per_user(now))
    queued = []
    with app.app_context(), database.connection_context():
        outcomes = service.tick(now, enqueue=lambda claim_id, lease: queued.append(
            (claim_id, lease)))
        assert {o.status for o in outcomes} == {"queued"}
        assert len(queued) == len(expected) >= 2
        assert {c.status for c in ReminderClaim.select()} == {"claimed"}
        # another tick (another host) for the same minute finds them claimed
        ReminderPreference.update(next_fire_at=now - timedelta(minutes=1),
                                  checked_until=now - timedelta(hours=1)).execute()
        again = service.tick(now, enqueue=lambda claim_id, lease: queued.append(None))
        assert [o.status for o in again] == ["claimed-elsewhere"] * len(expected)
        assert len(queued) == len(expected) == ReminderClaim.select().count()
        first, *rest = queued
        sent = [service.send_claimed(claim_id, lease, now) for claim_id, lease in rest]
        twice = [service.send_claimed(claim_id, lease, now) for claim_id, lease in rest]
        # the first job's lease ran out before a worker got to it: the retry took it
        later = now + timedelta(minutes=11)
        retried = service._retry_failed(later)
        assert [o.status for o in retried] == ["sent"]
        assert service.send_claimed(*first, later) == "claimed-elsewhere"
        claims_now = {c.id: (c.status, c.attempts) for c in ReminderClaim.select()}
    assert sent == ["sent"] * len(rest)
    assert twice == ["claimed-elsewhere"] * len(rest)
    assert set(claims_now.values()) == {("sent", 1)}
    assert len(list((Path(app.instance_path) / "outbox").glob("*.eml"))) == len(expected)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_selection_pauses_the_cycle_collector_and_restores_it(app, monkeypatch, enabled):
    """select_due runs with Python's cycle collector off (its objects have no cycles) and
    leaves it as it found it, also when the selection fails."""
    import gc

    seen = []
    monkeypatch.setattr(service, "_select_due",
                        lambda now: seen.append(gc.isenabled()) or ([], None))
    (gc.enable if enabled else gc.disable)()
    try:
        assert service.select_due(datetime(2026, 11, 29, 8, tzinfo=UTC)) == ([], None)
        assert seen == [False] and gc.isenabled() is enabled

        def fails(now):
            raise RuntimeError("database gone")

        monkeypatch.setattr(service, "_select_due", fails)
        with pytest.raises(RuntimeError):
            service.select_due(datetime(2026, 11, 29, 8, tzinfo=UTC))
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
