"""The .ics feed, read back and expanded the way a calendar app would, against the engine."""
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from tracker.domain import calendar_feed, library, plan_spec, reminder_select, schedule

NEW_YORK = ZoneInfo("America/New_York")
START = date(2027, 3, 1)  # a Monday; New York springs forward on 2027-03-14
END = date(2027, 6, 30)  # weekly, then fortnightly, then on the 4th Monday of the month
GENERATED = datetime(2027, 2, 20, 9, 30, tzinfo=UTC)
PLAN_ID = 7


def plan_input(*, moves=(), untimed_sessions=False):
    """The acute therapist-led template as an assigned plan starting on START."""
    spec = library.template("acute-therapist-led")["spec"]
    if untimed_sessions:
        for phase in spec["phases"]:
            for item in phase["items"]:
                if item["kind"] == "session":
                    item["time_of_day"] = None
    revision = schedule.Revision(START, plan_spec.PlanSpec.from_dict(spec))
    return schedule.PlanInput(start=START, revisions=(revision,), moves=moves)


def engine(plan=None, start=START, end=END):
    return schedule.occurrences(plan or plan_input(), start, end)


def feed(occurrences, **overrides):
    kwargs = dict(tz=NEW_YORK, plan_id=PLAN_ID, calendar_name="Sciatica care plan",
                  generated_at=GENERATED)
    kwargs.update(overrides)
    return calendar_feed.build_feed(occurrences, **kwargs)


def expand(ics, start=START, end=END):
    """Events from `start` to `end` inclusive, as a calendar app would show them."""
    cal = icalendar.Calendar.from_ical(ics)
    return recurring_ical_events.of(cal).between(start, end + timedelta(days=1))


def is_session(event):
    return str(event["UID"]).startswith("session-")


def day_of(value):
    return value.date() if isinstance(value, datetime) else value


# Module-scoped: one plan's feed, computed once; the tests only read it. The engine's output
# and the expanded events are tuples and the feed is bytes, so none can be added or dropped.
@pytest.fixture(scope="module")
def occurrences():
    return tuple(engine())


@pytest.fixture(scope="module")
def ics(occurrences):
    return feed(occurrences)


@pytest.fixture(scope="module")
def events(ics):
    return tuple(expand(ics))


# --------------------------------------------------------------------------- calendar

def test_calendar_properties():
    cal = icalendar.Calendar.from_ical(feed(engine(end=START)))
    assert str(cal["PRODID"]) == "-//Sciatica care plan//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "Sciatica care plan"
    assert str(cal["X-WR-TIMEZONE"]) == "America/New_York"


def test_lines_end_in_crlf_and_are_folded(occurrences):
    ics = feed(occurrences, url_for_today="https://example.test/today")
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75  # octets, RFC 5545 3.1


def test_vtimezone_for_the_client_zone_switches_offset_at_dst(ics):
    cal = icalendar.Calendar.from_ical(ics)
    assert [vtz.tz_name for vtz in cal.timezones] == ["America/New_York"]
    assert cal.get_missing_tzids() == set()
    # the offsets come from the VTIMEZONE itself, as an app without tzdata would read them
    zone = cal.timezones[0].to_tz()
    assert datetime(2027, 3, 8, 10, tzinfo=zone).utcoffset() == timedelta(hours=-5)
    assert datetime(2027, 3, 15, 10, tzinfo=zone).utcoffset() == timedelta(hours=-4)


def test_empty_plan_is_a_valid_empty_calendar():
    ics = feed([])
    cal = icalendar.Calendar.from_ical(ics)
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and ics.endswith(b"END:VCALENDAR\r\n")
    assert str(cal["PRODID"]) == "-//Sciatica care plan//EN"
    assert cal.walk("VEVENT") == [] and cal.timezones == []
    assert expand(ics) == []


def test_naive_generated_at_is_refused():
    with pytest.raises(ValueError, match="aware"):
        feed([], generated_at=datetime(2027, 2, 20, 9, 30))


