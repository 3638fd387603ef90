"""The therapist's roster, invite links, archive/restore, and joining through an invite."""
import re
from datetime import date, timedelta

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker.store import checkoffs, invites, plans
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, Invite, Plan, SafetyCheck, User, utcnow

TEMPLATE = "acute-therapist-led"


class World:
    """Therapist T looks after client A; client B and therapist U are strangers to them."""

    def __init__(self):
        self.therapist = make_user("t@example.org", "Terry Therapist", "therapist")
        self.other_therapist = make_user("u@example.org", "Uma Therapist", "therapist")
        self.a = make_user("a@example.org", "Ann Client")
        self.b = make_user("b@example.org", "Ben Client")
        CareLink.create(therapist=self.therapist, client=self.a)
        CareLink.create(therapist=self.other_therapist, client=self.b)
        self.today = plans.local_today(self.a)
        self.plan = plans.create_from_template(
            self.a, TEMPLATE, self.today - timedelta(days=3),
            created_by=self.therapist, therapist=self.therapist,
        )


@pytest.fixture
def world(app):
    with database.connection_context():
        return World()


def post(client, url, token_page="/settings", htmx=False, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_page)},
                       headers=headers)


def make_invite(world, note="", now=None):
    with database.connection_context():
        return invites.create(world.therapist, note, now or utcnow())


def text(response) -> str:
    return response.get_data(as_text=True)


# --- who may see what ----------------------------------------------------------------------

THERAPIST_GETS = ["/clients", "/clients/invite"]


@pytest.mark.parametrize("url", THERAPIST_GETS)
def test_anonymous_visitors_are_sent_to_log_in(client, world, url):
    assert client.get(url).location.startswith("/login")
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 204


