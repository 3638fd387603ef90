"""Warning signs and treated-area problems: what the answers mean, what is paused, when
to ask again."""
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import clinical, library, safety
from tracker.domain.safety import (
    Advice,
    Assessment,
    CheckInFacts,
    assess,
    paused_self_care,
    should_ask,
    sore_after_session,
)

RED_FLAG_KEYS = [flag["key"] for flag in library.RED_FLAGS]
PROBLEM_KEYS = [item["key"] for item in library.CONTRAINDICATIONS]
EMERGENCIES = ["bladder_bowel", "saddle_numbness", "both_legs", "worsening_weakness"]
SAME_DAY = ["fever", "trauma"]
TODAY = date(2026, 3, 18)


# --------------------------------------------------------------------------- the keys

def test_the_red_flags_are_the_six_warning_signs():
    assert RED_FLAG_KEYS == EMERGENCIES + SAME_DAY


def test_every_red_flag_key_agrees_across_modules():
    # library.RED_FLAGS, clinical.RED_FLAG_URGENCY and safety.RED_FLAG_LABELS: same keys,
    # same order (this replaced an assert at import time)
    assert RED_FLAG_KEYS == list(clinical.RED_FLAG_URGENCY) == list(safety.RED_FLAG_LABELS)


def test_every_problem_key_agrees_across_modules():
    assert tuple(PROBLEM_KEYS) == clinical.TREATED_AREA_PROBLEMS
    assert list(safety.CONTRAINDICATION_LABELS) == PROBLEM_KEYS


@pytest.mark.parametrize("key", RED_FLAG_KEYS)
def test_every_red_flag_has_an_urgency_and_a_label(key):
    assert clinical.RED_FLAG_URGENCY[key] in (clinical.EMERGENCY, clinical.SAME_DAY)
    assert safety.RED_FLAG_LABELS[key].strip()
    assert safety.RED_FLAG_LABELS[key][0].islower()  # read inside a sentence


@pytest.mark.parametrize(("key", "urgency"), [
    *((key, clinical.EMERGENCY) for key in EMERGENCIES),
    *((key, clinical.SAME_DAY) for key in SAME_DAY),
])
def test_cauda_equina_signs_are_emergencies_fever_and_trauma_same_day(key, urgency):
    assert clinical.RED_FLAG_URGENCY[key] == urgency
    assert assess({key: True}).urgency == urgency


# --------------------------------------------------------------------------- assess

@pytest.mark.parametrize(
    "answers",
    [{}, {k: False for k in RED_FLAG_KEYS}, {"fever": False}],
)
def test_all_no_means_nothing_to_do(answers):
    result = assess(answers, [])
    assert result == Assessment()
    assert not result.urgent and not result.reported
    assert result.red_flags == result.problems == result.areas == ()
    assert result.urgency is None
    assert result.urgent_text == result.advice == result.red_flag_labels == ()
    assert result.warning_reason == result.area_reason == ""


@pytest.mark.parametrize("key", RED_FLAG_KEYS)
def test_any_red_flag_yes_is_urgent(key):
    answers = {k: k == key for k in RED_FLAG_KEYS}
    result = assess(answers, [])
    assert result.urgent and result.reported
    assert result.red_flags == (key,) and result.problems == ()
    text = (library.EMERGENCY_TEXT if key in EMERGENCIES else library.SAME_DAY_TEXT)
    assert result.urgent_text == library.paragraphs(text)
    assert result.red_flag_labels == (safety.RED_FLAG_LABELS[key],)
    assert result.warning_reason == f"Warning sign reported: {safety.RED_FLAG_LABELS[key]}."
    assert result.area_reason == "" and result.advice == ()


def test_an_emergency_outranks_a_same_day_sign():
    result = assess({"fever": True, "trauma": True})
    assert result.urgency == clinical.SAME_DAY
    assert result.urgent_text == library.paragraphs(library.SAME_DAY_TEXT)
    result = assess({"fever": True, "both_legs": True})
    assert result.urgency == clinical.EMERGENCY
    assert result.urgent_text == library.paragraphs(library.EMERGENCY_TEXT)
    assert result.warning_reason == ("Warning sign reported: symptoms in both legs; "
                                     "a fever or feeling unwell with back pain.")


@pytest.mark.parametrize("key", PROBLEM_KEYS)
def test_a_problem_in_the_treated_area_is_reported_with_its_advice(key):
    result = assess({}, [key])
    assert result.reported and not result.urgent and result.urgency is None
    assert result.problems == (key,) and result.red_flags == ()
    assert result.urgent_text == ()
    advice = next(i["advice"] for i in library.CONTRAINDICATIONS if i["key"] == key)
    assert result.advice == (Advice(key, safety.CONTRAINDICATION_LABELS[key], advice),)
    label = safety.CONTRAINDICATION_LABELS[key].lower()
    assert result.area_reason == f"In the treated area (area not said): {label}."
    assert result.warning_reason == ""


