"""Installable and offline: the manifest, the service worker, the offline page, and what
a phone needs to replay the changes it queued offline (static/js/outbox.js)."""
import hashlib
import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify, make_response, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from tracker.web.pages import render

bp = Blueprint("offline", __name__)

THEME_COLOUR = "#0f5e59"
# Files the service worker stores when it installs: enough to open a cached page offline.
PRECACHE_STATIC = (
    "css/app.css",
    "vendor/htmx.min.js",
    "js/app.js",
    "js/outbox.js",
    "js/offline.js",
    "js/timer.js",
    "favicon.svg",
    "icons/icon-192.png",
)


def _static(filename: str) -> str:
    return url_for("static", filename=filename)


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, opening on today's plan."""
    body = {
        "id": "/today",
        "name": "Sciatica care plan",
        "short_name": "Care plan",
        "description": "Your massage and stretch plan for sciatica, day by day.",
        "start_url": url_for("today.today"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": _static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": _static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": _static("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = make_response(json.dumps(body, indent=1))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


def service_worker_source() -> str:
    """static/sw.js with this deployment's version and the files to store filled in.

    The version is a hash of the worker, the files it stores (their URLs and contents) and
    the outbox script, so any change to them makes a new worker that replaces the old caches.
    """
    static = Path(current_app.static_folder)
    source = (static / "sw.js").read_text(encoding="utf-8")
    precache = [_static(name) for name in PRECACHE_STATIC] + [url_for("offline.page")]
    outbox = _static("js/outbox.js")
    digest = hashlib.sha256()
    for part in (source, json.dumps(precache), outbox):
        digest.update(part.encode())
    for name in (*PRECACHE_STATIC, "js/outbox.js"):  # also when names carry no hash
        digest.update((static / name).read_bytes())
    return (
        source.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:16]))
        .replace('["__PRECACHE__"]', json.dumps(precache))
        .replace('"__OUTBOX_URL__"', json.dumps(outbox))
    )


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope can be the whole site."""
    response = make_response(service_worker_source())
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # revalidate: updates reach clients
    return response


@bp.get("/offline")
def page():
    """Shown by the service worker for a page it has not stored, when there is no network."""
    return render("offline/offline.html")


@bp.get("/offline/session")
@login_required
def session():
    """Who is logged in and a fresh CSRF token: a phone replays only its own queued
    changes, with a token that is valid now (JSON; same-origin only, so no other site
    can read it)."""
    response = jsonify(user=current_user.id, csrf=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response
