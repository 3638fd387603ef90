"""Who may reach what: every route in the URL map against five people.

Anonymous, client A, client B, A's therapist T and another therapist T2. The table below
says, for each endpoint, whose it is; a route missing from the table fails the test, so a
new route cannot be forgotten. Every refusal has its one exact answer (``refusal``):

- anonymous: 302 to the login page;
- logged in with the wrong role: 403 (tracker.web.access.role_required);
- the right role, but someone else's thing: 404, as if it did not exist.

Never a 500, and never A's data.
"""
import re
import sqlite3
from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, Auth, _close, csrf_token, new_app
from tests.images import transparent_png
from tracker.domain import library
from tracker.store import invites, photos, plans, questionnaires
from tracker.store.db import database
from tracker.store.models import (
    CareLink,
    CheckIn,
    LoginSession,
    Message,
    PlanTemplate,
    PushSubscription,
    SessionNote,
    Technique,
    User,
)

A_SECRET = "PRIVATE-NOTE-OF-ANN"  # in A's check-in: only A and T may ever see it
T_SECRET = "PRIVATE-SESSION-NOTE-OF-THEO"  # T's private note on A: T's alone
ROLES = ("anonymous", "A", "B", "T", "T2")

PUBLIC = "public"  # anyone (pages before logging in, tokens that are themselves the key)
ANY_USER = "any user"  # anyone logged in, each acting on their own account
CLIENT = "clients"  # any client, on their own plan
THERAPIST = "therapists"  # any therapist, on their own work
OWNER_A = "A only"  # A's own things, named in the URL (any user may try: others get 404)
A_AS_CLIENT = "A only, clients"  # A's own things behind role_required(client) (T: 403, B: 404)
OWNER_T = "T only"  # T's things, or A's things that T looks after (therapists only)
# T's own technique (its "How to" page, its photos): T, and the clients linked to T
SEEN_BY_T = "seen by T and his clients"
# The routes behind role_required, and each person's role.
ROLE_REQUIRED = {CLIENT: "client", THERAPIST: "therapist", OWNER_T: "therapist",
                 A_AS_CLIENT: "client"}
ROLE_OF = {"A": "client", "B": "client", "T": "therapist", "T2": "therapist"}
# A wrong-role GET that sends the user to their own start page instead of refusing.
ROLE_REDIRECTS = {("today.today", "GET"): "/home"}

