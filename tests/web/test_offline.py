"""Offline: changes replayed with idempotency keys, the manifest, the service worker, the
offline page and the replay session (the browser side is in test_browser_offline.py)."""
import json
import re
import struct
import threading
from datetime import timedelta

import pytest

from tests.conftest import csrf_token, make_user
from tests.web.test_today_views import setup  # noqa: F401 (fixture)
from tracker.store import offline
from tracker.store.db import database
from tracker.store.models import AppliedOperation, CheckIn, CheckOff, User, utcnow

KEY_1 = "0b9c2f0e-5d7a-4a55-9d0e-111111111111"
KEY_2 = "0b9c2f0e-5d7a-4a55-9d0e-222222222222"
KEY_3 = "0b9c2f0e-5d7a-4a55-9d0e-333333333333"


def replay(client, url, key, **fields):
    """What static/js/outbox.js sends: the fields, the key, a fresh token, HX-Request."""
    token = client.get("/offline/session").get_json()["csrf"]
    return client.post(url, data={**fields, "op_id": key},
                       headers={"X-CSRFToken": token, "HX-Request": "true"})


def checkoffs():
    with database.connection_context():
        return sorted((c.item_key, c.day, c.status) for c in CheckOff.select())


# --- apply_once ---------------------------------------------------------------------


def test_a_key_is_applied_once_per_user(app):
    with database.connection_context():
        ann, bob = make_user("ann@example.org"), make_user("bob@example.org")
        runs = []
        assert offline.apply_once(ann, KEY_1, lambda: runs.append("ann"))
        assert not offline.apply_once(ann, KEY_1, lambda: runs.append("ann again"))
        assert offline.apply_once(bob, KEY_1, lambda: runs.append("bob"))  # keys are per user
        assert runs == ["ann", "bob"]


def test_without_a_key_the_change_always_runs(app):
    with database.connection_context():
        ann = make_user("ann@example.org")
        runs = []
        offline.apply_once(ann, None, lambda: runs.append(1))
        offline.apply_once(ann, "", lambda: runs.append(2))
        assert runs == [1, 2]
        assert AppliedOperation.select().count() == 0


def test_a_failed_change_does_not_burn_its_key(app):
    with database.connection_context():
        ann = make_user("ann@example.org")

        def boom():
            raise RuntimeError("database went away")

        with pytest.raises(RuntimeError, match="database went away"):
            offline.apply_once(ann, KEY_1, boom)
        runs = []
        assert offline.apply_once(ann, KEY_1, lambda: runs.append(1))  # the retry applies
        assert runs == [1]


def test_old_keys_are_forgotten_after_a_month(app):
    with database.connection_context():
        ann = make_user("ann@example.org")
        offline.apply_once(ann, KEY_1, lambda: None)
        offline.apply_once(ann, KEY_2, lambda: None)
        AppliedOperation.update(applied_at=utcnow() - timedelta(days=31)).where(
            AppliedOperation.key == KEY_1).execute()
        assert offline.forget_old_keys() == 1
        assert [op.key for op in AppliedOperation.select()] == [KEY_2]


# --- replaying check-offs, undos and skips ---------------------------------------------


def test_check_then_undo_replayed_twice_leaves_the_item_undone(client, setup):  # noqa: F811
    _, today = setup()
    url = f"/today/{today.isoformat()}/s0"
    queue = [(KEY_1, {"done": "1"}), (KEY_2, {"done": "0"})]
    for _ in range(2):
        for key, fields in queue:
            assert replay(client, url, key, **fields).status_code == 200
    assert checkoffs() == []
    # The check-off alone, replayed again after the undo (a lost response), changes nothing.
    assert replay(client, url, KEY_1, done="1").status_code == 200
    assert checkoffs() == []


def test_a_replay_after_a_lost_response_keeps_one_record(client, setup):  # noqa: F811
    _, today = setup()
    for _ in range(3):
        response = replay(client, f"/today/{today.isoformat()}/s0", KEY_1, done="1")
        assert response.status_code == 200
        assert 'aria-pressed="true"' in response.get_data(as_text=True)
    assert checkoffs() == [("s0", today, "done")]


def test_a_replayed_check_off_of_an_item_done_on_another_device_is_one_record(
        client, setup):  # noqa: F811
    _, today = setup()
    url = f"/today/{today.isoformat()}/s1"
    token = csrf_token(client, "/today")
    assert client.post(url, data={"done": "1", "csrf_token": token}).status_code == 302
    assert replay(client, url, KEY_1, done="1").status_code == 200
    assert checkoffs() == [("s1", today, "done")]


def test_a_replayed_skip_is_applied_once(client, setup):  # noqa: F811
    _, today = setup()
    url = f"/today/{today.isoformat()}/s0"
    assert replay(client, url + "/skip", KEY_1, reason="no_time").status_code == 200
    assert replay(client, url, KEY_2, done="1").status_code == 200
    assert replay(client, url + "/skip", KEY_1, reason="no_time").status_code == 200
    assert checkoffs() == [("s0", today, "done")]


def test_a_change_for_a_day_long_past_is_refused_not_applied(client, setup):  # noqa: F811
    _, today = setup()
    old = today - timedelta(days=8)
    assert replay(client, f"/today/{old.isoformat()}/s0", KEY_1, done="1").status_code == 404
    assert checkoffs() == []


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space-in-it", "<script>", "a/b/c/d/e/f"])
def test_a_malformed_key_is_refused(client, setup, key):  # noqa: F811
    _, today = setup()
    assert replay(client, f"/today/{today.isoformat()}/s0", key, done="1").status_code == 400
    assert checkoffs() == []


