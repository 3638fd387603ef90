"""A user's devices for web push: subscribing one (which turns push reminders on) and
forgetting one."""
from datetime import datetime

from tracker.store import reminder_settings
from tracker.store.models import PushSubscription, ReminderPreference, User


def subscribe(user: User, subscription: dict, label: str, now: datetime) -> None:
    """Store a validated subscription (tracker.domain.push_subscription) under ``label``.

    One row per endpoint (one per browser): subscribing again, maybe as someone else on a
    shared device, moves it to ``user`` with the new keys.
    """
    keys = subscription["keys"]
    PushSubscription.insert(
        user=user.id, endpoint=subscription["endpoint"], p256dh=keys["p256dh"],
        auth=keys["auth"], label=label,
    ).on_conflict(
        conflict_target=[PushSubscription.endpoint],
        update={PushSubscription.user: user.id, PushSubscription.p256dh: keys["p256dh"],
                PushSubscription.auth: keys["auth"], PushSubscription.label: label},
    ).execute()
    ReminderPreference.insert(user=user.id, push=True).on_conflict(
        conflict_target=[ReminderPreference.user],
        update={ReminderPreference.push: True, ReminderPreference.updated_at: now},
    ).execute()
    # The next reminder may now be due sooner (push was off): store its time again.
    reminder_settings.reschedule(reminder_settings.preference_for(user), user, now)


def forget(user: User, endpoint: str) -> None:
    """Delete the user's subscription at ``endpoint``; none there is fine too."""
    PushSubscription.delete().where(
        (PushSubscription.endpoint == endpoint) & (PushSubscription.user == user.id)
    ).execute()