# endpoint -> (who, URL values). "{x}" values are filled from the world fixture.
MATRIX = {
    "static": (PUBLIC, {"filename": "css/app.css"}),
    "main.healthz": (PUBLIC, {}),
    "main.index": (PUBLIC, {}),
    "main.home": (ANY_USER, {}),
    "auth.login": (PUBLIC, {}),
    "auth.register": (PUBLIC, {}),
    "auth.logout": (ANY_USER, {}),
    "auth.change_password": (ANY_USER, {}),
    "auth.forgot_password": (PUBLIC, {}),
    "auth.reset_sent": (PUBLIC, {}),
    "auth.reset_password": (PUBLIC, {"token": "not-a-real-token"}),
    "offline.service_worker": (PUBLIC, {}),
    "offline.manifest": (PUBLIC, {}),
    "offline.page": (PUBLIC, {}),
    "offline.session": (ANY_USER, {}),
    # Token routes: the matrix uses a token that opens nothing; their own tests cover
    # the right tokens.
    "calendar.subscribed_feed": (PUBLIC, {"token": "not-a-real-token"}),
    "reminders.unsubscribe": (PUBLIC, {"token": "not-a-real-token"}),
    "push.done": (PUBLIC, {"token": "not-a-real-token"}),
    "clients.join": (PUBLIC, {"token": "not-a-real-token"}),
    "clients.accept": (PUBLIC, {"token": "not-a-real-token"}),
    "library.index": (ANY_USER, {}),
    "library.detail": (SEEN_BY_T, {"technique_id": "{technique}"}),
    "library.copy": (OWNER_T, {"technique_id": "{technique}"}),
    "library.edit": (OWNER_T, {"technique_id": "{technique}"}),
    "library.delete": (OWNER_T, {"technique_id": "{technique}"}),
    "library.new": (THERAPIST, {}),
    "library.photos": (OWNER_T, {"technique_id": "{technique}"}),
    "library.photo": (SEEN_BY_T, {"photo_id": "{photo}"}),
    "library.delete_photo": (OWNER_T, {"technique_id": "{technique}", "photo_id": "{photo}"}),
    "settings.index": (ANY_USER, {}),
    "settings.end_link": (OWNER_A, {"link_id": "{link}"}),
    "settings.data": (ANY_USER, {}),
    "settings.export": (ANY_USER, {}),
    "settings.delete_account": (ANY_USER, {}),
    "settings.account": (ANY_USER, {}),
    "settings.sign_out_device": (OWNER_A, {"session_id": "{sign_in}"}),
    "settings.sign_out_everywhere": (ANY_USER, {}),
    "reminders.settings": (ANY_USER, {}),
    "alerts.settings": (THERAPIST, {}),
    "audit.seen": (CLIENT, {}),
    "push.subscribe": (ANY_USER, {}),
    "push.unsubscribe": (ANY_USER, {}),
    "push.delete": (OWNER_A, {"sub_id": "{subscription}"}),
    "calendar.new_link": (ANY_USER, {}),
    "calendar.delete_link": (ANY_USER, {}),
    "calendar.feed": (CLIENT, {}),
    "today.today": (CLIENT, {}),
    "today.check": (CLIENT, {"day_text": "{today}", "item_key": "piriformis"}),
    "today.skip": (CLIENT, {"day_text": "{today}", "item_key": "piriformis"}),
    "today.book": (CLIENT, {"day_text": "{today}", "item_key": "massage"}),
    "checkin.form": (CLIENT, {}),
    "checkin.safety": (CLIENT, {}),
    "checkin.urgent": (CLIENT, {}),
    "checkin.paused": (CLIENT, {}),
    "checkin.resume": (CLIENT, {}),
    "checkin.checked": (CLIENT, {}),
    "plans.plan": (CLIENT, {}),
    "plans.start": (CLIENT, {}),
    "plans.finish": (CLIENT, {}),
    "plans.suggestion": (CLIENT, {}),
    "progress.progress": (CLIENT, {}),
    "clients.roster": (THERAPIST, {}),
    "clients.invite": (THERAPIST, {}),
    "clients.cancel_invite": (OWNER_T, {"invite_id": "{invite}"}),
    "clients.archive": (OWNER_T, {"client_id": "{a}"}),
    "clients.restore": (OWNER_T, {"client_id": "{a}"}),
    "client_page.show": (OWNER_T, {"client_id": "{a}"}),
    "client_page.summary": (OWNER_T, {"client_id": "{a}"}),
    "client_page.pause": (OWNER_T, {"client_id": "{a}"}),
    "client_page.resume": (OWNER_T, {"client_id": "{a}"}),
    "client_page.step": (OWNER_T, {"client_id": "{a}"}),
    "client_page.suggestion": (OWNER_T, {"client_id": "{a}"}),
    "client_page.safety_resume": (OWNER_T, {"client_id": "{a}"}),
    "builder.templates": (THERAPIST, {}),
    "builder.new": (THERAPIST, {}),
    "builder.techniques": (THERAPIST, {}),
    "builder.update": (THERAPIST, {}),
    "builder.edit": (OWNER_T, {"plan_id": "{plan}"}),
    "builder.delete_template": (OWNER_T, {"template_id": "{template}"}),
    "notes.new": (OWNER_T, {"client_id": "{a}"}),
    "notes.edit": (OWNER_T, {"client_id": "{a}", "note_id": "{note}"}),
    "notes.delete": (OWNER_T, {"client_id": "{a}", "note_id": "{note}"}),
    "messages.index": (CLIENT, {}),
    "messages.badge": (CLIENT, {}),
    "messages.thread": (A_AS_CLIENT, {"therapist_id": "{t}"}),
    "messages.client_thread": (OWNER_T, {"client_id": "{a}"}),
    "handout.own": (CLIENT, {}),
    "handout.client": (OWNER_T, {"client_id": "{a}"}),
    "questionnaires.index": (CLIENT, {}),
    "questionnaires.answer": (A_AS_CLIENT, {"instrument_id": "psfs"}),  # on A's plan only
    "questionnaires.history": (CLIENT, {"instrument_id": "psfs"}),
    "questionnaires.assign": (OWNER_T, {"client_id": "{a}"}),
    "questionnaires.unassign": (OWNER_T, {"client_id": "{a}", "instrument_id": "psfs"}),
}


def allowed(who: str, role: str) -> bool:
    return {
        PUBLIC: True,
        ANY_USER: role != "anonymous",
        CLIENT: role in ("A", "B"),
        THERAPIST: role in ("T", "T2"),
        OWNER_A: role == "A",
        A_AS_CLIENT: role == "A",
        OWNER_T: role == "T",
        SEEN_BY_T: role in ("T", "A"),
    }[who]


