"""The per-account login limit, counted in the database so it holds across gunicorn workers
and hosts with no shared cache (issue 17: in-memory counters let 94 passwords through five
workers).

A password check is counted *before* it is made, in a transaction that holds the write lock
(SQLite: every transaction is BEGIN IMMEDIATE, see tracker/store/db.py; PostgreSQL: the
account's row is locked with SELECT ... FOR UPDATE), so however many requests arrive at
once, at most ``limit`` passwords are checked per account per window. The check that
reaches the limit locks the account for ``period``: every later attempt, the right password
too, is refused until then. The window starts at the first attempt; after ``period`` with
fewer than ``limit`` attempts a new one starts.

A success before the lockout deletes the count (the person who knows the password starts
afresh; a guesser gains nothing from it, as a guess that succeeds needs no more guesses).
A password set through a reset link clears it too.

The key is an HMAC of the normalised email (the caller gives the secret), so an email with
no account is limited exactly like one with an account and no typed address, or password
typed into the email field, is kept in clear. Rows hold no user id; ``forget_old`` drops
them once both the window and any lockout have ended.
"""
import hashlib
import hmac
from datetime import datetime, timedelta

from tracker.store.db import database
from tracker.store.models import LoginThrottle, normalise_email


def account_key(email: str, secret: str) -> str:
    """The row key for an email: the same for any spelling that logs in to the same account
    (case, surrounding spaces)."""
    return hmac.new(secret.encode(), normalise_email(email).encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()


def begin_attempt(key: str, now: datetime, limit: int, period: timedelta) -> datetime | None:
    """Count one password check against the account before it is made.

    Returns None when the check may go ahead, or the moment the lockout ends when it may
    not (nothing is counted then).
    """
    with database.atomic():
        query = LoginThrottle.select().where(LoginThrottle.key == key)
        if database.for_update:  # PostgreSQL; SQLite's IMMEDIATE transaction already has it
            query = query.for_update()
        row = None
        while row is None:
            (LoginThrottle.insert(key=key, attempts=0, window_ends_at=now + period)
             .on_conflict_ignore().execute())
            # On PostgreSQL the row may be gone by the time its lock is ours: a login that
            # succeeded meanwhile deleted it (``succeeded``), so the select finds nothing.
            # Then this one starts the count again, as a request after that success would.
            row = query.get_or_none()
        if row.locked_until is not None and row.locked_until > now:
            return row.locked_until
        if row.window_ends_at <= now or row.locked_until is not None:  # a new window
            row.attempts, row.window_ends_at, row.locked_until = 0, now + period, None
        if row.attempts >= limit:  # only if the limit was lowered meanwhile
            row.locked_until = now + period
            row.save()
            return row.locked_until
        row.attempts += 1
        if row.attempts >= limit:  # this is the last check allowed: lock after it
            row.locked_until = now + period
        row.save()
    return None


def succeeded(key: str) -> None:
    """The right password before a lockout: the count starts again."""
    LoginThrottle.delete().where(LoginThrottle.key == key).execute()


def forget_old(now: datetime) -> int:
    """Delete the rows whose window and lockout have both ended; returns how many."""
    return LoginThrottle.delete().where(
        (LoginThrottle.window_ends_at < now)
        & (LoginThrottle.locked_until.is_null() | (LoginThrottle.locked_until < now))).execute()
