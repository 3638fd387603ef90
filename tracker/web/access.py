"""Who may open a view: the one decorator for a role, and the one way to fetch "this user's X".

- Not logged in: flask_login's login redirect (htmx: 204 with HX-Redirect), as everywhere.
- Logged in with the wrong role: 403, from ``role_required``.
- Something outside the user's scope: 404, from ``get_object_or_404`` over a query that is
  already narrowed to what the user owns (``tracker.store.queries``), so another person's
  data is never revealed, not even that it exists.
"""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from tracker.store.models import CLIENT, THERAPIST

# What the 403 page says to someone of the other role, unless the view says more.
REFUSALS = {
    CLIENT: "Only clients can open this page: it is about a client's own plan.",
    THERAPIST: "Only therapists can open this page.",
}

__all__ = ["get_object_or_404", "role_required"]


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
