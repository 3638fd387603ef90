"""Settings: the account (name, email, time zone, signed-in devices), and for clients the
therapists who can see their plan."""
from flask import Blueprint, Response, abort, flash, redirect, session, url_for
from flask_login import current_user, login_required, logout_user
from peewee import fn

from tracker.store import accounts, messages, privacy, queries
from tracker.store.models import CareLink, User, normalise_email, utcnow
from tracker.web import signin
from tracker.web.access import get_object_or_404
from tracker.web.pages import render, submitted_status
from tracker.web.settings.forms import DeleteAccountForm, ProfileForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@login_required
def index():
    """Account links; a client also sees and can end their therapist links."""
    links = []
    if not current_user.is_therapist:
        links = list(
            queries.therapist_links_of(current_user.id)
            .where(CareLink.active)
            .order_by(fn.LOWER(User.name), CareLink.id)
        )
    return render("settings/index.html", links=links,
                  show_therapists=not current_user.is_therapist,
                  devices=_devices())


def _devices() -> list[dict]:
    """The user's signed-in devices for the list, this one marked."""
    here = accounts.current_session_id(current_user)
    return [{"id": s.id, "label": s.device, "since": s.created_at, "seen": s.last_seen_at,
             "current": s.id == here} for s in accounts.sessions_of(current_user)]


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Change the name, email (with the password; the old address is told) or time zone."""
    form = ProfileForm(data={"name": current_user.name, "email": current_user.email,
                             "timezone": current_user.timezone})
    if form.validate_on_submit():
        new_email = normalise_email(form.email.data) != current_user.email
        if new_email and not current_user.check_password(form.password.data or ""):
            form.password.errors.append("To change your email, enter your current password.")
        else:
            try:
                changed = accounts.update_profile(
                    current_user, name=form.name.data, email=form.email.data,
                    timezone=form.timezone.data)
            except accounts.EmailTaken:
                form.email.errors.append("Another account already uses this email. "
                                         "Please use a different one.")
            else:
                flash(_saved_message(changed), "success")
                return redirect(url_for("settings.index"))
    return render("settings/account.html", form=form, status=submitted_status(form))


def _saved_message(changed: list[str]) -> str:
    if not changed:
        return "Nothing changed."
    words = ["Saved."]
    if "email" in changed:
        words.append("We've told your old email address about the change.")
    if "timezone" in changed:
        words.append("Your reminders now follow your new time zone.")
    return " ".join(words)


@bp.post("/devices/<int:session_id>/sign-out")
@login_required
def sign_out_device(session_id: int):
    """Sign out one device (this one too, if it is the one chosen)."""
    this_one = session_id == accounts.current_session_id(current_user)
    if not accounts.end_session_of(current_user, session_id):
        abort(404)
    if this_one:
        signin.end()
        flash("You are signed out on this device.", "info")
        return redirect(url_for("auth.login"))
    flash("That device is signed out.", "success")
    return redirect(url_for("settings.index", _anchor="devices"))


@bp.post("/devices/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """Sign out every device, this one included."""
    accounts.end_all_sessions(current_user)
    signin.end()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/therapists/<int:link_id>/end")
@login_required
def end_link(link_id: int):
    """End a therapist link: from now on they no longer see this client's plan."""
    link = get_object_or_404(queries.therapist_links_of(current_user.id), CareLink.id == link_id)
    name = link.therapist.name
    if messages.end_link(current_user, link.id):
        flash(f"You ended the link with {name}. They can no longer see your plan or "
              "progress, and your messages with them are deleted.", "success")
    else:
        flash(f"Your link with {name} had already ended.", "info")
    return redirect(url_for("settings.index"))


@bp.get("/data")
@login_required
def data():
    """Download or delete everything we hold about you."""
    return render("settings/data.html", form=DeleteAccountForm())


@bp.post("/data/export")
@login_required
def export():
    """All your data as a zip of JSON and CSV files."""
    body = privacy.export_zip(current_user)
    response = Response(body, mimetype="application/zip")
    stamp = utcnow().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = f'attachment; filename="my-care-data-{stamp}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/data/delete")
@login_required
def delete_account():
    """Delete the account and all its data, after the password confirms it."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            user = User.get_by_id(current_user.id)
            logout_user()
            session.clear()
            privacy.delete_account(user)
            flash("Your account and all its data have been deleted.", "info")
            return redirect(url_for("auth.login"))
        form.password.errors.append("That is not your password.")
    return render("settings/data.html", form=form, status=submitted_status(form))
