"""Invite links sent by email: the therapist's invite form asks, the worker sends.

Claim, then send (tracker.jobs.claims): an ``InviteEmail`` row, unique per invite, is
inserted before the message goes out, so a job run twice (a retry after the mail server took
the message, two workers) sends it once. A failed send is retried by the job itself at the
claim's next attempt time, while the invite can still be taken up.
"""
from datetime import datetime

from flask import current_app

from tracker.jobs import claims
from tracker.jobs import email as email_channel
from tracker.jobs.account_mail import deliver
from tracker.jobs.links import external_url
from tracker.store import invites
from tracker.store.models import Invite, InviteEmail

VALID_DAYS = 7


def compose(invite: Invite, token: str, to_email: str):
    """The message: who invites them, what accepting means, and the link."""
    therapist = invite.therapist.name
    return email_channel.compose_notice(
        to_name="", to_email=to_email, sender=current_app.config["MAIL_FROM"],
        subject=f"{therapist} invited you to your care plan",
        lines=[f"{therapist} invites you to follow your sciatica care plan in the app: "
               "massage sessions, stretches and self-care, day by day.",
               f"Open the link to create your account, or to accept if you have one. Then "
               f"{therapist} can see your plan, check-ins and progress; you can end the "
               "link at any time in Settings.",
               f"The link works once, for {VALID_DAYS} days. If you didn't expect this "
               "email, you can ignore it."],
        link=external_url("clients.join", token=token),
        link_text="Open the invite",
        message_id=f"<invite.{invite.id}@sciatica-tracker.local>",  # the same on a resend
    )


def send(invite_id: int, token: str, to_email: str, now: datetime) -> str | None:
    """Claim and send the invite's email; its status ("sent", "failed", "gave_up"), or None
    when there is nothing to send (the invite is gone, used, cancelled or expired, or its
    email was sent or is being sent)."""
    invite = Invite.get_or_none(Invite.id == invite_id)
    if invite is None or invite.revoked or invite.used_at is not None \
            or invite.expires_at <= now or invite.token_hash != invites.hash_token(token):
        return None
    row = claims.claim(InviteEmail, now, invite=invite) or next(
        claims.retake(InviteEmail.select().where(InviteEmail.invite == invite), now), None)
    if row is None:
        return None
    return claims.attempt(row, lambda: deliver(compose(invite, token, to_email)), now)


def retry_at(invite_id: int) -> datetime | None:
    """When a failed send is due again (None: sent, given up, or never claimed)."""
    row = InviteEmail.get_or_none(InviteEmail.invite == invite_id)
    return row.next_attempt_at if row is not None and row.status == claims.FAILED else None
