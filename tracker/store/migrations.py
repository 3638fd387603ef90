"""Versioned schema migrations: ``flask --app wsgi db upgrade`` (``db current`` shows where it is).

The ``schema_version`` table holds one row: the number of the last migration applied.
``MIGRATIONS`` is the ordered list of migrations; migration *n* is ``MIGRATIONS[n - 1]``,
called as ``fn(migrator, database)`` with a ``playhouse.migrate`` migrator for the database
(SQLite or PostgreSQL). Append new ones; never edit or reorder released ones.

1 is the baseline: the tables as the models define them. A database made by ``init-db``
before versioning (tables, no ``schema_version``) is adopted as version 1 and upgraded from
there; an empty database gets every table at once. Because the baseline creates tables from
the *current* models, every later migration checks before it changes (``has_column``,
``has_index``): on a new database its change may already be there.

Each migration runs in its own transaction together with its version bump, holding a lock
that another upgrading process waits for (PostgreSQL: a transaction-scoped advisory lock;
SQLite: ``BEGIN IMMEDIATE``, the database's write lock). After waiting, a process re-reads
the version, so two processes upgrading at once never both apply a migration. Both
databases roll DDL back with the transaction, so a failed migration leaves nothing behind.
"""
import hashlib
import re
import secrets
import zlib
from collections.abc import Callable
from contextlib import contextmanager

