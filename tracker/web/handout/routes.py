"""The printed handout of a plan: its self-care items with their figures, dose, how often
and cautions, on one or two pages. The client prints their own; a therapist their client's."""
from flask import Blueprint, url_for
from flask_login import current_user

from tracker.domain.audit import VIEWED_HANDOUT
from tracker.store import audit, handout, plans, queries
from tracker.store.models import CLIENT, THERAPIST, CareLink, Plan, User
from tracker.web.access import get_object_or_404, role_required
from tracker.web.pages import render

bp = Blueprint("handout", __name__)


def _page(client: User, plan: Plan, back_url: str, back_label: str):
    today = plans.local_today(client)
    return render("handout/handout.html", client=client, plan=plan, today=today,
                  handout=handout.of_plan(plan, today), back_url=back_url,
                  back_label=back_label)


@bp.get("/plan/handout")
@role_required(CLIENT)
def own():
    """The client's own plan as a handout to print."""
    plan = get_object_or_404(queries.current_plan(current_user.id))
    return _page(current_user, plan, url_for("plans.plan"), "Your plan")


@bp.get("/clients/<int:client_id>/handout")
@role_required(THERAPIST)
def client(client_id: int):
    """A linked client's current plan as a handout to print and give them."""
    person = get_object_or_404(CareLink.clients_of(current_user.id), User.id == client_id)
    plan = get_object_or_404(queries.current_plan(person))
    audit.viewed(current_user, person.id, VIEWED_HANDOUT)
    return _page(person, plan, url_for("client_page.show", client_id=person.id),
                 f"{person.name}'s page")
