"""Which reminders are due: wall times across DST, quiet hours, windows, exactly once."""
import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import day as day_model
from tracker.domain import plan_spec, schedule
from tracker.domain.reminder_select import (
    SELFCARE_1,
    SELFCARE_2,
    SESSION_EVE,
    DayState,
    Preferences,
    ReminderItem,
    claim_key,
    day_state,
    fire_times,
    next_fire_at,
    select,
)

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata")
MORE_ZONES = ("Pacific/Chatham", "America/Santiago", "Europe/London", "UTC")
# 2025 DST change days of ZONES and MORE_ZONES (Chatham shifts at 02:45 local).
CHANGE_DAYS = tuple(date(2025, m, d) for m, d in (
    (3, 9), (11, 2), (3, 30), (10, 26), (4, 6), (10, 5), (9, 28), (9, 7)))
MINUTE = timedelta(minutes=1)
ITEMS = (ReminderItem("s", "Piriformis stretch"), ReminderItem("b", "Massage ball on glutes"))
SESSION = "Deep tissue massage at 10:00"


def prefs(zone: str = "Europe/Berlin", **kw) -> Preferences:
    return Preferences(zone, **kw)


def local(fire, zone: str) -> datetime:
    return fire.at.astimezone(ZoneInfo(zone))


def only(zone: str, t: time) -> Preferences:
    """Just the first self-care reminder, at `t`."""
    return prefs(zone, selfcare_time=t, session_day_before=False)


def every_day(paused: bool = False, items=ITEMS, sessions=(SESSION,)):
    return lambda day: DayState(paused, items, sessions)


def varied_day(day: date) -> DayState:
    """A plan where some days are done, some paused, and sessions come every other day."""
    n = day.toordinal()
    return DayState(paused=n % 7 == 3, self_care_due_not_done=() if n % 5 == 0 else ITEMS,
                    sessions_tomorrow=(SESSION,) if n % 2 == 0 else ())


def expected_keys(p: Preferences, day_items, user, start: datetime, end: datetime) -> Counter:
    """Claim keys of every slot firing in (start, end] that has something to say."""
    tz = p.zone
    first, last = start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date()
    keys: Counter = Counter()
    for n in range((last - first).days + 1):
        for slot, day, at in fire_times(p, first + timedelta(days=n)):
            state = day_items(day)
            eve = slot == SESSION_EVE
            wanted = state.sessions_tomorrow if eve else state.self_care_due_not_done
            if start < at <= end and not state.paused and wanted:
                keys.update((user, day.isoformat(), slot, c) for c in p.channels)
    return keys


# --------------------------------------------------------------------------- wall times

@pytest.mark.parametrize("zone, offsets", [
    ("America/New_York", {"-1 day, 19:00:00", "-1 day, 20:00:00"}),
    ("Europe/Berlin", {"1:00:00", "2:00:00"}),
    ("Australia/Lord_Howe", {"10:30:00", "11:00:00"}),
    ("Asia/Kolkata", {"5:30:00"}),
])
def test_every_slot_fires_at_its_wall_time_on_every_day_of_a_year(zone, offsets):
    p = prefs(zone, second_time=time(20, 30))
    seen = set()
    for n in range(365):
        day = date(2025, 1, 1) + timedelta(days=n)
        fires = fire_times(p, day)
        assert [f.slot for f in fires] == [SELFCARE_1, SESSION_EVE, SELFCARE_2]
        for fire, wall in zip(fires, (time(8), time(18), time(20, 30)), strict=True):
            assert fire.at.tzinfo is UTC and fire.local_date == day
            shown = local(fire, zone)
            assert (shown.date(), shown.time()) == (day, wall)
            seen.add(str(shown.utcoffset()))
    assert seen == offsets  # the year went through its DST change days, if any


