"""The body map in pages (issue 18): a technique's "How to" page marks its areas; in the
treated-area question each map area is a label of its checkbox, so a tap posts the same
areas the box would, and the safety flow pauses that area."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import csrf_token, make_user
from tracker.domain import clinical, library
from tracker.store import checkins, plans
from tracker.store.db import database
from tracker.store.models import PlanPause, Technique
from tracker.store.plans import seed_library

ALL_NO = {flag["key"]: "no" for flag in library.RED_FLAGS}
CSS = Path(__file__).parents[2] / "static" / "css" / "app.css"


class Elements(HTMLParser):
    """Every start tag's name and attributes, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str, cls: str = "") -> list[dict]:
        return [a for t, a in self.tags if t == tag and cls in (a.get("class") or "").split()
                or t == tag and not cls]


def map_areas(html: str) -> set[str]:
    return set(re.findall(r'class="bodymap-mark bodymap-mark--(\w+)"', html))


# --- the "How to" page --------------------------------------------------------------------


@pytest.fixture
def techniques(app):
    with database.connection_context():
        seed_library()
        make_user()
        make_user(email="tess@example.org", name="Tess Therapist", role="therapist")
        make_user(email="otto@example.org", name="Otto Other", role="therapist")


def technique_id(slug: str) -> int:
    with database.connection_context():
        return Technique.get(Technique.slug == slug).id


@pytest.mark.parametrize("slug", ["piriformis-stretch", "foam-roller", "swedish-massage"])
def test_how_to_marks_exactly_the_techniques_areas(techniques, client, auth, slug):
    auth.login()
    response = client.get(f"/library/{technique_id(slug)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    areas = library.TECHNIQUE_AREAS[slug]
    assert map_areas(html) == set(areas)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="bodymap" role="img"') == 1
    labels = ", ".join(clinical.AREA_LABELS[a] for a in clinical.BODY_AREAS if a in areas)
    assert f"Marked: {labels}.</desc>" in html
    assert f"<figcaption>Works on: {', '.join(clinical.AREA_LABELS[a] for a in areas)}" in html
    figure = re.search(r'<figure class="bodymap-figure" id="technique-bodymap">.*?</figure>',
                       html, re.S).group(0)
    assert len(figure.encode()) < 4096  # small: the whole map and its words under 4 KB


def test_a_technique_with_no_areas_shows_no_map(techniques, client, auth):
    with database.connection_context():
        own = Technique.create(slug="mine-1", name="My release", kind="self_massage",
                               owner=make_user(email="t2@example.org", role="therapist"))
    auth.login("t2@example.org")
    html = client.get(f"/library/{own.id}").get_data(as_text=True)
    assert "My release" in html and "bodymap" not in html


def test_another_therapists_technique_and_its_map_stay_hidden(techniques, client, auth):
    with database.connection_context():
        own = Technique.create(slug="tess-1", name="Tess's roll", kind="self_massage",
                               areas=["thighs"], owner=make_user(email="t3@example.org",
                                                                 role="therapist"))
    assert client.get(f"/library/{own.id}").status_code == 302  # anonymous: to the login
    auth.login("otto@example.org")
    assert client.get(f"/library/{own.id}").status_code == 404
    auth.logout()
    auth.login("t3@example.org")
    assert map_areas(client.get(f"/library/{own.id}").get_data(as_text=True)) == {"thighs"}


# --- the treated-area question ------------------------------------------------------------


@pytest.fixture
def client_with_plan(app):
    with database.connection_context():
        user = make_user()
        today = plans.local_today(user)
        plans.create_from_template(user, "self-guided-relief", today, created_by=user)
        # An earlier check-in, so today's is not the first (which asks the safety questions).
        checkins.save_checkin(user, today.fromordinal(today.toordinal() - 1), back_pain=3,
                              leg_pain=4)
    return user


def tap(html: str, area: str) -> tuple[str, str]:
    """What tapping ``area`` on the map ticks: the (name, value) of the checkbox its
    label points at."""
    page = Elements(html)
    (label,) = page.all("label", f"bodymap-hit--{area}")
    (box,) = [a for a in page.all("input") if a.get("id") == label["for"]]
    assert box["type"] == "checkbox"
    return box["name"], box["value"]


def open_area_pause() -> list[str]:
    with database.connection_context():
        (pause,) = PlanPause.select().where(PlanPause.end.is_null(),
                                            PlanPause.scope == "area")
        return pause.areas


@pytest.mark.parametrize("path", ["/checkin", "/checkin/safety"])
def test_every_map_area_labels_its_own_checkbox(client_with_plan, client, auth, path):
    auth.login()
    html = client.get(path).get_data(as_text=True)
    assert html.count('<div class="bodymap-pick" aria-hidden="true">') == 1
    assert [tap(html, area) for area in clinical.BODY_AREAS] == [
        ("areas", area) for area in clinical.BODY_AREAS]
    # The boxes keep their own labels with words (the map's labels carry none).
    for area, label in clinical.AREA_LABELS.items():
        assert re.search(rf'<label class="choice-row"><input type="checkbox" name="areas" '
                         rf'id="areas-\d"\s+value="{area}"> {re.escape(label)}</label>', html)


def test_a_tap_on_the_map_in_the_check_in_pauses_that_area(client_with_plan, client, auth):
    auth.login()
    name, value = tap(client.get("/checkin").get_data(as_text=True), "glutes_hips")
    response = client.post("/checkin", data={
        "back_pain": "3", "leg_pain": "5", "anything_new": "no",
        "contraindications": "swelling", name: value,
        "csrf_token": csrf_token(client, "/checkin")})
    assert response.status_code == 302 and response.location == "/checkin/paused"
    assert open_area_pause() == ["glutes_hips"]
    assert "(buttocks and hips)" in client.get("/checkin/paused").get_data(as_text=True)


def test_two_taps_in_something_wrong_pause_both_areas(client_with_plan, client, auth):
    auth.login()
    html = client.get("/checkin/safety").get_data(as_text=True)
    taps = [tap(html, "lower_legs"), tap(html, "lower_back")]
    response = client.post("/checkin/safety", data={
        **ALL_NO, "problems": "severe_pain", "areas": [v for _, v in taps],
        "csrf_token": csrf_token(client, "/checkin/safety")})
    assert response.status_code == 302 and response.location == "/checkin/paused"
    assert open_area_pause() == ["lower_back", "lower_legs"]


def test_a_form_shown_again_keeps_the_tapped_area_ticked(client_with_plan, client, auth):
    auth.login()
    response = client.post("/checkin", data={
        "back_pain": "3", "leg_pain": "11", "anything_new": "no", "areas": "thighs",
        "csrf_token": csrf_token(client, "/checkin")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'value="thighs" checked>', html)
    assert tap(html, "thighs") == ("areas", "thighs")


def test_an_area_not_on_the_map_is_refused(client_with_plan, client, auth):
    auth.login()
    response = client.post("/checkin/safety", data={
        **ALL_NO, "problems": "swelling", "areas": "elbow",
        "csrf_token": csrf_token(client, "/checkin/safety")})
    assert response.status_code == 422
    assert "Please tick only the areas listed." in response.get_data(as_text=True)
    with database.connection_context():
        assert PlanPause.select().count() == 0


def test_the_map_shows_each_ticked_area_by_css():
    css = CSS.read_text()
    section = css[css.index("/* === body map (issue 18) === */"):]
    for area in clinical.BODY_AREAS:
        assert (f'.bodymap-field:has(input[value="{area}"]:checked) .bodymap-hit--{area} '
                ".bodymap-mark") in section
