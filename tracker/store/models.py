"""Peewee models and the ownership-scoped queries views use."""
import json
import secrets
from datetime import UTC, datetime, time
from functools import cache

from flask_login import UserMixin
from peewee import (
    SQL,
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FieldAccessor,
    FloatField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    PostgresqlDatabase,
    TextField,
    fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.domain.times import format_time_of_day, parse_time_of_day
from tracker.store.db import BaseModel, database

CLIENT = "client"
THERAPIST = "therapist"

# werkzeug's method for new password hashes: scrypt unless create_app passes the app's
# PASSWORD_HASH_METHOD (tests use a cheap one). Read at each call, never at import.
_password_hash_method = "scrypt"


def set_password_hash_method(method: str) -> None:
    """Hash new passwords with this werkzeug method; an unknown one fails here, at start-up."""
    global _password_hash_method
    _dummy_hash(method)
    _password_hash_method = method


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_password_hash_method)


@cache
def _dummy_hash(method: str) -> str:
    """Compared against when an email is unknown, so a wrong email costs the same time
    as a wrong password and the response does not reveal which accounts exist."""
    return generate_password_hash("not-a-real-password", method=method)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTimeField(DateTimeField):
    """A moment: written as an aware datetime, stored in UTC, read back aware in UTC.

    Every timestamp column is one, so no caller converts. A naive datetime is refused: it
    names no moment. SQLite keeps the text "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00" (always
    UTC, so text order is time order); PostgreSQL's TIMESTAMP column holds UTC (the
    connection's time zone is UTC) and returns it naive, which is read as UTC.
    """

    def db_value(self, value):
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{self.name} needs an aware datetime (got {value!r})")
            value = value.astimezone(UTC)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class _TimeOfDayAccessor(FieldAccessor):
    def __set__(self, instance, value):
        super().__set__(instance, parse_time_of_day(value))


class TimeOfDayField(CharField):
    """A local time of day: a ``datetime.time`` in Python, "HH:MM" in the database.

    Reads and writes go through ``tracker.domain.times``, the one parser, so no caller
    parses or formats a stored time; "HH:MM" is accepted on the way in too (and becomes
    a ``time`` as soon as it is assigned).
    """

    accessor_class = _TimeOfDayAccessor

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 5)
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        return format_time_of_day(parse_time_of_day(value))

    def python_value(self, value):
        return parse_time_of_day(value)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_link_key() -> str:
    return secrets.token_hex(16)


class User(UserMixin, BaseModel):
    email = CharField(max_length=254, unique=True)  # stored lower-case
    name = CharField(max_length=100)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16, default=CLIENT)
    timezone = CharField(max_length=64, default="UTC")
    # The sha256 of the secret in the calendar subscribe URL (the URL is shown once, when
    # made); None until asked for, replaced to revoke. See tracker.store.tokens.
    calendar_token_hash = CharField(max_length=64, unique=True, null=True)
    # Goes into every signed link made for this account (unsubscribe, push "Done"): a link
    # names this value as well as the id, so it dies with the account (and is replaced when
    # the email address changes). Alone it opens nothing: the links are signed.
    link_key = CharField(max_length=32, default=new_link_key)
    # The warning-sign questions were asked and not answered yet: ask again at the next
    # opportunity (the next check-in or visit to /today).
    safety_questions_due = BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)

    # The raw token of the sign-in (LoginSession) this object was loaded or logged in by:
    # Flask-Login's id, kept in the Flask session; never stored (only its hash is).
    login_token: str | None = None

    @property
    def is_therapist(self) -> bool:
        return self.role == THERAPIST

    def get_id(self) -> str | None:
        return self.login_token

    @classmethod
    def by_email(cls, email: str) -> "User | None":
        if "\x00" in email:  # no stored email has one, and PostgreSQL rejects NUL
            return None
        return cls.get_or_none(fn.LOWER(cls.email) == normalise_email(email))

    @classmethod
    def create_account(cls, email: str, name: str, password: str, role: str, timezone: str):
        """Create a user, or return None when the email is already taken."""
        try:
            with database.atomic():
                return cls.create(
                    email=normalise_email(email),
                    name=name.strip(),
                    password_hash=hash_password(password),
                    role=role,
                    timezone=timezone,
                )
        except IntegrityError:
            return None

    @classmethod
    def authenticate(cls, email: str, password: str) -> "User | None":
        """The user with this email and password, or None (in similar time either way)."""
        user = cls.by_email(email)
        if user is None:
            check_password_hash(_dummy_hash(_password_hash_method), password)
            return None
        return user if check_password_hash(user.password_hash, password) else None

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def set_password(self, password: str) -> None:
        """Store a new password (``tracker.store.accounts`` ends the other sign-ins)."""
        self.password_hash = hash_password(password)
        self.save()


