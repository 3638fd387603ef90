"""Claim, then send: exactly-once delivery over a row with a unique key.

A reminder (ReminderClaim) and a safety alert (SafetyAlert) are each sent the same way: the
sender first inserts the row under its unique key (a second worker's insert fails, so it
does not send), then sends, then records the outcome on the row. The row's columns are
tracker.store.models.ClaimedSend's, shared by every kind (also digests, invite emails and
message notices): ``status`` ("claimed", "sent", "failed", "gave_up"), ``attempts``,
``next_attempt_at``, ``sent_at`` and ``last_error``.

A claim is a lease: ``next_attempt_at`` is where it ends, and a row still "claimed" then
(its worker died mid-send) is taken again, as is a "failed" one when its retry time comes.
Taking a row again is a conditional update on the row as read, so two workers never both
take it.
"""
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from peewee import IntegrityError, Model, ModelSelect

from tracker.store.db import database

CLAIMED, SENT, FAILED, GAVE_UP = "claimed", "sent", "failed", "gave_up"
# Far longer than a send can take (SMTP gives up after 20 s, a push after 10 s per
# device), so a live worker is never overtaken.
CLAIM_LEASE = timedelta(minutes=10)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                timedelta(hours=1))


def claim(model: type[Model], now: datetime, **key) -> Model | None:
    """Insert the row ``key`` names, leased until ``now + CLAIM_LEASE``; None when another
    worker (or an earlier run) has claimed it already."""
    try:
        with database.atomic():  # a savepoint: PostgreSQL's transaction survives a clash
            return model.create(**key, status=CLAIMED, next_attempt_at=now + CLAIM_LEASE)
    except IntegrityError:
        return None


def attempt(row: Model, send: Callable[[], str], now: datetime) -> str:
    """Send once and record the outcome on ``row``: "sent", or "failed" with the next
    retry time, or "gave_up" after the last retry. ``send`` returns a line for the log and
    raises when nothing was delivered."""
    row.attempts += 1
    try:
        detail = send()
    except Exception as exc:  # noqa: BLE001 - any channel failure is recorded and retried
        gave_up = row.attempts > len(RETRY_DELAYS)
        row.status = GAVE_UP if gave_up else FAILED
        delay = RETRY_DELAYS[min(row.attempts - 1, len(RETRY_DELAYS) - 1)]
        row.next_attempt_at = None if gave_up else now + delay
        row.last_error = f"{type(exc).__name__}: {exc}"[:300]
        row.save()
        return row.status
    row.status, row.sent_at, row.next_attempt_at = SENT, now, None
    row.last_error = detail[:300]
    row.save()
    return SENT


def retake(query: ModelSelect, now: datetime) -> Iterator[Model]:
    """The rows of ``query`` due again at ``now`` (failed ones whose retry time has come,
    claimed ones whose lease ran out), each taken under a new lease before it is yielded."""
    model = query.model
    waiting = query.where(model.status.in_((FAILED, CLAIMED)) & (model.next_attempt_at <= now))
    for row in list(waiting):
        taken = (
            model.update(status=CLAIMED, next_attempt_at=now + CLAIM_LEASE)
            .where((model.id == row.id) & (model.status == row.status)
                   & (model.next_attempt_at == row.next_attempt_at))
            .execute()
        )
        if taken:
            yield row


def take(query: ModelSelect, row_id: int, lease_end: datetime, now: datetime) -> Model | None:
    """The row ``row_id`` of ``query``, taken under a new lease if it is still "claimed"
    with the lease that ends at ``lease_end`` (the one its claimer gave it); None when it
    was sent already or taken by someone else (``retake`` after the lease ran out)."""
    model = query.model
    taken = (
        model.update(next_attempt_at=now + CLAIM_LEASE)
        .where((model.id == row_id) & (model.status == CLAIMED)
               & (model.next_attempt_at == lease_end))
        .execute()
    )
    return query.where(model.id == row_id).get() if taken else None


def claim_many(model: type[Model], now: datetime, rows: list[dict],
               key: tuple[str, ...], chunk: int = 200) -> dict[tuple, int]:
    """``claim`` for many rows at once: an INSERT that skips the keys taken already (ON
    CONFLICT DO NOTHING, SQLite 3.35+ and PostgreSQL) and returns the rows it made, each
    chunk in its own transaction. Returns the new rows' ids by their ``key`` fields' values;
    a row missing from it was claimed by another worker or an earlier run."""
    lease = now + CLAIM_LEASE
    columns = [getattr(model, name) for name in key]
    claimed: dict[tuple, int] = {}
    for first in range(0, len(rows), chunk):
        batch = [{**row, "status": CLAIMED, "next_attempt_at": lease}
                 for row in rows[first:first + chunk]]
        with database.atomic():
            query = (model.insert_many(batch).on_conflict_ignore()
                     .returning(model.id, *columns).tuples())
            for row_id, *values in query.execute():
                claimed[tuple(values)] = row_id
    return claimed
