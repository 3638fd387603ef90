"""Questionnaires on the web (issue 19): the client's list, answer and history pages, the
questionnaire due on /today, and the plan author's add/remove on the client page."""
import json
import re
from datetime import timedelta

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker.domain import library
from tracker.store import instruments, plans
from tracker.store import questionnaires as store
from tracker.store.db import database
from tracker.store.models import (
    AuditEntry,
    CareLink,
    QuestionnaireResponse,
    QuestionnaireSchedule,
)


@pytest.fixture
def world(app):
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        sam = make_user(email="s@example.org", name="Sam", role="therapist")
        tess = make_user(email="tess@example.org", name="Tess", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        bob = make_user(email="b@example.org", name="Bob")
        CareLink.create(therapist=theo, client=ann)
        CareLink.create(therapist=sam, client=ann)
        CareLink.create(therapist=tess, client=bob)
        today = plans.local_today(ann)
        plan = plans.assign(ann, library.template("acute-therapist-led")["spec"], today,
                            therapist=theo, title="Acute plan")
        store.assign(plan, "psfs", at_start=True, every_weeks=2)
        store.assign(plan, "groc", at_start=True)
        bob_plan = plans.assign(bob, library.template("acute-therapist-led")["spec"], today,
                                therapist=tess, title="Bob's plan")
        store.assign(bob_plan, "psfs")
    return {"ann": ann, "bob": bob, "plan": plan, "today": today}


def _as(app, email):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/library"), **data})


def _response(world, instrument="psfs", day=None):
    with database.connection_context():
        return store.on_day(world["ann"], instrument, day or world["today"])


def _psfs(**ratings):
    """Form data: activity_1=("Sitting", 3) -> a name and a rating."""
    data = {}
    for key, (name, rating) in ratings.items():
        data[f"name_{key}"] = name
        data[key] = str(rating)
    return data


# --- who may ---------------------------------------------------------------------------

CLIENT_URLS = ["/questionnaires", "/questionnaires/psfs", "/questionnaires/psfs/history"]


@pytest.mark.parametrize("url", CLIENT_URLS)
def test_anonymous_is_sent_to_log_in(world, client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", CLIENT_URLS)
def test_a_therapist_may_not_open_the_client_pages(world, app, url):
    assert _as(app, "t@example.org").get(url).status_code == 403


@pytest.mark.parametrize("url", ["/questionnaires/nope", "/questionnaires/nope/history"])
def test_an_unknown_questionnaire_is_404(world, app, url):
    assert _as(app, "a@example.org").get(url).status_code == 404


def test_a_questionnaire_not_on_the_plan_cannot_be_answered(world, app):
    with database.connection_context():
        store.unassign(world["plan"], "groc")
    ann = _as(app, "a@example.org")
    assert ann.get("/questionnaires/groc").status_code == 404
    assert _post(ann, "/questionnaires/groc", change="2").status_code == 404


def test_therapist_routes_refuse_anonymous_clients_and_other_therapists(world, app, client):
    url = f"/clients/{world['ann'].id}/questionnaires"
    remove = f"{url}/psfs/remove"
    token = {"csrf_token": csrf_token(client, "/login")}
    assert "/login" in client.post(url, data=token).headers["Location"]
    assert "/login" in client.post(remove, data=token).headers["Location"]
    assert "/login" in client.get(remove).headers["Location"]
    ann = _as(app, "a@example.org")
    assert _post(ann, url, **{"questionnaire-instrument": "groc"}).status_code == 403
    assert ann.get(remove).status_code == 403
    tess = _as(app, "tess@example.org")  # not Ann's therapist
    assert _post(tess, url, **{"questionnaire-instrument": "groc",
                               "questionnaire-at_start": "y"}).status_code == 404
    assert tess.get(remove).status_code == 404
    assert _post(tess, remove).status_code == 404
    sam = _as(app, "s@example.org")  # Ann's, but the plan is Theo's: one author
    assert _post(sam, url, **{"questionnaire-instrument": "groc",
                              "questionnaire-every_weeks": "4"}).status_code == 403
    assert _post(sam, remove).status_code == 403
    with database.connection_context():
        assert [r.instrument for r in store.rules(world["plan"])] == ["psfs", "groc"]
        assert store.rules(world["plan"])[1].every_weeks is None


# --- the client's list ----------------------------------------------------------------

def test_the_progress_page_links_to_questionnaires(world, app):
    html = _as(app, "a@example.org").get("/progress").get_data(as_text=True)
    assert '<a href="/questionnaires">Questionnaires</a>' in html


def test_the_list_shows_what_is_due_and_on_the_plan(world, app):
    html = _as(app, "a@example.org").get("/questionnaires").get_data(as_text=True)
    assert 'href="/questionnaires/psfs">Answer the Patient-Specific Functional Scale</a>' in html
    assert 'href="/questionnaires/groc">Answer the Global rating of change</a>' in html
    assert ("Patient-Specific Functional Scale</a>: asked at the start and every 2 weeks."
            in html)
    assert "Global rating of change</a>: asked at the start." in html
    assert "You have not finished a questionnaire yet." in html


# --- answering ------------------------------------------------------------------------

def test_the_psfs_asks_five_activities_by_label_with_last_names_filled_in(world, app):
    with database.connection_context():
        store.save_answers(world["ann"], "psfs", {"activity_1": 4, "activity_2": 6},
                           names={"activity_1": "Sitting", "activity_2": "Socks"},
                           today=world["today"] - timedelta(days=14), complete=True)
    html = _as(app, "a@example.org").get("/questionnaires/psfs").get_data(as_text=True)
    for n in range(1, 6):
        assert f'<label for="name_activity_{n}">Activity {n}</label>' in html
        # each rated 0..10 by radios in a fieldset
        assert len(re.findall(rf'name="activity_{n}" id="activity_{n}-\d+"', html)) == 11
    assert 'id="name_activity_1" name="name_activity_1" value="Sitting"' in html
    assert 'id="name_activity_2" name="name_activity_2" value="Socks"' in html
    assert 'id="name_activity_3" name="name_activity_3" value=""' in html
    assert " checked" not in html  # last time's ratings are not today's
    assert "Save answers" in html and "Save for later" in html


def test_a_draft_is_saved_and_reopens_then_completes(world, app):
    ann = _as(app, "a@example.org")
    response = _post(ann, "/questionnaires/psfs", save="draft",
                     **_psfs(activity_1=("Sitting through a meeting", 3)))
    assert response.status_code == 302 and response.headers["Location"] == "/questionnaires"
    saved = _response(world)
    assert (saved.status, saved.answers, saved.names) == (
        "draft", {"activity_1": 3}, {"activity_1": "Sitting through a meeting"})
    assert 'Finish the Patient-Specific Functional Scale' in ann.get("/questionnaires").get_data(
        as_text=True)
    html = ann.get("/questionnaires/psfs").get_data(as_text=True)
    assert 'value="Sitting through a meeting"' in html
    assert 'id="activity_1-3" value="3" checked' in html
    assert "Your answers saved for later are filled in below." in html
    response = _post(ann, "/questionnaires/psfs", save="complete",
                     **_psfs(activity_1=("Sitting through a meeting", 3),
                             activity_2=("Putting on socks", 6)))
    assert response.status_code == 302
    saved = _response(world)
    assert (saved.status, saved.score) == ("complete", 4.5)
    page = ann.get("/questionnaires").get_data(as_text=True)
    assert "Answer the Patient-Specific Functional Scale" not in page
    assert "<strong>4.5</strong> of 10" in page


def test_todays_answers_are_corrected_today(world, app):
    ann = _as(app, "a@example.org")
    assert _post(ann, "/questionnaires/groc", save="complete", change="1").status_code == 302
    assert "You answered this today" in ann.get("/questionnaires/groc").get_data(as_text=True)
    assert _post(ann, "/questionnaires/groc", save="complete", change="2").status_code == 302
    with database.connection_context():
        rows = list(QuestionnaireResponse.select().where(
            QuestionnaireResponse.instrument == "groc"))
    assert [(r.answers, r.score, r.status) for r in rows] == [({"change": 2}, 2.0, "complete")]


def test_answers_of_another_day_are_refused(world, app):
    """A phone that queued answers yesterday and replays them today: not saved (answers
    are given and corrected on their own day only), said plainly, nothing changed."""
    yesterday = world["today"] - timedelta(days=1)
    with database.connection_context():
        store.save_answers(world["ann"], "groc", {"change": 1}, today=yesterday, complete=True)
    ann = _as(app, "a@example.org")
    response = _post(ann, "/questionnaires/groc", save="complete", change="3",
                     day=yesterday.isoformat())
    assert response.status_code == 400
    assert (f"These answers were given on {yesterday:%-d %B}: answers can only be given or "
            "corrected on their own day, so they were not saved.") in response.get_data(
        as_text=True)
    assert _response(world, "groc", yesterday).answers == {"change": 1}
    assert _response(world, "groc") is None


@pytest.mark.parametrize("data, message", [
    ({"name_activity_1": "Sitting", "activity_1": "11"}, "Please choose a number from 0 to 10."),
    ({"name_activity_1": "Sitting", "activity_1": "x"}, "Please choose a number from 0 to 10."),
    ({"activity_1": "5"}, "Please name activity 1 before rating it."),
    ({"name_activity_2": "Sit\x07ting", "activity_2": "5"},
     "Please name the activity in at most 100 characters, without special characters."),
    ({"name_activity_1": "S" * 101, "activity_1": "5"},
     "Please name the activity in at most 100 characters, without special characters."),
])
def test_bad_answers_are_400_with_the_form_kept(world, app, data, message):
    ann = _as(app, "a@example.org")
    response = _post(ann, "/questionnaires/psfs", save="complete",
                     name_activity_3="Walking the dog", activity_3="7", **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please correct the answers marked below; nothing was saved yet." in html
    assert message in html
    assert 'value="Walking the dog"' in html and 'id="activity_3-7" value="7" checked' in html
    assert _response(world) is None


def test_finishing_with_nothing_answered_is_refused(world, app):
    response = _post(_as(app, "a@example.org"), "/questionnaires/psfs", save="complete",
                     name_activity_1="Sitting")
    assert response.status_code == 400
    assert "Not saved yet: Answer at least 1 of 5 to finish." in response.get_data(as_text=True)
    assert 'value="Sitting"' in response.get_data(as_text=True)
    assert _response(world) is None


@pytest.mark.parametrize("data", [{"change": "4"}, {"change": "-4"}, {"change": "much"}])
def test_a_choice_out_of_range_is_400(world, app, data):
    response = _post(_as(app, "a@example.org"), "/questionnaires/groc", save="complete",
                     **data)
    assert response.status_code == 400
    assert "Please choose one of the answers listed." in response.get_data(as_text=True)


@pytest.mark.parametrize("data", [{"save": "publish"}, {"op_id": "x"}, {"day": "soon"}])
def test_a_malformed_post_is_400_never_500(world, app, data):
    response = _post(_as(app, "a@example.org"), "/questionnaires/groc", change="1", **data)
    assert response.status_code == 400
    assert "Something in the form was not as expected" in response.get_data(as_text=True)
    assert _response(world, "groc") is None


def test_without_the_csrf_token_nothing_is_saved(world, app):
    ann = _as(app, "a@example.org")
    assert ann.post("/questionnaires/groc", data={"change": "1"}).status_code == 400
    assert _response(world, "groc") is None


def test_a_replayed_offline_post_is_applied_once(world, app):
    ann = _as(app, "a@example.org")
    key = "op-questionnaire-0001"
    assert _post(ann, "/questionnaires/groc", save="complete", change="1",
                 op_id=key).status_code == 302
    # the same queued change again (a lost response, a second tab): not applied twice
    assert _post(ann, "/questionnaires/groc", save="complete", change="3",
                 op_id=key).status_code == 302
    saved = _response(world, "groc")
    assert saved.answers == {"change": 1}


def test_the_client_reads_earlier_answers_with_the_change_from_the_first(world, app):
    with database.connection_context():
        store.save_answers(world["ann"], "psfs", {"activity_1": 3, "activity_2": 4},
                           names={"activity_1": "Sitting", "activity_2": "Socks"},
                           today=world["today"] - timedelta(days=14), complete=True)
    ann = _as(app, "a@example.org")
    assert _post(ann, "/questionnaires/psfs", save="complete",
                 **_psfs(activity_1=("Sitting", 6), activity_2=("Socks", 7))).status_code == 302
    html = ann.get("/questionnaires/psfs/history").get_data(as_text=True)
    assert ("Score <strong>6.5</strong> of 10 (2 of 5 answered), +3 since your first answer "
            '<strong class="badge meaningful">meaningful</strong>.') in html
    assert "Score <strong>3.5</strong> of 10 (2 of 5 answered)." in html
    assert "<dt>Sitting</dt>\n        <dd>6</dd>" in html
    listing = ann.get("/questionnaires").get_data(as_text=True)
    assert '+3 since your first answer' in listing and "meaningful</strong>" in listing


def test_history_is_the_clients_own(world, app):
    with database.connection_context():
        store.save_answers(world["bob"], "groc", {"change": 3}, today=world["today"],
                           complete=True)
    html = _as(app, "a@example.org").get("/questionnaires/groc/history").get_data(as_text=True)
    assert "You have not finished the Global rating of change yet." in html


# --- /today ---------------------------------------------------------------------------

def test_a_due_questionnaire_shows_on_today_until_answered(world, app):
    ann = _as(app, "a@example.org")
    html = ann.get("/today").get_data(as_text=True)
    assert "A questionnaire is due" in html
    assert '<a class="button primary" href="/questionnaires/psfs">Answer the Patient-Specific' \
        in html
    _post(ann, "/questionnaires/psfs", save="complete", **_psfs(activity_1=("Sitting", 5)))
    _post(ann, "/questionnaires/groc", save="complete", change="0")
    assert "A questionnaire is due" not in ann.get("/today").get_data(as_text=True)


def test_today_reads_the_questionnaires_due_in_one_query(world, app, queries):
    ann = _as(app, "a@example.org")
    ann.get("/today")
    counter = queries()
    assert "A questionnaire is due" in ann.get("/today").get_data(as_text=True)
    with_rules = counter.count
    with database.connection_context():
        for instrument in ("psfs", "groc"):
            store.unassign(world["plan"], instrument)
    before = counter.count
    assert "A questionnaire is due" not in ann.get("/today").get_data(as_text=True)
    assert counter.count - before == with_rules  # the same one query, rules or not


# --- the therapist ---------------------------------------------------------------------

def test_the_author_sees_adds_and_removes_questionnaires(world, app):
    theo = _as(app, "t@example.org")
    cid = world["ann"].id
    html = theo.get(f"/clients/{cid}").get_data(as_text=True)
    assert "<strong>Patient-Specific Functional Scale</strong>: at the start and every 2 weeks" \
        in html
    assert f'href="/clients/{cid}/questionnaires/groc/remove"' in html
    response = _post(theo, f"/clients/{cid}/questionnaires", **{
        "questionnaire-instrument": "groc", "questionnaire-every_weeks": "4",
        "questionnaire-at_phase_change": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{cid}#questionnaires"
    with database.connection_context():
        assert store.rules(world["plan"])[1] == store.Rule("groc", False, 4, True)
        actions = [a.action for a in AuditEntry.select().where(AuditEntry.subject == cid)]
    assert actions.count("plan_edited") == 1
    confirm = theo.get(f"/clients/{cid}/questionnaires/groc/remove")
    assert confirm.status_code == 200
    assert "Take the Global rating of change off Ann's plan?" in confirm.get_data(
        as_text=True)
    with database.connection_context():
        assert QuestionnaireSchedule.select().count() == 3  # asking changed nothing
    response = _post(theo, f"/clients/{cid}/questionnaires/groc/remove")
    assert response.status_code == 302
    with database.connection_context():
        assert [r.instrument for r in store.rules(world["plan"])] == ["psfs"]
    assert theo.get(f"/clients/{cid}/questionnaires/groc/remove").status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"questionnaire-instrument": "oswestry", "questionnaire-at_start": "y"},
     "Please choose a questionnaire listed."),
    ({"questionnaire-instrument": "groc", "questionnaire-every_weeks": "53"},
     "Please give a number of weeks from 1 to 52, or leave it empty."),
    ({"questionnaire-instrument": "groc", "questionnaire-every_weeks": "0"},
     "Please give a number of weeks from 1 to 52, or leave it empty."),
    ({"questionnaire-instrument": "groc", "questionnaire-every_weeks": "two"},
     "Please give a number of weeks from 1 to 52, or leave it empty."),
    ({"questionnaire-instrument": "groc"},
     "Please choose when it is asked: at the start, every few weeks or at each phase change."),
])
def test_adding_with_bad_input_is_400_and_changes_nothing(world, app, data, message):
    response = _post(_as(app, "t@example.org"), f"/clients/{world['ann'].id}/questionnaires",
                     **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with database.connection_context():
        assert store.rules(world["plan"])[1] == store.Rule("groc", True, None, False)


def test_the_second_therapist_sees_the_questionnaires_read_only(world, app):
    html = _as(app, "s@example.org").get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert "<strong>Global rating of change</strong>: at the start" in html
    assert "/questionnaires/groc/remove" not in html and "Add the questionnaire" not in html


# --- a clinic's own instrument ------------------------------------------------------------

def _yes_no_file(folder):
    """A clinic's licensed 24-statement yes/no questionnaire (placeholder statements)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "disability.json").write_text(json.dumps({
        "id": "disability", "name": "Back disability index",
        "items": [{"key": f"s{n}", "text": f"Statement {n} about today.",
                   "response": {"kind": "yes_no"}} for n in range(1, 25)],
        "scoring": {"method": "sum"}, "range": [0, 24], "higher_is_better": False,
        "mcid": None, "source": "A clinic's licensed copy.", "licence": "Licensed to us."}))


def test_a_clinics_yes_no_questionnaire_is_a_list_that_works(world, app, tmp_path):
    _yes_no_file(tmp_path / "instruments")
    app.extensions["instruments"] = instruments.load(tmp_path / "instruments")
    with database.connection_context():
        store.assign(world["plan"], "disability",
                     instruments=app.extensions["instruments"].instruments)
    ann = _as(app, "a@example.org")
    html = ann.get("/questionnaires/disability").get_data(as_text=True)
    assert html.count('<fieldset class="pain-scale q-answer q-yes_no"') == 24
    assert '<legend>Statement 24 about today.</legend>' in html
    assert 'id="s1-no" value="no"' in html and 'id="s1-yes" value="yes"' in html
    some = {f"s{n}": "yes" if n <= 3 else "no" for n in range(1, 11)}
    assert _post(ann, "/questionnaires/disability", save="draft", **some).status_code == 302
    saved = _response(world, "disability")
    assert (saved.status, saved.score, len(saved.answers)) == ("draft", None, 10)
    response = _post(ann, "/questionnaires/disability", save="complete", **some)
    assert response.status_code == 400  # a sum needs every statement
    assert "Not saved yet: Answer at least 24 of 24 to finish." in response.get_data(
        as_text=True)
    assert 'id="s3-yes" value="yes" checked' in response.get_data(as_text=True)
    every = {f"s{n}": "yes" if n <= 3 else "no" for n in range(1, 25)}
    assert _post(ann, "/questionnaires/disability", save="complete", **every).status_code == 302
    assert (_response(world, "disability").status, _response(world, "disability").score) == (
        "complete", 3.0)
    bad = _post(ann, "/questionnaires/disability", save="complete", **{**every, "s5": "maybe"})
    assert bad.status_code == 400 and "Please answer yes or no." in bad.get_data(as_text=True)