from peewee import (
    CharField,
    Database,
    IntegerField,
    IntegrityError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse.migrate import SchemaMigrator, migrate

from tracker.store.db import BaseModel, database

SCHEMA_VERSION_TABLE = "schema_version"
# Any fixed 64-bit number shared by every process of this app.
_PG_LOCK_KEY = zlib.crc32(b"tracker.schema_version")

Migration = Callable[[SchemaMigrator, Database], None]


class SchemaVersion(BaseModel):
    """The one row (id 1) saying which migration the schema is at."""

    id = IntegerField(primary_key=True)
    version = IntegerField()

    class Meta:
        table_name = SCHEMA_VERSION_TABLE


# --- helpers for migrations -----------------------------------------------------------


def has_column(db: Database, table: str, column: str) -> bool:
    return any(c.name == column for c in db.get_columns(table))


def has_index(db: Database, table: str, name: str) -> bool:
    return any(i.name == name for i in db.get_indexes(table))


# --- the migrations -------------------------------------------------------------------


def _0001_baseline(migrator: SchemaMigrator, db: Database) -> None:
    """Every table, as ``init-db`` made them before versioning (missing ones only)."""
    from tracker.store.models import ALL_MODELS

    db.create_tables(ALL_MODELS, safe=True)


CHECKOFF_PLAN_DAY_INDEX = "checkoff_plan_id_day"


def _0002_checkoff_plan_day_index(migrator: SchemaMigrator, db: Database) -> None:
    """Index check-offs by (plan, day): today's page and the reports read a plan's day or
    range of days, which the unique (plan, item_key, day) index serves only by plan."""
    if not has_index(db, "checkoff", CHECKOFF_PLAN_DAY_INDEX):
        migrate(migrator.add_index("checkoff", ("plan_id", "day"), name=CHECKOFF_PLAN_DAY_INDEX))


def _0003_applied_operation(migrator: SchemaMigrator, db: Database) -> None:
    """The idempotency keys of offline changes a device replays (issue 7)."""
    from tracker.store.models import AppliedOperation

    db.create_tables([AppliedOperation], safe=True)


def _0004_claims_without_a_lease(migrator: SchemaMigrator, db: Database) -> None:
    """Claims left "claimed" by a version without leases get one that has already ended,
    so the next tick sends them instead of leaving them stuck."""
    from tracker.store.models import ReminderClaim

    ReminderClaim.update(next_attempt_at=ReminderClaim.due_at).where(
        (ReminderClaim.status == "claimed") & ReminderClaim.next_attempt_at.is_null()
    ).execute()


def _0005_safety_net(migrator: SchemaMigrator, db: Database) -> None:
    """The safety net (issue 13): safety reports and their alerts, taper holds, body areas
    on techniques and pauses, the check-in's always-on question and soreness, and safety
    questions waiting for an answer."""
    from tracker.store.models import (
        CheckIn,
        PlanHold,
        PlanPause,
        SafetyAlert,
        SafetyCheck,
        Technique,
        User,
    )

    db.create_tables([SafetyCheck, SafetyAlert, PlanHold], safe=True)
    columns = [
        ("user", "safety_questions_due", User.safety_questions_due),
        ("technique", "areas", Technique.areas),
        ("planpause", "areas", PlanPause.areas),
        ("checkin", "anything_new", CheckIn.anything_new),
        ("checkin", "soreness", CheckIn.soreness),
    ]
    changes = [migrator.add_column(table, name, field) for table, name, field in columns
               if not has_column(db, table, name)]
    if changes:
        migrate(*changes)


# The reminder columns that were naive DateTimeFields (naive UTC) before every timestamp
# became a UTCDateTimeField.
NAIVE_REMINDER_COLUMNS = (
    ("reminderpreference", "next_fire_at"),
    ("reminderpreference", "checked_until"),
    ("reminderclaim", "due_at"),
    ("reminderclaim", "next_attempt_at"),
    ("reminderclaim", "sent_at"),
)


def _0006_utc_timestamps_and_no_red_flag_on(migrator: SchemaMigrator, db: Database) -> None:
    """Every timestamp is aware UTC (issue 14): the reminder times stored naive get the
    "+00:00" the other timestamps carry on SQLite, so text order stays time order and a
    value reads back as it was written. PostgreSQL's TIMESTAMP columns already hold UTC
    (the connection's zone) and need nothing. Also drops ``plan.red_flag_on``, which
    nothing read or wrote (open safety reports took its place)."""
    if isinstance(db, SqliteDatabase):
        for table, column in NAIVE_REMINDER_COLUMNS:
            # Naive text ends in seconds or microseconds; an offset ends "+HH:MM"/"-HH:MM".
            db.execute_sql(
                f'UPDATE "{table}" SET "{column}" = "{column}" || ? WHERE "{column}" '
                f'IS NOT NULL AND substr("{column}", -6, 1) NOT IN (?, ?)', ("+00:00", "+", "-"))
    if has_column(db, "plan", "red_flag_on"):
        migrate(migrator.drop_column("plan", "red_flag_on"))


def _0007_login_sessions_and_password_resets(migrator: SchemaMigrator, db: Database) -> None:
    """Sign-ins kept on the server, so logging out ends them, and "Forgot password?" links
    (issue 15)."""
    from tracker.store.models import LoginSession, PasswordReset

    db.create_tables([LoginSession, PasswordReset], safe=True)


def _0008_alert_preferences_and_digests(migrator: SchemaMigrator, db: Database) -> None:
    """A therapist's alert preferences and the daily digest's claims (issue 16)."""
    from tracker.store.models import AlertPreference, DigestClaim

    db.create_tables([AlertPreference, DigestClaim], safe=True)


def _0009_messages(migrator: SchemaMigrator, db: Database) -> None:
    """Messages between a therapist and each linked client, how far each side has read,
    and the notices sent about them (issue 16)."""
    from tracker.store.models import Message, MessageNotice, MessageRead

    db.create_tables([Message, MessageRead, MessageNotice], safe=True)


def _0010_session_notes_and_invite_emails(migrator: SchemaMigrator, db: Database) -> None:
    """Session notes, and invite links sent by email (issue 16)."""
    from tracker.store.models import InviteEmail, SessionNote

    db.create_tables([SessionNote, InviteEmail], safe=True)


def _0011_login_throttle(migrator: SchemaMigrator, db: Database) -> None:
    """Failed logins counted per account in the database, shared by every worker and host
    (issue 17)."""
    from tracker.store.models import LoginThrottle

    db.create_tables([LoginThrottle], safe=True)


def _autoincrement_sql(table: str, sql: str) -> str:
    """The CREATE TABLE statement with AUTOINCREMENT on its "id" primary key."""
    new, count = _ID_COLUMN.subn(r"\g<0> AUTOINCREMENT", sql, count=1)
    if count != 1:
        raise ValueError(f"no integer primary key id in {table}: {sql[:120]}")
    return new


_ID_COLUMN = re.compile(r'"id"\s+INTEGER\s+NOT\s+NULL\s+PRIMARY\s+KEY(?!\s+AUTOINCREMENT)',
                        re.IGNORECASE)


def rebuild_sqlite_table(db: Database, table: str, transform: Callable[[str, str], str]) -> None:
    """Make ``table`` again from its CREATE statement changed by ``transform`` (SQLite
    can't alter a column's definition), keeping its rows and indexes: create the new table,
    copy, drop the old one, rename, indexes back (sqlite.org/lang_altertable.html, "Making
    Other Kinds Of Table Schema Changes"). Foreign keys must be off (``upgrade`` does it)."""
    sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                         (table,)).fetchone()[0]
    indexes = [row[0] for row in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL", (table,))]
    temporary = f"{table}__rebuild"
    create = transform(table, sql)
    head = re.match(r'\s*CREATE\s+TABLE\s+("[^"]+"|\S+)', create, re.IGNORECASE)
    create = f'CREATE TABLE "{temporary}"' + create[head.end():]
    columns = ", ".join(f'"{c.name}"' for c in db.get_columns(table))
    db.execute_sql(create)
    db.execute_sql(f'INSERT INTO "{temporary}" ({columns}) SELECT {columns} FROM "{table}"')
    db.execute_sql(f'DROP TABLE "{table}"')
    db.execute_sql(f'ALTER TABLE "{temporary}" RENAME TO "{table}"')
    for index in indexes:
        db.execute_sql(index)


def _0012_ids_never_reused_and_tokens_hashed(migrator: SchemaMigrator, db: Database) -> None:
    """Issue 17: ids are never given out twice, and no bearer token is stored in clear.

    - Every SQLite table gets ``AUTOINCREMENT`` on its id (PostgreSQL's sequences never go
      back already). SQLite had been handing the highest id out again once its row was
      deleted, so a deleted account's id (and its links) could pass to the next account.
      The copy keeps every id; ``sqlite_sequence`` starts at each table's highest id (one
      deleted before the upgrade from the top of a table may be given out once more: its
      number is not recorded anywhere; the link keys below cover links made before).
    - ``user.calendar_token`` (clear) becomes ``calendar_token_hash``: existing subscribe
      links keep working, and can no longer be shown (a new one is shown once when made).
    - ``user.link_key``: a random value per account that every signed link names (see
      tracker.store.tokens). Links made before it named only the id: they stop working.
    - ``user.session_token``, unused since sign-ins became LoginSession rows, goes.
    """
    from tracker.store.models import ALL_MODELS

    changes = []
    if not has_column(db, "user", "link_key"):
        changes.append(migrator.add_column("user", "link_key",
                                           CharField(max_length=32, null=True)))
    if not has_column(db, "user", "calendar_token_hash"):
        changes.append(migrator.add_column("user", "calendar_token_hash",
                                           CharField(max_length=64, null=True)))
    if changes:
        migrate(*changes)
    cursor = db.execute_sql('SELECT "id" FROM "user" WHERE "link_key" IS NULL')
    for (user_id,) in list(cursor):
        db.execute_sql('UPDATE "user" SET "link_key" = ? WHERE "id" = ?'.replace(
            "?", db.param), (secrets.token_hex(16), user_id))
    if has_column(db, "user", "calendar_token"):
        cursor = db.execute_sql(
            'SELECT "id", "calendar_token" FROM "user" WHERE "calendar_token" IS NOT NULL')
        for user_id, token in list(cursor):
            db.execute_sql('UPDATE "user" SET "calendar_token_hash" = ? WHERE "id" = ?'.replace(
                "?", db.param), (hashlib.sha256(token.encode()).hexdigest(), user_id))
    for column in ("session_token", "calendar_token"):
        if has_column(db, "user", column):
            if has_index(db, "user", f"user_{column}"):
                migrate(migrator.drop_index("user", f"user_{column}"))
            migrate(migrator.drop_column("user", column))
    if not has_index(db, "user", "user_calendar_token_hash"):
        migrate(migrator.add_index("user", ("calendar_token_hash",), unique=True))
    if not any(c.name == "link_key" and not c.null for c in db.get_columns("user")):
        migrate(migrator.add_not_null("user", "link_key"))
    if isinstance(db, SqliteDatabase):
        tables = set(db.get_tables())
        for model in ALL_MODELS:
            table = model._meta.table_name
            if table not in tables:
                continue
            sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                 "AND name = ?", (table,)).fetchone()[0]
            if _ID_COLUMN.search(sql):
                rebuild_sqlite_table(db, table, _autoincrement_sql)


