"""Questionnaires in the store (issue 19): clinic definition files beside the built-ins,
when a plan's questionnaires are due, answers saved partial then complete, corrected on
their day only, their history, the data download and erasure, and migration 14."""
import json
from datetime import date, timedelta

import pytest

from tests.conftest import make_user
from tests.store.test_migrations import add_data, assert_data_survived, db_url  # noqa: F401
from tracker import create_app
from tracker.domain import library
from tracker.domain.instruments import BUILT_IN
from tracker.store import instruments, plans, privacy, questionnaires
from tracker.store.db import database
from tracker.store.migrations import upgrade
from tracker.store.models import (
    ALL_MODELS,
    Plan,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    User,
)
from tracker.store.questionnaires import QuestionnaireError, due, save_answers

START = date(2026, 3, 2)

FOUR_ITEMS = {
    "id": "clinic_back", "name": "A clinic's back index", "source": "The clinic's licence",
    "licence": "Licensed to the clinic only",
    "items": [{"key": f"q{n}", "text": f"Statement {n}", "response": {"kind": "yes_no"}}
              for n in range(1, 5)],
    "scoring": {"method": "sum"}, "range": [0, 4], "higher_is_better": False,
    "mcid": {"value": 2, "source": "The clinic's licence"},
}


# --------------------------------------------------------------------------- loader

def test_the_loader_adds_good_files_and_skips_bad_ones_and_clashes(tmp_path, caplog):
    folder = instruments.instance_folder(tmp_path)
    folder.mkdir()
    (folder / "a_good.json").write_text(json.dumps(FOUR_ITEMS))
    (folder / "b_not_json.json").write_text("{nope")
    (folder / "c_bad_range.json").write_text(json.dumps({**FOUR_ITEMS, "id": "other",
                                                         "range": [0, 5]}))
    (folder / "d_clash.json").write_text(json.dumps({**FOUR_ITEMS, "id": "psfs"}))
    (folder / "e_again.json").write_text(json.dumps(FOUR_ITEMS))
    (folder / "notes.txt").write_text("not a definition")
    catalogue = instruments.load(folder)
    assert set(catalogue.instruments) == {*BUILT_IN, "clinic_back"}
    assert catalogue.get("psfs") is BUILT_IN["psfs"]  # the built-in, not the file's
    assert catalogue.get("clinic_back").high == 4
    errors = dict(e.split(": ", 1) for e in catalogue.errors)
    assert set(errors) == {"b_not_json.json", "c_bad_range.json", "d_clash.json",
                           "e_again.json"}
    assert errors["b_not_json.json"].startswith("not JSON")
    assert "range must be [0, 4]" in errors["c_bad_range.json"]
    assert "built-in" in errors["d_clash.json"]
    assert "earlier file" in errors["e_again.json"]
    assert "d_clash.json" in caplog.text


def test_without_a_folder_there_are_the_built_ins(tmp_path):
    assert dict(instruments.load(None).instruments) == dict(BUILT_IN)
    assert instruments.load(tmp_path / "missing").errors == ()


# --------------------------------------------------------------------------- due

@pytest.fixture
def people(app):
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        ann = make_user(email="a@example.org", name="Ann")
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(ann, spec, START, therapist=therapist, title="Ann's plan")
        yield {"therapist": therapist, "ann": ann, "plan": plan, "spec": spec}


def test_a_therapist_plan_has_nothing_due_until_assigned(people):
    plan = people["plan"]
    assert due(plan, START) == []
    questionnaires.assign(plan, "psfs", at_start=True, every_weeks=2)
    assert due(plan, START) == ["psfs"]
    assert questionnaires.unassign(plan, "psfs") and not questionnaires.unassign(plan, "psfs")
    assert due(plan, START) == []


def test_due_at_the_start_and_every_two_weeks(people):
    plan = people["plan"]
    questionnaires.assign(plan, "psfs", at_start=True, every_weeks=2)
    days = [d for d in range(0, 50) if due(plan, START + timedelta(days=d))]
    assert days == [0, 14, 28, 42]
    questionnaires.assign(plan, "psfs", at_start=False, every_weeks=2)  # changed, not added
    assert QuestionnaireSchedule.select().count() == 1
    assert due(plan, START) == [] and due(plan, START + timedelta(days=14)) == ["psfs"]
    assert due(plan, START - timedelta(days=14)) == []


