"""Tests for the function chart (issue 19): questionnaire scores over time, the change from
the first answer marked at the MCID, its words, table and the roster's trend."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from tracker.domain.function_chart import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    function_chart,
    function_table,
    function_view,
    readings,
    trend,
    value_ticks,
)
from tracker.domain.instruments import GROC, PSFS, Instrument, Score
from tracker.domain.roster import SORTS, Row, parse_sort, sort_rows
from tracker.domain.wording import YOU, Voice

SVG = "{http://www.w3.org/2000/svg}"
FIRST = date(2026, 3, 2)
TODAY = FIRST + timedelta(weeks=6)
DANA = Voice.about("Dana")

# A clinic's lower-is-better index (a sum of 4 yes/no statements, MCID 2), as a file gives.
BACK = Instrument.from_dict({
    "id": "clinic_back", "name": "A clinic's back index", "source": "The clinic's licence",
    "licence": "Licensed to the clinic only",
    "items": [{"key": f"q{n}", "text": f"Statement {n}", "response": {"kind": "yes_no"}}
              for n in range(1, 5)],
    "scoring": {"method": "sum"}, "range": [0, 4], "higher_is_better": False,
    "mcid": {"value": 2, "source": "The clinic's licence"},
})


def scored(instrument: Instrument, *values: float, every: int = 14) -> list:
    return readings(instrument, [(FIRST + timedelta(days=i * every),
                                  Score(instrument.id, v, 1, len(instrument.items)))
                                 for i, v in enumerate(values)])


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def dots(root: ET.Element) -> list[tuple[float, float]]:
    [group] = by_class(root, "function-dots")
    return [(float(c.get("cx")), float(c.get("cy"))) for c in group.findall(f"{SVG}circle")]


# --------------------------------------------------------------------------- the chart

def test_a_psfs_chart_draws_each_answer_and_rings_the_meaningful_one():
    answers = scored(PSFS, 3, 4, 5)  # +1, then +2: the MCID
    root = parse(function_chart(PSFS, answers, TODAY, "function-psfs"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "function-psfs-title function-psfs-desc"
    assert root.find(f"{SVG}title").text == ("Patient-Specific Functional Scale over time, "
                                              "2 Mar 2026 to 13 Apr 2026")
    assert root.find(f"{SVG}desc").text == (
        "3 answers, 0 to 10, higher is better. First, 2 Mar: 3. Latest, 30 Mar: 5 "
        "(+2, meaningful). A ring marks a meaningful improvement, a cross a worsening, of at "
        "least 2 points from the first answer.")
    assert [y for _, y in dots(root)] == [BOTTOM - s / 10 * (BOTTOM - TOP) for s in (3, 4, 5)]
    rings = by_class(root, "mark-meaningful")
    assert [(float(r.get("cx")), float(r.get("cy"))) for r in rings] == [dots(root)[2]]
    assert by_class(root, "mark-worse") == []
    [band] = by_class(root, "function-band")  # the first answer +/- 2
    assert float(band.get("y")) == pytest.approx(BOTTOM - 5 / 10 * (BOTTOM - TOP))
    assert float(band.get("height")) == pytest.approx(4 / 10 * (BOTTOM - TOP))
    assert "style" not in str(function_chart(PSFS, answers, TODAY, "x"))


def test_a_worsening_by_the_mcid_is_crossed_and_a_smaller_one_is_not():
    root = parse(function_chart(PSFS, scored(PSFS, 6, 4.5, 4), TODAY, "f"))
    assert len(by_class(root, "mark-worse")) == 1 and by_class(root, "mark-meaningful") == []
    legend = "".join(by_class(root, "chart-legend")[0].itertext())
    assert legend == "First answerWorse"


def test_the_meaningful_mark_is_exactly_at_the_mcid():
    below = scored(PSFS, 4, 5.8)
    at = scored(PSFS, 4, 6)
    assert not below[-1].change.meaningful and at[-1].change.meaningful
    assert by_class(parse(function_chart(PSFS, below, TODAY, "f")), "mark-meaningful") == []
    assert len(by_class(parse(function_chart(PSFS, at, TODAY, "f")), "mark-meaningful")) == 1


def test_a_lower_is_better_instrument_going_down_is_meaningful():
    answers = scored(BACK, 4, 2)
    assert answers[-1].change.difference == 2 and answers[-1].change.meaningful
    root = parse(function_chart(BACK, answers, TODAY, "f"))
    assert len(by_class(root, "mark-meaningful")) == 1
    assert [y for _, y in dots(root)] == [TOP, (TOP + BOTTOM) / 2]  # 4 at the top, as scored
    view = function_view(BACK, answers, TODAY, "f")
    assert view.summary_for(YOU) == (
        "Latest, 16 Mar: 2 (0 to 4, lower is better). Down 2 points since your first answer: "
        "a meaningful improvement, at least the smallest change that matters (MCID: 2 "
        "points).")
    going_up = scored(BACK, 1, 3)
    assert going_up[-1].change.worse_meaningful
    assert len(by_class(parse(function_chart(BACK, going_up, TODAY, "f")), "mark-worse")) == 1


def test_one_answer_and_none():
    root = parse(function_chart(PSFS, scored(PSFS, 5), FIRST, "f"))
    assert dots(root) == [((LEFT + RIGHT) / 2, BOTTOM - 0.5 * (BOTTOM - TOP))]
    empty = parse(function_chart(PSFS, [], TODAY, "f"))
    assert "".join(empty.itertext()).endswith("No answers yet")
    assert function_view(PSFS, [], TODAY, "f") is None
    assert str(function_table(PSFS, [])) == '<p class="function-table-empty">No answers yet.</p>'


@pytest.mark.parametrize("prefix", ["", "Bad", "a b", "-x", "x" * 41, "a_b"])
def test_a_bad_id_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="id_prefix must be"):
        function_chart(PSFS, [], TODAY, prefix)


def test_a_chart_without_an_mcid_has_no_band_and_no_marks():
    answers = scored(GROC, -1, 2)
    root = parse(function_chart(GROC, answers, TODAY, "f"))
    assert by_class(root, "function-band") == [] and by_class(root, "mark-meaningful") == []
    assert function_view(GROC, answers, TODAY, "f").summary_for(DANA) == (
        "Latest, 16 Mar: 2 (-3 to 3, higher is better). Up 3 points since Dana's first answer"
        ". No minimal important change is set for this questionnaire.")


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 20)), min_size=1, max_size=30),
       st.integers(0, 200))
def test_every_point_and_label_is_inside_the_canvas(raw, extra):
    scores = [(FIRST + timedelta(days=d), Score("psfs", v / 2, 1, 5)) for d, v in raw]
    answers = readings(PSFS, scores)
    last = max(d for d, _ in scores) + timedelta(days=extra)
    root = parse(function_chart(PSFS, answers, last, "f"))
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    for x, y in dots(root):
        assert LEFT <= x <= RIGHT and TOP <= y <= BOTTOM
    for text in root.iter(f"{SVG}text"):
        assert 0 <= float(text.get("x")) <= WIDTH and 0 <= float(text.get("y")) <= HEIGHT
    first = answers[0].score.value
    rings = len(by_class(root, "mark-meaningful"))
    assert rings == sum(1 for a in answers if a.score.value - first >= 2)
    assert len(by_class(root, "mark-worse")) == sum(
        1 for a in answers if first - a.score.value >= 2)


# --------------------------------------------------------------------------- ticks

def test_value_ticks_of_the_built_ins_and_a_clinic_index():
    assert value_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    assert value_ticks(-3, 3) == [-3, 0, 3]
    assert value_ticks(0, 24) == [0, 5, 10, 15, 20, 24]
    assert value_ticks(0, 50) == [0, 10, 20, 30, 40, 50]
    assert value_ticks(0, 1) == [0, 0.5, 1]
    with pytest.raises(ValueError, match="the range must rise"):
        value_ticks(3, 3)


@given(st.integers(-1000, 1000), st.integers(1, 100000))
def test_value_ticks_rise_within_the_range_and_both_ends_are_labelled(low, width):
    ticks = value_ticks(low, low + width)
    assert ticks[0] == low and ticks[-1] == low + width
    assert 2 <= len(ticks) <= 6
    assert all(a < b for a, b in zip(ticks, ticks[1:], strict=False))


def test_the_chart_labels_each_value_tick():
    root = parse(function_chart(PSFS, scored(PSFS, 3, 6), TODAY, "f"))
    axis = by_class(root, "chart-axis")[0]
    assert [t.text for t in axis.iter(f"{SVG}text")] == ["0", "2", "4", "6", "8", "10"]


# --------------------------------------------------------------------------- words, table

def test_the_words_in_either_voice():
    answers = scored(PSFS, 3, 5.5)
    view = function_view(PSFS, answers, TODAY, "f")
    assert view.summary_for(YOU) == (
        "Latest, 16 Mar: 5.5 (0 to 10, higher is better). Up 2.5 points since your first "
        "answer: a meaningful improvement, at least the smallest change that matters (MCID: "
        "2 points).")
    assert "since Dana's first answer" in view.summary_for(DANA)
    small = function_view(PSFS, scored(PSFS, 3, 4), TODAY, "f")
    assert small.summary_for(DANA).endswith(
        "Up 1 point since Dana's first answer: less than the smallest change that matters "
        "(MCID: 2 points).")
    worse = function_view(PSFS, scored(PSFS, 6, 3.5), TODAY, "f")
    assert worse.summary_for(YOU).endswith(
        "Down 2.5 points since your first answer: worse, by at least the smallest change "
        "that matters (MCID: 2 points).")
    once = function_view(PSFS, scored(PSFS, 4), TODAY, "f")
    assert once.summary_for(DANA) == ("Latest, 2 Mar: 4 (0 to 10, higher is better). Dana "
                                      "answered it once so far; the change shows from Dana's "
                                      "next answer.")
    assert view.answers_text == ["2 Mar 2026: 3 (first answer)",
                                 "16 Mar 2026: 5.5 (+2.5, meaningful)"]


def test_the_table_is_newest_first_with_each_change():
    table = str(function_table(PSFS, scored(PSFS, 3, 4, 6)))
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>',
                      table)
    assert rows == [("30 Mar 2026", "6", "+3, meaningful"), ("16 Mar 2026", "4", "+1"),
                    ("2 Mar 2026", "3", "First answer")]
    assert "<caption>Patient-Specific Functional Scale, newest first (0 to 10, higher is " \
           "better)</caption>" in table


def test_an_unscored_answer_is_left_out():
    answers = readings(PSFS, [(FIRST, Score("psfs", None, 0, 5)),
                              (TODAY, Score("psfs", 4, 1, 5))])
    assert [a.day for a in answers] == [TODAY]


# --------------------------------------------------------------------------- the roster

def test_the_roster_trend():
    found = trend(PSFS, scored(PSFS, 3, 4, 6.5))
    assert (found.name, found.figure, found.label, found.meaningful, found.worse) == (
        "PSFS", "6.5 of 10", "+3.5, meaningful", True, False)
    assert found.sort_key == pytest.approx(0.35)
    svg = parse(found.sparkline)
    assert svg.get("aria-label") == ("Patient-Specific Functional Scale, each answer: 3, 4, 6.5 "
                                     "(higher is better)")
    one = trend(PSFS, scored(PSFS, 3))
    assert (one.label, one.sort_key, str(one.sparkline)) == ("", None, "")
    down = trend(BACK, scored(BACK, 1, 3))
    assert (down.label, down.worse, down.sort_key) == ("+2, worse", True, -0.5)
    assert trend(PSFS, []) is None


def test_the_roster_sorts_by_the_change_as_a_share_of_the_range():
    rows = [Row(1, "Ann", function=trend(PSFS, scored(PSFS, 3, 6))),  # +0.3 of the range
            Row(2, "Bob", function=trend(BACK, scored(BACK, 1, 3))),  # -0.5
            Row(3, "Cy", function=trend(PSFS, scored(PSFS, 5))),  # one answer: no change yet
            Row(4, "Di"),  # no answers
            Row(5, "Ed", function=trend(PSFS, scored(PSFS, 5, 4)))]  # -0.1
    assert SORTS["function"].descending is False  # the most worsened first
    up = sort_rows(rows, parse_sort("function", None))
    assert [r.name for r in up] == ["Bob", "Ed", "Ann", "Cy", "Di"]
    down = sort_rows(rows, parse_sort("function", "desc"))
    assert [r.name for r in down] == ["Ann", "Ed", "Bob", "Cy", "Di"]
