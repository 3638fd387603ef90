"""Telling someone they have a message: by email, and by push on their subscribed devices.

At most one notice an hour per thread and recipient, and only while something is unread
(tracker.store.messages.notice_due says when one is due). Each notice is claimed under a
unique (thread, recipient, number, channel) key before it is sent (tracker.jobs.claims), so
it goes out once per channel however many workers run. A notice never holds the message
itself (health data does not go by email): only who wrote and a link to the thread. The
worker's minute tick sweeps threads whose notice was held back by the hour or whose enqueue
was lost, and retries failed sends.
"""
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from tracker.jobs import claims
from tracker.jobs import email as email_channel
from tracker.jobs.links import external_url, page_path
from tracker.store import messages
from tracker.store.models import CareLink, MessageNotice, PushSubscription, User

EMAIL, PUSH = "email", "push"
# Threads with an unread message this recent are looked at by the sweep.
SWEEP_WINDOW = timedelta(days=2)


def _thread_endpoint(link: CareLink, recipient: User) -> tuple[str, dict]:
    """Where the recipient reads the thread."""
    if recipient.id == link.therapist_id:
        return "messages.client_thread", {"client_id": link.client_id}
    return "messages.thread", {"therapist_id": link.therapist_id}


def compose(link: CareLink, recipient: User) -> tuple[str, list[str]] | None:
    """Subject and lines: who wrote and how many are unread, never what they wrote. None
    when nothing is unread any more (read before the notice went)."""
    unread = messages.unread_in(link, recipient)
    if not unread:
        return None
    writer = messages.other_side(link, recipient.id).name
    what = "a message" if unread == 1 else f"{unread} messages"
    subject = f"{writer} sent you {what}"
    return subject, [f"{writer} sent you {what} in your sciatica care plan app.",
                     "Open the app to read and reply. For your privacy, messages are not "
                     "included in emails."]


def _send_email(link: CareLink, recipient: User, notice: MessageNotice) -> str:
    composed = compose(link, recipient)
    if composed is None:
        return "read before it was sent"
    subject, lines = composed
    endpoint, values = _thread_endpoint(link, recipient)
    config = current_app.config
    message = email_channel.compose_notice(
        to_name=recipient.name, to_email=recipient.email, sender=config["MAIL_FROM"],
        subject=subject, lines=lines, link=external_url(endpoint, **values),
        link_text="Read the message",
        message_id=f"<message.{link.id}.{recipient.id}.{notice.seq}@sciatica-tracker.local>",
    )
    outbox = Path(current_app.instance_path) / "outbox"
    return email_channel.deliver(message, config.get("SMTP_URL"), outbox)


def _send_push(link: CareLink, recipient: User, notice: MessageNotice) -> str:
    from tracker.jobs import push  # pywebpush and its crypto only when push is used

    composed = compose(link, recipient)
    if composed is None:
        return "read before it was sent"
    subject, _lines = composed
    endpoint, values = _thread_endpoint(link, recipient)
    payload = {"title": subject, "body": "Open the app to read it.",
               "url": page_path(endpoint, **values), "tag": f"message-{link.id}"}
    result = push.send_to_user(recipient, payload, current_app.config)
    if not result.sent:
        reason = result.errors[0].error if result.errors else "no device took it"
        raise push.PushFailed(f"{result.summary}: {reason}")
    return result.summary


SENDERS = {EMAIL: _send_email, PUSH: _send_push}


def _attempt(notice: MessageNotice, now: datetime) -> str:
    link = CareLink.get_or_none((CareLink.id == notice.link_id) & CareLink.active)
    recipient = User.get_or_none(User.id == notice.recipient_id)
    if link is None or recipient is None:  # the thread is gone: nothing to tell
        return claims.attempt(notice, lambda: "thread gone", now)
    return claims.attempt(notice, lambda: SENDERS[notice.channel](link, recipient, notice), now)


def notify(link_id: int, recipient_id: int, now: datetime) -> list[str]:
    """Tell the recipient about their unread messages in the thread, if a notice is due;
    returns the outcome of each send this call made."""
    due = messages.notice_due(link_id, recipient_id, now)
    if due is None:
        return []
    seq, covers = due
    has_push = (PushSubscription.select()
                .where(PushSubscription.user == recipient_id).exists())
    outcomes = []
    for channel in [EMAIL, PUSH] if has_push else [EMAIL]:
        notice = claims.claim(MessageNotice, now, link=link_id, recipient=recipient_id, seq=seq,
                              channel=channel, covers_id=covers, created_at=now)
        if notice is not None:
            outcomes.append(_attempt(notice, now))
    return outcomes


def sweep(now: datetime) -> list[str]:
    """The worker's minute: retry failed and stuck notices; tell recipients whose notice
    waited for the hour to pass, or whose enqueue was lost."""
    outcomes = [_attempt(notice, now) for notice in claims.retake(MessageNotice.select(), now)]
    for link_id, recipient_id in messages.waiting_threads(now - SWEEP_WINDOW):
        outcomes += notify(link_id, recipient_id, now)
    return outcomes