def test_dtstamp_is_generated_at_in_utc(occurrences):
    berlin = GENERATED.astimezone(ZoneInfo("Europe/Berlin"))
    ics = feed(occurrences[:5], generated_at=berlin)
    stamps = {e["DTSTAMP"].dt for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")}
    assert stamps == {GENERATED}
    assert b"DTSTAMP:20270220T093000Z\r\n" in ics


# --------------------------------------------------------------------------- sessions

def test_sessions_match_the_engine(occurrences, events):
    expected = {(o.date, o.item.name) for o in occurrences if o.item.is_session}
    shown = {(day_of(e.start), str(e["SUMMARY"])) for e in events if is_session(e)}
    assert shown == expected
    assert len(expected) == 8  # 4 weekly + 3 fortnightly + 28 June, the 4th Monday
    assert {summary for _, summary in shown} == {"Deep tissue massage"}


@pytest.mark.parametrize(("ordinal", "weekday", "days"), [
    (4, 0, [date(2027, 3, 22), date(2027, 4, 26), date(2027, 5, 24), date(2027, 6, 28)]),
    (-1, 4, [date(2027, 3, 26), date(2027, 4, 30), date(2027, 5, 28), date(2027, 6, 25)]),
])
def test_monthly_on_the_nth_weekday_is_on_that_day_in_the_calendar(ordinal, weekday, days):
    """The feed lists each occurrence (no RRULE, as for every cadence), so a calendar app
    shows the 4th Monday (or the last Friday) of each month, never a weekend."""
    cadence = plan_spec.Cadence("monthly_weekday", 1, (weekday,), ordinal=ordinal)
    item = plan_spec.ItemSpec("massage", "deep-tissue-massage", "Deep tissue massage",
                              "session", cadence, plan_spec.Dose(minutes=45), time(10, 0))
    spec = plan_spec.PlanSpec((plan_spec.PhaseSpec("Maintenance", plan_spec.ExitRule("manual"),
                                                   (item,)),))
    plan = schedule.PlanInput(start=START, revisions=(schedule.Revision(START, spec),))
    ics = feed(engine(plan))
    sessions = sorted(expand(ics), key=lambda e: e.start)
    assert [e.start.date() for e in sessions] == days
    assert {e.start.time() for e in sessions} == {time(10, 0)}
    assert {e.end - e.start for e in sessions} == {timedelta(minutes=45)}
    assert b"RRULE" not in ics


def test_sessions_are_at_ten_local_across_the_dst_change(events):
    sessions = sorted((e for e in events if is_session(e)), key=lambda e: e.start)
    assert all(e.start.tzinfo.key == "America/New_York" for e in sessions)
    assert {e.start.time() for e in sessions} == {time(10, 0)}
    utc_hours = {e.start.date(): e.start.astimezone(UTC).hour for e in sessions[:4]}
    assert utc_hours == {date(2027, 3, 1): 15, date(2027, 3, 8): 15,
                         date(2027, 3, 15): 14, date(2027, 3, 22): 14}


def test_session_lasts_its_dose_and_describes_phase_dose_and_note(events):
    first = min((e for e in events if is_session(e)), key=lambda e: e.start)
    assert first.end - first.start == timedelta(minutes=60)
    description = str(first["DESCRIPTION"])
    assert "Acute" in description and "60 min" in description
    assert "Swedish massage" in description  # the template's note


def test_session_tzid_is_written_in_the_feed():
    ics = feed(engine(end=START))
    assert b"DTSTART;TZID=America/New_York:20270301T100000\r\n" in ics
    assert b"DTEND;TZID=America/New_York:20270301T110000\r\n" in ics


def test_untimed_sessions_are_all_day():
    occurrences = [o for o in engine(plan_input(untimed_sessions=True)) if o.item.is_session]
    ics = feed(occurrences)
    sessions = expand(ics)
    assert len(sessions) == 8
    for event in sessions:
        assert type(event.start) is date and event.end - event.start == timedelta(days=1)
    assert b"DTSTART;VALUE=DATE:20270301\r\n" in ics


def test_moved_session_keeps_its_original_uid():
    move = schedule.Move("massage", date(2027, 3, 8), date(2027, 3, 10), time(14, 0))
    occurrences = engine(plan_input(moves=(move,)), end=date(2027, 3, 31))
    shown = expand(feed(occurrences), end=date(2027, 3, 31))
    sessions = {day_of(e.start): e for e in shown if is_session(e)}
    assert date(2027, 3, 8) not in sessions
    moved = sessions[date(2027, 3, 10)]
    assert str(moved["UID"]) == "session-7-massage-20270308@sciatica-tracker"
    assert moved.start == datetime(2027, 3, 10, 14, tzinfo=NEW_YORK)


# --------------------------------------------------------------------------- self-care

def test_one_self_care_event_per_day_with_the_engine_count(occurrences, events):
    expected = Counter(o.date for o in occurrences if not o.item.is_session)
    self_care = [e for e in events if not is_session(e)]
    assert Counter(e.start for e in self_care) == Counter(dict.fromkeys(expected, 1))
    for event in self_care:
        assert type(event.start) is date and event.end - event.start == timedelta(days=1)
        assert str(event["SUMMARY"]) == f"Self-care: {expected[event.start]} items"
        assert str(event["UID"]) == f"selfcare-7-{event.start:%Y%m%d}@sciatica-tracker"


def test_self_care_description_lists_the_items_in_day_order(occurrences, events):
    day = date(2027, 3, 3)
    items = [o.item for o in occurrences if o.date == day and not o.item.is_session]
    event = next(e for e in events if e.start == day and not is_session(e))
    assert str(event["DESCRIPTION"]).split("\n") == [
        f"{item.name}: {item.dose.describe()}" for item in items]
    assert str(event["DESCRIPTION"]).startswith("Piriformis stretch: hold 15 s, 3 times")


def test_a_single_self_care_item_is_singular(occurrences):
    one = [next(o for o in occurrences if not o.item.is_session)]
    (event,) = expand(feed(one))
    assert str(event["SUMMARY"]) == "Self-care: 1 item"


def test_self_care_links_to_today_only_when_given(occurrences):
    day = [o for o in occurrences if o.date == START]
    with_url = icalendar.Calendar.from_ical(feed(day, url_for_today="https://example.test/today"))
    without = icalendar.Calendar.from_ical(feed(day))
    by_uid = {str(e["UID"]): e for e in with_url.walk("VEVENT")}
    assert str(by_uid["selfcare-7-20270301@sciatica-tracker"]["URL"]) == "https://example.test/today"
    assert all("URL" not in e for e in without.walk("VEVENT"))


# --------------------------------------------------------------------------- identity

def test_uids_are_unique_and_stable_across_builds(events):
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    # a fresh engine run and a later generation time, as the next feed request would be
    later = engine(end=date(2027, 4, 30))
    relist = expand(feed(later, generated_at=GENERATED + timedelta(days=3)), end=date(2027, 4, 30))
    assert {str(e["UID"]) for e in relist} <= set(uids)
    assert len(relist) == len([e for e in events if day_of(e.start) <= date(2027, 4, 30)])


def test_same_inputs_give_the_same_bytes(occurrences, ics):
    assert feed(iter(occurrences)) == ics


# --------------------------------------------------------------------------- alarms

def test_no_alarms_by_default(ics):
    assert b"BEGIN:VALARM" not in ics


def test_alarms_are_added_to_every_event(occurrences):
    deltas = (timedelta(minutes=30), timedelta(days=1))
    ics = feed(occurrences[:60], alarms=deltas)  # a few weeks is plenty
    cal = icalendar.Calendar.from_ical(ics)
    for event in cal.walk("VEVENT"):
        alarms = event.walk("VALARM")
        assert [a["TRIGGER"].dt for a in alarms] == [-d for d in deltas]
        assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
        assert all(str(a["DESCRIPTION"]) == str(event["SUMMARY"]) for a in alarms)
    assert b"TRIGGER:-PT30M\r\n" in ics and b"TRIGGER:-P1D\r\n" in ics


def test_session_alarms_expand_to_the_right_instant(occurrences):
    # recurring-ical-events 3.8.2 cannot expand a relative alarm on an all-day
    # event (upstream issue #234), so expand the timed sessions on their own
    sessions = [o for o in occurrences if o.item.is_session]
    cal = icalendar.Calendar.from_ical(feed(sessions, alarms=(timedelta(minutes=30),)))
    fired = recurring_ical_events.of(cal, components=["VALARM"]).between(
        datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC))
    triggers = sorted(a["TRIGGER"].dt.astimezone(UTC)
                      for e in fired for a in e.walk("VALARM"))
    assert triggers == [datetime(2027, 3, 1, 14, 30, tzinfo=UTC),
                        datetime(2027, 3, 8, 14, 30, tzinfo=UTC),
                        datetime(2027, 3, 15, 13, 30, tzinfo=UTC)]


