"""A person's own data: everything we hold, to download; and deleting it all.

Downloads hold JSON (the whole record) and CSV files (one per table a person would open in a
spreadsheet). A therapist's words about a client (plan changes, pause reasons, step
reasons) are part of the client's plan and go with the client's data.

Session notes: the notes a therapist shared with the client are the client's too (in the
client's export, and kept with the client's record, author cleared, when the therapist
deletes their account); private notes are the therapist's own record: only in the author's
export (with every note they wrote), and deleted with the author's account. Deleting the
client's account deletes every note about them.

The audit log (tracker/store/audit.py): the entries about a person are in their download
(who, when, what; not the actors' addresses) and are deleted with their account, as what
they refer to is gone. Entries a deleted therapist made about clients stay, without a name
("A former therapist").

Questionnaire answers (tracker/store/questionnaires.py) are the client's: in their download
(data.json and questionnaires.csv) and deleted with their account, as are their plans'
questionnaire schedules.

A therapist's photos on their own techniques (tracker/store/photos.py) are in their download
(``photos/`` in the zip, described in data.json) and deleted with their account.
"""
import csv
import io
import json
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from flask import current_app, has_app_context

from tracker.domain import wording
from tracker.domain.times import format_time_of_day
from tracker.store import audit, files, messages, photos, questionnaires
from tracker.store.db import database
from tracker.store.models import (
    AlertPreference,
    AppliedOperation,
    CareLink,
    CheckIn,
    CheckOff,
    DigestClaim,
    Invite,
    InviteEmail,
    LoginSession,
    PasswordReset,
    PhaseTransition,
    Plan,
    PlanEvent,
    PlanPause,
    PlanRevision,
    PlanTemplate,
    PushSubscription,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ReminderClaim,
    ReminderPreference,
    SessionBooking,
    SessionNote,
    Technique,
    User,
)


def _rows(query, *fields) -> list[dict]:
    return [{f: getattr(row, f) for f in fields} for row in query]


def _plan_record(plan: Plan) -> dict:
    return {
        "title": plan.title,
        "start": plan.start,
        "status": plan.status,
        "therapist": plan.therapist.name if plan.therapist_id else None,
        "revisions": _rows(plan.revisions.order_by(PlanRevision.effective_from),
                           "effective_from", "spec", "note", "created_at"),
        "phase_changes": _rows(plan.transitions.order_by(PhaseTransition.on),
                               "on", "to_phase", "reason", "created_at"),
        "pauses": _rows(plan.pauses.order_by(PlanPause.start),
                        "start", "end", "scope", "reason", "created_at"),
        "changes": _rows(plan.events.order_by(PlanEvent.at), "at", "kind", "message",
                         "effective_from"),
        "bookings": _rows(plan.bookings.order_by(SessionBooking.original_day),
                          "item_key", "original_day", "day", "time"),
        "check_offs": _rows(plan.checkoffs.order_by(CheckOff.day, CheckOff.item_key),
                            "day", "item_key", "status", "skip_reason", "logged_at"),
    }


_NOTE_FIELDS = ("session_day", "item_key", "done", "areas", "pressure", "response")


def _notes_about(user: User) -> list[dict]:
    """The session notes shared with the client (private ones are the therapist's)."""
    rows = (SessionNote.select().where((SessionNote.client == user) & SessionNote.shared)
            .order_by(SessionNote.session_day, SessionNote.id))
    return [{**_rows([n], *_NOTE_FIELDS)[0],
             "therapist": n.therapist.name if n.therapist_id else None} for n in rows]


def _notes_written(user: User) -> list[dict]:
    """Every session note the therapist wrote, private and shared."""
    rows = (SessionNote.select().where(SessionNote.therapist == user)
            .order_by(SessionNote.session_day, SessionNote.id))
    return [{"client": n.client.name, **_rows([n], *_NOTE_FIELDS, "shared", "created_at",
                                              "updated_at")[0]} for n in rows]


