"""Background jobs with huey: the reminder tick and the therapists' daily digests, every
minute; safety alerts, account emails (reset links, email-change notices) and invite
emails as they are asked for.

Run the worker with ``huey_consumer tracker.jobs.worker.huey -w 2 -k thread`` (``make run``
starts it beside the web server; tracker.jobs.worker gives the jobs the app factory). The huey
instance must exist at import time for the consumer, so this module alone reads its one
setting from the environment when imported: Redis when ``TRACKER_REDIS_URL`` is set, else a
SQLite file in ``instance/``.
"""
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import has_app_context
from huey import RedisHuey, SqliteHuey, crontab

from tracker.store import accounts, files, invites, messages, safety_reports

INSTANCE = Path(__file__).resolve().parents[2] / "instance"


def _make_huey():
    redis_url = os.environ.get("TRACKER_REDIS_URL")
    if redis_url:  # TRACKER_HUEY_NAME: another queue on the same Redis (a benchmark's)
        return RedisHuey(os.environ.get("TRACKER_HUEY_NAME") or "tracker", url=redis_url)
    if os.environ.get("TRACKER_JOBS_IMMEDIATE") == "1":
        # Jobs run at once in the process that enqueues them (tests, a one-process demo).
        return SqliteHuey("tracker", immediate=True)
    return SqliteHuey("tracker", filename=str(queue_file(INSTANCE)))


def queue_file(instance: Path) -> Path:
    """huey's SQLite queue in the instance folder, private (0700 folder, 0600 file)."""
    files.private_dir(instance)
    path = instance / "huey.db"
    files.private_file(path)
    for extra in files.sqlite_files(path)[1:]:
        files.tighten(extra)
    return path


huey = _make_huey()
_app = None
# How the worker builds its app: tracker.create_app, set by tracker.jobs.worker (the
# consumer's entry point). The factory imports this module (the safety alerts' receiver),
# so this module does not import the factory.
app_factory = None


@contextmanager
def _app_context():
    """The app a job runs in: the caller's (an immediate job inside a request or test),
    else the worker's own, with a database connection for the job."""
    from tracker.store.db import database

    if has_app_context():
        if not database.is_closed():  # the request's or test's connection: leave it open
            yield
            return
        with database.connection_context():
            yield
        return
    with app().app_context(), database.connection_context():
        yield


def app():
    """The Flask app the jobs run in (created once per worker process)."""
    global _app
    if _app is None:
        if app_factory is None:
            raise RuntimeError("no app factory: run the worker as "
                               "huey_consumer tracker.jobs.worker.huey")
        _app = app_factory()
    return _app


@huey.periodic_task(crontab(minute="*"))
def reminder_tick(now: str | None = None) -> int:
    """Send the reminders due now; returns how many were handled."""
    from tracker.jobs import reminders as service
    from tracker.store.db import database

    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    # A queue other workers read: each claimed reminder becomes its own send_reminder job,
    # so a busy minute's sends are shared by all the workers. Immediate (tests, a
    # one-process demo): the tick sends them itself.
    enqueue = None if huey.immediate else _enqueue_reminder
    with app().app_context(), database.connection_context():
        return len(service.tick(moment, enqueue=enqueue))


def _enqueue_reminder(claim_id: int, lease_end: datetime) -> None:
    send_reminder(claim_id, lease_end.isoformat())


@huey.task(retries=0)
def send_reminder(claim_id: int, lease_end: str) -> str:
    """Send one reminder the tick claimed (exactly once: tracker.jobs.reminders.send_claimed);
    a failed send is retried by the tick from its claim, not by huey."""
    from tracker.jobs import reminders as service

    with _app_context():
        return service.send_claimed(claim_id, datetime.fromisoformat(lease_end),
                                    datetime.now(UTC))


@huey.periodic_task(crontab(minute="*"))
def digest_tick(now: str | None = None) -> int:
    """Send the therapists' daily digests due now (each claimed: exactly once); returns how
    many were handled."""
    from tracker.jobs import digest

    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    with _app_context():
        return len(digest.tick(moment))


