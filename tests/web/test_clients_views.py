"""The therapist's roster, invite links, archive/restore, and joining through an invite."""
import re
from datetime import date, timedelta

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker.domain import schedule
from tracker.store import checkoffs, invites, messages, plans
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
    row = _rows(html)["Ann Client"]
    # the trend's words are the sparkline's title and label
    assert _cell(row, "pain") == "7 of 10 Leg pain, last 14 days: 7"
    assert 'role="img" aria-label="Leg pain, last 14 days: 7"' in row
    assert _cell(row, "checkin").endswith("yesterday")
    assert _cell(row, "phase") == "Acute"
    assert re.fullmatch(r"\d+%.*", _cell(row, "adherence"))
    assert _cell(row, "flags") == "None"


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
    rows = _rows(text(as_user("t@example.org").get("/clients")))
    assert _cell(rows["Cam Keen"], "adherence") == f"100% Today: {len(due)} of {len(due)} done"
    # Ida's only day due is today, still in progress: not a 0%.
    assert _cell(rows["Ida Idle"], "adherence") == f"Too soon to say Today: 0 of {len(due)} so far"
    assert _cell(rows["Lou Late"], "adherence").startswith("0% ")


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


def _rows(html: str) -> dict[str, str]:
    """Each roster row's markup by client name, in page order."""
    rows = re.findall(r'<tr class="roster-row[^"]*"[^>]*>(.*?)\n</tr>', html, re.S)
    named = {}
    for row in rows:
        name = re.search(r'<th scope="row" class="col-name"><a href="/clients/\d+">([^<]+)</a>',
                         row).group(1)
        named[name] = row
    return named