EMAILS = {"A": "a@example.org", "B": "b@example.org", "T": "t@example.org",
          "T2": "t2@example.org", "T3": "t3@example.org"}
# One secret key for the world and its copies, so the sessions logged in once still hold.
CONFIG = {"TESTING": True, "PUSH_ALLOW_INSECURE_LOCALHOST": True,
          "SECRET_KEY": "access-matrix-test-key"}


def refusal(who: str, role: str, endpoint: str, method: str) -> tuple[int, str | None]:
    """The exact answer (status, redirect target) when ``role`` may not use the route."""
    if role == "anonymous":
        return 302, "/login"
    wrong_role = who in ROLE_REQUIRED and ROLE_REQUIRED[who] != ROLE_OF[role]
    if wrong_role and (endpoint, method) in ROLE_REDIRECTS:
        return 302, ROLE_REDIRECTS[endpoint, method]
    return (403 if wrong_role else 404), None


@pytest.fixture(scope="module")
def world_db(tmp_path_factory):
    """The matrix's world, built once into a SQLite file that each test copies (``world``).

    Module-scoped because nothing changes this file: the requests of the matrix do change
    their world (A ends a link, T archives A), so each test gets its own copy of it.
    """
    from tracker.store.models import create_tables

    folder = tmp_path_factory.mktemp("m")
    app = new_app({**CONFIG, "DATABASE_URL": f"sqlite:///{folder}/m.db",
                "INSTANCE_PATH": str(folder / "instance")})
    create_tables()
    with database.connection_context():
        plans.seed_library()
        make = User.create_account
        a = make(EMAILS["A"], "Ann Owner", PASSWORD, "client", "Europe/London")
        make(EMAILS["B"], "Bob Other", PASSWORD, "client", "Asia/Tokyo")
        t = make(EMAILS["T"], "Theo Therapist", PASSWORD, "therapist", "Europe/London")
        make(EMAILS["T2"], "Tara Elsewhere", PASSWORD, "therapist", "Europe/Paris")
        # A's second therapist: sees A's plan, which T assigned, read-only (one author).
        t3 = make(EMAILS["T3"], "Sam Second", PASSWORD, "therapist", "Europe/London")
        link = CareLink.create(therapist=t, client=a)
        CareLink.create(therapist=t3, client=a)
        today = plans.local_today(a)
        plan = plans.assign(a, library.template("acute-therapist-led")["spec"],
                            plans.monday_of(today), therapist=t, title="Ann's plan")
        questionnaires.assign(plan, "psfs")
        CheckIn.create(client=a, day=today - timedelta(days=1), back_pain=2, leg_pain=5,
                       note=A_SECRET)
        note = SessionNote.create(plan=plan, client=a, therapist=t, item_key="massage",
                                  session_day=plan.start, done=T_SECRET, shared=False)
        Message.create(link=link, sender=a, body=f"A message: {A_SECRET}")
        technique = Technique.create(slug="theos-own-abc123", name="Theo's own stretch",
                                     kind="stretch", owner=t)
        photo = photos.add(technique, transparent_png((40, 40)), "Theo's photo")
        template = PlanTemplate.create(owner=t, name="Theo's taper",
                                       spec=library.template("maintenance")["spec"])
        invite, _ = invites.create(t, "for someone")
        subscription = PushSubscription.create(user=a, endpoint="https://fcm.googleapis.com/x",
                                               p256dh="k" * 87, auth="a" * 22)
    sessions = {}
    for role, email in EMAILS.items():
        client = app.test_client()
        assert Auth(client).login(email).status_code == 302
        sessions[role] = client.get_cookie("session").value
    with database.connection_context():
        sign_in = LoginSession.get(LoginSession.user == a).id
    _close(database.obj)
    values = {"a": a.id, "t": t.id, "plan": plan.id, "technique": technique.id,
              "photo": photo.id, "template": template.id, "invite": invite.id, "link": link.id,
              "subscription": subscription.id,
              "today": today.isoformat(), "sign_in": sign_in, "note": note.id}
    return folder / "m.db", values, sessions


class Clients(dict):
    """A test client per role ("anonymous" too), made when first asked for, with the
    session its role logged in with in ``world_db``."""

    def __init__(self, app, sessions):
        super().__init__()
        self.app = app
        self.sessions = sessions

    def __missing__(self, role):
        client = self[role] = self.app.test_client()
        if role in self.sessions:
            client.set_cookie("session", self.sessions[role])
        return client


