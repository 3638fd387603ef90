"""The one time-of-day parser and the one free-text policy (pure)."""
from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.text import MULTILINE, control_characters, is_plain
from tracker.domain.times import format_time_of_day, parse_time_of_day


@pytest.mark.parametrize("text, expected", [
    ("00:00", time(0, 0)), ("08:05", time(8, 5)), ("23:59", time(23, 59)),
    ("07:30:00", time(7, 30)), ("", None), (None, None), (time(9, 15, 42), time(9, 15)),
])
def test_parse_time_of_day_accepts(text, expected):
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["8am", "24:00", "7:5", "07:60", " 07:30", "07:30:15", 730])
def test_parse_time_of_day_refuses(text):
    with pytest.raises(ValueError, match='a time of day must be "HH:MM"'):
        parse_time_of_day(text)


@given(st.times())
def test_format_then_parse_round_trips_to_the_minute(moment):
    assert parse_time_of_day(format_time_of_day(moment)) == moment.replace(second=0,
                                                                           microsecond=0)


def test_format_none_is_none():
    assert format_time_of_day(None) is None


@pytest.mark.parametrize("text, allow, found", [
    ("Left calf", "", []), ("a\x00b", "", ["\x00"]), ("line\nbreak", "", ["\n"]),
    ("line\r\nbreak\tand tab", MULTILINE, []), ("del\x7f", MULTILINE, ["\x7f"]),
    ("c1\x85", "", ["\x85"]), ("Ünïcödé ✓", "", []), (None, "", []),
])
def test_control_characters(text, allow, found):
    assert control_characters(text, allow) == found
    assert is_plain(text, allow) is (found == [])
