"""Who may open a view: the one decorator for a role, and the one way to fetch "this user's X".

- Not logged in: flask_login's login redirect (htmx: 204 with HX-Redirect), as everywhere.
- Logged in with the wrong role: 403, from ``role_required``.
- Something outside the user's scope: 404, from ``get_object_or_404`` over a query that is
  already narrowed to what the user owns (``tracker.store.queries``), so another person's
  data is never revealed, not even that it exists.
- Something the user may see but not change (a plan another therapist assigned to a client
  both look after): 403 with a message saying why, from ``require_in`` over the narrower
  scope, after ``get_object_or_404`` over the wider one.
"""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from tracker.store import queries
from tracker.store.models import CLIENT, THERAPIST, Plan

# What the 403 page says to someone of the other role, unless the view says more.
REFUSALS = {
    CLIENT: "Only clients can open this page: it is about a client's own plan.",
    THERAPIST: "Only therapists can open this page.",
}

__all__ = ["get_object_or_404", "require_in", "require_plan_author", "role_required"]


def require_in(scope, *where, message: str) -> None:
    """403 with ``message`` unless ``scope`` (a query from tracker.store.queries) holds the
    row ``where`` names: for a row the user may see (fetched with get_object_or_404 over the
    wider scope first) but not change."""
    if not scope.where(*where).exists():
        abort(403, description=message)


def role_required(role: str, message: str = ""):
    """Log in first; then only users with ``role`` get in (403 for the other role, with
    ``message`` or the role's REFUSALS text)."""
    if role not in REFUSALS:
        raise ValueError(f"unknown role {role!r}: one of {tuple(REFUSALS)}")
    refusal = message or REFUSALS[role]

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role != role:
                abort(403, description=refusal)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def require_plan_author(plan: Plan) -> None:
    """One author: a plan in the current therapist's care that another therapist assigned
    is theirs to see, not to change (403, saying who can)."""
    if plan.therapist_id in (None, current_user.id):
        return  # theirs, or self-guided; the scope below says the same, in the query
    client = plan.client
    require_in(queries.plans_changeable_by(current_user.id), Plan.id == plan.id, message=(
        f"Only {plan.therapist.name}, who assigned {client.name}'s plan, can change it. "
        f"You can still see {client.name}'s plan and progress, and write to {client.name}."))
