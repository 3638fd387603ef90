"""The database: one proxy bound at app creation, a connection per request."""
from pathlib import Path

from flask import Flask, request
from peewee import SQL, AutoField, DatabaseProxy, Model, NodeList, SqliteDatabase
from playhouse.db_url import connect

from tracker.store import files

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,  # ms: writers wait for each other instead of failing
    "synchronous": "normal",  # safe with WAL; a crash loses nothing committed
}
# Every transaction on SQLite begins with BEGIN IMMEDIATE: it takes the write lock first
# (waiting up to busy_timeout for it). A deferred transaction that reads and then writes
# cannot upgrade its lock under WAL once another writer has committed, and fails at once
# with "database is locked" whatever the busy timeout. Read-only work runs outside
# transactions (autocommit), so this costs readers nothing.
SQLITE_LOCK_TYPE = "IMMEDIATE"

# Requests that must not open a connection: files, and the health check, which
# reports a database failure itself instead of failing before it runs.
_NO_CONNECTION_ENDPOINTS = {"static", "main.healthz"}


class IdField(AutoField):
    """The primary key of every table: an id that is never given out twice.

    SQLite reuses the highest rowid once its row is deleted, so a deleted account's id could
    go to the next account, and a link naming the old id would act on the new one. With
    ``AUTOINCREMENT`` SQLite never reuses an id (it keeps the highest one given out in
    ``sqlite_sequence``). PostgreSQL's sequences never go back, so ``SERIAL`` stays as it is.
    The database is chosen at run time (the proxy), so the DDL is decided when it is made.
    """

    def ddl(self, ctx):
        node = super().ddl(ctx)
        db = self.model._meta.database
        if isinstance(getattr(db, "obj", db), SqliteDatabase):
            return NodeList((node, SQL("AUTOINCREMENT")))
        return node


class BaseModel(Model):
    id = IdField()

    class Meta:
        database = database


class Prepared:
    """A fixed query whose SQL peewee builds once per database kind and shape; each run
    then sends that SQL with its parameters, skipping peewee's SQL building (about 0.2 ms
    of CPU a query, most of a short request's database time).

    ``build(*args)`` makes the peewee query; ``params(*args)`` lists the parameters its
    SQL takes, in order; ``shape(*args)`` tells apart SQL that differs with the arguments
    (the length of an IN list). tests/store/test_prepared.py checks, for each prepared
    query, that SQL and parameters equal peewee's for many arguments.
    """

    def __init__(self, build, params, shape=lambda *args: None):
        self.build, self.params, self.shape = build, params, shape
        self._built: dict = {}  # (database kind, shape) -> (the query built once, its SQL)
        # (model, database kind, shape, width) -> [(field name, converter)]
        self._columns: dict = {}

    def _query_and_sql(self, *args) -> tuple:
        key = (type(database.obj), self.shape(*args))
        built = self._built.get(key)
        if built is None:
            query = self.build(*args)
            built = self._built[key] = (query, query.sql()[0])
        return built

    def sql(self, *args) -> tuple[str, list]:
        return self._query_and_sql(*args)[1], self.params(*args)

    def models(self, model, *args) -> list:
        """The rows as ``model`` instances, as peewee makes them (the query must select only
        the model's columns): each column's field and converter are looked up once per
        shape, not once per query as peewee's cursor wrapper does."""
        return [instance for instance, _ in self._models(model, None, args)]

    def models_and_rest(self, model, *args) -> list[tuple]:
        """The rows of a query selecting all of ``model``'s columns first, then others: each
        as (the ``model`` instance, as ``models`` makes it; the other columns, as read)."""
        return self._models(model, len(model._meta.sorted_fields), args)

    def _models(self, model, width: int | None, args: tuple) -> list[tuple]:
        sql, params = self.sql(*args)
        cursor = database.execute_sql(sql, params)
        key = (model, type(database.obj), self.shape(*args), width)
        columns = self._columns.get(key)
        if columns is None:
            columns = self._columns[key] = _model_columns(model, cursor.description[:width])
        found = []
        for row in cursor.fetchall():
            instance = model(__no_default__=1)  # no defaults, nothing dirty: peewee's way
            data = instance.__data__
            for (name, convert), value in zip(columns, row[:width], strict=True):
                data[name] = value if convert is None else convert(value)
            found.append((instance, row[width:] if width else ()))
        return found

    def rows(self, *args) -> list[tuple]:
        sql, params = self.sql(*args)
        return list(database.execute_sql(sql, params).fetchall())

    def joined(self, *args) -> list:
        """The rows as peewee makes them for the query, joined models included
        (``session.user``): read by the cursor wrapper of the query built once."""
        query, sql = self._query_and_sql(*args)
        cursor = database.execute_sql(sql, self.params(*args))
        return list(query._get_cursor_wrapper(cursor))

    def run(self, *args) -> None:
        """A write (insert, update, delete): sent, nothing read back."""
        sql, params = self.sql(*args)
        database.execute_sql(sql, params)