class CareLink(BaseModel):
    """A therapist looking after a client.

    ``active`` goes False when the client ends the link; ``archived`` is the therapist
    putting a client away (still linked, off the roster).
    """

    therapist = ForeignKeyField(User, backref="client_links", on_delete="CASCADE")
    client = ForeignKeyField(User, backref="therapist_links", on_delete="CASCADE")
    created_at = UTCDateTimeField(default=utcnow)
    active = BooleanField(default=True)
    archived = BooleanField(default=False)
    ended_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("therapist", "client"), True),)

    @classmethod
    def clients_of(cls, therapist):
        """The therapist's linked clients (a query of User), archived ones included."""
        return (
            User.select()
            .join(cls, on=(cls.client == User.id))
            .where((cls.therapist == therapist) & cls.active)
        )

    @classmethod
    def is_linked(cls, therapist, client) -> bool:
        return (
            cls.select()
            .where((cls.therapist == therapist) & (cls.client == client) & cls.active)
            .exists()
        )


class Invite(BaseModel):
    """A single-use link a therapist gives a client; only a hash of its token is stored."""

    therapist = ForeignKeyField(User, backref="invites", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    note = CharField(max_length=100, default="")  # e.g. the client's name, for the therapist
    created_at = UTCDateTimeField(default=utcnow)
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    used_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    revoked = BooleanField(default=False)


class JSONField(TextField):
    """JSON kept as text: the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class Technique(BaseModel):
    """A technique in the library: built in (owner None, read-only) or a therapist's own."""

    slug = CharField(max_length=80, unique=True)
    name = CharField(max_length=100)
    kind = CharField(max_length=16)
    body_area = CharField(max_length=100, default="")
    areas = JSONField(default=list)  # keys of clinical.BODY_AREAS it works on
    summary = TextField(default="")
    instructions = JSONField(default=list)
    dose = JSONField(default=dict)
    cautions = JSONField(default=list)
    owner = ForeignKeyField(User, backref="techniques", null=True, on_delete="CASCADE")
    created_at = UTCDateTimeField(default=utcnow)

    @property
    def is_builtin(self) -> bool:
        return self.owner_id is None

    @classmethod
    def visible_to(cls, user):
        """Built-ins plus the user's own."""
        return cls.select().where(cls.owner.is_null() | (cls.owner == user))


class Plan(BaseModel):
    """A client's care plan. Its phases and items live in dated revisions."""

    ACTIVE, PAUSED, FINISHED = "active", "paused", "finished"

    client = ForeignKeyField(User, backref="plans", on_delete="CASCADE")
    therapist = ForeignKeyField(User, backref="assigned_plans", null=True, on_delete="SET NULL")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    title = CharField(max_length=120)
    template_slug = CharField(max_length=80, null=True)
    start = DateField()
    status = CharField(max_length=16, default=ACTIVE)
    # A suggestion from the symptom rules, waiting for a person to confirm or decline:
    # "step_down" (ready for the next phase) or "step_back" (flare-up).
    suggestion = CharField(max_length=16, null=True)
    suggestion_reason = CharField(max_length=200, default="")
    suggested_on = DateField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    # Raised by the database itself (triggers: plan_version_triggers) on every write to the
    # plan's revisions, phase changes, pauses, holds and bookings, so a cached engine input
    # (tracker.store.plans) is known stale whoever wrote, on whichever host.
    # DEFAULT 0 in the database too: rows inserted by plain SQL (bulk loads, old tests' fixtures)
    version = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    @property
    def self_guided(self) -> bool:
        return self.therapist_id is None

    @property
    def from_former_therapist(self) -> bool:
        """A therapist assigned it and has since deleted their account (the client chose a
        self-guided plan themselves, so theirs name the client as its maker)."""
        return self.therapist_id is None and self.created_by_id is None


# Called (with no arguments) whenever this process writes a PlanPart: tracker.store.plans
# empties its cache of engine inputs, so a request that writes and then reads its own plan
# never reads what it had before.
PLAN_WRITE_HOOKS: list = []


def _plan_part_written() -> None:
    for hook in PLAN_WRITE_HOOKS:
        hook()


class PlanPart(BaseModel):
    """A row of what a plan's engine input is made of (revisions, phase changes, pauses,
    holds, bookings). Every write goes through one of these methods and calls
    PLAN_WRITE_HOOKS; the database raises the plan's version (install_plan_version_triggers)
    for every other process."""

    def save(self, *args, **kwargs):
        _plan_part_written()
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        _plan_part_written()
        return super().delete_instance(*args, **kwargs)

    @classmethod
    def insert(cls, *args, **kwargs):
        _plan_part_written()
        return super().insert(*args, **kwargs)

    @classmethod
    def insert_many(cls, *args, **kwargs):
        _plan_part_written()
        return super().insert_many(*args, **kwargs)

    @classmethod
    def insert_from(cls, *args, **kwargs):
        _plan_part_written()
        return super().insert_from(*args, **kwargs)

    @classmethod
    def replace(cls, *args, **kwargs):
        _plan_part_written()
        return super().replace(*args, **kwargs)

    @classmethod
    def update(cls, *args, **kwargs):
        _plan_part_written()
        return super().update(*args, **kwargs)

    @classmethod
    def delete(cls):
        _plan_part_written()
        return super().delete()


class PlanRevision(PlanPart):
    """The plan's phases and items as in force from a date (a plan_spec.PlanSpec as JSON)."""

    plan = ForeignKeyField(Plan, backref="revisions", on_delete="CASCADE")
    effective_from = DateField()
    spec = JSONField()
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)
    note = CharField(max_length=200, default="")


