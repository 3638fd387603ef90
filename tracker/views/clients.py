"""A therapist's clients: the roster, invite links, archive and restore; joining by invite."""
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from peewee import fn
from wtforms import StringField, SubmitField
from wtforms.validators import Length, ValidationError

from tracker import invites, plans, progress, roster, schedule
from tracker.forms import RegisterForm
from tracker.models import (
    CareLink,
    CheckIn,
    CheckOff,
    Invite,
    PhaseTransition,
    Plan,
    PlanPause,
    PlanRevision,
    SessionBooking,
    User,
    utcnow,
)
from tracker.pages import render

bp = Blueprint("clients", __name__)

ADHERENCE_DAYS = 14
INVALID_INVITE = (
    "This invite link has expired or was already used. Ask your therapist for a new one."
)


def therapist_only(view):
    """Log in first; then only therapists get in (a client sees 404, as for any page of
    someone else's)."""

    @wraps(view)
    def wrapped(**kwargs):
        if not current_user.is_therapist:
            abort(404)
        return view(**kwargs)

    return login_required(wrapped)


def _printable(form, field) -> None:
    if any(not ch.isprintable() for ch in field.data or ""):
        raise ValidationError("Please remove control characters.")


class InviteForm(FlaskForm):
    note = StringField(
        "Client's name (for you)",
        validators=[
            Length(max=invites.NOTE_MAX,
                   message=f"Please keep it under {invites.NOTE_MAX} characters."),
            _printable,
        ],
    )
    submit = SubmitField("Create invite link")


class JoinForm(RegisterForm):
    """The registration form without the role: an invite is for a client."""

    role = None


# --- gathering the roster: a fixed number of queries, whatever its size ----------------


class _PlanData(NamedTuple):
    input: schedule.PlanInput
    marks: dict  # (item key, day) -> "done" / "skipped", from `since` on
    last_checkoff: date | None
    self_care_paused: bool


def _links(therapist: User) -> list[CareLink]:
    """The therapist's active links with each client loaded (one query)."""
    return list(
        CareLink.select(CareLink, User)
        .join(User, on=CareLink.client)
        .where((CareLink.therapist == therapist) & CareLink.active)
        .order_by(fn.LOWER(User.name), User.id)
    )


def _current_plans(client_ids: list[int]) -> dict[int, Plan]:
    """Each client's newest unfinished plan, as Plan.current_for picks it (one query)."""
    found: dict[int, Plan] = {}
    query = (
        Plan.select()
        .where(Plan.client.in_(client_ids) & (Plan.status != Plan.FINISHED))
        .order_by(Plan.start.desc(), Plan.id.desc())
    )
    for plan in query:
        found.setdefault(plan.client_id, plan)
    return found


def _by_plan(query) -> dict[int, list]:
    grouped = defaultdict(list)
    for row in query:
        grouped[row.plan_id].append(row)
    return grouped


def _plan_data(plan_list: list[Plan], since: date) -> dict[int, _PlanData]:
    """What the schedule engine needs for each plan, as plans.plan_input builds it, plus
    the recent check-offs (five queries for all the plans together)."""
    ids = [p.id for p in plan_list]
    revisions = _by_plan(PlanRevision.select().where(PlanRevision.plan.in_(ids))
                         .order_by(PlanRevision.effective_from, PlanRevision.id))
    transitions = _by_plan(PhaseTransition.select().where(PhaseTransition.plan.in_(ids))
                           .order_by(PhaseTransition.on, PhaseTransition.id))
    pauses = _by_plan(PlanPause.select().where(PlanPause.plan.in_(ids))
                      .order_by(PlanPause.start))
    bookings = _by_plan(SessionBooking.select().where(SessionBooking.plan.in_(ids))
                        .order_by(SessionBooking.original_day))
    # Every completion (the engine counts sessions and anchors cadences on them), and
    # skips only where adherence looks.
    checkoffs = _by_plan(
        CheckOff.select(CheckOff.plan, CheckOff.item_key, CheckOff.day, CheckOff.status)
        .where(CheckOff.plan.in_(ids)
               & ((CheckOff.status == CheckOff.DONE) | (CheckOff.day >= since)))
        .order_by(CheckOff.day)
    )
    data = {}
    for plan in plan_list:
        done = [c for c in checkoffs[plan.id] if c.status == CheckOff.DONE]
        plan_in = schedule.PlanInput(
            start=plan.start,
            revisions=tuple(schedule.Revision(r.effective_from,
                                              schedule.PlanSpec.from_dict(r.spec))
                            for r in revisions[plan.id]),
            transitions=tuple(schedule.Transition(t.on, t.to_phase, t.reason)
                              for t in transitions[plan.id]),
            pauses=tuple(schedule.Pause(p.start, p.end, p.scope) for p in pauses[plan.id]),
            completions=tuple(schedule.Completion(c.item_key, c.day) for c in done),
            moves=tuple(schedule.Move(b.item_key, b.original_day, b.day,
                                      time.fromisoformat(b.time) if b.time else None)
                        for b in bookings[plan.id]),
        )
        data[plan.id] = _PlanData(
            input=plan_in,
            marks={(c.item_key, c.day): c.status for c in checkoffs[plan.id] if c.day >= since},
            last_checkoff=max((c.day for c in checkoffs[plan.id]), default=None),
            self_care_paused=any(p.end is None and p.scope == schedule.PAUSE_SELF_CARE
                                 for p in pauses[plan.id]),
        )
    return data


