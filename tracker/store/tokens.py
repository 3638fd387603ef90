"""Signed links that stand in for a login: a push notification's "Done" action and a
reminder email's unsubscribe link.

A notification's "Done" checks items off without opening the app. The service worker has
no CSRF token and no guaranteed session, so the payload carries a signed, single-purpose,
expiring token (user, plan, local day, item keys) that the CSRF-exempt
``POST /push/done/<token>`` accepts instead. The reminder worker makes both kinds; the web
routes read them.
"""
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from flask import current_app
from itsdangerous import BadPayload, BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from tracker.store.models import User

DONE_SALT = "push-done"
DONE_MAX_AGE = 18 * 60 * 60  # a morning reminder's "Done" still works that evening
_UNSUBSCRIBE_SALT = "reminders-unsubscribe-email"


# --- "Done" tokens ---------------------------------------------------------------------


class DoneClaim(NamedTuple):
    user_id: int
    plan_id: int
    day: date
    item_keys: tuple[str, ...]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=DONE_SALT)


def done_token(
    secret_key: str, user_id: int, plan_id: int, day: date, item_keys: Sequence[str]
) -> str:
    """A signed token that lets one notification check these items off for one day."""
    claim = {"u": user_id, "p": plan_id, "d": day.isoformat(), "k": list(item_keys)}
    return _serializer(secret_key).dumps(claim)


def read_done_token(secret_key: str, token: str, max_age: int = DONE_MAX_AGE) -> DoneClaim:
    """The token's claim; raises itsdangerous.SignatureExpired, or BadData if not ours."""
    data = _serializer(secret_key).loads(token, max_age=max_age)
    try:
        keys = data["k"]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise TypeError("item keys")
        return DoneClaim(int(data["u"]), int(data["p"]), date.fromisoformat(data["d"]),
                         tuple(keys))
    except (KeyError, TypeError, ValueError) as error:
        # Signed by us, so this only happens if the format changes between versions.
        raise BadPayload(f"unexpected done token: {error}") from None


# --- unsubscribe links -----------------------------------------------------------------


def unsubscribe_token(user: User) -> str:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)
    return serializer.dumps(user.id)


def user_from_unsubscribe_token(token: str) -> User | None:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)
    try:
        user_id = serializer.loads(token)
    except BadSignature:
        return None
    return User.get_or_none(User.id == user_id) if isinstance(user_id, int) else None