def _model_columns(model, description) -> list[tuple[str, object]]:
    """Each result column's field name and converter (its ``python_value``), resolved as
    peewee resolves a raw query's columns against the model."""
    columns = []
    for item in description:
        column = item[0]
        column = column[column.rfind(".") + 1:].strip('()"`')
        field = model._meta.combined.get(column)
        if field is None:
            raise ValueError(f"{column!r} is not a column of {model.__name__}")
        columns.append((field.name, field.python_value if field._coerce else None))
    return columns


def open_database(url: str, max_connections: int | None = None, stale_timeout: int = 300):
    """A peewee database for a URL, with SQLite's pragmas when it is SQLite.

    SQLite files and PostgreSQL go through a connection pool (``playhouse.pool``) when
    ``max_connections`` is given: closing a connection at the end of a request returns it
    to the pool, and a connection idle longer than ``stale_timeout`` seconds is closed
    instead of reused.
    """
    if url.startswith("sqlite"):
        _private_sqlite(url)
        if max_connections and ":memory:" not in url:
            # Pooled, a connection (with its pragmas) outlives the request that opened it;
            # the pool hands each to one thread at a time, so any thread may use it.
            scheme, rest = url.split("://", 1)
            scheme = scheme if scheme.endswith("+pool") else "sqlite+pool"
            return connect(f"{scheme}://{rest}", pragmas=SQLITE_PRAGMAS,
                           check_same_thread=False, max_connections=max_connections,
                           stale_timeout=stale_timeout, timeout=10,
                           lock_type=SQLITE_LOCK_TYPE)
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type=SQLITE_LOCK_TYPE)
    if url.startswith("postgres"):
        scheme, rest = url.split("://", 1)
        pool = {}
        if max_connections:
            scheme = scheme if scheme.endswith("+pool") else "postgresql+pool"
            # timeout: a thread finding every connection in use waits up to 10 s for one
            pool = {"max_connections": max_connections, "stale_timeout": stale_timeout,
                    "timeout": 10}
        # Aware UTC datetimes go into TIMESTAMP columns converted to the session's zone.
        return connect(f"{scheme}://{rest}", options="-c timezone=UTC", **pool)
    return connect(url)


def _private_sqlite(url: str) -> None:
    """A SQLite file is 0600 before SQLite opens it (its -wal and -shm take its mode)."""
    path = url.split("://", 1)[1].split("?", 1)[0]
    path = path[1:] if path.startswith("/") else path
    if not path or ":memory:" in path or path.startswith("file:"):
        return
    database_file = Path(path)
    if database_file.parent.is_dir():
        files.private_file(database_file)
        for extra in files.sqlite_files(database_file)[1:]:
            files.tighten(extra)


def init_app(app: Flask) -> None:
    database.initialize(open_database(
        app.config["DATABASE_URL"],
        max_connections=app.config["DB_MAX_CONNECTIONS"],
        stale_timeout=app.config["DB_STALE_TIMEOUT"],
    ))
    app.before_request(_connect)
    app.teardown_request(_close)


def _connect() -> None:
    if request.endpoint not in _NO_CONNECTION_ENDPOINTS:
        database.connect(reuse_if_open=True)


def _close(exc: BaseException | None) -> None:
    if not database.is_closed():
        database.close()

