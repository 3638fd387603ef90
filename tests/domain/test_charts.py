"""Tests for the SVG charts: well-formed, accessible, CSP-safe, and true to the data."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from tracker.domain.charts import adherence_chart, date_ticks, pain_chart, pain_table
from tracker.domain.progress import PainPoint, WeekAdherence

SVG = "{http://www.w3.org/2000/svg}"
FIRST = date(2024, 10, 1)
LAST = FIRST + timedelta(days=27)


def points(*legs: int, every: int = 2) -> list[PainPoint]:
    return [PainPoint(FIRST + timedelta(days=i * every), max(0, leg - 2), leg)
            for i, leg in enumerate(legs)]


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))  # raises unless well-formed XML


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def dots(root: ET.Element) -> list[ET.Element]:
    [group] = by_class(root, "pain-dots")
    return group.findall(f"{SVG}circle")


def grid_y(root: ET.Element) -> list[float]:
    """The y of the gridlines, pain 0 first."""
    [grid] = by_class(root, "chart-grid")
    return [float(line.get("y1")) for line in grid.findall(f"{SVG}line")]


def band(root: ET.Element) -> tuple[float, float]:
    [rect] = by_class(root, "pain-band")
    top = float(rect.get("y"))
    return top, top + float(rect.get("height"))


CHARTS = [
    pain_chart(points(8, 7, 7, 6, 5), FIRST, LAST, 7.5),
    pain_chart(points(3), FIRST, FIRST, None),
    pain_chart([], FIRST, LAST, None),
    adherence_chart([WeekAdherence(date(2024, 9, 30), 10, 7, 1, 7 / 9),
                     WeekAdherence(date(2024, 10, 7), 3, 0, 3, None)]),
    adherence_chart([]),
]


@pytest.mark.parametrize("chart", CHARTS)
def test_charts_are_accessible_images(chart):
    root = parse(chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 ")
    title_id, desc_id = root.get("aria-labelledby").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text and desc.text


@pytest.mark.parametrize("chart", CHARTS)
def test_charts_pass_a_strict_content_security_policy(chart):
    root = parse(chart)
    for element in root.iter():
        assert "style" not in element.attrib
        assert element.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject")
        assert not any(name.startswith("on") for name in element.attrib)
    assert "<style" not in chart and "<script" not in chart


@pytest.mark.parametrize("chart", CHARTS)
def test_coordinates_have_at_most_one_decimal(chart):
    coordinates = ("x", "y", "cx", "cy", "x1", "y1", "x2", "y2", "width", "height", "d")
    for element in parse(chart).iter():
        for name in coordinates:
            assert not re.search(r"\d\.\d\d", element.get(name, "")), element.attrib


def test_pain_chart_describes_the_data():
    root = parse(pain_chart(points(8, 7, 6), FIRST, LAST, 7.5))
    assert root.find(f"{SVG}title").text == "Leg and back pain, 1 Oct 2024 to 28 Oct 2024"
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("3 check-ins. Latest, 5 Oct: leg pain 6, back pain 4")
    assert "first week averaged 7.5" in desc
    assert "No starting level yet" in parse(
        pain_chart(points(8), FIRST, LAST, None)).find(f"{SVG}desc").text


def test_pain_chart_has_a_dot_per_check_in_in_range():
    data = points(8, 7, 7, 6, 5, 5, 4)
    outside = [PainPoint(FIRST - timedelta(days=1), 1, 1),
               PainPoint(LAST + timedelta(days=1), 1, 1)]
    root = parse(pain_chart(data + outside, FIRST, LAST, None))
    assert len(dots(root)) == len(data)
    assert dots(root)[0].find(f"{SVG}title").text == "1 Oct: leg pain 8, back pain 6"


def test_leg_and_back_lines_differ_without_colour():
    root = parse(pain_chart(points(8, 7, 6), FIRST, LAST, None))
    [leg], [back] = by_class(root, "pain-leg"), by_class(root, "pain-back")
    assert leg.get("stroke-dasharray") is None and back.get("stroke-dasharray")
    assert float(leg.get("stroke-width")) > float(back.get("stroke-width"))
    assert leg.get("d").count("L") == back.get("d").count("L") == 2


def test_pain_chart_axis_and_legend():
    root = parse(pain_chart(points(*range(10, 0, -1)), FIRST, LAST, 6))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert [t for t in texts if t.isdigit()] == ["0", "2", "4", "6", "8", "10"]
    assert len(grid_y(root)) == 6 and grid_y(root) == sorted(grid_y(root), reverse=True)
    assert {"Leg pain", "Back pain", "start", "start \u00b12"} <= set(texts)
    [dates] = [g for g in by_class(root, "chart-axis") if "28 Oct" in
               [t.text for t in g.iter(f"{SVG}text")]]
    labels = [t.text for t in dates.iter(f"{SVG}text")]
    assert labels == ["7 Oct", "14 Oct", "21 Oct", "28 Oct"]  # weekly, the latest labelled
    xs = [float(t.get("x")) for t in dates.iter(f"{SVG}text")]
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 0.2  # evenly spaced (coordinates have one decimal)


def test_band_spans_two_points_around_the_baseline():
    root = parse(pain_chart(points(6), FIRST, LAST, 5))
    zero, *_, ten = grid_y(root)
    per_point = (zero - ten) / 10
    top, bottom = band(root)
    assert top == pytest.approx(zero - 7 * per_point, abs=0.1)
    assert bottom == pytest.approx(zero - 3 * per_point, abs=0.1)
    [line] = by_class(root, "pain-baseline")
    assert float(line.get("y1")) == pytest.approx(zero - 5 * per_point, abs=0.1)


@pytest.mark.parametrize(("baseline", "top", "bottom"), [(9.5, 10, 7.5), (0.5, 2.5, 0)])
def test_band_is_clamped_to_the_scale(baseline, top, bottom):
    root = parse(pain_chart(points(6), FIRST, LAST, baseline))
    zero, *_, ten = grid_y(root)
    per_point = (zero - ten) / 10
    assert band(root) == pytest.approx((zero - top * per_point, zero - bottom * per_point),
                                       abs=0.1)


def test_no_band_or_start_line_without_a_baseline():
    root = parse(pain_chart(points(6, 5), FIRST, LAST, None))
    assert not by_class(root, "pain-band") and not by_class(root, "pain-baseline")


def test_a_single_day_chart_centres_its_dot():
    root = parse(pain_chart(points(4), FIRST, FIRST, 4))
    [dot] = dots(root)
    assert 0 < float(dot.get("cx")) < float(root.get("viewBox").split()[2])


@pytest.mark.parametrize("data", [[], [PainPoint(LAST + timedelta(days=1), 3, 3)]])
def test_pain_chart_empty_state(data):
    root = parse(pain_chart(data, FIRST, LAST, 5, id_prefix="empty"))
    assert root.get("aria-labelledby") == "empty-title empty-desc"
    assert [t.text for t in root.iter(f"{SVG}text")] == ["No check-ins yet"]
    assert not by_class(root, "pain-dots")


def test_ids_come_from_the_prefix_and_do_not_clash():
    one = parse(pain_chart(points(5), FIRST, LAST, None, id_prefix="pain-1"))
    two = parse(pain_chart(points(5), FIRST, LAST, None, id_prefix="pain-2"))
    ids = [{e.get("id") for e in root.iter() if e.get("id")} for root in (one, two)]
    assert ids[0] == {"pain-1-title", "pain-1-desc"}
    assert not ids[0] & ids[1]


@pytest.mark.parametrize("prefix", ['"><script>alert(1)</script>', "Pain", "", "a b", "-x",
                                    "x" * 41, "caf\u00e9"])
def test_a_bad_id_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="id_prefix"):
        pain_chart(points(5), FIRST, LAST, None, id_prefix=prefix)
    with pytest.raises(ValueError, match="id_prefix"):
        adherence_chart([], id_prefix=prefix)


def test_markup_is_not_escaped_twice():
    chart = pain_chart(points(5), FIRST, LAST, 5)
    assert escape(chart) == chart
    assert "&amp;" not in chart and "\u00b1" in chart


# --------------------------------------------------------------------------- table

def test_pain_table_is_newest_first_with_headers():
    table = ET.fromstring(str(pain_table(points(8, 7, 6))))
    assert table.tag == "table" and table.find("caption").text.startswith("Pain check-ins")
    headers = table.findall("thead/tr/th")
    assert [(h.text, h.get("scope")) for h in headers] == [
        ("Date", "col"), ("Leg pain", "col"), ("Back pain", "col")]
    rows = table.findall("tbody/tr")
    assert [(r.find("th").text, [td.text for td in r.findall("td")]) for r in rows] == [
        ("5 Oct 2024", ["6", "4"]), ("3 Oct 2024", ["7", "5"]), ("1 Oct 2024", ["8", "6"])]
    assert all(r.find("th").get("scope") == "row" for r in rows)


def test_pain_table_empty_state():
    assert pain_table([]) == Markup('<p class="pain-table-empty">No check-ins yet.</p>')


# --------------------------------------------------------------------------- adherence

def week(n: int, due: int, done: int, skipped: int = 0) -> WeekAdherence:
    counted = due - skipped
    return WeekAdherence(date(2024, 9, 30) + timedelta(weeks=n), due, done, skipped,
                         done / counted if counted else None)


def test_adherence_chart_bars_and_labels():
    root = parse(adherence_chart([week(0, 10, 5), week(1, 4, 0, 4), week(2, 5, 5),
                                  week(3, 3, 2)]))
    bars = by_class(root, "adherence-bars")[0].findall(f"{SVG}rect")
    assert len(bars) == 3  # no bar for the week with nothing counted
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(heights[1] / 2, abs=0.1)
    assert bars[2].find(f"{SVG}title").text == "Week of 21 Oct: 2 of 3 done (67%)"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["50%", "30 Sep", "\u2014", "7 Oct", "100%", "14 Oct", "67%", "21 Oct"]
    assert root.find(f"{SVG}title").text == "Items done each week, 30 Sep 2024 to 21 Oct 2024"
    desc = root.find(f"{SVG}desc").text
    assert desc == ("4 weeks. Week of 21 Oct: 2 of 3 done (67%). Overall 12 of 18 done (67%). "
                    "Skipped items are not counted.")


def test_adherence_chart_thins_labels_but_keeps_the_latest_week():
    weeks = [week(n, 7, n % 8) for n in range(26)]
    root = parse(adherence_chart(weeks))
    assert len(by_class(root, "adherence-bars")[0].findall(f"{SVG}rect")) == 26
    dates = [t.text for t in root.iter(f"{SVG}text") if not t.text.endswith("%")]
    assert 3 <= len(dates) < 13 and dates[-1] == "24 Mar"


def test_adherence_chart_of_a_week_with_nothing_counted():
    desc = parse(adherence_chart([week(0, 0, 0)])).find(f"{SVG}desc").text
    assert desc == "1 week. Week of 30 Sep: nothing to do or all skipped. " \
                   "Skipped items are not counted."


def test_adherence_chart_empty_state():
    root = parse(adherence_chart([], id_prefix="weeks"))
    assert root.get("aria-labelledby") == "weeks-title weeks-desc"
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Nothing scheduled yet"]


def test_a_single_reading_is_drawn_for_both_leg_and_back_pain():
    """One check-in makes a path of one point, which draws nothing: the leg's dot and the
    back's square mark the reading."""
    for first, last in ((FIRST, LAST), (FIRST, FIRST)):
        root = parse(pain_chart([PainPoint(FIRST, 5, 7)], first, last, None))
        [dot] = dots(root)
        [marks] = by_class(root, "pain-back-marks")
        [square] = marks.findall(f"{SVG}rect")
        assert float(square.get("y")) + 3 == pytest.approx(196 - 0.5 * (196 - 34), abs=0.1)
        assert float(square.get("x")) + 3 == pytest.approx(float(dot.get("cx")), abs=0.1)


