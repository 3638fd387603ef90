"""Therapists' photos through the web (tracker/web/library/routes.py): upload, what the
"How to" page shows, serving with caching to the therapist and their linked clients only,
the size limit before anything is read, deleting with a confirmation."""
import io
import json
import os
import re
import zipfile

import pytest
from PIL import ExifTags, Image
from werkzeug.formparser import FormDataParser

from tests.conftest import csrf_token, make_user
from tests.images import MAKE, PHP, encoded, opened, phone_jpeg, transparent_png
from tracker.store import library, photos
from tracker.store.db import database
from tracker.store.models import CareLink, Technique, TechniquePhoto

THEO, TARA, ANN, BOB = "t@example.org", "t2@example.org", "a@example.org", "b@example.org"
TWENTY_MB = 20 * 1024 * 1024


@pytest.fixture
def world(app):
    """Theo and his client Ann; Tara and her client Bob; Theo's own technique."""
    with database.connection_context():
        theo = make_user(email=THEO, name="Theo", role="therapist")
        tara = make_user(email=TARA, name="Tara", role="therapist")
        ann = make_user(email=ANN, name="Ann")
        bob = make_user(email=BOB, name="Bob")
        CareLink.create(therapist=theo, client=ann)
        CareLink.create(therapist=tara, client=bob)
        technique = library.create_owned(
            {"name": "Wall ball", "kind": "self_massage", "instructions": ["Lean in."]}, theo)
    return {"technique": technique, "theo": theo}


def photo_rows() -> list[TechniquePhoto]:
    with database.connection_context():
        return list(TechniquePhoto.select().order_by(TechniquePhoto.id))


def add_photo(technique, data=None, alt="A ball against the wall", caption="") -> TechniquePhoto:
    with database.connection_context():
        return photos.add(technique, data or transparent_png((40, 30)), alt, caption)


def upload(client, technique, data: bytes, filename="IMG_0001.jpg", **fields):
    path = f"/library/{technique.id}/photos"
    form = {"csrf_token": csrf_token(client, path), "alt": "A ball against the wall",
            "caption": "", **fields}
    if data is not None:
        form["photo"] = (io.BytesIO(data), filename)
    return client.post(path, data=form, content_type="multipart/form-data")


# --- adding ------------------------------------------------------------------------------


def test_a_therapist_adds_a_phone_photo_and_it_shows_on_the_how_to_page(world, client, as_user):
    as_user(THEO)
    technique = world["technique"]
    response = upload(client, technique, phone_jpeg(), caption="Left side")
    assert response.status_code == 302
    assert response.location == f"/library/{technique.id}/photos"
    [photo] = photo_rows()
    assert (photo.width, photo.height, photo.alt, photo.caption) == (
        200, 400, "A ball against the wall", "Left side")
    html = client.get(f"/library/{technique.id}").get_data(as_text=True)
    img = re.search(r"<img [^>]*>", html[html.index('id="photos"'):]).group(0)
    assert f'src="/library/photos/{photo.id}"' in img
    assert 'alt="A ball against the wall"' in img
    assert 'width="200"' in img and 'height="400"' in img and 'loading="lazy"' in img
    assert "<figcaption>Left side</figcaption>" in html
    manage = client.get(f"/library/{technique.id}/photos").get_data(as_text=True)
    assert f'href="/library/{technique.id}/photos/{photo.id}/delete"' in manage