@pytest.mark.parametrize("zone, day, wall, shown, utc", [
    ("America/New_York", date(2025, 3, 9), time(2, 30), time(3, 0), datetime(2025, 3, 9, 7, 0)),
    ("America/New_York", date(2025, 3, 9), time(2, 0), time(3, 0), datetime(2025, 3, 9, 7, 0)),
    ("Europe/Berlin", date(2025, 3, 30), time(2, 30), time(3, 0), datetime(2025, 3, 30, 1, 0)),
    ("Europe/Berlin", date(2025, 3, 30), time(2, 59), time(3, 0), datetime(2025, 3, 30, 1, 0)),
    # Lord Howe springs forward half an hour, 02:00 -> 02:30
    ("Australia/Lord_Howe", date(2025, 10, 5), time(2, 15), time(2, 30),
     datetime(2025, 10, 4, 15, 30)),
    ("Australia/Lord_Howe", date(2025, 10, 5), time(2, 30), time(2, 30),
     datetime(2025, 10, 4, 15, 30)),
    ("Asia/Kolkata", date(2025, 3, 30), time(2, 30), time(2, 30), datetime(2025, 3, 29, 21, 0)),
])
def test_a_time_skipped_by_spring_forward_fires_once_at_the_next_valid_minute(
        zone, day, wall, shown, utc):
    fires = fire_times(only(zone, wall), day)
    assert fires == [(SELFCARE_1, day, utc.replace(tzinfo=UTC))]
    assert (local(fires[0], zone).date(), local(fires[0], zone).time()) == (day, shown)


@pytest.mark.parametrize("zone, day, wall, utc", [
    ("America/New_York", date(2025, 11, 2), time(1, 30), datetime(2025, 11, 2, 5, 30)),
    ("Europe/Berlin", date(2025, 10, 26), time(2, 30), datetime(2025, 10, 26, 0, 30)),
    # Lord Howe falls back half an hour: 01:30-02:00 happens twice
    ("Australia/Lord_Howe", date(2025, 4, 6), time(1, 45), datetime(2025, 4, 5, 14, 45)),
])
def test_a_time_repeated_by_fall_back_fires_once_at_its_first_occurrence(zone, day, wall, utc):
    fires = fire_times(only(zone, wall), day)
    assert fires == [(SELFCARE_1, day, utc.replace(tzinfo=UTC))]
    shown = local(fires[0], zone)
    assert (shown.time(), shown.fold) == (wall, 0)
    second = (utc + timedelta(minutes=30 if zone == "Australia/Lord_Howe" else 60)).replace(
        tzinfo=UTC)
    assert second.astimezone(ZoneInfo(zone)).time() == wall  # it did happen twice


@pytest.mark.parametrize("zone, day, wall, merged", [
    ("America/New_York", date(2025, 3, 9), time(2, 30), True),
    ("America/New_York", date(2025, 11, 2), time(1, 30), False),
    ("Europe/Berlin", date(2025, 3, 30), time(2, 30), True),
    ("Europe/Berlin", date(2025, 10, 26), time(2, 30), False),
    ("Australia/Lord_Howe", date(2025, 10, 5), time(2, 15), False),  # to 02:30, not 03:00
    ("Australia/Lord_Howe", date(2025, 4, 6), time(1, 45), False),
    ("Asia/Kolkata", date(2025, 3, 30), time(2, 30), False),
])
def test_ticking_every_minute_through_a_change_day_sends_each_slot_once(zone, day, wall, merged):
    # 03:00 is a slot of its own: where 03:00 ends the gap, both land on one instant
    p = prefs(zone, selfcare_time=wall, second_time=time(3, 0), session_day_before_time=wall,
              channels=("push", "email"))
    start = datetime.combine(day - timedelta(days=1), time(12), UTC)
    ticks = [start + n * MINUTE for n in range(1, 42 * 60 + 1)]  # the whole day in each zone
    got = Counter(claim_key(r) for t in ticks for r in select(t, p, every_day(), 7))
    assert got == expected_keys(p, every_day(), 7, start, ticks[-1])
    assert set(got.values()) == {1}
    on_the_day = sorted(key[2:] for key in got if key[1] == day.isoformat())
    assert on_the_day == sorted((slot, channel) for slot in (SELFCARE_1, SELFCARE_2, SESSION_EVE)
                                for channel in ("push", "email")
                                if slot != SELFCARE_2 or not merged)


def test_a_second_time_landing_on_the_first_is_sent_once():
    p = prefs("America/New_York", selfcare_time=time(2, 30), second_time=time(3, 0),
              session_day_before=False)
    assert [f.slot for f in fire_times(p, date(2025, 3, 9))] == [SELFCARE_1]
    assert [f.slot for f in fire_times(p, date(2025, 3, 10))] == [SELFCARE_1, SELFCARE_2]


# --------------------------------------------------------------------------- quiet hours

