"""Account emails: the "Forgot password?" link, and the notice to an old address when an
account's email changes. Sent by the worker (tracker.jobs.tasks) from the signals
tracker.store.accounts sends."""
import uuid
from pathlib import Path

from flask import current_app

from tracker.jobs import email as email_channel
from tracker.jobs.links import external_url
from tracker.store.accounts import RESET_VALID_FOR, find_reset
from tracker.store.models import User, utcnow


def deliver(message) -> str:
    """Send by SMTP, or keep it in instance/outbox/ (the app's mail settings)."""
    config = current_app.config
    outbox = Path(current_app.instance_path) / "outbox"
    return email_channel.deliver(message, config.get("SMTP_URL"), outbox)


def _message_id(kind: str) -> str:
    return f"<{kind}.{uuid.uuid4().hex}@sciatica-tracker.local>"


def send_reset(user_id: int, token: str) -> str | None:
    """Email the reset link; None when the account was deleted meanwhile, or the link is
    not (or no longer) this account's: the address comes from the link's own account."""
    reset = find_reset(token, utcnow())
    if reset is None or reset.user_id != user_id:
        return None
    user = reset.user
    minutes = int(RESET_VALID_FOR.total_seconds() // 60)
    message = email_channel.compose_notice(
        to_name=user.name, to_email=user.email, sender=current_app.config["MAIL_FROM"],
        subject="Set a new password",
        lines=["Someone, we hope you, asked to set a new password for your sciatica care "
               "plan account.",
               f"The link below works once, for {minutes} minutes. Setting a new password "
               "signs you out on every device.",
               "If you didn't ask, you can ignore this email: your password stays as it is."],
        link=external_url("auth.reset_password", token=token),
        link_text="Set a new password",
        message_id=_message_id("reset"),
    )
    return deliver(message)


def send_email_changed(user_id: int, old_email: str, old_name: str) -> str | None:
    """Tell the old address that the account's email changed; None when the account was
    deleted meanwhile."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    message = email_channel.compose_notice(
        to_name=old_name, to_email=old_email, sender=current_app.config["MAIL_FROM"],
        subject="Your email address was changed",
        lines=[f"The email address of your sciatica care plan account is now {user.email}. "
               "Emails about your account go there from now on.",
               "If you did not change it, someone else may be using your account: tell your "
               "therapist or whoever runs this service."],
        link=external_url("auth.login"),
        link_text="Log in",
        message_id=_message_id("email-changed"),
    )
    return deliver(message)
