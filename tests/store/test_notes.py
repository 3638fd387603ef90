"""Session notes in the store: which sessions, who reads which note, export and deletion."""
from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tracker.domain import library
from tracker.store import notes, plans, privacy, queries
from tracker.store.db import database
from tracker.store.models import CareLink, CheckOff, Plan, SessionNote, User


@pytest.fixture
def world(app):
    """Ann on Theo's plan from the Monday three weeks back (a session each Monday, the
    first one done); Sam is Ann's other therapist."""
    with database.connection_context():
        theo = make_user(email="t@example.org", name="Theo", role="therapist")
        sam = make_user(email="s@example.org", name="Sam", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        CareLink.create(therapist=theo, client=ann)
        CareLink.create(therapist=sam, client=ann)
        today = plans.local_today(ann)
        start = plans.monday_of(today) - timedelta(weeks=3)
        plan = plans.assign(ann, library.template("acute-therapist-led")["spec"], start,
                            therapist=theo, title="Acute plan")
        CheckOff.create(plan=plan, item_key="massage", day=start)
    with database.connection_context():
        yield {"theo": theo, "sam": sam, "ann": ann, "plan": plan, "start": start,
               "today": today}


def _write(world, who="theo", weeks=0, shared=False, done="Deep tissue"):
    return notes.write(world["plan"], world[who], "massage",
                       world["start"] + timedelta(weeks=weeks), done=f" {done} ",
                       areas="Glutes", pressure="firm", response="", shared=shared)


def test_the_sessions_are_the_plans_past_sessions_newest_first(world):
    found = notes.sessions(world["plan"], world["today"])
    mondays = [world["start"] + timedelta(weeks=w) for w in range(4)]
    assert [s.day for s in found] == sorted((d for d in mondays if d <= world["today"]),
                                            reverse=True)
    assert {s.item_key for s in found} == {"massage"}
    assert [s.done for s in found][-1] is True and not any(s.done for s in found[:-1])
    assert found[-1].value == f"massage@{world['start'].isoformat()}"
    assert found[-1].label == f"{world['start']:%a %-d %b}: Deep tissue massage (done)"


def test_a_plan_starting_later_has_no_session_yet(world):
    later = Plan.get_by_id(world["plan"].id)
    later.start = world["today"] + timedelta(days=3)
    assert notes.sessions(later, world["today"]) == []


@pytest.mark.parametrize("value, parsed", [
    ("massage@2026-01-05", ("massage", date(2026, 1, 5))),
    ("a@b@2026-01-05", ("a@b", date(2026, 1, 5))),
    ("massage@2026-13-05", None),
    ("massage", None),
    ("@2026-01-05", None),
    ("", None),
    ("x" * 65 + "@2026-01-05", None),
])
def test_parse_session(value, parsed):
    assert notes.parse_session(value) == parsed


def test_write_trims_and_refuses_a_second_note_on_the_same_session(world):
    note = _write(world)
    assert (note.done, note.client_id, note.therapist_id) == (
        "Deep tissue", world["ann"].id, world["theo"].id)
    with pytest.raises(notes.NoteExists):
        _write(world, done="again")
    _write(world, who="sam")  # another therapist: their own note on it
    assert SessionNote.select().count() == 2
    with pytest.raises(ValueError, match="unknown pressure 'hard'"):
        notes.write(world["plan"], world["theo"], "massage", world["start"], done="x",
                    areas="", pressure="hard", response="", shared=False)


def test_who_reads_which_note(world):
    private = _write(world, weeks=0, done="theo private")
    shared = _write(world, weeks=1, shared=True, done="theo shared")
    sams = _write(world, who="sam", weeks=1, done="sam private")
    theo_sees = notes.for_therapist(world["ann"], world["theo"], world["today"])
    assert [(v.note.id, v.own) for v in theo_sees] == [(shared.id, True), (private.id, True)]
    sam_sees = notes.for_therapist(world["ann"], world["sam"], world["today"])
    assert sorted((v.note.id, v.own, v.author) for v in sam_sees) == sorted(
        [(shared.id, False, "Theo"), (sams.id, True, "Sam")])
    ann_sees = notes.shared_with(world["ann"], world["today"])
    assert [(v.note.id, v.session_name, v.pressure_label) for v in ann_sees] == [
        (shared.id, "Deep tissue massage", "Firm")]
    assert notes.shared_with(world["ann"], world["today"],
                             since=world["start"] + timedelta(weeks=2)) == []


def test_a_therapist_reaches_only_their_own_notes_on_linked_clients(world):
    mine = _write(world)
    sams = _write(world, who="sam", weeks=1)
    assert [n.id for n in queries.notes_written_by(world["theo"])] == [mine.id]
    CareLink.update(active=False).where(CareLink.therapist == world["theo"]).execute()
    assert list(queries.notes_written_by(world["theo"])) == []
    assert [n.id for n in queries.notes_written_by(world["sam"])] == [sams.id]


def test_update_and_delete(world):
    note = _write(world)
    notes.update(note, done="Changed", areas=" Back ", pressure="", response="OK",
                 shared=True)
    note = SessionNote.get_by_id(note.id)
    assert (note.done, note.areas, note.pressure, note.response, note.shared) == (
        "Changed", "Back", "", "OK", True)
    assert note.updated_at >= note.created_at
    notes.delete(note)
    assert SessionNote.select().count() == 0


def test_the_clients_export_holds_shared_notes_only(world):
    _write(world, done="PRIVATE")
    _write(world, weeks=1, shared=True, done="SHARED")
    record = privacy.export(world["ann"])
    assert record["session_notes"] == [{
        "session_day": world["start"] + timedelta(weeks=1), "item_key": "massage",
        "done": "SHARED", "areas": "Glutes", "pressure": "firm", "response": "",
        "therapist": "Theo"}]
    assert "PRIVATE" not in str(record)
    assert "SHARED" in privacy._csv(record["session_notes"])


def test_the_therapists_export_holds_every_note_they_wrote(world):
    _write(world, done="PRIVATE")
    _write(world, weeks=1, shared=True, done="SHARED")
    _write(world, who="sam", weeks=1, done="SAMS")
    written = privacy.export(world["theo"])["session_notes_written"]
    assert [(n["client"], n["done"], n["shared"]) for n in written] == [
        ("Ann", "PRIVATE", False), ("Ann", "SHARED", True)]


def test_a_therapist_leaving_takes_private_notes_and_leaves_shared_ones(world):
    _write(world, done="PRIVATE")
    shared = _write(world, weeks=1, shared=True, done="SHARED")
    privacy.delete_account(User.get_by_id(world["theo"].id))
    assert [(n.id, n.therapist_id) for n in SessionNote.select()] == [(shared.id, None)]
    [view] = notes.shared_with(world["ann"], world["today"])
    assert view.author == "A former therapist"


def test_a_client_leaving_takes_every_note_about_them(world):
    _write(world)
    _write(world, who="sam", weeks=1, shared=True)
    privacy.delete_account(User.get_by_id(world["ann"].id))
    assert SessionNote.select().count() == 0
