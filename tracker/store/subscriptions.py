"""A user's devices for web push: subscribing one (which turns push reminders on) and
forgetting one."""
from datetime import datetime

from tracker.store import reminder_settings
from tracker.store.db import database
from tracker.store.models import PushSubscription, ReminderPreference, User


class SubscriptionTaken(Exception):
    """The endpoint belongs to another account and the keys sent are not that browser's."""


def subscribe(user: User, subscription: dict, label: str, now: datetime) -> None:
    """Store a validated subscription (tracker.domain.push_subscription) under ``label``.

    One row per endpoint (one per browser). Subscribing again as the same user updates it.
    An endpoint another account holds moves to ``user`` only with that browser's keys
    (p256dh and auth, which only the browser has: the same browser, someone else signed in
    on it); with other keys it raises SubscriptionTaken and the row stays as it was, so
    knowing an endpoint is not enough to take someone's reminders. A fresh subscribe from
    the browser (a new endpoint) always works.
    """
    keys = subscription["keys"]
    endpoint = subscription["endpoint"]
    with database.atomic():  # IMMEDIATE on SQLite: the read and the write are one step
        PushSubscription.insert(
            user=user.id, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"],
            label=label,
        ).on_conflict_ignore().execute()
        # New (ours now), ours already, or another account's: it becomes ours only with
        # this browser's keys. One conditional update, so nothing slips in between.
        moved = PushSubscription.update(
            user=user.id, p256dh=keys["p256dh"], auth=keys["auth"], label=label,
        ).where((PushSubscription.endpoint == endpoint)
                & ((PushSubscription.user == user.id)
                   | ((PushSubscription.p256dh == keys["p256dh"])
                      & (PushSubscription.auth == keys["auth"])))).execute()
        if not moved:
            raise SubscriptionTaken(endpoint)
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
