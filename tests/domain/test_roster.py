"""The roster's pure rules: flags from facts, and the order clients are listed in."""
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import roster
from tracker.domain.roster import AREA, FLARE_UP, INACTIVE, RED_FLAG, STEP_DOWN, WAITING, Facts, Row

TODAY = date(2026, 3, 18)


def days(n: int) -> date:
    return TODAY - timedelta(days=n)


def active(**facts) -> Facts:
    """A client on a plan for a month who checked in today."""
    return Facts(**{"today": TODAY, "plan_start": days(30), "last_checkin": TODAY, **facts})


def test_a_client_doing_fine_has_no_flags():
    assert roster.flags(active()) == ()


def test_the_flags_read_as_text():
    assert [(f.key, f.label) for f in (RED_FLAG, AREA, FLARE_UP, WAITING, STEP_DOWN, INACTIVE)] == [
        ("red-flag", "Warning sign"),
        ("area", "Treated-area problem"),
        ("flare-up", "Flare-up"),
        ("waiting", "Due to step down: waiting for review"),
        ("step-down", "Ready to step down"),
        ("inactive", "No activity for 5 days"),
    ]


def test_the_14_day_red_flag_window_is_gone():
    assert not hasattr(roster, "RED_FLAG_DAYS")
    with pytest.raises(TypeError, match="unexpected keyword argument 'red_flag_on'"):
        Facts(today=TODAY, red_flag_on=TODAY)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'self_care_paused'"):
        Facts(today=TODAY, self_care_paused=True)  # type: ignore[call-arg]


@pytest.mark.parametrize(("facts", "expected"), [
    ({"warning_open": True}, (RED_FLAG,)),
    ({"area_open": True}, (AREA,)),
    ({"warning_open": True, "area_open": True}, (RED_FLAG, AREA)),
    ({"waiting_since": days(3)}, (WAITING,)),
    ({"waiting_since": TODAY}, (WAITING,)),
])
def test_an_open_report_or_a_waiting_step_is_flagged(facts, expected):
    assert roster.flags(active(**facts)) == expected


def test_an_open_warning_stays_flagged_however_old_the_plan_or_check_in():
    # no 14-day window: a report stays until a person resolves it
    facts = active(warning_open=True, plan_start=days(400), last_checkin=days(2))
    assert roster.flags(facts) == (RED_FLAG,)
    assert roster.flags(Facts(today=TODAY, warning_open=True)) == (RED_FLAG,)  # no plan
    assert roster.flags(Facts(today=TODAY, area_open=True)) == (AREA,)


@pytest.mark.parametrize(("suggestion", "expected"), [
    ("step_down", (STEP_DOWN,)),
    ("step_back", (FLARE_UP,)),
    ("review", (FLARE_UP,)),
    (None, ()),
    ("something else", ()),
])
def test_suggestions(suggestion, expected):
    assert roster.flags(active(suggestion=suggestion)) == expected


@pytest.mark.parametrize(("facts", "expected"), [
    ({"warning_open": True}, (RED_FLAG,)),
    ({"area_open": True}, (AREA,)),
    ({"warning_open": True, "area_open": True}, (RED_FLAG, AREA)),
    ({}, (STEP_DOWN,)),
])
def test_ready_to_step_down_is_never_shown_beside_an_open_problem(facts, expected):
    assert roster.flags(active(suggestion="step_down", **facts)) == expected


@pytest.mark.parametrize(("facts", "expected"), [
    ({}, (WAITING,)),
    ({"suggestion": "step_down"}, (WAITING,)),  # waiting replaces ready to step down
    ({"suggestion": "step_back"}, (FLARE_UP, WAITING)),
    ({"warning_open": True}, (RED_FLAG, WAITING)),  # the warning is why it waits
    ({"area_open": True, "suggestion": "step_down"}, (AREA, WAITING)),
])
def test_waiting_for_review_replaces_ready_to_step_down(facts, expected):
    flagged = roster.flags(active(waiting_since=days(2), **facts))
    assert flagged == expected
    assert STEP_DOWN not in flagged


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


ORDER = (RED_FLAG, AREA, FLARE_UP, WAITING, STEP_DOWN, INACTIVE)
maybe_day = st.none() | st.integers(-10, 40).map(days)


@settings(max_examples=100, deadline=None)
@given(st.builds(Facts, st.just(TODAY), maybe_day,
                 st.sampled_from([None, "step_down", "step_back", "review"]),
                 st.booleans(), st.booleans(), maybe_day, maybe_day, maybe_day))
