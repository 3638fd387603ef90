"""Reminder settings in the database: a user's settings row and when their next reminder
fires (stored, so the worker's tick reads only the users due; tracker.jobs.reminders).

The rules of what is due live in ``tracker.domain.reminder_select`` (pure).
"""
from datetime import UTC, datetime, time

from tracker.domain import reminder_select as select
from tracker.store.models import ReminderPreference, User, utcnow


def _hhmm(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _required(text: str | None, default: str) -> time:
    return time.fromisoformat(text or default)


def preferences_of(pref, timezone: str) -> select.Preferences:
    """The pure selection's view of a settings row (a model or a plain row)."""
    channels = tuple(c for c, on in ((select.PUSH, pref.push), (select.EMAIL, pref.email)) if on)
    return select.Preferences(
        timezone=timezone,
        selfcare_time=_required(pref.selfcare_time, "08:00"),
        second_time=_hhmm(pref.second_time),
        session_day_before=pref.session_day_before,
        session_day_before_time=_required(pref.session_day_before_time, "18:00"),
        quiet_start=_hhmm(pref.quiet_start),
        quiet_end=_hhmm(pref.quiet_end),
        channels=channels,
    )


def preference_for(user: User) -> ReminderPreference:
    """The user's settings row (created with defaults on first use)."""
    pref, _ = ReminderPreference.get_or_create(user=user)
    return pref


def reschedule(pref: ReminderPreference, user: User, now: datetime) -> None:
    """Store when this user's next reminder fires; call after each send and settings change."""
    fire = select.next_fire_at(preferences_of(pref, user.timezone), now)
    pref.next_fire_at = None if fire is None else naive_utc(fire)
    pref.checked_until = naive_utc(now)
    pref.updated_at = utcnow()
    pref.save()


def naive_utc(moment: datetime) -> datetime:
    """Reminder times are stored as naive UTC (same on SQLite and PostgreSQL)."""
    return moment.astimezone(UTC).replace(tzinfo=None)
