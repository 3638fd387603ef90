"""A whole page rendered once per what it shows, and kept (issue 20: /today near the floor).

A page is kept when everything it shows is a value: its context (``render_kept``'s keyword
arguments) and its frame (who reads it, by id and role, and the navigation, the warning
link and the body's classes: ``nav.frame``). The key is those values themselves, so there
is nothing to invalidate: a check-off, a new check-in, a pause or an unread message makes
another key, on every host and worker alike. A context that holds anything else (a
database row, a form) is refused with a TypeError, so a page can't be kept on a stale row.

The visitor's CSRF token is the one per-visitor part: a kept page is rendered with a
placeholder for it (``csrf_token()`` in templates, ``with_token`` for kept pieces) and the
visitor's own token is put in on the way out. A page with a message flashed for it is
rendered afresh, never kept (the message is shown once).

``tests/web/test_kept_pages.py`` holds kept pages to fresh renders through sequences of a
client's and their therapist's actions.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from types import ModuleType

from flask import Flask, Response, current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tracker.web import nav
from tracker.web.pages import rendered

# Never a real token (those are URL-safe base64 and dots), and nothing escapes it.
TOKEN = "csrf-token-placeholder-7d3c0a"
KEPT_PAGES = 256  # ~35 KB each (a day of /today): ~9 MB per worker at most
_SCALARS = (str, int, float, bool, type(None), dt.date, dt.time, dt.timedelta)


def visitor_token() -> str:
    """This visitor's CSRF token: on a post, the one it carried and the CSRF check accepted
    (``extensions._CSRFProtect``), while the session's secret is still the one it was
    checked against (a login replaces it); otherwise Flask-WTF's ``generate_csrf``."""
    checked = g.get("_checked_csrf")
    if checked is not None and checked[0] is not None and checked[0] == session.get(
            current_app.config["WTF_CSRF_FIELD_NAME"]):
        return checked[1]
    return generate_csrf()


def csrf_token() -> str:
    """The templates' ``csrf_token()``: the placeholder while a page to keep is rendered."""
    return TOKEN if g.get("_rendering_kept") else visitor_token()


def with_token(html: str) -> Markup:
    """Kept markup with this visitor's token in it (left as the placeholder while the
    page around it is itself being rendered to keep)."""
    if g.get("_rendering_kept"):
        return Markup(html)
    return Markup(html.replace(TOKEN, visitor_token()))


def value_key(value):
    """``value`` as a key: equal keys for equal values; a TypeError for anything that is
    not a value (a database row or a form could change behind an equal-looking key).

    Frozen dataclasses of ``tracker.domain`` are taken as they are (hashed and compared by
    their fields): the domain layer holds no rows or forms (tests/test_architecture.py)."""
    if isinstance(value, _SCALARS):
        return value
    kind = type(value)
    if isinstance(value, tuple | list):
        return (kind, *map(value_key, value))
    if isinstance(value, dict):
        return (kind, *((value_key(k), value_key(v)) for k, v in value.items()))
    if isinstance(value, frozenset | set):
        return (kind, frozenset(map(value_key, value)))
    if isinstance(value, ModuleType):
        return (kind, value.__name__)  # constants: the library's texts
    params = getattr(kind, "__dataclass_params__", None)
    if params is not None and params.frozen:
        if kind.__module__.startswith("tracker.domain."):
            return value
        return (kind, *(value_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    raise TypeError(f"a kept page's context holds only values, not {kind.__name__}")


class _Pages:
    """The kept pages, least recently used first out (shared by a worker's threads)."""

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        with self._lock:
            self._pages[key] = html
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


pages = _Pages(KEPT_PAGES)


def render_kept(page: str, **context) -> Response:
    """``page`` rendered with ``context`` (values only), kept and reused for the same
    values and frame; with this visitor's CSRF token."""
    if session.get("_flashes"):
        return rendered(render_template(page, **context))
    frame = nav.frame()
    key = (page, request.script_root, current_user.id, current_user.role,
           value_key(frame), value_key(context))
    html = pages.get(key)
    if html is None:
        g._rendering_kept, g._frame = True, frame  # the frame keyed on, not read again
        try:
            html = render_template(page, **context)
        finally:
            g._rendering_kept, g._frame = False, None
        pages.put(key, html)
    return rendered(with_token(html))


def init_app(app: Flask) -> None:
    # Over Flask-WTF's generate_csrf, which it sets both as a global (what imported macros
    # see) and through a context processor (what pages see); this one runs after it.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
