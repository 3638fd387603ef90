"""Invite links as a service: hash-only storage, expiry, single use, revoking, the QR code."""
import hashlib
import re
import threading
from datetime import timedelta

import pytest

from tests.conftest import make_user
from tracker.store import invites
from tracker.store.db import database
from tracker.store.models import CareLink, Invite, User, utcnow

NOW = utcnow()


@pytest.fixture
def people(app):
    """A therapist and two clients; the test runs inside a database connection."""
    with database.connection_context():
        yield (
            make_user("t@example.org", "Terry Therapist", "therapist"),
            make_user("a@example.org", "Ann Client"),
            make_user("b@example.org", "Ben Client"),
        )


def test_only_the_hash_of_the_token_is_stored(people):
    therapist, *_ = people
    invite, token = invites.create(therapist, "  Ann  ", NOW)
    row = Invite.get_by_id(invite.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    stored = database.execute_sql("SELECT * FROM invite").fetchall()
    assert token not in repr(stored)
    assert row.note == "Ann"
    assert row.expires_at == NOW + timedelta(days=7)


def test_tokens_differ_every_time(people):
    therapist, *_ = people
    tokens = {invites.create(therapist, now=NOW)[1] for _ in range(5)}
    assert len(tokens) == 5


def test_a_client_cannot_create_invites(people):
    _, ann, _ = people
    with pytest.raises(ValueError, match="only therapists invite clients"):
        invites.create(ann, now=NOW)


def test_find_valid_until_it_expires(people):
    therapist, *_ = people
    invite, token = invites.create(therapist, now=NOW)
    assert invites.find_valid(token, NOW) == invite
    assert invites.find_valid(token, NOW + timedelta(days=7, seconds=-1)) == invite
    assert invites.find_valid(token, NOW + timedelta(days=7)) is None
    assert invites.find_valid(token, NOW + timedelta(days=30)) is None


@pytest.mark.parametrize("bad", [
    "", "x", "a" * 43, "a" * 44, "a" * 42, "../../etc/passwd", "é" * 43, None, 12,
    "a" * 10_000,
])
def test_find_valid_rejects_malformed_and_unknown_tokens(people, bad):
    therapist, *_ = people
    invites.create(therapist, now=NOW)
    assert invites.find_valid(bad, NOW) is None


def test_the_stored_hash_is_compared_in_constant_time(people, monkeypatch):
    therapist, *_ = people
    invite, token = invites.create(therapist, now=NOW)
    calls = []
    real = invites.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(invites.hmac, "compare_digest", spy)
    assert invites.find_valid(token, NOW) == invite
    assert calls == [(invite.token_hash, invites.hash_token(token))]
    # The compare decides: a row whose hash does not match is not an invite.
    monkeypatch.setattr(invites.hmac, "compare_digest", lambda a, b: False)
    assert invites.find_valid(token, NOW) is None


def test_the_hash_alone_does_not_open_an_invite(people):
    therapist, *_ = people
    invite, _ = invites.create(therapist, now=NOW)
    assert invites.find_valid(invite.token_hash[:43], NOW) is None


def test_accept_links_the_client_and_uses_the_invite(people):
    therapist, ann, _ = people
    invite, token = invites.create(therapist, now=NOW)
    assert invites.accept(invite, ann, NOW) is True
    row = Invite.get_by_id(invite.id)
    assert row.used_by_id == ann.id and row.used_at == NOW
    assert CareLink.is_linked(therapist, ann)
    assert invites.find_valid(token, NOW) is None


def test_an_invite_is_single_use(people):
    therapist, ann, ben = people
    invite, _ = invites.create(therapist, now=NOW)
    assert invites.accept(invite, ann, NOW)
    assert invites.accept(invite, ben, NOW) is False
    assert not CareLink.is_linked(therapist, ben)


def test_two_accepts_at_once_link_only_one_client(people):
    therapist, ann, ben = people
    invite, _ = invites.create(therapist, now=NOW)
    start = threading.Barrier(2)
    results = {}

    def accept(client):
        with database.connection_context():
            start.wait()
            results[client.id] = invites.accept(invite, client, NOW)

    threads = [threading.Thread(target=accept, args=(c,)) for c in (ann, ben)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [False, True]
    winner = next(i for i, ok in results.items() if ok)
    assert [link.client_id for link in CareLink.select()] == [winner]
    assert Invite.get_by_id(invite.id).used_by_id == winner


def test_an_expired_or_revoked_invite_cannot_be_accepted(people):
    therapist, ann, _ = people
    old, _ = invites.create(therapist, now=NOW - timedelta(days=8))
    assert invites.accept(old, ann, NOW) is False
    revoked, _ = invites.create(therapist, now=NOW)
    assert invites.revoke(revoked) is True
    assert invites.accept(revoked, ann, NOW) is False
    assert CareLink.select().count() == 0


def test_revoke(people):
    therapist, ann, _ = people
    invite, token = invites.create(therapist, now=NOW)
    assert invites.revoke(invite) is True
    assert invites.find_valid(token, NOW) is None
    assert list(invites.pending(therapist, NOW)) == []
    used, _ = invites.create(therapist, now=NOW)
    invites.accept(used, ann, NOW)
    assert invites.revoke(used) is False  # a used invite stays used
    assert not Invite.get_by_id(used.id).revoked


def test_therapists_cannot_accept(people):
    therapist, *_ = people
    other = make_user("t2@example.org", "Other Therapist", "therapist")
    invite, token = invites.create(therapist, now=NOW)
    with pytest.raises(ValueError, match="only clients can accept an invite"):
        invites.accept(invite, other, NOW)
    assert invites.find_valid(token, NOW) == invite


def test_accepting_your_own_therapist_again_is_harmless(people):
    therapist, ann, _ = people
    first, _ = invites.create(therapist, now=NOW)
    second, _ = invites.create(therapist, now=NOW)
    assert invites.accept(first, ann, NOW)
    assert invites.accept(second, ann, NOW)
    links = list(CareLink.select())
    assert len(links) == 1 and links[0].active and not links[0].archived


def test_accepting_brings_back_an_ended_or_archived_link(people):
    therapist, ann, _ = people
    CareLink.create(therapist=therapist, client=ann, active=False, archived=True, ended_at=NOW)
    invite, _ = invites.create(therapist, now=NOW)
    assert invites.accept(invite, ann, NOW)
    link = CareLink.get()
    assert (link.active, link.archived, link.ended_at) == (True, False, None)


def test_join_creates_a_client_and_accepts(people):
    therapist, *_ = people
    invite, _ = invites.create(therapist, now=NOW)
    user = invites.join(invite, email="New@Example.org", name="Nia", password="long enough",
                        timezone="Europe/Paris", now=NOW)
    assert (user.email, user.role, user.timezone) == ("new@example.org", "client", "Europe/Paris")
    assert CareLink.is_linked(therapist, user)


def test_join_with_a_taken_email_changes_nothing(people):
    therapist, *_ = people
    invite, token = invites.create(therapist, now=NOW)
    assert invites.join(invite, email="a@example.org", name="Ann again", password="long enough",
                        timezone="UTC", now=NOW) is None
    assert invites.find_valid(token, NOW) == invite


def test_join_on_a_used_invite_leaves_no_account_behind(people):
    therapist, ann, _ = people
    invite, _ = invites.create(therapist, now=NOW)
    invites.accept(invite, ann, NOW)
    with pytest.raises(invites.InviteUnavailable):
        invites.join(invite, email="late@example.org", name="Late", password="long enough",
                     timezone="UTC", now=NOW)
    assert User.by_email("late@example.org") is None


def test_pending_lists_usable_invites_newest_first(people):
    therapist, ann, _ = people
    other = make_user("t2@example.org", "Other Therapist", "therapist")
    older, _ = invites.create(therapist, "older", NOW - timedelta(days=2))
    newer, _ = invites.create(therapist, "newer", NOW - timedelta(days=1))
    invites.create(therapist, "expired", NOW - timedelta(days=8))
    used, _ = invites.create(therapist, "used", NOW)
    invites.accept(used, ann, NOW)
    invites.create(other, "someone else's", NOW)
    assert [i.note for i in invites.pending(therapist, NOW)] == ["newer", "older"]


def test_qr_code_is_inline_svg_without_style_attributes():
    svg = str(invites.qr_svg("https://example.org/join/abc", "QR code of the link"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style" not in svg  # a strict CSP forbids inline styles
    assert 'role="img"' in svg and 'aria-label="QR code of the link"' in svg
    assert "<title>QR code of the link</title>" in svg
    assert 'viewBox="0 0 ' in svg and "width=" not in svg.split(">")[0]
    assert re.search(r'<path d="M[0-9]', svg) and 'fill="#000000"' in svg


def test_style_attributes_become_presentation_attributes():
    from xml.etree import ElementTree

    element = ElementTree.Element("path", {"style": "fill:#000; stroke : none;position:fixed"})
    invites._style_to_attributes(element)
    assert element.attrib == {"fill": "#000", "stroke": "none"}