def test_flag_properties(facts):
    found = roster.flags(facts)
    assert list(found) == [f for f in ORDER if f in found]  # most urgent first, no repeats
    assert (RED_FLAG in found) is facts.warning_open
    assert (AREA in found) is facts.area_open
    assert (WAITING in found) is (facts.waiting_since is not None)
    assert (FLARE_UP in found) is (facts.suggestion in ("step_back", "review"))
    if STEP_DOWN in found:
        assert facts.suggestion == "step_down"
        assert not {RED_FLAG, AREA, WAITING} & set(found)


def test_flags_come_most_urgent_first():
    facts = Facts(today=TODAY, plan_start=days(20), suggestion="step_back",
                  warning_open=True, area_open=True, waiting_since=days(1))
    assert roster.flags(facts) == (RED_FLAG, AREA, FLARE_UP, WAITING, INACTIVE)
    assert [f.label for f in roster.flags(facts)] == [
        "Warning sign", "Treated-area problem", "Flare-up",
        "Due to step down: waiting for review", "No activity for 5 days",
    ]
    ready = Facts(today=TODAY, plan_start=days(20), suggestion="step_down")
    assert roster.flags(ready) == (STEP_DOWN, INACTIVE)


def test_flagged_clients_come_first_then_by_name():
    rows = [
        Row(1, "bea"),
        Row(2, "Zed", flags=(INACTIVE,)),
        Row(3, "Al"),
        Row(4, "Cy", flags=(RED_FLAG,)),
        Row(5, "al"),
    ]
    assert [r.client_id for r in roster.sort_rows(rows)] == [4, 2, 3, 5, 1]


def test_only_a_warning_sign_is_urgent():
    assert Row(1, "A", flags=(RED_FLAG, INACTIVE)).urgent
    assert not Row(1, "A", flags=(FLARE_UP, INACTIVE)).urgent
    assert not Row(1, "A", flags=(AREA, WAITING)).urgent
    assert Row(1, "A", flags=(AREA,)).flagged
    assert not Row(1, "A").flagged


def test_archived_rows_are_sorted_like_any_other():
    rows = [
        Row(1, "Bo", archived=True, flags=(RED_FLAG,)),
        Row(2, "Al"),
        Row(3, "Ann", archived=True, flags=(AREA,)),
        Row(4, "Cat", archived=True),
    ]
    assert [r.client_id for r in roster.sort_rows(rows)] == [3, 1, 2, 4]
    assert Row(5, "Di").archived is False
    flagged = Row(1, "Bo", archived=True, flags=(RED_FLAG,))
    assert flagged.archived and flagged.urgent and flagged.flagged


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


@pytest.mark.parametrize(("row", "text"), [
    (Row(1, "A", adherence=80, today="2 of 7 so far"), "80%"),
    (Row(1, "A", adherence=None, skips="6 skipped (no time)"), "All skipped"),
    (Row(1, "A", adherence=None, today="0 of 7 so far"), "Too soon to say"),
    (Row(1, "A", adherence=None, today="nothing due"), "Nothing due"),
    (Row(1, "A"), "Nothing due"),
])
def test_adherence_in_words(row, text):
    assert row.adherence_text == text


# --- sorting by a column, and the search -----------------------------------------------

SORT_ROWS = [
    Row(1, "Bea", adherence=80, last_checkin=days(2), leg_pain=6, phase="Improving",
        next_session=TODAY + timedelta(days=3), flags=(INACTIVE,)),
    Row(2, "al", adherence=None, last_checkin=None, leg_pain=None, phase=None),
    Row(3, "Cy", adherence=40, last_checkin=days(0), leg_pain=8, phase="Acute",
        next_session=TODAY, flags=(RED_FLAG, INACTIVE)),
    Row(4, "Di", adherence=80, last_checkin=days(9), leg_pain=2, phase="acute",
        next_session=None, flags=(RED_FLAG,)),
    Row(5, "Ed", adherence=100, last_checkin=days(2), leg_pain=6, phase="Maintenance",
        next_session=TODAY + timedelta(days=30), flags=(STEP_DOWN,)),
]