@pytest.mark.parametrize("wall, fires_at", [
    (time(11, 59), time(11, 59)),
    (time(12, 0), time(14, 0)),  # the start is quiet
    (time(13, 30), time(14, 0)),
    (time(14, 0), time(14, 0)),  # the end is not
])
def test_quiet_hours_within_a_day_move_a_fire_to_their_end(wall, fires_at):
    p = prefs("Europe/Berlin", selfcare_time=wall, session_day_before=False,
              quiet_start=time(12), quiet_end=time(14))
    [fire] = fire_times(p, date(2025, 6, 2))
    shown = local(fire, "Europe/Berlin")
    assert (shown.date(), shown.time()) == (date(2025, 6, 2), fires_at)


@pytest.mark.parametrize("wall, next_day, fires_at", [
    (time(6, 0), False, time(7, 0)),
    (time(0, 0), False, time(7, 0)),
    (time(7, 0), False, time(7, 0)),
    (time(21, 59), False, time(21, 59)),
    (time(22, 0), True, time(7, 0)),
    (time(23, 30), True, time(7, 0)),
])
def test_quiet_hours_wrapping_midnight_move_a_fire_to_the_morning(wall, next_day, fires_at):
    zone, day = "America/New_York", date(2025, 1, 14)
    p = prefs(zone, selfcare_time=wall, session_day_before=False,
              quiet_start=time(22), quiet_end=time(7))
    [fire] = fire_times(p, day)
    shown = local(fire, zone)
    assert fire.local_date == day  # still the reminder for `day`, claimed under it
    assert (shown.date(), shown.time()) == (day + timedelta(days=next_day), fires_at)


def test_slots_pushed_into_the_same_quiet_end_fire_once_each_day():
    p = prefs("Europe/Berlin", selfcare_time=time(5, 0), second_time=time(6, 30),
              session_day_before_time=time(23, 0), quiet_start=time(22), quiet_end=time(7))
    fires = fire_times(p, date(2025, 6, 2))
    assert [(f.slot, local(f, "Europe/Berlin").strftime("%d %H:%M")) for f in fires] == [
        (SELFCARE_1, "02 07:00"), (SESSION_EVE, "03 07:00")]


def test_quiet_hours_apply_to_the_time_a_gap_resolves_to():
    zone, day = "America/New_York", date(2025, 3, 9)
    p = only(zone, time(2, 30))
    quiet = Preferences(zone, selfcare_time=time(2, 30), session_day_before=False,
                        quiet_start=time(3), quiet_end=time(6))
    assert local(fire_times(p, day)[0], zone).time() == time(3)
    assert local(fire_times(quiet, day)[0], zone).time() == time(6)


def test_a_quiet_end_skipped_by_spring_forward_fires_after_the_gap():
    zone, day = "America/New_York", date(2025, 3, 9)
    p = Preferences(zone, selfcare_time=time(1, 30), session_day_before=False,
                    quiet_start=time(1), quiet_end=time(2, 30))
    assert local(fire_times(p, day)[0], zone).time() == time(3)


# --------------------------------------------------------------------------- next_fire_at

def test_next_fire_at_is_strictly_after():
    p = prefs("Europe/Berlin", second_time=time(20))
    eight = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert next_fire_at(p, eight - timedelta(microseconds=1)) == eight
    assert next_fire_at(p, eight) == datetime(2025, 6, 2, 16, 0, tzinfo=UTC)  # 18:00 eve
    assert next_fire_at(p, datetime(2025, 6, 2, 18, 0, tzinfo=UTC)) == eight + timedelta(days=1)


