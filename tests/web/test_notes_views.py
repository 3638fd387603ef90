"""Session notes through the test client: writing, editing, deleting, who reads which."""
import re
from datetime import timedelta

import pytest

from tests.conftest import Auth, csrf_token, make_user
from tracker.domain import library
from tracker.store import notes, plans
from tracker.store.db import database
from tracker.store.models import CareLink, CheckOff, SessionNote


@pytest.fixture
def world(app):
    """Ann with Theo's plan started on a Monday 15 days ago (sessions every Monday); Sam is
    Ann's second therapist; Tara is nobody's; Bob another client."""
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        sam = make_user(email="s@example.org", name="Sam", role="therapist")
        make_user(email="t2@example.org", name="Tara", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        make_user(email="b@example.org", name="Bob")
        CareLink.create(therapist=theo, client=ann)
        CareLink.create(therapist=sam, client=ann)
        today = plans.local_today(ann)
        start = plans.monday_of(today) - timedelta(days=14)
        plan = plans.assign(ann, library.template("acute-therapist-led")["spec"], start,
                            therapist=theo, title="Acute plan")
        CheckOff.create(plan=plan, item_key="massage", day=start)
    return {"ann": ann, "plan": plan, "start": start, "today": today, "theo": theo, "sam": sam}


def _as(app, email):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/library"), **data})


def _new_url(world):
    return f"/clients/{world['ann'].id}/notes/new"


def _session(world, weeks=0):
    return f"massage@{(world['start'] + timedelta(weeks=weeks)).isoformat()}"


def test_the_form_lists_the_recent_sessions_and_picks_the_one_asked_for(world, app):
    theo = _as(app, "t@example.org")
    response = theo.get(_new_url(world) + f"?session={_session(world, 1)}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    options = re.findall(r'<option[^>]*value="(massage@[^"]+)"[^>]*>([^<]+)</option>', html)
    assert [v for v, _ in options] == [_session(world, w) for w in (2, 1, 0)
                                       if world["start"] + timedelta(weeks=w) <= world["today"]]
    assert f"{world['start']:%a %-d %b}: Deep tissue massage (done)" in html
    assert re.search(rf'<option selected value="{_session(world, 1)}"', html)
    assert "Share this note with Ann" in html


def test_a_shared_note_is_saved_and_shown_to_the_therapist_and_the_client(world, app):
    theo = _as(app, "t@example.org")
    response = _post(theo, _new_url(world), session=_session(world), done="Deep tissue, glutes",
                     areas="Lower back, left glute", pressure="firm",
                     response="Less leg pain after", shared="y")
    assert response.status_code == 302
    assert response.location == f"/clients/{world['ann'].id}#session-notes"
    with database.connection_context():
        note = SessionNote.get()
    assert (note.item_key, note.session_day, note.pressure, note.shared) == (
        "massage", world["start"], "firm", True)
    assert (note.therapist_id, note.client_id, note.plan_id) == (
        world["theo"].id, world["ann"].id, world["plan"].id)
    page = theo.get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert "Session notes" in page and "Deep tissue, glutes" in page
    assert "Shared with Ann" in page and f"/notes/{note.id}/edit" in page
    ann = _as(app, "a@example.org").get("/progress").get_data(as_text=True)
    assert "Notes from your sessions" in ann and "Less leg pain after" in ann
    assert "Firm" in ann and "Shared with" not in ann


def test_a_private_note_is_the_authors_alone(world, app):
    theo = _as(app, "t@example.org")
    assert _post(theo, _new_url(world), session=_session(world), done="PRIVATE-WORDS",
                 pressure="").status_code == 302
    assert "PRIVATE-WORDS" in theo.get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    sam = _as(app, "s@example.org").get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert "PRIVATE-WORDS" not in sam and "No session notes yet." in sam
    ann = _as(app, "a@example.org").get("/progress").get_data(as_text=True)
    assert "PRIVATE-WORDS" not in ann and "Notes from your sessions" not in ann


def test_another_therapists_shared_note_is_read_only_for_the_second_therapist(world, app):
    theo = _as(app, "t@example.org")
    _post(theo, _new_url(world), session=_session(world), done="Shared words", shared="y")
    with database.connection_context():
        note_id = SessionNote.get().id
    sam = _as(app, "s@example.org")
    page = sam.get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert "Shared words" in page and "By Theo" in page
    assert f"/notes/{note_id}/edit" not in page
    assert sam.get(f"/clients/{world['ann'].id}/notes/{note_id}/edit").status_code == 404
    assert _post(sam, f"/clients/{world['ann'].id}/notes/{note_id}/delete").status_code == 404


@pytest.mark.parametrize("data, field, message", [
    ({"session": ""}, "session", "Please pick the session."),
    ({"session": "massage@2001-01-01"}, "session", "Pick one of the sessions listed."),
    ({"session": "nonsense"}, "session", "Pick one of the sessions listed."),
    ({"done": "", "response": "  "}, "response",
     "Please write what was done or how the client responded."),
    ({"done": "x" * 1001}, "done", "Please keep it under 1000 characters."),
    ({"areas": "x" * 201}, "areas", "Please keep it under 200 characters."),
    ({"done": "bad\x00text"}, "done", "Please remove control characters."),
    ({"areas": "line\nbreak"}, "areas", "Please remove control characters."),
    ({"pressure": "crushing"}, "pressure", "Pick one of the pressures listed."),
])
def test_bad_input_is_refused_with_its_message(world, app, data, field, message):
    theo = _as(app, "t@example.org")
    form = {"session": _session(world), "done": "Swedish", "pressure": "light", **data}
    response = _post(theo, _new_url(world), **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">{re.escape(message)}', html), html
    with database.connection_context():
        assert SessionNote.select().count() == 0


def test_a_second_note_on_the_same_session_is_refused(world, app):
    theo = _as(app, "t@example.org")
    assert _post(theo, _new_url(world), session=_session(world), done="one").status_code == 302
    response = _post(theo, _new_url(world), session=_session(world), done="two")
    assert response.status_code == 422
    assert "You already have a note on this session: edit that one instead." in \
        response.get_data(as_text=True)
    # Sam, Ann's other therapist, may write his own note on the same session.
    assert _post(_as(app, "s@example.org"), _new_url(world), session=_session(world),
                 done="Sam's").status_code == 302
    with database.connection_context():
        assert sorted(n.done for n in SessionNote.select()) == ["Sam's", "one"]


def test_edit_changes_the_words_and_the_sharing(world, app):
    theo = _as(app, "t@example.org")
    _post(theo, _new_url(world), session=_session(world), done="First", shared="y")
    with database.connection_context():
        note = SessionNote.get()
    url = f"/clients/{world['ann'].id}/notes/{note.id}/edit"
    form = theo.get(url).get_data(as_text=True)
    assert "First</textarea>" in form and 'name="session"' not in form
    response = _post(theo, url, done="Second", response="Better", pressure="deep")
    assert response.status_code == 302
    with database.connection_context():
        note = SessionNote.get()
    assert (note.done, note.response, note.pressure, note.shared) == (
        "Second", "Better", "deep", False)
    assert _post(theo, url, done="", response="").status_code == 422


def test_delete_asks_first_then_deletes(world, app):
    theo = _as(app, "t@example.org")
    _post(theo, _new_url(world), session=_session(world), done="Gone soon", shared="y")
    with database.connection_context():
        note = SessionNote.get()
    url = f"/clients/{world['ann'].id}/notes/{note.id}/delete"
    ask = theo.get(url).get_data(as_text=True)
    assert "Delete “the note of" in ask and "also for Ann, who could read it" in ask
    with database.connection_context():
        assert SessionNote.select().count() == 1  # a GET deletes nothing
    response = _post(theo, url)
    assert response.status_code == 302
    with database.connection_context():
        assert SessionNote.select().count() == 0
    assert _post(theo, url).status_code == 404


@pytest.mark.parametrize("email, status", [
    ("t2@example.org", 404),  # not Ann's therapist
    ("a@example.org", 403),  # clients
    ("b@example.org", 403),
])
def test_only_anns_therapists_reach_the_notes(world, app, email, status):
    theo = _as(app, "t@example.org")
    _post(theo, _new_url(world), session=_session(world), done="x")
    with database.connection_context():
        note_id = SessionNote.get().id
    other = _as(app, email)
    base = f"/clients/{world['ann'].id}/notes"
    for path in ("/new", f"/{note_id}/edit", f"/{note_id}/delete"):
        assert other.get(base + path).status_code == status
        assert _post(other, base + path, session=_session(world), done="y").status_code == status


def test_anonymous_goes_to_login(world, app):
    response = app.test_client().get(_new_url(world))
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_client_without_a_plan_has_no_session_to_note(world, app):
    with database.connection_context():
        bob = make_user(email="c@example.org", name="Cleo")
        CareLink.create(therapist=world["theo"], client=bob)
    theo = _as(app, "t@example.org")
    assert theo.get(f"/clients/{bob.id}/notes/new").status_code == 404
    page = theo.get(f"/clients/{bob.id}").get_data(as_text=True)
    assert page.count("Write a session note") == 0


def test_the_client_page_offers_the_sessions_without_a_note(world, app):
    theo = _as(app, "t@example.org")
    page = theo.get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert f"notes/new?session={_session(world)}" in page
    _post(theo, _new_url(world), session=_session(world), done="x")
    page = theo.get(f"/clients/{world['ann'].id}").get_data(as_text=True)
    assert f"notes/new?session={_session(world)}" not in page
    with database.connection_context():
        assert [s.value for s in notes.sessions(world["plan"], world["today"])][-1] == \
            _session(world)
