"""Which reminders are due, and when a user's next one fires (pure).

Pure: imports neither Flask nor peewee and never reads the clock; the worker passes
`now` and each user's Preferences. Reminder times are local wall times in the user's
zone, so an 08:00 reminder fires at 08:00 local whatever the UTC offset that day:

- a time skipped by a DST jump fires once, at the first valid minute after the gap
  (02:30 on a 02:00->03:00 day fires at 03:00; `schedule.to_utc` would give 03:30);
- a time that happens twice fires once, at the first occurrence (fold=0);
- a time inside quiet hours fires at the end of the quiet hours, which for a span
  that wraps midnight (22:00-07:00) may be the next morning.

How the app uses it: store `next_fire_at(prefs, now)` per user in an indexed UTC
column; each tick, for the users whose stored value is <= now, `claim_key` every
`select(now, ...)` reminder in the database, send what was claimed, then store
`next_fire_at(prefs, now)` again, with the tick's `now`, not the time the sends
finished. With `window` = the time since the previous tick (1 minute normally, more
when catching up after a restart) the windows tile the time line, so every slot
fires in exactly one tick.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.domain.day import DUE, DayView
from tracker.domain.times import format_time_of_day

__all__ = [
    "CHANNELS", "DEFAULT_WINDOW", "EMAIL", "PUSH", "SELFCARE_1", "SELFCARE_2",
    "SESSION_EVE",
    "DayState", "Fire", "Preferences", "Reminder", "ReminderItem",
    "claim_key", "day_state", "due_slots", "fire_times", "next_fire_at", "select",
]

SELFCARE_1, SELFCARE_2, SESSION_EVE = "selfcare-1", "selfcare-2", "session-eve"
PUSH, EMAIL = "push", "email"
CHANNELS = (PUSH, EMAIL)
DEFAULT_WINDOW = timedelta(minutes=1)

_DAY = timedelta(days=1)
_ZERO = timedelta(0)

# ZoneInfo keeps only 8 zones alive by itself: a tick over users in 30 zones would
# reread tzdata files all the time. There are a few hundred zones, so keep them all.
_zone = cache(ZoneInfo)


def _check_time(value: object, name: str) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValueError(f"{name} must be a naive local time (got {value!r})")
    if value.second or value.microsecond:
        raise ValueError(f"{name} must be a whole minute (got {value!r})")


def _check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (got {value!r})")


@dataclass(frozen=True, slots=True)
class Preferences:
    """One user's reminder settings; times are local wall times in `timezone`.

    Quiet hours run from `quiet_start` up to (not including) `quiet_end` and may wrap
    midnight. No channels means reminders are off.
    """

    timezone: str
    selfcare_time: time = time(8, 0)
    second_time: time | None = None
    session_day_before: bool = True
    session_day_before_time: time = time(18, 0)
    quiet_start: time | None = None
    quiet_end: time | None = None
    channels: tuple[str, ...] = (EMAIL,)

    def __post_init__(self) -> None:
        try:
            _zone(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        _check_time(self.selfcare_time, "selfcare_time")
        _check_time(self.session_day_before_time, "session_day_before_time")
        if self.second_time is not None:
            _check_time(self.second_time, "second_time")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both a start and an end")
        if self.quiet_start is not None:
            _check_time(self.quiet_start, "quiet_start")
            _check_time(self.quiet_end, "quiet_end")
            if self.quiet_start == self.quiet_end:
                raise ValueError("quiet hours must not start and end at the same time")
        if isinstance(self.channels, list):
            object.__setattr__(self, "channels", tuple(self.channels))
        if not isinstance(self.channels, tuple) or any(c not in CHANNELS for c in self.channels):
            raise ValueError(f"channels must be a subset of {CHANNELS} (got {self.channels!r})")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"channels must not repeat (got {self.channels!r})")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


class Fire(NamedTuple):
    """When a slot actually fires: the UTC instant after DST and quiet hours."""

    slot: str
    local_date: date
    at: datetime


class ReminderItem(NamedTuple):
    """A self-care item a reminder lists: `key` identifies it in the plan (what "Done"
    checks off: two items may share a `name`), `name` is what the message shows."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class DayState:
    """What the app knows about one local day of the user's plan.

    `self_care_due_not_done`: the self-care items (ReminderItem) due that day and
    neither done nor skipped, in routine order. `sessions_tomorrow`: the professional sessions
    due the next local day and not done, e.g. "Deep tissue massage at 10:00".
    `paused`: the whole plan is paused that day (partial pauses are already reflected
    in the two lists, as `schedule.occurrences` drops those items).
    """

    paused: bool = False
    self_care_due_not_done: tuple[ReminderItem, ...] = ()
    sessions_tomorrow: tuple[str, ...] = ()