def _last_checkins(client_ids: list[int]) -> dict[int, CheckIn]:
    """Each client's latest check-in (one query; a client has one check-in a day)."""
    latest = (
        CheckIn.select(CheckIn.client.alias("who"), fn.MAX(CheckIn.day).alias("last"))
        .where(CheckIn.client.in_(client_ids))
        .group_by(CheckIn.client)
    )
    query = CheckIn.select(CheckIn.client, CheckIn.day, CheckIn.leg_pain).join(
        latest, on=((CheckIn.client == latest.c.who) & (CheckIn.day == latest.c.last))
    )
    return {c.client_id: c for c in query}


def _adherence(data: _PlanData, first: date, today: date) -> int | None:
    if first > today:
        return None
    due = schedule.occurrences(data.input, first, today)
    records = progress.day_records(due, data.marks, first, today)
    done = sum(r.done for r in records)
    counted = sum(r.counted for r in records)
    return progress.percent(done, counted) if counted > 0 else None


def _row(client: User, plan: Plan | None, data: _PlanData | None,
         checkin: CheckIn | None, today: date) -> roster.Row:
    last_checkin = checkin.day if checkin else None
    facts = roster.Facts(today=today, last_checkin=last_checkin)
    adherence = phase = None
    if plan is not None:
        facts = roster.Facts(
            today=today,
            plan_start=plan.start,
            suggestion=plan.suggestion,
            red_flag_on=plan.red_flag_on,
            self_care_paused=data.self_care_paused,
            last_checkin=last_checkin,
            last_checkoff=data.last_checkoff,
        )
        first = max(plan.start, today - timedelta(days=ADHERENCE_DAYS - 1))
        adherence = _adherence(data, first, today)
        spec = schedule.spec_on(data.input, today)
        phase = spec.phase(schedule.phase_on(data.input, today)).name
    return roster.Row(
        client_id=client.id,
        name=client.name,
        flags=roster.flags(facts),
        adherence=adherence,
        last_checkin=last_checkin,
        last_checkin_ago=roster.days_ago(last_checkin, today),
        leg_pain=checkin.leg_pain if checkin else None,
        phase=phase,
    )


def roster_rows(clients: list[User], now: datetime) -> list[roster.Row]:
    """The roster's rows for these clients, sorted, each on the client's own today."""
    if not clients:
        return []
    ids = [c.id for c in clients]
    todays = {c.id: plans.local_today(c, now) for c in clients}
    current = _current_plans(ids)
    since = min(todays.values()) - timedelta(days=ADHERENCE_DAYS - 1)
    data = _plan_data(list(current.values()), since) if current else {}
    checkins = _last_checkins(ids)
    rows = []
    for client in clients:
        plan = current.get(client.id)
        rows.append(_row(client, plan, data.get(plan.id) if plan else None,
                         checkins.get(client.id), todays[client.id]))
    return roster.sort_rows(rows)


# --- the roster ------------------------------------------------------------------------


@bp.get("/clients", endpoint="roster")
@therapist_only
def roster_page():
    """Every client at a glance, the ones needing a look first."""
    links = _links(current_user.id)
    return render(
        "clients/roster.html",
        rows=roster_rows([link.client for link in links if not link.archived], utcnow()),
        archived=[link.client for link in links if link.archived],
    )


