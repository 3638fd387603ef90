"""The reminder worker's tick: exactly-once claims, sending, retries.

The rules of what is due live in ``tracker.domain.reminder_select`` (pure), the settings and
their next fire times in ``tracker.store.reminder_settings``. This module reads the users
whose stored next fire time has come (an indexed column, so a tick's cost follows the
reminders due, not the number of users), claims each reminder under a unique key before
sending it, sends it, and records the outcome.
"""
import gc
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app

from tracker.domain import day as day_model
from tracker.domain import reminder_select as select
from tracker.domain import schedule
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


class DayStates:
    """The day states of a tick's due users, loaded for the whole batch at once.

    ``day_state`` costs a plan load per user (five queries); a busy minute has thousands
    of users due. This loads every due user's plan input and the marks on the days their
    reminders ask about in a fixed number of queries (``plans.load_days``), then answers
    ``of(plan, day)`` with the pure engine: the same DayState as ``day_state(plan, day)``.

    ``slots_by_user`` gives each user's days and the slots firing on them
    (``reminder_select.due_slots``): a day's view is built only when a self-care slot fires
    (its items) and the next day's only for a session-eve slot (its sessions), which is all
    ``reminder_select.select`` reads of a DayState; ``of(..., slots=None)`` builds both."""

    def __init__(self, plans_by_user: dict[int, Plan],
                 slots_by_user: dict[int, dict[date, frozenset[str] | None]]) -> None:
        wanted, days = [], set()
        for user, plan in plans_by_user.items():
            slots = slots_by_user.get(user)
            if not slots:
                continue
            wanted.append(plan)
            for day, names in slots.items():
                days.update(self._days(day, names))
        self.inputs, self.marks = plans.load_days(wanted, days)
        # The day's occurrences by what decides them: plans copied from one template on the
        # same day, with no history the engine reads, share them (the engine is pure).
        self._occurrences: dict[tuple, list] = {}
        self._states: dict[tuple, select.DayState] = {}

    @staticmethod
    def _days(day: date, slots: frozenset[str] | None) -> tuple[date, ...]:
        tomorrow = day + timedelta(days=1)
        if slots is None:
            return day, tomorrow
        return ((day,) if slots - {select.SESSION_EVE} else ()) + (
            (tomorrow,) if select.SESSION_EVE in slots else ())

    def of(self, plan, local_day: date, slots: frozenset[str] | None = None) -> select.DayState:
        """``day_state(plan, local_day)`` (``plan``: a Plan or a row with its id); with
        ``slots``, only the parts that slots read (see the class)."""
        if plan is None:
            return select.DayState()
        plan_input = self.inputs[plan.id]
        if any(p.scope in schedule.WHOLE_PLAN_SCOPES and p.start <= local_day
               and (p.end is None or p.end > local_day) for p in plan_input.pauses):
            return select.DayState(paused=True)
        # Users on one template who started the same day, with no history the engine reads
        # and the same marks, have the same state: worked out once (the engine is pure).
        wanted = self._days(local_day, slots)
        key = (local_day, wanted, *(self._key(plan_input, day) for day in wanted),
               *(tuple(self.marks.get((plan.id, day), {}).items()) for day in wanted))
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = select.day_state(*(
                self._view(plan_input, plan.id, day) if day in wanted
                else day_model.build_day(day, (), {})  # a day select will not read
                for day in (local_day, local_day + timedelta(days=1))))
        return state

    @staticmethod
    def _key(plan_input: schedule.PlanInput, day: date) -> tuple:
        """What decides the plan's occurrences on ``day``. Specs are one object per stored
        text (plans.load_days), alive as long as self is: their ids stand for them, as
        hashing a whole spec would cost more."""
        return (day, plan_input.start, plan_input.end,
                tuple((r.effective_from, id(r.spec)) for r in plan_input.revisions),
                plan_input.transitions, plan_input.pauses, plan_input.completions,
                plan_input.moves, plan_input.holds)

    def _view(self, plan_input, plan_id: int, day: date) -> day_model.DayView:
        key = self._key(plan_input, day)
        occurrences = self._occurrences.get(key)
        if occurrences is None:
            occurrences = self._occurrences[key] = schedule.occurrences(plan_input, day, day)
        return day_model.build_day(day, occurrences, self.marks.get((plan_id, day), {}))


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