def day_state(view: DayView, tomorrow: DayView, *, paused: bool = False) -> DayState:
    """A DayState from the day's and the next day's `today.build_day` views.

    Self-care counts as still due unless marked done or skipped (a skip is a decision
    the client made, not something to nag about); so does a session tomorrow.
    """
    self_care = tuple(ReminderItem(i.key, i.name) for i in view.items
                      if not i.is_session and i.state == DUE)
    sessions = tuple(f"{i.name} at {format_time_of_day(i.time)}" if i.time else i.name
                     for i in tomorrow.items if i.is_session and i.state == DUE)
    return DayState(paused, self_care, sessions)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One message to send on one channel; `due_at` is the UTC instant the slot fired.

    `items`: the self-care items to do (ReminderItem); `session`: the sessions tomorrow,
    as the session-eve message words them."""

    user_key: Hashable
    slot: str
    local_date: date
    channel: str
    items: tuple[ReminderItem, ...]
    session: str | None
    due_at: datetime

    @property
    def item_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.items)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)


def _times(prefs: Preferences) -> list[tuple[str, time]]:
    times = [(SELFCARE_1, prefs.selfcare_time)]
    if prefs.second_time is not None:
        times.append((SELFCARE_2, prefs.second_time))
    if prefs.session_day_before:
        times.append((SESSION_EVE, prefs.session_day_before_time))
    return times


def _gap_end(day: date, t: time, tz: ZoneInfo) -> datetime:
    """The first whole local minute after the DST gap that swallows `t` on `day`, in UTC."""
    local = datetime.combine(day, t, tz)
    before = local.utcoffset()
    hi = int(local.timestamp())  # read with the offset before the jump: after it
    after = datetime.fromtimestamp(hi, tz).utcoffset()
    lo = hi - int((after - before).total_seconds())  # read with the offset after: before it
    while hi - lo > 1:  # the jump happens on a whole second, at most a day or so away
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    at = datetime.fromtimestamp(hi, UTC)
    seconds = at.astimezone(tz).second  # only old local-mean-time offsets have seconds
    return at + timedelta(seconds=60 - seconds) if seconds else at


# Users share zones and pick round times, so a tick resolves the same few walls over
# and over; the answer only depends on the arguments (and tzdata, fixed per process).
@lru_cache(maxsize=16384)
def _resolve(day: date, t: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """(UTC instant, local aware datetime) for wall time `t` on `day`, DST-safe."""
    local = datetime.combine(day, t, tz)  # fold=0: the first of a repeated time
    at = local.astimezone(UTC)
    shown = at.astimezone(tz)
    if shown.utcoffset() == local.utcoffset():
        return at, local
    at = _gap_end(day, t, tz)  # the wall time never happens that day
    return at, at.astimezone(tz)


def _quiet_end(prefs: Preferences, local: datetime) -> tuple[date, time] | None:
    """Where quiet hours move a fire at `local`, or None when it is outside them."""
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None:
        return None
    t = local.time()
    if start < end:
        return (local.date(), end) if start <= t < end else None
    if t >= start:
        return local.date() + _DAY, end
    return (local.date(), end) if t < end else None


def _fires(prefs: Preferences, tz: ZoneInfo, local_day: date) -> tuple[Fire, ...]:
    return _day_fires(prefs, tz, local_day)


# Users share their settings (a zone, 08:00): a tick asks for the same few days' fires
# thousands of times. The answer depends only on the arguments (Preferences is frozen).
@lru_cache(maxsize=16384)
def _day_fires(prefs: Preferences, tz: ZoneInfo, local_day: date) -> tuple[Fire, ...]:
    fires: list[Fire] = []
    for name, t in _times(prefs):
        at, local = _resolve(local_day, t, tz)
        moved = _quiet_end(prefs, local)
        if moved is not None:
            at, _ = _resolve(moved[0], moved[1], tz)
        if name == SELFCARE_2 and at == fires[0].at:
            continue  # the same message at the same instant as selfcare-1: send it once
        fires.append(Fire(name, local_day, at))
    fires.sort(key=lambda f: f.at)  # stable: slot order on ties
    return tuple(fires)


def fire_times(prefs: Preferences, local_day: date) -> list[Fire]:
    """The slots of `local_day` with the UTC instants they fire at, earliest first.

    Every configured slot fires exactly once per local day, except that a second
    self-care time which lands on the first's instant (same time, or both pushed to
    the end of quiet hours) is dropped. A fire may land on the next local day when
    quiet hours wrap midnight; it keeps `local_day` as its `local_date`.
    """
    return list(_fires(prefs, prefs.zone, local_day))


def _wraps(prefs: Preferences) -> bool:
    """Quiet hours that wrap midnight, which push a day's late slots into the next day."""
    return prefs.quiet_start is not None and prefs.quiet_end is not None \
        and prefs.quiet_start > prefs.quiet_end


