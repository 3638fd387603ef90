"""Therapists' own photos on their own techniques (issue 18): an upload checked and
re-encoded with Pillow, kept in the database (every app host can read it), listed, served,
deleted, exported.

What an upload goes through (``prepare``), before anything is stored:

- at most MAX_BYTES (the web layer refuses a larger request body before reading it);
- decoded by Pillow as JPEG, PNG, WebP or HEIC/HEIF (pillow-heif), whatever the file is
  called: a PHP script named ``.jpg`` is not an image and is refused;
- at most MAX_PIXELS, read from the header before any pixel is decoded (a small file can
  claim a huge picture: a decompression bomb);
- turned upright as its EXIF orientation says, then scaled to at most MAX_SIDE on the long
  side, then copied pixel by pixel into a new image: no EXIF (the phone's location, its
  make, the time), no XMP, no ICC profile or comment survives;
- saved as WebP (transparency kept).
"""
import hashlib
import io
import warnings
from functools import cache
from typing import NamedTuple

from PIL import Image, ImageOps

from tracker.store.db import database
from tracker.store.models import CareLink, Technique, TechniquePhoto

MAX_BYTES = 10 * 1024 * 1024  # an upload (a phone's photo is 2 to 8 MB)
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo passes; more is refused unread
MAX_SIDE = 1600  # the long side of a stored photo, in pixels
MAX_PER_TECHNIQUE = 12
TEXT_MAX = 200  # alt text and caption, each
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MIMETYPE = "image/webp"
QUALITY = 82

MB = MAX_BYTES // (1024 * 1024)
NOT_AN_IMAGE = ("That file isn't a photo we can read. Choose a JPEG, PNG, WebP or HEIC "
                "picture.")
TOO_LARGE = f"That photo is larger than {MB} MB. Choose a smaller one."
TOO_MANY_PIXELS = ("That picture has too many pixels to use (more than "
                   f"{MAX_PIXELS // 1_000_000} million). Choose a smaller one.")
EMPTY = "That file is empty. Choose a photo."
TOO_MANY = (f"A technique can have up to {MAX_PER_TECHNIQUE} photos. Delete one before "
            "adding another.")

# Pillow's ways of saying "this is not a picture I can read": no format matches
# (UnidentifiedImageError, an OSError), truncated or corrupt data (OSError, SyntaxError,
# ValueError from a plugin's parser).
_UNREADABLE = (OSError, SyntaxError, ValueError)
# ...and "this claims more pixels than my own limit" (Image.MAX_IMAGE_PIXELS, ~89 million:
# a warning up to twice that, made an error here, an error beyond), checked on opening.
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class PhotoError(Exception):
    """An upload refused, with the words to show the therapist."""


class Prepared(NamedTuple):
    data: bytes
    mimetype: str
    width: int
    height: int


@cache
def _register_heif() -> bool:
    """HEIC/HEIF (iPhone photos) through pillow-heif, registered once per process."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return True


def prepare(data: bytes) -> Prepared:
    """The upload as it will be stored, or PhotoError saying why not (see the docstring)."""
    if not data:
        raise PhotoError(EMPTY)
    if len(data) > MAX_BYTES:
        raise PhotoError(TOO_LARGE)
    _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size  # the header only: nothing decoded yet
                if width * height > MAX_PIXELS:
                    raise PhotoError(TOO_MANY_PIXELS)
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at 1/2..1/8 scale
                upright = ImageOps.exif_transpose(image)  # decodes; drops the orientation tag
        except _BOMB:
            raise PhotoError(TOO_MANY_PIXELS) from None
        except _UNREADABLE:
            raise PhotoError(NOT_AN_IMAGE) from None
    return _encode(upright)


def _encode(image: Image.Image) -> Prepared:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Pixels only, into a new image: no metadata of the upload can follow (EXIF, XMP, ICC).
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=QUALITY, method=4)
    return Prepared(out.getvalue(), MIMETYPE, *clean.size)


# --- the database ------------------------------------------------------------------------

# Every column but the picture itself: pages list photos without loading their bytes.
_LISTED = [f for f in TechniquePhoto._meta.sorted_fields if f is not TechniquePhoto.data]


def add(technique: Technique, data: bytes, alt: str = "", caption: str = "") -> TechniquePhoto:
    """Check and re-encode ``data`` (PhotoError if refused), then store it on the technique,
    at most MAX_PER_TECHNIQUE of them."""
    prepared = prepare(data)  # before the transaction: decoding holds no lock
    with database.atomic():  # IMMEDIATE on SQLite: the count and the insert are one step
        if database.for_update:  # PostgreSQL: two uploads at once count one after the other
            Technique.select(Technique.id).where(Technique.id == technique.id) \
                .for_update().execute()
        held = TechniquePhoto.select().where(TechniquePhoto.technique == technique).count()
        if held >= MAX_PER_TECHNIQUE:
            raise PhotoError(TOO_MANY)
        return TechniquePhoto.create(
            technique=technique, data=prepared.data, mimetype=prepared.mimetype,
            width=prepared.width, height=prepared.height, size=len(prepared.data),
            etag=hashlib.sha256(prepared.data).hexdigest(), alt=alt, caption=caption)


def of_technique(technique) -> list[TechniquePhoto]:
    """The technique's photos, oldest first, without their bytes."""
    return list(TechniquePhoto.select(*_LISTED)
                .where(TechniquePhoto.technique == technique)
                .order_by(TechniquePhoto.created_at, TechniquePhoto.id))


def seen_by(user):
    """The photos ``user`` may open (a query, for get_or_404): on their own techniques, and
    on the techniques of the therapists they are linked to as a client."""
    therapists = CareLink.select(CareLink.therapist).where(
        (CareLink.client == user) & CareLink.active)
    return (TechniquePhoto.select(*_LISTED).join(Technique)
            .where((Technique.owner == user) | Technique.owner.in_(therapists)))


def of_owner(user):
    """The photos on ``user``'s own techniques (a query, for get_or_404)."""
    return TechniquePhoto.select(*_LISTED).join(Technique).where(Technique.owner == user)


def picture(photo: TechniquePhoto) -> bytes:
    """The stored picture (the queries above leave it out)."""
    data = TechniquePhoto.select(TechniquePhoto.data).where(
        TechniquePhoto.id == photo.id).scalar()
    return bytes(data)  # PostgreSQL's bytea comes back as a memoryview


def delete(photo: TechniquePhoto) -> None:
    TechniquePhoto.delete().where(TechniquePhoto.id == photo.id).execute()


def delete_of_owner(user) -> None:
    """Every photo on the user's techniques (the account is being deleted)."""
    TechniquePhoto.delete().where(TechniquePhoto.technique.in_(
        Technique.select(Technique.id).where(Technique.owner == user))).execute()


def export_of(user) -> list[tuple[dict, bytes]]:
    """The user's photos for their download: a record of each (with its file's name in the
    zip) and the picture."""
    photos = (TechniquePhoto.select(TechniquePhoto, Technique).join(Technique)
              .where(Technique.owner == user).order_by(TechniquePhoto.id))
    return [({"file": f"photos/{photo.technique.slug}-{photo.id}.webp",
              "technique": photo.technique.name, "alt": photo.alt, "caption": photo.caption,
              "width": photo.width, "height": photo.height, "created_at": photo.created_at},
             bytes(photo.data)) for photo in photos]
