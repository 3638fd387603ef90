"""Function scores over time on the pages (issue 19): the client's /progress ("you"), the
therapist's client page and printable summary (the client by name), and the roster's
Function column; with answers, without, and for people who may not see them."""
import html as html_lib
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.conftest import Auth, make_user
from tracker.domain import library
from tracker.domain.instruments import BUILT_IN, Instrument
from tracker.store import plans, questionnaires
from tracker.store.db import database
from tracker.store.instruments import Catalogue
from tracker.store.models import CareLink

BACK = Instrument.from_dict({
    "id": "clinic_back", "name": "A clinic's back index", "source": "The clinic's licence",
    "licence": "Licensed to the clinic only",
    "items": [{"key": f"q{n}", "text": f"Statement {n}", "response": {"kind": "yes_no"}}
              for n in range(1, 5)],
    "scoring": {"method": "sum"}, "range": [0, 4], "higher_is_better": False,
    "mcid": {"value": 2, "source": "The clinic's licence"},
})


def psfs(client, day, *ratings):
    """A complete PSFS on ``day`` (its own "today"), one named activity per rating."""
    questionnaires.save_answers(
        client, "psfs", {f"activity_{i}": r for i, r in enumerate(ratings, 1)}, today=day,
        names={f"activity_{i}": f"Task {i}" for i in range(1, len(ratings) + 1)},
        complete=True)


@pytest.fixture
def world(app):
    """Ann (a plan six weeks old) and her therapist Theo; Bob, another client of Theo's;
    Tess, a therapist who is not Ann's."""
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        make_user(email="tess@example.org", name="Tess", role="therapist")
        ann = make_user(email="ann@example.org", name="Ann")
        bob = make_user(email="bob@example.org", name="Bob")
        for c in (ann, bob):
            CareLink.create(therapist=theo, client=c)
        today = plans.local_today(ann)
        start = today - timedelta(weeks=6)
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(ann, spec, start, therapist=theo, title="Acute plan")
        plans.assign(bob, spec, start, therapist=theo, title="Acute plan")
    return {"ann": ann, "bob": bob, "today": today, "start": start, "plan": plan}


@pytest.fixture
def answered(world):
    """Ann's PSFS: 3 at the start, 5.5 four weeks later (+2.5: meaningful)."""
    with database.connection_context():
        psfs(world["ann"], world["start"], 3, 3)
        psfs(world["ann"], world["start"] + timedelta(weeks=4), 6, 5)
    return world


def page(app, email, path, status=200):
    browser = app.test_client()
    Auth(browser).login(email)
    response = browser.get(path)
    assert response.status_code == status
    return response.get_data(as_text=True)


def words(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def function_card(html: str) -> str:
    start = html.index('<section class="card function-card"')
    return html[start:html.index("</section>", start) + len("</section>")]


def function_svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in
            re.findall(r'<svg[^>]*class="chart function-chart".*?</svg>', html, re.S)]


# --------------------------------------------------------------------------- /progress

def test_the_clients_progress_shows_their_psfs_in_their_voice(answered, app):
    html = page(app, "ann@example.org", "/progress")
    card = function_card(html)
    day = answered["start"] + timedelta(weeks=4)
    assert (f"Latest, {day.day} {day:%b}: 5.5 (0 to 10, higher is better). Up 2.5 points "
            "since your first answer: a meaningful improvement, at least the smallest change "
            "that matters (MCID: 2 points).") in words(card)
    [svg] = function_svgs(html)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == (
        "function-psfs-title function-psfs-desc")
    assert len([e for e in svg.iter() if "mark-meaningful" in e.get("class", "")]) == 1
    assert "PSFS answers as a table" in card and "+2.5, meaningful" in card
    assert "Ann" not in words(card)
    # one spot: after the pain card, before "Keeping it up"
    assert html.index('id="pain-heading"') < html.index('id="function-heading"') \
        < html.index('id="habit-heading"')


