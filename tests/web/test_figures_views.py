"""Technique figures on the pages (issue 18, "Where the pictures show"): /today, the How-to
page, the hold timer's poses, the plan builder's items, the calendar feed's links, and the
printed handout (/plan/handout, /clients/<id>/handout). Tested through the figures
interface (tracker.domain.figures): whatever a figure draws, the page carries it as rendered.
"""
import re

import icalendar
import pytest

from tests.conftest import Auth, make_user
from tracker.domain import audit, figures, handout, library
from tracker.store import plans
from tracker.store.db import database
from tracker.store.models import AuditEntry, CareLink, Plan, Technique
from tracker.web.figures import timer_roles

ACUTE = "acute-therapist-led"
ACUTE_SELF_CARE = ["piriformis", "knee-to-chest", "forward-bend", "heat", "trigger-point", "ice"]


@pytest.fixture
def world(app):
    """Ann (client) on the acute template from this week, her therapist Theo, another
    therapist Tara, and Bob, a client with no plan. Returns their ids and Ann's plan's."""
    with database.connection_context():
        plans.seed_library()
        ann = make_user("ann@example.org", "Ann Owner")
        make_user("bob@example.org", "Bob Other")
        theo = make_user("theo@example.org", "Theo Therapist", role="therapist")
        make_user("tara@example.org", "Tara Elsewhere", role="therapist")
        CareLink.create(therapist=theo, client=ann)
        today = plans.local_today(ann)
        plan = plans.assign(ann, library.template(ACUTE)["spec"], today, therapist=theo,
                            title="Ann's plan", template_slug=ACUTE)
        ids = {slug: t.id for slug, t in ((t.slug, t) for t in Technique.select())}
        return {"ann": ann.id, "theo": theo.id, "plan": plan.id, "techniques": ids}


def login(client, email):
    assert Auth(client).login(email).status_code == 302


def rendered(slug, view, uid, pose=0):
    return str(figures.render(figures.for_technique(slug), view=view, uid=uid, pose=pose))


# --- /today ---------------------------------------------------------------------------


def test_today_shows_each_items_figure_small_linking_to_its_how_to_figure(world, client):
    login(client, "ann@example.org")
    html = client.get("/today").get_data(as_text=True)
    spec = library.template(ACUTE)["spec"]["phases"][0]["items"]
    for item in spec:
        if item["key"] == "massage" and "item-massage" not in html:
            continue  # the weekly session is not due every day
        detail = f"/library/{world['techniques'][item['technique']]}"
        assert f'href="{detail}#figure"' in html
        assert rendered(item["technique"], "animated", f"fig-{item['key']}") in html
        assert f"Pictures of {item['name']}, larger" in html
    assert html.count('class="item-figure"') == html.count('class="item ')


def test_today_renders_every_pose_hidden_for_the_hold_timer(world, client):
    login(client, "ann@example.org")
    html = client.get("/today").get_data(as_text=True)
    fig = figures.for_technique("piriformis-stretch")
    box = re.search(r'<div class="timer-poses" id="timer-poses-piriformis" hidden>(.*?)\n</div>',
                    html, re.S)
    assert box, "no timer poses for the piriformis stretch"
    roles = re.findall(r'<div class="timer-pose" data-role="([a-z-]+)" hidden>', box.group(1))
    assert roles == timer_roles(fig)
    for i in range(len(fig.pose_names)):
        assert rendered("piriformis-stretch", "pose", f"pose-piriformis-{i}", i) in box.group(1)
    # Without JavaScript the timer stays hidden, as before: its button and panel too.
    assert re.search(r'<button type="button" class="action timer-start" hidden', html)


def test_timer_roles_follow_the_pose_names():
    from dataclasses import replace

    base = figures.for_technique("piriformis-stretch")
    fig = replace(base, pose_names=("Hold, right side", "Release", "Hold, left side"))
    assert timer_roles(fig) == ["hold-right", "rest", "hold-left"]
    fig = replace(base, pose_names=("Hold", "Relax"))
    assert timer_roles(fig) == ["hold", "rest"]


def test_an_item_without_a_built_in_figure_shows_none(app, client):
    with database.connection_context():
        plans.seed_library()
        user = make_user()
        item = {"key": "own", "technique": "my-own-stretch", "name": "My own stretch",
                "kind": "stretch", "cadence": {"kind": "every_n_days", "interval": 1,
                                               "weekdays": [], "anchor": "calendar"},
                "dose": {"hold_seconds": 20, "repetitions": 2, "sets": None,
                         "minutes": None, "per_side": False}}
        plans.create_plan(user, {"phases": [{"name": "Only", "exit": {"kind": "manual"},
                                             "items": [item]}]},
                          plans.local_today(user), title="Own", created_by=user)
    login(client, "client@example.org")
    html = client.get("/today").get_data(as_text=True)
    assert "My own stretch" in html
    assert "item-figure" not in html and "timer-poses" not in html and "<svg" not in html


# --- the How-to page and the builder --------------------------------------------------


def test_how_to_page_shows_the_figure_large_with_its_pose_names(world, client):
    login(client, "ann@example.org")
    html = client.get(f"/library/{world['techniques']['piriformis-stretch']}") \
        .get_data(as_text=True)
    assert '<figure id="figure" class="howto-figure">' in html
    assert rendered("piriformis-stretch", "animated", "howto-figure") in html
    for i, name in enumerate(figures.for_technique("piriformis-stretch").pose_names, 1):
        assert f"{i}. {name}" in html
    assert html.index('id="figure"') < html.index("How to do it")


