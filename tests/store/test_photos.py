"""Therapists' photos (tracker/store/photos.py): what an upload becomes, what is refused and
why, who may open a photo, and that photos go with the technique, the account and into the
download. On SQLite and PostgreSQL (the BlobField)."""
import hashlib
import io
import json
import re
import zipfile

import pytest
from PIL import ExifTags, Image, ImageFile

from tests.conftest import make_user
from tests.images import MAKE, PHP, encoded, halves, opened, phone_jpeg, transparent_png
from tests.store.test_migrations import add_data, assert_data_survived, db_url  # noqa: F401
from tracker import create_app
from tracker.store import library, photos, privacy
from tracker.store.db import database
from tracker.store.migrations import LATEST, upgrade
from tracker.store.models import CareLink, Technique, TechniquePhoto, User


def _never_decoded(monkeypatch):
    """Fail the test if Pillow decodes any pixel data from here on."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --- what an upload becomes ------------------------------------------------------------


def test_a_phone_jpeg_comes_back_upright_without_its_exif_and_location():
    original = opened(phone_jpeg())
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's input has them
    assert original.getexif()[ExifTags.Base.Make] == MAKE
    prepared = photos.prepare(phone_jpeg())
    result = opened(prepared.data)
    assert result.format == "WEBP" and prepared.mimetype == "image/webp"
    assert dict(result.getexif()) == {}
    assert result.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "icc_profile"} & result.info.keys()
    assert MAKE.encode() not in prepared.data and b"Exif" not in prepared.data
    # Orientation 6 honoured: 400x200 stored sideways is 200x400 upright, its left (red)
    # half now on top.
    assert (prepared.width, prepared.height) == result.size == (200, 400)
    red, green, blue = result.convert("RGB").getpixel((100, 50))
    assert red > 200 and blue < 60
    red, green, blue = result.convert("RGB").getpixel((100, 350))
    assert blue > 200 and red < 60


def test_a_6000_by_4000_photo_is_scaled_to_1600_on_its_long_side():
    data = encoded(halves((6000, 4000)), "JPEG", quality=80)
    prepared = photos.prepare(data)
    assert (prepared.width, prepared.height) == opened(prepared.data).size == (1600, 1067)


def test_a_portrait_photo_is_scaled_by_its_height_and_a_small_one_is_left_its_size():
    tall = photos.prepare(encoded(halves((2000, 3000)), "PNG"))
    assert (tall.width, tall.height) == (1067, 1600)
    small = photos.prepare(encoded(halves((640, 480)), "PNG"))
    assert (small.width, small.height) == (640, 480)


def test_a_png_with_transparency_keeps_it():
    prepared = photos.prepare(transparent_png())
    result = opened(prepared.data)
    assert result.mode == "RGBA" and result.size == (300, 300)
    assert result.getpixel((50, 150))[3] == 0  # still see-through
    red, green, blue, alpha = result.getpixel((250, 150))
    assert alpha == 255 and green > 130 and red < 40


def test_a_palette_png_with_a_transparent_colour_keeps_it():
    image = Image.new("P", (100, 100), 0)
    image.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    image.paste(1, (50, 0, 100, 100))
    prepared = photos.prepare(encoded(image, "PNG", transparency=0))
    result = opened(prepared.data)
    assert result.mode == "RGBA" and result.getpixel((10, 10))[3] == 0
    assert result.getpixel((90, 10))[0] > 150 and result.getpixel((90, 10))[3] == 255


@pytest.mark.parametrize("fmt", ["WEBP", "HEIF"])
def test_webp_and_heic_photos_are_accepted(fmt):
    photos._register_heif()  # Pillow writes HEIF through pillow-heif too
    prepared = photos.prepare(encoded(halves((800, 600)), fmt))
    assert opened(prepared.data).format == "WEBP"
    assert (prepared.width, prepared.height) == (800, 600)


# --- what is refused, and why --------------------------------------------------------------


@pytest.mark.parametrize("data, message", [
    (PHP, photos.NOT_AN_IMAGE),  # a PHP script (named photo.jpg: the name is never read)
    (b"\xff\xd8\xff\xe0" + PHP, photos.NOT_AN_IMAGE),  # a JPEG's first bytes, then a script
    (b"GIF89a" + b"\x00" * 64, photos.NOT_AN_IMAGE),
    (b"", photos.EMPTY),
])
def test_what_is_not_a_photo_is_refused_with_words(data, message):
    with pytest.raises(photos.PhotoError, match=f"^{re.escape(message)}$"):
        photos.prepare(data)


def test_a_truncated_jpeg_is_refused():
    data = phone_jpeg((800, 600))
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare(data[: len(data) // 2])
    assert str(refused.value) == photos.NOT_AN_IMAGE


def test_a_real_gif_is_refused_as_not_one_of_the_formats():
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare(encoded(halves((100, 100)), "GIF"))
    assert str(refused.value) == photos.NOT_AN_IMAGE


def test_too_many_bytes_are_refused_unread(monkeypatch):
    _never_decoded(monkeypatch)
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("opened"))
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare(b"\xff" * (photos.MAX_BYTES + 1))
    assert str(refused.value) == photos.TOO_LARGE == (
        "That photo is larger than 10 MB. Choose a smaller one.")


@pytest.mark.parametrize("size", [(8000, 8000), (20000, 20000)])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(monkeypatch, size):
    """A tiny file claiming 64 or 400 million pixels (our limit: 50; Pillow's own: ~89,
    an error at twice that)."""
    bomb = encoded(Image.new("1", size), "PNG")
    assert len(bomb) < 100_000
    _never_decoded(monkeypatch)
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare(bomb)
    assert str(refused.value) == photos.TOO_MANY_PIXELS


# --- in the database ---------------------------------------------------------------------


@pytest.fixture
def world(app):
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        tara = make_user(email="t2@example.org", name="Tara", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        bob = make_user(email="b@example.org", name="Bob")
        CareLink.create(therapist=theo, client=ann)
        technique = library.create_owned({"name": "Wall ball", "kind": "self_massage"}, theo)
        other = library.create_owned({"name": "Tara's", "kind": "stretch"}, tara)
    with database.connection_context():
        yield {"theo": theo, "tara": tara, "ann": ann, "bob": bob, "technique": technique,
               "other": other}


def test_a_photo_is_stored_with_its_size_words_and_etag(world):
    photo = photos.add(world["technique"], phone_jpeg(), "A ball against the wall", "Left side")
    stored = TechniquePhoto.get_by_id(photo.id)
    data = photos.picture(stored)
    assert isinstance(data, bytes) and opened(data).format == "WEBP"
    assert (stored.width, stored.height, stored.size) == (200, 400, len(data))
    assert stored.etag == hashlib.sha256(data).hexdigest()
    assert (stored.alt, stored.caption, stored.mimetype) == (
        "A ball against the wall", "Left side", "image/webp")


def test_listed_photos_are_in_order_and_without_their_bytes(world):
    first = photos.add(world["technique"], phone_jpeg(), "First")
    second = photos.add(world["technique"], transparent_png(), "Second")
    photos.add(world["other"], transparent_png(), "Tara's")
    listed = photos.of_technique(world["technique"])
    assert [p.id for p in listed] == [first.id, second.id]
    assert [p.data for p in listed] == [None, None]


def test_a_technique_holds_at_most_twelve_photos(world):
    png = transparent_png((20, 20))
    for number in range(photos.MAX_PER_TECHNIQUE):
        photos.add(world["technique"], png, f"Photo {number}")
    with pytest.raises(photos.PhotoError) as refused:
        photos.add(world["technique"], png, "One more")
    assert str(refused.value) == photos.TOO_MANY
    assert TechniquePhoto.select().count() == photos.MAX_PER_TECHNIQUE


def test_a_refused_upload_stores_nothing(world):
    with pytest.raises(photos.PhotoError):
        photos.add(world["technique"], PHP, "A script")
    assert TechniquePhoto.select().count() == 0


def test_who_may_open_a_photo(world):
    photo = photos.add(world["technique"], transparent_png(), "Theo's")

    def sees(user) -> bool:
        return photos.seen_by(user).where(TechniquePhoto.id == photo.id).exists()

    assert sees(world["theo"]) and sees(world["ann"])  # the therapist, their client
    assert not sees(world["bob"]) and not sees(world["tara"])
    CareLink.update(active=False).where(CareLink.client == world["ann"]).execute()
    assert not sees(world["ann"])  # the link ended
    assert photos.of_owner(world["theo"]).count() == 1
    assert photos.of_owner(world["tara"]).count() == 0


def test_photos_go_with_their_technique(world):
    photos.add(world["technique"], transparent_png(), "Goes")
    kept = photos.add(world["other"], transparent_png(), "Stays")
    library.delete(world["technique"])
    assert [p.id for p in TechniquePhoto.select()] == [kept.id]
    assert not Technique.select().where(Technique.id == world["technique"].id).exists()


def test_photos_go_with_the_account_and_only_that_account(world):
    photos.add(world["technique"], transparent_png(), "Goes")
    kept = photos.add(world["other"], transparent_png(), "Stays")
    privacy.delete_account(world["theo"])
    assert [p.id for p in TechniquePhoto.select()] == [kept.id]


def test_the_therapists_download_holds_their_photos_as_files(world):
    photo = photos.add(world["technique"], phone_jpeg(), "A ball against the wall", "Left")
    photos.add(world["other"], transparent_png(), "Tara's own")
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(world["theo"])))
    name = f"photos/{world['technique'].slug}-{photo.id}.webp"
    assert [n for n in archive.namelist() if n.startswith("photos/")] == [name]
    assert archive.read(name) == photos.picture(photo)
    [about] = json.loads(archive.read("data.json"))["photos"]
    assert about == {"file": name, "technique": "Wall ball", "alt": "A ball against the wall",
                     "caption": "Left", "width": 200, "height": 400,
                     "created_at": about["created_at"]}
    client_archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(world["ann"])))
    assert not [n for n in client_archive.namelist() if n.startswith("photos/")]
    assert "photos" not in json.loads(client_archive.read("data.json"))


# --- migration 15 --------------------------------------------------------------------------


@pytest.fixture
def old_app(db_url):  # noqa: F811
    return create_app({"TESTING": True, "DATABASE_URL": db_url})


def test_migration_15_adds_the_photos_table_to_a_version_14_database(old_app):
    upgrade(target=14)
    with database.connection_context():
        database.execute_sql('DROP TABLE IF EXISTS "techniquephoto"')
    add_data()
    assert upgrade() == (LATEST, list(range(15, LATEST + 1)))
    assert_data_survived()
    with database.connection_context():
        assert "techniquephoto" in database.get_tables()
        kim = User.by_email("kim@example.org")
        technique = library.create_owned({"name": "Kim's", "kind": "stretch"}, kim)
        photo = photos.add(technique, transparent_png((30, 20)), "A test")
        assert opened(photos.picture(photo)).size == (30, 20)