def test_next_fire_at_finds_yesterdays_slot_pushed_past_midnight():
    p = prefs("Asia/Kolkata", second_time=time(23), quiet_start=time(22), quiet_end=time(7))
    after = datetime(2025, 6, 2, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    seven = datetime(2025, 6, 2, 7, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert next_fire_at(p, after) == seven
    assert [(f.slot, f.local_date) for f in fire_times(p, date(2025, 6, 1))
            if f.at == seven] == [(SELFCARE_2, date(2025, 6, 1))]


def test_no_channels_means_no_reminders():
    p = prefs(channels=())
    now = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
    assert next_fire_at(p, now) is None
    assert select(now, p, every_day(), 1) == []


times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
early = st.builds(time, st.integers(0, 3), st.integers(0, 59))  # where DST changes happen
any_time = st.one_of(early, times)
zones = st.sampled_from(ZONES + MORE_ZONES)
channels = st.sampled_from([("email",), ("push",), ("push", "email"), ("email", "push")])


@st.composite
def preferences(draw, zone=zones):
    quiet = draw(st.one_of(st.none(), st.tuples(any_time, any_time).filter(lambda q: q[0] != q[1])))
    return Preferences(
        draw(zone), draw(any_time), draw(st.one_of(st.none(), any_time)), draw(st.booleans()),
        draw(any_time), *(quiet or (None, None)), draw(channels))


days = st.one_of(st.sampled_from(CHANGE_DAYS), st.dates(date(2024, 1, 1), date(2026, 12, 31)))
PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(preferences(), days, st.integers(-36 * 60, 36 * 60), st.integers(0, 59))
def test_next_fire_at_is_the_first_fire_time_after(p, day, minutes, seconds):
    after = datetime.combine(day, time(12), UTC) + timedelta(minutes=minutes, seconds=seconds)
    got = next_fire_at(p, after)
    around = after.astimezone(p.zone).date()
    fires = [f.at for n in range(-3, 4)
             for f in fire_times(p, around + timedelta(days=n)) if f.at > after]
    assert got is not None and got > after
    assert got == min(fires)


# --------------------------------------------------------------------------- select

FIRE = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 in Berlin


def test_select_sends_what_is_still_due_on_each_channel():
    p = prefs(channels=("push", "email"))
    reminders = select(FIRE, p, every_day(), "u1")
    assert [(r.slot, r.channel, r.items, r.session) for r in reminders] == [
        (SELFCARE_1, "push", ITEMS, None), (SELFCARE_1, "email", ITEMS, None)]
    assert [claim_key(r) for r in reminders] == [
        ("u1", "2025-06-02", SELFCARE_1, "push"), ("u1", "2025-06-02", SELFCARE_1, "email")]
    assert reminders[0].due_at == FIRE


@pytest.mark.parametrize("now, window, sent", [
    (FIRE - timedelta(microseconds=1), None, False),
    (FIRE, None, True),
    (FIRE + timedelta(seconds=59), None, True),
    (FIRE + MINUTE, None, False),  # the previous tick's window already had it
    (FIRE + 10 * MINUTE, None, False),
    (FIRE + 10 * MINUTE, 15 * MINUTE, True),  # catching up after a restart
    (FIRE + 15 * MINUTE, 15 * MINUTE, False),
])
def test_select_takes_slots_firing_within_the_window(now, window, sent):
    kw = {} if window is None else {"window": window}
    assert bool(select(now, prefs(), every_day(), 1, **kw)) is sent


@pytest.mark.parametrize("state", [
    DayState(paused=False, self_care_due_not_done=(), sessions_tomorrow=()),
    DayState(paused=True, self_care_due_not_done=ITEMS, sessions_tomorrow=(SESSION,)),
])
def test_nothing_is_sent_when_all_is_done_or_the_plan_is_paused(state):
    p = prefs(second_time=time(12))
    for n in range(24 * 60):
        assert select(FIRE + n * MINUTE, p, lambda _: state, 1) == []


def test_session_eve_only_when_a_session_is_due_the_next_day():
    eve = datetime(2025, 6, 2, 16, 0, tzinfo=UTC)  # 18:00 in Berlin
    p = prefs()
    assert select(eve, p, every_day(sessions=()), 1) == []
    [reminder] = select(eve, p, every_day(items=(), sessions=(SESSION,)), 1)
    assert (reminder.slot, reminder.local_date, reminder.items, reminder.session) == (
        SESSION_EVE, date(2025, 6, 2), (), SESSION)
    assert select(eve, prefs(session_day_before=False), every_day(), 1) == []


def test_day_items_is_asked_once_and_only_for_days_with_a_slot_in_the_window():
    asked = []

    def day_items(day):
        asked.append(day)
        return DayState(False, ITEMS, (SESSION,))

    p = prefs(second_time=time(8), session_day_before_time=time(8), channels=("push", "email"))
    assert select(FIRE - MINUTE, p, day_items, 1) == [] and asked == []
    assert len(select(FIRE, p, day_items, 1)) == 4  # selfcare-1 and session-eve, 2 channels
    assert asked == [date(2025, 6, 2)]


def test_day_state_lists_self_care_not_done_and_tomorrows_sessions():
    daily = plan_spec.Cadence("every_n_days", 1)
    stretch = plan_spec.ItemSpec("s", "piriformis-stretch", "Piriformis stretch", "stretch", daily)
    ball = plan_spec.ItemSpec("b", "trigger-point-ball", "Massage ball on glutes",
                             "self_massage", daily)
    walk = plan_spec.ItemSpec("w", "walk", "Gentle walk", "stretch", daily)
    massage = plan_spec.ItemSpec("m", "deep-tissue-massage", "Deep tissue massage", "session",
                                daily, time_of_day=time(10))
    day, tomorrow = date(2025, 6, 2), date(2025, 6, 3)

    def view(on, marks):
        occurrences = [schedule.Occurrence(on, i.time_of_day, i, 0, "Acute")
                       for i in (massage, stretch, ball, walk)]
        return day_model.build_day(on, occurrences, marks)

    done, skipped = day_model.Mark(day_model.DONE), day_model.Mark(day_model.SKIPPED, "no_time")
    state = day_state(view(day, {"s": done, "w": skipped}), view(tomorrow, {}))
    assert state == DayState(False, (ReminderItem("b", "Massage ball on glutes"),), (SESSION,))
    finished = day_state(view(day, {"s": done, "b": done, "w": done, "m": done}),
                         view(tomorrow, {"m": done}), paused=True)
    assert finished == DayState(True, (), ())


@pytest.mark.parametrize("kw, message", [
    ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"selfcare_time": time(8, 0, 30)}, "selfcare_time must be a whole minute"),
    ({"second_time": time(8, tzinfo=UTC)}, "second_time must be a naive local time"),
    ({"quiet_start": time(22)}, "quiet hours need both a start and an end"),
    ({"quiet_start": time(22), "quiet_end": time(22)},
     "quiet hours must not start and end at the same time"),
    ({"channels": ("sms",)}, "channels must be a subset of"),
    ({"channels": ("push", "push")}, "channels must not repeat"),
])
def test_bad_preferences_are_refused(kw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Preferences(**{"timezone": "Europe/Berlin", **kw})


def test_select_refuses_a_naive_now_or_an_empty_window():
    with pytest.raises(ValueError, match="now_utc must be an aware datetime"):
        select(datetime(2025, 6, 2, 8), prefs(), every_day(), 1)
    with pytest.raises(ValueError, match="window must be positive"):
        select(FIRE, prefs(), every_day(), 1, window=timedelta(0))
    with pytest.raises(ValueError, match="after_utc must be an aware datetime"):
        next_fire_at(prefs(), datetime(2025, 6, 2, 8))


# --------------------------------------------------------------------------- exactly once

@PROPERTY
@given(preferences(), days, st.integers(0, 59), st.integers(2, 5))
def test_a_worker_ticking_every_minute_sends_each_slot_once(p, day, phase, n_days):
    """The worker as the app runs it: the index says which ticks reach this user.

    Between two reads of the index nothing fires (next_fire_at is the first fire
    after the last tick), so jumping to the first tick at or after it is the same as
    ticking every minute, without running thousands of empty ticks.
    """
    start = datetime.combine(day, time(0), UTC) + timedelta(seconds=phase)
    end = start + n_days * 24 * 60 * MINUTE
    got: Counter = Counter()
    tick, stored = start, next_fire_at(p, start)
    while stored is not None:
        tick += -(-(stored - tick) // MINUTE) * MINUTE  # the first tick with stored <= tick
        if tick > end:
            break
        reminders = select(tick, p, varied_day, "u")
        got.update(claim_key(r) for r in reminders)
        stored = next_fire_at(p, tick)
        assert stored is not None and stored > tick
    assert got == expected_keys(p, varied_day, "u", start, end)
    assert set(got.values()) <= {1}


@PROPERTY
@given(preferences(), days,
       st.lists(st.integers(1, 90 * 60), min_size=1, max_size=150))
def test_irregular_ticks_with_the_window_since_the_last_send_each_slot_once(p, day, gaps):
    """A late or restarted worker passes window = now - previous tick, so nothing is lost."""
    start = datetime.combine(day, time(0), UTC)
    got: Counter = Counter()
    tick = start
    for gap in gaps:
        window = timedelta(seconds=gap)
        tick += window
        got.update(claim_key(r) for r in select(tick, p, varied_day, "u", window=window))
    assert got == expected_keys(p, varied_day, "u", start, tick)
    assert set(got.values()) <= {1}
