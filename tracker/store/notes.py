"""Session notes: a therapist's short record of one professional session, private or shared.

Who reads a note:
- its author, always (private or shared);
- the client, and the client's other linked therapists, only when it is shared;
- the printable summary and the client's data export hold shared notes only; the author's
  own export holds every note they wrote (private ones are the therapist's record).

A note belongs to a session: a session item of the client's plan on a day. The sessions a
therapist may write about are the plan's sessions due in the last ``SESSION_DAYS`` days and
today, done or not (a therapist may note a session the client has not checked off).
"""
from dataclasses import dataclass
from datetime import date, timedelta

from peewee import JOIN, IntegrityError

from tracker.domain import schedule
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import CheckOff, Plan, SessionNote, User, utcnow

SESSION_DAYS = 90  # how far back a session can still get a note
DONE_MAX = 1000
RESPONSE_MAX = 1000
AREAS_MAX = 200
PRESSURE_LABELS = {"": "Not said", "light": "Light", "moderate": "Moderate", "firm": "Firm",
                   "deep": "Deep"}


class NoteExists(Exception):
    """The therapist already has a note on this session: edit that one instead."""


@dataclass(frozen=True)
class Session:
    """A professional session a note can be about."""

    item_key: str
    day: date
    name: str
    done: bool  # the client checked it off

    @property
    def value(self) -> str:
        """The session as one form value: "<item key>@<ISO day>"."""
        return f"{self.item_key}@{self.day.isoformat()}"

    @property
    def label(self) -> str:
        return f"{self.day:%a %-d %b}: {self.name}{' (done)' if self.done else ''}"


@dataclass(frozen=True)
class NoteView:
    """A note as a page shows it."""

    note: SessionNote
    session_name: str
    author: str  # the therapist's name, or "A former therapist"
    own: bool  # written by the viewer: they may edit and delete it

    @property
    def pressure_label(self) -> str:
        return PRESSURE_LABELS.get(self.note.pressure, self.note.pressure)


def parse_session(value: str) -> tuple[str, date] | None:
    """A session form value back to (item key, day); None when malformed."""
    key, sep, day = (value or "").rpartition("@")
    if not sep or not key or len(key) > 64:
        return None
    try:
        return key, date.fromisoformat(day)
    except ValueError:
        return None


def sessions(plan: Plan, today: date) -> list[Session]:
    """The plan's sessions from ``SESSION_DAYS`` ago to today, newest first."""
    first = max(plan.start, today - timedelta(days=SESSION_DAYS))
    if first > today:
        return []
    found = [o for o in schedule.occurrences(plans.plan_input(plan), first, today)
             if o.item.is_session]
    done = {(c.item_key, c.day) for c in CheckOff.select(CheckOff.item_key, CheckOff.day).where(
        (CheckOff.plan == plan) & (CheckOff.status == CheckOff.DONE)
        & CheckOff.day.between(first - timedelta(days=SESSION_DAYS), today))}
    out = {}
    for o in found:
        was_done = (o.item.key, o.date) in done or (o.item.key, o.original_date) in done
        out[(o.item.key, o.date)] = Session(o.item.key, o.date, o.item.name, was_done)
    return sorted(out.values(), key=lambda s: (s.day, s.item_key), reverse=True)


def _names(plan: Plan, today: date) -> dict[str, str]:
    spec = schedule.spec_on(plans.plan_input(plan), max(today, plan.start))
    return {item.key: item.name for phase in spec.phases for item in phase.items}


def _views(rows, viewer: User | None, today: date) -> list[NoteView]:
    names: dict[int, dict[str, str]] = {}
    out = []
    for note in rows:
        if note.plan_id not in names:
            names[note.plan_id] = _names(note.plan, today)
        out.append(NoteView(
            note=note,
            session_name=names[note.plan_id].get(note.item_key, "Session"),
            author=note.therapist.name if note.therapist_id else "A former therapist",
            own=viewer is not None and note.therapist_id == viewer.id,
        ))
    return out


def _about(client: User):
    Author = User.alias()
    return (SessionNote.select(SessionNote, Plan, Author)
            .join(Plan, on=(SessionNote.plan == Plan.id))
            .switch(SessionNote)
            .join(Author, JOIN.LEFT_OUTER, on=(SessionNote.therapist == Author.id))
            .where(SessionNote.client == client)
            .order_by(SessionNote.session_day.desc(), SessionNote.id.desc()))


def for_therapist(client: User, therapist: User, today: date) -> list[NoteView]:
    """The notes on the client a therapist may read: their own, and others' shared ones."""
    rows = _about(client).where((SessionNote.therapist == therapist) | SessionNote.shared)
    return _views(rows, therapist, today)


def shared_with(client: User, today: date, since: date | None = None) -> list[NoteView]:
    """The notes shared with the client (from ``since`` on), newest session first."""
    rows = _about(client).where(SessionNote.shared)
    if since is not None:
        rows = rows.where(SessionNote.session_day >= since)
    return _views(rows, None, today)


def write(plan: Plan, therapist: User, item_key: str, day: date, *, done: str, areas: str,
          pressure: str, response: str, shared: bool) -> SessionNote:
    """A new note on a session of ``plan``; NoteExists when this therapist has one."""
    if pressure not in PRESSURE_LABELS:
        raise ValueError(f"unknown pressure {pressure!r}")
    try:
        with database.atomic():
            return SessionNote.create(
                plan=plan, client=plan.client_id, therapist=therapist, item_key=item_key,
                session_day=day, done=done.strip(), areas=areas.strip(), pressure=pressure,
                response=response.strip(), shared=shared)
    except IntegrityError:
        raise NoteExists from None


def update(note: SessionNote, *, done: str, areas: str, pressure: str, response: str,
           shared: bool) -> None:
    """Change a note's words and who reads it (its session stays)."""
    if pressure not in PRESSURE_LABELS:
        raise ValueError(f"unknown pressure {pressure!r}")
    SessionNote.update(done=done.strip(), areas=areas.strip(), pressure=pressure,
                       response=response.strip(), shared=shared, updated_at=utcnow()).where(
        SessionNote.id == note.id).execute()


def delete(note: SessionNote) -> None:
    SessionNote.delete().where(SessionNote.id == note.id).execute()
