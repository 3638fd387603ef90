"""Background jobs with huey: the reminder tick, every minute.

Run the worker with ``huey_consumer tracker.tasks.huey -w 2 -k thread`` (``make run`` starts
it beside the web server). The huey instance must exist at import time for the consumer, so
this module alone reads its one setting from the environment when imported: Redis when
``TRACKER_REDIS_URL`` is set, else a SQLite file in ``instance/``.
"""
import os
from datetime import UTC, datetime
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _make_huey():
    redis_url = os.environ.get("TRACKER_REDIS_URL")
    if redis_url:
        return RedisHuey("tracker", url=redis_url)
    INSTANCE.mkdir(exist_ok=True)
    return SqliteHuey("tracker", filename=str(INSTANCE / "huey.db"))


huey = _make_huey()
_app = None


def app():
    """The Flask app the jobs run in (created once per worker process)."""
    global _app
    if _app is None:
        from tracker import create_app

        _app = create_app()
    return _app


@huey.periodic_task(crontab(minute="*"))
def reminder_tick(now: str | None = None) -> int:
    """Send the reminders due now; returns how many were handled."""
    from tracker.db import database
    from tracker.reminders import service

    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    with app().app_context(), database.connection_context():
        return len(service.tick(moment))


@huey.periodic_task(crontab(minute="17", hour="3"))
def forget_old_offline_keys() -> int:
    """Once a day: drop the idempotency keys of offline changes older than a month."""
    from tracker import offline
    from tracker.db import database

    with app().app_context(), database.connection_context():
        return offline.forget_old_keys()
