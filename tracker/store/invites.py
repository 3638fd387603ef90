"""Invite links: a therapist makes one, a client signs up or accepts through it.

The token is shown once and only its SHA-256 is stored, so a copy of the database gives
nobody a working link. An invite is single use: accepting is a conditional UPDATE, so two
accepts at the same moment link one person.
"""
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from xml.etree import ElementTree

import qrcode
import qrcode.constants
from blinker import Namespace
from markupsafe import Markup
from peewee import IntegrityError
from qrcode.image.svg import SvgPathImage

from tracker.store.db import database
from tracker.store.models import CLIENT, CareLink, Invite, User, utcnow

VALID_FOR = timedelta(days=7)
NOTE_MAX = 100
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


_signals = Namespace()
# sender: the invite's id; token: the raw token (the only time it exists), email: the
# client's address. tracker.jobs.tasks turns it into a job (the store doesn't import jobs).
email_requested = _signals.signal("invite-email-requested")


def request_email(invite: Invite, token: str, email: str) -> None:
    """Have the worker email the invite's link to ``email`` (once: see InviteEmail)."""
    email_requested.send(invite.id, token=token, email=email.strip())


class InviteUnavailable(Exception):
    """The invite was used, cancelled or expired while the person was filling in the form."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(therapist: User, note: str = "", now: datetime | None = None) -> tuple[Invite, str]:
    """A new invite from ``therapist`` and its token (the only time the token exists)."""
    if not therapist.is_therapist:
        raise ValueError("only therapists invite clients")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    invite = Invite.create(
        therapist=therapist,
        token_hash=hash_token(token),
        note=note.strip()[:NOTE_MAX],
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    return invite, token


def find_valid(token, now: datetime) -> Invite | None:
    """The invite this token opens, or None when malformed, unknown, expired, used or revoked."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    digest = hash_token(token)
    invite = Invite.get_or_none(Invite.token_hash == digest)
    # The lookup finds the row; the constant-time compare is what decides.
    if invite is None or not hmac.compare_digest(invite.token_hash, digest):
        return None
    if invite.revoked or invite.used_at is not None or invite.expires_at <= now:
        return None
    return invite


def accept(invite: Invite, client: User, now: datetime) -> bool:
    """Use the invite for ``client`` and link them; False if it was no longer usable.

    Only a client can accept. Accepting a therapist one is already linked with is
    harmless: the link stays as it is (restored if it had been ended or archived).
    """
    if client.role != CLIENT:
        raise ValueError("only clients can accept an invite")
    with database.atomic():
        # The write comes first, so concurrent accepts queue on SQLite's write lock
        # instead of failing on a stale read; the WHERE makes the invite single use.
        used = (
            Invite.update(used_at=now, used_by=client)
            .where(
                (Invite.id == invite.id)
                & Invite.used_at.is_null()
                & ~Invite.revoked
                & (Invite.expires_at > now)
            )
            .execute()
        )
        if used != 1:
            return False
        _link(invite.therapist_id, client.id)
    return True


def _link(therapist_id: int, client_id: int) -> None:
    """Create the care link, or bring back an ended or archived one."""
    try:
        with database.atomic():
            CareLink.create(therapist=therapist_id, client=client_id)
            return
    except IntegrityError:
        pass  # linked before: reactivate below
    CareLink.update(active=True, archived=False, ended_at=None).where(
        (CareLink.therapist == therapist_id) & (CareLink.client == client_id)
    ).execute()


def join(invite: Invite, *, email: str, name: str, password: str, timezone: str,
         now: datetime) -> User | None:
    """Create a client account and accept the invite, all or nothing.

    None when the email is taken; InviteUnavailable when the invite went meanwhile
    (then no account is left behind either).
    """
    with database.atomic():
        user = User.create_account(email, name, password, CLIENT, timezone)
        if user is None:
            return None
        if not accept(invite, user, now):
            raise InviteUnavailable  # leaving the block by an exception rolls it all back
    return user


def revoke(invite: Invite) -> bool:
    """Cancel an invite that has not been used; False if it had been."""
    return bool(
        Invite.update(revoked=True)
        .where((Invite.id == invite.id) & Invite.used_at.is_null())
        .execute()
    )


def pending(therapist: User, now: datetime):
    """The therapist's invites that can still be used, newest first."""
    return (
        Invite.select()
        .where(
            (Invite.therapist == therapist)
            & Invite.used_at.is_null()
            & ~Invite.revoked
            & (Invite.expires_at > now)
        )
        .order_by(Invite.created_at.desc(), Invite.id.desc())
    )


# --- the QR code ---------------------------------------------------------------------

_SVG_NS = "http://www.w3.org/2000/svg"
# Style properties that have an SVG presentation attribute of the same name.
_PRESENTATION = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "shape-rendering", "opacity",
}


def _style_to_attributes(element: ElementTree.Element) -> None:
    """Replace a style attribute with presentation attributes (a strict CSP allows those)."""
    style = element.attrib.pop("style", None)
    if not style:
        return
    for declaration in style.split(";"):
        prop, _, value = declaration.partition(":")
        prop, value = prop.strip().lower(), value.strip()
        if prop in _PRESENTATION and value:
            element.set(prop, value)


def qr_svg(text: str, label: str) -> Markup:
    """``text`` as an inline SVG QR code with ``label`` as its accessible name.

    No style attributes and no fixed size: it scales with CSS and passes a strict CSP.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image(image_factory=SvgPathImage)
    ElementTree.register_namespace("", _SVG_NS)
    root = ElementTree.fromstring(image.to_string())
    for element in root.iter():
        _style_to_attributes(element)
        element.attrib.pop("id", None)  # the page may show more than one
    for size in ("width", "height"):
        root.attrib.pop(size, None)
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("class", "qr")
    root.set("shape-rendering", "crispEdges")
    # A white quiet zone behind the code, so it scans on any background.
    background = ElementTree.Element(
        f"{{{_SVG_NS}}}rect", {"width": "100%", "height": "100%", "fill": "#ffffff"}
    )
    root.insert(0, background)
    title = ElementTree.Element(f"{{{_SVG_NS}}}title")
    title.text = label
    root.insert(0, title)
    return Markup(ElementTree.tostring(root, encoding="unicode"))
