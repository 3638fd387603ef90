"""Web push: the VAPID key pair, the notification payload, sending, and "Done" tokens.

Sending goes through ``pywebpush``: it encrypts the payload for the subscription
(RFC 8291, aes128gcm) and signs a VAPID JWT (RFC 8292) whose ``aud`` is the push
service's origin. The push service's answer decides what the caller does:

- 200/201/202: sent;
- 404/410: the subscription is gone for good, delete it;
- 429, 5xx, timeouts and connection errors: try again later;
- anything else (400 bad request, 403 key mismatch, 413 too big): failed, keep the
  subscription (the next reminder may well go through) and log it.

A notification's "Done" action checks items off without opening the app. The service
worker has no CSRF token and no guaranteed session, so the payload carries a signed,
single-purpose, expiring token (user, plan, local day, item keys) that the CSRF-exempt
``POST /push/done/<token>`` accepts instead.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from itsdangerous import BadPayload, URLSafeTimedSerializer
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from tracker.domain import day as day_model
from tracker.store import plans
from tracker.store.models import Plan, PushSubscription

DEFAULTS = {
    "VAPID_PRIVATE_KEY": None,  # None means generated once into instance/vapid_private.pem
    "VAPID_PUBLIC_KEY": None,  # derived from the private key; checked against it if given
    "VAPID_SUBJECT": "mailto:reminders@localhost",
    # Lets http://127.0.0.1 / localhost endpoints through, for the tests' fake push service.
    "PUSH_ALLOW_INSECURE_LOCALHOST": False,
    # Host names (and their subdomains) subscriptions may point at: the browsers' push
    # services. The server POSTs to these URLs, so an open list would let anyone make it
    # call any https host. An empty list allows any public https host.
    "PUSH_ENDPOINT_HOSTS": [
        "fcm.googleapis.com",  # Chrome, Edge on Android, Samsung Internet, Opera
        "android.googleapis.com",
        "push.services.mozilla.com",  # Firefox
        "notify.windows.com",  # Edge on Windows
        "push.apple.com",  # Safari, and web apps on iOS
    ],
    "PUSH_TTL": 3600,  # seconds a push service keeps an undelivered reminder
    "PUSH_TIMEOUT": 10,  # seconds to wait for a push service
}

KEY_FILE = "vapid_private.pem"
DONE_SALT = "push-done"
DONE_MAX_AGE = 18 * 60 * 60  # a morning reminder's "Done" still works that evening
# RFC 8291: push services accept 4096 bytes of body; aes128gcm adds 86 bytes of header,
# a 16-byte tag and a padding delimiter.
MAX_PAYLOAD_BYTES = 4096 - 86 - 16 - 1
LISTED_ITEMS = 2  # names in the body before "and N more"


# --- VAPID keys ------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Fill the push settings left unset and load (or create) the VAPID key pair, once."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    configured = app.config["VAPID_PRIVATE_KEY"]
    if configured:
        key = load_private_key(str(configured))
    else:
        key = _instance_key(Path(app.instance_path) / KEY_FILE)
    public = public_key_b64(key)
    given = app.config["VAPID_PUBLIC_KEY"]
    if given and str(given).rstrip("=") != public:
        raise ValueError("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY")
    # Kept as PEM whatever form it was given in; send() reads it back.
    app.config["VAPID_PRIVATE_KEY"] = private_pem(key)
    app.config["VAPID_PUBLIC_KEY"] = public


def vapid_public_key(app: Flask) -> str:
    """The applicationServerKey browsers subscribe with (URL-safe base64, no padding)."""
    return app.config["VAPID_PUBLIC_KEY"]


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, or URL-safe base64 of the raw 32 bytes or of DER.

    Raw base64url is what ``npx web-push generate-vapid-keys`` and ``vapid --gen`` print.
    """
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = _b64decode(text)
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as error:
        raise ValueError(f"VAPID_PRIVATE_KEY is not a readable key: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key")
    return key


