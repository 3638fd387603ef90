"""A therapist's clients: the roster, invite links, archive and restore; joining by invite."""
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from peewee import fn
from wtforms import StringField, SubmitField
from wtforms.validators import Email, Length, Optional

from tracker.domain import roster, text
from tracker.store import invites, messages, queries, reports, safety_reports
from tracker.store.models import THERAPIST, CareLink, Invite, User, utcnow
from tracker.web import security, signin
from tracker.web.access import get_object_or_404, role_required
from tracker.web.auth.forms import RegisterForm
from tracker.web.forms import plain_text
from tracker.web.pages import private, render, submitted_status
from tracker.web.questionnaires import catalogue

bp = Blueprint("clients", __name__)

INVALID_INVITE = (
    "This invite link has expired or was already used. Ask your therapist for a new one."
)


class InviteForm(FlaskForm):
    note = StringField(
        "Client's name (for you)",
        validators=[
            Length(max=invites.NOTE_MAX,
                   message=f"Please keep it under {invites.NOTE_MAX} characters."),
            plain_text(),
        ],
    )
    email = StringField(
        "Client's email",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            Optional(),
            Length(max=254, message="That email is too long."),
            plain_text(),
            Email(message="Please enter a valid email address, like name@example.com."),
        ],
    )
    submit = SubmitField("Create invite link")
    send_email = SubmitField("Send invite by email")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.send_email.data and not self.email.data:  # Optional() stops there
            self.email.errors = ["Please enter the client's email address to send the "
                                 "invite to, or create a link to copy instead."]
            return False
        return valid


class JoinForm(RegisterForm):
    """The registration form without the role: an invite is for a client."""

    role = None


def _links(therapist) -> list[CareLink]:
    """The therapist's active links with each client loaded (one query)."""
    return list(
        CareLink.select(CareLink, User)
        .join(User, on=CareLink.client)
        .where((CareLink.therapist == therapist) & CareLink.active)
        .order_by(fn.LOWER(User.name), User.id)
    )


# --- the roster ------------------------------------------------------------------------


SEARCH_MAX = 100
SEARCH_TOO_LONG = f"Please keep the search to {SEARCH_MAX} characters or fewer."


def _search() -> tuple[str, str]:
    """The roster's search (``?q=``) and, when it is refused, why. Text with control
    characters or over 100 characters is refused with a message, never cleaned or cut:
    it finds no one, so no list is shown for text the therapist did not see."""
    typed = request.args.get("q", "")
    if not text.is_plain(typed):  # before strip(): it would drop some (U+0085, U+001F)
        return "", text.CONTROL_MESSAGE
    if len(typed.strip()) > SEARCH_MAX:
        return "", SEARCH_TOO_LONG
    return typed.strip(), ""


@bp.get("/clients", endpoint="roster")
@role_required(THERAPIST)
def roster_page():
    """Every client at a glance, the ones needing a look first; ``?sort=&dir=`` sorts by
    a column, ``?q=`` finds clients by name or email (htmx gets the results only)."""
    links = _links(current_user.id)
    query, query_error = _search()
    sort = roster.parse_sort(request.args.get("sort"), request.args.get("dir"))
    flagged = set(safety_reports.open_by_client(link.client_id for link in links if link.archived))
    shown = [link for link in links if not link.archived or link.client_id in flagged]
    found = [] if query_error else [
        link for link in shown if roster.matches(query, link.client.name, link.client.email)]
    by_link = messages.unread_by_link(current_user)  # one query for every thread
    return render(
        "clients/roster.html",
        "clients/_roster_results.html",
        rows=reports.roster_rows([link.client for link in found], utcnow(),
                                 frozenset(link.client_id for link in found if link.archived),
                                 sort, catalogue().instruments),
        has_clients=bool(shown),
        query=query,
        query_error=query_error,
        sort=sort,
        columns=roster.SORTS,
        archived=[link.client for link in links if link.archived and link not in shown],
        unread={link.client_id: by_link[link.id] for link in found if link.id in by_link},
    )


def _set_archived(client_id: int, archived: bool) -> User:
    """Archive or restore one of the current therapist's clients (404 for anyone else's)."""
    client = get_object_or_404(CareLink.clients_of(current_user.id), User.id == client_id)
    CareLink.update(archived=archived).where(
        (CareLink.therapist == current_user.id) & (CareLink.client == client.id)
        & CareLink.active
    ).execute()
    return client


@bp.post("/clients/<int:client_id>/archive")
@role_required(THERAPIST)
def archive(client_id: int):
    """Take a client off the roster; they stay linked and keep their plan."""
    client = _set_archived(client_id, True)
    flash(f"{client.name} is archived. Find them under “Archived clients” to restore.",
          "success")
    return redirect(url_for("clients.roster"))


