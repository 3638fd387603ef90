"""Messages between a therapist and a client: one thread per care link, read markers per
side, unread counts, and which notices are due.

A thread is the active CareLink between the two: when the link ends (``end_link``) or an
account is deleted (tracker.store.privacy) its messages go with it. The store announces a
committed message with ``sent``; tracker.jobs.tasks turns it into a notice to the other
side (tracker.jobs.message_notices), at most one an hour per thread.
"""
from datetime import datetime, timedelta

from blinker import Namespace
from peewee import JOIN, Case, fn

from tracker.store.db import Prepared, database
from tracker.store.models import (
    CareLink,
    Message,
    MessageNotice,
    MessageRead,
    User,
    utcnow,
)

BODY_MAX = Message.BODY_MAX
NOTICE_EVERY = timedelta(hours=1)  # at most one notice an hour per thread and recipient
# A thread shows its newest messages; older ones are kept (and exported), not shown.
SHOWN = 200

# Sent with (link id, recipient id) once a message is committed.
sent = Namespace().signal("message-sent")


class ThreadClosed(Exception):
    """The care link ended (or never was): nothing can be sent in the thread."""


def threads_of(user: User):
    """The user's active care links with the person on the other side loaded (a query of
    CareLink): a client's therapists, or a therapist's clients."""
    if user.is_therapist:
        return (CareLink.select(CareLink, User).join(User, on=(CareLink.client == User.id))
                .where((CareLink.therapist == user.id) & CareLink.active))
    return (CareLink.select(CareLink, User).join(User, on=(CareLink.therapist == User.id))
            .where((CareLink.client == user.id) & CareLink.active))


def other_side(link: CareLink, user_id: int) -> User:
    """The person ``user_id`` writes to in this thread."""
    return link.client if link.therapist_id == user_id else link.therapist


def recipient_id(link: CareLink, sender_id: int) -> int:
    return link.client_id if link.therapist_id == sender_id else link.therapist_id


def send(link: CareLink, sender: User, body: str, now: datetime | None = None) -> Message:
    """Add a message to the thread (the link must still be active); the sender has read
    everything up to it. Announces it after the commit."""
    now = now or utcnow()
    if sender.id not in (link.therapist_id, link.client_id):
        raise ThreadClosed("not one of this thread's two people")
    with database.atomic():
        # A write first: it takes the link's row lock (PostgreSQL) or the write lock
        # (SQLite) before reading, so a link ending at the same moment either waits for this
        # message (and deletes it) or has ended before it (and this refuses).
        still = (CareLink.update(active=True)
                 .where((CareLink.id == link.id) & CareLink.active).execute())
        if not still:
            raise ThreadClosed("the care link has ended")
        message = Message.create(link=link.id, sender=sender.id, body=body, created_at=now)
        _read_up_to(link.id, sender.id, message.id, now)
    sent.send(link.id, recipient_id=recipient_id(link, sender.id))
    return message


def recent(link: CareLink, limit: int = SHOWN) -> list[Message]:
    """The thread's newest messages, oldest first."""
    newest = list(Message.select().where(Message.link == link.id)
                  .order_by(Message.id.desc()).limit(limit))
    return newest[::-1]


def last_read_id(link_id: int, user_id: int) -> int:
    return (MessageRead.select(MessageRead.last_read_id)
            .where((MessageRead.link == link_id) & (MessageRead.user == user_id))
            .scalar() or 0)


def mark_read(link: CareLink, reader: User, now: datetime | None = None) -> int:
    """The reader has seen every message in the thread so far; returns how many of the other
    side's were unread."""
    newest = (Message.select(fn.MAX(Message.id)).where(Message.link == link.id).scalar())
    if newest is None:
        return 0
    before = last_read_id(link.id, reader.id)
    if newest <= before:
        return 0
    with database.atomic():
        _read_up_to(link.id, reader.id, newest, now or utcnow())
    return (Message.select().where((Message.link == link.id) & (Message.sender != reader.id)
                                   & (Message.id > before) & (Message.id <= newest)).count())


def _read_up_to(link_id: int, user_id: int, message_id: int, now: datetime) -> None:
    """Move the user's read marker forward to ``message_id`` (never back)."""
    moved = (MessageRead.update(last_read_id=message_id, read_at=now)
             .where((MessageRead.link == link_id) & (MessageRead.user == user_id)
                    & (MessageRead.last_read_id < message_id)).execute())
    if moved:
        return
    (MessageRead.insert(link=link_id, user=user_id, last_read_id=message_id, read_at=now)
     .on_conflict_ignore().execute())
    # Ignored when the row existed (another request made it, or it is already further on):
    # move it forward again, which is a no-op when it is already past.
    (MessageRead.update(last_read_id=message_id, read_at=now)
     .where((MessageRead.link == link_id) & (MessageRead.user == user_id)
            & (MessageRead.last_read_id < message_id)).execute())


