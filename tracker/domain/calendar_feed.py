"""An iCalendar (RFC 5545) feed of a care plan's occurrences, for calendar apps.

Pure: imports neither Flask nor peewee and never reads the clock; the caller
passes the occurrences, the client's time zone and the generation time.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from tracker.domain import plan_spec, reminder_select, schedule

__all__ = ["PRODID", "build_feed"]

PRODID = "-//Sciatica care plan//EN"
UID_DOMAIN = "sciatica-tracker"
DEFAULT_SESSION_MINUTES = 60


def build_feed(occurrences: Iterable[schedule.Occurrence], *, tz: ZoneInfo, plan_id: int,
               calendar_name: str, generated_at: datetime, url_for_today: str | None = None,
               alarms: Sequence[timedelta] = (),
               reminders: reminder_select.Preferences | None = None,
               how_to_urls: Mapping[str, str] | None = None) -> bytes:
    """The plan's occurrences as an .ics feed: one event per session, one per self-care day.

    `alarms` go on every event (before its start). `reminders`, the client's reminder
    settings, add alarms that ring when their reminders would: on each self-care day at the
    self-care time and at the second time if set, and the day before each session at the
    session-eve time, each moved to the end of quiet hours when it falls inside them, as
    `reminder_select.fire_times` moves the reminders (an eve alarm so moved that it would
    ring after the session has started is left out). Days before the generation day (the
    feed keeps past days so a calendar keeps its history) carry no alarms: they would
    never ring. `how_to_urls` (technique slug to the absolute URL of its "How to" page, with
    its pictures) put a link under each item that has one.
    """
    urls = how_to_urls or {}
    stamp = _utc(generated_at)
    first_alarm_day = stamp.astimezone(tz).date()
    sessions, self_care = _split(occurrences)
    events = [(o.date, 1, _session_event(o, tz, plan_id, stamp, urls)) for o in sessions]
    events += [(day, 0, _self_care_event(day, items, plan_id, stamp, url_for_today, urls))
               for day, items in self_care.items()]
    # by day, the all-day self-care event first; sort() is stable for the rest
    events.sort(key=lambda e: e[:2])
    cal = _calendar(tz, plan_id, calendar_name)
    for day, is_session, event in events:
        befores = list(alarms)
        if reminders is not None and day >= first_alarm_day:
            befores += (_session_befores(event, day, reminders, tz) if is_session
                        else _self_care_befores(day, reminders, tz))
        for delta in befores:
            event.add_component(_alarm(delta, str(event["SUMMARY"])))
        cal.add_component(event)
    if events:
        # a VTIMEZONE covering only the feed's days keeps the feed small and,
        # unlike the library's 1970-2038 default, works for any year
        cal.add_missing_timezones(events[0][0] - timedelta(days=1),
                                  events[-1][0] + timedelta(days=2))
    return cal.to_ical()


def _self_care_befores(day: date, prefs: reminder_select.Preferences,
                       tz: ZoneInfo) -> list[timedelta]:
    """Leads for the day's self-care alarms. An all-day event starts at local midnight, so
    a negative lead rings later that day: the wall-clock distance from midnight (the app
    adds it as a nominal duration, so a DST change that day does not shift the ring)."""
    fires = reminder_select.fire_times(_with_zone(prefs, tz), day)
    befores = []
    for fire in fires:
        if fire.slot in (reminder_select.SELFCARE_1, reminder_select.SELFCARE_2):
            local = fire.at.astimezone(tz)  # may be the next morning, after quiet hours
            befores.append(-timedelta(days=(local.date() - day).days, hours=local.hour,
                                      minutes=local.minute))
    return befores


def _session_befores(event: Event, day: date, prefs: reminder_select.Preferences,
                     tz: ZoneInfo) -> list[timedelta]:
    """The session-eve alarm's lead: how long before the session's start it rings."""
    if not prefs.session_day_before:
        return []
    start = event["DTSTART"].dt
    if not isinstance(start, datetime):  # an all-day session starts at local midnight
        start = datetime.combine(day, time(0), tz)
    fires = reminder_select.fire_times(_with_zone(prefs, tz), day - timedelta(days=1))
    # in UTC: same-zone subtraction would ignore a DST change between the two
    return [start.astimezone(UTC) - fire.at for fire in fires
            if fire.slot == reminder_select.SESSION_EVE and fire.at < start.astimezone(UTC)]


def _with_zone(prefs: reminder_select.Preferences,
               tz: ZoneInfo) -> reminder_select.Preferences:
    """The settings read in the feed's zone (the client's, which they should already be)."""
    return prefs if prefs.timezone == tz.key else replace(prefs, timezone=tz.key)


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused rather than guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("generated_at must be an aware datetime")
    return moment.astimezone(UTC)


def _split(occurrences: Iterable[schedule.Occurrence]
           ) -> tuple[list[schedule.Occurrence], dict[date, list[schedule.Occurrence]]]:
    """Sessions, and self-care items grouped by day in the engine's order."""
    sessions: list[schedule.Occurrence] = []
    self_care: dict[date, list[schedule.Occurrence]] = {}
    for occurrence in occurrences:
        if occurrence.item.is_session:
            sessions.append(occurrence)
        else:
            self_care.setdefault(occurrence.date, []).append(occurrence)
    return sessions, self_care


