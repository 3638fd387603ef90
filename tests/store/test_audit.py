"""The audit log in the store: each plan change recorded once, in one place; append-only;
kept for TRACKER_AUDIT_DAYS; erased with the client, kept (nameless) without the therapist;
in the client's download; migration 13. On SQLite and PostgreSQL."""
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_user
from tests.store.test_migrations import add_data, assert_data_survived, db_url  # noqa: F401
from tracker import create_app
from tracker.domain import library
from tracker.store import audit, checkins, plans, privacy, safety_reports
from tracker.store.db import database
from tracker.store.migrations import LATEST, upgrade
from tracker.store.models import AppendOnlyError, AuditEntry, CareLink, User, utcnow

ALL_NO = {flag["key"]: False for flag in library.RED_FLAGS}
SPEC = library.template("acute-therapist-led")["spec"]


@pytest.fixture
def world(app):
    with database.connection_context():
        therapist = make_user("t@example.org", "Theo Therapist", "therapist")
        ann = make_user("a@example.org", "Ann Client")
        CareLink.create(therapist=therapist, client=ann)
        today = plans.local_today(ann)
        plan = plans.assign(ann, SPEC, today - timedelta(days=3), therapist=therapist,
                            title="Ann's plan")
    return {"therapist": therapist, "ann": ann, "plan": plan, "today": today}


