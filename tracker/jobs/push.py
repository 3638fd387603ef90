"""Web push sending (HTTP): a payload to each of a user's devices, through their push services.

Sending goes through ``pywebpush``: it encrypts the payload for the subscription
(RFC 8291, aes128gcm) and signs a VAPID JWT (RFC 8292) whose ``aud`` is the push
service's origin. The push service's answer decides what the caller does:

- 200/201/202: sent;
- 404/410: the subscription is gone for good, delete it;
- 429, 5xx, timeouts and connection errors: try again later;
- anything else (400 bad request, 403 key mismatch, 413 too big): failed, keep the
  subscription (the next reminder may well go through) and log it.

Only sending lives here. What a notification says is tracker.domain.push_payload, the key
pair tracker.config.init_vapid (read with tracker.domain.vapid), the "Done" tokens
tracker.store.tokens; subscriptions are validated by tracker.domain.push_subscription
before they are stored. What is sent, and when, is the reminder and alert workers'
(tracker.jobs.reminders, tracker.jobs.alerts).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from tracker.domain.push_payload import encode_payload
from tracker.domain.vapid import load_private_key
from tracker.store.models import PushSubscription

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

    @property
    def summary(self) -> str:
        """A line for the claim's log: "push: 1 sent, 0 gone, 0 failed"."""
        return f"push: {self.sent} sent, {self.gone_deleted} gone, {len(self.errors)} failed"


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


class PushFailed(Exception):
    """No device got the message and some may later: the worker retries the claim."""
