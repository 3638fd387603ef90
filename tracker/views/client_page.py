"""A therapist's page for one client: progress, flags, and the plan's controls."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from tracker import plans, reports
from tracker.models import CareLink, Plan, User
from tracker.pages import render

bp = Blueprint("client_page", __name__)


def linked_client_or_404(client_id: int) -> User:
    """One of the current therapist's clients; anyone else's (or a client asking) is 404."""
    if not current_user.is_therapist:
        abort(404)
    client = CareLink.clients_of(current_user).where(User.id == client_id).first()
    if client is None:
        abort(404)
    return client


@bp.get("/clients/<int:client_id>")
@login_required
def show(client_id: int):
    """Everything the therapist needs about one client."""
    client = linked_client_or_404(client_id)
    plan = Plan.current_for(client)
    today = plans.local_today(client)
    report = reports.progress_report(plan, today) if plan else None
    return render("clients/client.html", client=client, plan=plan, report=report, today=today)
