"""Flask extensions, created unbound here and bound in create_app."""
from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx


class _CSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF check on every post, remembering the token it accepted.

    With no time limit on tokens (``WTF_CSRF_TIME_LIMIT`` None, as configured), the token a
    post carried is as good as a newly signed one while the session's secret is the one it
    was checked against, so the answer to the post hands it back (``kept.visitor_token``)
    instead of signing another (~0.06 ms, a twentieth of a check-off; issue 20)."""

    def protect(self, *args, **kwargs):
        super().protect(*args, **kwargs)  # a post is refused (400) unless its token is good
        if g.get("csrf_valid") and current_app.config["WTF_CSRF_TIME_LIMIT"] is None:
            secret = session.get(current_app.config["WTF_CSRF_FIELD_NAME"])
            g._checked_csrf = (secret, self._get_csrf_token())


login_manager = LoginManager()
csrf = _CSRFProtect()
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
