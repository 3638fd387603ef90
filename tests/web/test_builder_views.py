"""The plan builder over HTTP: who may do what, bad input, and what gets stored."""
import copy
import re
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from tests.conftest import Auth, csrf_token, make_user
from tracker.domain import builder, library, plan_spec, schedule
from tracker.domain.text import CONTROL_MESSAGE
from tracker.store import plans, queries
from tracker.store.db import database
from tracker.store.models import CareLink, Plan, PlanEvent, PlanRevision, PlanTemplate, User

THERAPIST, OTHER, CLIENT, STRANGER = (
    "t@example.org", "other@example.org", "c@example.org", "s@example.org")
ACUTE = "acute-therapist-led"


@pytest.fixture
def world(app):
    """A therapist linked to a client with a plan and a template of her own; another
    therapist linked to another client."""
    with database.connection_context():
        plans.seed_library()
        therapist = make_user(email=THERAPIST, name="Tess Therapist", role="therapist")
        other = make_user(email=OTHER, name="Otto Other", role="therapist")
        client = make_user(email=CLIENT, name="Casey Client")
        stranger = make_user(email=STRANGER, name="Sam Stranger")
        CareLink.create(therapist=therapist, client=client)
        CareLink.create(therapist=other, client=stranger)
        today = plans.local_today(therapist)
        plan = plans.assign(client, library.template(ACUTE)["spec"], today - timedelta(days=14),
                            therapist=therapist, title="Acute plan", template_slug=ACUTE)
        own = PlanTemplate.create(owner=therapist, name="Tess's taper", description="Mine",
                                  spec=library.template("maintenance")["spec"])
    return SimpleNamespace(therapist=therapist, other=other, client=client, stranger=stranger,
                           plan=plan, own=own, today=today)


@pytest.fixture
def login(client):
    def log_in(email):
        Auth(client).login(email)
        return client

    return log_in


def acute_fields(**changes) -> MultiDict:
    """The acute template as the builder's form posts it, with some fields changed."""
    fields = builder.form_fields(builder.draft_from_spec(library.template(ACUTE)["spec"]))
    form = MultiDict([(name, value) for name, values in fields.items() for value in values])
    for name, value in changes.items():
        form.setlist(name, value if isinstance(value, list) else [value])
    return form


def post(http, form: MultiDict, htmx=False, **fields):
    form = MultiDict(form)
    form.setdefault("csrf_token", csrf_token(http, "/plans"))
    for name, value in fields.items():
        form[name] = value
    headers = {"HX-Request": "true"} if htmx else {}
    return http.post("/plans/builder", data=form, headers=headers)


def assign_form(world, **changes) -> MultiDict:
    form = acute_fields(title="Casey's plan", source=ACUTE, client=str(world.client.id),
                        start=world.today.isoformat(), action="assign")
    for name, value in changes.items():
        form.setlist(name, value if isinstance(value, list) else [value])
    return form


def counts() -> tuple[int, int, int, int]:
    with database.connection_context():
        return (Plan.select().count(), PlanRevision.select().count(),
                PlanTemplate.select().count(), PlanEvent.select().count())


def spec_of(plan_id) -> list[dict]:
    with database.connection_context():
        return [r.spec for r in PlanRevision.select().where(PlanRevision.plan == plan_id)
                .order_by(PlanRevision.effective_from, PlanRevision.id)]


def text(response) -> str:
    return response.get_data(as_text=True)


# --- who may see what -------------------------------------------------------------------


