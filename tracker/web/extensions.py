"""Flask extensions, created unbound here and bound in create_app."""
from flask import Flask, Response, redirect, request, url_for
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
compress = Compress()
# Bound in tracker.web.security.init_app (storage: RATELIMIT_STORAGE_URI, else REDIS_URL,
# else memory).
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    htmx.init_app(app)
    compress.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    # No session protection: "basic" only marks a session "not fresh" (nothing here asks
    # for a fresh login) and, to do so, wrote the cookie on an anonymous request; one still
    # in flight at login then put the anonymous session back over the new one. Sign-ins
    # are server-side (tracker.store.accounts): logging out or "Sign out" ends them there.
    # tests/web/test_session_cookie_race.py
    login_manager.session_protection = None


@login_manager.user_loader
def load_user(token: str):
    """The user of a live server-side sign-in; a revoked or unknown one loads nobody."""
    from tracker.store import accounts

    return accounts.user_for_session(token)


def _here() -> str:
    """The path asked for, with its query string only when there is one.

    (``request.full_path`` always ends in "?", which sent a reminder email's
    /today link through ``/login?next=/today?``.)"""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send anonymous visitors to the login page; htmx ignores 3xx headers, so 204."""
    login_url = url_for("auth.login", next=_here() if request.method == "GET" else None)
    if request.htmx:
        return Response(status=204, headers={"HX-Redirect": login_url})
    return redirect(login_url)