def next_fire_at(prefs: Preferences, after_utc: datetime) -> datetime | None:
    """The earliest fire instant strictly after `after_utc` (UTC); None if no channels."""
    _check_aware(after_utc, "after_utc")
    if not prefs.channels:
        return None
    tz = prefs.zone
    day = after_utc.astimezone(tz).date() - (_DAY if _wraps(prefs) else _ZERO)
    # A day's fires are never later than the next day's (a wall time resolves to the
    # first instant showing it or later, and quiet hours only push a fire to where the
    # next day's early slots land too), so the first day with a fire after `after_utc`
    # holds the answer. Days before `day` fire at or before `after_utc`; the one after
    # it fires after the whole of it, so the loop takes at most three turns.
    for _ in range(4):
        later = [f.at for f in _fires(prefs, tz, day) if f.at > after_utc]
        if later:
            return min(later)
        day += _DAY
    raise AssertionError("a day without any fire")  # pragma: no cover


@lru_cache(maxsize=1024)
def _due(now_utc: datetime, prefs: Preferences, window: timedelta) -> tuple[Fire, ...]:
    """The fires in (now_utc - window, now_utc], earliest first. Remembered: a tick asks
    it twice per user due (``due_slots``, ``select``), and users who share their settings
    and zone share the answer (everything here is a frozen value)."""
    _check_aware(now_utc, "now_utc")
    if window <= _ZERO:
        raise ValueError(f"window must be positive (got {window!r})")
    if not prefs.channels:
        return ()
    tz, since = prefs.zone, now_utc - window
    day = since.astimezone(tz).date() - (_DAY if _wraps(prefs) else _ZERO)
    last = now_utc.astimezone(tz).date()  # later days fire after `now` (see next_fire_at)
    due: list[Fire] = []
    while day <= last:
        due.extend(f for f in _fires(prefs, tz, day) if since < f.at <= now_utc)
        day += _DAY
    due.sort(key=lambda f: f.at)
    return tuple(due)


def due_slots(now_utc: datetime, prefs: Preferences,
              window: timedelta = DEFAULT_WINDOW) -> dict[date, frozenset[str]]:
    """The local days `select(now_utc, prefs, day_items, ..., window)` asks `day_items`
    about, whatever it answers (so a caller can load them all first), each with the slots
    firing for it. What `select` reads of a day's DayState follows from its slots: `paused`
    always, `self_care_due_not_done` for a self-care slot, `sessions_tomorrow` for
    SESSION_EVE; the rest may be left empty without changing its answer."""
    slots: dict[date, set[str]] = {}
    for fire in _due(now_utc, prefs, window):
        slots.setdefault(fire.local_date, set()).add(fire.slot)
    return {day: frozenset(names) for day, names in slots.items()}


def select(now_utc: datetime, prefs: Preferences, day_items: Callable[[date], DayState],
           user_key: Hashable, window: timedelta = DEFAULT_WINDOW) -> list[Reminder]:
    """The reminders whose slot fires in (now_utc - window, now_utc], one per channel.

    `day_items(local_date)` is asked at most once per local day, and only for a day
    with a slot in the window. Nothing is sent for a paused day, a self-care slot with
    nothing left to do, or a session-eve slot without a session the next day.
    """
    due = _due(now_utc, prefs, window)
    states: dict[date, DayState] = {}
    reminders: list[Reminder] = []
    for slot, local_date, at in due:
        state = states.get(local_date)
        if state is None:
            state = states[local_date] = day_items(local_date)
        if state.paused:
            continue
        if slot == SESSION_EVE:
            items, session = (), ", ".join(state.sessions_tomorrow) or None
            if session is None:
                continue
        else:
            items, session = tuple(state.self_care_due_not_done), None
            if not items:
                continue
        reminders.extend(Reminder(user_key, slot, local_date, channel, items, session, at)
                         for channel in prefs.channels)
    return reminders


def claim_key(reminder: Reminder) -> tuple[Hashable, str, str, str]:
    """(user, local date, slot, channel): claimed in a unique index before sending."""
    return reminder.user_key, reminder.local_date.isoformat(), reminder.slot, reminder.channel