# ------------------------------------------------- alarms from the reminder settings

def prefs(**kwargs):
    return reminder_select.Preferences(timezone="America/New_York", **kwargs)


def self_care_triggers(ics):
    cal = icalendar.Calendar.from_ical(ics)
    return {day_of(e["DTSTART"].dt): [a["TRIGGER"].dt for a in e.walk("VALARM")]
            for e in cal.walk("VEVENT") if not is_session(e)}


def session_rings(ics):
    """Each session's day and the instants (UTC) its alarms ring."""
    cal = icalendar.Calendar.from_ical(ics)
    return {day_of(e["DTSTART"].dt): [(e["DTSTART"].dt + a["TRIGGER"].dt).astimezone(UTC)
                                      for a in e.walk("VALARM")]
            for e in cal.walk("VEVENT") if is_session(e)}


def test_self_care_alarms_ring_at_both_self_care_times(occurrences):
    ics = feed(occurrences[:80], reminders=prefs(selfcare_time=time(8), second_time=time(19, 30)))
    triggers = self_care_triggers(ics)
    assert triggers and all(t == [timedelta(hours=8), timedelta(hours=19, minutes=30)]
                            for t in triggers.values())


@pytest.mark.parametrize(("quiet", "times", "expected"), [
    # quiet 22:00-07:00: 06:00 rings at 07:00, 23:00 at 07:00 the next morning
    ((time(22), time(7)), (time(6), time(23)),
     [timedelta(hours=7), timedelta(days=1, hours=7)]),
    # quiet 12:00-14:00 inside the day: 13:00 rings at 14:00; 08:00 is untouched
    ((time(12), time(14)), (time(8), time(13)), [timedelta(hours=8), timedelta(hours=14)]),
    # both moved to the same instant: rung once, as the reminder is sent once
    ((time(5), time(9)), (time(6), time(7)), [timedelta(hours=9)]),
])
def test_an_alarm_in_quiet_hours_moves_to_their_end(occurrences, quiet, times, expected):
    reminders = prefs(selfcare_time=times[0], second_time=times[1], quiet_start=quiet[0],
                      quiet_end=quiet[1])
    triggers = self_care_triggers(feed(occurrences[:80], reminders=reminders))
    assert triggers and all(t == expected for t in triggers.values())