def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The uncompressed public point (65 bytes, 0x04 first) as URL-safe base64."""
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64encode(point)


def _instance_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in the instance folder, created on first run.

    Written to a private temp file, then hard-linked into place: the link fails if
    another worker got there first, and a reader never sees a half-written file.
    """
    try:
        return load_private_key(path.read_text())
    except FileNotFoundError:
        pass
    key = ec.generate_private_key(ec.SECP256R1())
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(private_pem(key))
        os.link(tmp, path)
    except FileExistsError:
        return load_private_key(path.read_text())
    finally:
        tmp.unlink()
    return key


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    """URL-safe base64 with or without padding; ValueError if it isn't."""
    text = text.strip().rstrip("=")
    if not text or not _B64URL.issuperset(text):
        raise ValueError("not URL-safe base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- the payload -----------------------------------------------------------------------


def build_payload(
    reminder_items: Sequence[str],
    done_url: str | None = None,
    *,
    url: str = "/today",
    session: str | None = None,
    tag: str | None = None,
) -> dict:
    """The JSON the service worker shows (see static/sw.js).

    ``{"title", "body", "url", "tag"?, "actions"?, "done_url"?}``: ``url`` is opened
    on a tap; ``done_url`` (a relative path to ``POST /push/done/<token>``) is posted
    by the "Done" action, offered only with self-care items to check off; ``tag``
    makes a newer reminder replace an older one on the device.
    """
    if session:
        payload = {"title": "Your session is tomorrow", "body": session, "url": url}
    else:
        payload = {"title": "Time for your stretches", "body": items_line(reminder_items),
                   "url": url}
        if done_url and reminder_items:
            payload["actions"] = [{"action": "done", "title": "Done all"}]
            payload["done_url"] = done_url
    if tag:
        payload["tag"] = tag
    return payload


def items_line(names: Sequence[str]) -> str:
    """ "Piriformis stretch, Knee-to-chest stretch and 2 more" """
    names = list(names)
    if not names:
        return "Open today's plan."
    if len(names) <= LISTED_ITEMS + 1:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{', '.join(names[:LISTED_ITEMS])} and {len(names) - LISTED_ITEMS} more"


def encode_payload(payload: Mapping) -> bytes:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload is {len(data)} bytes; at most {MAX_PAYLOAD_BYTES}")
    return data


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


def done_path(app: Flask, token: str) -> str:
    """``/push/done/<token>``, built without a request (the reminder worker has none)."""
    return page_path(app, "push.done", token=token)


# --- sending ---------------------------------------------------------------------------


SENT, GONE, RETRY, FAILED = "sent", "gone", "retry", "failed"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to one push: ``status`` is SENT, GONE, RETRY or FAILED."""

    status: str
    http_status: int | None = None
    retry_after: str | None = None  # the push service's Retry-After, as given
    error: str = ""

    @property
    def retryable(self) -> bool:
        return self.status == RETRY


def send(
    subscription_info: dict,
    payload: Mapping,
    *,
    vapid_private_key: str | ec.EllipticCurvePrivateKey,
    subject: str,
    ttl: int = 3600,
    timeout: float = 10,
    session: requests.Session | None = None,
) -> SendResult:
    """Encrypt ``payload`` for one subscription and hand it to its push service."""
    data = encode_payload(payload)
    key = vapid_private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        key = load_private_key(key)
    try:
        response = webpush(
            subscription_info,
            data=data,
            vapid_private_key=Vapid(key),
            # A fresh dict each call: pywebpush writes "aud" (the endpoint's origin) and
            # "exp" into it, and a shared one would carry the first service's origin.
            vapid_claims={"sub": subject},
            ttl=ttl,
            timeout=timeout,
            requests_session=session,
        )
    except WebPushException as error:
        if error.response is None:  # raised before sending: a malformed subscription
            return SendResult(FAILED, error=_short(error))
        return _result(error.response)
    except requests.RequestException as error:  # connection refused, timeout, TLS
        return SendResult(RETRY, error=_short(error))
    return _result(response)


def _result(response: requests.Response) -> SendResult:
    code = response.status_code
    if code in (200, 201, 202):
        return SendResult(SENT, code)
    error = f"{code} {response.reason or ''} {response.text[:200]}".strip()
    if code in (404, 410):
        return SendResult(GONE, code, error=error)
    if code == 429 or code >= 500:
        return SendResult(RETRY, code, response.headers.get("Retry-After"), error)
    return SendResult(FAILED, code, error=error)


def _short(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


class UserSendResult(NamedTuple):
    sent: int
    gone_deleted: int
    errors: list[SendResult]  # retry later when any is .retryable and nothing was sent


def send_to_user(user, payload: Mapping, config: Mapping) -> UserSendResult:
    """Send to each of the user's devices; delete the subscriptions that are gone."""
    sent, gone, errors = 0, [], []
    with requests.Session() as session:
        for sub in PushSubscription.select().where(PushSubscription.user == user):
            result = send(
                subscription_info(sub),
                payload,
                vapid_private_key=config["VAPID_PRIVATE_KEY"],
                subject=config["VAPID_SUBJECT"],
                ttl=config.get("PUSH_TTL", 3600),
                timeout=config.get("PUSH_TIMEOUT", 10),
                session=session,
            )
            if result.status == SENT:
                sent += 1
            elif result.status == GONE:
                gone.append(sub.id)
            else:
                errors.append(result)
    deleted = 0
    if gone:
        # By id and user: a device that moved to another account meanwhile stays.
        deleted = (
            PushSubscription.delete()
            .where(PushSubscription.id.in_(gone) & (PushSubscription.user == user))
            .execute()
        )
    return UserSendResult(sent, deleted, errors)


def subscription_info(sub) -> dict:
    """A PushSubscription row in the shape the browser's toJSON() gives and pywebpush takes."""
    return {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}


# --- subscriptions from the browser, validated -----------------------------------------


class InvalidSubscription(ValueError):
    """A subscription the app won't store; the message is shown to the user."""


_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ENDPOINT_MAX = 1000  # PushSubscription.endpoint's column


def valid_p256dh(text: str) -> bool:
    """True for a P-256 public point in uncompressed form, as browsers send it."""
    try:
        raw = _b64decode(text)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return len(raw) == 65 and raw[0] == 4


def valid_auth(text: str) -> bool:
    """True for the 16-byte auth secret of RFC 8291."""
    try:
        return len(_b64decode(text)) == 16
    except ValueError:
        return False


def parse_subscription(data: object, config: Mapping) -> dict:
    """``{endpoint, keys: {p256dh, auth}}`` from PushSubscription.toJSON(), checked."""
    if not isinstance(data, dict):
        raise InvalidSubscription("Send the subscription as a JSON object.")
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("The subscription has no endpoint.")
    check_endpoint(endpoint, config)
    if not isinstance(keys, dict):
        raise InvalidSubscription("The subscription has no keys.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or len(p256dh) > 200 or not valid_p256dh(p256dh):
        raise InvalidSubscription("The subscription's p256dh key is not a P-256 public key.")
    if not isinstance(auth, str) or len(auth) > 100 or not valid_auth(auth):
        raise InvalidSubscription("The subscription's auth secret is not 16 bytes.")
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def check_endpoint(endpoint: str, config: Mapping) -> None:
    """Raise InvalidSubscription unless the server may POST to this push service URL."""
    if len(endpoint) > ENDPOINT_MAX or any(c.isspace() or not c.isprintable() for c in endpoint):
        raise InvalidSubscription("The subscription's endpoint is not a usable URL.")
    parts = urlsplit(endpoint)
    try:
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise InvalidSubscription("The subscription's endpoint is not a usable URL.") from None
    if not host or parts.username is not None or parts.password is not None:
        raise InvalidSubscription("The subscription's endpoint is not a usable URL.")
    scheme = parts.scheme.lower()
    local = config.get("PUSH_ALLOW_INSECURE_LOCALHOST") and host in _LOCAL_HOSTS
    if local and scheme in ("http", "https"):
        return
    if scheme != "https":
        raise InvalidSubscription("The subscription's endpoint must be an https URL.")
    if _is_ip(host) or host == "localhost" or host.endswith(".localhost"):
        raise InvalidSubscription("The subscription's endpoint must be a push service.")
    allowed = config.get("PUSH_ENDPOINT_HOSTS") or ()
    if allowed and not any(host == h or host.endswith("." + h) for h in allowed):
        raise InvalidSubscription(
            f"{host} is not a push service this app sends to. Please tell us which "
            "browser you use."
        )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# --- the reminder worker's push channel ------------------------------------------------


class PushFailed(Exception):
    """No device got the reminder and some may later: the worker retries the claim."""


def send_reminder(user, reminder) -> str:
    """Send one reminder (a select.Reminder) to the user's devices; a summary for the log.

    Called by tracker.reminders.service inside the app context. Raises PushFailed when
    nothing was delivered and a device failed, so the claim is retried; a reminder that
    reached one device is not resent to all of them because another failed.
    """
    app = current_app._get_current_object()
    # One notification per kind and day: the second self-care reminder replaces the first.
    tag = f"{'session' if reminder.session else 'selfcare'}-{reminder.local_date.isoformat()}"
    today_path = page_path(app, "today.today")
    if reminder.session:
        payload = build_payload((), url=today_path, session=reminder.session, tag=tag)
    else:
        plan = Plan.current_for(user)
        keys = []
        if plan is not None:
            view = plans.day_view(plan, reminder.local_date)
            keys = [i.key for i in view.items
                    if i.name in reminder.items and not i.is_session and i.state == day_model.DUE]
        done_url = None
        if keys:
            token = done_token(app.config["SECRET_KEY"], user.id, plan.id, reminder.local_date,
                               keys)
            done_url = done_path(app, token)
        payload = build_payload(reminder.items, done_url, url=today_path, tag=tag)
    result = send_to_user(user, payload, app.config)
    summary = f"push: {result.sent} sent, {result.gone_deleted} gone, {len(result.errors)} failed"
    if result.errors and not result.sent:
        raise PushFailed(f"{summary}: {result.errors[0].error}")
    return summary


def page_path(app: Flask, endpoint: str, **values) -> str:
    """A path for ``endpoint`` without a request: payload URLs are relative to the site."""
    adapter = app.url_map.bind("localhost", script_name=app.config["APPLICATION_ROOT"])
    return adapter.build(endpoint, values)