@bp.post("/clients/<int:client_id>/restore")
@role_required(THERAPIST)
def restore(client_id: int):
    """Put an archived client back on the roster."""
    client = _set_archived(client_id, False)
    flash(f"{client.name} is back on your roster.", "success")
    return redirect(url_for("clients.roster"))


# --- invite links -------------------------------------------------------------------------


class Pending(NamedTuple):
    id: int
    note: str
    expires_on: date  # in the therapist's zone


def _pending(now: datetime) -> list[Pending]:
    zone = ZoneInfo(current_user.timezone)
    return [Pending(i.id, i.note, i.expires_at.astimezone(zone).date())
            for i in invites.pending(current_user.id, now)]


@bp.route("/clients/invite", methods=["GET", "POST"])
@role_required(THERAPIST)
def invite():
    """Create an invite link (shown once, with a QR code), optionally emailed to the client,
    and list the pending ones."""
    now = utcnow()
    form = InviteForm()
    status = submitted_status(form)
    if form.validate_on_submit():
        email = (form.email.data or "").strip() if form.send_email.data else ""
        if email and not security.invite_email_allowed(current_user.id):
            form.email.errors.append("You have sent many invites by email in the last hour. "
                                     "Try again later, or create a link to copy instead.")
            status = 429
        else:
            created, token = invites.create(current_user, form.note.data or "", now)
            if email:
                invites.request_email(created, token, email)
            link = url_for("clients.join", token=token, _external=True)
            return private(render(
                "clients/invite_link.html",
                invite=created,
                link=link,
                qr=invites.qr_svg(link, "QR code: scan it to open the invite"),
                pending=_pending(now),
                emailed_to=email,
            ))
    return render("clients/invite.html", form=form, status=status, pending=_pending(now))


@bp.post("/clients/invite/<int:invite_id>/cancel")
@role_required(THERAPIST)
def cancel_invite(invite_id: int):
    """Cancel one of the therapist's own invites: its link stops working."""
    found = get_object_or_404(queries.invites_of(current_user.id), Invite.id == invite_id)
    if invites.revoke(found):
        flash("Invite cancelled: its link no longer works.", "success")
    else:
        flash("That invite was already used, so there was nothing to cancel.", "info")
    return redirect(url_for("clients.invite"))


# --- joining through an invite (anyone with the link) --------------------------------------


def _invalid_invite() -> Response:
    return private(render("errors/link_invalid.html", what="Invite", message=INVALID_INVITE,
                          next_url=url_for("main.index"), next_label="Go to the start page",
                          status=404))


def _valid_invite(token: str, now: datetime) -> Invite:
    """The invite behind ``token`` if it can still be taken up; else its page answers (404)."""
    found = invites.find_valid(token, now)
    if found is None:
        abort(_invalid_invite())
    return found


def _for_clients_only(therapist: User) -> Response:
    """A therapist opened a client's invite: say so (403), and take nothing up."""
    return private(render("clients/invite_for_clients.html", therapist=therapist, status=403))


def _signed_in(found: Invite, token: str) -> Response:
    """An invite opened while signed in: a client is asked to accept it (a POST comes back
    here as a GET, so nothing is taken up without that question)."""
    if request.method == "POST":
        return redirect(url_for("clients.join", token=token))
    if current_user.is_therapist:
        return _for_clients_only(found.therapist)
    linked = CareLink.is_linked(found.therapist, current_user.id)
    return private(render("clients/invite_accept.html", therapist=found.therapist,
                           token=token, linked=linked))


@bp.route("/join/<token>", methods=["GET", "POST"])
@security.register_limit
def join(token: str):
    """Sign up through an invite; a signed-in client is asked to accept it instead."""
    now = utcnow()
    found = _valid_invite(token, now)
    if current_user.is_authenticated:
        return _signed_in(found, token)
    therapist = found.therapist
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = invites.join(found, email=form.email.data, name=form.name.data,
                                password=form.password.data, timezone=form.timezone.data,
                                now=now)
        except invites.InviteUnavailable:
            return _invalid_invite()
        if user is not None:
            signin.start(user)
            flash(f"Welcome, {user.name}. You are linked with {therapist.name}, "
                  "who can now see your plan and progress.", "success")
            return redirect(url_for("today.today"))
        form.email.errors.append("An account with this email already exists. "
                                 "Log in, and you will come back here to accept.")
    return private(render("clients/invite_join.html", form=form, therapist=therapist,
                           token=token, status=submitted_status(form)))


@bp.post("/join/<token>/accept")
@login_required
def accept(token: str):
    """A signed-in client accepts an invite: the therapist sees their plan and progress."""
    now = utcnow()
    found = _valid_invite(token, now)
    if current_user.is_therapist:
        return _for_clients_only(found.therapist)
    if not invites.accept(found, current_user, now):
        return _invalid_invite()
    flash(f"You are linked with {found.therapist.name}, who can now see your plan and "
          "progress.", "success")
    return redirect(url_for("today.today"))
