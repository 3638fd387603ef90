"""The reminder worker's tick: exactly-once claims, sending, retries.

The rules of what is due live in ``tracker.domain.reminder_select`` (pure), the settings and
their next fire times in ``tracker.store.reminder_settings``. This module reads the users
whose stored next fire time has come (an indexed column, so a tick's cost follows the
reminders due, not the number of users), claims each reminder under a unique key before
sending it, sends it, and records the outcome.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app

from tracker.domain import day as day_model
from tracker.domain import reminder_select as select
from tracker.domain.push_payload import build_payload
from tracker.jobs import claims
from tracker.jobs import email as email_channel
from tracker.jobs.links import external_url, page_path
from tracker.store import plans, queries, questionnaires
from tracker.store.db import database
from tracker.store.models import Plan, ReminderClaim, ReminderPreference, User
from tracker.store.reminder_settings import preferences_of
from tracker.store.tokens import done_token, unsubscribe_token

LOOKBACK_LIMIT = timedelta(hours=1)  # after downtime, reminders older than this are stale


def day_state(plan: Plan | None, local_day: date) -> select.DayState:
    """What is still to do on a local day, for the pure selection. A pause counts from the
    day it starts to the day it ends, as the engine counts it (``plans.paused_on``), so a
    pause set for next week leaves this week's reminders, and a resume dated next week
    leaves this week quiet."""
    if plan is None:
        return select.DayState()
    if plans.paused_on(plan, local_day):
        return select.DayState(paused=True)
    return select.day_state(
        plans.day_view(plan, local_day), plans.day_view(plan, local_day + timedelta(days=1))
    )


@dataclass
class Outcome:
    user_email: str
    slot: str
    local_date: date
    channel: str
    status: str  # "sent", "failed", "claimed-elsewhere", "dry-run"
    detail: str = ""


# --- sending ---------------------------------------------------------------------------


def _send_email(user: User, reminder: select.Reminder) -> str:
    config = current_app.config
    message = email_channel.compose(
        to_name=user.name,
        to_email=user.email,
        sender=config["MAIL_FROM"],
        reminder=reminder,
        today_url=external_url("today.today"),
        questionnaires=questionnaires_due(user, reminder),
        unsubscribe_url=external_url("reminders.unsubscribe", token=unsubscribe_token(user)),
    )
    outbox = Path(current_app.instance_path) / "outbox"
    return email_channel.deliver(message, config.get("SMTP_URL"), outbox)


def _send_push(user: User, reminder: select.Reminder) -> str:
    """Send one reminder to the user's devices; a summary for the log.

    Raises PushFailed when nothing was delivered and a device failed, so the claim is
    retried; a reminder that reached one device is not resent to all of them because
    another failed.
    """
    from tracker.jobs import push  # pywebpush and its crypto only when push is used

    # One notification per kind and day: the second self-care reminder replaces the first.
    tag = f"{'session' if reminder.session else 'selfcare'}-{reminder.local_date.isoformat()}"
    today_path = page_path("today.today")
    if reminder.session:
        payload = build_payload((), url=today_path, session=reminder.session, tag=tag)
    else:
        payload = build_payload(reminder.item_names, _done_path(user, reminder),
                                url=today_path, tag=tag,
                                questionnaire_due=bool(questionnaires_due(user, reminder)))
    result = push.send_to_user(user, payload, current_app.config)
    if result.errors and not result.sent:
        raise push.PushFailed(f"{result.summary}: {result.errors[0].error}")
    return result.summary


def _done_path(user: User, reminder: select.Reminder) -> str | None:
    """The notification's "Done": a signed link that checks off the reminder's items, by
    key (two items may share a name), those still due when it is sent; None if none is."""
    plan = queries.current_plan(user).first()
    if plan is None:
        return None
    view = plans.day_view(plan, reminder.local_date)
    keys = [key for key in reminder.item_keys
            if (item := view.item(key)) is not None and not item.is_session
            and item.state == day_model.DUE]
    if not keys:
        return None
    token = done_token(current_app.config["SECRET_KEY"], user, plan.id, reminder.local_date,
                       keys)
    return page_path("push.done", token=token)


def questionnaires_due(user: User, reminder: select.Reminder) -> tuple[str, ...]:
    """The names of the questionnaires due on the reminder's day and not yet answered
    (issue 19): a day's self-care reminder mentions them; the session-eve one does not."""
    if reminder.session:
        return ()
    plan = queries.current_plan(user).first()
    if plan is None:
        return ()
    offered = current_app.extensions["instruments"].instruments
    return tuple(offered[i].name for i in questionnaires.due(plan, reminder.local_date,
                                                             offered))