def entries(**where) -> list[tuple]:
    """(action, actor id, role, subject id, detail) of every entry, oldest first."""
    query = AuditEntry.select().order_by(AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return [(e.action, e.actor_id, e.actor_role, e.subject_id, e.detail) for e in query]


def test_each_plan_change_is_recorded_once(world):
    t, ann, plan, today = world["therapist"], world["ann"], world["plan"], world["today"]
    start = today - timedelta(days=3)
    with database.connection_context():
        assert entries() == [("plan_assigned", t.id, "therapist", ann.id,
                              f"plan {plan.id}, from {start:%Y-%m-%d}")]
        plans.revise(plan, SPEC, today, t, "longer holds")
        plans.step_to(plan, 1, today, t, "doing well")
        plans.pause(plan, today + timedelta(days=7), t, "holiday")
        plans.resume(plan, today + timedelta(days=14), t)
        plan.suggestion = plans.STEP_BACK
        plans.decide_suggestion(plan, False, today, t)
        plans.finish(plan, today, t)
        later = [(action, actor, role) for action, actor, role, _s, _d in entries()[1:]]
    assert later == [("plan_edited", t.id, "therapist"), ("plan_stepped", t.id, "therapist"),
                     ("plan_paused", t.id, "therapist"), ("plan_resumed", t.id, "therapist"),
                     ("plan_suggestion", t.id, "therapist"),
                     ("plan_finished", t.id, "therapist")]


def test_a_report_pauses_by_the_client_and_the_therapist_resumes(world):
    t, ann, plan, today = world["therapist"], world["ann"], world["plan"], world["today"]
    with database.connection_context():
        checkins.record_safety_answers(ann, today, {**ALL_NO, "bladder_bowel": True})
        safety_reports.resolve(ann, t, today)
        assert entries()[1:] == [
            ("safety_paused", ann.id, "client", ann.id, f"plan {plan.id}, from {today:%Y-%m-%d}"),
            ("safety_resumed", t.id, "therapist", ann.id,
             f"plan {plan.id}, from {today:%Y-%m-%d}")]
        # A new plan for a client with a report still open starts paused: by the app.
        checkins.record_safety_answers(ann, today, {**ALL_NO, "saddle_numbness": True})
        plans.assign(ann, SPEC, today, therapist=t, title="Another plan")
        actions = [(a, actor, role) for a, actor, role, _s, _d in entries()[3:]]
    assert ("safety_paused", None, "system") in actions
    assert ("plan_assigned", t.id, "therapist") in actions


def test_entries_are_append_only(world):
    with database.connection_context():
        entry = AuditEntry.get()
        before = entries()
        entry.action = "plan_finished"
        with pytest.raises(AppendOnlyError, match="never changed"):
            entry.save()
        with pytest.raises(AppendOnlyError, match="never changed"):
            AuditEntry.update(action="plan_finished")
        with pytest.raises(AppendOnlyError, match="retention prune"):
            AuditEntry.delete()
        with pytest.raises(AppendOnlyError, match="retention prune"):
            entry.delete_instance()
        assert entries() == before


def test_an_unknown_action_is_refused(world):
    with database.connection_context(), pytest.raises(ValueError, match="unknown audit action"):
        audit.record(world["therapist"], world["ann"].id, "peeked")


def test_prune_deletes_only_what_is_past_the_retention_period(world):
    t, ann = world["therapist"], world["ann"]
    now = datetime(2030, 6, 1, 12, tzinfo=UTC)
    with database.connection_context():
        for days in (1096, 1095.5, 1094, 10):
            AuditEntry.create(at=now - timedelta(days=days), actor=t, actor_role="therapist",
                              subject=ann, action="viewed_client")
        assert audit.prune(now, 1095) == 2 + 1  # the two older entries and world's assign
        kept = sorted(round((now - e.at).total_seconds() / 86400) for e in AuditEntry.select())
        assert kept == [10, 1094]
        with pytest.raises(ValueError, match="at least a day"):
            audit.prune(now, 0)


def test_deleting_the_client_erases_the_entries_about_them(world):
    t, ann = world["therapist"], world["ann"]
    with database.connection_context():
        bea = make_user("b@example.org", "Bea Client")
        CareLink.create(therapist=t, client=bea)
        audit.viewed(t, bea.id, audit.VIEWED_CLIENT)
        audit.viewed(t, ann.id, audit.VIEWED_SUMMARY)
        privacy.delete_account(User.get_by_id(ann.id))
        assert entries() == [("viewed_client", t.id, "therapist", bea.id, "")]


def test_deleting_the_therapist_keeps_their_entries_without_a_name(world):
    t, ann = world["therapist"], world["ann"]
    with database.connection_context():
        audit.viewed(t, ann.id, audit.VIEWED_CLIENT)
        privacy.delete_account(User.get_by_id(t.id))
        assert [(a, actor, role) for a, actor, role, _s, _d in entries()] == [
            ("plan_assigned", None, "therapist"), ("viewed_client", None, "therapist")]
        lines, older = audit.about(ann)
    assert [(line.who, line.what) for line in lines] == [
        ("A former therapist", "opened your page"), ("A former therapist", "gave you a plan")]
    assert older is False


def test_the_client_reads_newest_first_a_page_at_a_time(world):
    t, ann = world["therapist"], world["ann"]
    with database.connection_context():
        base = utcnow() - timedelta(days=1)
        for i in range(audit.PAGE_SIZE):
            AuditEntry.create(at=base + timedelta(minutes=i), actor=t, actor_role="therapist",
                              subject=ann, action="viewed_summary")
        AuditEntry.create(at=utcnow(), actor=ann, actor_role="client", subject=ann,
                          action="plan_paused")
        first, more = audit.about(ann)
        second, none = audit.about(ann, 2)
    assert [(line.who, line.what) for line in first[:3]] == [
        ("You", "paused your plan"), ("Theo Therapist", "gave you a plan"),
        ("Theo Therapist", "opened your printable summary")]
    assert len(first) == audit.PAGE_SIZE and more is True
    assert [line.at for line in second] == [base + timedelta(minutes=1), base]
    assert none is False


def test_the_download_has_the_entries_about_me_without_addresses(world):
    t, ann = world["therapist"], world["ann"]
    with database.connection_context():
        audit.bind_address("203.0.113.9")
        try:
            audit.viewed(t, ann.id, audit.VIEWED_MESSAGES)
        finally:
            audit.bind_address(None)
        assert AuditEntry.get(AuditEntry.action == "viewed_messages").address == "203.0.113.9"
        record = privacy.export(User.get_by_id(ann.id))
        theirs = privacy.export(User.get_by_id(t.id))
    assert [(e["who"], e["role"], e["action"], e["what"]) for e in record["audit_log"]] == [
        ("Theo Therapist", "therapist", "plan_assigned", "gave you a plan"),
        ("Theo Therapist", "therapist", "viewed_messages", "opened your messages")]
    assert "203.0.113.9" not in repr(record)
    assert theirs["audit_log"] == []  # nothing is about the therapist


@pytest.fixture
def migrating_app(db_url):  # noqa: F811
    return create_app({"TESTING": True, "DATABASE_URL": db_url})


def test_migration_13_adds_the_audit_log_to_an_existing_database(migrating_app):
    upgrade(target=12)
    with database.connection_context():
        database.execute_sql('DROP TABLE "auditentry"')  # the baseline made it: as before
    add_data()
    assert upgrade() == (LATEST, list(range(13, LATEST + 1)))
    with database.connection_context():
        indexes = {i.name: (tuple(i.columns), i.unique)
                   for i in database.obj.get_indexes("auditentry")}
        assert indexes["auditentry_subject_id_at"] == (("subject_id", "at"), False)
        kim = User.by_email("kim@example.org")
        audit.record(None, kim.id, "safety_paused")
        assert entries() == [("safety_paused", None, "system", kim.id, "")]
    assert_data_survived()