def export(user: User) -> dict:
    """Everything stored about ``user``, as plain data."""
    pref = ReminderPreference.get_or_none(ReminderPreference.user == user)
    record = {
        "account": {"email": user.email, "name": user.name, "role": user.role,
                    "timezone": user.timezone, "created_at": user.created_at},
        "reminders": _rows([pref], "selfcare_time", "second_time", "session_day_before",
                           "session_day_before_time", "quiet_start", "quiet_end", "email",
                           "push") if pref else [],
        "devices": _rows(user.push_subscriptions, "label", "created_at"),
        "sign_ins": _rows(user.login_sessions.order_by(LoginSession.created_at), "device",
                          "created_at", "last_seen_at", "revoked_at"),
        "reminders_sent": _rows(user.reminder_claims.order_by(ReminderClaim.due_at),
                                "local_date", "slot", "channel", "status", "sent_at"),
        "check_ins": _rows(user.checkins.order_by(CheckIn.day), "day", "leg_pain", "back_pain",
                           "numbness", "weakness", "note", "red_flags", "contraindications"),
        "plans": [_plan_record(p) for p in user.plans.order_by(Plan.start, Plan.id)],
        "therapists": [{"name": link.therapist.name, "since": link.created_at,
                        "active": link.active} for link in user.therapist_links],
        "session_notes": _notes_about(user),
        "messages": messages.export_of(user),
        "audit_log": audit.export_of(user),
        "questionnaires": questionnaires.export_of(user),
    }
    if user.is_therapist:
        record["techniques"] = _rows(user.techniques, "name", "kind", "body_area", "summary",
                                     "instructions", "dose", "cautions")
        record["templates"] = _rows(user.plan_templates, "name", "description", "spec")
        record["invites"] = _rows(user.invites, "note", "created_at", "expires_at", "used_at")
        record["session_notes_written"] = _notes_written(user)
        record["clients"] = [{"name": link.client.name, "since": link.created_at,
                              "active": link.active} for link in user.client_links]
        alerts = AlertPreference.get_or_none(AlertPreference.therapist == user)
        record["alerts"] = _rows([alerts], "warning", "area", "flare_up", "step_down",
                                 "inactive", "inactive_days", "digest_time") if alerts else []
        record["digests_sent"] = _rows(
            user.digest_claims.order_by(DigestClaim.local_date, DigestClaim.channel),
            "local_date", "channel", "status", "clients", "sent_at")
    return record


def _plain(value):
    if isinstance(value, time):  # a time of day, written as the settings show it
        return format_time_of_day(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v, default=_plain) if isinstance(v, list | dict)
                             else _plain(v) if isinstance(v, datetime | date | time) else v
                             for k, v in row.items()})
    return out.getvalue()


def export_zip(user: User) -> bytes:
    """The export as a zip: data.json, plus CSV files for the day-by-day records, plus a
    therapist's photos as picture files."""
    record = export(user)
    pictures = photos.export_of(user) if user.is_therapist else []
    if user.is_therapist:
        record["photos"] = [about for about, _ in pictures]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(record, default=_plain, indent=2))
        archive.writestr("check_ins.csv", _csv(record["check_ins"]))
        check_offs = [{"plan": p["title"], **c} for p in record["plans"] for c in p["check_offs"]]
        archive.writestr("check_offs.csv", _csv(check_offs))
        changes = [{"plan": p["title"], **c} for p in record["plans"] for c in p["changes"]]
        archive.writestr("plan_changes.csv", _csv(changes))
        archive.writestr("session_notes.csv", _csv(record["session_notes"]))
        sent = [{"with": t["with"], **m} for t in record["messages"] for m in t["messages"]]
        archive.writestr("messages.csv", _csv(sent))
        archive.writestr("questionnaires.csv", _csv(record["questionnaires"]))
        archive.writestr("who_has_seen_your_data.csv", _csv(record["audit_log"]))
        for about, picture in pictures:
            archive.writestr(about["file"], picture)
        archive.writestr("README.txt", "Your data from the sciatica care-plan tracker.\n"
                         "data.json holds everything; the CSV files open in a spreadsheet.\n")
    return buffer.getvalue()


