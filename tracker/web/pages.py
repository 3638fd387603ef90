"""Rendering a page or just the fragment htmx swaps: the one place that reads HX-* headers."""
from flask import Response, make_response, render_template, request


def wants_fragment() -> bool:
    """True for an htmx swap; False for a normal load, a boosted link or a history restore."""
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, **context) -> Response:
    """Render the full page, or only ``fragment`` when htmx asked for a swap."""
    template = fragment if fragment and wants_fragment() else page
    return rendered(render_template(template, **context), status)


def rendered(html: str, status: int = 200) -> Response:
    """Markup as an answer (a page or an htmx fragment, kept ones too: tracker/web/kept.py),
    which a cache must keep apart by HX-Request."""
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def submitted_status(form) -> int:
    """A form shown again: 422 when it was submitted (and failed), 200 when first shown."""
    return 422 if form.is_submitted() else 200


def private(response: Response) -> Response:
    """A page whose URL holds a secret (a reset or invite link): never cached, never sent on
    in a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
