"""Web push: VAPID keys, sending through a fake push service, and the push routes."""
import base64
import os
import socket
import stat
import threading
from datetime import UTC, datetime, time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.conftest import STRETCH_ITEM, Auth, csrf_token, make_user, sign_in_token
from tests.fake_push_service import FakePushService, b64url
from tracker import create_app
from tracker.config import _instance_key, vapid_public_key
from tracker.domain import push_payload, push_subscription, vapid
from tracker.domain import reminder_select as select
from tracker.jobs import push, reminders
from tracker.store import checkoffs, plans, privacy, tokens
from tracker.store.db import database
from tracker.store.models import (
    CheckOff,
    Plan,
    PushSubscription,
    ReminderPreference,
    User,
    create_tables,
)

SUBJECT = "mailto:reminders@localhost"
VAPID_PEM = vapid.private_pem(ec.generate_private_key(ec.SECP256R1()))
VAPID_PUBLIC = vapid.public_key_b64(vapid.load_private_key(VAPID_PEM))
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")

STRETCH = STRETCH_ITEM
SPEC = {"phases": [{"name": "Acute", "exit": {"kind": "manual"},
                    "items": [{**STRETCH, "key": f"s{i}", "name": f"Stretch {i}"}
                              for i in range(4)]}]}


@pytest.fixture
def app(tmp_path):
    """The app with a known VAPID key, and endpoints on 127.0.0.1 allowed (the fake service)."""
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "VAPID_PRIVATE_KEY": VAPID_PEM,
        "PUSH_ALLOW_INSECURE_LOCALHOST": True,
    })
    create_tables()
    return app