@huey.task(retries=0)
def safety_alert(check_id: int, kinds: list[str]) -> list[str]:
    """Tell the therapists about a safety report now (each alert is claimed: exactly once)."""
    from tracker.jobs import alerts

    with _app_context():
        return alerts.send(check_id, datetime.now(UTC), kinds)


@huey.periodic_task(crontab(minute="*"))
def safety_alert_sweep() -> list[str]:
    """Every minute: retry failed alerts, send those whose enqueue was lost."""
    from tracker.jobs import alerts

    with _app_context():
        return alerts.sweep(datetime.now(UTC))


def _enqueue_alert(check_id: int, kinds: list[str]) -> None:
    safety_alert(check_id, kinds)


safety_reports.announced.connect(_enqueue_alert, weak=False)


@huey.task(retries=0)
def message_notice(link_id: int, recipient_id: int) -> list[str]:
    """Tell someone they have a message, if a notice is due (at most one an hour a thread)."""
    from tracker.jobs import message_notices

    with _app_context():
        return message_notices.notify(link_id, recipient_id, datetime.now(UTC))


@huey.periodic_task(crontab(minute="*"))
def message_notice_sweep() -> list[str]:
    """Every minute: retry failed notices, send those held back by the hour or lost."""
    from tracker.jobs import message_notices

    with _app_context():
        return message_notices.sweep(datetime.now(UTC))


def _enqueue_message_notice(link_id: int, recipient_id: int) -> None:
    message_notice(link_id, recipient_id)


messages.sent.connect(_enqueue_message_notice, weak=False)


@huey.task(retries=3, retry_delay=30)
def password_reset_email(user_id: int, token: str) -> str | None:
    """Email a "Forgot password?" link."""
    from tracker.jobs import account_mail

    with _app_context():
        return account_mail.send_reset(user_id, token)


@huey.task(retries=3, retry_delay=30)
def email_changed_notice(user_id: int, old_email: str, old_name: str) -> str | None:
    """Tell an account's old email address that it changed."""
    from tracker.jobs import account_mail

    with _app_context():
        return account_mail.send_email_changed(user_id, old_email, old_name)


def _enqueue_reset(user_id: int, token: str) -> None:
    password_reset_email(user_id, token)


def _enqueue_email_changed(user_id: int, old_email: str, old_name: str) -> None:
    email_changed_notice(user_id, old_email, old_name)


@huey.task(retries=0)
def invite_email(invite_id: int, token: str, email: str) -> str | None:
    """Email an invite link (claimed once); a failed send schedules itself again."""
    from tracker.jobs import invite_mail

    with _app_context():
        now = datetime.now(UTC)
        status = invite_mail.send(invite_id, token, email, now)
        again = invite_mail.retry_at(invite_id)
    if again is not None:
        invite_email.schedule((invite_id, token, email), eta=again)
    return status


def _enqueue_invite_email(invite_id: int, token: str, email: str) -> None:
    invite_email(invite_id, token, email)


accounts.reset_requested.connect(_enqueue_reset, weak=False)
invites.email_requested.connect(_enqueue_invite_email, weak=False)
accounts.email_changed.connect(_enqueue_email_changed, weak=False)


@huey.periodic_task(crontab(minute="17", hour="3"))
def forget_old_offline_keys() -> int:
    """Once a day: drop the idempotency keys of offline changes older than a month."""
    from tracker.store import offline
    from tracker.store.db import database

    with app().app_context(), database.connection_context():
        return offline.forget_old_keys()


@huey.periodic_task(crontab(minute="23", hour="3"))
def forget_old_sign_ins() -> int:
    """Once a day: drop sign-ins and reset links that ended over a month ago, and login
    counts whose window and lockout have ended."""
    from tracker.store import login_limits
    from tracker.store.db import database

    with app().app_context(), database.connection_context():
        now = datetime.now(UTC)
        return accounts.forget_old(now) + login_limits.forget_old(now)


@huey.periodic_task(crontab(minute="29", hour="3"))
def prune_audit_log() -> int:
    """Once a day: drop audit log entries older than TRACKER_AUDIT_DAYS."""
    from flask import current_app

    from tracker.store import audit

    with _app_context():
        return audit.prune(datetime.now(UTC), current_app.config["AUDIT_DAYS"])
