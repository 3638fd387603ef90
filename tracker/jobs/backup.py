"""Backing up and restoring a SQLite database: ``flask backup PATH``, ``flask restore PATH``.

Both use SQLite's online backup API, which copies a consistent snapshot while the app
keeps writing (a plain file copy of a live WAL database can miss or tear pages). On
PostgreSQL the commands refuse and name the tools to use instead (pg_dump, pg_restore).
"""
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.store import files
from tracker.store.migrations import LATEST, SCHEMA_VERSION_TABLE

POSTGRES_ADVICE = (
    "This database is PostgreSQL: back it up with pg_dump, e.g. "
    "`pg_dump --format=custom --file=tracker.dump \"$TRACKER_DATABASE_URL\"`, and restore "
    "with pg_restore, e.g. `pg_restore --clean --if-exists --dbname=\"$TRACKER_DATABASE_URL\" "
    "tracker.dump`."
)


class BackupError(Exception):
    """A backup or restore that was refused; the message says why."""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for any other database."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("sqlite"):
        return None
    if parts.path in ("", "/:memory:"):
        raise BackupError("An in-memory database has nothing to back up.")
    return Path(unquote(parts.path[1:]))  # as playhouse.db_url reads it: "sqlite:///rel.db"


def backup(source: Path, target: Path, *, overwrite: bool = False) -> None:
    """Copy a live database to ``target``, consistently, replacing it only if ``overwrite``.

    The copy is written next to the target and renamed into place, so ``target`` is
    either the old file or the whole new one, never half of it.
    """
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} already exists; choose another name or use --force.")
    if target.resolve() == source.resolve():
        raise BackupError("The backup must go to another file than the database itself.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        _copy(source, temp, standalone=True)
        schema_version(temp)  # the copy is whole and ours before it replaces anything
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def schema_version(path: Path) -> int:
    """The schema version of a database file of this app; BackupError if it is not one."""
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    try:
        conn = sqlite3.connect(_read_only(path), uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} can't be opened as a database: {exc}.") from exc
    try:
        [status] = conn.execute("PRAGMA quick_check").fetchone()
        if status != "ok":
            raise BackupError(f"{path} is damaged ({status}); it was not used.")
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            (SCHEMA_VERSION_TABLE,),
        ).fetchone()
        if row is None:
            raise BackupError(f"{path} is a SQLite database, but not one of this app "
                              f"(it has no {SCHEMA_VERSION_TABLE} table).")
        version = conn.execute(f"SELECT version FROM {SCHEMA_VERSION_TABLE}").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc}).") from exc
    finally:
        conn.close()
    if version is None or not isinstance(version[0], int):
        raise BackupError(f"{path} has no schema version recorded.")
    return version[0]


def restore(backup_file: Path, target: Path) -> Path | None:
    """Put a backup in place of the database; returns where the replaced one was saved.

    The backup is checked first (a database of this app, not newer than this code). The
    old database is kept beside it as ``<name>.before-restore-<time>``; then the backup
    is copied into the database with the backup API, one transaction, so the database
    is the old one or the restored one, never a mix, and its WAL stays consistent.
    """
    version = schema_version(backup_file)
    if version > LATEST:
        raise BackupError(f"{backup_file} is at schema version {version}, newer than this "
                          f"code knows ({LATEST}); upgrade the app first.")
    if backup_file.resolve() == target.resolve():
        raise BackupError("That is the database itself, not a backup of it.")
    kept = None
    # an empty file is what opening the app made of a missing database (0600 first)
    if target.exists() and target.stat().st_size:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        backup(target, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    files.private_file(target)  # 0600 before SQLite writes to it
    _copy(backup_file, target)
    return kept


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _copy(source: Path, target: Path, standalone: bool = False) -> None:
    """Copy with the backup API; ``standalone``: one self-contained file, no WAL beside it."""
    src = sqlite3.connect(_read_only(source), uri=True)
    dst = sqlite3.connect(target)
    try:
        dst.execute("PRAGMA busy_timeout = 10000")
        src.backup(dst)  # all pages in one step: a snapshot, written in one transaction
        if standalone:
            dst.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Copying {source} failed: {exc}.") from exc
    finally:
        dst.close()
        src.close()


# --- commands -----------------------------------------------------------------------


def _database_file() -> Path:
    try:
        path = sqlite_path(current_app.config["DATABASE_URL"])
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if path is None:
        raise click.ClickException(POSTGRES_ADVICE)
    return path


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Copy the live SQLite database to PATH (consistent while the app runs)."""
    try:
        backup(_database_file(), path, overwrite=force)
        version = schema_version(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up to {path} (schema version {version}).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (the old one is kept beside it)."""
    target = _database_file()
    try:
        version = schema_version(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(f"Replace the database at {target} with {path} (schema version "
                      f"{version})? Stop the app and its worker first.", abort=True)
    try:
        kept = restore(path, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if kept:
        click.echo(f"The database it replaced is kept at {kept}.")
    click.echo(f"Restored {path} into {target}."
               + (" Run `flask db upgrade` to bring it up to date." if version < LATEST else ""))
