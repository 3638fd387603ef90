"""Tests for outcome measures: definitions as data, their validation, scoring and change."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.instruments import (
    BUILT_IN,
    GROC,
    PSFS,
    Instrument,
    InstrumentError,
    Score,
    change,
    score,
)

# A worked example of a clinic's definition file: a fake 4-item yes/no index, scored as a
# sum, higher is worse (the shape a licensed Roland-Morris or similar would take).
FAKE_INDEX_JSON = """
{
  "id": "fake_index",
  "name": "A made-up 4-statement index (test only)",
  "items": [
    {"key": "s1", "text": "I walk more slowly than usual.", "response": {"kind": "yes_no"}},
    {"key": "s2", "text": "I stay at home more.", "response": {"kind": "yes_no"}},
    {"key": "s3", "text": "I sleep less well.", "response": {"kind": "yes_no"}},
    {"key": "s4", "text": "I avoid heavy jobs.", "response": {"kind": "yes_no"}}
  ],
  "scoring": {"method": "sum"},
  "range": [0, 4],
  "higher_is_better": false,
  "mcid": {"value": 2, "source": "Invented for this test."},
  "source": "Invented for this test.",
  "licence": "Test data; no terms."
}
"""


def fake_definition() -> dict[str, Any]:
    return json.loads(FAKE_INDEX_JSON)


FAKE = Instrument.from_dict(fake_definition())


def psfs(*ratings: int | None) -> dict[str, int | None]:
    return {f"activity_{n}": r for n, r in enumerate(ratings, start=1)}


def fake(*ticks: bool | None) -> dict[str, bool | None]:
    return {f"s{n}": t for n, t in enumerate(ticks, start=1)}


# --------------------------------------------------------------------------- built ins

def test_built_ins_carry_their_terms_and_sources():
    assert set(BUILT_IN) == {"psfs", "groc"}  # no Roland-Morris: its terms are unconfirmed
    assert "Public domain" in PSFS.licence
    assert PSFS.mcid is not None and PSFS.mcid.value == 2 and "Stratford" in PSFS.mcid.source
    assert "Kamper" in GROC.source and GROC.mcid is None
    assert [i.text for i in PSFS.items] == [f"Activity {n}" for n in range(1, 6)]
    assert all(i.named for i in PSFS.items)


@pytest.mark.parametrize(("answers", "value", "answered", "partial"), [
    (psfs(10, 10, 10, 10, 10), 10.0, 5, False),  # all best
    (psfs(0, 0, 0, 0, 0), 0.0, 5, False),  # all worst
    (psfs(3, 6), 4.5, 2, True),  # partial: two activities named
    (psfs(4, None, 7), 5.5, 2, True),  # a skipped one is not a zero
    (psfs(2, 5, 6, 7, 9), 5.8, 5, False),  # middle
    (psfs(7), 7.0, 1, True),
    ({}, None, 0, True),  # nothing answered: not scorable
    (psfs(None, None), None, 0, True),
])
def test_psfs_worked_examples(answers, value, answered, partial):
    result = score(PSFS, answers)
    if value is None:
        assert result.value is None
    else:
        assert result.value == pytest.approx(value)
    assert (result.answered, result.total, result.partial) == (answered, 5, partial)


@pytest.mark.parametrize(("answer", "value"), [
    (3, 3.0),  # best: very much better
    (-3, -3.0),  # worst: very much worse
    (0, 0.0),  # middle: about the same
    (1, 1.0),
])
def test_groc_worked_examples(answer, value):
    result = score(GROC, {"change": answer})
    assert (result.value, result.answered, result.partial) == (value, 1, False)


def test_groc_unanswered_is_not_scorable():
    assert score(GROC, {}) == Score("groc", None, 0, 1)
    assert [o.label for o in GROC.items[0].response.options][0] == "Very much worse"


@pytest.mark.parametrize(("answers", "value", "partial"), [
    (fake(False, False, False, False), 0.0, False),  # all best (higher is worse)
    (fake(True, True, True, True), 4.0, False),  # all worst
    (fake(True, False, True, False), 2.0, False),  # middle
    (fake(True, True, None, None), None, True),  # partial: a sum needs every item
])
def test_a_definition_file_index_worked_examples(answers, value, partial):
    result = score(FAKE, answers)
    assert (result.value, result.partial) == (value, partial)


# --------------------------------------------------------------------------- invalid answers

@pytest.mark.parametrize(("instrument", "answers"), [
    (PSFS, psfs(11)),
    (PSFS, psfs(-1)),
    (PSFS, psfs(5.5)),
    (PSFS, psfs(True)),  # a bool is not a rating
    (PSFS, psfs("7")),
    (GROC, {"change": 4}),
    (GROC, {"change": "much better"}),
    (FAKE, fake(1, 0, 0, 0)),  # yes/no is true/false, not 1/0
    (FAKE, fake("yes")),
])
def test_answers_outside_an_item_are_refused(instrument, answers):
    with pytest.raises(InstrumentError) as exc:
        score(instrument, answers)
    assert exc.value.code == "answer_value"


def test_unknown_items_and_non_mappings_are_refused():
    with pytest.raises(InstrumentError) as exc:
        score(PSFS, {"activity_6": 3})
    assert exc.value.code == "unknown_items" and "activity_6" in str(exc.value)
    with pytest.raises(InstrumentError) as exc:
        score(PSFS, [3, 4])
    assert exc.value.code == "not_object"


def test_change_refuses_scores_of_another_instrument():
    with pytest.raises(InstrumentError) as exc:
        change(PSFS, score(GROC, {"change": 1}), score(PSFS, psfs(3)))
    assert exc.value.code == "other_instrument"


# --------------------------------------------------------------------------- change

def test_change_worked_examples():
    first, better = score(PSFS, psfs(3, 4)), score(PSFS, psfs(5, 6))
    c = change(PSFS, first, better)
    assert (c.difference, c.meaningful, c.worse_meaningful) == (2.0, True, False)
    small = change(PSFS, first, score(PSFS, psfs(4, 4)))
    assert (small.difference, small.meaningful) == (0.5, False)
    worse = change(PSFS, better, first)
    assert (worse.difference, worse.meaningful, worse.worse_meaningful) == (-2.0, False, True)
    # higher is worse: fewer statements ticked is better
    index = change(FAKE, score(FAKE, fake(True, True, True, False)),
                   score(FAKE, fake(True, False, False, False)))
    assert (index.difference, index.meaningful) == (2.0, True)
    # not scorable, or no MCID: nothing meaningful
    assert change(PSFS, score(PSFS, {}), better).difference is None
    groc = change(GROC, score(GROC, {"change": -3}), score(GROC, {"change": 3}))
    assert (groc.difference, groc.meaningful, groc.worse_meaningful) == (6.0, False, False)


# --------------------------------------------------------------------------- from_dict errors

def mutated(path: tuple[Any, ...], value: Any = None, *, delete: bool = False) -> dict:
    data = copy.deepcopy(fake_definition())
    target = data
    for part in path[:-1]:
        target = target[part]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(("data", "code", "where"), [
    ([], "not_object", ""),
    (mutated(("colour",), "red"), "unknown_fields", ""),
    (mutated(("licence",), delete=True), "missing_fields", ""),
    (mutated(("id",), "Fake Index"), "identifier", ""),
    (mutated(("name",), "  "), "text_required", ""),
    (mutated(("name",), "a\x00b"), "text_control", ""),
    (mutated(("higher_is_better",), "no"), "true_or_false", ""),
    (mutated(("items",), {}), "not_list", ""),
    (mutated(("items",), []), "item_count", ""),
    (mutated(("items", 1, "key"), "s1"), "duplicate_keys", ""),
    (mutated(("items", 2, "response", "kind"), "slider"), "one_of", "items[2].response"),
    (mutated(("items", 0, "response"), {"kind": "scale", "min": 5, "max": 5}),
     "scale_order", "items[0].response"),
    (mutated(("items", 0, "response"), {"kind": "scale", "min": 0}),
     "missing_fields", "items[0].response"),
    (mutated(("items", 0, "response"), {"kind": "choice", "options": [
        {"value": 1, "label": "a"}]}), "option_count", "items[0].response"),
    (mutated(("items", 0, "response"), {"kind": "choice", "options": [
        {"value": 1, "label": "a"}, {"value": 1, "label": "b"}]}),
     "duplicate_values", "items[0].response"),
    (mutated(("items", 0, "response"), {"kind": "choice", "options": [
        {"value": 1, "label": "a"}, {"value": True, "label": "b"}]}),
     "whole_number", "items[0].response.options[1]"),
    (mutated(("items", 0, "response"), {"kind": "yes_no", "min": 0}),
     "unknown_fields", "items[0].response"),
    (mutated(("scoring", "method"), "median"), "one_of", "scoring"),
    (mutated(("scoring", "method"), "single"), "single_item", "scoring"),
    (mutated(("scoring", "min_answered"), 2), "min_answered", "scoring"),  # a partial sum
    (mutated(("items", 0, "response"), {"kind": "scale", "min": 0, "max": 10}) | {
        "scoring": {"method": "mean"}}, "mixed_ranges", "scoring"),
    (mutated(("range",), [0, 5]), "range_mismatch", ""),
    (mutated(("range",), [False, 4]), "range_mismatch", ""),
    (mutated(("mcid", "value"), 0), "number", "mcid"),
    (mutated(("mcid", "value"), 4), "mcid_too_big", "mcid"),
    (mutated(("mcid", "source"), ""), "text_required", "mcid"),
])
def test_from_dict_names_what_is_wrong(data, code, where):
    with pytest.raises(InstrumentError) as exc:
        Instrument.from_dict(data)
    assert exc.value.code == code
    assert ".".join(exc.value.path) == where


def test_a_definition_file_round_trips_from_json():
    assert FAKE.method == "sum" and (FAKE.low, FAKE.high) == (0, 4)
    assert FAKE.higher_is_better is False and FAKE.min_answered == 4
    assert Instrument.from_dict(mutated(("mcid",), None)).mcid is None


# --------------------------------------------------------------------------- properties

rating = st.one_of(st.none(), st.integers(0, 10))
psfs_answers = st.lists(rating, min_size=0, max_size=5).map(lambda r: psfs(*r))
fake_answers = st.lists(st.booleans(), min_size=4, max_size=4).map(lambda t: fake(*t))
groc_answers = st.integers(-3, 3).map(lambda v: {"change": v})
cases = st.one_of(
    st.tuples(st.just(PSFS), psfs_answers, psfs_answers),
    st.tuples(st.just(FAKE), fake_answers, fake_answers),
    st.tuples(st.just(GROC), groc_answers, groc_answers),
)


@given(cases)
def test_scores_lie_within_the_range(case):
    instrument, answers, _ = case
    result = score(instrument, answers)
    assert result.value is None or instrument.low <= result.value <= instrument.high
    assert (result.value is None) == (result.answered < instrument.min_answered)


@given(cases)
def test_change_is_antisymmetric(case):
    instrument, a, b = case
    forth = change(instrument, score(instrument, a), score(instrument, b))
    back = change(instrument, score(instrument, b), score(instrument, a))
    if forth.difference is None:
        assert back.difference is None
    else:
        assert forth.difference == pytest.approx(-back.difference)
    assert (forth.meaningful, forth.worse_meaningful) == (back.worse_meaningful,
                                                          back.meaningful)


@given(cases)
def test_meaningful_iff_the_mcid_is_reached_in_the_good_direction(case):
    instrument, a, b = case
    first, latest = score(instrument, a), score(instrument, b)
    result = change(instrument, first, latest)
    if result.difference is None or instrument.mcid is None:
        assert not result.meaningful and not result.worse_meaningful
        return
    raw = latest.value - first.value
    good = raw if instrument.higher_is_better else -raw
    assert result.difference == pytest.approx(good)
    assert result.meaningful == (good >= instrument.mcid.value - 1e-9)
    assert result.worse_meaningful == (-good >= instrument.mcid.value - 1e-9)
    assert not (result.meaningful and result.worse_meaningful)
