"""Security headers on every response, HTTPS-only cookies, and the login (and password
reset) rate limits' setup.

The Content-Security-Policy allows no inline script and no inline style: scripts are files
under /static, htmx runs with allowEval off, and the SVG charts and QR codes use presentation
attributes, never ``style``. Views may set a stricter header of their own (e.g. the invite page's
``Referrer-Policy: no-referrer``); those are kept.
"""
from flask import Flask, Response, current_app, request
from limits import parse
from werkzeug.middleware.proxy_fix import ProxyFix

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
    limiter.init_app(app)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    # setdefault: a header a view chose (stricter, or specific to it) wins
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --- the login rate limit (keys and limits; the decorator is on auth.login) ----------------


def login_account_key() -> str:
    """The submitted email, normalised as accounts are (trimmed, lower-case)."""
    email = (request.form.get("email") or "").strip().lower()
    return f"account:{email}"


def login_address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}"


def login_limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


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
