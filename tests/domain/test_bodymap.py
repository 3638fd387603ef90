"""The body map (issue 18): valid SVG, every area drawn, exactly the given areas marked and
named in words, ids kept apart by uid, nothing a strict CSP blocks, and small."""
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import bodymap, clinical

SVG = "{http://www.w3.org/2000/svg}"
ALL = clinical.BODY_AREAS
INPUTS = {area: f"areas-{i}" for i, area in enumerate(ALL)}


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def marked_areas(root: ET.Element) -> set[str]:
    found = set()
    for el in root.iter(f"{SVG}rect"):
        for cls in el.get("class", "").split():
            if cls.startswith("bodymap-mark--"):
                found.add(cls.removeprefix("bodymap-mark--"))
    return found


def test_a_valid_svg_image_that_takes_its_size_from_the_page():
    root = parse(bodymap.render(["lower_back"], uid="m"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {bodymap.WIDTH} {bodymap.HEIGHT}"
    assert root.get("width") is None and root.get("height") is None
    assert root.get("aria-labelledby") == "m-t m-d"
    assert root.find(f"{SVG}title").get("id") == "m-t"
    assert root.find(f"{SVG}title").text == "Where on the body it works"
    assert root.find(f"{SVG}desc").get("id") == "m-d"
    assert root.find(f"{SVG}desc").text == "Front and back of a body. Marked: Lower back."
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Front", "Back"]


def test_every_area_has_a_region_on_the_back_and_the_front_has_its_own():
    assert set(bodymap.REGIONS["back"]) == set(ALL)
    assert set(bodymap.REGIONS["front"]) == {"upper_body", "glutes_hips", "lower_legs"}
    root = parse(bodymap.render(ALL, uid="m"))
    assert marked_areas(root) == set(ALL)
    drawn = [el.get("class") for el in root.iter(f"{SVG}rect") if "bodymap-mark" in
             el.get("class", "")]
    assert len(drawn) == len(bodymap.REGIONS["back"]) + len(bodymap.REGIONS["front"])


def test_the_back_bands_run_from_the_neck_down_without_gaps_or_overlaps():
    bands = list(bodymap.REGIONS["back"].values())
    assert all(top < bottom for top, bottom in bands)
    assert all(a[1] == b[0] for a, b in zip(bands, bands[1:], strict=False))
    assert bands[-1][1] < bodymap.HEIGHT - 10  # room for "Front" and "Back" below the feet


@given(st.sets(st.sampled_from(ALL)))
@settings(max_examples=60, deadline=None)
def test_exactly_the_given_areas_are_marked_and_named(areas):
    root = parse(bodymap.render(areas, uid="m"))
    assert marked_areas(root) == areas
    desc = root.find(f"{SVG}desc").text
    if areas:
        named = [clinical.AREA_LABELS[a] for a in ALL if a in areas]
        assert desc == f"Front and back of a body. Marked: {', '.join(named)}."
    else:
        assert desc == "Front and back of a body. No area is marked."


def test_a_marked_area_is_hatched_on_each_view_it_shows_in():
    root = parse(bodymap.render(["glutes_hips"], uid="m"))
    marks = [el for el in root.iter(f"{SVG}rect") if "bodymap-mark" in el.get("class", "")]
    assert len(marks) == 2  # front and back
    assert {m.get("fill") for m in marks} == {"url(#m-h)"}
    assert {m.get("clip-path") for m in marks} == {"url(#m-c)"}
    assert {(m.get("y"), m.get("height")) for m in marks} == {("116", "34")}
    only_back = parse(bodymap.render(["lower_back"], uid="m"))
    assert len([el for el in only_back.iter(f"{SVG}rect")
                if "bodymap-mark" in el.get("class", "")]) == 1


def ids_and_references(markup: str) -> tuple[list[str], set[str]]:
    ids = re.findall(r' id="([^"]+)"', markup)
    refs = set(re.findall(r'url\(#([^)]+)\)', markup)) | set(re.findall(r'href="#([^"]+)"',
                                                                       markup))
    return ids, refs


@pytest.mark.parametrize("markup", [
    bodymap.render(ALL, uid="one"), bodymap.picker(INPUTS, uid="one")])
def test_every_id_is_prefixed_by_the_uid_and_every_reference_resolves(markup):
    ids, refs = ids_and_references(str(markup))
    assert ids and all(i.startswith("one-") for i in ids)
    assert len(ids) == len(set(ids))
    assert refs <= set(ids)


def test_two_maps_on_one_page_share_no_id():
    a, _ = ids_and_references(str(bodymap.render(ALL, uid="a")))
    b, _ = ids_and_references(str(bodymap.render(ALL, uid="b")))
    assert not set(a) & set(b)


@pytest.mark.parametrize("markup", [
    bodymap.render(ALL, uid="m"), bodymap.picker(INPUTS, uid="m")])
def test_nothing_a_strict_csp_blocks(markup):
    text = str(markup)
    assert "style" not in text and "<script" not in text
    assert not [a for a in re.findall(r" ([\w:-]+)=", text) if a.startswith("on")]


def test_small():
    assert len(str(bodymap.render(ALL, uid="howto-map")).encode()) < 4096
    assert len(str(bodymap.render([], uid="howto-map")).encode()) < 4096


@pytest.mark.parametrize(("areas", "uid", "message"), [
    (["knees"], "m", "unknown body areas: knees"),
    (["lower_back", "elbow"], "m", "unknown body areas: elbow"),
    ([], "1m", "uid must be a plain name"),
    ([], 'm"><script>', "uid must be a plain name"),
    ([], "", "uid must be a plain name"),
])
def test_bad_input_is_refused(areas, uid, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        bodymap.render(areas, uid=uid)


# --- the picker: the map as labels of the treated-area checkboxes ------------------------


def test_the_picker_labels_each_areas_checkbox_and_is_hidden_from_screen_readers():
    root = parse(bodymap.picker(INPUTS, uid="p"))
    assert root.tag == "div" and root.get("aria-hidden") == "true"
    labels = root.findall("label")
    assert [(lb.get("for"), lb.get("class")) for lb in labels] == [
        (INPUTS[a], f"bodymap-hit bodymap-hit--{a}") for a in ALL]
    # No words inside: the labels add nothing to a checkbox's accessible name.
    assert all("".join(lb.itertext()).strip() == "" for lb in labels)
    # Checked state comes from CSS: the hatch starts hidden.
    marks = [el for el in root.iter(f"{SVG}rect") if el.get("class") == "bodymap-mark"]
    assert marks and {m.get("visibility") for m in marks} == {"hidden"}


def test_each_areas_tap_targets_cover_its_bands_and_are_thumb_sized_at_360_px():
    root = parse(bodymap.picker(INPUTS, uid="p"))
    # At 360 px the map is about 300 px wide (the main column less its padding).
    px_per_unit = 300 / bodymap.WIDTH
    for label in root.findall("label"):
        area = label.get("for")
        area = next(a for a, i in INPUTS.items() if i == area)
        targets = [el for el in label.iter(f"{SVG}rect") if el.get("class") == "bodymap-target"]
        views = [v for v, _, _ in bodymap.VIEWS if area in bodymap.REGIONS[v]]
        assert len(targets) == len(views)
        for target, view in zip(targets, views, strict=True):
            top, bottom = bodymap.REGIONS[view][area]
            assert (int(target.get("y")), int(target.get("height"))) == (top, bottom - top)
            assert int(target.get("height")) * px_per_unit >= 48
            assert int(target.get("width")) * px_per_unit >= 48


def test_the_picker_only_offers_the_areas_it_is_given():
    root = parse(bodymap.picker({"thighs": "x-1"}, uid="p"))
    assert [lb.get("for") for lb in root.findall("label")] == ["x-1"]


@pytest.mark.parametrize(("inputs", "message"), [
    ({"knees": "a"}, "unknown body areas: knees"),
    ({"thighs": 'a" onclick="x'}, "not a plain element id"),
    ({"thighs": ""}, "not a plain element id"),
])
def test_the_picker_refuses_bad_input(inputs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        bodymap.picker(inputs, uid="p")
