"""Telling therapists about safety reports at once: warning signs, by email and/or push on
their subscribed devices as each therapist chose (tracker.domain.digest: never "none").

Treated-area problems are not sent at once any more: they come in the therapist's daily
digest (tracker.jobs.digest). "A professional has checked me" is sent at once for a report
with a warning sign; for a treated-area problem alone the digest says it.

Each (report, therapist, kind, channel) is claimed under a unique key before it is sent, so a
report reaches each therapist once per channel however many workers or retries run (the
claim-then-send of tracker.jobs.claims, as reminders). A claim is a lease: one whose send
never finished is sent again after it; a failed send is retried with backoff. The worker's
minute tick also sweeps recent reports nobody has claimed yet, so a lost enqueue delays an
alert by a minute at most and never loses it.
"""
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from peewee import Value

from tracker.domain import digest, safety
from tracker.domain.push_payload import build_alert_payload
from tracker.jobs import claims
from tracker.jobs import email as email_channel
from tracker.jobs.links import external_url, page_path
from tracker.store import alert_settings, safety_reports
from tracker.store.models import PushSubscription, SafetyAlert, SafetyCheck, User

EMAIL, PUSH = "email", "push"
SWEEP_WINDOW = timedelta(days=2)  # reports this recent with no alert claimed are sent
NO_FLAGS = Value("[]", converter=False)  # red_flags as stored when empty (a JSON list)


IMMEDIATE = (safety_reports.WARNING, safety_reports.CHECKED)


def _kinds_for(check: SafetyCheck) -> list[str]:
    """The alerts a report sends at once: only about a warning sign."""
    if not check.red_flags:
        return []  # a treated-area problem alone: the digest tells
    kinds = [safety_reports.WARNING]
    if check.checked_at is not None:
        kinds.append(safety_reports.CHECKED)
    return kinds


def channels_for(therapist: User, has_push: bool) -> list[str]:
    """The channels of a therapist's warning-sign alerts, as they chose them. Push needs a
    device; one who chose push alone and has none is emailed instead (safety first: a
    warning sign must reach them)."""
    chosen = digest.channels_of(alert_settings.preferences_for(therapist).warning)
    channels = [c for c in chosen if c == EMAIL or has_push]
    return channels or [EMAIL]


def compose(check: SafetyCheck, therapist: User, kind: str) -> tuple[str, list[str]]:
    """Subject and lines of an alert, in plain words and the therapist's time zone."""
    client = check.client
    assessment = safety.assess(dict.fromkeys(check.red_flags, True), check.problems,
                               check.areas)
    when = check.created_at.astimezone(ZoneInfo(therapist.timezone))
    at = f"{when:%-d %B %Y at %H:%M} ({therapist.timezone})"
    if kind == safety_reports.WARNING:
        subject = f"Urgent: {client.name} reported a warning sign"
        lines = [f"{client.name} reported a warning sign on {at}:",
                 *(f"- {label}" for label in assessment.red_flag_labels),
                 "Their whole plan is paused and they were told to get medical help "
                 + ("now." if assessment.urgency == "emergency" else "today."),
                 "Only you can restart it, from their page, once they have been checked."]
        if assessment.problems:
            where = ", ".join(assessment.area_labels).lower() or "area not said"
            lines += [f"They also reported a problem in the treated area ({where}):",
                      *(f"- {a.label}" for a in assessment.advice)]
    elif kind == safety_reports.AREA:
        subject = f"{client.name} reported a problem in the treated area"
        where = ", ".join(assessment.area_labels).lower() or "area not said"
        lines = [f"{client.name} reported a problem in the treated area ({where}) on {at}:",
                 *(f"- {a.label}" for a in assessment.advice),
                 "Their sessions and the self-care on that area are paused until you "
                 "restart them."]
    else:
        subject = f"{client.name} says a professional has checked them"
        lines = [f"{client.name} says a healthcare professional has checked them after "
                 f"their report of {at}.",
                 "Their plan stays paused until you restart it from their page."]
    if check.note:
        lines += ["In their words:", check.note]
    return subject, lines


def _send_email(check: SafetyCheck, therapist: User, kind: str) -> str:
    config = current_app.config
    subject, lines = compose(check, therapist, kind)
    message = email_channel.compose_notice(
        to_name=therapist.name, to_email=therapist.email, sender=config["MAIL_FROM"],
        subject=subject, lines=lines,
        link=external_url("client_page.show", client_id=check.client_id),
        link_text=f"Open {check.client.name}'s page",
        message_id=f"<safety.{check.id}.{therapist.id}.{kind}@sciatica-tracker.local>",
    )
    outbox = Path(current_app.instance_path) / "outbox"
    return email_channel.deliver(message, config.get("SMTP_URL"), outbox)


def _send_push(check: SafetyCheck, therapist: User, kind: str) -> str:
    from tracker.jobs import push  # pywebpush and its crypto only when push is used

    subject, _lines = compose(check, therapist, kind)
    payload = build_alert_payload(subject, page_path("client_page.show", client_id=check.client_id),
                                  tag=f"safety-{check.id}-{kind}")
    result = push.send_to_user(therapist, payload, current_app.config)
    if not result.sent:
        # Not delivered, also when every device turned out to be gone (404/410): the alert
        # stays failed, so the sweep tries again (a device may subscribe meanwhile) and
        # it never reads as sent. The email alert is claimed and sent on its own.
        reason = result.errors[0].error if result.errors else "no device took it"
        raise push.PushFailed(f"{result.summary}: {reason}")
    return result.summary


SENDERS = {EMAIL: _send_email, PUSH: _send_push}


def _attempt(alert: SafetyAlert, check: SafetyCheck, therapist: User, now: datetime) -> str:
    return claims.attempt(alert, lambda: SENDERS[alert.channel](check, therapist, alert.kind),
                          now)


def send(check_id: int, now: datetime, kinds: list[str] | None = None) -> list[str]:
    """Tell every therapist of the report's client, by each channel they have; returns the
    outcome of each send this call made ("sent", "failed", ...). Already claimed ones are
    left to their claim."""
    check = SafetyCheck.get_or_none(SafetyCheck.id == check_id)
    if check is None:
        return []
    outcomes = []
    immediate = _kinds_for(check)
    kinds = [k for k in (kinds or immediate) if k in immediate]
    if not kinds:
        return []
    for therapist in safety_reports.therapists_of(check.client):
        has_push = PushSubscription.select().where(PushSubscription.user == therapist).exists()
        channels = channels_for(therapist, has_push)
        for kind in kinds:
            for channel in channels:
                alert = claims.claim(SafetyAlert, now, check=check, therapist=therapist,
                                     kind=kind, channel=channel)
                if alert is not None:
                    outcomes.append(_attempt(alert, check, therapist, now))
    return outcomes


def sweep(now: datetime) -> list[str]:
    """The worker's minute: retry failed and stuck alerts, and send the alerts of recent
    reports that nobody claimed yet (their enqueue was lost)."""
    outcomes = [_attempt(alert, alert.check, alert.therapist, now)
                for alert in claims.retake(SafetyAlert.select(), now)]
    since = now - SWEEP_WINDOW
    recent = SafetyCheck.select(SafetyCheck.id).where(
        SafetyCheck.reported & SafetyCheck.resolved_at.is_null()  # resolved: nothing to tell
        & (SafetyCheck.red_flags != NO_FLAGS)  # the rest waits for the digest
        & ((SafetyCheck.created_at >= since) | (SafetyCheck.checked_at >= since)))
    for check in list(recent):
        outcomes += send(check.id, now)  # claims already taken are skipped
    return outcomes
