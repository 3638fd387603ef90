"""Security headers on every response, HTTPS-only cookies, request bodies (forms take only
form encodings; JSON that nests too deeply is a 400), and the login (and password reset)
rate limits.

The Content-Security-Policy allows no inline script and no inline style: scripts are files
under /static, htmx runs with allowEval off, and the SVG charts and QR codes use presentation
attributes, never ``style``. Views may set a stricter header of their own (e.g. the invite page's
``Referrer-Policy: no-referrer``); those are kept.
"""
import math
from datetime import timedelta

from flask import Flask, Request, Response, abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from limits import parse
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.store import login_limits, photos
from tracker.store.models import utcnow
from tracker.web.extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "worker-src 'self'",
        "manifest-src 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """HTTPS settings, proxies trusted, the rate limiter's storage, and the headers hook."""
    proxies = int(app.config.get("PROXIES") or 0)
    if proxies:
        # Behind a load balancer: the client's address (rate limits), scheme and host come
        # from the X-Forwarded-* headers the last ``proxies`` hops set, never from further out.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    if app.config.get("HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    login_limit_per_account(app)  # a malformed TRACKER_LOGIN_LIMIT_PER_ACCOUNT fails here
    limiter.init_app(app)
    app.json = SafeJSONProvider(app)
    # On top of the class htmx-flask set (request.htmx), not instead of it.
    app.request_class = type("BodyLimitedRequest", (BodyLimits, app.request_class), {})
    app.before_request(_only_form_bodies)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    # setdefault: a header a view chose (stricter, or specific to it) wins
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --- request bodies ------------------------------------------------------------------

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# The routes that take a body larger than MAX_CONTENT_LENGTH (1 MB): endpoint -> (most bytes,
# what the 413 page says). 64 KB over the file's own limit is room for the form's other
# fields and the multipart framing; the store checks the file itself (photos.MAX_BYTES).
UPLOAD_LIMITS = {
    "library.photos": (photos.MAX_BYTES + 64 * 1024, photos.TOO_LARGE + " Nothing was saved."),
}


class BodyLimits(Request):
    """A request whose body limit is its route's (UPLOAD_LIMITS), else MAX_CONTENT_LENGTH.

    A property of the request, not a ``before_request`` hook: the CSRF check (the first
    hook) reads the form, and with it the body, before any later hook could raise the
    limit. Werkzeug holds a body without a Content-Length to the same limit as it streams.
    """

    @property
    def max_content_length(self) -> int | None:
        upload = UPLOAD_LIMITS.get(self.endpoint or "")
        if upload and self._max_content_length is None:  # a view's own setting still wins
            return upload[0]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def too_large_message() -> str | None:
    """What a 413 says on an upload route (None elsewhere: the general words)."""
    upload = UPLOAD_LIMITS.get(request.endpoint or "")
    return upload[1] if upload else None
# The routes that read a JSON body (the browser's push subscription, sent by
# static/js/push.js); every other route reads forms only.
JSON_ENDPOINTS = {"push.subscribe", "push.unsubscribe"}


def _only_form_bodies() -> None:
    """Refuse a body that is not a form (415) on every route but JSON_ENDPOINTS.

    Flask-WTF reads a JSON body as the form's data where the rate limits and anything else
    reading ``request.form`` see nothing: a JSON login once went past the per-account limit
    (issue 17). With forms only, the parsed form is the one source of truth. A request
    with no body and no type (a notification's "Done", a bare logout) is not a form either
    and carries nothing to read, so it passes.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint is None:
        return
    if (request.content_length or 0) > (request.max_content_length or math.inf):
        abort(413)  # too much, whatever it is (as where the CSRF check read the form first)
    if request.endpoint in JSON_ENDPOINTS or request.mimetype in FORM_TYPES:
        return
    if not request.mimetype and not request.content_length \
            and "Transfer-Encoding" not in request.headers:
        return
    abort(415)


class SafeJSONProvider(DefaultJSONProvider):
    """JSON that nests too deeply for the parser (``[`` x 1000) is a bad request, not a
    500: ``request.get_json()`` turns the ValueError into a 400 (or None when silent)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error


# --- the login limits --------------------------------------------------------------------
# Per account: counted in the database (tracker/store/login_limits.py), so it holds across
# workers and hosts. Per address: Flask-Limiter (the decorator on auth.login); in memory per
# process unless Redis is set.


def login_limit_per_account(app: Flask | None = None) -> tuple[int, timedelta]:
    """LOGIN_LIMIT_PER_ACCOUNT ("20 per 15 minutes") as (checks, window)."""
    item = parse((app or current_app).config["LOGIN_LIMIT_PER_ACCOUNT"])
    return item.amount, timedelta(seconds=item.get_expiry())


def begin_login_attempt(email: str) -> None:
    """Count one password check against the account the form names, before it is made; a
    locked account (the right password too) gets a 429 saying when to try again."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    now = utcnow()
    limit, period = login_limit_per_account()
    until = login_limits.begin_attempt(_account_key(email), now, limit, period)
    if until is not None:
        raise TooManyRequests(retry_after=max(1, math.ceil((until - now).total_seconds())))


def login_succeeded(email: str) -> None:
    """The right password before a lockout (or a new one set by a reset link): the
    account's count starts again."""
    login_limits.succeeded(_account_key(email))


def _account_key(email: str) -> str:
    return login_limits.account_key(email, current_app.config["SECRET_KEY"])


def login_account_key() -> str:
    """The submitted email, normalised as accounts are (trimmed, lower-case): the "Forgot
    password?" limit's key (bodies are forms only, so this is the form the view reads)."""
    email = (request.form.get("email") or "").strip().lower()
    return f"account:{email}"


def login_address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}"


def login_limit_per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def register_limit_per_address() -> str:
    return current_app.config["REGISTER_LIMIT_PER_ADDRESS"]


# One budget for every way of creating an account (auth.register and clients.join).
register_limit = limiter.shared_limit(
    register_limit_per_address, scope="register", key_func=login_address_key, methods=["POST"]
)


def reset_limit_per_account() -> str:
    return current_app.config["RESET_LIMIT_PER_ACCOUNT"]


def reset_limit_per_address() -> str:
    return current_app.config["RESET_LIMIT_PER_ADDRESS"]


def invite_email_allowed(therapist_id: int) -> bool:
    """Count one invite email for the therapist against INVITE_EMAIL_LIMIT (the limiter's
    storage, so the count is shared by every host); False when over it. Counted in the view,
    not by a decorator, so only "Send invite by email" counts and the form says why."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    limit = parse(current_app.config["INVITE_EMAIL_LIMIT"])
    return limiter.limiter.hit(limit, "invite-email", str(therapist_id))