def tick(now: datetime, *, dry_run: bool = False,
         enqueue: Callable[[int, datetime], None] | None = None) -> list[Outcome]:
    """One worker tick: send what is due by ``now`` (exactly once), retry what failed.

    With ``enqueue``, each reminder is claimed here and handed on as
    ``enqueue(claim id, lease end)`` for a worker to send (``send_claimed``), so many
    workers share a busy minute's sends; without it the tick sends them itself."""
    if now.tzinfo is None:  # astimezone would read it as the machine's local time
        raise ValueError(f"tick needs an aware now (got {now!r})")
    now = now.astimezone(UTC)
    due_rows, states = select_due(now)
    users = _users([row.user for row, _prefs, reminders in due_rows if reminders])
    outcomes: list[Outcome] = []
    if enqueue is not None and not dry_run:
        outcomes += _claim_and_enqueue(
            [(users[row.user], r) for row, _prefs, reminders in due_rows for r in reminders],
            now, enqueue)
    else:
        for row, _prefs, reminders in due_rows:
            if reminders:
                outcomes += _send_user(users[row.user], reminders, now, dry_run, enqueue)
    if not dry_run:
        _store_next_fires(
            [(row.id, select.next_fire_at(prefs, now)) for row, prefs, _r in due_rows], now)
        outcomes += _retry_failed(now)
    return outcomes


# What select_due reads of a due user's settings row: the settings and the claims' mark
# (not next_fire_at or updated_at, each a datetime to convert on thousands of rows).
_SELECTED = (ReminderPreference.id, ReminderPreference.user, ReminderPreference.selfcare_time,
             ReminderPreference.second_time, ReminderPreference.session_day_before,
             ReminderPreference.session_day_before_time, ReminderPreference.quiet_start,
             ReminderPreference.quiet_end, ReminderPreference.email, ReminderPreference.push,
             ReminderPreference.checked_until)


@contextmanager
def _without_cycle_collection():
    """Python's cycle collector paused (then restored as it was). A busy minute's selection
    makes about a million short-lived objects (rows, day states, reminders) with no cycles
    among them: reference counting frees them, and the collector, which runs every few
    hundred allocations and scans ever more of the heap, only cost time (~17% of the
    selection; more in a process with a larger heap). Anything cyclic made meanwhile is
    collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def select_due(now: datetime) -> tuple[list[tuple], DayStates]:
    """The users whose next fire time has come, each as (settings row, Preferences, the
    reminders due), and the DayStates they were selected with: a fixed number of queries
    however many users are due (the indexed query, then batches of ``plans.CHUNK``)."""
    with _without_cycle_collection():
        return _select_due(now)


def _select_due(now: datetime) -> tuple[list[tuple], DayStates]:
    # Plain rows, not model objects: a busy minute has thousands of users due.
    due = list(
        ReminderPreference.select(*_SELECTED, User.timezone)
        .join(User)
        .where(ReminderPreference.next_fire_at <= now)
        .order_by(ReminderPreference.next_fire_at)
        .namedtuples()
    )
    current_plans = plans.current_plan_rows([row.user for row in due])
    windows, slots = [], {}
    for row in due:
        prefs = preferences_of(row, row.timezone)
        since = max(row.checked_until or now - select.DEFAULT_WINDOW, now - LOOKBACK_LIMIT)
        window = max(now - since, timedelta(seconds=1))
        windows.append((prefs, window))
        slots[row.user] = select.due_slots(now, prefs, window)
    states = DayStates(current_plans, slots)
    selected = []
    for row, (prefs, window) in zip(due, windows, strict=True):
        plan, due_slots = current_plans.get(row.user), slots[row.user]
        reminders = select.select(
            now, prefs, lambda day, plan=plan, due=due_slots: states.of(plan, day, due[day]),
            row.user, window)
        selected.append((row, prefs, reminders))
    return selected, states


def _users(ids: list[int]) -> dict[int, User]:
    found: dict[int, User] = {}
    for first in range(0, len(ids), plans.CHUNK):
        for user in User.select().where(User.id.in_(ids[first:first + plans.CHUNK])):
            found[user.id] = user
    return found


def _store_next_fires(rows: list[tuple[int, datetime | None]], now: datetime) -> None:
    """One UPDATE per next fire time (and CHUNK rows): users who share a reminder time
    share their next fire, so a busy minute's thousands of rows take a few statements."""
    by_fire: dict[datetime | None, list[int]] = defaultdict(list)
    for pref_id, fire in rows:
        by_fire[fire].append(pref_id)
    with database.atomic():
        for fire, ids in by_fire.items():
            for first in range(0, len(ids), plans.CHUNK):
                ReminderPreference.update(next_fire_at=fire, checked_until=now).where(
                    ReminderPreference.id.in_(ids[first:first + plans.CHUNK])).execute()


