"""The audit log's retention: the worker's daily task and ``flask audit-prune`` delete what
is older than TRACKER_AUDIT_DAYS, nothing else."""
from datetime import timedelta

import pytest

from tests.conftest import make_user
from tracker.jobs import tasks
from tracker.store.db import database
from tracker.store.models import AuditEntry, utcnow


@pytest.fixture
def ages(app):
    """Entries 40, 20 and 1 day old; the app keeps 30 days."""
    app.config["AUDIT_DAYS"] = 30
    with database.connection_context():
        theo = make_user("t@example.org", "Theo", "therapist")
        ann = make_user("a@example.org", "Ann")
        for days in (40, 20, 1):
            AuditEntry.create(at=utcnow() - timedelta(days=days), actor=theo,
                              actor_role="therapist", subject=ann, action="viewed_client")


def kept_days() -> list[int]:
    with database.connection_context():
        return sorted((utcnow() - e.at).days for e in AuditEntry.select())


def test_the_daily_task_prunes_past_the_retention_period(app, ages):
    with app.app_context():
        assert tasks.prune_audit_log.call_local() == 1
    assert kept_days() == [1, 20]


def test_the_cli_prunes_too(app, ages, runner):
    result = runner.invoke(args=["audit-prune"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 audit log entries older than 30 days deleted.\n"
    assert kept_days() == [1, 20]


def test_the_default_is_three_years(app):
    assert app.config["AUDIT_DAYS"] == 1095


def test_the_inspector_gets_the_log_as_csv(app, ages, runner):
    """``flask audit-log``: every entry with names and addresses, filtered by day and client."""
    with database.connection_context():
        bea = make_user("b@example.org", "Bea")
        AuditEntry.create(actor=None, actor_role="system", subject=bea, action="safety_paused",
                          detail="plan 9", address=None)
    result = runner.invoke(args=["audit-log"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "at,actor_id,actor,actor_role,subject_id,subject,action,detail,address"
    assert len(lines) == 5
    assert lines[1].split(",")[1:7] == ["1", "Theo", "therapist", "2", "Ann", "viewed_client"]
    assert lines[4].split(",")[1:8] == ["", "The app", "system", "3", "Bea", "safety_paused",
                                        "plan 9"]
    since = (utcnow() - timedelta(days=5)).date().isoformat()
    recent = runner.invoke(args=["audit-log", "--since", since, "--client", "A@example.org"])
    assert recent.exit_code == 0, recent.output
    assert len(recent.output.splitlines()) == 2 and ",Ann,viewed_client," in recent.output
    bad = runner.invoke(args=["audit-log", "--since", "yesterday"])
    assert bad.exit_code == 2 and "not an ISO 8601 date or time: yesterday" in bad.output