def test_the_served_photo_has_no_location_and_is_cached_privately(world, client, as_user):
    as_user(THEO)
    upload(client, world["technique"], phone_jpeg())
    [photo] = photo_rows()
    response = client.get(f"/library/photos/{photo.id}")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert response.headers["ETag"] == f'"{photo.etag}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    image = opened(response.data)
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {} and dict(image.getexif()) == {}
    assert MAKE.encode() not in response.data
    again = client.get(f"/library/photos/{photo.id}",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    changed = client.get(f"/library/photos/{photo.id}", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.data == response.data


def test_a_photo_of_several_megabytes_is_taken(world, client, as_user):
    """Over the 1 MB every other route allows (noise does not compress: ~4.5 MB)."""
    noise = encoded(Image.frombytes("RGB", (1500, 1000), os.urandom(1500 * 1000 * 3)), "PNG")
    assert 4 * 1024 * 1024 < len(noise) < photos.MAX_BYTES
    as_user(THEO)
    assert upload(client, world["technique"], noise, filename="noise.png").status_code == 302
    [photo] = photo_rows()
    assert (photo.width, photo.height) == (1500, 1000)


def test_a_caption_alone_will_do_but_no_words_at_all_will_not(world, client, as_user):
    as_user(THEO)
    response = upload(client, world["technique"], transparent_png(), alt="", caption=" ")
    assert response.status_code == 422
    assert "Please say what the photo shows, for people who can&#39;t see it" in \
        response.get_data(as_text=True)
    assert photo_rows() == []
    response = upload(client, world["technique"], transparent_png(), alt="",
                      caption="Ball on the floor")
    assert response.status_code == 302
    assert [(p.alt, p.caption) for p in photo_rows()] == [("", "Ball on the floor")]


def test_no_file_is_asked_for(world, client, as_user):
    as_user(THEO)
    response = upload(client, world["technique"], None)
    assert response.status_code == 422
    assert "Please choose a photo to add." in response.get_data(as_text=True)


def test_a_php_file_named_jpg_is_refused_with_a_clear_message(world, client, as_user):
    as_user(THEO)
    response = upload(client, world["technique"], PHP, filename="photo.jpg")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That file isn&#39;t a photo we can read. Choose a JPEG, PNG, WebP or HEIC " \
        "picture." in html
    assert "nothing was saved yet" in html
    assert photo_rows() == []


def test_a_20_mb_upload_is_refused_before_it_is_read(world, client, as_user, monkeypatch):
    as_user(THEO)
    path = f"/library/{world['technique'].id}/photos"
    token = csrf_token(client, path)
    monkeypatch.setattr(photos, "prepare", lambda data: pytest.fail("decoded"))
    monkeypatch.setattr(FormDataParser, "parse", lambda *a, **k: pytest.fail("body parsed"))
    response = client.post(path, data={"csrf_token": token,
                                       "photo": (io.BytesIO(b"\xff" * TWENTY_MB), "big.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "<h1>Too large to send</h1>" in html
    assert "That photo is larger than 10 MB. Choose a smaller one. Nothing was saved." in html
    assert photo_rows() == []


def test_a_20_mb_upload_without_a_length_is_cut_off_at_the_limit(world, client, as_user):
    """Sent in chunks with no Content-Length: Werkzeug stops reading at the route's limit."""
    as_user(THEO)
    path = f"/library/{world['technique'].id}/photos"
    token = csrf_token(client, path)
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; "
            f"filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() \
        + b"\xff" * TWENTY_MB + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(path, input_stream=io.BytesIO(body), headers={
        "X-CSRFToken": token, "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert "That photo is larger than 10 MB" in response.get_data(as_text=True)
    assert photo_rows() == []


def test_a_file_just_over_10_mb_in_a_request_within_the_limit_is_refused_by_its_size(
        world, client, as_user):
    as_user(THEO)
    response = upload(client, world["technique"], b"\xff" * (photos.MAX_BYTES + 1))
    assert response.status_code == 422
    assert "That photo is larger than 10 MB. Choose a smaller one." in \
        response.get_data(as_text=True)


def test_other_pages_keep_the_1_mb_limit(world, client, as_user):
    as_user(THEO)
    path = f"/library/{world['technique'].id}/edit"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That was too much data to send at once." in response.get_data(as_text=True)


def test_the_twelfth_photo_is_the_last(world, client, as_user):
    for number in range(photos.MAX_PER_TECHNIQUE):
        add_photo(world["technique"], alt=f"Photo {number}")
    as_user(THEO)
    page = client.get(f"/library/{world['technique'].id}/photos").get_data(as_text=True)
    assert "the most it can have" in page and 'enctype="multipart/form-data"' not in page
    response = upload(client, world["technique"], transparent_png())
    assert response.status_code == 422
    assert len(photo_rows()) == photos.MAX_PER_TECHNIQUE


# --- who may see ---------------------------------------------------------------------------


@pytest.mark.parametrize("email, status", [(THEO, 200), (ANN, 200), (BOB, 404), (TARA, 404)])
def test_only_the_therapist_and_their_clients_get_the_photo(world, client, as_user, email,
                                                             status):
    photo = add_photo(world["technique"])
    as_user(email)
    assert client.get(f"/library/photos/{photo.id}").status_code == status
    page = client.get(f"/library/{world['technique'].id}")
    assert page.status_code == status
    if status == 200:
        assert f'src="/library/photos/{photo.id}"' in page.get_data(as_text=True)


def test_a_client_whose_link_ended_no_longer_gets_it(world, client, as_user):
    photo = add_photo(world["technique"])
    with database.connection_context():
        CareLink.update(active=False).execute()
    as_user(ANN)
    assert client.get(f"/library/photos/{photo.id}").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    photo = add_photo(world["technique"])
    response = client.get(f"/library/photos/{photo.id}")
    assert response.status_code == 302 and response.location.startswith("/login")
    response = client.get(f"/library/photos/{photo.id}", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_an_unknown_photo_is_404(world, client, as_user):
    as_user(THEO)
    assert client.get("/library/photos/999999").status_code == 404


@pytest.mark.parametrize("method, path", [
    ("get", "/library/{t}/photos"), ("post", "/library/{t}/photos"),
    ("get", "/library/{t}/photos/{p}/delete"), ("post", "/library/{t}/photos/{p}/delete"),
])
def test_only_the_owner_manages_photos(world, client, as_user, method, path):
    photo = add_photo(world["technique"])
    url = path.format(t=world["technique"].id, p=photo.id)
    as_user(TARA)
    token = csrf_token(client, "/library")
    response = getattr(client, method)(url, data={"csrf_token": token})
    assert response.status_code == 404
    client.post("/logout", data={"csrf_token": token})
    as_user(ANN)
    token = csrf_token(client, "/library")
    response = getattr(client, method)(url, data={"csrf_token": token})
    assert response.status_code == 403 and b"Only therapists" in response.data
    assert [p.id for p in photo_rows()] == [photo.id]


def test_a_photo_is_deleted_only_through_its_own_technique(world, client, as_user):
    photo = add_photo(world["technique"])
    with database.connection_context():
        other = library.create_owned({"name": "Other", "kind": "stretch"}, world["theo"])
    as_user(THEO)
    token = csrf_token(client, "/library")
    response = client.post(f"/library/{other.id}/photos/{photo.id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 404 and len(photo_rows()) == 1


# --- deleting ------------------------------------------------------------------------------


def test_deleting_a_photo_asks_first(world, client, as_user):
    photo = add_photo(world["technique"], caption="Right side")
    as_user(THEO)
    path = f"/library/{world['technique'].id}/photos/{photo.id}/delete"
    confirm = client.get(path)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete “Right side”?" in html
    assert "Delete photo" in html and len(photo_rows()) == 1  # asking deletes nothing
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert response.location == f"/library/{world['technique'].id}/photos"
    assert photo_rows() == []
    assert client.get(f"/library/photos/{photo.id}").status_code == 404


def test_deleting_the_technique_deletes_its_photos(world, client, as_user):
    photo = add_photo(world["technique"])
    as_user(THEO)
    path = f"/library/{world['technique'].id}/delete"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and photo_rows() == []
    with database.connection_context():
        assert Technique.get_or_none(Technique.id == world["technique"].id) is None
    assert client.get(f"/library/photos/{photo.id}").status_code == 404


def test_deleting_the_account_deletes_the_photos(world, client, as_user):
    add_photo(world["technique"])
    as_user(THEO)
    path = "/settings/data"
    response = client.post("/settings/data/delete", data={
        "csrf_token": csrf_token(client, path), "password": "correct horse battery",
        "confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert photo_rows() == []


def test_the_download_holds_the_photos(world, client, as_user):
    photo = add_photo(world["technique"], phone_jpeg())
    as_user(THEO)
    response = client.post("/settings/data/export",
                           data={"csrf_token": csrf_token(client, "/settings/data")})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    name = f"photos/{world['technique'].slug}-{photo.id}.webp"
    with database.connection_context():
        assert archive.read(name) == photos.picture(photo)
    assert json.loads(archive.read("data.json"))["photos"][0]["file"] == name