class PhaseTransition(PlanPart):
    """A dated move to another phase: automatic (time, sessions) or confirmed by a person."""

    plan = ForeignKeyField(Plan, backref="transitions", on_delete="CASCADE")
    on = DateField()
    to_phase = IntegerField()
    reason = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("plan", "on", "to_phase"), True),)


class PlanPause(PlanPart):
    """A span with nothing due (end exclusive; None while still paused).

    scope: "all" (the therapist's pause), "safety" (a warning sign: everything), "area" (a
    problem in the treated area: sessions and the self-care on ``areas``), or the scopes of
    earlier versions, "self_care" and "sessions".
    """

    plan = ForeignKeyField(Plan, backref="pauses", on_delete="CASCADE")
    start = DateField()
    end = DateField(null=True)
    scope = CharField(max_length=16, default="all")
    areas = JSONField(default=list)  # "area" pauses: keys of clinical.BODY_AREAS; [] = all
    reason = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)


class PlanTemplate(BaseModel):
    """A therapist's own plan template (private to them): a plan spec to copy from."""

    owner = ForeignKeyField(User, backref="plan_templates", on_delete="CASCADE")
    name = CharField(max_length=120)
    description = CharField(max_length=500, default="")
    spec = JSONField()
    created_at = UTCDateTimeField(default=utcnow)


