"""Accounts as a service: sign-ins on the server, reset links (hash only, one hour, single
use), profile changes, and forgetting what ended long ago."""
import hashlib
import threading
from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, make_user
from tracker.store import accounts, reminder_settings
from tracker.store.db import database
from tracker.store.models import LoginSession, PasswordReset, ReminderPreference, User, utcnow

NOW = utcnow()


@pytest.fixture
def user(app):
    """A client; the test runs inside a database connection."""
    with database.connection_context():
        yield make_user()


@pytest.fixture
def sent():
    """The reset tokens announced to the worker, in order."""
    tokens = []

    def keep(user_id, token):
        tokens.append(token)

    accounts.reset_requested.connect(keep)
    yield tokens
    accounts.reset_requested.disconnect(keep)


def test_a_sign_in_is_stored_as_a_hash_and_ends(user):
    token = accounts.start_session(user, "", now=NOW)
    assert user.login_token == token and len(token) == 43
    assert token not in repr(database.execute_sql('SELECT * FROM "loginsession"').fetchall())
    assert LoginSession.get().token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert accounts.user_for_session(token, NOW).login_token == token
    assert accounts.end_session(token, NOW)
    assert accounts.user_for_session(token, NOW) is None


@pytest.mark.parametrize("token", [None, "", "x", "A" * 43, "A" * 42 + "\x00", 12])
def test_malformed_or_unknown_sign_in_tokens_load_nobody(user, token):
    accounts.start_session(user, "")
    assert accounts.user_for_session(token, NOW) is None
    assert accounts.end_session(token, NOW) is False


def test_a_sign_in_idle_too_long_has_ended(user):
    token = accounts.start_session(user, "", now=NOW)
    assert accounts.user_for_session(token, NOW + accounts.IDLE_LIMIT) is None
    assert list(accounts.sessions_of(user, NOW + accounts.IDLE_LIMIT)) == []
    assert accounts.user_for_session(token, NOW + accounts.IDLE_LIMIT / 2) is not None


def test_a_password_change_keeps_only_this_sign_in(user):
    here = accounts.start_session(user, "", now=NOW)
    there = accounts.start_session(user, "", now=NOW)
    accounts.change_password(user, "a brand new password", keep_token=here, now=NOW)
    assert accounts.user_for_session(here, NOW) is not None
    assert accounts.user_for_session(there, NOW) is None
    assert User.authenticate(user.email, "a brand new password")


def test_only_the_hash_of_a_reset_token_is_stored(user, sent):
    assert accounts.request_reset(" Client@Example.org ", NOW) is True
    [token] = sent
    row = PasswordReset.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at == NOW + timedelta(hours=1)
    assert token not in repr(database.execute_sql('SELECT * FROM "passwordreset"').fetchall())


def test_an_unknown_email_makes_no_link(user, sent):
    assert accounts.request_reset("nobody@example.org", NOW) is False
    assert accounts.request_reset("a\x00b@example.org", NOW) is False
    assert sent == [] and PasswordReset.select().count() == 0


def test_a_link_lasts_one_hour(user, sent):
    accounts.request_reset(user.email, NOW)
    [token] = sent
    assert accounts.find_reset(token, NOW + timedelta(minutes=59)) is not None
    assert accounts.find_reset(token, NOW + timedelta(hours=1)) is None
    assert accounts.reset_password(token, "a brand new password", NOW + timedelta(hours=1)) \
        is None
    assert User.authenticate(user.email, PASSWORD)


def test_a_link_works_once_and_ends_every_sign_in(user, sent):
    session = accounts.start_session(user, "", now=NOW)
    accounts.request_reset(user.email, NOW)
    [token] = sent
    assert accounts.reset_password(token, "a brand new password", NOW).id == user.id
    assert accounts.user_for_session(session, NOW) is None
    assert accounts.reset_password(token, "yet another password", NOW) is None
    assert User.authenticate(user.email, "a brand new password")


def test_two_submits_at_once_set_one_password(app, sent):
    with database.connection_context():
        user = make_user()
        accounts.request_reset(user.email, NOW)
    [token] = sent
    results = []
    barrier = threading.Barrier(2)

    def submit(password):
        with app.app_context(), database.connection_context():
            barrier.wait()
            results.append(accounts.reset_password(token, password, NOW))

    threads = [threading.Thread(target=submit, args=(f"password number {n}",))
               for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is None for r in results) == [False, True]


def test_profile_changes_say_what_changed(user):
    announced = []

    def keep(user_id, old_email, old_name):
        announced.append((user_id, old_email, old_name))

    accounts.email_changed.connect(keep)
    try:
        assert accounts.update_profile(user, name="Casey Client", email="CLIENT@example.org",
                                       timezone="Europe/London", now=NOW) == []
        assert accounts.update_profile(user, name=" Cas ", email="cas@example.org ",
                                       timezone="Asia/Tokyo", now=NOW) == \
            ["name", "email", "timezone"]
    finally:
        accounts.email_changed.disconnect(keep)
    fresh = User.get_by_id(user.id)
    assert (fresh.name, fresh.email, fresh.timezone) == ("Cas", "cas@example.org", "Asia/Tokyo")
    assert announced == [(user.id, "client@example.org", "Casey Client")]
    assert ReminderPreference.select().count() == 0  # a zone change creates no settings row


def test_an_email_in_use_is_refused_and_nothing_changes(user):
    make_user("other@example.org", "Olive Other")
    with pytest.raises(accounts.EmailTaken, match="other@example.org"):
        accounts.update_profile(user, name="New Name", email="Other@example.org",
                                timezone="Asia/Tokyo", now=NOW)
    fresh = User.get_by_id(user.id)
    assert (fresh.name, fresh.email, fresh.timezone) == \
        ("Casey Client", "client@example.org", "Europe/London")
    assert (user.name, user.timezone) == ("Casey Client", "Europe/London")


def test_a_zone_change_reschedules_from_now(user):
    pref = reminder_settings.preference_for(user)
    pref.email = True
    reminder_settings.reschedule(pref, user, NOW)
    accounts.update_profile(user, name=user.name, email=user.email, timezone="Asia/Tokyo",
                            now=NOW)
    pref = ReminderPreference.get_by_id(pref.id)
    assert pref.checked_until == NOW
    assert pref.next_fire_at == reminder_settings.select.next_fire_at(
        reminder_settings.preferences_of(pref, "Asia/Tokyo"), NOW)


def test_forget_old_drops_what_ended_long_ago(user, sent):
    old = accounts.start_session(user, "", now=NOW - timedelta(days=40))
    accounts.end_session(old, NOW - timedelta(days=31))
    idle = accounts.start_session(user, "", now=NOW - accounts.IDLE_LIMIT - timedelta(days=31))
    live = accounts.start_session(user, "", now=NOW)
    recent = accounts.start_session(user, "", now=NOW)
    accounts.end_session(recent, NOW)
    accounts.request_reset(user.email, NOW - timedelta(days=31))
    accounts.request_reset(user.email, NOW)
    assert accounts.forget_old(NOW) == 3
    left = {s.token_hash for s in LoginSession.select()}
    assert left == {accounts.hash_token(live), accounts.hash_token(recent)}
    assert accounts.hash_token(idle) not in left
    assert PasswordReset.select().count() == 1