def test_areas_come_back_in_body_order_and_name_the_reason():
    result = assess({}, ["swelling"], ["thighs", "lower_back", "thighs"])
    assert result.areas == ("lower_back", "thighs")
    assert result.area_labels == ("Lower back", "Thighs (back of the leg)")
    assert result.area_reason == (
        "In the treated area (lower back, thighs (back of the leg)): swelling.")


@pytest.mark.parametrize("areas", [["lower_back"], list(clinical.BODY_AREAS)])
def test_areas_are_dropped_without_a_problem(areas):
    assert assess({}, [], areas).areas == ()
    assert assess({"fever": True}, [], areas) == Assessment(red_flags=("fever",))


def test_keys_come_back_in_library_order_without_duplicates():
    result = assess(
        {"trauma": True, "bladder_bowel": True}, ["fracture", "severe_pain", "fracture"]
    )
    assert result.red_flags == ("bladder_bowel", "trauma")
    assert result.problems == ("severe_pain", "fracture")
    assert result.urgent and result.reported


def test_reasons_fit_the_database_column():
    result = assess({k: True for k in RED_FLAG_KEYS}, PROBLEM_KEYS, clinical.BODY_AREAS)
    assert len(result.warning_reason) == len(result.area_reason) == safety.REASON_MAX
    assert result.warning_reason.endswith("…") and result.area_reason.endswith("…")
    assert result.warning_reason.startswith("Warning sign reported: new loss of bladder")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(RED_FLAG_KEYS), st.booleans()),
       st.lists(st.sampled_from(PROBLEM_KEYS)),
       st.lists(st.sampled_from(clinical.BODY_AREAS)))
def test_assess_properties(answers, problems, areas):
    result = assess(answers, problems, areas)
    assert result.red_flags == tuple(k for k in RED_FLAG_KEYS if answers.get(k))
    assert set(result.problems) == set(problems)
    assert result.areas == (tuple(a for a in clinical.BODY_AREAS if a in areas)
                            if problems else ())
    assert result.urgent == any(answers.values())
    assert result.reported == (any(answers.values()) or bool(problems))
    assert len(result.warning_reason) <= safety.REASON_MAX
    assert len(result.area_reason) <= safety.REASON_MAX
    assert bool(result.warning_reason) == result.urgent
    assert bool(result.area_reason) == bool(problems)


@pytest.mark.parametrize(
    ("answers", "problems", "areas", "message"),
    [
        ({"headache": True}, [], [], r"unknown red flag\(s\): headache"),
        ({"red_flag": True, "bladder": False}, [], [], r"unknown red flag\(s\): bladder, red_flag"),
        ({"fever": "yes"}, [], [], "red flag answers must be True or False"),
        ({"fever": 1}, [], [], "red flag answers must be True or False"),
        ({"fever": None}, [], [], "red flag answers must be True or False"),
        ({}, ["bruise"], [], r"unknown contraindication\(s\): bruise"),
        ({}, ["Swelling"], [], r"unknown contraindication\(s\): Swelling"),
        ({}, ["swelling"], ["knee"], r"unknown body area\(s\): knee"),
        ({}, ["swelling"], ["Lower back"], r"unknown body area\(s\): Lower back"),
        ({}, [], ["neck"], r"unknown body area\(s\): neck"),  # even without a problem
    ],
)
def test_unknown_keys_and_non_boolean_answers_are_rejected(answers, problems, areas, message):
    with pytest.raises(ValueError, match=message):
        assess(answers, problems, areas)


# --------------------------------------------------------------------------- should_ask

NONE = CheckInFacts(numbness=False, weakness=False)
NUMB = CheckInFacts(numbness=True, weakness=False)
WEAK = CheckInFacts(numbness=False, weakness=True)
BOTH = CheckInFacts(numbness=True, weakness=True)
RECENT = TODAY - timedelta(days=1)


def _ask(previous, numbness=False, weakness=False, *, anything_new=False,
         questions_due=False, last_asked=RECENT):
    return should_ask(previous, numbness, weakness, anything_new=anything_new,
                      questions_due=questions_due, last_asked=last_asked, today=TODAY)


@pytest.mark.parametrize(
    "previous, numbness, weakness, ask",
    [
        (NONE, False, False, False),  # nothing new, nothing going on
        (NONE, True, False, True),  # numbness is new
        (NONE, False, True, True),  # weakness is new
        (NUMB, True, False, False),  # numbness carried over, asked yesterday
        (NUMB, False, False, False),  # getting better
        (NUMB, False, True, True),
        (WEAK, False, True, False),
        (WEAK, True, True, True),
        (BOTH, True, True, False),
        (BOTH, False, False, False),
    ],
)
def test_should_ask_when_nerve_symptoms_are_new(previous, numbness, weakness, ask):
    assert _ask(previous, numbness, weakness) is ask


def test_should_ask_at_the_first_check_in_ever():
    assert _ask(None, last_asked=None) is True
    assert _ask(None, True, True, last_asked=None) is True
    # no earlier check-in, but asked already (e.g. "Something's wrong"): not the first time
    assert _ask(None, last_asked=RECENT) is False
    assert _ask(None, True, False, last_asked=RECENT) is False


