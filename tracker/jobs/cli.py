"""Command-line tasks: ``flask --app wsgi seed-demo``, ``remind``, ``audit-log``,
``audit-prune``, ``backup``, ``restore``, ``db upgrade``, ``db current`` and ``init-db``."""
import csv
import io
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from tracker.jobs.backup import backup_command, restore_command
from tracker.jobs.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from tracker.store.db import database
from tracker.store.migrations import LATEST, SchemaTooNew, current_version, upgrade


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo accounts and the client's six weeks of history (safe to run again)."""
    seed_demo()
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, name, _role, _tz in DEMO_ACCOUNTS:
        click.echo(f"  {name}: {email}")


@click.command("remind")
@with_appcontext
@click.option("--now", "now_text",
              help="Pretend it is this time (ISO 8601, UTC unless it has an offset; "
                   "default: now).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
def remind_command(now_text: str | None, dry_run: bool) -> None:
    """Run one reminder tick by hand (for cron deployments and tests)."""
    from tracker.jobs import reminders as service

    try:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {now_text}") from exc
    if now.tzinfo is None:  # typed without an offset: UTC, as --help says
        now = now.replace(tzinfo=UTC)
    with database.connection_context():
        outcomes = service.tick(now, dry_run=dry_run)
    for o in outcomes:
        click.echo(f"{o.status}: {o.channel} {o.slot} {o.local_date} to {o.user_email}"
                   + (f" ({o.detail})" if o.detail else ""))
    click.echo(f"{len(outcomes)} reminder(s) {'would be sent' if dry_run else 'handled'}.")


@click.command("audit-prune")
@with_appcontext
def audit_prune_command() -> None:
    """Delete audit log entries older than TRACKER_AUDIT_DAYS (the worker does it daily)."""
    from tracker.store import audit

    with database.connection_context():
        pruned = audit.prune(datetime.now(UTC), current_app.config["AUDIT_DAYS"])
    click.echo(f"{pruned} audit log entries older than {current_app.config['AUDIT_DAYS']} "
               "days deleted.")


@click.command("audit-log")
@with_appcontext
@click.option("--since", help="Only entries from this day or moment on (ISO 8601, UTC).")
@click.option("--client", "client_email", help="Only entries about this client (email).")
def audit_log_command(since: str | None, client_email: str | None) -> None:
    """Print the audit log as CSV (names and addresses included), for an inspector."""
    from tracker.store import audit

    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 date or time: {since}") from exc
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    line = io.StringIO()
    out = csv.DictWriter(line, fieldnames=audit.INSPECTION_FIELDS)
    out.writeheader()
    with database.connection_context():
        for row in audit.for_inspection(start, client_email):
            out.writerow(row)
            click.echo(line.getvalue(), nl=False)  # a row at a time: the log may be long
            line.seek(0)
            line.truncate()
    click.echo(line.getvalue(), nl=False)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (safe to run again; same as ``db upgrade``)."""
    try:
        version, _applied = upgrade()
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Database ready (schema version {version}).")


db_cli = AppGroup("db", help="Database schema versions.")


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Bring the schema to the current version (safe to run again, and at once)."""
    try:
        version, applied = upgrade()
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from exc
    if applied:
        numbers = ", ".join(str(n) for n in applied)
        click.echo(f"Applied migration(s) {numbers}; schema at version {version}.")
    else:
        click.echo(f"Schema already at version {version}; nothing to do.")


@db_cli.command("current")
def current_command() -> None:
    """Show the schema's version and the latest this code knows."""
    version = current_version()
    shown = "none (empty, or made before versioning)" if version is None else version
    click.echo(f"Schema version: {shown} (latest: {LATEST})")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(remind_command)
    app.cli.add_command(audit_prune_command)
    app.cli.add_command(audit_log_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