# What a person's account owns outright, by the field that says whose it is.
_OWNED_BY = (
    AlertPreference.therapist,
    DigestClaim.therapist,
    AppliedOperation.user,
    LoginSession.user,
    PasswordReset.user,
    PushSubscription.user,
    ReminderClaim.user,
    ReminderPreference.user,
    CheckIn.client,
    QuestionnaireResponse.client,
    Invite.therapist,
    PlanTemplate.owner,
    Technique.owner,
)


def delete_account(user: User, outbox: Path | None = None) -> None:
    """Delete the account and everything that belongs to it, in one transaction.

    Foreign keys cascade from the user to plans and from plans to their rows; what only
    points at the user (plans they made for others, transitions they confirmed) is kept
    with the pointer cleared, so a client keeps their plan when a therapist leaves, and
    what named them there says "a former therapist" instead. Then the emails to them
    still in the outbox (``outbox``: the app's ``instance/outbox/`` by default) go too.
    """
    address = user.email
    with database.atomic():
        audit.erase_about(user)  # entries by this user about others stay, actor cleared
        InviteEmail.delete().where(InviteEmail.invite.in_(
            Invite.select(Invite.id).where(Invite.therapist == user))).execute()
        SessionNote.delete().where(
            (SessionNote.client == user)
            | ((SessionNote.therapist == user) & ~SessionNote.shared)).execute()
        photos.delete_of_owner(user)  # before their techniques (Technique.owner below)
        for owner in _OWNED_BY:
            owner.model.delete().where(owner == user).execute()
        plan_ids = [p.id for p in Plan.select(Plan.id).where(Plan.client == user)]
        if plan_ids:
            for model in (QuestionnaireSchedule, CheckOff, SessionBooking, PlanEvent,
                          PlanPause, PhaseTransition, PlanRevision):
                model.delete().where(model.plan.in_(plan_ids)).execute()
            Plan.delete().where(Plan.id.in_(plan_ids)).execute()
        links = CareLink.select(CareLink.id).where((CareLink.client == user)
                                                   | (CareLink.therapist == user))
        messages.delete_threads([link.id for link in links])
        CareLink.delete().where((CareLink.client == user) | (CareLink.therapist == user)).execute()
        _forget_name(user)
        _clear_pointers(user)
        User.delete().where(User.id == user.id).execute()
    if outbox is None and has_app_context():
        outbox = Path(current_app.instance_path) / "outbox"
    if outbox is not None:
        for path in files.outbox_files(outbox, address):
            path.unlink(missing_ok=True)


_CONFIRMED_BY = re.compile(r", confirmed by .*$", re.S)


def _forget_name(user: User) -> None:
    """What others keep and named this user in words: their plans' change log and the
    reasons of steps they confirmed no longer name them."""
    for event in PlanEvent.select().where(PlanEvent.actor == user):
        message = wording.without_therapist(event.message, user.name)
        if message != event.message:
            PlanEvent.update(message=message).where(PlanEvent.id == event.id).execute()
    for step in PhaseTransition.select().where(PhaseTransition.created_by == user):
        reason = _CONFIRMED_BY.sub(", confirmed by a former therapist", step.reason)
        if reason != step.reason:
            PhaseTransition.update(reason=reason).where(PhaseTransition.id == step.id).execute()


def _clear_pointers(user: User) -> None:
    """Rows that stay (other people's) but named this user: forget who."""
    Plan.update(therapist=None).where(Plan.therapist == user).execute()
    Plan.update(created_by=None).where(Plan.created_by == user).execute()
    for model in (PlanRevision, PhaseTransition, PlanPause):
        model.update(created_by=None).where(model.created_by == user).execute()
    PlanEvent.update(actor=None).where(PlanEvent.actor == user).execute()
    SessionNote.update(therapist=None).where(SessionNote.therapist == user).execute()
    Invite.update(used_by=None).where(Invite.used_by == user).execute()