@pytest.mark.parametrize("url", [
    "/clients/invite", "/clients/invite/1/cancel", "/clients/2/archive", "/clients/2/restore",
    "/settings/therapists/1/end",
])
def test_anonymous_posts_are_sent_to_log_in(client, world, url):
    response = client.post(url, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("url", THERAPIST_GETS)
def test_clients_get_403_on_therapist_pages(world, as_user, url):
    client = as_user("a@example.org")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("path", ["archive", "restore"])
def test_clients_cannot_archive(world, as_user, path):
    client = as_user("a@example.org")
    assert post(client, f"/clients/{world.a.id}/{path}").status_code == 403
    with database.connection_context():
        assert not CareLink.get(CareLink.client == world.a.id).archived


def test_a_client_cannot_create_or_cancel_invites(world, as_user):
    invite, _ = make_invite(world)
    client = as_user("a@example.org")
    assert post(client, "/clients/invite", note="x").status_code == 403
    assert post(client, f"/clients/invite/{invite.id}/cancel").status_code == 403
    with database.connection_context():
        assert Invite.select().count() == 1 and not Invite.get().revoked


def test_therapists_land_on_the_roster(world, as_user):
    client = as_user("t@example.org")
    assert client.get("/").location == "/clients"
    html = text(client.get("/clients"))
    assert re.search(r'<a href="/clients"[^>]*aria-current="page"', html)
    assert ">Clients</a>" in html


# --- the roster ----------------------------------------------------------------------------


def test_the_roster_shows_own_clients_with_their_figures(world, as_user):
    with database.connection_context():
        CheckIn.create(client=world.a, day=world.today - timedelta(days=1), back_pain=2,
                       leg_pain=7)
    client = as_user("t@example.org")
    response = client.get("/clients")
    html = text(response)
    assert response.status_code == 200
    assert f'href="/clients/{world.a.id}">Ann Client</a>' in html
    assert "Ben Client" not in html  # someone else's client
    assert "7 of 10" in html and "(yesterday)" in html
    assert "<dd>Acute</dd>" in html
    assert re.search(r"<dt>Adherence</dt>\s*<dd>\d+%</dd>", html)


def test_adherence_counts_the_last_14_days(world, as_user):
    with database.connection_context():
        client, plan = _client_with(world, "cam@example.org", "Cam Keen", 0)
        due = [item.key for item in plans.day_view(plan, world.today).items]
        for key in due:
            checkoffs.set_done(plan, key, world.today, True)
        _, idle = _client_with(world, "ida@example.org", "Ida Idle", 0)
        # A check-off older than the 14 days does not count.
        _, late = _client_with(world, "lou@example.org", "Lou Late", 30)
        checkoffs.set_done(late, "piriformis", world.today - timedelta(days=20), True)
    assert len(due) > 1
    cards = _cards(text(as_user("t@example.org").get("/clients")))
    assert "<dd>100%</dd>" in cards["Cam Keen"]
    # Ida's only day due is today, still in progress: not a 0%.
    assert "<dd>Too soon to say</dd>" in cards["Ida Idle"]
    assert f"<dt>Today</dt><dd>0 of {len(due)} so far</dd>" in cards["Ida Idle"]
    assert "<dd>0%</dd>" in cards["Lou Late"]


def test_another_therapist_sees_only_their_own(world, as_user):
    client = as_user("u@example.org")
    html = text(client.get("/clients"))
    assert "Ben Client" in html and "Ann Client" not in html
    assert client.get(f"/clients/{world.a.id}").status_code == 404


def test_an_empty_roster_explains_how_to_invite(app, as_user):
    with database.connection_context():
        make_user("t@example.org", "Terry Therapist", "therapist")
    html = text(as_user("t@example.org").get("/clients"))
    assert "No clients yet" in html and "Invite a client" in html
    assert 'href="/clients/invite"' in html


def _client_with(world, email, name, start_days_ago=None, **plan_fields):
    client = make_user(email, name)
    CareLink.create(therapist=world.therapist, client=client)
    if start_days_ago is not None:
        plan = plans.create_from_template(
            client, TEMPLATE, world.today - timedelta(days=start_days_ago),
            created_by=world.therapist, therapist=world.therapist,
        )
        if plan_fields:
            Plan.update(**plan_fields).where(Plan.id == plan.id).execute()
        return client, plan
    return client, None


def _cards(html: str) -> dict[str, str]:
    """Each roster card's text by client name, in page order."""
    cards = re.findall(r'<li class="card roster-card[^"]*"[^>]*>(.*?)\n</li>', html, re.S)
    named = {}
    for card in cards:
        name = re.search(r'<h2><a href="/clients/\d+">([^<]+)</a></h2>', card).group(1)
        named[name] = card
    return named


def _report(client, *, flags=(), problems=(), resolved=False):
    """An open (or resolved) safety report of the client's, as the check-in stores it."""
    return SafetyCheck.create(client=client, day=date.today(), red_flags=list(flags),
                              problems=list(problems), reported=bool(flags or problems),
                              resolved_at=utcnow() if resolved else None)


def test_roster_order_and_flags(world, as_user):
    today = world.today
    with database.connection_context():
        # Ann (from the world) started 3 days ago and checks in today: no flags.
        CheckIn.create(client=world.a, day=today, back_pain=1, leg_pain=2)
        _client_with(world, "abe@example.org", "Abe Noplan")
        zoe, _ = _client_with(world, "zoe@example.org", "Zoe Redflag", 2)
        _report(zoe, flags=["fever"])
        pat, paused = _client_with(world, "pat@example.org", "Pat Paused", 2)
        plans.pause(paused, today, world.therapist, "holiday")
        _report(pat, flags=["both_legs"])  # a warning sign flags a paused plan too
        nia, _ = _client_with(world, "nia@example.org", "Nia Newflag")  # no plan yet
        _report(nia, flags=["saddle_numbness"])
        ola, _ = _client_with(world, "ola@example.org", "Ola Area", 2)
        _report(ola, problems=["swelling"])
        _client_with(world, "yan@example.org", "Yan Stepdown", 2, suggestion="step_down")
        _client_with(world, "xia@example.org", "Xia Flare", 2, suggestion="step_back")
        _client_with(world, "rae@example.org", "Rae Review", 2, suggestion="review")
        _client_with(world, "wes@example.org", "Wes Quiet", 10)
        val, old_flag = _client_with(world, "val@example.org", "Val Oldflag", 30)
        _report(val, flags=["trauma"], resolved=True)
        CheckIn.create(client=old_flag.client, day=today, back_pain=1, leg_pain=1)
    html = text(as_user("t@example.org").get("/clients"))
    cards = _cards(html)
    assert list(cards) == [
        "Nia Newflag", "Ola Area", "Pat Paused", "Rae Review", "Wes Quiet", "Xia Flare",
        "Yan Stepdown", "Zoe Redflag", "Abe Noplan", "Ann Client", "Val Oldflag",
    ]
    flags = {name: re.findall(r'<li class="flag flag-[a-z-]+">([^<]+)</li>', card)
             for name, card in cards.items()}
    assert flags == {
        "Nia Newflag": ["Warning sign"],
        "Ola Area": ["Treated-area problem"],
        "Pat Paused": ["Warning sign"],
        "Rae Review": ["Flare-up"],
        "Wes Quiet": ["No activity for 5 days"],
        "Xia Flare": ["Flare-up"],
        "Yan Stepdown": ["Ready to step down"],
        "Zoe Redflag": ["Warning sign"],
        "Abe Noplan": [],
        "Ann Client": [],
        "Val Oldflag": [],
    }
    assert "No plan yet" in cards["Abe Noplan"] and "None yet" in cards["Abe Noplan"]
    assert 'class="card roster-card flagged roster-urgent" id="client-' in html


def test_an_archived_client_with_a_warning_sign_comes_back_into_view(world, as_user):
    with database.connection_context():
        zed, _ = _client_with(world, "zed@example.org", "Zed Archived", 2)
        CareLink.update(archived=True).where(CareLink.client == zed.id).execute()
        quiet, _ = _client_with(world, "qia@example.org", "Qia Archived", 2)
        CareLink.update(archived=True).where(CareLink.client == quiet.id).execute()
    client = as_user("t@example.org")
    assert "Zed Archived" not in _cards(text(client.get("/clients")))
    with database.connection_context():
        _report(zed, flags=["bladder_bowel"])
    html = text(client.get("/clients"))
    cards = _cards(html)
    assert list(cards)[0] == "Zed Archived" and "Qia Archived" not in cards
    assert "Warning sign" in cards["Zed Archived"]
    assert "Archived: back on your list until the report is resolved." in cards["Zed Archived"]
    assert "Archived clients (1)" in html


def test_roster_queries_do_not_grow_with_the_number_of_clients(world, as_user, queries):
    def add(n):
        with database.connection_context():
            for i in range(n):
                client, plan = _client_with(world, f"c{n}{i}@example.org", f"Client {n}{i}", 20)
                CheckIn.create(client=client, day=world.today, back_pain=3, leg_pain=4)
                checkoffs.set_done(plan, "piriformis", world.today - timedelta(days=1), True)
                checkoffs.skip(plan, "piriformis", world.today, "sore")

    client = as_user("t@example.org")
    add(1)  # with Ann: 2 clients

    def count():
        counter = queries()
        assert client.get("/clients").status_code == 200
        return counter.count

    two = count()
    add(4)  # 6 clients
    assert count() == two


# --- archive and restore ---------------------------------------------------------------------


def test_archive_and_restore(world, as_user):
    client = as_user("t@example.org")
    html = text(client.get("/clients"))
    assert "<summary>Archive</summary>" in html
    assert f'action="/clients/{world.a.id}/archive"' in html
    response = post(client, f"/clients/{world.a.id}/archive")
    assert response.status_code == 302 and response.location == "/clients"
    html = text(client.get("/clients"))
    assert "Ann Client is archived" in html
    assert not _cards(html)
    assert "Archived clients (1)" in html and f'action="/clients/{world.a.id}/restore"' in html
    assert "No clients yet" in html
    # Archived is not unlinked: the client page still opens.
    assert client.get(f"/clients/{world.a.id}").status_code == 200
    response = post(client, f"/clients/{world.a.id}/restore")
    assert response.status_code == 302
    html = text(client.get("/clients"))
    assert "Ann Client is back on your roster" in html
    assert list(_cards(html)) == ["Ann Client"] and "Archived clients" not in html


@pytest.mark.parametrize("path", ["archive", "restore"])
def test_archive_someone_elses_client_is_404(world, as_user, path):
    client = as_user("u@example.org")
    assert post(client, f"/clients/{world.a.id}/{path}").status_code == 404
    with database.connection_context():
        assert not CareLink.get(CareLink.client == world.a.id).archived


@pytest.mark.parametrize("url", [
    "/clients/999/archive", "/clients/0/restore", "/clients/abc/archive", "/clients/-1/archive",
    "/clients/1.5/restore",
])
def test_archive_bad_ids_are_404(world, as_user, url):
    assert post(as_user("t@example.org"), url).status_code == 404


def test_an_ended_link_cannot_be_archived(world, as_user):
    with database.connection_context():
        CareLink.update(active=False).execute()
    assert post(as_user("t@example.org"), f"/clients/{world.a.id}/archive").status_code == 404


@pytest.mark.parametrize("url", [
    "/clients/2/archive", "/clients/2/restore", "/clients/invite", "/clients/invite/1/cancel",
])
def test_posts_without_csrf_are_400(world, as_user, url):
    client = as_user("t@example.org")
    assert client.post(url, data={"note": "x"}).status_code == 400


# --- invite links ---------------------------------------------------------------------------


def test_the_invite_page(world, as_user):
    html = text(as_user("t@example.org").get("/clients/invite"))
    assert "<h1>Invite a client</h1>" in html
    assert "Client&#39;s name (for you)" in html
    assert "No pending invites." in html


def test_creating_an_invite_shows_the_link_once_with_a_qr_code(world, as_user):
    client = as_user("t@example.org")
    response = post(client, "/clients/invite", token_page="/clients/invite", note="Jo Bloggs")
    html = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    link = re.search(r'<input id="invite-link" type="text" value="([^"]+)" readonly', html)[1]
    assert link.startswith("http://localhost/join/")
    assert "Valid for 7 days, for one person." in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'role="img"' in svg and "style" not in svg
    assert "QR code: scan it to open the invite" in html
    assert "Jo Bloggs" in html and ">Cancel</button>" in html
    # The link works, for anyone, until it is used.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clients")})
    joined = client.get(link.removeprefix("http://localhost"))
    assert joined.status_code == 200 and "Terry Therapist invited you" in text(joined)
    with database.connection_context():
        invite = Invite.get()
        assert invite.note == "Jo Bloggs" and invite.token_hash not in link


@pytest.mark.parametrize(("note", "message"), [
    ("x" * 101, "Please keep it under 100 characters."),
    ("Jo\x00", "Please remove control characters."),
    ("Jo\nBloggs", "Please remove control characters."),
])
def test_a_bad_note_is_422_with_a_message(world, as_user, note, message):
    response = post(as_user("t@example.org"), "/clients/invite", token_page="/clients/invite",
                    note=note)
    assert response.status_code == 422
    assert message in text(response)
    with database.connection_context():
        assert Invite.select().count() == 0


def test_an_invite_without_a_note(world, as_user):
    response = post(as_user("t@example.org"), "/clients/invite", token_page="/clients/invite")
    assert response.status_code == 200 and "Invite without a name" in text(response)


def test_pending_invites_can_be_cancelled(world, as_user):
    invite, token = make_invite(world, "Jo")
    client = as_user("t@example.org")
    html = text(client.get("/clients/invite"))
    assert "Jo" in html and f'action="/clients/invite/{invite.id}/cancel"' in html
    response = post(client, f"/clients/invite/{invite.id}/cancel")
    assert response.status_code == 302 and response.location == "/clients/invite"
    html = text(client.get("/clients/invite"))
    assert "Invite cancelled" in html and "No pending invites." in html
    assert client.get(f"/join/{token}").status_code == 404


def test_cancelling_a_used_invite_changes_nothing(world, as_user):
    invite, _ = make_invite(world)
    with database.connection_context():
        invites.accept(invite, world.b, utcnow())
    client = as_user("t@example.org")
    response = post(client, f"/clients/invite/{invite.id}/cancel")
    assert response.status_code == 302
    assert "already used" in text(client.get("/clients/invite"))


@pytest.mark.parametrize("invite_id", ["999", "0", "abc"])
def test_cancel_bad_ids_are_404(world, as_user, invite_id):
    assert post(as_user("t@example.org"), f"/clients/invite/{invite_id}/cancel").status_code == 404


def test_another_therapist_cannot_see_or_cancel_my_invites(world, as_user):
    invite, token = make_invite(world, "Secret Jo")
    client = as_user("u@example.org")
    assert "Secret Jo" not in text(client.get("/clients/invite"))
    assert post(client, f"/clients/invite/{invite.id}/cancel").status_code == 404
    with database.connection_context():
        assert invites.find_valid(token, utcnow()) is not None


# --- joining through an invite ---------------------------------------------------------------

JOIN = {"email": "nia@example.org", "name": "Nia New", "password": "long enough pw",
        "timezone": "Europe/Paris"}


def join(client, token, **data):
    return client.post(f"/join/{token}",
                       data={**JOIN, **data, "csrf_token": csrf_token(client, f"/join/{token}")})


def test_the_join_page_is_public_and_has_the_registration_fields(world, client):
    _, token = make_invite(world)
    response = client.get(f"/join/{token}")
    html = text(response)
    assert response.status_code == 200
    assert "<h1>Terry Therapist invited you</h1>" in html
    for label in ("Email", "Name", "Password", "Time zone"):
        assert re.search(rf"<label for=\"\w+\">{label}</label>", html), label
    assert 'value="Create account"' in html and "I am" not in html
    assert f'action="/join/{token}"' in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert f"/login?next=/join/{token}" in html


def test_joining_creates_a_linked_client_and_logs_in(world, client):
    _, token = make_invite(world)
    response = join(client, token)
    assert response.status_code == 302 and response.location == "/today"
    assert "linked with Terry Therapist" in text(client.get("/today"))
    with database.connection_context():
        user = User.by_email("nia@example.org")
        assert (user.role, user.timezone) == ("client", "Europe/Paris")
        assert CareLink.is_linked(world.therapist, user)
        assert Invite.get().used_by_id == user.id
    assert client.get(f"/join/{token}").status_code == 404  # single use


def test_join_ignores_a_role_sent_anyway(world, client):
    _, token = make_invite(world)
    join(client, token, role="therapist")
    with database.connection_context():
        assert User.by_email("nia@example.org").role == "client"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "", "Please enter your email."),
    ("email", "not-an-email", "Please enter a valid email address"),
    ("name", "", "Please enter your name."),
    ("name", "x" * 101, "Please keep your name under 100 characters."),
    ("password", "short", "Use 8 to 128 characters."),
    ("timezone", "Mars/Olympus", "Please pick a time zone from the list."),
    ("email", "a@example.org", "An account with this email already exists."),
])
def test_join_bad_input_is_422_and_the_invite_stays_usable(world, client, field, value, message):
    _, token = make_invite(world)
    response = join(client, token, **{field: value})
    assert response.status_code == 422
    assert message in text(response)
    with database.connection_context():
        assert Invite.get().used_at is None
        assert User.select().count() == 4