def test_a_self_care_alarm_in_the_dst_gap_rings_when_the_reminder_does(occurrences):
    # 02:30 does not happen in New York on 2027-03-14: the reminder is sent at 03:00
    triggers = self_care_triggers(feed(occurrences, reminders=prefs(selfcare_time=time(2, 30))))
    assert triggers[date(2027, 3, 14)] == [timedelta(hours=3)]
    assert triggers[date(2027, 3, 15)] == [timedelta(hours=2, minutes=30)]


def test_session_eve_alarms_ring_when_the_eve_reminder_is_sent(occurrences):
    sessions = [o for o in occurrences if o.item.is_session]
    reminders = prefs(session_day_before_time=time(23, 30), quiet_start=time(22),
                      quiet_end=time(7))
    rings = session_rings(feed(sessions, reminders=reminders))
    assert len(rings) == len(sessions)
    for day, ring in rings.items():
        [eve] = [f.at for f in reminder_select.fire_times(reminders, day - timedelta(days=1))
                 if f.slot == reminder_select.SESSION_EVE]
        assert ring == [eve]
        assert eve.astimezone(NEW_YORK) == datetime.combine(day, time(7), NEW_YORK)


def test_an_eve_alarm_moved_past_the_session_start_is_left_out(occurrences):
    # the 10:00 sessions; quiet hours 17:00-11:00 would move the 18:00 eve alarm to 11:00
    sessions = [o for o in occurrences if o.item.is_session]
    reminders = prefs(quiet_start=time(17), quiet_end=time(11))
    assert all(r == [] for r in session_rings(feed(sessions, reminders=reminders)).values())


def test_no_eve_alarm_when_the_day_before_reminder_is_off(occurrences):
    sessions = [o for o in occurrences if o.item.is_session]
    ics = feed(sessions, reminders=prefs(session_day_before=False))
    assert b"BEGIN:VALARM" not in ics


def test_days_before_the_feed_was_made_have_no_alarms(occurrences):
    made = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)  # 12:00 in New York
    triggers = self_care_triggers(feed(occurrences[:80], generated_at=made, reminders=prefs()))
    assert {day for day, t in triggers.items() if not t} == {
        day for day in triggers if day < date(2027, 3, 10)} != set()
    rings = session_rings(feed(occurrences, generated_at=made, reminders=prefs()))
    assert rings[date(2027, 3, 8)] == [] and len(rings[date(2027, 3, 15)]) == 1
