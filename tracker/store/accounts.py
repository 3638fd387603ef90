"""Accounts over time: sign-ins kept on the server, "Forgot password?" links, and changes to
the name, email, time zone and password.

A sign-in is a ``LoginSession`` row; its raw token lives only in the Flask session (as
Flask-Login's id) and only its SHA-256 is stored, so logging out, "Sign out" on another
device, or a password change or reset ends it for good: a copied cookie loads nobody.

A reset link is single use and valid for an hour; its token, too, is stored only hashed.
The emails (the link, the notice to an old address) are sent by the worker: this module
announces them with signals that ``tracker.jobs.tasks`` turns into jobs, since the store
does not import the jobs.
"""
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from blinker import Namespace
from peewee import IntegrityError

from tracker.domain.devices import device_label
from tracker.store import reminder_settings, tokens
from tracker.store.db import Prepared, database
from tracker.store.models import (
    LoginSession,
    PasswordReset,
    ReminderPreference,
    User,
    normalise_email,
    utcnow,
)

RESET_VALID_FOR = timedelta(hours=1)
# last_seen_at is written at most this often, not on every request.
SEEN_EVERY = timedelta(minutes=5)
# A sign-in unused this long has ended (a browser that dropped its cookie never logs out).
IDLE_LIMIT = timedelta(days=90)
# Ended sign-ins and spent reset links are kept this long (the export shows recent ones).
KEEP_ENDED = timedelta(days=30)
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")

_signals = Namespace()
# sender: the user's id; token: the raw reset token (the only time it exists)
reset_requested = _signals.signal("password-reset-requested")
# sender: the user's id; old_email, old_name: where to tell them
email_changed = _signals.signal("email-changed")


class EmailTaken(Exception):
    """Another account already uses that email."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _well_formed(token) -> bool:
    return isinstance(token, str) and bool(_TOKEN_RE.fullmatch(token))


# --- sign-ins --------------------------------------------------------------------------


def start_session(user: User, user_agent: str = "", now: datetime | None = None) -> str:
    """A new sign-in for ``user`` on this device; returns its raw token (also set as
    ``user.login_token``, Flask-Login's id)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    LoginSession.create(user=user, token_hash=hash_token(token),
                        device=device_label(user_agent or "")[:64],
                        created_at=now, last_seen_at=now)
    user.login_token = token
    return token


# Read on every logged-in request: its SQL built once (tests/store/test_prepared.py).
_LIVE_SESSION = Prepared(
    lambda digest: (LoginSession.select(LoginSession, User).join(User)
                    .where((LoginSession.token_hash == digest)
                           & LoginSession.revoked_at.is_null())
                    .limit(1)),
    lambda digest: [digest, 1],
)


def user_for_session(token, now: datetime | None = None) -> User | None:
    """The user of a live sign-in, or None when the token is malformed, unknown or revoked.
    Notes when the sign-in was last seen (at most every few minutes)."""
    if not _well_formed(token):
        return None
    digest = hash_token(token)
    found = next(iter(_LIVE_SESSION.joined(digest)), None)
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        return None
    now = now or utcnow()
    if now - found.last_seen_at >= IDLE_LIMIT:
        return None
    if now - found.last_seen_at >= SEEN_EVERY:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == found.id).execute()
    user = found.user
    user.login_token = token
    return user


def current_session_id(user: User) -> int | None:
    """The id of the sign-in ``user`` was loaded by (None when there is none)."""
    if not _well_formed(user.login_token):
        return None
    return (LoginSession.select(LoginSession.id)
            .where(LoginSession.token_hash == hash_token(user.login_token)).scalar())


def sessions_of(user: User, now: datetime | None = None):
    """The user's live sign-ins, the most recently seen first."""
    now = now or utcnow()
    return (LoginSession.select()
            .where((LoginSession.user == user) & LoginSession.revoked_at.is_null()
                   & (LoginSession.last_seen_at > now - IDLE_LIMIT))
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc()))


def forget_old(now: datetime) -> int:
    """Delete sign-ins ended (or idle past IDLE_LIMIT) and reset links spent or expired
    more than KEEP_ENDED ago; returns how many rows went."""
    cutoff = now - KEEP_ENDED
    gone = LoginSession.delete().where(
        (LoginSession.revoked_at < cutoff)
        | (LoginSession.last_seen_at < now - IDLE_LIMIT - KEEP_ENDED)).execute()
    gone += PasswordReset.delete().where(
        (PasswordReset.expires_at < cutoff) | (PasswordReset.used_at < cutoff)).execute()
    return gone