class PlanEvent(BaseModel):
    """A change to a plan, who made it and when, worded for the client to read."""

    plan = ForeignKeyField(Plan, backref="events", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = UTCDateTimeField(default=utcnow)
    kind = CharField(max_length=32)  # assigned, edited, paused, resumed, stepped, suggestion...
    message = CharField(max_length=300)  # e.g. "Your therapist moved you to every 2 weeks"
    effective_from = DateField(null=True)


class CheckOff(BaseModel):
    """An item done (or skipped, with a reason) for one day: at most one per item and day."""

    DONE, SKIPPED = "done", "skipped"

    # No index of its own (migration 17): the unique (plan, item_key, day) index starts with
    # it and serves every lookup by plan, the cascade too; a third index cost every
    # check-off a write (54 -> 30 us a write, measured on SQLite with 670,000 rows).
    plan = ForeignKeyField(Plan, backref="checkoffs", on_delete="CASCADE", index=False)
    item_key = CharField(max_length=64)
    day = DateField()  # the day it was due, in the client's zone
    status = CharField(max_length=16, default=DONE)
    skip_reason = CharField(max_length=32, null=True)
    logged_at = UTCDateTimeField(default=utcnow)  # when it was recorded (late check-offs)

    class Meta:
        indexes = (
            (("plan", "item_key", "day"), True),
            (("plan", "day"), False),  # a plan's check-offs by day or range (migration 2)
        )


class SessionBooking(PlanPart):
    """A professional session booked for another date or time than the cadence said."""

    plan = ForeignKeyField(Plan, backref="bookings", on_delete="CASCADE")
    item_key = CharField(max_length=64)
    original_day = DateField()
    day = DateField()
    time = TimeOfDayField(null=True)  # local
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("plan", "item_key", "original_day"), True),)


class CheckIn(BaseModel):
    """How the client is on one day: pain, nerve symptoms, safety answers. One per day."""

    client = ForeignKeyField(User, backref="checkins", on_delete="CASCADE")
    day = DateField()
    back_pain = IntegerField()
    leg_pain = IntegerField()
    numbness = BooleanField(default=False)
    weakness = BooleanField(default=False)
    note = TextField(default="")
    red_flags = JSONField(default=list)  # keys of library.RED_FLAGS answered yes
    contraindications = JSONField(default=list)  # keys of library.CONTRAINDICATIONS
    # "Anything new or worrying since your last check-in?" (None: asked before it existed)
    anything_new = BooleanField(null=True)
    soreness = BooleanField(default=False)  # sore, stiff or lightly bruised after a massage
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("client", "day"), True),)


class SafetyCheck(BaseModel):
    """One answered set of safety questions: the warning signs (red flags) and problems in
    the treated area, from a check-in or from "Something's wrong", on any day.

    Open while it reported something (``red_flags`` or ``problems``) and nobody resolved
    it: the plan stays paused, tapering waits and the roster flags the client. Every
    answered set is kept, including all-no ones: they are the record of who was asked what.
    """

    client = ForeignKeyField(User, backref="safety_checks", on_delete="CASCADE")
    plan = ForeignKeyField(Plan, null=True, backref="safety_checks", on_delete="SET NULL")
    day = DateField()  # the client's local day
    answers = JSONField(default=dict)  # every warning-sign question: key -> true/false
    red_flags = JSONField(default=list)  # keys answered yes
    problems = JSONField(default=list)  # treated-area problems (library.CONTRAINDICATIONS)
    areas = JSONField(default=list)  # where the problems are; [] = not said (all areas)
    note = TextField(default="")  # the client's own words, shown to the therapist
    reported = BooleanField(default=False)  # red_flags or problems: something to act on
    created_at = UTCDateTimeField(default=utcnow, index=True)
    checked_at = UTCDateTimeField(null=True)  # the client says a professional checked them
    resolved_at = UTCDateTimeField(null=True)
    resolved_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    @property
    def is_open(self) -> bool:
        return self.reported and self.resolved_at is None

    @classmethod
    def open_reports(cls):
        """Every open report (a query to narrow), newest first."""
        return (cls.select().where(cls.reported & cls.resolved_at.is_null())
                .order_by(cls.created_at.desc(), cls.id.desc()))


class ClaimedSend(BaseModel):
    """The columns of something sent by claim-then-send (tracker.jobs.claims): a reminder,
    a safety alert, a digest, an invite email, a message notice. Each subclass adds its
    unique key; this class has no table of its own.

    status: "claimed" (being sent), "sent", "failed" (will be retried), "gave_up".
    ``next_attempt_at`` is when a failed send is retried and also where a claim's lease
    ends: a claim still "claimed" then (its worker died mid-send) is sent again.
    """

    status = CharField(max_length=10, default="claimed")
    attempts = IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True, index=True)
    sent_at = UTCDateTimeField(null=True)
    last_error = CharField(max_length=300, default="")
    created_at = UTCDateTimeField(default=utcnow)


