import pytest

from tracker import library, safety
from tracker.safety import CheckInFacts, assess, should_ask_red_flags

RED_FLAG_KEYS = [flag["key"] for flag in library.RED_FLAGS]
CONTRAINDICATION_KEYS = [item["key"] for item in library.CONTRAINDICATIONS]


def test_labels_cover_exactly_the_library_keys_in_order():
    assert list(safety.RED_FLAG_LABELS) == RED_FLAG_KEYS
    assert list(safety.CONTRAINDICATION_LABELS) == CONTRAINDICATION_KEYS


@pytest.mark.parametrize(
    "answers",
    [{}, {k: False for k in RED_FLAG_KEYS}, {"fever": False}],
)
def test_no_yes_no_contraindication_means_nothing_to_do(answers):
    result = assess(answers, [])
    assert not result.urgent and not result.pause_self_care and not result.pause_sessions
    assert result.red_flags == result.contraindications == result.messages == ()
    assert result.self_care_reason == result.sessions_reason == ""


@pytest.mark.parametrize("key", RED_FLAG_KEYS)
def test_any_red_flag_yes_is_urgent_and_pauses_self_care_only(key):
    answers = {k: k == key for k in RED_FLAG_KEYS}
    result = assess(answers, [])
    assert result.urgent and result.pause_self_care and not result.pause_sessions
    assert result.red_flags == (key,)
    assert result.urgent_text == library.paragraphs(library.URGENT_CARE_TEXT)
    assert result.messages == result.urgent_text
    assert safety.RED_FLAG_LABELS[key] in result.self_care_reason
    assert result.red_flag_labels == (safety.RED_FLAG_LABELS[key],)


@pytest.mark.parametrize("key", CONTRAINDICATION_KEYS)
def test_a_contraindication_pauses_sessions_with_its_advice(key):
    result = assess({}, [key])
    assert result.pause_sessions and not result.pause_self_care and not result.urgent
    assert result.contraindications == (key,)
    advice = next(i["advice"] for i in library.CONTRAINDICATIONS if i["key"] == key)
    assert [a.text for a in result.advice] == [advice]
    assert result.messages == (advice, library.CONTRAINDICATION_FOLLOW_UP)
    assert result.sessions_reason.startswith("In the treated area: ")


def test_keys_come_back_in_library_order_without_duplicates():
    result = assess(
        {"trauma": True, "bladder_bowel": True}, ["fracture", "severe_pain", "fracture"]
    )
    assert result.red_flags == ("bladder_bowel", "trauma")
    assert result.contraindications == ("severe_pain", "fracture")
    assert result.pause_self_care and result.pause_sessions


def test_reasons_fit_the_database_column():
    result = assess({k: True for k in RED_FLAG_KEYS}, CONTRAINDICATION_KEYS)
    assert 0 < len(result.self_care_reason) <= safety.REASON_MAX
    assert 0 < len(result.sessions_reason) <= safety.REASON_MAX


@pytest.mark.parametrize(
    "answers, contraindications",
    [
        ({"headache": True}, []),
        ({"fever": "yes"}, []),
        ({"fever": 1}, []),
        ({}, ["bruise"]),
        ({}, ["Swelling"]),
    ],
)
def test_unknown_keys_and_non_boolean_answers_are_rejected(answers, contraindications):
    with pytest.raises(ValueError):
        assess(answers, contraindications)


NONE = CheckInFacts(numbness=False, weakness=False)
NUMB = CheckInFacts(numbness=True, weakness=False)
WEAK = CheckInFacts(numbness=False, weakness=True)
BOTH = CheckInFacts(numbness=True, weakness=True)


@pytest.mark.parametrize(
    "previous, numbness, weakness, ask",
    [
        (None, False, False, True),  # the first check-in ever
        (None, True, True, True),
        (NONE, False, False, False),
        (NONE, True, False, True),  # numbness is new
        (NONE, False, True, True),  # weakness is new
        (NUMB, True, False, False),  # numbness carried over
        (NUMB, False, False, False),  # getting better
        (NUMB, False, True, True),
        (WEAK, False, True, False),
        (WEAK, True, True, True),
        (BOTH, True, True, False),
    ],
)
def test_should_ask_red_flags(previous, numbness, weakness, ask):
    assert should_ask_red_flags(previous, numbness, weakness) is ask