@pytest.mark.parametrize("when", ["expired", "used", "revoked", "malformed", "unknown"])
def test_invalid_invite_links_are_404_with_an_explanation(world, client, when):
    invite, token = make_invite(world, now=utcnow() - timedelta(days=8) if when == "expired"
                                else None)
    with database.connection_context():
        if when == "used":
            invites.accept(invite, world.b, utcnow())
        if when == "revoked":
            invites.revoke(invite)
    token = {"malformed": "%00'; DROP TABLE invite;--", "unknown": "A" * 43}.get(when, token)
    for response in (client.get(f"/join/{token}"), join(client, token)):
        assert response.status_code == 404
        assert ("This invite link has expired or was already used. "
                "Ask your therapist for a new one.") in text(response)
    with database.connection_context():
        assert User.by_email(JOIN["email"]) is None


def test_a_logged_in_client_is_asked_to_accept(world, as_user):
    _, token = make_invite(world)
    client = as_user("b@example.org")
    html = text(client.get(f"/join/{token}"))
    assert "Terry Therapist invited you" in html and ">Accept</button>" in html
    assert f'action="/join/{token}/accept"' in html and "Create account" not in html
    response = post(client, f"/join/{token}/accept")
    assert response.status_code == 302 and response.location == "/today"
    with database.connection_context():
        assert CareLink.is_linked(world.therapist, world.b)
        assert CareLink.is_linked(world.other_therapist, world.b)  # the other link stays
    Auth(client).logout()
    assert "Ben Client" in text(as_user("t@example.org").get("/clients"))


