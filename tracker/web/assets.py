"""Static files under content-hashed names, cached for a year.

At app start every file under ``static/`` is hashed once (sha256, first 10 hex digits).
``url_for('static', filename='css/app.css')`` then builds ``/static/css/app.<hash>.css``
and that URL is answered with ``Cache-Control: public, max-age=31536000, immutable``: a
new deploy changes the hash, so browsers never need to ask again. The plain name (and a
hashed name whose hash is no longer current, e.g. a page cached before a deploy) still
answers with the current file under ``no-cache`` (revalidated by ETag).

``build_version(app)`` is one short hash over every file, for caches that need a
version for the whole set (the service worker).

``STATIC_HASHED_URLS`` (default on) turns the hashed names off, e.g. while editing CSS
with the development server, which does not restart when a static file changes.
"""
import gzip
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import brotli
from flask import Flask, Response, current_app, request, send_from_directory

HASH_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
# Served elsewhere under a fixed name: the service worker lives at /sw.js (its scope).
UNHASHED = frozenset({"sw.js"})
_HASHED_NAME = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[^./]+)?$")


@dataclass(frozen=True)
class Manifest:
    """Every static file's content hash, and the hashed URL name of each."""

    hashes: dict[str, str] = field(default_factory=dict)  # "css/app.css" -> "3f9a1c2b4d"
    hashed: dict[str, str] = field(default_factory=dict)  # "css/app.css" -> "css/app.3f9a....css"
    original: dict[str, str] = field(default_factory=dict)  # the reverse of ``hashed``


def hashed_name(filename: str, digest: str) -> str:
    """ "css/app.css" -> "css/app.<digest>.css" (the hash before the last extension)."""
    path = PurePosixPath(filename)
    if path.suffix:
        return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))
    return f"{filename}.{digest}"


def scan(folder: str | Path) -> Manifest:
    """Hash every file under ``folder`` (dotfiles skipped)."""
    root = Path(folder)
    hashes, hashed = {}, {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in relative.split("/")):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
        hashes[relative] = digest
        if relative not in UNHASHED:
            hashed[relative] = hashed_name(relative, digest)
    return Manifest(hashes, hashed, {v: k for k, v in hashed.items()})


def manifest(app: Flask) -> Manifest:
    return app.extensions["assets"]


def build_version(app: Flask) -> str:
    """A short hash over every static file's hash: changes whenever any file does."""
    lines = "".join(f"{name}\0{digest}\n" for name, digest in sorted(manifest(app).hashes.items()))
    return hashlib.sha256(lines.encode()).hexdigest()[:HASH_LENGTH]


def init_app(app: Flask) -> None:
    """Hash the static files (once) and serve them under their hashed names."""
    app.config.setdefault("STATIC_HASHED_URLS", True)
    rebuild(app)
    app.url_defaults(_hashed_url)
    app.view_functions["static"] = static


def rebuild(app: Flask) -> None:
    """Hash the static folder again (app start does it; tests after changing a file)."""
    app.extensions["assets"] = scan(app.static_folder)


def _hashed_url(endpoint: str, values: dict) -> None:
    if endpoint != "static" or not current_app.config["STATIC_HASHED_URLS"]:
        return
    filename = values.get("filename")
    hashed = manifest(current_app).hashed.get(filename)
    if hashed:
        values["filename"] = hashed


# Text files under their hashed names, compressed once per process at the strongest
# settings (Brotli 11, gzip 9): they never change under that name, so the work is done
# once, where Flask-Compress would redo a quick compression per request. ~20% smaller CSS
# and JS than Brotli 4, which keeps /today within its transfer budget (issue 18).
_PRECOMPRESSED: dict[tuple[str, str], bytes] = {}
_TEXT_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _precompressed(original: str) -> Response | None:
    """The file compressed as the request accepts (Brotli, else gzip), or None."""
    mimetype = _TEXT_TYPES.get(PurePosixPath(original).suffix)
    accepted = request.headers.get("Accept-Encoding", "")
    encoding = "br" if "br" in accepted else "gzip" if "gzip" in accepted else None
    if mimetype is None or encoding is None:
        return None
    body = _PRECOMPRESSED.get((original, encoding))
    if body is None:
        data = (Path(current_app.static_folder) / original).read_bytes()
        body = (brotli.compress(data, quality=11) if encoding == "br"
                else gzip.compress(data, compresslevel=9, mtime=0))
        _PRECOMPRESSED[original, encoding] = body
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    return response


def static(filename: str) -> Response:
    """A static file: immutable under its current hashed name, revalidated otherwise."""
    assets = manifest(current_app)
    original = assets.original.get(filename)
    if original is not None:
        response = _precompressed(original) or send_from_directory(current_app.static_folder,
                                                                   original)
        response.headers["Cache-Control"] = IMMUTABLE
        return response
    # The plain name, or a hash from before a deploy: today's file, asked about each time.
    match = _HASHED_NAME.match(filename)
    if filename not in assets.hashes and match:
        stale = f"{match['stem']}{match['ext'] or ''}"
        if stale in assets.hashes:
            filename = stale
    response = send_from_directory(current_app.static_folder, filename)
    response.headers["Cache-Control"] = "no-cache"
    return response
