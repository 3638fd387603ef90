"""Static files under content-hashed URLs, cached for a year (tracker/web/assets.py)."""
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from flask import url_for

from tracker.web import assets

ROOT_STATIC = Path(__file__).resolve().parents[2] / "static"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[: assets.HASH_LENGTH]


def _url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


@pytest.fixture
def static_copy(app, tmp_path):
    """The app serving a copy of static/ that a test may change."""
    folder = tmp_path / "static"
    shutil.copytree(ROOT_STATIC, folder)
    app.static_folder = str(folder)
    assets.rebuild(app)
    return folder


def test_pages_link_css_and_js_under_hashed_names(client):
    page = client.get("/login").get_data(as_text=True)
    css = f"/static/css/app.{_digest(ROOT_STATIC / 'css/app.css')}.css"
    js = f"/static/js/app.{_digest(ROOT_STATIC / 'js/app.js')}.js"
    assert f'href="{css}"' in page
    assert f'src="{js}"' in page
    assert 'href="/static/css/app.css"' not in page


def test_hashed_url_is_served_immutable_for_a_year(app, client):
    response = client.get(_url(app, "css/app.css"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.mimetype == "text/css"
    assert response.data == (ROOT_STATIC / "css/app.css").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/app.css",  # the plain name
        "/static/css/app.0000000000.css",  # a hash from before a deploy
        "/static/vendor/htmx.min.js",
    ],
)
def test_plain_and_stale_names_still_serve_the_current_file_uncached(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "immutable" not in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/nothing.0000000000.css",
        "/static/css/nothing.css",
        "/static/../wsgi.py",
        "/static/css/app.0000000000",
        "/static/.0000000000.css",
    ],
)
def test_unknown_files_are_404_never_500(client, path):
    assert client.get(path).status_code == 404


def test_changing_a_file_changes_its_url_and_the_build_version(app, client, static_copy):
    before, version = _url(app, "css/app.css"), assets.build_version(app)
    (static_copy / "css/app.css").write_text("body { color: red; }\n")
    assets.rebuild(app)
    after = _url(app, "css/app.css")
    assert after != before
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{10}\.css", after)
    assert assets.build_version(app) != version
    assert client.get(after).data == b"body { color: red; }\n"
    # the old URL (a page cached before the change) gets today's file, not cached for a year
    old = client.get(before)
    assert old.status_code == 200 and old.data == b"body { color: red; }\n"
    assert old.headers["Cache-Control"] == "no-cache"


def test_build_version_is_a_short_hash_stable_across_scans(app):
    version = assets.build_version(app)
    assert re.fullmatch(r"[0-9a-f]{10}", version)
    assets.rebuild(app)
    assert assets.build_version(app) == version


def test_service_worker_keeps_its_fixed_name(app, client):
    assert _url(app, "sw.js") == "/static/sw.js"
    assert client.get("/sw.js").status_code == 200


def test_hashed_urls_can_be_turned_off(app):
    app.config["STATIC_HASHED_URLS"] = False
    assert _url(app, "css/app.css") == "/static/css/app.css"


def test_hashed_name_puts_the_hash_before_the_extension():
    assert assets.hashed_name("css/app.css", "abc") == "css/app.abc.css"
    assert assets.hashed_name("vendor/htmx.min.js", "abc") == "vendor/htmx.min.abc.js"
    assert assets.hashed_name("LICENSE", "abc") == "LICENSE.abc"


@pytest.mark.parametrize("accept, encoding", [("br, gzip", "br"), ("gzip", "gzip"),
                                              ("", None)])
def test_hashed_css_and_js_come_compressed_once_at_the_strongest_setting(app, client, accept,
                                                                          encoding):
    import gzip

    import brotli

    for filename in ("css/app.css", "js/timer.js"):
        original = (ROOT_STATIC / filename).read_bytes()
        response = client.get(_url(app, filename), headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == assets.IMMUTABLE
        assert response.headers.get("Content-Encoding") == encoding
        body = response.get_data()
        if encoding == "br":
            assert brotli.decompress(body) == original
            assert len(body) == len(brotli.compress(original, quality=11))
        elif encoding == "gzip":
            assert gzip.decompress(body) == original
        else:
            assert body == original
