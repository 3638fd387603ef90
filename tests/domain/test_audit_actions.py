"""The audit log's vocabulary: action codes, how each reads, retention in words."""
from datetime import UTC, datetime

import pytest

from tracker.domain import audit


@pytest.mark.parametrize("kind, safety, code", [
    ("paused", False, "plan_paused"), ("stepped", False, "plan_stepped"),
    ("paused", True, "safety_paused"), ("resumed", True, "safety_resumed")])
def test_plan_changes_have_an_action_with_words(kind, safety, code):
    assert audit.plan_action(kind, safety=safety) == code
    assert code in audit.ACTIONS


@pytest.mark.parametrize("kind, safety", [("stepped", True), ("deleted", False)])
def test_an_unknown_change_is_refused(kind, safety):
    with pytest.raises(ValueError, match="unknown plan change"):
        audit.plan_action(kind, safety=safety)


@pytest.mark.parametrize("name, role, is_self, shown", [
    ("Theo", "therapist", False, "Theo"), ("Ann", "client", True, "You"),
    (None, "therapist", False, "A former therapist"), (None, "system", False, "The app"),
    (None, "client", False, "A former user")])
def test_who_did_it(name, role, is_self, shown):
    assert audit.who(name, role, is_self) == shown


@pytest.mark.parametrize("days, words", [(1095, "3 years"), (365, "1 year"), (90, "90 days"),
                                         (1, "1 day")])
def test_retention_in_words(days, words):
    assert audit.retention_text(days) == words


def test_cutoff():
    now = datetime(2030, 1, 2, tzinfo=UTC)
    assert audit.cutoff(now, 1) == datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="at least a day"):
        audit.cutoff(now, 0)
