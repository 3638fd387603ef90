"""Settings: account links for everyone; a client's therapists, and ending a link."""
import re

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker.store.db import database
from tracker.store.models import CareLink


class World:
    """Client A is linked with therapists T and U; client B with T only."""

    def __init__(self):
        self.t = make_user("t@example.org", "Terry Therapist", "therapist")
        self.u = make_user("u@example.org", "Uma Therapist", "therapist")
        self.a = make_user("a@example.org", "Ann Client")
        self.b = make_user("b@example.org", "Ben Client")
        self.a_t = CareLink.create(therapist=self.t, client=self.a)
        self.a_u = CareLink.create(therapist=self.u, client=self.a)
        self.b_t = CareLink.create(therapist=self.t, client=self.b)


@pytest.fixture
def world(app):
    with database.connection_context():
        return World()


def end(client, link_id, **extra):
    data = {"csrf_token": csrf_token(client, "/settings"), **extra}
    return client.post(f"/settings/therapists/{link_id}/end", data=data)


def text(response) -> str:
    return response.get_data(as_text=True)


def link(link_id) -> CareLink:
    with database.connection_context():
        return CareLink.get_by_id(link_id)


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    assert client.get("/settings").location.startswith("/login")
    assert client.get("/settings", headers={"HX-Request": "true"}).status_code == 204
    response = client.post(f"/settings/therapists/{world.a_t.id}/end",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert link(world.a_t.id).active


def test_a_client_sees_their_therapists(world, as_user):
    response = as_user("a@example.org").get("/settings")
    html = text(response)
    assert response.status_code == 200
    assert 'href="/account/password">Change password</a>' in html
    assert "Your therapists" in html
    assert html.index("Terry Therapist") < html.index("Uma Therapist")
    assert "<summary>End link</summary>" in html
    assert f'action="/settings/therapists/{world.a_t.id}/end"' in html
    assert f"/settings/therapists/{world.b_t.id}/end" not in html  # B's link
    # The nav's Settings tab is lit.
    assert re.search(r'<a href="/settings"[^>]*aria-current="page"', html)


def test_a_client_without_a_therapist(app, as_user):
    with database.connection_context():
        make_user("solo@example.org", "Solo")
    html = text(as_user("solo@example.org").get("/settings"))
    assert "You are not linked with a therapist." in html


def test_a_therapist_sees_only_the_account_part(world, as_user):
    response = as_user("t@example.org").get("/settings")
    html = text(response)
    assert response.status_code == 200
    assert "Change password" in html and "Your therapists" not in html


def test_ending_a_link_takes_the_therapists_access_away(world, as_user, client):
    client = as_user("a@example.org")
    response = end(client, world.a_t.id)
    assert response.status_code == 302 and response.location == "/settings"
    html = text(client.get("/settings"))
    assert "You ended the link with Terry Therapist" in html
    assert f"/settings/therapists/{world.a_t.id}/end" not in html
    assert f"/settings/therapists/{world.a_u.id}/end" in html
    ended = link(world.a_t.id)
    assert not ended.active and ended.ended_at is not None
    assert link(world.a_u.id).active
    with database.connection_context():
        assert [c.id for c in CareLink.clients_of(world.t)] == [world.b.id]
    Auth(client).logout()
    therapist = as_user("t@example.org")
    assert "Ann Client" not in text(therapist.get("/clients"))
    assert therapist.get(f"/clients/{world.a.id}").status_code == 404


def test_ending_twice_is_harmless(world, as_user):
    client = as_user("a@example.org")
    end(client, world.a_t.id)
    first = link(world.a_t.id).ended_at
    response = end(client, world.a_t.id)
    assert response.status_code == 302
    assert "had already ended" in text(client.get("/settings"))
    assert link(world.a_t.id).ended_at == first


@pytest.mark.parametrize("who", ["b@example.org", "t@example.org", "u@example.org"])
def test_nobody_else_can_end_a_clients_link(world, as_user, who):
    client = as_user(who)
    assert end(client, world.a_t.id).status_code == 404
    assert link(world.a_t.id).active


@pytest.mark.parametrize("link_id", ["999", "0", "abc", "-1", "1.0"])
def test_bad_link_ids_are_404(world, as_user, link_id):
    assert end(as_user("a@example.org"), link_id).status_code == 404


def test_get_on_the_end_url_is_not_allowed(world, as_user):
    client = as_user("a@example.org")
    assert client.get(f"/settings/therapists/{world.a_t.id}/end").status_code == 405
    assert link(world.a_t.id).active


def test_ending_without_csrf_is_400(world, as_user):
    client = as_user("a@example.org")
    response = client.post(f"/settings/therapists/{world.a_t.id}/end")
    assert response.status_code == 400
    assert link(world.a_t.id).active


def test_the_client_nav_links_to_settings(world, as_user):
    html = text(as_user("a@example.org").get("/settings"))
    assert '<a href="/settings"' in html and "Settings</a>" in html
    assert "/account/password\"" in html
