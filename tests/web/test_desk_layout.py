"""The therapist's desk layout: the body's classes that place the navigation, and a
client's page in its blocks (two columns on a wide screen), in the third person."""
import re
from datetime import timedelta

import jinja2
import pytest

from tests.conftest import make_user
from tracker.domain import library
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, Plan
from tracker.web.clients import page_routes


@pytest.fixture
def world(app, auth):
    """Dana (a plan 10 days old) and Nia (no plan) with their therapist Theo, logged in."""
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        dana = make_user(email="d@example.org", name="Dana")
        nia = make_user(email="n@example.org", name="Nia")
        for client in (dana, nia):
            CareLink.create(therapist=therapist, client=client)
        today = plans.local_today(dana)
        plan = plans.assign(dana, library.template("acute-therapist-led")["spec"],
                            today - timedelta(days=10), therapist=therapist, title="Acute plan")
        CheckIn.create(client=dana, day=today - timedelta(days=1), back_pain=3, leg_pain=6,
                       note="Better after the walk")
    auth.login("t@example.org")
    return {"dana": dana, "nia": nia, "plan": plan, "therapist": therapist}


def page(client, who) -> str:
    response = client.get(f"/clients/{who.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def blocks(html: str) -> dict[str, str]:
    """The page's layout blocks, in page order, each with its markup up to the next."""
    marks = [(m.start(), m.group(1)) for m in
             re.finditer(r'<div class="client-(now|record|actions|history)">', html)]
    ends = [start for start, _ in marks[1:]] + [html.index("</main>")]
    return {name: html[start:end] for (start, name), end in zip(marks, ends, strict=True)}


# --- the body's classes: where the navigation goes --------------------------------------


def test_signed_in_pages_carry_the_navigation_and_role_classes(world, client):
    html = client.get("/clients").get_data(as_text=True)
    assert re.search(r'<body [^>]*class="bp-clients with-nav role-therapist"', html)
    assert '<nav class="bottom-nav app-nav" aria-label="Main">' in html
    html = page(client, world["dana"])
    assert re.search(r'<body [^>]*class="bp-client_page with-nav role-therapist"', html)


def test_a_client_page_and_a_signed_out_page(world, app):
    other = app.test_client()
    html = other.get("/login").get_data(as_text=True)
    assert re.search(r'<body [^>]*class="bp-auth"', html) and "app-nav" not in html
    from tests.conftest import Auth

    Auth(other).login("d@example.org")
    html = other.get("/progress").get_data(as_text=True)
    assert re.search(r'<body [^>]*class="bp-progress with-nav role-client"', html)


# --- a client's page: its blocks, in the third person -----------------------------------


def test_the_client_page_in_its_four_blocks(world, client):
    html = page(client, world["dana"])
    parts = blocks(html)
    assert list(parts) == ["now", "record", "actions", "history"]
    assert '<div class="client-layout">' in html
    record, actions, history = parts["record"], parts["actions"], parts["history"]
    for heading in ("Pain", "Adherence", "Dana's phases"):
        assert re.search(rf'<h2 id="\w+-heading">{heading}</h2>', record), heading
    assert "Days done, week by week" in record
    assert "<h2 id=\"controls-heading\">Change Dana's plan</h2>" in actions
    assert "Move to this phase" in actions and "Pause the plan" in actions
    assert "Better after the walk" in history
    assert "<h2 id=\"log-heading\">Changes to Dana's plan</h2>" in history
    head = html[html.index('<div class="client-head">'):html.index('<div class="client-layout')]
    assert "Dana's plan: Acute plan · since " in head
    assert ">Change this plan</a>" in head and ">Printable summary</a>" in head


def test_a_suggestion_and_an_open_report_sit_in_the_now_block(world, client):
    with database.connection_context():
        Plan.update(suggestion="step_down", suggestion_reason="Leg pain 30% lower").execute()
    now = blocks(page(client, world["dana"]))["now"]
    assert '<h2 id="suggestion-heading">Ready to step down</h2>' in now
    assert ">Confirm<span" in now and ">Decline<span" in now


def test_a_client_without_a_plan(world, client):
    html = page(client, world["nia"])
    assert list(blocks(html)) == ["now", "actions"]
    assert '<div class="client-layout no-plan">' in html
    assert "<p>Nia has no plan yet.</p>" in html and "Give Nia a plan</a>" in html
    assert "Change this plan" not in html and "controls-heading" not in html


def test_a_plan_someone_else_assigned_is_read_only(world, client, monkeypatch):
    """With can_edit False (a plan another therapist assigned) the page shows the plan
    and its record, without a control that changes it."""
    real = page_routes.render
    monkeypatch.setattr(page_routes, "render",
                        lambda *a, **k: real(*a, **{**k, "can_edit": False}))
    with database.connection_context():
        Plan.update(suggestion="step_down", suggestion_reason="Leg pain 30% lower").execute()
    html = page(client, world["dana"])
    assert "Change this plan" not in html
    for action in ("step", "pause", "resume", "suggestion"):
        assert f'/plan/{action}"' not in html, action
    assert "Ready to step down" in html and ">Confirm<span" not in html
    assert ("Theo assigned this plan, so only they can change it. You can see Dana's "
            "progress and send messages.") in html
    assert ">Printable summary</a>" in html and "Better after the walk" in html


def test_the_notes_and_messages_panels_go_in_the_actions_block(world, app, client):
    """Other parts provide these two partials; the page includes them when they exist."""
    app.jinja_env.loader = jinja2.ChoiceLoader([
        jinja2.DictLoader({
            "clients/_notes.html": '<section id="notes-panel">Notes on {{ client.name }}</section>',
            "clients/_messages_panel.html": '<section id="messages-panel">Messages</section>',
        }),
        app.jinja_env.loader,
    ])
    actions = blocks(page(client, world["dana"]))["actions"]
    assert actions.index("controls-heading") < actions.index('<section id="notes-panel">Notes '
                                                              "on Dana</section>")
    assert actions.index("notes-panel") < actions.index('id="messages-panel"')