def end_session(token, now: datetime | None = None) -> bool:
    """End the sign-in with this raw token (logging out); False if it was not live."""
    if not _well_formed(token):
        return False
    return bool(LoginSession.update(revoked_at=now or utcnow())
                .where((LoginSession.token_hash == hash_token(token))
                       & LoginSession.revoked_at.is_null()).execute())


def end_session_of(user: User, session_id: int, now: datetime | None = None) -> bool:
    """End one of the user's sign-ins by id; False if it is not theirs or already ended."""
    return bool(LoginSession.update(revoked_at=now or utcnow())
                .where((LoginSession.id == session_id) & (LoginSession.user == user)
                       & LoginSession.revoked_at.is_null()).execute())


def end_all_sessions(user: User, keep_token: str | None = None,
                     now: datetime | None = None) -> int:
    """End every sign-in of the user but the one with ``keep_token``; returns how many."""
    query = LoginSession.update(revoked_at=now or utcnow()).where(
        (LoginSession.user == user) & LoginSession.revoked_at.is_null())
    if keep_token:
        query = query.where(LoginSession.token_hash != hash_token(keep_token))
    return query.execute()


def change_password(user: User, password: str, keep_token: str | None,
                    now: datetime | None = None) -> None:
    """A new password; every other sign-in ends (this device's stays)."""
    with database.atomic():
        user.set_password(password)
        end_all_sessions(user, keep_token=keep_token, now=now)


# --- "Forgot password?" ----------------------------------------------------------------


def request_reset(email: str, now: datetime | None = None) -> bool:
    """Make a reset link for the account with this email, if there is one, and announce it
    for the worker to email. Returns whether there was one (callers must not show it)."""
    user = User.by_email(email)
    if user is None:
        return False
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    PasswordReset.create(user=user, token_hash=hash_token(token), created_at=now,
                         expires_at=now + RESET_VALID_FOR)
    reset_requested.send(user.id, token=token)
    return True


def find_reset(token, now: datetime) -> PasswordReset | None:
    """The unused, unexpired reset this token opens, or None."""
    if not _well_formed(token):
        return None
    digest = hash_token(token)
    reset = PasswordReset.get_or_none(PasswordReset.token_hash == digest)
    if reset is None or not hmac.compare_digest(reset.token_hash, digest):
        return None
    if reset.used_at is not None or reset.expires_at <= now:
        return None
    return reset


def reset_password(token, password: str, now: datetime | None = None) -> User | None:
    """Set a new password through a reset link: the link (and any other the user holds)
    is used up and every sign-in ends. None when the link is unknown, used or expired."""
    now = now or utcnow()
    with database.atomic():
        reset = find_reset(token, now)
        if reset is None:
            return None
        # Conditional: of two submits at once, one sets the password.
        taken = (PasswordReset.update(used_at=now)
                 .where((PasswordReset.id == reset.id) & PasswordReset.used_at.is_null())
                 .execute())
        if not taken:
            return None
        user = User.get_by_id(reset.user_id)
        PasswordReset.update(used_at=now).where(
            (PasswordReset.user == user) & PasswordReset.used_at.is_null()).execute()
        user.set_password(password)
        end_all_sessions(user, now=now)
    return user


# --- name, email, time zone ------------------------------------------------------------


def update_profile(user: User, *, name: str, email: str, timezone: str,
                   now: datetime | None = None) -> list[str]:
    """Change the name, email and time zone; returns what changed ("name", "email",
    "timezone"). A new email tells the old address; a new zone moves the next reminder
    (days already recorded keep their dates: they are stored as dates).

    Raises EmailTaken when another account has the email.
    """
    now = now or utcnow()
    new = {"name": name.strip(), "email": normalise_email(email), "timezone": timezone}
    old = {field: getattr(user, field) for field in new}
    changed = [field for field, value in new.items() if old[field] != value]
    if not changed:
        return []
    if "email" in changed:
        other = User.by_email(new["email"])
        if other is not None and other.id != user.id:
            raise EmailTaken(new["email"])
    try:  # the unique index decides when two accounts take the same email at once
        with database.atomic():
            for field in changed:
                setattr(user, field, new[field])
            user.save()
            if "email" in changed:  # links in mail sent to the old address stop working
                tokens.rotate_link_key(user)
            if "timezone" in changed:
                pref = ReminderPreference.get_or_none(ReminderPreference.user == user)
                if pref is not None:
                    reminder_settings.reschedule(pref, user, now)
    except IntegrityError as error:
        for field, value in old.items():
            setattr(user, field, value)
        raise EmailTaken(new["email"]) from error
    if "email" in changed:
        email_changed.send(user.id, old_email=old["email"], old_name=old["name"])
    return changed