def test_concurrent_replays_of_one_key_apply_it_once(app, client, setup):  # noqa: F811
    _, today = setup()
    url = f"/today/{today.isoformat()}/s0"
    token = client.get("/offline/session").get_json()["csrf"]
    cookie = client.get_cookie("session").value
    statuses = []

    def send():
        with app.test_client() as other:
            other.set_cookie("session", cookie)
            r = other.post(url, data={"done": "1", "op_id": KEY_1},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
            statuses.append(r.status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
    assert checkoffs() == [("s0", today, "done")]
    with database.connection_context():
        assert AppliedOperation.select().count() == 1


# --- replaying check-ins --------------------------------------------------------------


def checkins():
    with database.connection_context():
        return sorted((c.day, c.leg_pain, c.back_pain) for c in CheckIn.select())


def test_an_offline_check_in_keeps_the_day_it_was_made(client, setup):  # noqa: F811
    _, today = setup()
    yesterday = today - timedelta(days=1)
    response = replay(client, "/checkin", KEY_1, leg_pain="6", back_pain="3",
                      day=yesterday.isoformat())
    assert response.status_code == 302
    assert checkins() == [(yesterday, 6, 3)]


def test_a_replayed_check_in_does_not_overwrite_a_later_edit(client, setup):  # noqa: F811
    _, today = setup()
    assert replay(client, "/checkin", KEY_1, leg_pain="6", back_pain="3").status_code == 302
    assert replay(client, "/checkin", KEY_2, leg_pain="4", back_pain="2").status_code == 302
    assert replay(client, "/checkin", KEY_1, leg_pain="6", back_pain="3").status_code == 302
    assert checkins() == [(today, 4, 2)]


@pytest.mark.parametrize("days", [1, 8, 400])
def test_a_check_in_for_a_future_or_long_past_day_is_refused(client, setup, days):  # noqa: F811
    _, today = setup()
    day = today + timedelta(days=days) if days == 1 else today - timedelta(days=days)
    response = replay(client, "/checkin", KEY_1, leg_pain="6", back_pain="3",
                      day=day.isoformat())
    assert response.status_code == 422
    assert "today or the 7 days before" in response.get_data(as_text=True)
    assert checkins() == []


def test_a_check_in_with_a_nonsense_day_is_refused(client, setup):  # noqa: F811
    setup()
    response = replay(client, "/checkin", KEY_1, leg_pain="6", back_pain="3", day="2026-02-30")
    assert response.status_code == 422
    assert checkins() == []


# --- the replay session ---------------------------------------------------------------


def test_the_session_needs_a_login(client):
    response = client.get("/offline/session")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_session_names_the_user_and_gives_a_working_token(client, setup):  # noqa: F811
    _, today = setup()
    response = client.get("/offline/session")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    with database.connection_context():
        assert body["user"] == User.get(User.email == "client@example.org").id
    assert body["csrf"]
    # Without the token the same post is refused.
    url = f"/today/{today.isoformat()}/s0"
    assert client.post(url, data={"done": "1"}).status_code == 400
    assert replay(client, url, KEY_3, done="1").status_code == 200


# --- manifest, service worker, offline page -------------------------------------------


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/today"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png.data[16:24])
        assert f"{width}x{height}" == icon["sizes"]


def test_pages_link_the_manifest_and_the_worker(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert 'data-sw="/sw.js"' in page


def test_the_service_worker_has_its_version_and_files_filled_in(client):
    response = client.get("/sw.js")
    source = response.get_data(as_text=True)
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "__" not in re.sub(r"__proto__", "", source.split("// --- push ---")[0])
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', source)
    assert version
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))
    assert "/offline" in precache
    for url in precache:
        assert client.get(url).status_code == 200, url


def test_a_change_to_a_stored_file_makes_a_new_version(app, client, monkeypatch):
    from tracker.web.offline import routes as view

    def version():
        source = client.get("/sw.js").get_data(as_text=True)
        return re.search(r'const VERSION = "([0-9a-f]{16})";', source).group(1)

    before = version()
    monkeypatch.setattr(view, "PRECACHE_STATIC", (*view.PRECACHE_STATIC, "icons/icon-512.png"))
    assert version() != before


def test_the_offline_page_is_public(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert "You're offline" in response.get_data(as_text=True)


def test_today_marks_the_forms_that_work_offline(client, setup):  # noqa: F811
    setup()
    page = client.get("/today").get_data(as_text=True)
    assert 'data-offline="check"' in page and 'data-offline="skip"' in page
    assert 'id="install-app"' in page
    checkin = client.get("/checkin").get_data(as_text=True)
    assert 'data-offline="checkin"' in checkin and 'id="checkin-saved-offline"' in checkin
    assert "<title>Check in · Sciatica care plan</title>" in checkin


def test_deleting_the_account_deletes_its_keys(client, setup):  # noqa: F811
    _, today = setup()
    replay(client, f"/today/{today.isoformat()}/s0", KEY_1, done="1")
    from tracker.store import privacy

    with database.connection_context():
        privacy.delete_account(User.get(User.email == "client@example.org"))
        assert AppliedOperation.select().count() == 0