SENDERS: dict[str, Callable[[User, select.Reminder], str]] = {
    select.EMAIL: _send_email,
    select.PUSH: _send_push,
}


def _claim(user: User, reminder: select.Reminder, now: datetime) -> ReminderClaim | None:
    """Take the reminder's unique key; None when another tick (or an earlier run) has it.

    The claim is a lease (tracker.jobs.claims): a claim not sent by its end is taken
    again by ``_retry_failed``, so a crash loses no reminder.
    """
    return claims.claim(
        ReminderClaim, now, user=user, local_date=reminder.local_date, slot=reminder.slot,
        channel=reminder.channel, items=_claim_items(reminder), due_at=reminder.due_at,
    )


def _attempt(claim: ReminderClaim, user: User, reminder: select.Reminder, now: datetime) -> str:
    """Send once; record sent, or failed with the next retry time (never lost)."""
    return claims.attempt(claim, lambda: SENDERS[reminder.channel](user, reminder), now)


def _claim_items(reminder: select.Reminder) -> list:
    """What the claim keeps to send the reminder again: the self-care items by key and
    name, or the session-eve message's text."""
    if reminder.session:
        return [reminder.session]
    return [{"key": item.key, "name": item.name} for item in reminder.items]


def _reminder_from_claim(claim: ReminderClaim) -> select.Reminder:
    session = claim.items[-1] if claim.slot == select.SESSION_EVE and claim.items else None
    # Claims made before items had keys hold bare names: they are sent without "Done".
    items = () if session else tuple(
        select.ReminderItem(**item) if isinstance(item, dict) else select.ReminderItem("", item)
        for item in claim.items)
    return select.Reminder(
        claim.user_id, claim.slot, claim.local_date, claim.channel, items, session,
        claim.due_at,
    )


def tick(now: datetime, *, dry_run: bool = False) -> list[Outcome]:
    """One worker tick: send what is due by ``now`` (exactly once), retry what failed."""
    if now.tzinfo is None:  # astimezone would read it as the machine's local time
        raise ValueError(f"tick needs an aware now (got {now!r})")
    now = now.astimezone(UTC)
    # Plain rows, not model objects: a busy minute has thousands of users due.
    due = list(
        ReminderPreference.select(ReminderPreference, User.timezone)
        .join(User)
        .where(ReminderPreference.next_fire_at <= now)
        .order_by(ReminderPreference.next_fire_at)
        .namedtuples()
    )
    current_plans = plans.current_plans([row.user for row in due])
    outcomes: list[Outcome] = []
    rescheduled = []
    for row in due:
        prefs = preferences_of(row, row.timezone)
        outcomes += _tick_user(row, prefs, current_plans.get(row.user), now, dry_run)
        rescheduled.append((row.id, select.next_fire_at(prefs, now)))
    if not dry_run:
        _store_next_fires(rescheduled, now)
        outcomes += _retry_failed(now)
    return outcomes


def _store_next_fires(rows: list[tuple[int, datetime | None]], now: datetime) -> None:
    with database.atomic():
        for pref_id, fire in rows:
            ReminderPreference.update(
                next_fire_at=fire, checked_until=now
            ).where(ReminderPreference.id == pref_id).execute()


def _tick_user(row, prefs: select.Preferences, plan: Plan | None, now: datetime,
               dry_run: bool) -> list[Outcome]:
    """Select and send one user's due reminders; ``row`` is their settings, ``prefs`` the
    same as the pure selection reads them."""
    since = max(row.checked_until or now - select.DEFAULT_WINDOW, now - LOOKBACK_LIMIT)
    window = max(now - since, timedelta(seconds=1))
    reminders = select.select(now, prefs, lambda day: day_state(plan, day), row.user, window)
    if not reminders:
        return []
    user = User.get_by_id(row.user)
    outcomes = []
    for reminder in reminders:
        outcome = Outcome(user.email, reminder.slot, reminder.local_date, reminder.channel, "")
        if dry_run:
            outcome.status = "dry-run"
        elif (claim := _claim(user, reminder, now)) is None:
            outcome.status = "claimed-elsewhere"
        else:
            outcome.status = _attempt(claim, user, reminder, now)
        outcomes.append(outcome)
    return outcomes


def _retry_failed(now: datetime) -> list[Outcome]:
    """Send again what failed, and what was claimed but never finished (its lease ran out)."""
    outcomes = []
    for claim in claims.retake(ReminderClaim.select(ReminderClaim, User).join(User), now):
        reminder = _reminder_from_claim(claim)
        status = _attempt(claim, claim.user, reminder, now)
        outcomes.append(Outcome(claim.user.email, claim.slot, claim.local_date, claim.channel,
                                status, "retry"))
    return outcomes