def _set_archived(client_id: int, archived: bool) -> User:
    """Archive or restore one of the current therapist's clients (404 for anyone else's)."""
    client = CareLink.clients_of(current_user.id).where(User.id == client_id).first()
    if client is None:
        abort(404)
    CareLink.update(archived=archived).where(
        (CareLink.therapist == current_user.id) & (CareLink.client == client.id)
        & CareLink.active
    ).execute()
    return client


@bp.post("/clients/<int:client_id>/archive")
@therapist_only
def archive(client_id: int):
    """Take a client off the roster; they stay linked and keep their plan."""
    client = _set_archived(client_id, True)
    flash(f"{client.name} is archived. Find them under “Archived clients” to restore.",
          "success")
    return redirect(url_for("clients.roster"))


@bp.post("/clients/<int:client_id>/restore")
@therapist_only
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


def _private(response: Response) -> Response:
    """A page carrying an invite token: not cached, not sent on in a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/clients/invite", methods=["GET", "POST"])
@therapist_only
def invite():
    """Create an invite link (shown once, with a QR code) and list the pending ones."""
    now = utcnow()
    form = InviteForm()
    if form.validate_on_submit():
        created, token = invites.create(current_user, form.note.data or "", now)
        link = url_for("clients.join", token=token, _external=True)
        return _private(render(
            "clients/invite_link.html",
            invite=created,
            link=link,
            qr=invites.qr_svg(link, "QR code: scan it to open the invite"),
            pending=_pending(now),
        ))
    status = 422 if form.is_submitted() else 200
    return render("clients/invite.html", form=form, status=status,
                  pending=_pending(now))


@bp.post("/clients/invite/<int:invite_id>/cancel")
@therapist_only
def cancel_invite(invite_id: int):
    """Cancel one of the therapist's own invites: its link stops working."""
    found = Invite.get_or_none((Invite.id == invite_id) & (Invite.therapist == current_user.id))
    if found is None:
        abort(404)
    if invites.revoke(found):
        flash("Invite cancelled: its link no longer works.", "success")
    else:
        flash("That invite was already used, so there was nothing to cancel.", "info")
    return redirect(url_for("clients.invite"))


# --- joining through an invite (anyone with the link) --------------------------------------


def _invalid_invite() -> Response:
    return _private(render("clients/invite_invalid.html", status=404, message=INVALID_INVITE))


def _start_session(user: User) -> None:
    # A fresh session on login: nothing from before survives into the account.
    session.clear()
    login_user(user)


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """Sign up through an invite; a signed-in client is asked to accept it instead."""
    now = utcnow()
    found = invites.find_valid(token, now)
    if found is None:
        return _invalid_invite()
    therapist = found.therapist
    if current_user.is_authenticated:
        if request.method == "POST":
            return redirect(url_for("clients.join", token=token))
        if current_user.is_therapist:
            return _private(render("clients/invite_for_clients.html", therapist=therapist,
                                   status=403))
        linked = CareLink.is_linked(therapist, current_user.id)
        return _private(render("clients/invite_accept.html", therapist=therapist,
                               token=token, linked=linked))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = invites.join(found, email=form.email.data, name=form.name.data,
                                password=form.password.data, timezone=form.timezone.data,
                                now=now)
        except invites.InviteUnavailable:
            return _invalid_invite()
        if user is not None:
            _start_session(user)
            flash(f"Welcome, {user.name}. You are linked with {therapist.name}, "
                  "who can now see your plan and progress.", "success")
            return redirect(url_for("today.today"))
        form.email.errors.append("An account with this email already exists. "
                                 "Log in, and you will come back here to accept.")
    status = 422 if form.is_submitted() else 200
    return _private(render("clients/invite_join.html", form=form, therapist=therapist,
                           token=token, status=status))


@bp.post("/join/<token>/accept")
@login_required
def accept(token: str):
    """A signed-in client accepts an invite: the therapist sees their plan and progress."""
    now = utcnow()
    found = invites.find_valid(token, now)
    if found is None:
        return _invalid_invite()
    therapist = found.therapist
    if current_user.is_therapist:
        return _private(render("clients/invite_for_clients.html", therapist=therapist,
                               status=403))
    if not invites.accept(found, current_user, now):
        return _invalid_invite()
    flash(f"You are linked with {therapist.name}, who can now see your plan and progress.",
          "success")
    return redirect(url_for("today.today"))