def _unread_query(user_id: int):
    """The user's unread messages in their active threads (a query to select from)."""
    read = MessageRead.alias()
    return (Message.select()
            .join(CareLink, on=(Message.link == CareLink.id))
            .join(read, JOIN.LEFT_OUTER,
                  on=((read.link == Message.link) & (read.user == user_id)))
            .where(CareLink.active
                   & ((CareLink.client == user_id) | (CareLink.therapist == user_id))
                   & (Message.sender != user_id)
                   & (Message.id > fn.COALESCE(read.last_read_id, 0))))


def unread_by_link(user: User) -> dict[int, int]:
    """Unread messages in each of the user's threads, by link id (threads with none left out;
    one query)."""
    query = (_unread_query(user.id).select(Message.link, fn.COUNT(Message.id).alias("n"))
             .group_by(Message.link))
    return {row.link_id: row.n for row in query}


_UNREAD_TOTAL = Prepared(
    lambda user_id: _unread_query(user_id).select(fn.COUNT(Message.id)),
    lambda user_id: [user_id, user_id, user_id, user_id, 0])


def unread_total(user: User) -> int:
    """The user's unread messages (every page's nav shows it: its SQL prepared)."""
    return _UNREAD_TOTAL.rows(user.id)[0][0]


def unread_in(link: CareLink, user: User) -> int:
    return _unread_query(user.id).where(Message.link == link.id).count()


def end_link(client: User, link_id: int, now: datetime | None = None) -> CareLink | None:
    """The client ends a therapist link: the therapist no longer sees them, and the thread
    between them is deleted. None when the link was not theirs or had already ended."""
    with database.atomic():
        ended = (CareLink.update(active=False, ended_at=now or utcnow())
                 .where((CareLink.id == link_id) & (CareLink.client == client.id)
                        & CareLink.active).execute())
        if not ended:
            return None
        delete_threads([link_id])
    return CareLink.get_by_id(link_id)


def delete_threads(link_ids: list[int]) -> None:
    """Delete the threads of these links: messages, read markers, notices (in the caller's
    transaction)."""
    if link_ids:
        for model in (MessageNotice, MessageRead, Message):
            model.delete().where(model.link.in_(link_ids)).execute()


def export_of(user: User) -> list[dict]:
    """Every thread the user has (with each linked person), oldest message first."""
    links = (CareLink.select().where((CareLink.client == user.id)
                                     | (CareLink.therapist == user.id)).order_by(CareLink.id))
    threads = []
    for link in links:
        messages = list(Message.select(Message, User).join(User, on=(Message.sender == User.id))
                        .where(Message.link == link.id).order_by(Message.id))
        if not messages:
            continue
        with_whom = other_side(link, user.id)
        threads.append({
            "with": with_whom.name,
            "messages": [{"from": "you" if m.sender_id == user.id else with_whom.name,
                          "at": m.created_at, "text": m.body} for m in messages],
        })
    return threads


# --- notices -------------------------------------------------------------------------


def notice_due(link_id: int, recipient_id: int, now: datetime) -> tuple[int, int] | None:
    """The next notice the recipient is due in this thread, as (seq, newest message id it
    covers), or None: nothing unread, the newest unread already told, or told within the
    hour (NOTICE_EVERY)."""
    link = CareLink.get_or_none((CareLink.id == link_id) & CareLink.active)
    if link is None or recipient_id not in (link.therapist_id, link.client_id):
        return None
    newest = (Message.select(fn.MAX(Message.id))
              .where((Message.link == link_id) & (Message.sender != recipient_id)
                     & (Message.id > last_read_id(link_id, recipient_id))).scalar())
    if newest is None:
        return None
    last = (MessageNotice.select()
            .where((MessageNotice.link == link_id) & (MessageNotice.recipient == recipient_id))
            .order_by(MessageNotice.seq.desc(), MessageNotice.id.desc()).first())
    if last is not None and (newest <= last.covers_id
                             or last.created_at > now - NOTICE_EVERY):
        return None
    return (last.seq + 1 if last else 1), newest


def waiting_threads(since: datetime) -> list[tuple[int, int]]:
    """(link id, recipient id) of every active thread with a message since ``since`` that
    its recipient has not read: the sweep's candidates for a notice."""
    read = MessageRead.alias()
    recipient = Case(None, [(Message.sender == CareLink.therapist, CareLink.client)],
                     CareLink.therapist)
    query = (Message.select(Message.link, recipient).distinct()
             .join(CareLink, on=(Message.link == CareLink.id))
             .join(read, JOIN.LEFT_OUTER,
                   on=((read.link == Message.link) & (read.user == recipient)))
             .where(CareLink.active & (Message.created_at >= since)
                    & (Message.id > fn.COALESCE(read.last_read_id, 0))))
    return sorted(set(query.tuples()))