@pytest.mark.parametrize("previous", [None, NONE, BOTH])
def test_should_ask_when_the_client_says_something_is_new_or_questions_are_due(previous):
    assert _ask(previous, anything_new=True) is True
    assert _ask(previous, questions_due=True) is True
    assert _ask(previous) is False  # asked yesterday, nothing new


@pytest.mark.parametrize(("previous", "numbness", "weakness"), [
    (NUMB, True, False), (WEAK, False, True), (BOTH, True, True), (BOTH, True, False),
])
@pytest.mark.parametrize(("days_since", "ask"), [
    (0, False), (6, False), (7, True), (8, True), (60, True),
])
def test_ongoing_numbness_or_weakness_asks_again_weekly(previous, numbness, weakness,
                                                        days_since, ask):
    last_asked = TODAY - timedelta(days=days_since)
    assert _ask(previous, numbness, weakness, last_asked=last_asked) is ask


def test_ongoing_symptoms_never_asked_before_are_asked():
    assert _ask(NUMB, True, False, last_asked=None) is True


def test_nothing_going_on_is_not_asked_however_long_ago():
    assert _ask(NONE, last_asked=TODAY - timedelta(days=365)) is False
    assert _ask(NUMB, last_asked=None) is False  # numbness gone, never asked


@settings(max_examples=100, deadline=None)
@given(st.none() | st.builds(CheckInFacts, st.booleans(), st.booleans()),
       st.booleans(), st.booleans(), st.booleans(), st.booleans(),
       st.none() | st.integers(0, 30))
def test_should_ask_properties(previous, numbness, weakness, anything_new, questions_due,
                               days_since):
    last_asked = None if days_since is None else TODAY - timedelta(days=days_since)
    ask = should_ask(previous, numbness, weakness, anything_new=anything_new,
                     questions_due=questions_due, last_asked=last_asked, today=TODAY)
    assert isinstance(ask, bool)
    if anything_new or questions_due or (previous is None and last_asked is None):
        assert ask
    if not ask and (numbness or weakness):
        assert days_since is not None and days_since < clinical.RESCREEN_DAYS
    if not (numbness or weakness or anything_new or questions_due) and last_asked is not None:
        assert not ask


# --------------------------------------------------------------------------- paused_self_care

ACUTE_ITEMS = [
    (item["key"], item["technique"])
    for item in library.template("acute-therapist-led")["spec"]["phases"][1]["items"]
    if item["kind"] != "session"
]
SELF_CARE_KEYS = frozenset(key for key, _ in ACUTE_ITEMS)


@pytest.mark.parametrize(("areas", "paused"), [
    ((), SELF_CARE_KEYS),  # area not said: everything
    (clinical.BODY_AREAS, SELF_CARE_KEYS),
    (("upper_body",), frozenset()),  # nothing in the plan works there
    (("lower_legs",), frozenset()),
    (("thighs",), {"forward-bend", "foam-roller"}),
    (("glutes_hips",), SELF_CARE_KEYS - {"forward-bend"}),
    (("lower_back",), SELF_CARE_KEYS - {"piriformis"}),
    (("thighs", "upper_body"), {"forward-bend", "foam-roller"}),
])
def test_paused_self_care_by_area(areas, paused):
    assert paused_self_care(ACUTE_ITEMS, library.TECHNIQUE_AREAS, areas) == frozenset(paused)


def test_an_item_with_unknown_areas_is_paused_for_any_area():
    items = [("mine", "therapists-own-technique"), ("piriformis", "piriformis-stretch")]
    assert paused_self_care(items, library.TECHNIQUE_AREAS, ["upper_body"]) == {"mine"}
    assert paused_self_care(items, {"therapists-own-technique": ()}, ["thighs"]) == {
        "mine", "piriformis"}  # both unknown here
    assert paused_self_care([], library.TECHNIQUE_AREAS, ["thighs"]) == frozenset()


def test_disjoint_areas_pause_nothing():
    items = [("a", "x"), ("b", "y")]
    areas = {"x": ("thighs",), "y": ("lower_legs", "upper_body")}
    assert paused_self_care(items, areas, ["lower_back", "glutes_hips"]) == frozenset()
    assert paused_self_care(items, areas, ["lower_legs"]) == {"b"}
    assert paused_self_care(items, areas, []) == {"a", "b"}


# --------------------------------------------------------------------------- soreness

@pytest.mark.parametrize(("days_after", "side_effect"), [
    (0, True), (1, True), (3, True), (4, False), (30, False),
    (-1, False),  # the session came after the day: soreness cannot be its side effect
])
def test_soreness_within_3_days_after_a_session(days_after, side_effect):
    session = TODAY - timedelta(days=days_after)
    assert sore_after_session(True, session, TODAY) is side_effect


def test_no_soreness_or_no_session_is_no_side_effect():
    assert sore_after_session(False, TODAY, TODAY) is False
    assert sore_after_session(True, None, TODAY) is False