def get_urls(world):
    return [
        "/plans", "/plans/new", f"/plans/new?template={ACUTE}",
        f"/plans/new?template=own-{world.own.id}", f"/plans/{world.plan.id}/edit",
        f"/plans/templates/{world.own.id}/delete",
        "/plans/techniques?field=phases-0-items-0&phases-0-items-0-search=ice",
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    for url in get_urls(world):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login"), url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 204
    token = csrf_token(client)
    for url in ("/plans/builder", f"/plans/templates/{world.own.id}/delete"):
        response = client.post(url, data={"csrf_token": token, "action": "preview"})
        assert response.status_code == 302 and response.location.startswith("/login")
    assert counts()[2] == 1


def test_clients_get_403_everywhere(world, login):
    client = login(CLIENT)
    for url in get_urls(world):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/today")
    for url in ("/plans/builder", f"/plans/templates/{world.own.id}/delete"):
        assert client.post(url, data={"csrf_token": token, "action": "preview"}).status_code == 403
    assert counts()[2] == 1


def test_the_therapist_sees_every_page(world, login):
    client = login(THERAPIST)
    for url in get_urls(world):
        assert client.get(url).status_code == 200, url


def test_other_peoples_plans_clients_and_templates_are_404(world, login):
    client = login(OTHER)
    assert client.get("/plans").status_code == 200
    for url in (f"/plans/new?template=own-{world.own.id}", f"/plans/{world.plan.id}/edit",
                f"/plans/templates/{world.own.id}/delete", f"/plans/new?client={world.client.id}",
                "/plans/new?template=no-such-template", "/plans/new?template=own-999",
                "/plans/999/edit"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/plans")
    response = client.post(f"/plans/templates/{world.own.id}/delete", data={"csrf_token": token})
    assert response.status_code == 404
    form = acute_fields(plan_id=str(world.plan.id), action="save-changes",
                        effective_from=world.today.isoformat())
    assert post(client, form).status_code == 404
    assert counts() == (1, 1, 1, 1)


def test_the_list_shows_builtin_and_own_templates_and_clients_plans(world, login):
    client = login(THERAPIST)
    html = text(client.get("/plans"))
    for template in library.TEMPLATES:
        assert template["name"] in html
        assert f'href="/plans/new?template={template["slug"]}"' in html
    assert "Tess&#39;s taper" in html
    assert f'href="/plans/new?template=own-{world.own.id}"' in html
    assert f'href="/plans/templates/{world.own.id}/delete"' in html
    assert 'href="/plans/new"' in html and "Start from scratch" in html
    assert f'href="/plans/{world.plan.id}/edit"' in html and "Casey Client: Acute plan" in html
    html = text(client.get(f"/plans?client={world.client.id}"))
    assert f'href="/plans/new?template={ACUTE}&amp;client={world.client.id}"' in html


def test_the_nav_has_plans_for_therapists(world, login):
    html = text(login(THERAPIST).get("/plans"))
    assert re.search(r'<a href="/plans" aria-current="page">\s*<span[^>]*>▤</span>Plans', html)


# --- the builder page ------------------------------------------------------------------


def test_new_from_a_template_shows_every_field_labelled(world, login):
    html = text(login(THERAPIST).get(f"/plans/new?template={ACUTE}&client={world.client.id}"))
    assert "<h1>Build a plan</h1>" in html
    assert 'value="Acute sciatica, therapist-led"' in html
    controls = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]* id="([^"]+)"',
                          html)
    assert len(controls) > 300
    for field_id in controls:
        assert f'for="{field_id}"' in html, field_id
    assert '<optgroup label="Professional sessions">' in html
    assert html.count('<details class="item-editor"') == 7 + 8 + 8
    assert f'<option selected value="{world.client.id}">Casey Client</option>' in html
    assert f'value="{world.today.isoformat()}"' in html


def test_from_scratch_and_from_an_own_template(world, login):
    client = login(THERAPIST)
    html = text(client.get("/plans/new"))
    assert 'value="Phase 1"' in html and "No items in this phase yet." in html
    html = text(client.get(f"/plans/new?template=own-{world.own.id}"))
    assert 'value="Tess&#39;s taper"' in html and 'value="own-' in html


def test_edit_loads_the_plan_as_in_force_today(world, login):
    spec = copy.deepcopy(library.template(ACUTE)["spec"])
    spec["phases"][0]["items"][0]["cadence"]["interval"] = 3
    with database.connection_context():
        plans.revise(world.plan, spec, world.today - timedelta(days=1), world.therapist)
        plans.revise(world.plan, library.template(ACUTE)["spec"],
                     world.today + timedelta(days=5), world.therapist)
    html = text(login(THERAPIST).get(f"/plans/{world.plan.id}/edit"))
    assert 'id="phases-0-items-0-interval" name="phases-0-items-0-interval" value="3"' in html
    assert "Changes take effect from" in html and "Save changes" in html
    assert "Assign to client" not in html


# --- actions and htmx ------------------------------------------------------------------


def root_of(html: str) -> str:
    """The fragment's first tag."""
    return html.strip().split(">", 1)[0] + ">"


