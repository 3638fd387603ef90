import re
from datetime import date

import pytest

from tests.conftest import csrf_token, make_user
from tracker.domain.text import CONTROL_MESSAGE
from tracker.store.db import database
from tracker.store.models import Plan, Technique, User
from tracker.store.plans import create_plan, seed_library

THERAPIST = "therapist@example.org"
OTHER_THERAPIST = "other@example.org"
CLIENT = "client@example.org"


@pytest.fixture
def library(app):
    """The built-in techniques plus a client and two therapists."""
    with database.connection_context():
        seed_library()
        make_user(email=CLIENT)
        make_user(email=THERAPIST, name="Tess Therapist", role="therapist")
        make_user(email=OTHER_THERAPIST, name="Otto Other", role="therapist")


def builtin(slug="piriformis-stretch") -> Technique:
    with database.connection_context():
        return Technique.get(Technique.slug == slug)


def own_techniques() -> list[Technique]:
    with database.connection_context():
        return list(Technique.select().where(Technique.owner.is_null(False)))


def technique_data(client, path="/library/new", **overrides) -> dict:
    return {
        "name": "Seated glute release",
        "kind": "self_massage",
        "body_area": "Glutes",
        "summary": "A tennis ball under the buttock while seated.",
        "instructions": "Sit on a firm chair.\nPlace the ball under a tight spot.\n\nBreathe out.",
        "hold_seconds": "45",
        "repetitions": "",
        "sets": "2",
        "minutes": "",
        "per_side": "y",
        "cautions": "Stop if it tingles down the leg.",
        "csrf_token": csrf_token(client, path),
        **overrides,
    }


