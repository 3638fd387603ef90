"""A day's item as markup, rendered once per what it shows (issue 20: /today near the floor).

``templates/today/_item.html`` is a function of the item alone (a frozen ``TodayItem``: its
name, dose, time, state, skip reason...), the day, the technique's library id and the app's
URLs. The visitor's CSRF token is the one per-visitor part: it is rendered as a placeholder
and put in on the way out. So each item is rendered once and later visits reuse the markup:
the same client opening the day again, or checking an item off and back, and other clients
with the same item that day. Nothing else is kept: there is nothing to invalidate, as a
changed item (a check-off, a skip, a new dose) is another key.

A booking refused for this item (``booking``: the typed values and why) is never cached.
The page and the htmx answer both render through ``today_item``, so they are the same
markup; ``tests/web/test_today_items.py`` holds the cached markup to a fresh render.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from flask import current_app, request
from markupsafe import Markup

from tracker.domain.day import SKIP_REASONS, Progress, TodayItem
from tracker.web.kept import TOKEN as _TOKEN
from tracker.web.kept import with_token

CACHED_ITEMS = 1024  # 4-10 KB each (the figures most of it): ~10 MB per worker at most


def today_item(item: TodayItem, day: date, technique_ids: dict[str, int],
               booking: dict | None = None) -> Markup:
    """``_item.html`` for ``item`` on ``day``, with this visitor's CSRF token."""
    technique_id = technique_ids.get(item.technique)
    if booking and booking.get("key") == item.key:
        html = _render(item, day, technique_id, booking)
    else:
        html = _cached(item, day, technique_id, request.script_root)
    return with_token(html)


def item_swap(item: TodayItem, progress: Progress, day: date,
              technique_ids: dict[str, int]) -> Markup:
    """A check-off's (or skip's) htmx answer: the item as it now stands, and the day's
    progress out of band (``_progress.html``, the page's own, kept per what it shows)."""
    return today_item(item, day, technique_ids) + _progress_oob(progress)


@lru_cache(maxsize=256)
def _progress_oob(progress: Progress) -> Markup:
    template = current_app.jinja_env.get_template("today/_progress.html")
    return Markup(template.render(progress=progress, oob=True))


@lru_cache(maxsize=CACHED_ITEMS)
def _cached(item: TodayItem, day: date, technique_id: int | None, script_root: str) -> str:
    return _render(item, day, technique_id, None)


def _render(item: TodayItem, day: date, technique_id: int | None,
            booking: dict | None) -> str:
    template = current_app.jinja_env.get_template("today/_item.html")
    return template.render(
        item=item, day=day, booking=booking, csrf=_TOKEN, skip_reasons=SKIP_REASONS,
        technique_ids={item.technique: technique_id} if technique_id is not None else {})
