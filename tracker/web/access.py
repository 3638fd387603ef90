"""Who may open a view, shared by the blueprints that need it."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def therapist_only(view):
    """Log in first; then only therapists get in (a client sees 404, as for any page of
    someone else's)."""

    @wraps(view)
    def wrapped(**kwargs):
        if not current_user.is_therapist:
            abort(404)
        return view(**kwargs)

    return login_required(wrapped)
