"""Reminder settings in the database: a user's settings row and when their next reminder
fires (stored, so the worker's tick reads only the users due; tracker.jobs.reminders).

The rules of what is due live in ``tracker.domain.reminder_select`` (pure).
"""
from datetime import datetime
from functools import lru_cache

from tracker.domain import reminder_select as select
from tracker.store.models import ReminderPreference, User, utcnow


def preferences_of(pref, timezone: str) -> select.Preferences:
    """The pure selection's view of a settings row (a model or a plain row)."""
    return _preferences(
        timezone,
        pref.selfcare_time or ReminderPreference.selfcare_time.default,
        pref.second_time,
        pref.session_day_before,
        pref.session_day_before_time or ReminderPreference.session_day_before_time.default,
        pref.quiet_start,
        pref.quiet_end,
        tuple(c for c, on in ((select.PUSH, pref.push), (select.EMAIL, pref.email)) if on),
    )


# Users share settings (most keep the defaults, many pick 08:00): a busy minute's thousands
# of rows make a few distinct Preferences, each checked once (they are frozen values).
_preferences = lru_cache(maxsize=1024)(select.Preferences)


def preference_for(user: User) -> ReminderPreference:
    """The user's settings row (created with defaults on first use)."""
    pref, _ = ReminderPreference.get_or_create(user=user)
    return pref


def reschedule(pref: ReminderPreference, user: User, now: datetime) -> None:
    """Store when this user's next reminder fires; call after each send and settings change."""
    fire = select.next_fire_at(preferences_of(pref, user.timezone), now)
    pref.next_fire_at = fire
    pref.checked_until = now
    pref.updated_at = utcnow()
    pref.save()