def test_an_item_edit_over_htmx_answers_with_that_item_only(world, login):
    client = login(THERAPIST)
    form = acute_fields(**{"phases-0-items-7-technique": "foam-roller"})
    response = post(client, form, htmx=True, action="refresh-item-0-7")
    html = text(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert root_of(html) == ('<li id="phases-0-items-7-row" class="item-row" '
                             'data-origin="phases-0-items-7" data-prefix="phases-0-items-7">')
    assert response.headers["HX-Retarget"] == "#phases-0-items-7-row"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert '<span class="item-title">Foam roller</span>' in html
    assert 'name="phases-0-items-7-minutes" value="3"' in html
    assert 'id="phases-0-items-6' not in html and 'id="phases-1' not in html
    assert "autofocus" not in html  # the therapist may already be typing in the next field
    assert "<html" not in html and 'id="preview"' not in html
    assert counts() == (1, 1, 1, 1)


def test_an_item_edit_without_javascript_is_the_whole_page_focused_on_the_item(world, login):
    form = acute_fields(**{"phases-0-items-7-technique": "foam-roller"})
    response = post(login(THERAPIST), form, action="refresh-item-0-7")
    html = text(response)
    assert response.status_code == 200 and html.startswith("<!doctype html>")
    assert "HX-Retarget" not in response.headers
    assert re.search(r'id="phases-0-items-7-technique"[^>]*autofocus', html, re.S)
    assert re.search(r'<details class="item-editor" id="phases-0-items-7" open>', html)
    assert '<span class="item-title">Foam roller</span>' in html


def test_an_added_item_comes_alone_to_the_end_of_its_phase(world, login):
    response = post(login(THERAPIST), acute_fields(), htmx=True, action="add-item-1")
    html = text(response)
    assert response.status_code == 200
    assert root_of(html) == ('<li id="phases-1-items-8-row" class="item-row" data-origin="" '
                             'data-prefix="phases-1-items-8">')
    assert response.headers["HX-Retarget"] == "#phases-1-items"
    assert response.headers["HX-Reswap"] == "beforeend"
    assert html.count('<details class="item-editor"') == 1
    assert re.search(r'id="phases-1-items-8-technique"[^>]*autofocus', html, re.S)


@pytest.mark.parametrize(("action", "first", "second"), [
    ("item-up-2-1", 0, 1), ("item-down-0-3", 3, 4)])
def test_two_items_that_swap_places_come_as_one_and_one_out_of_band(world, login, action,
                                                                     first, second):
    response = post(login(THERAPIST), acute_fields(), htmx=True, action=action)
    html = text(response)
    phase = action.split("-")[2]
    q, other = f"phases-{phase}-items-{first}", f"phases-{phase}-items-{second}"
    assert response.headers["HX-Retarget"] == f"#{q}-row"
    assert root_of(html) == (f'<li id="{q}-row" class="item-row" data-origin="{other}" '
                             f'data-prefix="{q}">')
    assert (f'<li id="{other}-row" class="item-row" data-origin="{q}" data-prefix="{other}" '
            'hx-swap-oob="true">') in html
    assert html.count('<details class="item-editor"') == 2
    assert html.count('hx-swap-oob') == 1


@pytest.mark.parametrize(("action", "phase", "item_count"), [
    ("remove-item-1-0", 1, 7), ("item-up-0-0", 0, 7)])
def test_removing_an_item_over_htmx_answers_with_its_phase(world, login, action, phase,
                                                           item_count):
    response = post(login(THERAPIST), acute_fields(), htmx=True, action=action)
    html = text(response)
    assert response.status_code == 200
    assert root_of(html) == (f'<li class="phase-editor card" id="phases-{phase}" '
                             f'data-origin="phases-{phase}" data-prefix="phases-{phase}">')
    assert response.headers["HX-Retarget"] == f"#phases-{phase}"
    assert html.count('<details class="item-editor"') == item_count
    assert f'id="phases-{phase + 1}"' not in html and "<html" not in html


def test_a_removed_item_renumbers_those_after_it(world, login):
    client = login(THERAPIST)
    html = text(post(client, acute_fields(), htmx=True, action="remove-item-0-0"))
    # the item posted second is now first: the page can tell, by its origin
    assert ('<li id="phases-0-items-0-row" class="item-row" data-origin="phases-0-items-1" '
            'data-prefix="phases-0-items-0">') in html
    assert 'id="phases-0-items-5-row"' in html and 'id="phases-0-items-6-row"' not in html
    assert re.search(r'<button[^>]*id="phases-0-add-item"[^>]*autofocus', html, re.S)


@pytest.mark.parametrize("action", ["add-phase", "remove-phase-0", "phase-up-2",
                                    "phase-down-0"])
def test_adding_removing_or_moving_a_phase_over_htmx_answers_with_the_phases(world, login,
                                                                            action):
    response = post(login(THERAPIST), acute_fields(), htmx=True, action=action)
    html = text(response)
    assert response.status_code == 200
    assert root_of(html) == '<div id="phases" class="phases">'
    assert response.headers["HX-Retarget"] == "#phases"
    phases = 4 if action == "add-phase" else 2 if action.startswith("remove") else 3
    assert html.count('<li class="phase-editor card"') == phases
    assert 'id="add-phase"' in html and 'id="builder-form"' not in html


@pytest.mark.parametrize(("action", "extra"), [
    ("refresh", {}),  # Enter in a text box: nothing says what changed
    ("refresh-item-0-99", {}),  # a stale page: no such item
    ("add-item-7", {}),  # no such phase
    ("add-item-0", {"shown_errors": "1"}),  # errors are on show: the summary must go
    ("item-up-0-1", {"shown_errors": "1"}),
    ("add-item-0", {"phases-1-name": "Im\x07proving"}),  # refused text: errors to show
])
def test_htmx_gets_the_whole_builder_when_a_part_will_not_do(world, login, action, extra):
    response = post(login(THERAPIST), acute_fields(**extra), htmx=True, action=action)
    html = text(response)
    assert response.status_code == 200
    assert root_of(html) == '<div id="builder" class="builder">' and "<html" not in html
    assert "HX-Retarget" not in response.headers
    assert ('name="shown_errors"' in html) is ("phases-1-name" in extra)


def test_a_plain_post_of_an_action_gets_the_page(world, login):
    response = post(login(THERAPIST), acute_fields(), action="remove-phase-2")
    html = text(response)
    assert response.status_code == 200 and "HX-Retarget" not in response.headers
    assert html.startswith("<!doctype html>") and "Phase 3:" not in html


# --- the preview beside the form ---------------------------------------------------------


def live(client, form, **fields):
    return post(client, form, htmx=True, action="preview", live="1", **fields)


def test_the_builder_page_shows_the_preview_from_the_start(world, login):
    html = text(login(THERAPIST).get(f"/plans/new?template={ACUTE}"))
    panel = html.split('<section id="preview"')[1].split("</section>")[0]
    assert 'hx-trigger="builder-edited from:body delay:400ms"' in panel
    assert "The next 12 weeks" in panel and "Week 12" in panel
    assert "daily: Piriformis stretch hold 15 s ×3 each side" in panel
    # beside the dates, before the button that assigns
    assert html.index('id="dates-heading"') < html.index('id="preview"') < html.index(
        "Assign to client</button>")


def test_a_plan_with_nothing_in_it_yet_says_so_once(world, login):
    html = text(login(THERAPIST).get("/plans/new"))
    assert "Nothing is due in these weeks yet: add items to the phases." in html
    assert "Week 1" not in html and "Nothing due." not in html


def test_the_live_preview_answers_with_the_preview_alone(world, login):
    start = world.today + timedelta(days=3)
    form = acute_fields(start=start.isoformat(), **{"phases-0-items-0-interval": "2"})
    response = live(login(THERAPIST), form)
    html = text(response)
    assert response.status_code == 200 and "HX-Retarget" not in response.headers
    assert root_of(html).startswith('<section id="preview" class="builder-preview card"')
    assert "autofocus" not in html and "<html" not in html
    spec = copy.deepcopy(library.template(ACUTE)["spec"])
    spec["phases"][0]["items"][0]["cadence"]["interval"] = 2
    expected = builder.preview(builder.plan_input(spec, start), start)
    for week in expected:
        for session in week.sessions:
            assert f'<time datetime="{session.date.isoformat()}">' in html
    assert html.count('<li class="preview-week">') == 12
    assert counts() == (1, 1, 1, 1)


def test_the_live_preview_of_an_edit_says_what_changes(world, login):
    form = acute_fields(**{"phases-0-items-0-interval": "2", "plan_id": str(world.plan.id),
                           "effective_from": world.today.isoformat()})
    html = text(live(login(THERAPIST), form))
    assert "Acute: Deep tissue massage every 2 weeks on Monday instead of every week" in html


@pytest.mark.parametrize(("changes", "waiting"), [
    ({"phases-0-items-1-technique": ""},
     "Phase 1 “Acute”, Piriformis stretch: Choose a technique"),
    ({"phases-0-items-1-hold_seconds": "lots"},
     "Hold (seconds) must be a whole number"),
    ({"start": ""}, "Start date: pick a date in the range given."),
    ({"start": "2020-01-01"}, "Start date: pick a date in the range given."),
])
def test_the_live_preview_says_what_it_waits_for_and_marks_no_field(world, login, changes,
                                                                    waiting):
    form = acute_fields(**{"start": world.today.isoformat(), **changes})
    response = live(login(THERAPIST), form)
    html = text(response)
    assert response.status_code == 200
    assert "The weeks show here once these are done:" in html and waiting in html
    assert "Week 1" not in html and "aria-invalid" not in html
    assert counts() == (1, 1, 1, 1)


def test_the_live_preview_without_htmx_is_the_preview_button(world, login):
    form = acute_fields(start=world.today.isoformat())
    response = post(login(THERAPIST), form, action="preview", live="1")
    html = text(response)
    assert response.status_code == 200 and html.startswith("<!doctype html>")
    assert re.search(r'id="preview-heading"[^>]*autofocus', html)


def test_the_preview_button_over_htmx_answers_with_the_preview_and_focuses_it(world, login):
    client = login(THERAPIST)
    form = acute_fields(start=world.today.isoformat())
    response = post(client, form, htmx=True, action="preview")
    html = text(response)
    assert response.status_code == 200
    assert root_of(html).startswith('<section id="preview"')
    assert response.headers["HX-Retarget"] == "#preview"
    assert re.search(r'id="preview-heading"[^>]*autofocus', html)
    # after errors were shown, the whole builder, without them
    response = post(client, form, htmx=True, action="preview", shown_errors="1")
    html = text(response)
    assert root_of(html) == '<div id="builder" class="builder">'
    assert "error-summary" not in html and "HX-Retarget" not in response.headers


def test_choosing_a_technique_fills_in_the_item(world, login):
    form = acute_fields(**{"phases-0-items-7-technique": "foam-roller", "action": "refresh"})
    html = text(post(login(THERAPIST), form))
    assert '<span class="item-title">Foam roller</span>' in html
    assert 'name="phases-0-items-7-minutes" value="3"' in html
    assert 'name="phases-0-items-7-key" value="foam-roller"' in html


def test_the_technique_search_returns_the_select_only(world, login):
    client = login(THERAPIST)
    url = ("/plans/techniques?field=phases-1-items-2&phases-1-items-2-search=ball"
           "&phases-1-items-2-technique=ice-after")
    html = text(client.get(url, headers={"HX-Request": "true"}))
    assert html.strip().startswith('<select id="phases-1-items-2-technique"')
    assert "Trigger-point pressure with a ball" in html and "Foam roller" not in html
    assert '<option value="ice-after" selected>' in html
    assert client.get("/plans/techniques?field=../../x").status_code == 400


@pytest.mark.parametrize("search", ["ball%00", "%1bball", "ba%7fll", "ball%c2%85"])
def test_a_technique_search_with_control_characters_is_refused(world, login, search):
    """The select says why and keeps only the chosen technique; nothing is cleaned."""
    client = login(THERAPIST)
    url = (f"/plans/techniques?field=phases-1-items-2&phases-1-items-2-search={search}"
           "&phases-1-items-2-technique=ice-after")
    response = client.get(url, headers={"HX-Request": "true"})
    html = text(response)
    assert response.status_code == 200
    assert f">{CONTROL_MESSAGE}</option>" in html
    assert '<option value="ice-after" selected>' in html
    assert "Trigger-point pressure with a ball" not in html


def test_without_javascript_the_find_button_narrows_the_list(world, login):
    form = acute_fields(**{"phases-0-items-0-search": "swedish", "action": "refresh"})
    html = text(post(login(THERAPIST), form))
    select = html.split('id="phases-0-items-0-technique"')[1].split("</select>")[0]
    assert "Swedish massage" in select and "Deep tissue massage" in select
    assert "Foam roller" not in select


def test_preview_shows_the_weeks_and_the_phases(world, login):
    start = world.today + timedelta(days=3)
    form = acute_fields(action="preview", start=start.isoformat())
    response = post(login(THERAPIST), form)
    html = text(response)
    assert response.status_code == 200
    assert "The next 12 weeks" in html and "Week 12" in html
    expected = builder.preview(builder.plan_input(library.template(ACUTE)["spec"], start), start)
    first = expected[0].sessions[0]
    assert f'<time datetime="{first.date.isoformat()}">' in html
    assert "daily: Piriformis stretch hold 15 s ×3 each side" in html
    assert '<ol class="timeline">' in html and "Improving" in html
    assert counts() == (1, 1, 1, 1)


def test_preview_of_an_edit_says_what_changes(world, login):
    form = acute_fields(**{"phases-0-items-0-interval": "2", "action": "preview",
                           "plan_id": str(world.plan.id),
                           "effective_from": world.today.isoformat()})
    html = text(post(login(THERAPIST), form))
    assert "What changes:" in html
    assert "Acute: Deep tissue massage every 2 weeks on Monday instead of every week" in html


# --- bad input ---------------------------------------------------------------------------


def too_late(world):
    return (world.today + timedelta(days=200)).isoformat()


BAD = [
    ("assign", {"phases-0-items-1-hold_seconds": "-5"}, "Hold (seconds) must be a whole number"),
    ("assign", {"phases-0-items-1-hold_seconds": "100000"}, "from 1 to 600"),
    ("assign", {"phases-0-items-1-repetitions": "lots"}, "Repetitions must be a whole number"),
    ("assign", {"phases-1-items-0-interval": "0"}, "Repeat every must be a whole number from 1"),
    ("assign", {"phases-0-items-1-technique": "no-such-technique"}, "is not in your library"),
    ("assign", {"phases-0-name": "x" * 10_000}, "Name must be filled in, at most 200"),
    ("assign", {"title": "x" * 10_000}, "Keep the title to 120 characters"),
    ("assign", {"title": "   "}, "Please give the plan a title."),
    ("assign", {"start": "not-a-date"}, "Enter a date, like"),
    ("assign", {"start": "2020-01-01"}, "Pick a start date within the last 30 days"),
    ("assign", {"start": too_late}, "Pick a start date within the last 30 days"),
    ("assign", {"client": ""}, "Choose the client to give this plan to."),
    ("assign", {"client": lambda world: str(world.stranger.id)}, "Choose one of your clients"),
    ("assign", {"client": "abc"}, "Choose one of your clients"),
    ("assign", {"action": "delete-everything"}, "isn&#39;t one the builder knows"),
    ("preview", {"phases-0-items-0-weekdays": []}, "Tick exactly one day"),
    ("assign", {"phases-2-items-0-weekdays": []},
     "Tick exactly one day of the week for “on one weekday”."),
    ("assign", {"phases-2-items-0-ordinal": "5"},
     "Choose which one in the month: the 1st to the 4th, or the last."),
    ("preview", {"phases-2-items-0-ordinal": "fourth"},
     "Choose which one in the month: the 1st to the 4th, or the last."),
    ("preview", {"start": ""}, "Please pick a start date."),
    ("preview", {"start": "   "}, "Please pick a start date."),
    ("assign", {"start": " "}, "Please pick a start date."),
    ("save-template", {"template_name": ""}, "Please give the template a name."),
    ("save-template", {"template_name": "x" * 10_000}, "Keep the name to 120 characters"),
    ("save-template", {"template_description": "x" * 501}, "Keep the description to 500"),
    ("save-template", {"phases-2-exit_kind": "whenever"}, "Moves on must be one of"),
    ("save-changes", {}, "Only an assigned plan can be changed"),
]


@pytest.mark.parametrize(("action", "changes", "message"), BAD)
def test_bad_input_is_422_with_a_message_and_nothing_stored(world, login, action, changes,
                                                             message):
    client = login(THERAPIST)
    form = assign_form(world, action=action, template_name="A template")
    for name, value in changes.items():
        value = value(world) if callable(value) else value
        form.setlist(name, value if isinstance(value, list) else [value])
    before = counts()
    for htmx in (False, True):
        response = post(client, form, htmx=htmx)
        assert response.status_code == 422
        assert message in text(response)
        assert 'class="error-summary"' in text(response) or "flash-error" in text(response)
    assert counts() == before


@pytest.mark.parametrize(("value", "message"), [
    ("", "Please pick the date the changes take effect from."),
    ("  ", "Please pick the date the changes take effect from."),
    ("garbage", "Enter a date, like"),
    ("start-1", "Pick a date from the plan&#39;s start"),
    ("today+91", "to 90 days from today"),
])
def test_bad_dates_for_changes_are_422(world, login, value, message):
    dates = {"start-1": world.plan.start - timedelta(days=1),
             "today+91": world.today + timedelta(days=91)}
    value = dates[value].isoformat() if value in dates else value
    form = acute_fields(plan_id=str(world.plan.id), action="save-changes", effective_from=value,
                        **{"phases-0-items-0-interval": "2"})
    response = post(login(THERAPIST), form)
    assert response.status_code == 422 and message in text(response)
    assert counts() == (1, 1, 1, 1)


def test_errors_are_linked_to_their_fields(world, login):
    form = assign_form(world, **{"phases-1-items-0-interval": "0"})
    html = text(post(login(THERAPIST), form))
    assert 'href="#phases-1-items-0-interval"' in html
    assert re.search(r'id="phases-1-items-0-interval"[^>]*aria-describedby='
                     r'"phases-1-items-0-interval-error" aria-invalid="true"', html, re.S)
    assert 'id="phases-1-items-0-interval-error"' in html
    assert re.search(r'<details class="item-editor" id="phases-1-items-0" open>', html)


def test_a_missing_csrf_token_is_400(world, login):
    client = login(THERAPIST)
    form = assign_form(world)
    assert client.post("/plans/builder", data=form).status_code == 400
    response = client.post(f"/plans/templates/{world.own.id}/delete")
    assert response.status_code == 400
    assert counts() == (1, 1, 1, 1)


# --- assign ------------------------------------------------------------------------------


def test_assign_creates_the_plan_as_built(world, login):
    form = assign_form(world, **{"phases-1-items-0-interval": "3",
                                 "phases-0-items-1-hold_seconds": "20"})
    response = post(login(THERAPIST), form)
    assert response.status_code == 302
    assert response.location == f"/clients/{world.client.id}"
    expected = copy.deepcopy(library.template(ACUTE)["spec"])
    expected["phases"][1]["items"][0]["cadence"]["interval"] = 3
    expected["phases"][0]["items"][1]["dose"]["hold_seconds"] = 20
    with database.connection_context():
        plan = queries.current_plan(world.client).first()
        old = Plan.get_by_id(world.plan.id)
        assert (plan.title, plan.therapist_id, plan.start) == (
            "Casey's plan", world.therapist.id, world.today)
        assert plan.template_slug == ACUTE
        assert old.status == Plan.FINISHED
    assert spec_of(plan.id) == [plan_spec.PlanSpec.from_dict(expected).to_dict()]


def test_assign_over_htmx_redirects_the_browser(world, login):
    response = post(login(THERAPIST), assign_form(world), htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/clients/{world.client.id}"


def test_assign_from_an_own_template_records_no_builtin_slug(world, login):
    form = assign_form(world)
    form["source"] = f"own-{world.own.id}"
    assert post(login(THERAPIST), form).status_code == 302
    with database.connection_context():
        assert queries.current_plan(world.client).first().template_slug is None


# --- save changes --------------------------------------------------------------------------


def test_save_changes_adds_a_revision_from_the_date_and_keeps_the_past(world, login):
    effective = world.today + timedelta(days=3)
    with database.connection_context():
        before = plans.plan_input(Plan.get_by_id(world.plan.id))
    window = (world.plan.start, effective + timedelta(days=90))
    form = acute_fields(**{
        "phases-0-items-0-interval": "2",
        "phases-0-items-1-hold_seconds": "30",
        "phases-1-items-7-technique": "swedish-massage",
        "plan_id": str(world.plan.id),
        "effective_from": effective.isoformat(),
        "action": "save-changes",
    })
    form.setlist("phases-0-items-6-key", [])  # remove Ice from Acute: drop its fields
    for name in [n for n in form if n.startswith("phases-0-items-6-")]:
        form.poplist(name)
    response = post(login(THERAPIST), form)
    assert response.status_code == 302
    assert response.location == f"/clients/{world.client.id}"
    with database.connection_context():
        plan = Plan.get_by_id(world.plan.id)
        revision = plan.revisions.order_by(PlanRevision.id.desc()).first()
        after = plans.plan_input(plan)
        event = plan.events.order_by(PlanEvent.id.desc()).first()
    assert revision.effective_from == effective
    assert revision.note == (
        "Acute: Deep tissue massage every 2 weeks on Monday instead of every week on Monday; "
        "Piriformis stretch: hold 30 s, 3 times, each side instead of hold 15 s, 3 times, "
        "each side; removed Ice after self-massage; Improving: added Swedish massage"
    )[:200]
    assert event.kind == "edited" and event.effective_from == effective
    day_before = effective - timedelta(days=1)
    assert (schedule.occurrences(after, window[0], day_before)
            == schedule.occurrences(before, window[0], day_before))
    assert schedule.occurrences(after, *window) != schedule.occurrences(before, *window)


def test_save_changes_without_changes_stores_nothing(world, login):
    form = acute_fields(plan_id=str(world.plan.id), action="save-changes",
                        effective_from=world.today.isoformat())
    response = post(login(THERAPIST), form)
    assert response.status_code == 200 and "Nothing has changed yet" in text(response)
    assert counts() == (1, 1, 1, 1)


# --- templates ------------------------------------------------------------------------------


def test_save_as_template_is_private_to_its_owner(world, login, client):
    form = acute_fields(**{"phases-1-items-0-interval": "3", "action": "save-template",
                           "template_name": "Slower taper", "template_description": "For Casey"})
    response = post(login(THERAPIST), form)
    assert response.status_code == 302 and response.location == "/plans"
    with database.connection_context():
        template = PlanTemplate.get(PlanTemplate.name == "Slower taper")
    assert template.owner_id == world.therapist.id and template.description == "For Casey"
    expected = copy.deepcopy(library.template(ACUTE)["spec"])
    expected["phases"][1]["items"][0]["cadence"]["interval"] = 3
    assert template.spec == plan_spec.PlanSpec.from_dict(expected).to_dict()
    assert "Slower taper" in text(client.get("/plans"))

    Auth(client).logout()
    other = login(OTHER)
    assert "Slower taper" not in text(other.get("/plans"))
    assert other.get(f"/plans/new?template=own-{template.id}").status_code == 404
    form = assign_form(world, source=f"own-{template.id}")
    assert post(other, form, client=str(world.stranger.id)).status_code == 302  # the draft only
    with database.connection_context():
        assert queries.current_plan(world.stranger).first().template_slug is None


def test_any_plan_can_be_saved_as_a_template_from_its_edit_page(world, login):
    form = acute_fields(plan_id=str(world.plan.id), action="save-template",
                        template_name="From Casey's plan")
    assert post(login(THERAPIST), form).status_code == 302
    with database.connection_context():
        assert PlanTemplate.select().where(PlanTemplate.owner == world.therapist).count() == 2


def test_delete_asks_first_then_deletes(world, login):
    client = login(THERAPIST)
    html = text(client.get(f"/plans/templates/{world.own.id}/delete"))
    assert "Delete “Tess&#39;s taper”?" in html and "Delete template" in html
    assert counts()[2] == 1
    token = csrf_token(client, "/plans")
    response = client.post(f"/plans/templates/{world.own.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/plans"
    assert counts()[2] == 0
    assert "Deleted the template" in text(client.get("/plans"))


# --- monthly on the Nth weekday -----------------------------------------------------------


def test_the_builder_offers_monthly_on_the_nth_weekday_labelled(world, login):
    html = text(login(THERAPIST).get(f"/plans/new?template={ACUTE}"))
    # the maintenance massage of the acute template: the 4th Monday
    assert re.search(r'<select id="phases-2-items-0-cadence_kind"[^>]*>.*?<option '
                     r'value="monthly_weekday" selected>A weekday, every few months'
                     r'</option>', html, re.S)
    assert '<label for="phases-2-items-0-ordinal">Which one in the month</label>' in html
    assert re.search(r'<select id="phases-2-items-0-ordinal" name="phases-2-items-0-ordinal">'
                     r'.*?<option value="4" selected>The 4th</option>.*?'
                     r'<option value="-1">The last</option>', html, re.S)
    assert 'id="phases-2-items-0-weekdays-0" name="phases-2-items-0-weekdays" value="0" checked' \
        in html
    assert "every month on the 4th Monday at 10:00 · 60 min" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_preview_names_the_day_in_words_and_dates(world, login, htmx):
    start = world.today
    form = acute_fields(action="preview", start=start.isoformat(),
                        **{"phases-2-items-0-ordinal": "-1", "phases-2-items-0-weekdays": "4"})
    response = post(login(THERAPIST), form, htmx=htmx)
    html = text(response)
    assert response.status_code == 200
    assert ("<!doctype html>" in html.lower()) is not htmx
    assert "Deep tissue massage, every month on the last Friday" in html
    # the item's summary line is in the page; htmx gets the preview alone
    assert ("every month on the last Friday at 10:00 · 60 min" in html) is not htmx
    assert counts() == (1, 1, 1, 1)


def test_assign_stores_the_nth_weekday_and_the_plan_page_says_it(world, login):
    client = login(THERAPIST)
    form = assign_form(world, **{"phases-2-items-0-ordinal": "2",
                                 "phases-2-items-0-weekdays": "3",
                                 "phases-2-items-0-interval": "2"})
    response = post(client, form)
    assert response.status_code == 302
    with database.connection_context():
        plan = queries.current_plan(world.client).first()
    (stored,) = spec_of(plan.id)
    assert stored["phases"][2]["items"][0]["cadence"] == {
        "kind": "monthly_weekday", "interval": 2, "weekdays": [3], "anchor": "calendar",
        "ordinal": 2}
    html = text(client.get(f"/clients/{world.client.id}"))
    assert "Deep tissue massage, every 2 months on the 2nd Thursday" in html
    Auth(client).logout()
    client = login(CLIENT)
    html = text(client.get("/plan"))
    assert "Deep tissue massage, every 2 months on the 2nd Thursday" in html


# --- dates are the client's days ---------------------------------------------------------


@pytest.fixture
def far_apart(world, monkeypatch):
    """The client in Kiritimati (UTC+14), the therapist in London: at 12:00 UTC tomorrow it
    is already the day after in the client's zone."""
    tomorrow = world.today + timedelta(days=1)
    monkeypatch.setattr(plans, "utcnow",
                        lambda: datetime.combine(tomorrow, time(12), tzinfo=UTC))
    with database.connection_context():
        User.update(timezone="Pacific/Kiritimati").where(User.id == world.client.id).execute()
    return SimpleNamespace(therapists_day=tomorrow, clients_day=tomorrow + timedelta(days=1))


def test_effective_from_defaults_to_the_clients_day_and_says_whose(world, login, far_apart):
    html = text(login(THERAPIST).get(f"/plans/{world.plan.id}/edit"))
    assert (f'id="effective_from" name="effective_from" type="date" '
            f'value="{far_apart.clients_day.isoformat()}"') in html
    assert "Dates are Casey Client&#39;s days (Pacific/Kiritimati)." in html


def test_a_new_plan_for_a_client_starts_on_the_clients_day(world, login, far_apart):
    client = login(THERAPIST)
    html = text(client.get(f"/plans/new?template={ACUTE}&client={world.client.id}"))
    assert (f'id="start" name="start" type="date" '
            f'value="{far_apart.clients_day.isoformat()}"') in html
    assert "Dates are Casey Client&#39;s days (Pacific/Kiritimati)." in html
    html = text(client.get(f"/plans/new?template={ACUTE}"))  # no client yet: the therapist's
    assert f'value="{far_apart.therapists_day.isoformat()}"' in html and "Dates are" not in html


def test_changes_from_the_clients_day_are_saved_and_previewed_from_it(world, login, far_apart):
    client = login(THERAPIST)
    form = acute_fields(**{"phases-0-items-0-interval": "2", "plan_id": str(world.plan.id),
                           "effective_from": far_apart.clients_day.isoformat()})
    html = text(live(client, form))
    assert f"{far_apart.clients_day:%-d %b}" in html.split('<li class="preview-week">')[1]
    response = post(client, form, action="save-changes")
    assert response.status_code == 302
    with database.connection_context():
        latest = (PlanRevision.select().where(PlanRevision.plan == world.plan.id)
                  .order_by(PlanRevision.id.desc()).first())
    assert latest.effective_from == far_apart.clients_day