class SafetyAlert(ClaimedSend):
    """A therapist told about a safety report by one channel, claimed before it is sent so
    each report reaches each therapist once per channel (like ReminderClaim).

    kind: "warning" (urgent), "area" (a treated-area problem), "checked" (the client says a
    professional has checked them). status: "claimed", "sent", "failed", "gave_up".
    """

    check = ForeignKeyField(SafetyCheck, backref="alerts", on_delete="CASCADE")
    therapist = ForeignKeyField(User, backref="safety_alerts", on_delete="CASCADE")
    kind = CharField(max_length=16)
    channel = CharField(max_length=8)

    class Meta:
        indexes = ((("check", "therapist", "kind", "channel"), True),)


class PlanHold(PlanPart):
    """A span in which the plan may not step down to less frequent care (the taper guard),
    besides its pauses: a flare-up waiting for review, or pain worse than at the start.
    End exclusive; None while it holds."""

    FLARE_UP, WORSE = "flare_up", "worse"

    plan = ForeignKeyField(Plan, backref="holds", on_delete="CASCADE")
    kind = CharField(max_length=16)
    start = DateField()
    end = DateField(null=True)
    reason = CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=utcnow)


class ReminderPreference(BaseModel):
    """A user's reminder settings (local wall times) and the next time one fires (UTC).

    ``next_fire_at`` is indexed: a worker tick reads only the rows that are due, so its cost
    follows the reminders due, not the number of users. Recomputed after each send and
    each settings change.
    """

    user = ForeignKeyField(User, backref="reminder_preference", unique=True, on_delete="CASCADE")
    selfcare_time = TimeOfDayField(default=time(8, 0))
    second_time = TimeOfDayField(null=True)
    session_day_before = BooleanField(default=True)
    session_day_before_time = TimeOfDayField(default=time(18, 0))
    quiet_start = TimeOfDayField(null=True)
    quiet_end = TimeOfDayField(null=True)
    email = BooleanField(default=False)
    push = BooleanField(default=False)
    next_fire_at = UTCDateTimeField(null=True, index=True)
    # Reminders were claimed up to here; the next tick looks back to it so none is missed.
    checked_until = UTCDateTimeField(null=True)
    updated_at = UTCDateTimeField(default=utcnow)


class PushSubscription(BaseModel):
    """One browser or device that accepts web push for a user."""

    user = ForeignKeyField(User, backref="push_subscriptions", on_delete="CASCADE")
    endpoint = CharField(max_length=1000, unique=True)
    p256dh = CharField(max_length=200)
    auth = CharField(max_length=100)
    label = CharField(max_length=120, default="")  # e.g. "Chrome on Android"
    created_at = UTCDateTimeField(default=utcnow)


class ReminderClaim(ClaimedSend):
    """A reminder claimed before it is sent: the unique key makes sending exactly-once
    (the claim's columns: ClaimedSend)."""

    user = ForeignKeyField(User, backref="reminder_claims", on_delete="CASCADE")
    local_date = DateField()
    slot = CharField(max_length=16)
    channel = CharField(max_length=8)
    items = JSONField(default=list)
    due_at = UTCDateTimeField()

    class Meta:
        indexes = ((("user", "local_date", "slot", "channel"), True),)


class AppliedOperation(BaseModel):
    """An offline change (check-off, undo, skip, check-in) the server has applied, by the
    idempotency key the device gave it: a replay of the same key is not applied again."""

    user = ForeignKeyField(User, backref="applied_operations", on_delete="CASCADE")
    key = CharField(max_length=64)
    applied_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("user", "key"), True),)