def test_due_on_a_phase_change(people):
    plan, therapist = people["plan"], people["therapist"]
    questionnaires.assign(plan, "groc", at_start=False, at_phase_change=True)
    step = START + timedelta(days=10)
    plans.step_to(plan, 1, step, therapist, "Doing well")
    plan = Plan.get_by_id(plan.id)
    assert [d for d in range(0, 30) if due(plan, START + timedelta(days=d))] == [10]


def test_a_self_guided_plan_has_the_default(people):
    ann = people["ann"]
    plan = plans.create_plan(ann, people["spec"], START, title="Mine", created_by=ann)
    assert plan.self_guided
    assert questionnaires.rules(plan) == questionnaires.SELF_GUIDED_DEFAULT
    assert [d for d in range(0, 30) if due(plan, START + timedelta(days=d))] == [0, 14, 28]
    questionnaires.assign(plan, "groc", at_start=True)  # its own schedule replaces it
    assert due(plan, START) == ["groc"] and due(plan, START + timedelta(days=14)) == []


def test_not_due_twice_a_day_and_not_on_an_ended_plan(people):
    plan, ann = people["plan"], people["ann"]
    questionnaires.assign(plan, "psfs")
    save_answers(ann, "psfs", {"activity_1": 3}, names={"activity_1": "Sitting"},
                 today=START)
    assert due(plan, START) == ["psfs"]  # a draft: still to finish
    save_answers(ann, "psfs", {"activity_1": 3}, names={"activity_1": "Sitting"},
                 today=START, complete=True)
    assert due(plan, START) == []
    Plan.update(status=Plan.FINISHED).where(Plan.id == plan.id).execute()
    assert due(Plan.get_by_id(plan.id), START + timedelta(days=14)) == []


def test_assigning_refuses_an_unknown_instrument_or_never(people):
    with pytest.raises(QuestionnaireError, match="no questionnaire"):
        questionnaires.assign(people["plan"], "oswestry")
    with pytest.raises(QuestionnaireError, match="choose when"):
        questionnaires.assign(people["plan"], "psfs", at_start=False)
    with pytest.raises(QuestionnaireError, match="from 1 to 52"):
        questionnaires.assign(people["plan"], "psfs", every_weeks=0)
    catalogue = instruments.load(None)
    clinic = {**catalogue.instruments, "x": BUILT_IN["psfs"]}
    assert questionnaires.assign(people["plan"], "x", instruments=clinic).instrument == "x"


# --------------------------------------------------------------------------- answers

def test_partial_answers_then_complete(people):
    ann = people["ann"]
    draft = save_answers(ann, "psfs", {"activity_1": 2}, names={"activity_1": "Socks on"},
                         today=START, plan=people["plan"])
    assert draft.status == "draft" and draft.score == 2
    with pytest.raises(QuestionnaireError, match="answer at least 4 of 4"):
        save_answers(ann, "clinic_back", {"q1": True}, today=START, complete=True,
                     instruments={"clinic_back": _clinic()})
    done = save_answers(ann, "psfs", {"activity_1": 2, "activity_2": 6},
                        names={"activity_1": "Socks on", "activity_2": "Meetings"},
                        today=START, complete=True)
    assert done.id == draft.id and done.status == "complete" and done.score == 4
    assert done.answers == {"activity_1": 2, "activity_2": 6}
    assert done.plan_id == people["plan"].id  # kept when not given again
    assert QuestionnaireResponse.select().count() == 1
    assert questionnaires.last_names(ann, "psfs") == {"activity_1": "Socks on",
                                                      "activity_2": "Meetings"}


def _clinic():
    from tracker.domain.instruments import Instrument
    return Instrument.from_dict(FOUR_ITEMS)


@pytest.mark.parametrize(("answers", "names", "message"), [
    ({"activity_1": 11}, {"activity_1": "Walking"}, "a whole number from 0 to 10"),
    ({"activity_9": 1}, {}, "no such item"),
    ({"activity_1": 5}, {}, "name the activity you rated: activity_1"),
    ({"activity_1": 5}, {"activity_1": "x" * 101}, "at most 100 characters"),
    ({"activity_1": 5}, {"activity_1": "Walk", "other": "?"}, "no activity to name"),
])
def test_invalid_answers_are_refused_clearly(people, answers, names, message):
    with pytest.raises(QuestionnaireError, match=message):
        save_answers(people["ann"], "psfs", answers, names=names, today=START)
    assert QuestionnaireResponse.select().count() == 0