def test_every_back_pain_reading_has_a_mark():
    root = parse(pain_chart(points(8, 7, 6), FIRST, LAST, None))
    [marks] = by_class(root, "pain-back-marks")
    assert len(marks.findall(f"{SVG}rect")) == 3


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 3000))
def test_date_ticks_are_evenly_spaced_and_end_on_the_latest_day(first, span):
    last = first + timedelta(days=span)
    ticks = date_ticks(first, last)
    assert ticks[-1] == last and first <= ticks[0] and ticks == sorted(ticks)
    assert 1 <= len(ticks) <= 5 and (len(ticks) >= 2) == (span >= 1)
    steps = {(b - a).days for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) <= 1  # one interval
    if span > 8:  # beyond 8 days (five ticks two days apart)
        assert steps.pop() % 7 == 0  # whole weeks: the labels fall on one weekday


@pytest.mark.parametrize(("span", "expected"), [
    (0, [0]), (1, [0, 1]), (4, [0, 1, 2, 3, 4]), (6, [0, 2, 4, 6]), (13, [6, 13]),
    (27, [6, 13, 20, 27]), (55, [13, 27, 41, 55]),
])
def test_date_ticks_examples(span, expected):
    assert date_ticks(FIRST, FIRST + timedelta(days=span)) == [
        FIRST + timedelta(days=d) for d in expected]


def test_nine_days_are_labelled_a_week_apart():
    """Found by the property above: nine days fit five ticks two days apart, but then the
    labels wander over the weekdays; beyond eight days they are whole weeks apart."""
    assert date_ticks(FIRST, FIRST + timedelta(days=9)) == [FIRST + timedelta(days=2),
                                                            FIRST + timedelta(days=9)]