class LoginSession(BaseModel):
    """One sign-in on one device: its id lives in the Flask session as a raw token, only
    the token's sha256 is stored. Revoked on logout, "Sign out", a password change or
    reset; a revoked or missing one loads no user (a copied cookie is dead after logout)."""

    user = ForeignKeyField(User, backref="login_sessions", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    device = CharField(max_length=64, default="A browser")  # domain/devices.py's label
    created_at = UTCDateTimeField(default=utcnow)
    last_seen_at = UTCDateTimeField(default=utcnow)
    revoked_at = UTCDateTimeField(null=True, index=True)


class PasswordReset(BaseModel):
    """A single-use "Forgot password?" link; only the sha256 of its token is stored."""

    user = ForeignKeyField(User, backref="password_resets", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField(default=utcnow)
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)


class AlertPreference(BaseModel):
    """How a therapist is told about their clients (issue 16): a channel per kind of news
    ("email", "push", "both" or "none") and the local time of the daily digest.

    Warning signs are always sent at once and can never be "none" (safety first); the
    other kinds come together in one digest a day. No row: the defaults
    (tracker.domain.digest.DEFAULT_CHANNELS).
    """

    therapist = ForeignKeyField(User, backref="alert_preference", unique=True,
                                on_delete="CASCADE")
    warning = CharField(max_length=8, default="both")
    area = CharField(max_length=8, default="email")
    flare_up = CharField(max_length=8, default="email")
    step_down = CharField(max_length=8, default="email")
    inactive = CharField(max_length=8, default="email")
    inactive_days = IntegerField(default=3)
    digest_time = TimeOfDayField(default=time(7, 30))
    updated_at = UTCDateTimeField(default=utcnow)


class DigestClaim(ClaimedSend):
    """A therapist's daily digest by one channel on one of their local days, claimed before
    it is sent (tracker.jobs.claims) so it goes out exactly once.

    status: "claimed", "sent", "failed", "gave_up", or "empty" (nobody needed attention:
    nothing was sent, and nothing will be that day). ``clients``: how many it listed. No
    client's name or news is kept here: a retry builds the digest afresh.
    """

    therapist = ForeignKeyField(User, backref="digest_claims", on_delete="CASCADE")
    local_date = DateField()
    channel = CharField(max_length=8)
    clients = IntegerField(default=0)

    class Meta:
        indexes = ((("therapist", "local_date", "channel"), True),)


class SessionNote(BaseModel):
    """A therapist's note on one professional session (a plan's session item on a day):
    what was done, where, how firmly, and how the client responded.

    Private (only its author reads it) or shared with the client (the client, the client's
    other therapists and the printable summary show it). One note per therapist and session.
    ``therapist`` is None once its author deleted their account: a shared note stays with
    the client's record, as a therapist's plan changes do; private ones go with the author.
    """

    PRESSURES = ("light", "moderate", "firm", "deep")

    plan = ForeignKeyField(Plan, backref="session_notes", on_delete="CASCADE")
    client = ForeignKeyField(User, backref="session_notes_about", on_delete="CASCADE")
    therapist = ForeignKeyField(User, backref="session_notes_written", null=True,
                                on_delete="SET NULL")
    item_key = CharField(max_length=64)
    session_day = DateField()  # the session's day, in the client's zone
    done = TextField(default="")  # what was done
    areas = CharField(max_length=200, default="")
    pressure = CharField(max_length=16, default="")  # one of PRESSURES, or "" (not said)
    response = TextField(default="")  # how the client responded
    shared = BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("therapist", "plan", "item_key", "session_day"), True),
            (("client", "session_day"), False),
        )


class InviteEmail(ClaimedSend):
    """An invite link sent to the client's email address, claimed before it is sent (see
    tracker/jobs/claims.py) so each invite is emailed once. The address is not kept: it
    travels with the job, as the link's token does (only the token's hash is stored)."""

    invite = ForeignKeyField(Invite, backref="emails", unique=True, on_delete="CASCADE")


class Message(BaseModel):
    """One message in the thread between a therapist and a client: the thread is their care
    link. Plain text (tracker.domain.text's policy); deleted when the link ends."""

    BODY_MAX = 2000

    link = ForeignKeyField(CareLink, backref="messages", on_delete="CASCADE")
    sender = ForeignKeyField(User, backref="messages_sent", on_delete="CASCADE")
    body = TextField()
    created_at = UTCDateTimeField(default=utcnow)


class MessageRead(BaseModel):
    """How far one side of a thread has read: the newest message id they have seen. Their
    unread messages are the other side's with a greater id."""

    link = ForeignKeyField(CareLink, backref="message_reads", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="message_reads", on_delete="CASCADE")
    last_read_id = IntegerField(default=0)
    read_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("link", "user"), True),)


