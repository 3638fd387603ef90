"""Recording what a client did: check-offs, skips and session bookings (database).

Every write is a single upsert or delete on a unique key, so a double tap, a retry or two
devices at once leave exactly one record: no read-then-write race.
"""
from datetime import date, time

from tracker.store.db import Prepared
from tracker.store.models import CheckOff, Plan, SessionBooking, utcnow

_KEY = [CheckOff.plan, CheckOff.item_key, CheckOff.day]
_WRITTEN = (CheckOff.plan, CheckOff.item_key, CheckOff.day, CheckOff.status,
            CheckOff.skip_reason, CheckOff.logged_at)


def _upsert_query(plan_id: int, item_key: str, day: date, status: str, reason: str | None,
                  now):
    return (
        CheckOff.insert(
            plan=plan_id, item_key=item_key, day=day, status=status, skip_reason=reason,
            logged_at=now)
        .on_conflict(
            conflict_target=_KEY,
            update={CheckOff.status: status, CheckOff.skip_reason: reason, CheckOff.logged_at: now},
        )
    )


def _upsert_params(plan_id, item_key, day, status, reason, now) -> list:
    values = [f.db_value(v) for f, v in zip(_WRITTEN, (plan_id, item_key, day, status, reason,
                                                        now), strict=True)]
    return [*values, *values[3:]]


# Every check-off, skip and undo: their SQL built once (tests/store/test_prepared.py).
_UPSERT = Prepared(_upsert_query, _upsert_params)
_DELETE = Prepared(
    lambda plan_id, item_key, day: CheckOff.delete().where(
        (CheckOff.plan == plan_id) & (CheckOff.item_key == item_key) & (CheckOff.day == day)),
    lambda plan_id, item_key, day: [plan_id, item_key, CheckOff.day.db_value(day)],
)


def _upsert(plan: Plan, item_key: str, day: date, status: str, reason: str | None) -> None:
    _UPSERT.run(plan.id, item_key, day, status, reason, utcnow())


def set_done(plan: Plan, item_key: str, day: date, done: bool) -> None:
    """Check an item off for ``day``, or undo that (idempotent either way)."""
    if done:
        _upsert(plan, item_key, day, CheckOff.DONE, None)
    else:
        _DELETE.run(plan.id, item_key, day)


def skip(plan: Plan, item_key: str, day: date, reason: str) -> None:
    """Skip an item for ``day`` with a reason: it then does not count as missed."""
    _upsert(plan, item_key, day, CheckOff.SKIPPED, reason)


def book(plan: Plan, item_key: str, original_day: date, day: date, at: time | None) -> None:
    """Move one professional session to the date (and time) it is booked for."""
    (
        SessionBooking.insert(
            plan=plan, item_key=item_key, original_day=original_day, day=day, time=at
        )
        .on_conflict(
            conflict_target=[
                SessionBooking.plan, SessionBooking.item_key, SessionBooking.original_day
            ],
            update={SessionBooking.day: day, SessionBooking.time: at},
        )
        .execute()
    )