def _cell(row: str, column: str) -> str:
    """The text of one cell of a roster row, tags dropped and spaces joined."""
    cell = re.search(rf'<td class="col-{column}[^"]*"[^>]*>(.*?)</td>', row, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


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
    cards = _rows(html)
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
    assert _cell(cards["Abe Noplan"], "phase") == "No plan yet"
    assert _cell(cards["Abe Noplan"], "checkin") == "None yet"
    assert _cell(cards["Abe Noplan"], "next") == "None"
    assert 'class="roster-row flagged roster-urgent" id="client-' in html


def test_an_archived_client_with_a_warning_sign_comes_back_into_view(world, as_user):
    with database.connection_context():
        zed, _ = _client_with(world, "zed@example.org", "Zed Archived", 2)
        CareLink.update(archived=True).where(CareLink.client == zed.id).execute()
        quiet, _ = _client_with(world, "qia@example.org", "Qia Archived", 2)
        CareLink.update(archived=True).where(CareLink.client == quiet.id).execute()
    client = as_user("t@example.org")
    assert "Zed Archived" not in _rows(text(client.get("/clients")))
    with database.connection_context():
        _report(zed, flags=["bladder_bowel"])
    html = text(client.get("/clients"))
    cards = _rows(html)
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
    assert ('<summary>Archive<span class="visually-hidden"> Ann Client</span></summary>'
            in html)
    assert f'action="/clients/{world.a.id}/archive"' in html
    response = post(client, f"/clients/{world.a.id}/archive")
    assert response.status_code == 302 and response.location == "/clients"
    html = text(client.get("/clients"))
    assert "Ann Client is archived" in html
    assert not _rows(html)
    assert "Archived clients (1)" in html and f'action="/clients/{world.a.id}/restore"' in html
    assert "No clients yet" in html
    # Archived is not unlinked: the client page still opens.
    assert client.get(f"/clients/{world.a.id}").status_code == 200
    response = post(client, f"/clients/{world.a.id}/restore")
    assert response.status_code == 302
    html = text(client.get("/clients"))
    assert "Ann Client is back on your roster" in html
    assert list(_rows(html)) == ["Ann Client"] and "Archived clients" not in html


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


# --- the roster as a table: sort, search, the trend, the next session ------------------------


def _names(html: str) -> list[str]:
    return list(_rows(html))


@pytest.fixture
def three(world):
    """Ann (from the world, leg pain 7 yesterday), Bea (pain 3 today, adherence 100%) and
    Cal (no check-in, no plan)."""
    with database.connection_context():
        CheckIn.create(client=world.a, day=world.today - timedelta(days=1), back_pain=2,
                       leg_pain=7)
        bea, plan = _client_with(world, "bea@example.org", "Bea Bright", 5)
        for day in range(5):
            CheckIn.create(client=bea, day=world.today - timedelta(days=4 - day), back_pain=1,
                           leg_pain=7 - day)
        _client_with(world, "cal@example.org", "Cal Calm")
    return world


@pytest.mark.parametrize(("query", "names"), [
    ("sort=name&dir=asc", ["Ann Client", "Bea Bright", "Cal Calm"]),
    ("sort=name&dir=desc", ["Cal Calm", "Bea Bright", "Ann Client"]),
    ("sort=pain&dir=desc", ["Ann Client", "Bea Bright", "Cal Calm"]),
    ("sort=pain&dir=asc", ["Bea Bright", "Ann Client", "Cal Calm"]),  # no figure: last
    ("sort=pain", ["Ann Client", "Bea Bright", "Cal Calm"]),  # leg pain: worst first
    ("sort=checkin&dir=desc", ["Bea Bright", "Ann Client", "Cal Calm"]),
    ("sort=phase&dir=asc", ["Ann Client", "Bea Bright", "Cal Calm"]),
    ("sort=nonsense&dir=desc", ["Ann Client", "Bea Bright", "Cal Calm"]),  # the default
    ("sort=pain&dir=nonsense", ["Ann Client", "Bea Bright", "Cal Calm"]),
    ("sort=%00&dir=%FF", ["Ann Client", "Bea Bright", "Cal Calm"]),
    ("sort=" + "x" * 5000, ["Ann Client", "Bea Bright", "Cal Calm"]),
])
def test_the_roster_sorts_by_a_column(three, as_user, query, names):
    response = as_user("t@example.org").get(f"/clients?{query}")
    assert response.status_code == 200
    assert _names(text(response)) == names


def test_the_sorted_header_says_so_and_links_the_other_way(three, as_user):
    html = text(as_user("t@example.org").get("/clients?sort=pain&dir=desc"))
    headers = re.findall(
        r'<th scope="col" class="col-(\w+)"( aria-sort="\w+")?>\s*<a href="([^"]+)"', html)
    assert headers == [
        ("name", "", "/clients?sort=name&amp;dir=asc"),
        ("flags", "", "/clients?sort=flags&amp;dir=asc"),
        ("adherence", "", "/clients?sort=adherence&amp;dir=asc"),
        ("checkin", "", "/clients?sort=checkin&amp;dir=asc"),
        ("pain", ' aria-sort="descending"', "/clients?sort=pain&amp;dir=asc"),
        ("function", "", "/clients?sort=function&amp;dir=asc"),
        ("phase", "", "/clients?sort=phase&amp;dir=asc"),
        ("next", "", "/clients?sort=next&amp;dir=asc"),
    ]
    assert "Sorted by leg pain, descending." in html
    assert '<option value="pain" selected>Leg pain</option>' in html
    assert '<option value="desc" selected>Descending</option>' in html


def test_the_default_order_has_no_aria_sort(three, as_user):
    html = text(as_user("t@example.org").get("/clients"))
    assert "aria-sort" not in html
    assert "Clients with a flag come first, then everyone by name." in html
    assert '<option value="" selected>Flagged first, then name</option>' in html


def test_a_sort_link_keeps_the_search(three, as_user):
    html = text(as_user("t@example.org").get("/clients?q=b&sort=name&dir=asc"))
    assert 'href="/clients?sort=name&amp;dir=desc&amp;q=b"' in html


@pytest.mark.parametrize(("query", "names"), [
    ("bea", ["Bea Bright"]),
    ("BRIGHT", ["Bea Bright"]),
    ("cal@example", ["Cal Calm"]),  # by email too
    ("  ann  ", ["Ann Client"]),
    ("", ["Ann Client", "Bea Bright", "Cal Calm"]),
    ("example.org", ["Ann Client", "Bea Bright", "Cal Calm"]),
])
def test_the_search_finds_clients_by_name_or_email(three, as_user, query, names):
    response = as_user("t@example.org").get("/clients", query_string={"q": query})
    html = text(response)
    assert response.status_code == 200
    assert _names(html) == names
    if query.strip():
        count = f"{len(names)} client{'s' if len(names) > 1 else ''} match"
        assert f"{count}{'es' if len(names) == 1 else ''} “{query.strip()}”." in html


def test_a_search_that_finds_no_one_says_so(three, as_user):
    html = text(as_user("t@example.org").get("/clients?q=zed"))
    assert _names(html) == []
    assert "No clients match “zed”. Search by name or email." in html
    assert "No clients yet" not in html  # there are clients: just none matching


def test_someone_elses_client_is_never_found(three, as_user):
    assert _names(text(as_user("t@example.org").get("/clients?q=Ben"))) == []


@pytest.mark.parametrize(("query", "message"), [
    ("x" * 101, "Please keep the search to 100 characters or fewer."),
    ("a" * 10_000, "Please keep the search to 100 characters or fewer."),
    ("Ann\x00", "Please remove control characters."),
    ("Ann\n", "Please remove control characters."),
    ("\x1b[2J", "Please remove control characters."),
    ("\u0085Ann", "Please remove control characters."),
])
def test_a_bad_search_gets_a_message_and_no_list(three, as_user, query, message):
    client = as_user("t@example.org")
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/clients", query_string={"q": query}, headers=headers)
        html = text(response)
        assert response.status_code == 200
        assert f'<p class="result-count" id="roster-count" role="status">{message}</p>' in html
        assert _names(html) == []


def test_a_search_of_exactly_100_characters_is_fine(three, as_user):
    response = as_user("t@example.org").get("/clients", query_string={"q": "a" * 100})
    assert response.status_code == 200 and "No clients match" in text(response)


def test_htmx_gets_the_results_alone(three, as_user):
    response = as_user("t@example.org").get("/clients?q=bea&sort=name&dir=asc",
                                            headers={"HX-Request": "true"})
    html = text(response)
    assert response.status_code == 200
    assert html.startswith("{# ") is False and html.lstrip().startswith(
        '<div id="roster-results" class="roster-results">')
    assert "<html" not in html and 'role="search"' not in html
    assert _names(html) == ["Bea Bright"]
    assert "HX-Request" in response.headers["Vary"]


def test_the_search_form_works_without_javascript(three, as_user):
    html = text(as_user("t@example.org").get("/clients?q=bea"))
    form = html[html.index('<form method="get" action="/clients" role="search"'):]
    form = form[:form.index("</form>")]
    assert 'hx-get="/clients"' in form and 'hx-target="#roster-results"' in form
    assert '<input type="search" id="roster-q" name="q" value="bea"' in form
    assert '<button type="submit">Search</button>' in form
    assert '<select id="roster-sort" name="sort">' in form
    assert '<button type="submit">Sort</button>' in form


def test_the_leg_pain_trend_and_the_next_session(three, as_user):
    rows = _rows(text(as_user("t@example.org").get("/clients")))
    bea = rows["Bea Bright"]
    assert _cell(bea, "pain") == ("3 of 10 Leg pain, last 14 days: 7, 6, 5, 4, 3 "
                                 "(from 7 to 3)")
    assert bea.count("<polyline") == 1 and "style=" not in bea
    # the acute phase's weekly massage falls on Mondays: the next one from today on
    monday = three.today + timedelta(days=-three.today.weekday() % 7)
    with database.connection_context():
        for name in ("Ann Client", "Bea Bright"):
            plan = Plan.get(Plan.client == User.get(User.name == name).id)
            due = [o.date for o in schedule.occurrences(plans.plan_input(plan), three.today,
                                                        three.today + timedelta(days=56))
                   if o.item.is_session]
            assert due[0] == monday
            assert _cell(rows[name], "next") == _short(monday)
    assert _cell(rows["Cal Calm"], "next") == "None"
    assert _cell(rows["Cal Calm"], "pain") == "Not logged"


WEEKLY_SESSION = {
    "key": "massage", "technique": "deep-tissue-massage", "name": "Deep tissue massage",
    "kind": "session",
    "cadence": {"kind": "every_n_days", "interval": 7, "weekdays": [], "anchor": "calendar"},
    "dose": {"hold_seconds": None, "repetitions": None, "sets": None, "minutes": 60,
             "per_side": False},
    "time_of_day": "10:00", "note": "",
}


def _short(day) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def test_a_session_done_today_is_not_the_next_one(world, as_user):
    """A weekly session from today: today's is next until it is checked off, then the one a
    week on; a plan with no session says so."""
    with database.connection_context():
        dee = make_user("dee@example.org", "Dee Weekly")
        CareLink.create(therapist=world.therapist, client=dee)
        plan = plans.create_plan(
            dee, {"phases": [{"name": "Acute", "exit": {"kind": "manual"},
                              "items": [WEEKLY_SESSION]}]},
            world.today, title="Weekly", created_by=world.therapist, therapist=world.therapist)
        eve = make_user("eve@example.org", "Eve Selfcare")
        CareLink.create(therapist=world.therapist, client=eve)
        plans.create_from_template(eve, "self-guided-relief", world.today - timedelta(days=2),
                                   created_by=eve)
    client = as_user("t@example.org")
    rows = _rows(text(client.get("/clients")))
    assert _cell(rows["Dee Weekly"], "next") == _short(world.today)
    assert _cell(rows["Eve Selfcare"], "next") == "None in the next 8 weeks"
    with database.connection_context():
        checkoffs.set_done(plan, "massage", world.today, True)
    rows = _rows(text(client.get("/clients")))
    assert _cell(rows["Dee Weekly"], "next") == _short(world.today + timedelta(days=7))


def test_roster_queries_are_the_same_for_5_and_500_clients(world, as_user, queries):
    """The roster's queries don't grow with the clients: 5, then 500 (each with a plan,
    check-ins, check-offs and a skip)."""
    def add(n, start):
        with database.connection_context(), database.atomic():
            for i in range(start, start + n):
                client, plan = _client_with(world, f"q{i}@example.org", f"Client {i:03}", 20)
                CheckIn.create(client=client, day=world.today, back_pain=3, leg_pain=4)
                CheckIn.create(client=client, day=world.today - timedelta(days=2), back_pain=3,
                               leg_pain=6)
                checkoffs.set_done(plan, "piriformis", world.today - timedelta(days=1), True)
                checkoffs.skip(plan, "piriformis", world.today, "sore")
            SafetyCheck.create(client=client, day=world.today, red_flags=["fever"],
                               problems=[], reported=True)

    client = as_user("t@example.org")

    def count(url):
        counter = queries()
        response = client.get(url)
        assert response.status_code == 200
        return counter.count, response

    add(4, 0)  # with Ann: 5 clients
    five = [count(url)[0] for url in ("/clients", "/clients?sort=pain&dir=desc&q=client")]
    add(495, 4)  # 500 clients
    (many, response) = count("/clients")
    assert len(_rows(text(response))) == 500
    assert [many, count("/clients?sort=pain&dir=desc&q=client")[0]] == five


# --- unread messages on the roster -----------------------------------------------------------


def test_the_roster_links_each_clients_unread_messages(world, as_user):
    with database.connection_context():
        link = CareLink.get(CareLink.client == world.a.id)
        messages.send(link, world.a, "Is it fine to swim?")
        messages.send(link, world.a, "And to cycle?")
        other = CareLink.get(CareLink.client == world.b.id)  # Uma's client: not on this roster
        messages.send(other, world.b, "Hello Uma")
    client = as_user("t@example.org")
    row = _rows(text(client.get("/clients")))["Ann Client"]
    assert (f'<a class="sub unread-link" href="/clients/{world.a.id}/messages">2 unread messages'
            '<span class="visually-hidden"> from Ann Client</span></a>') in row
    assert client.get(f"/clients/{world.a.id}/messages").status_code == 200  # read them
    assert "unread-link" not in text(client.get("/clients"))