class MessageNotice(ClaimedSend):
    """A recipient told about unread messages in a thread, by one channel: claimed before it
    is sent (tracker.jobs.claims), so each notice goes out once per channel.

    ``seq`` numbers a recipient's notices in a thread: the next one (seq + 1) may only be
    claimed an hour after the last, and only for messages newer than ``covers_id``, the
    newest message the last one was about. The unique key makes two workers agree.
    """

    link = ForeignKeyField(CareLink, backref="message_notices", on_delete="CASCADE")
    recipient = ForeignKeyField(User, backref="message_notices", on_delete="CASCADE")
    seq = IntegerField()
    channel = CharField(max_length=8)
    covers_id = IntegerField()

    class Meta:
        indexes = ((("link", "recipient", "seq", "channel"), True),)


class AppendOnlyError(RuntimeError):
    """An audit entry was to be changed or deleted: the log is append-only."""


class AuditEntry(BaseModel):
    """One line of the audit log a clinic can show an inspector (issue 17): a therapist
    opened a client's data, or someone changed a client's plan or paused it for safety.

    Append-only: saving an existing entry, ``update``, ``delete`` and ``delete_instance``
    raise AppendOnlyError. The only deletions are ``tracker.store.audit``'s retention prune
    and erasure with the client's account (entries about them). ``actor`` is cleared by the
    database (SET NULL) when the actor's account is deleted; the role stays.
    """

    at = UTCDateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, backref="audit_entries_by", on_delete="SET NULL")
    actor_role = CharField(max_length=16)  # tracker.domain.audit: client, therapist, system
    subject = ForeignKeyField(User, backref="audit_entries", on_delete="CASCADE")
    action = CharField(max_length=32)  # a key of tracker.domain.audit.ACTIONS
    detail = CharField(max_length=200, default="")
    address = CharField(max_length=64, null=True)  # the request's address; None from the worker

    class Meta:
        indexes = ((("subject", "at"), False),)

    def save(self, *args, **kwargs):
        if self._pk is not None:
            raise AppendOnlyError("audit entries are never changed")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are deleted only by the retention prune")

    @classmethod
    def update(cls, *args, **kwargs):
        raise AppendOnlyError("audit entries are never changed")

    @classmethod
    def delete(cls):
        raise AppendOnlyError("audit entries are deleted only by the retention prune")

    @classmethod
    def _expunge(cls):
        """The one deletion query (for tracker.store.audit's prune and erasure only)."""
        return super().delete()


class LoginThrottle(BaseModel):
    """Password checks against one account, counted in the database so every worker and
    host shares the count (tracker/store/login_limits.py).

    Keyed by an HMAC of the normalised email, so an email with no account is limited the
    same way (nothing tells which exist) and no typed address is kept in clear. ``attempts``
    counts the checks made since the window began (a check is counted before it is made);
    ``locked_until`` is set when they reach the limit, and until then every login to the
    account, the right password too, is refused. A success before that deletes the row.
    """

    key = CharField(max_length=64, unique=True)
    attempts = IntegerField(default=0)
    window_ends_at = UTCDateTimeField(index=True)
    locked_until = UTCDateTimeField(null=True)


class QuestionnaireSchedule(BaseModel):
    """When a plan asks for one questionnaire (issue 19): on the plan's start day, every
    ``every_weeks`` weeks from the start (None: not repeated), at each phase change.
    One row per plan and instrument; a self-guided plan without rows has the default of
    ``tracker.store.questionnaires.SELF_GUIDED_DEFAULT``."""

    plan = ForeignKeyField(Plan, backref="questionnaires", on_delete="CASCADE")
    instrument = CharField(max_length=40)  # an Instrument.id (built in or a clinic's file)
    at_start = BooleanField(default=True)
    every_weeks = IntegerField(null=True)
    at_phase_change = BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("plan", "instrument"), True),)


class QuestionnaireResponse(BaseModel):
    """A client's answers to one questionnaire on one of their local days (at most one per
    client, instrument and day; corrected on that day only). ``answers``: item key -> the
    answer (a partial set while ``status`` is draft); ``names``: item key -> the activity
    the client named (the PSFS's), asked again by name next time; ``score``: the engine's
    score of ``answers`` when saved (None: too few answered)."""

    DRAFT, COMPLETE = "draft", "complete"

    client = ForeignKeyField(User, backref="questionnaire_responses", on_delete="CASCADE")
    plan = ForeignKeyField(Plan, backref="questionnaire_responses", null=True,
                           on_delete="SET NULL")
    instrument = CharField(max_length=40)
    day = DateField()
    answers = JSONField(default=dict)
    names = JSONField(default=dict)
    status = CharField(max_length=16, default=DRAFT)
    score = FloatField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("client", "instrument", "day"), True),)


