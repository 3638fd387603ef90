"""The therapist's daily digest: once per therapist per local day, at the time they chose in
their own zone, one email and/or one push listing the clients who need attention and why,
each with a link to the client's page. Nothing is sent when nobody needs attention.

Run by the worker's minute tick (tracker.jobs.tasks). Each digest is claimed under a unique
(therapist, local date, channel) key before it is built and sent (tracker.jobs.claims), so
it goes out once however many workers tick at once; a claim with nothing to say is kept as
"empty", so later news waits for tomorrow's digest instead of sending one mid-day. A failed
send is retried with backoff and rebuilt from the facts as they are then; no client's news
is stored with the claim.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app
from peewee import JOIN

from tracker.domain import digest
from tracker.jobs import claims
from tracker.jobs import email as email_channel
from tracker.jobs.links import external_url, page_path
from tracker.store import alert_settings
from tracker.store.models import AlertPreference, DigestClaim, PushSubscription, User

EMAIL, PUSH = digest.EMAIL, digest.PUSH
EMPTY = "empty"  # a claim whose digest had nobody in it: nothing sent that day
PUSH_BODY_MAX = 300  # characters of names and reasons in a notification


@dataclass
class Outcome:
    therapist_id: int
    local_date: date
    channel: str
    status: str  # "sent", "failed", "gave_up", "empty"
    clients: int = 0


def _therapists() -> list[tuple[User, digest.Preferences]]:
    """Every therapist with their preferences (one query; no row: the defaults)."""
    rows = (User.select(User, AlertPreference)
            .join(AlertPreference, join_type=JOIN.LEFT_OUTER,
                  on=(AlertPreference.therapist == User.id), attr="pref")
            .where(User.role == "therapist")
            .order_by(User.id))
    found = []
    for user in rows:
        pref = getattr(user, "pref", None)
        found.append((user, alert_settings.preferences_of(
            pref if pref is not None and pref.id is not None else None, user.timezone)))
    return found


def tick(now: datetime) -> list[Outcome]:
    """Send the digests due at ``now`` that nobody has claimed; retry failed ones."""
    if now.tzinfo is None:
        raise ValueError(f"tick needs an aware now (got {now!r})")
    now = now.astimezone(UTC)
    due = []  # (therapist, prefs, local date)
    for therapist, prefs in _therapists():
        day = digest.due_date(now, prefs)
        if day is not None and prefs.digest_channels:
            due.append((therapist, prefs, day))
    outcomes = []
    if due:
        ids = [t.id for t, _p, _d in due]
        with_devices = {row.user_id for row in PushSubscription.select(PushSubscription.user)
                        .where(PushSubscription.user.in_(ids)).distinct()}
        claimed = set(DigestClaim.select(DigestClaim.therapist, DigestClaim.local_date,
                                         DigestClaim.channel)
                      .where(DigestClaim.therapist.in_(ids)
                             & DigestClaim.local_date.in_({d for _t, _p, d in due}))
                      .tuples())
        for therapist, prefs, day in due:
            # Push only to a therapist with a device: nothing could take it.
            wanted = [c for c in prefs.digest_channels
                      if c == EMAIL or therapist.id in with_devices]
            missing = [c for c in wanted if (therapist.id, day, c) not in claimed]
            if missing:
                outcomes += _send_day(therapist, prefs, day, missing, now)
    outcomes += _retry(now)
    return outcomes


def _send_day(therapist: User, prefs: digest.Preferences, day: date, channels: list[str],
              now: datetime) -> list[Outcome]:
    facts = None
    outcomes = []
    for channel in channels:
        row = claims.claim(DigestClaim, now, therapist=therapist, local_date=day,
                           channel=channel)
        if row is None:  # another worker has it
            continue
        if facts is None:
            facts = alert_settings.digest_facts(therapist, now)
        outcomes.append(_deliver(row, therapist, digest.needs_attention(facts, prefs, channel),
                                 now))
    return outcomes


def _deliver(row: DigestClaim, therapist: User, entries: list[digest.Entry],
             now: datetime) -> Outcome:
    row.clients = len(entries)
    if not entries:
        row.status, row.next_attempt_at = EMPTY, None
        row.save()
        return Outcome(therapist.id, row.local_date, row.channel, EMPTY)
    send = _send_email if row.channel == EMAIL else _send_push
    status = claims.attempt(row, lambda: send(therapist, row.local_date, entries), now)
    return Outcome(therapist.id, row.local_date, row.channel, status, len(entries))


def _retry(now: datetime) -> list[Outcome]:
    """Send again what failed, and what was claimed but never finished (its lease ran
    out), built afresh from today's facts."""
    outcomes = []
    for row in claims.retake(DigestClaim.select(DigestClaim, User).join(User), now):
        therapist = row.therapist
        prefs = alert_settings.preferences_for(therapist)
        facts = alert_settings.digest_facts(therapist, now)
        outcomes.append(_deliver(row, therapist,
                                 digest.needs_attention(facts, prefs, row.channel), now))
    return outcomes


# --- the messages ------------------------------------------------------------------------


def subject(entries: list[digest.Entry], day: date) -> str:
    return f"Daily digest for {day:%A} {day.day} {day:%B}: {digest.summary_line(entries)}"


def _send_email(therapist: User, day: date, entries: list[digest.Entry]) -> str:
    config = current_app.config
    message = email_channel.compose_digest(
        to_name=therapist.name, to_email=therapist.email, sender=config["MAIL_FROM"],
        subject=subject(entries, day),
        intro=(f"{digest.summary_line(entries)} today. Warning signs are not listed here: "
               "you are told about those at once."),
        sections=[(e.name, [r.text for r in e.reasons],
                   external_url("client_page.show", client_id=e.client_id)) for e in entries],
        footer="Change what the digest tells you and when",
        footer_link=external_url("alerts.settings"),
        message_id=f"<digest.{therapist.id}.{day.isoformat()}@sciatica-tracker.local>",
    )
    outbox = Path(current_app.instance_path) / "outbox"
    return email_channel.deliver(message, config.get("SMTP_URL"), outbox)


def push_payload(entries: list[digest.Entry], day: date) -> dict:
    """One notification: who and the first reason of each; a tap opens the one client's
    page, or the roster when there are several."""
    parts = [f"{e.name}: {e.reasons[0].text}" for e in entries]
    body = " · ".join(parts)
    if len(body) > PUSH_BODY_MAX:
        body = body[:PUSH_BODY_MAX - 1] + "…"
    url = (page_path("client_page.show", client_id=entries[0].client_id) if len(entries) == 1
           else page_path("clients.roster"))
    return {"title": digest.summary_line(entries), "body": body, "url": url,
            "tag": f"digest-{day.isoformat()}"}


def _send_push(therapist: User, day: date, entries: list[digest.Entry]) -> str:
    from tracker.jobs import push  # pywebpush and its crypto only when push is used

    result = push.send_to_user(therapist, push_payload(entries, day), current_app.config)
    if not result.sent:
        reason = result.errors[0].error if result.errors else "no device took it"
        raise push.PushFailed(f"{result.summary}: {reason}")
    return result.summary
