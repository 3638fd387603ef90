"""The audit log: one append-only row each time a therapist opens a client's data, and each
change to a client's plan or its safety pauses (who, whom, what, when, from where).

Each record is one INSERT and reads nothing. The request's address comes from the web layer
(``bind_address``, set for each request from ``request.remote_addr``, which ProxyFix has
already corrected when ``TRACKER_PROXIES`` is set): the plan services record their changes
here without knowing about requests. Rows are never changed; they are deleted only when
older than the retention period (``prune``) and with the client's account
(``erase_about``): the data they are about is gone then.
"""
from contextvars import ContextVar
from datetime import datetime

from peewee import JOIN

from tracker.domain import audit as words
from tracker.domain.audit import VIEWED_CLIENT, VIEWED_MESSAGES, VIEWED_SUMMARY
from tracker.store.models import AuditEntry, User, utcnow

# The address of the request being served in this context; None in the worker and the CLI.
_address: ContextVar[str | None] = ContextVar("audit_address", default=None)

PAGE_SIZE = 30

__all__ = ["VIEWED_CLIENT", "VIEWED_MESSAGES", "VIEWED_SUMMARY", "about", "bind_address",
           "erase_about", "export_of", "for_inspection", "plan_changed", "prune", "record",
           "viewed"]


def bind_address(address: str | None) -> None:
    """The address the following records come from (the web layer, once per request)."""
    _address.set(address[:64] if address else None)


def _role(actor: User | None) -> str:
    if actor is None:
        return words.SYSTEM
    return words.THERAPIST if actor.role == words.THERAPIST else words.CLIENT


def record(actor: User | None, subject_id: int, action: str, detail: str = "") -> None:
    """Append one entry (``actor`` None: the app itself). One INSERT."""
    if action not in words.ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    AuditEntry.insert(
        at=utcnow(), actor=actor.id if actor else None, actor_role=_role(actor),
        subject=subject_id, action=action, detail=detail[:200], address=_address.get(),
    ).execute()


def viewed(therapist: User, client_id: int, action: str) -> None:
    """A therapist opened one of the client's pages (an action in domain.audit.VIEWS)."""
    if action not in words.VIEWS:
        raise ValueError(f"not a view: {action!r}")
    record(therapist, client_id, action)


def plan_changed(plan, actor: User | None, kind: str, day=None, *, safety: bool = False) -> None:
    """A change to ``plan`` (a PlanEvent of ``kind``); ``safety``: a safety pause or its end."""
    detail = f"plan {plan.id}" + (f", from {day:%Y-%m-%d}" if day else "")
    record(actor, plan.client_id, words.plan_action(kind, safety=safety), detail)


def about(user: User, page: int = 1) -> tuple[list[words.Line], bool]:
    """Entries about ``user``, newest first, as they read them: one page, and whether an
    older page exists. Names come from the accounts as they are now (a deleted one is gone)."""
    page = max(page, 1)
    actor = User.alias()
    rows = list(
        AuditEntry.select(AuditEntry.at, AuditEntry.action, AuditEntry.actor_role,
                          AuditEntry.actor, actor.name.alias("actor_name"))
        .join(actor, JOIN.LEFT_OUTER, on=(AuditEntry.actor == actor.id))
        .where(AuditEntry.subject == user.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        .objects())
    lines = [words.line(r.at, r.action, r.actor_name, r.actor_role, r.actor_id == user.id)
             for r in rows[:PAGE_SIZE]]
    return lines, len(rows) > PAGE_SIZE


def export_of(user: User) -> list[dict]:
    """The entries about ``user`` for their data download (oldest first). Not the actors'
    addresses: those are the actors' data, kept for the clinic's inspector."""
    actor = User.alias()
    rows = (AuditEntry.select(AuditEntry.at, AuditEntry.action, AuditEntry.actor_role,
                              AuditEntry.actor, AuditEntry.detail,
                              actor.name.alias("actor_name"))
            .join(actor, JOIN.LEFT_OUTER, on=(AuditEntry.actor == actor.id))
            .where(AuditEntry.subject == user.id)
            .order_by(AuditEntry.at, AuditEntry.id).objects())
    return [{"at": r.at,
             "who": words.who(r.actor_name, r.actor_role, r.actor_id == user.id),
             "role": r.actor_role, "action": r.action,
             "what": words.ACTIONS.get(r.action, r.action), "detail": r.detail}
            for r in rows]


INSPECTION_FIELDS = ("at", "actor_id", "actor", "actor_role", "subject_id", "subject",
                     "action", "detail", "address")


def for_inspection(since: datetime | None = None, subject_email: str | None = None):
    """Every entry (oldest first) with names and addresses, for the clinic's inspector:
    dicts of INSPECTION_FIELDS; since a moment, about one client (by email) if given."""
    actor, subject = User.alias(), User.alias()
    query = (AuditEntry.select(AuditEntry, actor.name.alias("actor_name"),
                               subject.name.alias("subject_name"))
             .join(actor, JOIN.LEFT_OUTER, on=(AuditEntry.actor == actor.id))
             .switch(AuditEntry).join(subject, on=(AuditEntry.subject == subject.id))
             .order_by(AuditEntry.at, AuditEntry.id))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if subject_email is not None:
        query = query.where(subject.email == subject_email.strip().lower())
    for r in query.objects().iterator():
        yield {"at": r.at.isoformat(), "actor_id": r.actor_id,
               "actor": r.actor_name if r.actor_id else words.who(None, r.actor_role, False),
               "actor_role": r.actor_role, "subject_id": r.subject_id,
               "subject": r.subject_name, "action": r.action, "detail": r.detail,
               "address": r.address or ""}


def prune(now: datetime, days: int) -> int:
    """Delete the entries older than ``days`` (the retention period); how many went."""
    return AuditEntry._expunge().where(AuditEntry.at < words.cutoff(now, days)).execute()


def erase_about(user: User) -> int:
    """Delete the entries about ``user`` (with their account: what they refer to is gone).
    Entries ``user`` made about others stay; the database clears their actor."""
    return AuditEntry._expunge().where(AuditEntry.subject == user.id).execute()