def _send_user(user: User, reminders: list[select.Reminder], now: datetime, dry_run: bool,
               enqueue: Callable[[int, datetime], None] | None) -> list[Outcome]:
    """Claim and send (or hand on) one user's due reminders."""
    outcomes = []
    for reminder in reminders:
        outcome = Outcome(user.email, reminder.slot, reminder.local_date, reminder.channel, "")
        if dry_run:
            outcome.status = "dry-run"
        elif (claim := _claim(user, reminder, now)) is None:
            outcome.status = "claimed-elsewhere"
        elif enqueue is not None:
            enqueue(claim.id, claim.next_attempt_at)
            outcome.status = "queued"
        else:
            outcome.status = _attempt(claim, user, reminder, now)
        outcomes.append(outcome)
    return outcomes


def _claim_and_enqueue(pending: list[tuple[User, select.Reminder]], now: datetime,
                       enqueue: Callable[[int, datetime], None]) -> list[Outcome]:
    """Claim a tick's reminders in bulk (``claims.claim_many``: a few statements per
    hundreds of reminders, not one each) and queue each one claimed for a worker."""
    key = ("user", "local_date", "slot", "channel")
    claimed = claims.claim_many(ReminderClaim, now, [
        {"user": user.id, "local_date": r.local_date, "slot": r.slot, "channel": r.channel,
         "items": _claim_items(r), "due_at": r.due_at} for user, r in pending], key)
    lease = now + claims.CLAIM_LEASE
    outcomes = []
    for user, r in pending:
        claim_id = claimed.get((user.id, r.local_date, r.slot, r.channel))
        if claim_id is not None:
            enqueue(claim_id, lease)
        outcomes.append(Outcome(user.email, r.slot, r.local_date, r.channel,
                                "queued" if claim_id is not None else "claimed-elsewhere"))
    return outcomes


def send_claimed(claim_id: int, lease_end: datetime, now: datetime) -> str:
    """Send a reminder the tick claimed and queued (``tick(enqueue=...)``), once: the claim
    is taken only while it is still the tick's lease (``claims.take``), so a second
    delivery of the same job, or a retry that took the claim after its lease ran out,
    does not send it again. Returns "sent", "failed", "gave_up" or "claimed-elsewhere"."""
    claim = claims.take(ReminderClaim.select(ReminderClaim, User).join(User), claim_id,
                        lease_end, now)
    if claim is None:
        return "claimed-elsewhere"
    return _attempt(claim, claim.user, _reminder_from_claim(claim), now)


def _retry_failed(now: datetime) -> list[Outcome]:
    """Send again what failed, and what was claimed but never finished (its lease ran out)."""
    outcomes = []
    for claim in claims.retake(ReminderClaim.select(ReminderClaim, User).join(User), now):
        reminder = _reminder_from_claim(claim)
        status = _attempt(claim, claim.user, reminder, now)
        outcomes.append(Outcome(claim.user.email, claim.slot, claim.local_date, claim.channel,
                                status, "retry"))
    return outcomes
