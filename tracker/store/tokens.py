"""Links that stand in for a login: the calendar subscribe link, a reminder email's
unsubscribe link and a push notification's "Done" action.

Each is bound to something that dies with the account (issue 17):

- The calendar link is a random token; only its sha256 is stored (``User.calendar_token_hash``),
  so the link is shown once, when it is made. Replacing or turning it off, or deleting the
  account, ends it.
- Unsubscribe and "Done" links are signed (itsdangerous, the app's secret key) and name the
  user's id *and* ``User.link_key``, a random value the account gets when it is made. A
  deleted account's links name a key no account has, so they do nothing, even to an account
  that got the same id (SQLite reused ids before migration 12). A new email address gets a
  new key, so links in mail sent to the old address stop working too.

A notification's "Done" checks items off without opening the app. The service worker has
no CSRF token and no guaranteed session, so the payload carries a signed, single-purpose,
expiring token (user, link key, plan, local day, item keys) that the CSRF-exempt
``POST /push/done/<token>`` accepts instead. The reminder worker makes both signed kinds;
the web routes read them.
"""
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from flask import current_app
from itsdangerous import BadData, BadPayload, URLSafeSerializer, URLSafeTimedSerializer

from tracker.store.models import User, new_link_key

DONE_SALT = "push-done"
DONE_MAX_AGE = 18 * 60 * 60  # a morning reminder's "Done" still works that evening
_UNSUBSCRIBE_SALT = "reminders-unsubscribe-email"
_CALENDAR_TOKEN_MAX = 64


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key_matches(user: User | None, key) -> bool:
    return (user is not None and isinstance(key, str)
            and hmac.compare_digest(user.link_key.encode(), key.encode()))


def rotate_link_key(user: User) -> None:
    """A new link key: every unsubscribe and "Done" link made so far stops working."""
    user.link_key = new_link_key()
    User.update(link_key=user.link_key).where(User.id == user.id).execute()


# --- the calendar subscribe link -------------------------------------------------------


def new_calendar_token(user: User) -> str:
    """Make (or replace) the user's calendar link; returns its token, the only time it is
    seen: only its hash is kept."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = hash_token(token)
    User.update(calendar_token_hash=user.calendar_token_hash).where(User.id == user.id).execute()
    return token


def end_calendar_token(user: User) -> None:
    """Turn the calendar link off."""
    user.calendar_token_hash = None
    User.update(calendar_token_hash=None).where(User.id == user.id).execute()


def user_for_calendar_token(token: str) -> User | None:
    """The user whose calendar link has this token, or None."""
    if not token or len(token) > _CALENDAR_TOKEN_MAX or "\x00" in token:
        return None
    digest = hash_token(token)
    user = User.get_or_none(User.calendar_token_hash == digest)
    if user is None or not hmac.compare_digest(user.calendar_token_hash, digest):
        return None
    return user


# --- "Done" tokens ---------------------------------------------------------------------


class DoneClaim(NamedTuple):
    user_id: int
    plan_id: int
    day: date
    item_keys: tuple[str, ...]
    link_key: str = ""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=DONE_SALT)


def done_token(
    secret_key: str, user: User, plan_id: int, day: date, item_keys: Sequence[str]
) -> str:
    """A signed token that lets one notification check these items off for one day."""
    claim = {"u": user.id, "s": user.link_key, "p": plan_id, "d": day.isoformat(),
             "k": list(item_keys)}
    return _serializer(secret_key).dumps(claim)


def read_done_token(secret_key: str, token: str, max_age: int = DONE_MAX_AGE) -> DoneClaim:
    """The token's claim; raises itsdangerous.SignatureExpired, or BadData if not ours."""
    data = _serializer(secret_key).loads(token, max_age=max_age)
    try:
        keys = data["k"]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise TypeError("item keys")
        if not isinstance(data["s"], str):
            raise TypeError("link key")
        return DoneClaim(int(data["u"]), int(data["p"]), date.fromisoformat(data["d"]),
                         tuple(keys), data["s"])
    except (KeyError, TypeError, ValueError) as error:
        # Signed by us: an older version's token (no link key), or the format changed.
        raise BadPayload(f"unexpected done token: {error}") from None


def done_claim(secret_key: str, token: str, max_age: int = DONE_MAX_AGE) -> DoneClaim:
    """A "Done" token's claim when it is still its account's: raises SignatureExpired, or
    BadData when it is not ours or its account is gone (or changed its email since)."""
    claim = read_done_token(secret_key, token, max_age)
    if not _key_matches(User.get_or_none(User.id == claim.user_id), claim.link_key):
        raise BadData("the account this link was made for is gone")
    return claim


# --- unsubscribe links -----------------------------------------------------------------


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    return _unsubscribe_serializer().dumps({"u": user.id, "k": user.link_key})


def user_from_unsubscribe_token(token: str) -> User | None:
    """The account an unsubscribe link was made for, or None: not ours, or its account is
    gone or has changed its email since (an older version's link named the id alone, which
    an account made later could have had: it is refused too)."""
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = User.get_or_none(User.id == data["u"])
    return user if _key_matches(user, data.get("k")) else None