def test_accepting_your_own_therapists_invite_again_is_harmless(world, as_user):
    _, token = make_invite(world)
    client = as_user("a@example.org")
    assert "already linked with Terry Therapist" in text(client.get(f"/join/{token}"))
    assert post(client, f"/join/{token}/accept").status_code == 302
    with database.connection_context():
        assert CareLink.select().where(CareLink.client == world.a.id).count() == 1


def test_a_logged_in_client_posting_the_signup_form_is_sent_to_accept(world, as_user):
    _, token = make_invite(world)
    client = as_user("b@example.org")
    response = post(client, f"/join/{token}", **JOIN)
    assert response.status_code == 302 and response.location == f"/join/{token}"
    with database.connection_context():
        assert User.by_email(JOIN["email"]) is None and Invite.get().used_at is None


def test_a_therapist_is_told_invites_are_for_clients(world, as_user):
    _, token = make_invite(world)
    client = as_user("u@example.org")
    response = client.get(f"/join/{token}")
    assert response.status_code == 403
    assert "This invite is for a client" in text(response)
    assert post(client, f"/join/{token}/accept").status_code == 403
    with database.connection_context():
        assert Invite.get().used_at is None


def test_accept_needs_a_login_and_a_valid_invite(world, client, as_user):
    _, token = make_invite(world)
    response = client.post(f"/join/{token}/accept", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location.startswith("/login")
    logged_in = as_user("b@example.org")
    assert post(logged_in, "/join/nope/accept").status_code == 404
    assert post(logged_in, f"/join/{'B' * 43}/accept").status_code == 404


@pytest.mark.parametrize("url", ["/join/{token}", "/join/{token}/accept"])
def test_join_posts_without_csrf_are_400(world, client, url):
    _, token = make_invite(world)
    response = client.post(url.format(token=token), data=JOIN)
    assert response.status_code == 400
    with database.connection_context():
        assert Invite.get().used_at is None


def test_logging_in_from_the_invite_comes_back_to_accept(world, client):
    _, token = make_invite(world)
    response = client.post(f"/login?next=/join/{token}", data={
        "email": "b@example.org", "password": "correct horse battery",
        "csrf_token": csrf_token(client),
    })
    assert response.location == f"/join/{token}"