def test_the_clients_progress_without_answers_says_none_yet(world, app):
    card = function_card(page(app, "ann@example.org", "/progress"))
    assert words(card).strip() == ("Function No questionnaire answers yet: your scores show "
                                   "here after your first one.")


def test_progress_is_the_clients_own(answered, app, client):
    assert client.get("/progress").location.startswith("/login")
    page(app, "t@example.org", "/progress", status=403)
    # Bob sees his own (none), never Ann's
    assert "No questionnaire answers yet" in page(app, "bob@example.org", "/progress")


# --------------------------------------------------------------------------- client page

def test_the_client_page_shows_it_beside_pain_by_name(answered, app):
    html = page(app, "t@example.org", f"/clients/{answered['ann'].id}")
    record = html[html.index('<div class="client-record">'):
                  html.index('<div class="client-actions">')]
    assert record.index('id="pain-heading"') < record.index('id="function-heading"') \
        < record.index('id="adherence-heading"')
    card = function_card(record)
    assert "Up 2.5 points since Ann's first answer: a meaningful " \
           "improvement" in words(card)
    assert " your " not in words(card)
    assert len(function_svgs(record)) == 1


def test_the_client_page_without_answers(world, app):
    card = function_card(page(app, "t@example.org", f"/clients/{world['ann'].id}"))
    assert words(card).strip() == ("Function No questionnaire answers yet: Ann's scores show "
                                   "here after their first one.")


def test_a_worse_score_says_worse_plainly(world, app):
    with database.connection_context():
        psfs(world["ann"], world["start"], 7)
        psfs(world["ann"], world["start"] + timedelta(weeks=2), 4)
    card = words(function_card(page(app, "t@example.org", f"/clients/{world['ann'].id}")))
    assert "Down 3 points since Ann's first answer: worse, by at least the smallest change " \
           "that matters (MCID: 2 points)." in card
    assert "\u22123, worse" in card  # in the table


@pytest.mark.parametrize("path", ["", "/summary"])
@pytest.mark.parametrize("who, status", [("tess@example.org", 404), ("ann@example.org", 403),
                                         ("bob@example.org", 403)])
def test_someone_elses_client_is_still_404_and_clients_403(answered, app, path, who, status):
    body = page(app, who, f"/clients/{answered['ann'].id}{path}", status=status)
    assert "function-chart" not in body


def test_a_clinic_instrument_lower_is_better(world, app):
    """A licensed definition file's instrument (from the catalogue) is shown too."""
    app.extensions["instruments"] = Catalogue({**BUILT_IN, "clinic_back": BACK}, ())
    with database.connection_context():
        for day, yes in ((world["start"], 4), (world["start"] + timedelta(weeks=3), 1)):
            questionnaires.save_answers(world["ann"], "clinic_back",
                                        {f"q{n}": n <= yes for n in range(1, 5)}, today=day,
                                        complete=True, instruments=app.extensions[
                                            "instruments"].instruments)
    html = page(app, "t@example.org", f"/clients/{world['ann'].id}")
    assert "Down 3 points since Ann's first answer: a meaningful " \
           "improvement" in words(function_card(html))
    assert [s.get("aria-labelledby") for s in function_svgs(html)] == [
        "function-clinic-back-title function-clinic-back-desc"]


# --------------------------------------------------------------------------- summary

def test_the_summary_shows_each_answer(answered, app):
    html = page(app, "t@example.org", f"/clients/{answered['ann'].id}/summary")
    part = html[html.index('<section class="summary-function"'):]
    part = part[:part.index("</section>")]
    start, later = answered["start"], answered["start"] + timedelta(weeks=4)
    assert f"<li>{start.day} {start:%b %Y}: 3 (first answer)</li>" in part
    assert f"<li>{later.day} {later:%b %Y}: 5.5 (+2.5, meaningful)</li>" in part
    assert "since Ann's first answer" in words(part)
    assert len(function_svgs(part)) == 1


def test_the_summary_without_answers(world, app):
    html = page(app, "t@example.org", f"/clients/{world['ann'].id}/summary")
    part = html[html.index('<section class="summary-function summary-function--empty"'):]
    assert words(part[:part.index("</section>")]).strip() == (
        "Function (questionnaires) No questionnaire answers yet.")


