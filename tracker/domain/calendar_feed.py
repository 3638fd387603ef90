"""An iCalendar (RFC 5545) feed of a care plan's occurrences, for calendar apps.

Pure: imports neither Flask nor peewee and never reads the clock; the caller
passes the occurrences, the client's time zone and the generation time.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from tracker.domain import plan_spec, schedule

__all__ = ["PRODID", "build_feed"]

PRODID = "-//Sciatica care plan//EN"
UID_DOMAIN = "sciatica-tracker"
DEFAULT_SESSION_MINUTES = 60


def build_feed(occurrences: Iterable[schedule.Occurrence], *, tz: ZoneInfo, plan_id: int,
               calendar_name: str, generated_at: datetime, url_for_today: str | None = None,
               alarms: Sequence[timedelta] = (), selfcare_alarm: time | None = None,
               session_alarm: time | None = None) -> bytes:
    """The plan's occurrences as an .ics feed: one event per session, one per self-care day.

    `alarms` go on every event (before its start). `selfcare_alarm` rings at that local time
    on each self-care day; `session_alarm` at that local time the day before each session,
    matching the client's reminder settings.
    """
    stamp = _utc(generated_at)
    sessions, self_care = _split(occurrences)
    events = [(o.date, 1, _session_event(o, tz, plan_id, stamp)) for o in sessions]
    events += [(day, 0, _self_care_event(day, items, plan_id, stamp, url_for_today))
               for day, items in self_care.items()]
    # by day, the all-day self-care event first; sort() is stable for the rest
    events.sort(key=lambda e: e[:2])
    cal = _calendar(tz, plan_id, calendar_name)
    for day, is_session, event in events:
        befores = list(alarms)
        if is_session and session_alarm is not None:
            befores.append(_before_day_before(event, day, session_alarm, tz))
        elif not is_session and selfcare_alarm is not None:
            # an all-day event starts at local midnight: a negative lead rings later that day
            befores.append(-timedelta(hours=selfcare_alarm.hour, minutes=selfcare_alarm.minute))
        for delta in befores:
            event.add_component(_alarm(delta, str(event["SUMMARY"])))
        cal.add_component(event)
    if events:
        # a VTIMEZONE covering only the feed's days keeps the feed small and,
        # unlike the library's 1970-2038 default, works for any year
        cal.add_missing_timezones(events[0][0] - timedelta(days=1),
                                  events[-1][0] + timedelta(days=2))
    return cal.to_ical()


def _before_day_before(event: Event, day: date, at: time, tz: ZoneInfo) -> timedelta:
    """How long before the session's start the day-before reminder rings."""
    start = event["DTSTART"].dt
    if not isinstance(start, datetime):  # an all-day session starts at local midnight
        start = datetime.combine(day, time(0), tz)
    ring = schedule.to_utc(day - timedelta(days=1), at, tz)
    # in UTC: same-zone subtraction would ignore a DST change between the two
    return start.astimezone(UTC) - ring


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
                   stamp: datetime) -> Event:
    """One professional session, timed in the client's zone or all-day."""
    item = occurrence.item
    # the original day, so a moved booking updates the same event in the user's app
    day = occurrence.original_date or occurrence.date
    start, end = _session_span(occurrence.date, occurrence.time, item.dose.minutes, tz)
    return Event.new(summary=item.name, start=start, end=end, stamp=stamp,
                     uid=f"session-{plan_id}-{item.key}-{day:%Y%m%d}@{UID_DOMAIN}",
                     description=_session_description(occurrence))


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


def _session_description(occurrence: schedule.Occurrence) -> str:
    """Phase, dose and the therapist's note, one per line, skipping blanks."""
    dose = occurrence.item.dose.describe()
    lines = [f"Phase: {occurrence.phase_name}", f"Dose: {dose}" if dose else "",
             occurrence.item.note]
    return "\n".join(line for line in lines if line)


def _self_care_event(day: date, items: Sequence[schedule.Occurrence], plan_id: int,
                     stamp: datetime, url: str | None) -> Event:
    """The day's self-care items as one all-day event, so the calendar stays readable."""
    count = len(items)
    return Event.new(summary=f"Self-care: {count} item{'' if count == 1 else 's'}",
                     start=day, end=day + timedelta(days=1), stamp=stamp,
                     uid=f"selfcare-{plan_id}-{day:%Y%m%d}@{UID_DOMAIN}",
                     description="\n".join(_item_line(o.item) for o in items),
                     # a to-do list, not an appointment: keep the day free in free/busy
                     transparency="TRANSPARENT", url=url)


def _item_line(item: plan_spec.ItemSpec) -> str:
    """"Name: dose", or just the name when the dose is empty."""
    dose = item.dose.describe()
    return f"{item.name}: {dose}" if dose else item.name


def _alarm(before: timedelta, description: str) -> Alarm:
    """A display reminder `before` the event's start."""
    alarm = Alarm.new(description=description)
    alarm.add("ACTION", "DISPLAY")
    alarm.add("TRIGGER", -before)
    return alarm