def _0013_audit_log(migrator: SchemaMigrator, db: Database) -> None:
    """The audit log: who opened a client's data or changed their plan (issue 17)."""
    from tracker.store.models import AuditEntry

    db.create_tables([AuditEntry], safe=True)


def _0014_questionnaires(migrator: SchemaMigrator, db: Database) -> None:
    """Outcome measures (issue 19): a plan's questionnaire schedule and the answers."""
    from tracker.store.models import QuestionnaireResponse, QuestionnaireSchedule

    db.create_tables([QuestionnaireSchedule, QuestionnaireResponse], safe=True)


def _0015_technique_photos(migrator: SchemaMigrator, db: Database) -> None:
    """Therapists' own photos on their techniques (issue 18)."""
    from tracker.store.models import TechniquePhoto

    db.create_tables([TechniquePhoto], safe=True)
def _0016_plan_version(migrator: SchemaMigrator, db: Database) -> None:
    """A plan's version, raised by triggers on every write to what its engine input is
    made of, so that input can be cached per version (issue 20)."""
    from tracker.store.models import install_plan_version_triggers

    if not has_column(db, "plan", "version"):
        migrate(migrator.add_column("plan", "version", IntegerField(default=0)))
    install_plan_version_triggers(db)


CHECKOFF_PLAN_INDEX = "checkoff_plan_id"