def create(client, **overrides) -> Technique:
    response = client.post("/library/new", data=technique_data(client, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    (technique,) = own_techniques()
    assert response.location == f"/library/{technique.id}"
    return technique


def headings(html: str) -> list[str]:
    return re.findall(r"<h2[^>]*>([^<]+)</h2>", html)


# --- list and search ---------------------------------------------------------------------


def test_list_shows_builtins_grouped_by_kind_in_order(client, auth, library):
    auth.login(CLIENT)
    response = client.get("/library")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert headings(html) == ["Heat and cold", "Self-massage", "Stretches", "Professional sessions"]
    piriformis = builtin()
    assert f'href="/library/{piriformis.id}"' in html
    assert piriformis.summary.replace("'", "&#39;") in html
    assert "Default dose: hold 30 s" in html
    stretches = html.split(">Stretches</h2>")[1].split("<h2")[0]
    assert piriformis.name in stretches and "Swedish massage" not in stretches
    assert 'aria-current="page"' in html and ">Search techniques</label>" in html
    assert "New technique" not in html


def test_therapist_sees_new_technique_link(client, auth, library):
    auth.login(THERAPIST)
    assert 'href="/library/new"' in client.get("/library").get_data(as_text=True)


def test_search_plain_get_returns_the_full_page_filtered(client, auth, library):
    auth.login(CLIENT)
    response = client.get("/library?q=PIRIFORMIS")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith("<!doctype html>")
    assert 'value="PIRIFORMIS"' in html
    assert "Piriformis stretch" in html and "Swedish massage" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_search_with_htmx_returns_only_the_results_fragment(client, auth, library):
    auth.login(CLIENT)
    response = client.get("/library?q=glute", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True).strip()
    assert response.status_code == 200
    assert html.startswith('<div id="library-results"') and html.count('id="library-results"') == 1
    assert "<html" not in html and "Search techniques" not in html
    assert "matching “glute”" in html


def test_search_matches_body_area_and_summary_and_can_find_nothing(client, auth, library):
    auth.login(CLIENT)
    by_area = client.get("/library?q=hamstrings").get_data(as_text=True)
    assert "Deep tissue massage" in by_area and "Piriformis stretch" not in by_area
    nothing = client.get("/library?q=%25zzz_").get_data(as_text=True)
    assert "No techniques match “%zzz_”" in nothing and "<h2" not in nothing


@pytest.mark.parametrize("query", ["glute%00", "%1b[31mglute", "glu%7fte", "glute%c2%85"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_search_with_control_characters_is_refused_not_cleaned(client, auth, library, query,
                                                                  htmx):
    """It finds nothing and says why (200: a search is no submitted form); "glute" alone
    would find techniques, so a silently cleaned query would show results."""
    auth.login(CLIENT)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"/library?q={query}", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{CONTROL_MESSAGE}</p>" in html
    assert "<h2" not in html and "matching" not in html


def test_own_techniques_are_listed_only_for_their_owner(client, auth, library):
    auth.login(THERAPIST)
    create(client, name="Private ball work")
    assert "Private ball work" in client.get("/library?q=private").get_data(as_text=True)
    auth.logout()
    auth.login(OTHER_THERAPIST)
    assert "Private ball work" not in client.get("/library").get_data(as_text=True)


# --- detail ------------------------------------------------------------------------------


def test_detail_page_for_a_client_is_read_only(client, auth, library):
    auth.login(CLIENT)
    technique = builtin()
    html = client.get(f"/library/{technique.id}").get_data(as_text=True)
    assert f"<h1>{technique.name}</h1>" in html
    assert "<dd>Stretch</dd>" in html and technique.body_area in html
    assert re.search(r'<ol class="steps">\s*<li>', html)
    assert html.count("<li>") >= len(technique.instructions) + len(technique.cautions)
    assert "hold 30 s" in html and "Take care" in html
    assert "Copy to customise" not in html and ">Edit<" not in html and ">Delete<" not in html


def test_detail_of_a_builtin_for_a_therapist_offers_only_a_copy(client, auth, library):
    auth.login(THERAPIST)
    html = client.get(f"/library/{builtin().id}").get_data(as_text=True)
    assert "Copy to customise" in html
    assert ">Edit<" not in html and ">Delete<" not in html


def test_unknown_technique_is_404(client, auth, library):
    auth.login(CLIENT)
    assert client.get("/library/999999").status_code == 404


# --- therapist: create, edit, copy, delete -----------------------------------------------


def test_therapist_creates_a_technique(client, auth, library):
    auth.login(THERAPIST)
    assert client.get("/library/new").status_code == 200
    technique = create(client)
    assert technique.name == "Seated glute release" and technique.kind == "self_massage"
    assert technique.instructions == [
        "Sit on a firm chair.", "Place the ball under a tight spot.", "Breathe out."
    ]
    assert technique.dose == {
        "hold_seconds": 45, "repetitions": None, "sets": 2, "minutes": None, "per_side": True
    }
    assert technique.cautions == ["Stop if it tingles down the leg."]
    assert re.fullmatch(r"seated-glute-release-[0-9a-f]{8}", technique.slug)
    html = client.get(f"/library/{technique.id}").get_data(as_text=True)
    assert "hold 45 s, 2 sets, each side" in html
    assert ">Edit<" in html and ">Delete<" in html


def test_the_same_name_twice_gets_two_slugs(client, auth, library):
    auth.login(THERAPIST)
    for _ in range(2):
        client.post("/library/new", data=technique_data(client))
    first, second = own_techniques()
    assert first.slug != second.slug


def test_new_form_has_the_contract_labels(client, auth, library):
    auth.login(THERAPIST)
    html = client.get("/library/new").get_data(as_text=True)
    for label in ("Name", "Kind", "Body area", "Summary", "Instructions", "Hold (seconds)",
                  "Repetitions", "Sets", "Minutes", "Cautions"):
        assert f">{label}</label>" in html
    assert "Each side</label>" in html and 'value="Save technique"' in html


def test_therapist_edits_their_own(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client)
    path = f"/library/{technique.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert 'value="Seated glute release"' in html and "Place the ball under a tight spot." in html
    response = client.post(
        path, data=technique_data(client, path, name="Renamed", hold_seconds="", per_side="")
    )
    assert response.status_code == 302 and response.location == f"/library/{technique.id}"
    (stored,) = own_techniques()
    assert stored.name == "Renamed" and stored.slug == technique.slug
    assert stored.dose["hold_seconds"] is None and stored.dose["per_side"] is False


def test_therapist_copies_a_builtin_to_customise(client, auth, library):
    auth.login(THERAPIST)
    original = builtin()
    path = f"/library/{original.id}"
    response = client.post(f"{path}/copy", data={"csrf_token": csrf_token(client, path)})
    (copy,) = own_techniques()
    assert response.status_code == 302 and response.location == f"/library/{copy.id}/edit"
    assert copy.name == "Piriformis stretch (copy)"
    assert (copy.kind, copy.instructions, copy.dose) == (
        original.kind, original.instructions, original.dose
    )
    assert builtin().name == "Piriformis stretch"
    assert client.get(response.location).status_code == 200


def test_copy_of_a_long_name_still_fits(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client, name="n" * 100)
    path = f"/library/{technique.id}"
    client.post(f"{path}/copy", data={"csrf_token": csrf_token(client, path)})
    names = sorted(t.name for t in own_techniques())
    assert names[0] == "n" * 93 + " (copy)" and len(names[0]) == 100


def test_therapist_deletes_their_own_after_confirming(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client)
    path = f"/library/{technique.id}/delete"
    confirm = client.get(path)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete “Seated glute release”?" in html
    assert 'method="post"' in html and "Delete technique" in html
    assert own_techniques() == [technique]  # asking deletes nothing
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and response.location == "/library"
    assert own_techniques() == []
    assert client.get(f"/library/{technique.id}").status_code == 404


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("get", "/library/new"),
    ("post", "/library/new"),
    ("get", "/library/{id}/edit"),
    ("post", "/library/{id}/edit"),
    ("post", "/library/{id}/copy"),
    ("get", "/library/{id}/delete"),
    ("post", "/library/{id}/delete"),
])
def test_clients_cannot_change_the_library(client, auth, library, method, path):
    auth.login(CLIENT)
    token = csrf_token(client, "/library")
    url = path.format(id=builtin().id)
    response = getattr(client, method)(url, data={"csrf_token": token, "name": "Mine"})
    assert response.status_code == 403
    assert b"Only therapists" in response.data
    assert own_techniques() == []


@pytest.mark.parametrize("method, action", [
    ("get", "edit"), ("post", "edit"), ("get", "delete"), ("post", "delete"),
])
def test_builtins_cannot_be_edited_or_deleted(client, auth, library, method, action):
    auth.login(THERAPIST)
    technique = builtin()
    url = f"/library/{technique.id}/{action}"
    data = technique_data(client, "/library", name="Hijacked")
    response = getattr(client, method)(url, data=data)
    assert response.status_code == 404
    assert builtin().name == "Piriformis stretch"


@pytest.mark.parametrize("method, action", [
    ("get", ""), ("get", "/edit"), ("post", "/edit"), ("post", "/copy"),
    ("get", "/delete"), ("post", "/delete"),
])
def test_another_therapist_cannot_touch_someones_technique(
    client, auth, library, method, action
):
    auth.login(THERAPIST)
    technique = create(client)
    auth.logout()
    auth.login(OTHER_THERAPIST)
    data = technique_data(client, "/library", name="Hijacked")
    response = getattr(client, method)(f"/library/{technique.id}{action}", data=data)
    assert response.status_code == 404
    assert own_techniques() == [technique]
    assert own_techniques()[0].name == "Seated glute release"


def test_a_client_cannot_see_a_therapists_own_technique(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client)
    auth.logout()
    auth.login(CLIENT)
    assert client.get(f"/library/{technique.id}").status_code == 404


@pytest.mark.parametrize("path", ["/library", "/library?q=hip", "/library/1", "/library/new"])
def test_anonymous_visitors_are_sent_to_log_in(client, library, path):
    response = client.get(path)
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    htmx = client.get(path, headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("path", ["/library/new", "/library/{id}/copy", "/library/{id}/delete"])
def test_posts_without_a_csrf_token_are_refused(client, auth, library, path):
    auth.login(THERAPIST)
    technique = create(client)
    data = technique_data(client)
    del data["csrf_token"]
    response = client.post(path.format(id=technique.id), data=data)
    assert response.status_code == 400
    assert own_techniques() == [technique]


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "Please enter a name."),
        ("name", "   ", "Please enter a name."),
        ("name", "x" * 10_000, "100 characters or fewer"),
        ("name", "bad\x00name", "control characters"),
        ("name", "bad\x1bname", "control characters"),
        ("kind", "yoga", "choose a kind from the list"),
        ("body_area", "b" * 101, "100 characters or fewer"),
        ("summary", "s" * 501, "500 characters or fewer"),
        ("hold_seconds", "0", "Hold must be a whole number of seconds from 1 to 600."),
        ("hold_seconds", "601", "Hold must be a whole number of seconds from 1 to 600."),
        ("hold_seconds", "-5", "Hold must be a whole number of seconds from 1 to 600."),
        ("hold_seconds", "abc", "Hold must be a whole number of seconds from 1 to 600."),
        ("hold_seconds", "2.5", "Hold must be a whole number of seconds from 1 to 600."),
        ("repetitions", "51", "Repetitions must be a whole number from 1 to 50."),
        ("sets", "0", "Sets must be a whole number from 1 to 50."),
        ("minutes", "241", "Minutes must be a whole number from 1 to 240."),
        ("minutes", "9" * 40, "Minutes must be a whole number from 1 to 240."),
        ("instructions", "", "at least one step"),
        ("instructions", " \n \n", "at least one step"),
        ("instructions", "\n".join(f"Step {n}" for n in range(13)), "12 steps or fewer"),
        ("instructions", "ok\n" + "i" * 301, "Step 2 is too long"),
        ("instructions", "vertical\x0btab in a step", "control characters"),
        ("cautions", "\n".join("c" for _ in range(13)), "12 cautions or fewer"),
        ("cautions", "c" * 301, "Caution 1 is too long"),
    ],
)
def test_bad_input_is_shown_again_with_a_message(client, auth, library, field, value, message):
    auth.login(THERAPIST)
    response = client.post("/library/new", data=technique_data(client, **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.replace("&#39;", "'")
    assert html.count(message.replace("'", "&#39;")) <= 1  # said once, not repeated
    assert 'aria-invalid="true"' in html
    assert own_techniques() == []


def test_bad_input_on_edit_keeps_the_stored_technique(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client)
    path = f"/library/{technique.id}/edit"
    response = client.post(path, data=technique_data(client, path, name="", hold_seconds="601"))
    assert response.status_code == 422
    assert own_techniques()[0].name == "Seated glute release"


def test_html_in_a_name_is_escaped(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client, name="<script>alert(1)</script>")
    for path in (f"/library/{technique.id}", "/library", f"/library/{technique.id}/edit"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_deleting_a_technique_a_plan_uses_leaves_the_plan_intact(client, auth, library):
    auth.login(THERAPIST)
    technique = create(client)
    spec = {"phases": [{"name": "Only", "exit": {"kind": "manual"}, "items": [{
        "key": "ball", "technique": technique.slug, "name": technique.name,
        "kind": technique.kind, "cadence": {"kind": "every_n_days", "interval": 1},
    }]}]}
    with database.connection_context():
        therapist, patient = (User.by_email(email) for email in (THERAPIST, CLIENT))
        plan = create_plan(patient, spec, date(2024, 1, 1), title="Plan", created_by=therapist)
    path = f"/library/{technique.id}/delete"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and own_techniques() == []
    with database.connection_context():
        (revision,) = Plan.get_by_id(plan.id).revisions
    assert revision.spec["phases"][0]["items"][0]["name"] == "Seated glute release"
