"""Signing in and out of this device: a server-side sign-in (tracker.store.accounts) whose
token is Flask-Login's id in the Flask session."""
from flask import request, session
from flask_login import current_user, login_user, logout_user

from tracker.store import accounts
from tracker.store.models import User


def start(user: User) -> None:
    """Sign ``user`` in here, in a fresh Flask session (nothing from before survives)."""
    session.clear()
    accounts.start_session(user, request.headers.get("User-Agent", ""))
    login_user(user)


def end() -> None:
    """End this device's sign-in on the server, then forget it here."""
    if current_user.is_authenticated:
        accounts.end_session(current_user.login_token)
    logout_user()
    session.clear()
