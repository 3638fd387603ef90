"""Settings: the account, and for clients the therapists who can see their plan."""
from flask import Blueprint, Response, flash, redirect, session, url_for
from flask_login import current_user, login_required, logout_user
from peewee import fn

from tracker.store import privacy, queries
from tracker.store.models import CareLink, User, utcnow
from tracker.web.access import get_object_or_404
from tracker.web.pages import render, submitted_status
from tracker.web.settings.forms import DeleteAccountForm

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
                  show_therapists=not current_user.is_therapist)


@bp.post("/therapists/<int:link_id>/end")
@login_required
def end_link(link_id: int):
    """End a therapist link: from now on they no longer see this client's plan."""
    link = get_object_or_404(queries.therapist_links_of(current_user.id), CareLink.id == link_id)
    name = link.therapist.name
    ended = (
        CareLink.update(active=False, ended_at=utcnow())
        .where((CareLink.id == link.id) & (CareLink.client == current_user.id) & CareLink.active)
        .execute()
    )
    if ended:
        flash(f"You ended the link with {name}. They can no longer see your plan or "
              "progress.", "success")
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
