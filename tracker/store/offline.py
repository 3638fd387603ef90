"""Changes a phone made offline and replays later: each applied at most once.

A device gives every queued change (check-off, undo, skip, check-in) an idempotency key.
The key is recorded in the same transaction as the change, under a unique (user, key)
index, so a replay after a lost response, two replays at once or a replay from two tabs
apply it once; the rest answer with the current state as if they had applied it.
"""
from collections.abc import Callable
from datetime import timedelta

from peewee import IntegrityError

from tracker.store.db import database
from tracker.store.models import AppliedOperation, User, utcnow

KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
KEEP_KEYS = timedelta(days=30)  # a device replays within days; a month is plenty


def apply_once(user: User, key: str | None, change: Callable[[], None]) -> bool:
    """Run ``change`` unless ``key`` was applied for ``user`` already; True if it ran.

    Without a key (an ordinary online request) the change always runs.
    """
    if not key:
        change()
        return True
    with database.atomic():
        try:
            with database.atomic():  # a savepoint: PostgreSQL's transaction survives a clash
                AppliedOperation.create(user=user, key=key)
        except IntegrityError:
            return False
        change()
    return True


def forget_old_keys(now=None) -> int:
    """Delete keys older than ``KEEP_KEYS``; returns how many went."""
    cutoff = (now or utcnow()) - KEEP_KEYS
    return AppliedOperation.delete().where(AppliedOperation.applied_at < cutoff).execute()