ALL_MODELS = [
    User,
    CareLink,
    Technique,
    Plan,
    PlanRevision,
    PhaseTransition,
    PlanPause,
    CheckOff,
    SessionBooking,
    CheckIn,
    SafetyCheck,
    SafetyAlert,
    PlanHold,
    Invite,
    PlanTemplate,
    PlanEvent,
    ReminderPreference,
    PushSubscription,
    ReminderClaim,
    AppliedOperation,
    LoginSession,
    PasswordReset,
    AlertPreference,
    DigestClaim,
    SessionNote,
    InviteEmail,
    Message,
    MessageRead,
    MessageNotice,
    AuditEntry,
    LoginThrottle,
    QuestionnaireSchedule,
    QuestionnaireResponse,
]


def create_tables() -> None:
    """Create every table that is missing (idempotent), unversioned.

    Tests use it for speed; real databases go through ``tracker.store.migrations.upgrade()``
    (``flask db upgrade``), which also applies migrations and records the version.
    """
    with database.connection_context():
        database.create_tables(ALL_MODELS, safe=True)
        install_plan_version_triggers(database)


class TechniquePhoto(BaseModel):
    """A therapist's own photo on one of their own techniques (issue 18): the picture as
    the app re-encoded it (tracker/store/photos.py: EXIF gone, at most 1600 px, WebP), in
    the database so every app host can serve it. ``alt`` says what the picture shows and
    ``caption`` is shown under it; at least one of them is set. ``etag``: the sha256 of
    ``data``, for HTTP caching. Deleted with the technique (and so with the account)."""

    technique = ForeignKeyField(Technique, backref="photos", on_delete="CASCADE")
    data = BlobField()
    mimetype = CharField(max_length=32)
    width = IntegerField()
    height = IntegerField()
    size = IntegerField()
    etag = CharField(max_length=64)
    alt = CharField(max_length=200, default="")
    caption = CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=utcnow)


ALL_MODELS.append(TechniquePhoto)


# The tables whose rows make up a plan's engine input besides the plan row itself.
PLAN_VERSION_TABLES = ("planrevision", "phasetransition", "planpause", "planhold",
                       "sessionbooking")


def install_plan_version_triggers(db) -> None:
    """Triggers raising ``plan.version`` after any insert, update or delete in
    PLAN_VERSION_TABLES (idempotent): SQLite or PostgreSQL."""
    if isinstance(getattr(db, "obj", db), PostgresqlDatabase):
        db.execute_sql(
            'CREATE OR REPLACE FUNCTION tracker_plan_version() RETURNS trigger AS $$ BEGIN '
            "IF TG_OP <> 'DELETE' THEN "
            'UPDATE "plan" SET "version" = "version" + 1 WHERE "id" = NEW.plan_id; END IF; '
            "IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.plan_id <> NEW.plan_id) THEN "
            'UPDATE "plan" SET "version" = "version" + 1 WHERE "id" = OLD.plan_id; END IF; '
            "RETURN NULL; END $$ LANGUAGE plpgsql")
        for table in PLAN_VERSION_TABLES:
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{table}_plan_version" ON "{table}"')
            db.execute_sql(f'CREATE TRIGGER "{table}_plan_version" AFTER INSERT OR UPDATE OR '
                           f'DELETE ON "{table}" FOR EACH ROW EXECUTE FUNCTION '
                           "tracker_plan_version()")
        return
    for table in PLAN_VERSION_TABLES:
        for op, rows in (("insert", "NEW.plan_id"), ("update", "OLD.plan_id, NEW.plan_id"),
                         ("delete", "OLD.plan_id")):
            db.execute_sql(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_plan_version_{op}" AFTER {op.upper()} '
                f'ON "{table}" BEGIN UPDATE "plan" SET "version" = "version" + 1 '
                f'WHERE "id" IN ({rows}); END')
