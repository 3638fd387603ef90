"""Web push sending: a payload to each of a user's devices, through their push services.

Sending goes through ``pywebpush``: it encrypts the payload for the subscription
(RFC 8291, aes128gcm) and signs a VAPID JWT (RFC 8292) whose ``aud`` is the push
service's origin. The push service's answer decides what the caller does:

- 200/201/202: sent;
- 404/410: the subscription is gone for good, delete it;
- 429, 5xx, timeouts and connection errors: try again later;
- anything else (400 bad request, 403 key mismatch, 413 too big): failed, keep the
  subscription (the next reminder may well go through) and log it.

The payload is tracker.domain.push_payload, the key pair tracker.config.init_vapid (read
with tracker.domain.vapid), the "Done" tokens tracker.store.tokens; subscriptions are
validated by tracker.domain.push_subscription before they are stored.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from tracker.domain import day as day_model
from tracker.domain.push_payload import build_payload, encode_payload
from tracker.domain.vapid import load_private_key
from tracker.store import plans
from tracker.store.models import Plan, PushSubscription
from tracker.store.tokens import done_token

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


# --- the reminder worker's push channel ------------------------------------------------


class PushFailed(Exception):
    """No device got the reminder and some may later: the worker retries the claim."""


def send_reminder(user, reminder) -> str:
    """Send one reminder (a select.Reminder) to the user's devices; a summary for the log.

    Called by tracker.jobs.reminders inside the app context. Raises PushFailed when
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
            # By key, not name: two items may share a name, and "Done" checks off only the
            # ones this reminder lists (and that are still due when it is sent).
            view = plans.day_view(plan, reminder.local_date)
            keys = [key for key in reminder.item_keys
                    if (item := view.item(key)) is not None and not item.is_session
                    and item.state == day_model.DUE]
        done_url = None
        if keys:
            token = done_token(app.config["SECRET_KEY"], user.id, plan.id, reminder.local_date,
                               keys)
            done_url = done_path(app, token)
        payload = build_payload(reminder.item_names, done_url, url=today_path, tag=tag)
    result = send_to_user(user, payload, app.config)
    summary = f"push: {result.sent} sent, {result.gone_deleted} gone, {len(result.errors)} failed"
    if result.errors and not result.sent:
        raise PushFailed(f"{summary}: {result.errors[0].error}")
    return summary


def page_path(app: Flask, endpoint: str, **values) -> str:
    """A path for ``endpoint`` without a request: payload URLs are relative to the site."""
    adapter = app.url_map.bind("localhost", script_name=app.config["APPLICATION_ROOT"])
    return adapter.build(endpoint, values)


def done_path(app: Flask, token: str) -> str:
    """``/push/done/<token>``, built without a request (the reminder worker has none)."""
    return page_path(app, "push.done", token=token)