def test_corrected_on_the_same_day_but_not_later(people):
    ann = people["ann"]
    save_answers(ann, "psfs", {"activity_1": 2}, names={"activity_1": "Walk"}, today=START,
                 complete=True)
    fixed = save_answers(ann, "psfs", {"activity_1": 3}, names={"activity_1": "Walk"},
                         today=START, complete=True)
    assert fixed.score == 3 and fixed.updated_at >= fixed.created_at
    with pytest.raises(QuestionnaireError, match="own day only"):
        save_answers(ann, "psfs", {"activity_1": 5}, names={"activity_1": "Walk"},
                     today=START + timedelta(days=1), day=START)
    assert QuestionnaireResponse.get().score == 3


def test_history_scores_and_the_change_from_the_first(people):
    ann = people["ann"]
    for days, value in ((0, 2), (14, 3), (28, 5)):
        save_answers(ann, "psfs", {"activity_1": value}, names={"activity_1": "Walk"},
                     today=START + timedelta(days=days), complete=True)
    save_answers(ann, "psfs", {"activity_1": 9}, names={"activity_1": "Walk"},
                 today=START + timedelta(days=42))  # a draft is not history
    entries = questionnaires.history(ann, "psfs")
    assert [(e.day, e.score.value) for e in entries] == [
        (START, 2), (START + timedelta(days=14), 3), (START + timedelta(days=28), 5)]
    assert [(e.change.difference, e.change.meaningful) for e in entries] == [
        (0.0, False), (1.0, False), (3.0, True)]


# --------------------------------------------------------------------------- privacy

def test_answers_are_exported_and_deleted_with_the_account(people):
    ann, plan = people["ann"], people["plan"]
    questionnaires.assign(plan, "psfs")
    save_answers(ann, "psfs", {"activity_1": 4}, names={"activity_1": "Gardening"},
                 today=START, complete=True, plan=plan)
    [row] = privacy.export(ann)["questionnaires"]
    assert row["instrument"] == "psfs" and row["answers"] == {"activity_1": 4}
    assert row["activity_names"] == {"activity_1": "Gardening"} and row["score"] == 4
    privacy.delete_account(ann)
    assert QuestionnaireResponse.select().count() == 0
    assert QuestionnaireSchedule.select().count() == 0
    for model in ALL_MODELS:
        for field in model._meta.refs:
            if field.rel_model is User:
                assert not model.select().where(field == ann.id).exists(), model.__name__


def test_the_zip_has_a_questionnaires_csv(people):
    import io
    import zipfile
    save_answers(people["ann"], "psfs", {"activity_1": 4}, names={"activity_1": "Gardening"},
                 today=START, complete=True)
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(people["ann"])))
    assert "Gardening" in archive.read("questionnaires.csv").decode()


# --------------------------------------------------------------------------- migration 14

@pytest.fixture
def old_app(db_url):  # noqa: F811
    return create_app({"TESTING": True, "DATABASE_URL": db_url})


def test_migration_14_upgrades_a_version_13_database_keeping_its_data(old_app):
    upgrade(target=13)
    with database.connection_context():
        for table in ("questionnaireresponse", "questionnaireschedule"):
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    add_data()
    assert upgrade(target=14) == (14, [14])
    assert_data_survived()
    with database.connection_context():
        assert {"questionnaireresponse", "questionnaireschedule"} <= set(database.get_tables())
        indexes = {tuple(i.columns): i.unique
                   for i in database.obj.get_indexes("questionnaireresponse")}
        assert indexes[("client_id", "instrument", "day")] is True
        kim = User.by_email("kim@example.org")
        save_answers(kim, "groc", {"change": 2}, today=START, complete=True)
        assert QuestionnaireResponse.get().score == 2


def test_20_concurrent_first_saves_of_a_day_leave_one_response(app):
    from tests.store.test_reliability import _run_all

    with database.connection_context():
        ann = make_user(email="a@example.org", name="Ann")
    errors = _run_all([
        (lambda n=n: save_answers(ann, "psfs", {"activity_1": n % 11},
                                  names={"activity_1": "Walk"}, today=START))
        for n in range(20)])
    assert errors == []
    with database.connection_context():
        assert QuestionnaireResponse.select().count() == 1
