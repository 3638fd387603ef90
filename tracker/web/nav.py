"""The app's navigation, per role: a bar at the bottom of a phone, a column on the left of
a wide screen (one list, placed by the stylesheet); and the page's classes that choose it.
A client's "Messages" tab carries its unread count."""
from typing import NamedTuple

from flask import Flask, g, request
from flask_login import current_user
from peewee import DatabaseError, InterfaceError, fn

from tracker.store import messages
from tracker.store.models import THERAPIST, SafetyCheck
from tracker.web.pages import wants_fragment


class NavItem(NamedTuple):
    endpoint: str
    label: str
    icon: str
    current: bool = False
    badge: int | None = None  # an unread count to show (None: the tab has none)


_CLIENT = (
    ("today.today", "Today", "✓"),
    ("plans.plan", "Plan", "▤"),
    ("progress.progress", "Progress", "↗"),
    ("messages.index", "Messages", "✉"),
    ("library.index", "Library", "☰"),
    ("settings.index", "Settings", "⚙"),
)
_THERAPIST = (
    ("clients.roster", "Clients", "☷"),
    ("builder.templates", "Plans", "▤"),
    ("library.index", "Library", "☰"),
    ("settings.index", "Settings", "⚙"),
)


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    entries = _THERAPIST if current_user.role == THERAPIST else _CLIENT
    # A tab stays lit on every page of its blueprint (a technique's page is in Library).
    here, endpoint = request.blueprint, request.endpoint
    return [
        NavItem(e, label, icon, e == endpoint or e.split(".")[0] == here != "main",
                _unread() if e == "messages.index" else None)
        for e, label, icon in entries
    ]


def page_classes() -> str:
    """The body's classes: "with-nav" when the navigation shows, the role, and the
    blueprint ("bp-clients"), which the stylesheet uses for a page's wide-screen layout."""
    classes = [f"bp-{request.blueprint or 'none'}"]
    if current_user.is_authenticated:
        classes += ["with-nav", f"role-{current_user.role}"]
    return " ".join(classes)


def _unread() -> int:
    """The client's unread messages, for the Messages tab (one query; none for an htmx
    fragment, which has no navigation: its badge polls on its own)."""
    if wants_fragment():
        return 0
    try:
        return messages.unread_total(current_user)
    except (DatabaseError, InterfaceError):  # the "database unavailable" page must render
        return 0


def warning_open() -> bool:
    """A client with an open warning sign sees a link to the urgent-care screen on every
    page (the full screen is on /today and /checkin/urgent). Not asked for an htmx
    fragment: it has no page around it to show the link in."""
    if not current_user.is_authenticated or current_user.role == THERAPIST:
        return False
    if wants_fragment():
        return False
    if request.blueprint == "checkin" or request.endpoint == "today.today":
        return False
    try:
        return (SafetyCheck.open_reports()
                .where((SafetyCheck.client == current_user.id)
                       & (fn.LENGTH(SafetyCheck.red_flags) > 2))  # not "[]"
                .exists())
    except (DatabaseError, InterfaceError):  # the "database unavailable" page must render
        return False


def frame() -> dict:
    """What the page frame (base.html) shows besides the page: the navigation, the warning
    link and the body's classes (a kept page keys on them: tracker/web/kept.py, which
    puts the ones it keyed on in ``g._frame`` while it renders, so they are read once)."""
    kept = g.get("_frame")
    if kept is not None:
        return kept
    return {"nav_items": nav_items(), "warning_open": warning_open(),
            "page_classes": page_classes()}


def init_app(app: Flask) -> None:
    app.context_processor(frame)