def test_a_therapists_own_technique_has_no_figure(world, client):
    login(client, "theo@example.org")
    with database.connection_context():
        own = Technique.create(slug="theo-special", name="Theo's special", kind="stretch",
                               owner=world["theo"])
    html = client.get(f"/library/{own.id}").get_data(as_text=True)
    assert "Theo&#39;s special" in html and 'id="figure"' not in html


def test_builder_items_show_their_figures(world, client):
    login(client, "theo@example.org")
    html = client.get(f"/plans/{world['plan']}/edit").get_data(as_text=True)
    assert html.count('class="builder-figure" aria-hidden="true"') >= 7
    assert 'figure--piriformis-stretch' in html and 'figure--foam-roller' in html


# --- the calendar feed ----------------------------------------------------------------


def test_calendar_descriptions_link_each_items_how_to_page(world, client):
    login(client, "ann@example.org")
    feed = icalendar.Calendar.from_ical(client.get("/calendar.ics").get_data())
    events = list(feed.walk("VEVENT"))
    self_care = next(e for e in events if str(e["SUMMARY"]).startswith("Self-care"))
    description = str(self_care["DESCRIPTION"])
    piriformis = world["techniques"]["piriformis-stretch"]
    assert (f"Piriformis stretch: hold 15 s, 3 times, each side\n"
            f"How to (with pictures): http://localhost/library/{piriformis}") in description
    session = next(e for e in events if str(e["SUMMARY"]) == "Deep tissue massage")
    massage = world["techniques"]["deep-tissue-massage"]
    assert str(session["DESCRIPTION"]).endswith(
        f"How to (with pictures): http://localhost/library/{massage}")


# --- the handout ----------------------------------------------------------------------


def test_handout_lists_every_self_care_item_with_figure_dose_cadence_and_cautions(world,
                                                                                 client):
    login(client, "ann@example.org")
    plan_page = client.get("/plan").get_data(as_text=True)
    assert '<a class="button" href="/plan/handout">Print handout</a>' in plan_page
    response = client.get("/plan/handout")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ann Owner: self-care at home" in html and "Acute phase" in html
    items = library.template(ACUTE)["spec"]["phases"][0]["items"]
    for item in items:
        if item["kind"] == "session":
            assert rendered(item["technique"], "poses", f"handout-{item['key']}") not in html
            continue
        assert rendered(item["technique"], "poses", f"handout-{item['key']}") in html
        assert f"<h2>{item['name']}</h2>" in html
    assert html.count('<li class="handout-item">') == len(ACUTE_SELF_CARE)
    assert "<strong>Hold 15 s, 3 times, each side</strong> · daily · 08:00" in html
    assert "<strong>15 min</strong> · daily · 19:00" in html
    # A caution shared by several items is said once, under "For all of these".
    assert html.count("Stop if the pain turns sharp") == 1
    assert "Warm, not hot" in html  # the heat pack's own caution
    assert handout.URGENT_LINE in html


def test_therapist_prints_their_clients_handout_from_the_client_page(world, client):
    login(client, "theo@example.org")
    page = client.get(f"/clients/{world['ann']}").get_data(as_text=True)
    url = f"/clients/{world['ann']}/handout"
    assert f'href="{url}">Print self-care handout</a>' in page
    html = client.get(url).get_data(as_text=True)
    assert "Ann Owner: self-care at home" in html and "Ann Owner&#39;s page" in html
    assert html.count('<li class="handout-item">') == len(ACUTE_SELF_CARE)
    # Opening it is in the audit log Ann reads ("Who has seen your data").
    with database.connection_context():
        entries = [(e.actor_id, e.subject_id, e.action) for e in AuditEntry.select()]
    assert (world["theo"], world["ann"], audit.VIEWED_HANDOUT) in entries


@pytest.mark.parametrize("email, url, status", [
    (None, "/plan/handout", 302),
    (None, "/clients/{ann}/handout", 302),
    ("bob@example.org", "/plan/handout", 404),  # no plan
    ("theo@example.org", "/plan/handout", 403),  # a therapist has no plan of their own
    ("tara@example.org", "/clients/{ann}/handout", 404),  # not her client
    ("theo@example.org", "/clients/{bob}/handout", 404),  # not his client
    ("theo@example.org", "/clients/999999/handout", 404),
    ("ann@example.org", "/clients/{ann}/handout", 403),  # clients have no client pages
])
def test_handout_refusals(world, client, email, url, status):
    with database.connection_context():
        from tracker.store.models import User
        bob = User.get(User.email == "bob@example.org").id
    if email:
        login(client, email)
    response = client.get(url.format(ann=world["ann"], bob=bob))
    assert response.status_code == status
    if status == 302:
        assert response.location.startswith("/login")


def test_handout_of_a_linked_client_without_a_plan_is_404(world, client):
    with database.connection_context():
        Plan.update(status=Plan.FINISHED).where(Plan.id == world["plan"]).execute()
    login(client, "theo@example.org")
    assert client.get(f"/clients/{world['ann']}/handout").status_code == 404
    Auth(client).logout()
    login(client, "ann@example.org")
    assert client.get("/plan/handout").status_code == 404
