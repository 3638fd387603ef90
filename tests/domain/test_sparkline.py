"""The roster's leg-pain sparkline: an SVG line with its words, safe under a strict CSP."""
import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import sparkline

LAST = date(2026, 3, 18)
FIRST = LAST - timedelta(days=13)


def day(n: int) -> date:
    return FIRST + timedelta(days=n)


def test_no_readings_no_line():
    assert sparkline.sparkline([], FIRST, LAST) == ""
    assert sparkline.sparkline([(FIRST - timedelta(days=1), 5)], FIRST, LAST) == ""


def test_a_line_across_the_days_and_up_the_pain():
    svg = str(sparkline.sparkline([(day(13), 2), (day(0), 10), (day(6), 6)], FIRST, LAST))
    # sorted by day: the first day at the left edge, 10 at the top, today at the right
    assert 'points="2,2 29.7,8.4 62,14.8"' in svg
    assert '<circle cx="62" cy="14.8" r="2"' in svg
    assert 'role="img" aria-label="Leg pain, last 14 days: 10, 6, 2 (from 10 to 2)"' in svg
    assert "<title>Leg pain, last 14 days: 10, 6, 2 (from 10 to 2)</title>" in svg
    assert 'width="64" height="20"' in svg


def test_nothing_in_it_needs_an_inline_style_or_script():
    svg = str(sparkline.sparkline([(day(1), 3), (day(2), 4)], FIRST, LAST))
    assert "style" not in svg and "<script" not in svg and "on" not in re.findall(r" (\w+)=", svg)


@pytest.mark.parametrize(("points", "words"), [
    ([], "No leg pain logged in the last 14 days"),
    ([(day(3), 4)], "Leg pain, last 14 days: 4"),
    ([(day(3), 4), (day(4), 4)], "Leg pain, last 14 days: 4, 4 (no change)"),
    ([(day(3), 2), (day(4), 7)], "Leg pain, last 14 days: 2, 7 (from 2 to 7)"),
])
def test_the_trend_in_words(points, words):
    assert sparkline.describe(points, 14) == words


def test_a_single_day_span_still_draws():
    svg = str(sparkline.sparkline([(LAST, 5)], LAST, LAST))
    assert 'points="2,10"' in svg


@given(st.dictionaries(st.integers(0, 13), st.integers(0, 10), min_size=1))
@settings(max_examples=100, deadline=None)
def test_every_point_is_inside_the_box(readings):
    svg = str(sparkline.sparkline([(day(d), v) for d, v in readings.items()], FIRST, LAST))
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert len(points) == len(readings)
    for point in points:
        x, y = (float(v) for v in point.split(","))
        assert 0 <= x <= sparkline.WIDTH and 0 <= y <= sparkline.HEIGHT
