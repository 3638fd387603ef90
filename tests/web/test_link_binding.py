"""Issue 17, finding 4: a deleted account's links never act on another account.

Unsubscribe and push "Done" links are signed and name the account's link key besides its
id; a calendar link is a token whose hash the account holds; reset and invite emails are
addressed from the row their token belongs to. Before migration 12 SQLite gave a deleted
account's id to the next account: the tests give the new account the old id by hand, as
that did, and the old links still do nothing to it.
"""
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from tests.conftest import make_user
from tracker.jobs import account_mail, invite_mail
from tracker.store import accounts, invites, privacy, reminder_settings, tokens
from tracker.store.db import database
from tracker.store.models import ReminderPreference, User, utcnow

GONE = "This link no longer works"


def _with_email_reminders(user):
    pref = reminder_settings.preference_for(user)
    pref.email = True
    reminder_settings.reschedule(pref, user, utcnow())


def _email_on(email: str) -> bool:
    with database.connection_context():
        return ReminderPreference.get(
            ReminderPreference.user == User.by_email(email)).email


def _heir_with_the_id_of(old_id: int) -> User:
    """A new account holding the id a deleted one had (what SQLite did before)."""
    heir = make_user(email="heir@example.org", name="Heir")
    User.update(id=old_id).where(User.id == heir.id).execute()
    heir = User.get_by_id(old_id)
    _with_email_reminders(heir)
    return heir


def _unsubscribe_path(app, user) -> str:
    with app.app_context():
        return f"/reminders/unsubscribe/{tokens.unsubscribe_token(user)}"


def test_a_deleted_accounts_unsubscribe_link_does_nothing_to_the_next_account(app, client):
    with database.connection_context():
        gone = make_user(email="gone@example.org")
        path, old_id = _unsubscribe_path(app, gone), gone.id
        privacy.delete_account(gone)
        _heir_with_the_id_of(old_id)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 404
        assert GONE in response.get_data(as_text=True)
    assert _email_on("heir@example.org") is True


def test_an_older_versions_unsubscribe_link_naming_only_an_id_is_refused(app, client):
    """It could have been made for a deleted account whose id someone has now."""
    with database.connection_context():
        user = make_user()
        _with_email_reminders(user)
    old = URLSafeSerializer(app.config["SECRET_KEY"], salt="reminders-unsubscribe-email")
    response = client.post(f"/reminders/unsubscribe/{old.dumps(user.id)}")
    assert response.status_code == 404 and GONE in response.get_data(as_text=True)
    assert _email_on("client@example.org") is True


@pytest.mark.parametrize("payload", [{"u": 1}, {"u": 1, "k": 5}, {"u": "1", "k": "x"}, [1],
                                     {"k": "x"}])
def test_malformed_signed_unsubscribe_payloads_are_refused(app, client, payload):
    with database.connection_context():
        make_user()
    signed = URLSafeSerializer(app.config["SECRET_KEY"], salt="reminders-unsubscribe-email")
    assert client.post(f"/reminders/unsubscribe/{signed.dumps(payload)}").status_code == 404


def test_the_accounts_own_unsubscribe_link_works(app, client):
    with database.connection_context():
        user = make_user()
        _with_email_reminders(user)
        path = _unsubscribe_path(app, user)
    assert client.post(path).status_code == 200
    assert _email_on("client@example.org") is False


def test_a_new_email_address_ends_the_links_sent_to_the_old_one(app, client):
    with database.connection_context():
        user = make_user()
        _with_email_reminders(user)
        path, old_key = _unsubscribe_path(app, user), user.link_key
        accounts.update_profile(user, name=user.name, email="new@example.org",
                                timezone=user.timezone)
        assert User.get_by_id(user.id).link_key != old_key
        fresh = _unsubscribe_path(app, User.get_by_id(user.id))
    assert client.post(path).status_code == 404
    assert _email_on("new@example.org") is True
    assert client.post(fresh).status_code == 200  # links sent since work
    assert _email_on("new@example.org") is False


def test_changing_only_the_name_keeps_the_links(app, client):
    with database.connection_context():
        user = make_user()
        _with_email_reminders(user)
        path = _unsubscribe_path(app, user)
        accounts.update_profile(user, name="Another Name", email=user.email,
                                timezone=user.timezone)
    assert client.post(path).status_code == 200


def test_link_keys_differ_between_accounts(app):
    with database.connection_context():
        keys = {make_user(email=f"u{i}@example.org").link_key for i in range(20)}
    assert len(keys) == 20 and all(len(k) == 32 for k in keys)


def test_a_reset_email_goes_only_to_the_account_its_link_is_for(app):
    with database.connection_context():
        ana, ben = make_user(email="ana@example.org"), make_user(email="ben@example.org")
        sent = []

        def keep(uid, token):
            sent.append((uid, token))

        with accounts.reset_requested.connected_to(keep):
            assert accounts.request_reset("ana@example.org")
        [(uid, token)] = [s for s in sent if s[0] == ana.id]
        with app.app_context():
            assert account_mail.send_reset(ben.id, token) is None  # not ben's link
            assert account_mail.send_reset(ana.id, "x" * 43) is None  # no such link
            privacy.delete_account(ana)
            assert account_mail.send_reset(uid, token) is None  # gone with the account


def test_an_invite_email_carries_only_its_own_invites_token(app):
    with database.connection_context():
        theo = make_user(email="theo@example.org", role="therapist")
        now = utcnow()
        first, first_token = invites.create(theo, "", now)
        second, _ = invites.create(theo, "", now)
        with app.app_context():
            assert invite_mail.send(second.id, first_token, "x@example.net", now) is None
            assert invite_mail.send(first.id, first_token, "x@example.net",
                                    now + timedelta(seconds=1)) == "sent"