def _calendar(tz: ZoneInfo, plan_id: int, calendar_name: str) -> Calendar:
    """The VCALENDAR shell; a fixed UID so two builds of the same plan are identical."""
    cal = Calendar.new(prodid=PRODID, name=calendar_name, uid=f"plan-{plan_id}@{UID_DOMAIN}")
    # Google Calendar and Outlook read the zone for floating times from this
    cal.add("X-WR-TIMEZONE", tz.key)
    return cal


def _session_event(occurrence: schedule.Occurrence, tz: ZoneInfo, plan_id: int,
                   stamp: datetime, urls: Mapping[str, str]) -> Event:
    """One professional session, timed in the client's zone or all-day."""
    item = occurrence.item
    # the original day, so a moved booking updates the same event in the user's app
    day = occurrence.original_date or occurrence.date
    start, end = _session_span(occurrence.date, occurrence.time, item.dose.minutes, tz)
    return Event.new(summary=item.name, start=start, end=end, stamp=stamp,
                     uid=f"session-{plan_id}-{item.key}-{day:%Y%m%d}@{UID_DOMAIN}",
                     description=_session_description(occurrence, urls))


def _session_span(day: date, at: time | None, minutes: int | None,
                  tz: ZoneInfo) -> tuple[date | datetime, date | datetime]:
    """Start and end: local datetimes in `tz`, or dates for an untimed session."""
    if at is None:
        return day, day + timedelta(days=1)
    # through UTC so a time skipped by DST resolves as the engine does, and the
    # length is real elapsed time even across a clock change
    start = schedule.to_utc(day, at, tz)
    end = start + timedelta(minutes=minutes or DEFAULT_SESSION_MINUTES)
    return start.astimezone(tz), end.astimezone(tz)


def _session_description(occurrence: schedule.Occurrence, urls: Mapping[str, str]) -> str:
    """Phase, dose, the therapist's note and the "How to" link, one per line, skipping
    blanks."""
    dose = occurrence.item.dose.describe()
    lines = [f"Phase: {occurrence.phase_name}", f"Dose: {dose}" if dose else "",
             occurrence.item.note, _how_to(occurrence.item, urls)]
    return "\n".join(line for line in lines if line)


def _self_care_event(day: date, items: Sequence[schedule.Occurrence], plan_id: int,
                     stamp: datetime, url: str | None, urls: Mapping[str, str]) -> Event:
    """The day's self-care items as one all-day event, so the calendar stays readable."""
    count = len(items)
    return Event.new(summary=f"Self-care: {count} item{'' if count == 1 else 's'}",
                     start=day, end=day + timedelta(days=1), stamp=stamp,
                     uid=f"selfcare-{plan_id}-{day:%Y%m%d}@{UID_DOMAIN}",
                     description="\n".join(_item_line(o.item, urls) for o in items),
                     # a to-do list, not an appointment: keep the day free in free/busy
                     transparency="TRANSPARENT", url=url)


def _item_line(item: plan_spec.ItemSpec, urls: Mapping[str, str]) -> str:
    """"Name: dose", or just the name when the dose is empty; then its "How to" link on
    the next line when it has one."""
    dose = item.dose.describe()
    line = f"{item.name}: {dose}" if dose else item.name
    how_to = _how_to(item, urls)
    return f"{line}\n{how_to}" if how_to else line


def _how_to(item: plan_spec.ItemSpec, urls: Mapping[str, str]) -> str:
    """ "How to (with pictures): URL", or "" when the technique has no page."""
    url = urls.get(item.technique)
    return f"How to (with pictures): {url}" if url else ""


def _alarm(before: timedelta, description: str) -> Alarm:
    """A display reminder `before` the event's start."""
    alarm = Alarm.new(description=description)
    alarm.add("ACTION", "DISPLAY")
    alarm.add("TRIGGER", -before)
    return alarm