def _0017_no_second_index_of_checkoffs_by_plan(migrator: SchemaMigrator, db: Database) -> None:
    """Drop the index of check-offs by plan alone (issue 20): the unique (plan, item_key,
    day) index starts with the plan and serves the same lookups, and every check-off, skip
    and undo paid for writing the third index."""
    if has_index(db, "checkoff", CHECKOFF_PLAN_INDEX):
        migrate(migrator.drop_index("checkoff", CHECKOFF_PLAN_INDEX))


MIGRATIONS: list[Migration] = [
    _0001_baseline,
    _0002_checkoff_plan_day_index,
    _0003_applied_operation,
    _0004_claims_without_a_lease,
    _0005_safety_net,
    _0006_utc_timestamps_and_no_red_flag_on,
    _0007_login_sessions_and_password_resets,
    _0008_alert_preferences_and_digests,
    _0009_messages,
    _0010_session_notes_and_invite_emails,
    _0011_login_throttle,
    _0012_ids_never_reused_and_tokens_hashed,
    _0013_audit_log,
    _0014_questionnaires,
    _0015_technique_photos,
    _0016_plan_version,
    _0017_no_second_index_of_checkoffs_by_plan,
]
LATEST = len(MIGRATIONS)


# --- running them ---------------------------------------------------------------------


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer version of the app than this one."""


def _db() -> Database:
    if database.obj is None:
        raise RuntimeError("the database proxy is not initialised (create the app first)")
    return database.obj


@contextmanager
def _connected(db: Database):
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened:
            db.close()


@contextmanager
def _locked_transaction(db: Database):
    """A transaction that holds the upgrade lock from its start until it ends."""
    if isinstance(db, SqliteDatabase):
        with db.atomic(lock_type="IMMEDIATE"):  # waits (busy_timeout) for other writers
            yield
        return
    with db.atomic():
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
        yield


def _read_version(db: Database) -> int | None:
    if not db.table_exists(SCHEMA_VERSION_TABLE):
        return None
    return SchemaVersion.select(SchemaVersion.version).where(SchemaVersion.id == 1).scalar()


def current_version() -> int | None:
    """The schema's version, or None when it has none (empty or made before versioning)."""
    db = _db()
    with _connected(db):
        return _read_version(db)


def upgrade(target: int | None = None) -> tuple[int, list[int]]:
    """Apply the missing migrations up to ``target`` (default: all); idempotent.

    Returns the version reached and the migrations this call applied (others may have
    been applied meanwhile by another process).
    """
    target = LATEST if target is None else target
    if not 1 <= target <= LATEST:
        raise ValueError(f"no migration {target} (they are 1 to {LATEST})")
    db = _db()
    if db.transaction_depth():
        raise RuntimeError("upgrade runs its own transactions; call it outside one")
    migrator = SchemaMigrator.from_database(db)
    applied: list[int] = []
    with _connected(db):
        version = _read_version(db) or 0
        _refuse_newer(version)
        if version >= target:  # versions only grow, so this needs no lock
            return version, applied
        # SQLite: a table rebuild (how SqliteMigrator alters columns) drops the old table,
        # which with foreign keys on cascades to child rows. The pragma is ignored inside a
        # transaction, so switch it off around them and check the keys before each commit.
        sqlite_fks = isinstance(db, SqliteDatabase) and bool(db.pragma("foreign_keys"))
        if sqlite_fks:
            db.pragma("foreign_keys", 0)
        try:
            with _locked_transaction(db):
                db.create_tables([SchemaVersion], safe=True)
            for number in range(1, target + 1):
                with _locked_transaction(db):
                    version = _read_version(db) or 0
                    _refuse_newer(version)
                    if version >= number:
                        continue
                    MIGRATIONS[number - 1](migrator, db)
                    if isinstance(db, SqliteDatabase):
                        _check_foreign_keys(db, number)
                    _stamp(number)
                applied.append(number)
        finally:
            if sqlite_fks:
                db.pragma("foreign_keys", 1)
        return _read_version(db), applied


def _refuse_newer(version: int) -> None:
    if version > LATEST:
        raise SchemaTooNew(
            f"the database schema is at version {version}, newer than this code knows "
            f"({LATEST}); upgrade the app instead"
        )


def _check_foreign_keys(db: Database, number: int) -> None:
    broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise IntegrityError(f"migration {number} broke foreign keys: {broken[:5]}")


def _stamp(number: int) -> None:
    updated = SchemaVersion.update(version=number).where(SchemaVersion.id == 1).execute()
    if not updated:
        SchemaVersion.insert(id=1, version=number).execute()

