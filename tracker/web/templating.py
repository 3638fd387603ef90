"""Jinja filters for showing dates and times the way people read them, and the reader's
voice (the client spoken to, or a therapist reading about the client by name)."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from tracker.domain import bodymap, clinical, safety, wording
from tracker.domain.times import format_time_of_day
from tracker.store.models import User


def short_date(day: date | None) -> str:
    """ "Mon 14 Dec" """
    return "" if day is None else f"{day:%a} {day.day} {day:%b}"


def long_date(day: date | None) -> str:
    """ "Monday 14 December 2026" """
    return "" if day is None else f"{day:%A} {day.day} {day:%B %Y}"


def local_datetime(moment: datetime | None) -> str:
    """A stored UTC moment in the reader's own time zone: "Mon 14 Dec, 09:05 (Europe/London)"."""
    if moment is None:
        return ""
    zone = getattr(current_user, "timezone", None) or "UTC"
    local = moment.astimezone(ZoneInfo(zone))
    return f"{short_date(local.date())}, {local:%H:%M} ({zone})"


def time_of_day(value: time | None) -> str:
    """ "07:30" (the one formatter, domain/times.py); nothing for no time."""
    return format_time_of_day(value) or ""


def red_flag_label(key: str) -> str:
    """A warning sign's short plain label (its key when unknown to this version)."""
    return safety.RED_FLAG_LABELS.get(key, key.replace("_", " "))


def problem_label(key: str) -> str:
    """A treated-area problem's label."""
    return safety.CONTRAINDICATION_LABELS.get(key, key.replace("_", " "))


def area_label(key: str) -> str:
    """A body area's label."""
    return clinical.AREA_LABELS.get(key, key.replace("_", " "))


def voice_for(client=None) -> wording.Voice:
    """The signed-in reader's voice about ``client``: the client themselves (the reader is
    the client, or a client reads a page about no one else) or a therapist reading about
    them (about "the client" when there is none), with both time zones."""
    viewer_id = getattr(current_user, "id", None)
    viewer_zone = getattr(current_user, "timezone", None) or "UTC"
    if not isinstance(client, User) and getattr(current_user, "is_therapist", False):
        # A therapist reading a plan for no one in particular (the builder's preview).
        return wording.Voice.about(wording.ANY_CLIENT, viewer_id=viewer_id,
                                   client_zone=viewer_zone, viewer_zone=viewer_zone)
    if not isinstance(client, User) or client.id == viewer_id:
        return wording.Voice(getattr(current_user, "name", ""), True, viewer_id, viewer_zone,
                             viewer_zone)
    return wording.Voice.about(client.name, viewer_id=viewer_id, client_zone=client.timezone,
                               viewer_zone=viewer_zone)


@pass_context
def reader_voice(context: Context) -> wording.Voice:
    """The voice of the page being rendered: the ``voice`` it was given, else the reader's
    about the page's ``client`` (a therapist's page about a client), else the client's own.
    Shared partials call it once: ``{% set voice = reader_voice() %}``."""
    given = context.get("voice")
    if isinstance(given, wording.Voice):
        return given
    return voice_for(context.get("client"))


def zone_note(client=None) -> str:
    """ "Dana's time, America/New_York" on a therapist's page when the client's zone is not
    the therapist's: the client's days and times are shown, so say whose they are; ""
    otherwise."""
    return voice_for(client).zone_note


def client_day(moment: datetime | None, voice: wording.Voice) -> date | None:
    """A stored UTC moment as the client's day (a client's days are theirs on every page)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(voice.client_zone or "UTC")).date()


def change_line(event, voice: wording.Voice) -> str:
    """A plan change-log line (a PlanEvent) in the reader's voice."""
    return wording.change_line(wording.Change(event.kind, event.message, event.actor_id), voice)


def body_map(areas, uid: str = "bodymap", title: str = "Where on the body it works") -> Markup:
    """The body map with ``areas`` (clinical.BODY_AREAS keys) marked; unknown keys (a
    technique saved with an area since retired) are left out rather than failing a page."""
    return bodymap.render([a for a in areas or () if a in clinical.AREA_LABELS], uid=uid,
                          title=title)


def area_picker(field, uid: str = "areamap") -> Markup:
    """The body map whose areas are labels of ``field``'s checkboxes (a SelectMultipleField
    of clinical.BODY_AREAS keys): tapping an area ticks its box."""
    return bodymap.picker({option.data: option.id for option in field}, uid=uid)


def init_app(app: Flask) -> None:
    for f in (short_date, long_date, local_datetime, time_of_day, red_flag_label, problem_label,
              area_label, client_day, change_line):
        app.add_template_filter(f)
    for g in (reader_voice, zone_note, body_map, area_picker):
        app.add_template_global(g)
