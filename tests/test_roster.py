"""The roster's pure rules: flags from facts, and the order clients are listed in."""
from datetime import date, timedelta

import pytest

from tracker import roster
from tracker.roster import FLARE_UP, INACTIVE, RED_FLAG, STEP_DOWN, Facts, Row

TODAY = date(2026, 3, 18)


def days(n: int) -> date:
    return TODAY - timedelta(days=n)


def active(**facts) -> Facts:
    """A client on a plan for a month who checked in today."""
    return Facts(**{"today": TODAY, "plan_start": days(30), "last_checkin": TODAY, **facts})


def test_a_client_doing_fine_has_no_flags():
    assert roster.flags(active()) == ()


@pytest.mark.parametrize(("red_flag_on", "flagged"), [
    (TODAY, True),
    (days(13), True),  # the 14th day back still counts
    (days(14), False),
    (TODAY + timedelta(days=1), False),  # a date after today is not "within the last 14 days"
    (None, False),
])
def test_a_red_flag_shows_for_14_days(red_flag_on, flagged):
    assert (RED_FLAG in roster.flags(active(red_flag_on=red_flag_on))) is flagged


def test_an_open_self_care_pause_is_a_red_flag_however_old():
    assert roster.flags(active(red_flag_on=days(40), self_care_paused=True)) == (RED_FLAG,)


@pytest.mark.parametrize(("suggestion", "expected"), [
    ("step_down", (STEP_DOWN,)),
    ("step_back", (FLARE_UP,)),
    (None, ()),
    ("something else", ()),
])
def test_suggestions(suggestion, expected):
    assert roster.flags(active(suggestion=suggestion)) == expected


@pytest.mark.parametrize(("checkin", "checkoff", "inactive"), [
    (None, None, True),
    (days(5), None, True),
    (None, days(5), True),
    (days(4), None, False),  # 5 days back, today included
    (None, days(4), False),
    (days(9), days(1), False),
    (TODAY, None, False),
])
def test_no_activity_for_5_days(checkin, checkoff, inactive):
    facts = active(last_checkin=checkin, last_checkoff=checkoff)
    assert (INACTIVE in roster.flags(facts)) is inactive


@pytest.mark.parametrize(("plan_start", "inactive"), [
    (days(5), True),  # started 5 days ago: long enough to expect something
    (days(4), False),
    (TODAY, False),
    (TODAY + timedelta(days=3), False),
    (None, False),  # no plan, nothing to do
])
def test_inactivity_needs_a_plan_running_for_5_days(plan_start, inactive):
    facts = Facts(today=TODAY, plan_start=plan_start)
    assert (INACTIVE in roster.flags(facts)) is inactive


def test_flags_come_most_urgent_first():
    facts = Facts(today=TODAY, plan_start=days(20), suggestion="step_back", red_flag_on=TODAY)
    assert roster.flags(facts) == (RED_FLAG, FLARE_UP, INACTIVE)
    assert [f.label for f in roster.flags(facts)] == [
        "Red flag", "Flare-up", "No activity for 5 days"
    ]
    assert STEP_DOWN.label == "Ready to step down"


def test_flagged_clients_come_first_then_by_name():
    rows = [
        Row(1, "bea"),
        Row(2, "Zed", flags=(INACTIVE,)),
        Row(3, "Al"),
        Row(4, "Cy", flags=(RED_FLAG,)),
        Row(5, "al"),
    ]
    assert [r.client_id for r in roster.sort_rows(rows)] == [4, 2, 3, 5, 1]


def test_only_a_red_flag_is_urgent():
    assert Row(1, "A", flags=(RED_FLAG, INACTIVE)).urgent
    assert not Row(1, "A", flags=(FLARE_UP, INACTIVE)).urgent
    assert not Row(1, "A").flagged


def test_sorting_is_stable_for_equal_names():
    rows = [Row(9, "Sam"), Row(2, "Sam")]
    assert [r.client_id for r in roster.sort_rows(rows)] == [2, 9]


@pytest.mark.parametrize(("day", "text"), [
    (TODAY, "today"),
    (days(1), "yesterday"),
    (days(3), "3 days ago"),
    (None, "never"),
])
def test_days_ago(day, text):
    assert roster.days_ago(day, TODAY) == text


def test_the_module_is_pure():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(roster.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"flask", "peewee", "tracker"}
    assert ".now(" not in ast.unparse(tree)