@pytest.fixture
def world(world_db, tmp_path):
    """This test's own copy of the world: an app on it, its URL values and its clients."""
    path, values, sessions = world_db
    with sqlite3.connect(path) as source, sqlite3.connect(tmp_path / "m.db") as copy:
        source.backup(copy)  # the WAL's pages too
    app = new_app({**CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    db = database.obj
    yield app, values, Clients(app, sessions)
    _close(db)


def _cases():
    for endpoint, (who, args) in MATRIX.items():
        for role in ROLES:
            yield pytest.param(endpoint, who, args, role, id=f"{endpoint}-{role}")


def _url(app, endpoint, args, values):
    filled = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in args.items()}
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **filled)


def test_every_route_is_in_the_matrix(world):
    app, _, _ = world
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - MATRIX.keys() == set(), "add the new routes to MATRIX"
    assert MATRIX.keys() - endpoints == set(), "remove routes that no longer exist"


@pytest.mark.parametrize("role", ["A", "T"])
def test_the_owners_do_see_it(world, role):
    app, values, clients = world
    html = clients[role].get(
        "/progress" if role == "A" else f"/clients/{values['a']}").get_data(as_text=True)
    assert ("Your progress" if role == "A" else A_SECRET) in html


@pytest.mark.parametrize("endpoint, who, args, role", list(_cases()))
def test_access(world, endpoint, who, args, role):
    app, values, clients = world
    client = clients[role]
    url = _url(app, endpoint, args, values)
    methods = next(r.methods for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    token = csrf_token(client, "/login" if role == "anonymous" else "/library")
    for method in sorted(methods - {"HEAD", "OPTIONS"}):
        if endpoint == "auth.logout" or (method == "POST" and endpoint.startswith("auth.")):
            continue  # logging out or in again would change who this client is
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={}, headers={"X-CSRFToken": token})
        body = response.get_data()  # bytes: some answers are files (zip, ics)
        where = f"{method} {url} as {role}"
        assert response.status_code < 500, where
        if response.status_code == 200 and response.mimetype == "text/html" and b"<title>" in body:
            # Every page says what it is in plain text (no markup slipped into a title).
            assert re.search(rb"<title>[^<>]+ \xc2\xb7 Sciatica care plan</title>", body), where
        if allowed(who, role):
            continue
        # Not theirs: no data of A's, and the one refusal for who they are.
        assert A_SECRET.encode() not in body and b"Ann Owner" not in body, where
        assert T_SECRET.encode() not in body, where
        status, target = refusal(who, role, endpoint, method)
        assert response.status_code == status, where
        if target is not None:
            assert response.location.split("?")[0] == target, where


# A's second linked therapist (T3) on the routes about A: sees, writes notes and reviews
# safety, never changes T's plan (403), never reaches T's notes (404). GET and POST each.
SECOND_THERAPIST = {
    "client_page.show": {"GET": 200},
    "client_page.summary": {"GET": 200},
    "client_page.pause": {"POST": 403},
    "client_page.resume": {"POST": 403},
    "client_page.step": {"POST": 403},
    "client_page.suggestion": {"POST": 403},
    "client_page.safety_resume": {"POST": 302},  # safety first: any linked therapist
    "builder.edit": {"GET": 403},
    "notes.new": {"GET": 200, "POST": 422},  # their own notes (an empty form: 422)
    "notes.edit": {"GET": 404, "POST": 404},  # T's note
    "notes.delete": {"GET": 404, "POST": 404},
    "questionnaires.assign": {"POST": 403},  # the plan's questionnaires are T's to change
    "questionnaires.unassign": {"GET": 403, "POST": 403},
}


@pytest.mark.parametrize("endpoint", list(SECOND_THERAPIST))
def test_a_second_linked_therapist(world, endpoint):
    app, values, clients = world
    client = clients["T3"]
    url = _url(app, endpoint, MATRIX[endpoint][1], values)
    token = csrf_token(client, "/library")
    for method, status in SECOND_THERAPIST[endpoint].items():
        response = client.get(url) if method == "GET" else client.post(
            url, data={}, headers={"X-CSRFToken": token})
        assert response.status_code == status, f"{method} {url}"
        assert T_SECRET.encode() not in response.get_data(), f"{method} {url}"


def test_a_second_linked_therapist_cannot_save_changes_through_the_builder(world):
    app, values, clients = world
    client = clients["T3"]
    response = client.post("/plans/builder", data={"plan_id": str(values["plan"])},
                           headers={"X-CSRFToken": csrf_token(client, "/library")})
    assert response.status_code == 403
