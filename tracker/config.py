"""Configuration: defaults, then ``TRACKER_*`` environment variables, then test_config; and
the instance's secrets: the secret key and the web push (VAPID) key pair."""
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

from tracker.domain.vapid import load_private_key, private_pem, public_key_b64

DEFAULTS = {
    "DATABASE_URL": None,  # None means SQLite in the instance folder
    # A pool per process of at most this many connections (0: no pool, a connection per
    # request); one idle longer than DB_STALE_TIMEOUT seconds is not reused.
    "DB_MAX_CONNECTIONS": 8,
    "DB_STALE_TIMEOUT": 300,
    "SECRET_KEY": None,  # None means generated once into the instance folder
    # werkzeug's method for new password hashes. Keep scrypt in production; the tests set
    # TRACKER_PASSWORD_HASH_METHOD to a cheap one, as each scrypt hash takes ~0.1 s of CPU.
    "PASSWORD_HASH_METHOD": "scrypt",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session, not a clock: long phone sessions
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Links in emails point here; None: the address the app is served on (see _served_url).
    # SMTP when set, else instance/outbox/*.eml.
    "BASE_URL": None,
    "SMTP_URL": None,
    "MAIL_FROM": "Sciatica care plan <reminders@localhost>",
    # The local emergency number (e.g. 112, 911, 999): the urgent-care screen offers a
    # tap-to-call link to it. Unset: plain words say to call the local emergency number.
    "EMERGENCY_NUMBER": None,
    "REDIS_URL": None,
    # TRACKER_HTTPS=1 behind TLS: HSTS, Secure cookies, https URLs.
    "HTTPS": False,
    # Behind a load balancer or proxy: how many of them set X-Forwarded-For/-Proto/-Host
    # (the client's address for the login rate limit comes from there). 0: none trusted.
    "PROXIES": 0,
    # Login rate limit (Flask-Limiter): only POST /login counts, per account and per address.
    # Storage: RATELIMIT_STORAGE_URI, else REDIS_URL, else memory:// (see tracker/web/security.py).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_KEY_PREFIX": "tracker",
    "RATELIMIT_SWALLOW_ERRORS": True,  # a storage outage must not stop logins
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": False,  # the 429 page sets Retry-After itself
    "LOGIN_LIMIT_PER_ACCOUNT": "20 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "100 per 15 minutes",
    # New accounts (register and invitation links) per address: slows anyone probing which
    # emails have an account, as registering says so.
    "REGISTER_LIMIT_PER_ADDRESS": "30 per hour",
    # "Forgot password?" requests: per email (any email, known or not, so the limit says
    # nothing about which exist) and per address.
    "RESET_LIMIT_PER_ACCOUNT": "5 per hour",
    "RESET_LIMIT_PER_ADDRESS": "20 per hour",
    # Invite links sent by email, per therapist (each one reaches an address they typed).
    "INVITE_EMAIL_LIMIT": "20 per hour",
    # Messages a person may send (to all their threads together).
    "MESSAGE_LIMIT_PER_USER": "30 per minute",
    # Brotli where the browser takes it, else gzip: pages, fragments, CSS, JS, SVG, feeds.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "text/calendar",
    ],
    # The audit log (who opened a client's data, plan changes) is kept this many days.
    "AUDIT_DAYS": 3 * 365,
}


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config in order of precedence and derive what was left unset."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="TRACKER")
    if test_config:
        app.config.from_mapping(test_config)

    instance = Path(app.instance_path)
    # private, as everything in it is (tracker.store.files): 0700 when it is ours
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    if instance.stat().st_uid == os.geteuid():
        instance.chmod(0o700)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'tracker.db'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    # from_prefixed_env parses JSON, so an all-digit key would arrive as an int
    app.config["SECRET_KEY"] = str(app.config["SECRET_KEY"])
    if not app.config["BASE_URL"]:
        app.config["BASE_URL"] = _served_url(app.config.get("BIND"), app.config["HTTPS"])


FLASK_RUN_ADDRESS = "127.0.0.1:5000"  # `flask run`'s default


def _served_url(bind: object, https: bool) -> str:
    """Where the app is served, for links in emails when TRACKER_BASE_URL is unset.

    ``make run`` and ``make serve`` set TRACKER_BASE_URL from the address they serve on;
    otherwise gunicorn's TRACKER_BIND says it (the worker, which serves nothing, reads the
    same environment), else ``flask run``'s default. A wildcard bind (0.0.0.0) is not an
    address a browser can be sent to, so links name this machine's loopback instead.
    """
    address = str(bind) if bind and not str(bind).startswith(("unix:", "fd://")) \
        else FLASK_RUN_ADDRESS
    host, _, port = address.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"{'https' if https else 'http'}://{host}:{port}"


def _instance_secret(path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first run."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    # O_EXCL: two workers starting at once must agree on one key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


# --- web push: the VAPID key pair ------------------------------------------------------

PUSH_DEFAULTS = {
    "VAPID_PRIVATE_KEY": None,  # None means generated once into instance/vapid_private.pem
    "VAPID_PUBLIC_KEY": None,  # derived from the private key; checked against it if given
    "VAPID_SUBJECT": "mailto:reminders@localhost",
    # Lets http://127.0.0.1 / localhost endpoints through, for the tests' fake push service.
    "PUSH_ALLOW_INSECURE_LOCALHOST": False,
    # Host names (and their subdomains) subscriptions may point at: the browsers' push
    # services. The server POSTs to these URLs, so an open list would let anyone make it
    # call any https host. An empty list allows any public https host.
    "PUSH_ENDPOINT_HOSTS": [
        "fcm.googleapis.com",  # Chrome, Edge on Android, Samsung Internet, Opera
        "android.googleapis.com",
        "push.services.mozilla.com",  # Firefox
        "notify.windows.com",  # Edge on Windows
        "push.apple.com",  # Safari, and web apps on iOS
    ],
    "PUSH_TTL": 3600,  # seconds a push service keeps an undelivered reminder
    "PUSH_TIMEOUT": 10,  # seconds to wait for a push service
}

KEY_FILE = "vapid_private.pem"


def init_vapid(app: Flask) -> None:
    """Fill the push settings left unset and load (or create) the VAPID key pair, once."""
    for name, value in PUSH_DEFAULTS.items():
        app.config.setdefault(name, value)
    configured = app.config["VAPID_PRIVATE_KEY"]
    if configured:
        key = load_private_key(str(configured))
    else:
        key = _instance_key(Path(app.instance_path) / KEY_FILE)
    public = public_key_b64(key)
    given = app.config["VAPID_PUBLIC_KEY"]
    if given and str(given).rstrip("=") != public:
        raise ValueError("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY")
    # Kept as PEM whatever form it was given in; tracker.jobs.push.send() reads it back.
    app.config["VAPID_PRIVATE_KEY"] = private_pem(key)
    app.config["VAPID_PUBLIC_KEY"] = public


def vapid_public_key(app: Flask) -> str:
    """The applicationServerKey browsers subscribe with (URL-safe base64, no padding)."""
    return app.config["VAPID_PUBLIC_KEY"]


def _instance_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in the instance folder, created on first run.

    Written to a private temp file, then hard-linked into place: the link fails if
    another worker got there first, and a reader never sees a half-written file.
    """
    try:
        return load_private_key(path.read_text())
    except FileNotFoundError:
        pass
    key = ec.generate_private_key(ec.SECP256R1())
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(private_pem(key))
        os.link(tmp, path)
    except FileExistsError:
        return load_private_key(path.read_text())
    finally:
        tmp.unlink()
    return key