@pytest.fixture
def service(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakePushService(expected_subject=SUBJECT, expected_public_key=VAPID_PUBLIC).start()
    yield fake
    fake.stop()


@pytest.fixture
def user(app):
    with database.connection_context():
        return make_user()


@pytest.fixture
def logged_in(user, client):
    """Logged in through Flask-Login's session key (the login form is tested elsewhere)."""
    with client.session_transaction() as session:
        session["_user_id"] = sign_in_token(user)
        session["_fresh"] = True
    return user


def db(query):
    with database.connection_context():
        return query()


def subscriptions():
    return db(lambda: [(s.user_id, s.endpoint, s.p256dh, s.auth, s.label)
                       for s in PushSubscription.select().order_by(PushSubscription.id)])


def post_json(client, url, body, htmx=False, token=True, **headers):
    if token:
        headers["X-CSRFToken"] = csrf_token(client, "/today")
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(url, json=body, headers=headers)


def fake_subscription(endpoint="https://fcm.googleapis.com/fcm/send/device-1"):
    """A browser's toJSON() with real-looking keys (no push service behind it)."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    raw = b"\x04" + point.x.to_bytes(32, "big") + point.y.to_bytes(32, "big")
    return {"endpoint": endpoint, "expirationTime": None,
            "keys": {"p256dh": b64url(raw), "auth": b64url(os.urandom(16))}}


# --- VAPID keys -------------------------------------------------------------------------


@pytest.fixture
def bare_app(tmp_path, monkeypatch):
    """create_app with its instance folder in tmp_path and no VAPID settings in the env."""
    for name in ("TRACKER_VAPID_PRIVATE_KEY", "TRACKER_VAPID_PUBLIC_KEY", "TRACKER_VAPID_SUBJECT"):
        monkeypatch.delenv(name, raising=False)
    return lambda **config: create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
                                        "INSTANCE_PATH": str(tmp_path), **config})


def test_key_pair_is_generated_once_into_the_instance_folder(bare_app, tmp_path):
    first, second = bare_app(), bare_app()
    key_file = tmp_path / "vapid_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert vapid_public_key(first) == vapid_public_key(second)
    assert first.config["VAPID_SUBJECT"] == "mailto:reminders@localhost"
    assert first.config["PUSH_ALLOW_INSECURE_LOCALHOST"] is False


def test_public_key_is_what_browsers_take_as_application_server_key(bare_app):
    key = vapid_public_key(bare_app())
    assert "=" not in key and "+" not in key and "/" not in key
    raw = base64.urlsafe_b64decode(key + "=")
    assert len(raw) == 65 and raw[0] == 4


def test_environment_overrides_the_generated_key(bare_app, tmp_path, monkeypatch):
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))  # web-push's form
    monkeypatch.setenv("TRACKER_VAPID_PRIVATE_KEY", raw)
    monkeypatch.setenv("TRACKER_VAPID_SUBJECT", "mailto:ops@example.org")
    app = bare_app()
    assert vapid_public_key(app) == vapid.public_key_b64(key)
    assert app.config["VAPID_SUBJECT"] == "mailto:ops@example.org"
    assert not (tmp_path / "vapid_private.pem").exists()


def test_a_pem_key_and_its_public_key_can_be_given(bare_app, monkeypatch):
    monkeypatch.setenv("TRACKER_VAPID_PRIVATE_KEY", VAPID_PEM)
    monkeypatch.setenv("TRACKER_VAPID_PUBLIC_KEY", VAPID_PUBLIC)
    assert vapid_public_key(bare_app()) == VAPID_PUBLIC


@pytest.mark.parametrize("config, message", [
    ({"VAPID_PRIVATE_KEY": "not a key"}, "not a readable key"),
    ({"VAPID_PRIVATE_KEY": VAPID_PEM, "VAPID_PUBLIC_KEY": b64url(b"\x04" + bytes(64))},
     "does not belong"),
])
def test_bad_vapid_settings_stop_the_app_at_start(bare_app, config, message):
    with pytest.raises(ValueError, match=message):
        bare_app(**config)


def test_workers_starting_together_agree_on_one_key(tmp_path):
    path, barrier, keys = tmp_path / "vapid_private.pem", threading.Barrier(8), []

    def start():
        barrier.wait()
        keys.append(vapid.public_key_b64(_instance_key(path)))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["vapid_private.pem"]


# --- sending through the fake push service ------------------------------------------------


def send(subscription, payload, **kwargs):
    return push.send(subscription, payload, vapid_private_key=VAPID_PEM, subject=SUBJECT,
                     **kwargs)


def test_send_signs_vapid_and_encrypts_for_the_device(service):
    payload = push_payload.build_payload(["Piriformis stretch", "Knee-to-chest stretch"],
                                         "/push/done/abc", tag="selfcare-2026-05-04")
    result = send(service.subscribe(), payload, ttl=600)
    assert result == push.SendResult(push.SENT, 201)
    assert service.errors == []
    assert service.payloads == [payload]
    assert service.messages[0].headers["ttl"] == "600"
    assert service.messages[0].claims["aud"] == service.origin


@pytest.mark.parametrize("status, outcome", [
    (200, push.SENT), (202, push.SENT),
    (404, push.GONE), (410, push.GONE),
    (429, push.RETRY), (500, push.RETRY), (503, push.RETRY),
    (400, push.FAILED), (403, push.FAILED), (413, push.FAILED),
])
def test_push_service_answers_map_to_outcomes(service, status, outcome):
    service.answer(status, **({"Retry-After": "120"} if status == 429 else {}))
    result = send(service.subscribe(), {"title": "t", "body": "b"})
    assert (result.status, result.http_status) == (outcome, status)
    assert result.retryable == (outcome == push.RETRY)
    if status == 429:
        assert result.retry_after == "120"


def test_an_unreachable_push_service_is_retried():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the send: connection refused
    sub = {**fake_subscription(), "endpoint": f"http://127.0.0.1:{port}/push/x"}
    result = send(sub, {"title": "t"}, timeout=2)
    assert result.status == push.RETRY and "ConnectionError" in result.error


def test_a_payload_too_big_to_push_is_refused_before_sending():
    with pytest.raises(ValueError, match="bytes"):
        send(fake_subscription(), {"body": "x" * push_payload.MAX_PAYLOAD_BYTES})


def test_send_to_user_deletes_gone_devices_and_reports_errors(app, service, user):
    subs = [service.subscribe() for _ in range(3)]
    service.answer(410, endpoint=subs[1]["endpoint"])
    service.answer(500, endpoint=subs[2]["endpoint"])
    with database.connection_context():
        for sub in subs:
            PushSubscription.create(user=user, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"])
        result = push.send_to_user(user, {"title": "Hi"}, app.config)
    assert (result.sent, result.gone_deleted) == (1, 1)
    assert [e.status for e in result.errors] == [push.RETRY]
    assert [s[1] for s in subscriptions()] == [subs[0]["endpoint"], subs[2]["endpoint"]]
    assert service.errors == []


@pytest.mark.parametrize("names, body", [
    (["Piriformis stretch"], "Piriformis stretch"),
    (["Piriformis stretch", "Knee-to-chest stretch"],
     "Piriformis stretch and Knee-to-chest stretch"),
    (["A", "B", "C"], "A, B and C"),
    (["Piriformis stretch", "Knee-to-chest stretch", "Heat", "Ice"],
     "Piriformis stretch, Knee-to-chest stretch and 2 more"),
])
def test_payload_wording(names, body):
    payload = push_payload.build_payload(names, "/push/done/t")
    assert payload == {"title": "Time for your stretches", "body": body, "url": "/today",
                       "actions": [{"action": "done", "title": "Done all"}],
                       "done_url": "/push/done/t"}


def test_a_session_reminder_has_no_done_action():
    payload = push_payload.build_payload((), "/push/done/t", session="Deep tissue massage at 10:00")
    assert payload == {"title": "Your session is tomorrow",
                       "body": "Deep tissue massage at 10:00", "url": "/today"}


# --- the reminder worker's channel, end to end --------------------------------------------


@pytest.fixture
def plan(app, user):
    with database.connection_context():
        return plans.create_plan(user, SPEC, plans.local_today(user), title="Plan",
                                 created_by=user)


def reminder(user, keys, session=None, names=None):
    """A reminder listing the plan's items ``keys`` (named as SPEC names them)."""
    slot = select.SESSION_EVE if session else select.SELFCARE_1
    names = names or {key: f"Stretch {key[1:]}" for key in keys}
    items = tuple(select.ReminderItem(key, names[key]) for key in keys)
    return select.Reminder(user.id, slot, plans.local_today(user), select.PUSH, items,
                           session, datetime.now(UTC))


def subscribe_device(service, user):
    sub = service.subscribe()
    db(lambda: PushSubscription.create(user=user, endpoint=sub["endpoint"],
                                       p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    return sub


def test_reminder_done_action_checks_items_off_without_a_session(app, service, user, plan):
    subscribe_device(service, user)
    with app.app_context(), database.connection_context():
        detail = reminders.SENDERS[select.PUSH](user, reminder(user, ["s0", "s1", "s3"]))
    assert detail == "push: 1 sent, 0 gone, 0 failed"
    [payload] = service.payloads
    # the plan is self-guided and starts today: its default questionnaire is due (issue 19)
    assert payload["body"] == ("Stretch 0, Stretch 1 and Stretch 3. A short questionnaire is "
                               "due today.")
    assert payload["url"] == "/today" and payload["tag"].startswith("selfcare-")
    response = app.test_client().post(payload["done_url"])  # no login, no CSRF token
    assert response.status_code == 200
    assert response.json == {"checked": ["s0", "s1", "s3"]}


def test_done_checks_off_the_listed_item_not_another_with_the_same_name(app, service, user):
    """Items are identified by key: two both called "Stretch", the reminder lists one."""
    twins = {"phases": [{"name": "Acute", "exit": {"kind": "manual"},
                         "items": [{**STRETCH, "key": key, "name": "Stretch"}
                                   for key in ("a", "b")]}]}
    subscribe_device(service, user)
    with app.app_context(), database.connection_context():
        plan = plans.create_plan(user, twins, plans.local_today(user), title="Plan",
                                 created_by=user)
        reminders.SENDERS[select.PUSH](user, reminder(user, ["a"], names={"a": "Stretch"}))
    [payload] = service.payloads
    assert payload["body"] == "Stretch. A short questionnaire is due today."
    response = app.test_client().post(payload["done_url"])
    assert response.status_code == 200 and response.json == {"checked": ["a"]}
    with database.connection_context():
        assert [(c.item_key, c.status) for c in CheckOff.select().where(CheckOff.plan == plan)
                ] == [("a", "done")]


def test_reminder_that_reached_no_device_is_retried(app, service, user, plan):
    sub = subscribe_device(service, user)
    service.answer(503, endpoint=sub["endpoint"])
    with app.app_context(), database.connection_context(), pytest.raises(push.PushFailed):
        reminders.SENDERS[select.PUSH](user, reminder(user, ["s0"]))


def test_session_reminder_payload(app, service, user, plan):
    subscribe_device(service, user)
    with app.app_context(), database.connection_context():
        session = reminder(user, (), session="Deep tissue massage at 10:00")
        reminders.SENDERS[select.PUSH](user, session)
    [payload] = service.payloads
    assert payload["title"] == "Your session is tomorrow" and "done_url" not in payload


def test_the_push_reminder_mentions_it(app, service, user, plan):
    """The plan is self-guided and starts today: the PSFS is due (the default)."""
    subscribe_device(service, user)
    with app.app_context(), database.connection_context():
        reminders.SENDERS[select.PUSH](user, reminder(user, ["s0"]))
        session = reminder(user, (), session="Deep tissue massage at 10:00")
        reminders.SENDERS[select.PUSH](user, session)
    first, second = service.payloads
    assert first["body"] == "Stretch 0. A short questionnaire is due today."
    assert second["body"] == "Deep tissue massage at 10:00"



# --- GET /sw.js ---------------------------------------------------------------------------


def test_service_worker_is_served_from_the_root(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "// --- push ---" in body and 'addEventListener("notificationclick"' in body
    with app.test_request_context():
        from flask import url_for

        assert url_for("offline.service_worker") == "/sw.js"


# --- POST /push/subscribe -----------------------------------------------------------------


def test_subscribe_stores_the_device_and_turns_push_on(client, logged_in):
    sub = fake_subscription()
    response = post_json(client, "/push/subscribe", sub, **{"User-Agent": ANDROID_CHROME})
    assert response.status_code == 201
    assert response.json == {"subscribed": True, "label": "Chrome on Android"}
    assert subscriptions() == [(logged_in.id, sub["endpoint"], sub["keys"]["p256dh"],
                                sub["keys"]["auth"], "Chrome on Android")]
    assert db(lambda: ReminderPreference.get(user=logged_in).push) is True


def test_subscribe_keeps_other_reminder_settings(client, logged_in):
    db(lambda: ReminderPreference.create(user=logged_in, email=True, selfcare_time="07:30"))
    post_json(client, "/push/subscribe", fake_subscription())
    pref = db(lambda: ReminderPreference.get(user=logged_in))
    assert (pref.push, pref.email, pref.selfcare_time) == (True, True, time(7, 30))


def test_subscribe_from_htmx_answers_with_the_devices_fragment(client, logged_in):
    response = post_json(client, "/push/subscribe",
                         fake_subscription("https://updates.push.services.mozilla.com/wpush/v2/x"),
                         htmx=True, **{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
                                                     "Gecko/20100101 Firefox/128.0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("<div id=\"push-devices\"") and "<html" not in html
    assert "Firefox on Linux" in html and "Remove" in html
    assert "Turn on notifications on this device" in html
    assert f'data-vapid-key="{VAPID_PUBLIC}"' in html
    assert "<script" not in html and "style=" not in html


def test_subscribing_twice_keeps_one_row(client, logged_in):
    sub = fake_subscription()
    post_json(client, "/push/subscribe", sub)
    sub["keys"]["auth"] = b64url(os.urandom(16))
    assert post_json(client, "/push/subscribe", sub).status_code == 201
    assert [s[3] for s in subscriptions()] == [sub["keys"]["auth"]]


def test_resubscribing_on_a_shared_device_moves_it_to_the_new_user(app, client, logged_in):
    sub = fake_subscription()
    post_json(client, "/push/subscribe", sub)
    other = db(lambda: make_user(email="other@example.org"))
    second = app.test_client()
    Auth(second).login("other@example.org")
    assert post_json(second, "/push/subscribe", sub).status_code == 201  # the same keys
    assert [(s[0], s[1]) for s in subscriptions()] == [(other.id, sub["endpoint"])]


@pytest.mark.parametrize("changed", ["p256dh", "auth", "both"])
def test_an_endpoint_of_another_account_is_not_taken_without_its_keys(app, client, logged_in,
                                                                      changed):
    """Knowing someone's endpoint is not enough: their reminders keep going to them."""
    sub = fake_subscription()
    post_json(client, "/push/subscribe", sub, **{"User-Agent": ANDROID_CHROME})
    before = subscriptions()
    db(lambda: make_user(email="other@example.org"))
    thief = app.test_client()
    Auth(thief).login("other@example.org")
    forged = fake_subscription(sub["endpoint"])
    if changed != "both":
        forged["keys"] = {**sub["keys"], changed: forged["keys"][changed]}
    for htmx in (False, True):
        response = post_json(thief, "/push/subscribe", forged, htmx=htmx)
        assert response.status_code == 409
        assert response.json == {"error": "This browser's notifications belong to another "
                                          "account. Turn notifications off and on again "
                                          "here to use them."}
    assert subscriptions() == before  # the owner's row, keys and label untouched
    assert db(lambda: ReminderPreference.select().where(
        ReminderPreference.push).count()) == 1  # push was not turned on for the thief


def test_a_fresh_subscription_from_the_same_browser_is_its_own(app, client, logged_in):
    post_json(client, "/push/subscribe", fake_subscription())
    other = db(lambda: make_user(email="other@example.org"))
    second = app.test_client()
    Auth(second).login("other@example.org")
    fresh = fake_subscription("https://fcm.googleapis.com/fcm/send/device-1-new")
    assert post_json(second, "/push/subscribe", fresh).status_code == 201
    assert sorted((s[0], s[1]) for s in subscriptions()) == sorted([
        (logged_in.id, "https://fcm.googleapis.com/fcm/send/device-1"),
        (other.id, fresh["endpoint"])])


GOOD = fake_subscription()


def _with(endpoint=GOOD["endpoint"], **keys):
    return {"endpoint": endpoint, "keys": {**GOOD["keys"], **keys}}


@pytest.mark.parametrize("body, status, message", [
    ([], 422, "JSON object"),
    ({}, 422, "no endpoint"),
    ({"endpoint": 5, "keys": GOOD["keys"]}, 422, "no endpoint"),
    (_with("http://push.example.com/x"), 422, "https"),
    (_with("ftp://127.0.0.1/x"), 422, "https"),
    (_with("https://user:pw@fcm.googleapis.com/x"), 422, "usable URL"),
    (_with("https://fcm.googleapis.com:99999/x"), 422, "usable URL"),
    (_with("https://fcm.googleapis.com/a b"), 422, "usable URL"),
    (_with("https://fcm.googleapis.com/" + "a" * 1000), 422, "usable URL"),
    (_with("https:///nohost"), 422, "usable URL"),
    (_with("https://10.0.0.1/x"), 422, "push service"),
    (_with("https://printer.localhost/x"), 422, "push service"),
    (_with("https://[::ffff:10.0.0.1]/x"), 422, "push service"),
    (_with("https://evil.example.com/x"), 422, "not a push service"),
    (_with("https://fcm.googleapis.com.evil.example/x"), 422, "not a push service"),
    ({"endpoint": GOOD["endpoint"]}, 422, "no keys"),
    ({"endpoint": GOOD["endpoint"], "keys": "x"}, 422, "no keys"),
    (_with(p256dh="!!!"), 422, "p256dh"),
    (_with(p256dh=None), 422, "p256dh"),
    (_with(p256dh=b64url(b"\x04" + bytes(63))), 422, "p256dh"),
    (_with(p256dh=b64url(b"\x04" + bytes(64))), 422, "p256dh"),  # not on the curve
    (_with(p256dh="A" * 300), 422, "p256dh"),
    (_with(auth=b64url(bytes(15))), 422, "auth"),
    (_with(auth=16), 422, "auth"),
])
def test_subscribe_rejects_bad_bodies_with_a_message(client, logged_in, body, status, message):
    response = post_json(client, "/push/subscribe", body)
    assert response.status_code == status
    assert message in response.json["error"]
    assert subscriptions() == []


@pytest.mark.parametrize("data, content_type", [
    ("not json", "application/json"),
    ('{"endpoint": ', "application/json"),
    ("endpoint=https://fcm.googleapis.com/x", "application/x-www-form-urlencoded"),
])
def test_subscribe_needs_a_json_body(client, logged_in, data, content_type):
    headers = {"X-CSRFToken": csrf_token(client, "/today")}
    response = client.post("/push/subscribe", data=data, content_type=content_type,
                           headers=headers)
    assert response.status_code == 400
    assert "JSON" in response.json["error"]


def test_local_endpoints_are_refused_unless_allowed():
    sub = {**GOOD, "endpoint": "http://127.0.0.1:8000/push/x"}
    with pytest.raises(push_subscription.InvalidSubscription, match="https"):
        push_subscription.parse_subscription(sub, {"PUSH_ENDPOINT_HOSTS": []})
    assert push_subscription.parse_subscription(
        sub, {"PUSH_ALLOW_INSECURE_LOCALHOST": True})["endpoint"]
    any_host = {**GOOD, "endpoint": "https://push.example.net/x"}
    assert push_subscription.parse_subscription(any_host, {"PUSH_ENDPOINT_HOSTS": []})


def test_subscribe_without_csrf_token_is_refused(client, logged_in):
    response = post_json(client, "/push/subscribe", fake_subscription(), token=False)
    assert response.status_code == 400
    assert subscriptions() == []


def test_subscribe_anonymous_is_sent_to_login(client, user):
    token = csrf_token(client)
    response = client.post("/push/subscribe", json=fake_subscription(),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 302 and response.location.startswith("/login")
    response = client.post("/push/subscribe", json=fake_subscription(),
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")
    assert subscriptions() == []


# --- unsubscribe and delete ---------------------------------------------------------------


def test_unsubscribe_forgets_this_device_only_for_its_user(app, client, logged_in):
    mine, theirs = fake_subscription(), fake_subscription("https://fcm.googleapis.com/x/2")
    post_json(client, "/push/subscribe", mine)
    db(lambda: make_user(email="other@example.org"))
    other = app.test_client()
    Auth(other).login("other@example.org")
    post_json(other, "/push/subscribe", theirs)
    assert post_json(client, "/push/unsubscribe", {"endpoint": theirs["endpoint"]}).status_code \
        == 204
    assert post_json(client, "/push/unsubscribe", {"endpoint": mine["endpoint"]}).status_code \
        == 204
    assert [s[1] for s in subscriptions()] == [theirs["endpoint"]]


@pytest.mark.parametrize("body", [{}, [], {"endpoint": 3}, {"endpoint": ""}])
def test_unsubscribe_needs_an_endpoint(client, logged_in, body):
    assert post_json(client, "/push/unsubscribe", body).status_code == 400


def _own_device(client, user_agent=ANDROID_CHROME):
    sub = fake_subscription(f"https://fcm.googleapis.com/fcm/send/{b64url(os.urandom(9))}")
    post_json(client, "/push/subscribe", sub, **{"User-Agent": user_agent})
    return db(lambda: PushSubscription.select().order_by(PushSubscription.id.desc()).first().id)


def test_delete_from_a_plain_form_redirects_to_the_settings(client, logged_in):
    sub_id = _own_device(client)
    response = client.post(f"/push/subscriptions/{sub_id}/delete",
                           data={"csrf_token": csrf_token(client, "/today")})
    assert response.status_code == 302 and response.location == "/settings/reminders"
    assert subscriptions() == []


def test_delete_from_htmx_answers_with_the_updated_list(client, logged_in):
    keep = _own_device(client, "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0 Safari/537.36 Edg/126.0")
    gone = _own_device(client)
    response = client.post(f"/push/subscriptions/{gone}/delete",
                           data={"csrf_token": csrf_token(client, "/today")},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Edge on Windows" in html and "Chrome on Android" not in html
    assert db(lambda: [p.id for p in PushSubscription.select()]) == [keep]


def test_someone_elses_device_cannot_be_deleted(app, client, logged_in):
    db(lambda: make_user(email="other@example.org"))
    other = app.test_client()
    Auth(other).login("other@example.org")
    theirs = _own_device(other)
    response = client.post(f"/push/subscriptions/{theirs}/delete",
                           data={"csrf_token": csrf_token(client, "/today")})
    assert response.status_code == 404
    assert len(subscriptions()) == 1
    assert client.post("/push/subscriptions/999/delete",
                       data={"csrf_token": csrf_token(client, "/today")}).status_code == 404


def test_delete_needs_the_csrf_token(client, logged_in):
    sub_id = _own_device(client)
    assert client.post(f"/push/subscriptions/{sub_id}/delete").status_code == 400
    assert len(subscriptions()) == 1


# --- POST /push/done/<token> --------------------------------------------------------------


def token_for(app, user, plan, keys, day=None):
    return tokens.done_token(app.config["SECRET_KEY"], user, plan.id,
                             day or plans.local_today(user), keys)


def done_rows():
    return db(lambda: sorted((c.item_key, c.status) for c in CheckOff.select()))


def test_done_checks_due_items_off_once(app, client, user, plan):
    today = plans.local_today(user)
    db(lambda: checkoffs.skip(plan, "s2", today, "no_time"))
    token = token_for(app, user, plan, ["s0", "s1", "s2", "not-in-plan"])
    first = client.post(f"/push/done/{token}")
    assert first.status_code == 200 and first.json == {"checked": ["s0", "s1"]}
    second = client.post(f"/push/done/{token}")
    assert second.status_code == 200 and second.json == {"checked": []}
    assert done_rows() == [("s0", "done"), ("s1", "done"), ("s2", "skipped")]


def test_done_is_post_only(app, client, user, plan):
    assert client.get(f"/push/done/{token_for(app, user, plan, ['s0'])}").status_code == 405


def test_expired_done_token_is_gone(app, client, user, plan, monkeypatch):
    long_ago = int(datetime.now(UTC).timestamp()) - tokens.DONE_MAX_AGE - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: long_ago)
    token = token_for(app, user, plan, ["s0"])
    monkeypatch.undo()
    assert client.post(f"/push/done/{token}").status_code == 410
    assert done_rows() == []


def _tampered(token):
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


@pytest.mark.parametrize("make", [
    lambda app, token: _tampered(token),
    lambda app, token: "not-a-token",
    lambda app, token: URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        {"u": 1, "p": 1, "d": "2026-01-01", "k": ["s0"]}),
    lambda app, token: URLSafeTimedSerializer("another key", salt=tokens.DONE_SALT).dumps(
        {"u": 1, "p": 1, "d": "2026-01-01", "k": ["s0"]}),
    lambda app, token: URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.DONE_SALT)
    .dumps({"u": 1, "p": 1, "d": "someday", "k": ["s0"]}),
])
def test_forged_or_tampered_done_token_is_not_found(app, client, user, plan, make):
    token = make(app, token_for(app, user, plan, ["s0"]))
    assert client.post(f"/push/done/{token}").status_code == 404
    assert done_rows() == []


def test_a_deleted_accounts_done_link_does_nothing_to_an_account_with_its_id(
        app, client, user, plan):
    """Before migration 12 SQLite gave a deleted account's id to the next one: the link
    names the account's link key too, which no other account has."""
    token = token_for(app, user, plan, ["s0"])
    db(lambda: privacy.delete_account(user))
    heir = db(lambda: make_user(email="heir@example.org"))
    db(lambda: User.update(id=user.id).where(User.id == heir.id).execute())  # the old id
    db(lambda: Plan.create(id=plan.id, client=user.id, title="Heir's plan", start=plan.start))
    assert client.post(f"/push/done/{token}").status_code == 404
    assert done_rows() == []


def test_an_older_versions_done_link_without_a_link_key_is_not_found(app, client, user, plan):
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.DONE_SALT).dumps(
        {"u": user.id, "p": plan.id, "d": plans.local_today(user).isoformat(), "k": ["s0"]})
    assert client.post(f"/push/done/{old}").status_code == 404
    assert done_rows() == []


def test_done_for_a_plan_no_longer_the_users_is_not_found(app, client, user, plan):
    token = token_for(app, user, plan, ["s0"])
    other = db(lambda: make_user(email="other@example.org"))
    db(lambda: Plan.update(client=other).where(Plan.id == plan.id).execute())
    assert client.post(f"/push/done/{token}").status_code == 404
    assert done_rows() == []


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
def test_devices_list_in_a_phone_browser(page, live_server, tmp_path):
    """The button appears where push is supported, the worker registers, Remove swaps."""
    from playwright.sync_api import expect

    page.goto(f"{live_server}/register")
    page.get_by_label("Email").fill("push-browser@example.org")
    page.get_by_label("Name").fill("Pat Push")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    live_server.rows(
        "INSERT INTO pushsubscription (user_id, endpoint, p256dh, auth, label, created_at) "
        "SELECT id, 'https://fcm.googleapis.com/fcm/send/browser-test', 'k', 'a', "
        "'Chrome on Android', datetime('now') FROM user WHERE email = ?",
        "push-browser@example.org",
    )
    page.goto(f"{live_server}/settings/reminders")
    expect(page.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
    scope = page.evaluate("navigator.serviceWorker.register('/sw.js').then(r => r.scope)")
    assert scope == f"{live_server}/"
    page.screenshot(path=tmp_path / "push-devices.png", full_page=True)

    page.locator("#push-devices").get_by_role("button", name="Remove").click()
    expect(page.locator("#push-devices")).to_contain_text("No device gets notifications yet")
    expect(page.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
    assert live_server.rows("SELECT id FROM pushsubscription WHERE endpoint LIKE '%browser-test'") \
        == []