# --------------------------------------------------------------------------- roster

def roster_cells(html: str) -> dict[str, str]:
    """Each client's Function cell, in words, by name."""
    rows = re.findall(r'<tr class="roster-row.*?</tr>', html, re.S)
    found = {}
    for row in rows:
        name = re.search(r'<th scope="row" class="col-name"><a [^>]*>([^<]+)</a>', row)[1]
        cell = re.search(r'<td class="col-function" data-label="Function">(.*?)</td>', row,
                         re.S)[1]
        found[name] = " ".join(words(re.sub(r"<svg.*?</svg>", "", cell, flags=re.S)).split())
    return found


def test_the_roster_shows_the_latest_psfs_and_its_change(answered, app):
    html = page(app, "t@example.org", "/clients")
    assert roster_cells(html) == {"Ann": "PSFS 5.5 of 10 +2.5, meaningful since the first",
                                  "Bob": "No answers yet"}
    assert 'aria-label="Patient-Specific Functional Scale, each answer: 3, 5.5 (higher is ' \
           'better)"' in html


def test_the_roster_sorts_by_the_change(answered, app):
    with database.connection_context():
        psfs(answered["bob"], answered["start"], 8)
        psfs(answered["bob"], answered["start"] + timedelta(weeks=2), 5)
        carl = make_user(email="carl@example.org", name="Carl")
        CareLink.create(therapist=CareLink.get().therapist, client=carl)

    def order(query):
        return list(roster_cells(page(app, "t@example.org", f"/clients?{query}")))

    assert order("sort=function") == ["Bob", "Ann", "Carl"]  # the most worsened first
    assert order("sort=function&dir=desc") == ["Ann", "Bob", "Carl"]  # no answers: last


def test_the_roster_falls_back_to_the_plans_first_questionnaire(world, app):
    catalogue = Catalogue({**BUILT_IN, "clinic_back": BACK}, ())
    app.extensions["instruments"] = catalogue
    with database.connection_context():
        questionnaires.assign(world["plan"], "clinic_back", instruments=catalogue.instruments)
        for day, yes in ((world["start"], 3), (world["start"] + timedelta(weeks=2), 2)):
            questionnaires.save_answers(world["ann"], "clinic_back",
                                        {f"q{n}": n <= yes for n in range(1, 5)}, today=day,
                                        complete=True, instruments=catalogue.instruments)
        # the global rating comes before it in the catalogue, but it is not the plan's
        questionnaires.save_answers(world["ann"], "groc", {"change": 2}, today=world["start"],
                                    complete=True, instruments=catalogue.instruments)
    cells = roster_cells(page(app, "t@example.org", "/clients"))
    assert cells["Ann"] == "A clinic's back index 2 of 4 \u22121 since the first"
    with database.connection_context():
        psfs(world["ann"], world["start"], 4)  # the PSFS, once answered, comes first
    cells = roster_cells(page(app, "t@example.org", "/clients"))
    assert cells["Ann"] == "PSFS 4 of 10 First answer"


def test_the_roster_queries_do_not_grow_with_answers(world, app, queries):
    browser = app.test_client()
    Auth(browser).login("t@example.org")

    def add(n):
        with database.connection_context():
            theo = CareLink.get().therapist
            spec = library.template("acute-therapist-led")["spec"]
            for i in range(n):
                c = make_user(email=f"c{n}{i}@example.org", name=f"Client {n}{i}")
                CareLink.create(therapist=theo, client=c)
                plan = plans.assign(c, spec, world["start"], therapist=theo, title="Plan")
                questionnaires.assign(plan, "psfs", every_weeks=2)
                psfs(c, world["start"], 3)
                psfs(c, world["start"] + timedelta(weeks=2), 6)

    def count():
        counter = queries()
        assert browser.get("/clients").status_code == 200
        return counter.count

    add(1)
    few = count()
    add(4)
    assert count() == few
