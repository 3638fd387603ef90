"""The database: one proxy bound at app creation, a connection per request, CLI."""
import click
from flask import Flask, request
from flask.cli import with_appcontext
from peewee import DatabaseProxy, Model
from playhouse.db_url import connect

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,  # ms: writers wait for each other instead of failing
    "synchronous": "normal",  # safe with WAL; a crash loses nothing committed
}

# Requests that must not open a connection: files, and the health check, which
# reports a database failure itself instead of failing before it runs.
_NO_CONNECTION_ENDPOINTS = {"static", "main.healthz"}


class BaseModel(Model):
    class Meta:
        database = database


def open_database(url: str):
    """A peewee database for a URL, with SQLite's pragmas when it is SQLite."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS)
    return connect(url)


def init_app(app: Flask) -> None:
    database.initialize(open_database(app.config["DATABASE_URL"]))
    app.before_request(_connect)
    app.teardown_request(_close)
    app.cli.add_command(init_db_command)


def _connect() -> None:
    if request.endpoint not in _NO_CONNECTION_ENDPOINTS:
        database.connect(reuse_if_open=True)


def _close(exc: BaseException | None) -> None:
    if not database.is_closed():
        database.close()


def create_tables() -> None:
    """Create every table that is missing (idempotent)."""
    from tracker.models import ALL_MODELS

    with database.connection_context():
        database.create_tables(ALL_MODELS, safe=True)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables (safe to run again)."""
    create_tables()
    click.echo("Database ready.")