@pytest.mark.parametrize(("column", "ascending"), [
    # equal figures by name; no figure (None) last, whichever the direction
    ("name", [2, 1, 3, 4, 5]),
    ("flags", [3, 4, 5, 1, 2]),  # the worst flag first; with two, ahead of one
    ("adherence", [3, 1, 4, 5, 2]),
    ("checkin", [4, 1, 5, 3, 2]),
    ("pain", [4, 1, 5, 3, 2]),
    ("phase", [3, 4, 1, 5, 2]),  # case-insensitively
    ("next", [3, 1, 5, 2, 4]),  # two without a session: by name
])
def test_sorting_by_each_column(column, ascending):
    up = [r.client_id for r in roster.sort_rows(SORT_ROWS, roster.Sort(column, False))]
    down = [r.client_id for r in roster.sort_rows(SORT_ROWS, roster.Sort(column, True))]
    assert up == ascending
    known = [i for i in ascending if roster.SORTS[column].value(SORT_ROWS[i - 1]) is not None]
    value = roster.SORTS[column].value
    # descending: the figures the other way round, equal ones still by name, None still last
    assert [value(SORT_ROWS[i - 1]) for i in down[:len(known)]] == sorted(
        (value(SORT_ROWS[i - 1]) for i in known), reverse=True)
    assert down[len(known):] == ascending[len(known):]


def test_equal_figures_keep_the_name_order_both_ways():
    rows = [Row(1, "Zoe", leg_pain=5), Row(2, "Amy", leg_pain=5), Row(3, "Bo", leg_pain=7)]
    assert [r.client_id for r in roster.sort_rows(rows, roster.Sort("pain", True))] == [3, 2, 1]
    assert [r.client_id for r in roster.sort_rows(rows, roster.Sort("pain", False))] == [2, 1, 3]


def test_the_default_sort_is_flagged_first_then_name():
    assert roster.sort_rows(SORT_ROWS) == roster.sort_rows(SORT_ROWS, roster.DEFAULT_SORT)
    assert [r.client_id for r in roster.sort_rows(SORT_ROWS)] == [1, 3, 4, 5, 2]


@pytest.mark.parametrize(("column", "direction", "expected"), [
    ("name", "asc", roster.Sort("name", False)),
    ("pain", "asc", roster.Sort("pain", False)),
    ("adherence", "desc", roster.Sort("adherence", True)),
    ("pain", None, roster.Sort("pain", True)),  # leg pain's first order: the worst first
    ("checkin", "sideways", roster.Sort("checkin", False)),
    ("next", "", roster.Sort("next", False)),
    (None, "desc", roster.Sort()),
    ("", None, roster.Sort()),
    ("email", "asc", roster.Sort()),
    ("name; DROP TABLE user", "asc", roster.Sort()),
    ("__class__", "asc", roster.Sort()),
])
def test_parse_sort_falls_back_to_the_default(column, direction, expected):
    assert roster.parse_sort(column, direction) == expected


def test_a_header_click_toggles_its_column_or_starts_it_in_its_first_order():
    current = roster.Sort("name", False)
    assert current.toggled("name") == roster.Sort("name", True)
    assert roster.Sort("name", True).toggled("name") == roster.Sort("name", False)
    assert current.toggled("pain") == roster.Sort("pain", True)
    assert current.toggled("adherence") == roster.Sort("adherence", False)
    assert roster.Sort().toggled("flags") == roster.Sort("flags", False)
    assert current.aria("name") == "ascending" and current.aria("pain") is None
    assert roster.Sort("pain", True).aria("pain") == "descending"
    assert roster.Sort().aria("name") is None
    assert (roster.Sort().direction, roster.Sort("pain", True).direction) == ("asc", "desc")


@pytest.mark.parametrize(("query", "texts", "found"), [
    ("", ("Dana Diaz", "d@example.org"), True),
    ("   ", ("Dana Diaz",), True),
    ("dana", ("Dana Diaz", "d@example.org"), True),
    ("DIAZ", ("Dana Diaz",), True),
    ("example.org", ("Dana Diaz", "d@example.org"), True),
    ("  diaz ", ("Dana Diaz",), True),
    ("straße", ("Anna STRASSE",), True),  # casefold
    ("zed", ("Dana Diaz", "d@example.org"), False),
])
def test_the_search_matches_any_text_ignoring_case(query, texts, found):
    assert roster.matches(query, *texts) is found


@given(st.lists(st.tuples(st.text(max_size=6), st.none() | st.integers(0, 10)), max_size=12),
       st.sampled_from(sorted(roster.SORTS)), st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_sort_keeps_every_row_and_puts_missing_figures_last(entries, column, descending):
    rows = [Row(i, name, leg_pain=pain, adherence=pain) for i, (name, pain) in enumerate(entries)]
    out = roster.sort_rows(rows, roster.Sort(column, descending))
    assert sorted(r.client_id for r in out) == list(range(len(rows)))
    value = roster.SORTS[column].value
    missing = [value(r) is None for r in out]
    assert missing == sorted(missing)  # all the None ones at the end
