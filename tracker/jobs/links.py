"""Links to the app's pages built outside a request: the worker has none.

A request context here would close the worker's database connection on teardown, so
the URL map is bound directly.
"""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL, for emails."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def page_path(endpoint: str, **values) -> str:
    """A path on the site, for push payloads (the service worker resolves it)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config["APPLICATION_ROOT"])
    return adapter.build(endpoint, values)
