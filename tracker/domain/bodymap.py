"""The body map: a front and back outline with the body areas a technique works on marked.

Pure: no Flask, no database, no clock. Issue 18, "Where on the body". The areas are
tracker.domain.clinical.BODY_AREAS (the same keys the treated-area pause uses), so a map
never names an area the safety rules do not know.

Two uses, one drawing:

- ``render(marked, uid=...)``: one inline SVG (``role="img"``, a ``<title>`` and a
  ``<desc>`` naming the marked areas in words) for a technique's "How to" page.
- ``picker(inputs, uid=...)``: the same outline with each area a ``<label for=...>`` of an
  existing checkbox, for the treated-area question. The checkboxes stay the accessible
  control; the map is a bigger, picture-shaped way to tap the same box (``aria-hidden``),
  and its checked look comes from CSS (``:has(:checked)``), with no JavaScript.

Like charts.py the markup passes a strict Content Security Policy: no style attributes or
elements; colours are presentation attributes or CSS classes (static/css/app.css,
"body map"). Marked areas are hatched, so they also read in black and white. Every id is
prefixed by ``uid``, so two maps can share a page.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

from tracker.domain.clinical import AREA_LABELS, BODY_AREAS

__all__ = ["HEIGHT", "REGIONS", "VIEWS", "WIDTH", "describe", "picker", "render"]

# One figure is drawn in a box 84 units wide, its centre line at x = 42; the back view
# is the same outline moved right. Heights are in the same units.
_FIG = 84
_GAP = 12
WIDTH = 2 * _FIG + _GAP
HEIGHT = 250
_CX = _FIG // 2
VIEWS = (("front", "Front", 0), ("back", "Back", _FIG + _GAP))

# Each area is a band of the body (top, bottom), per view; the band is clipped to the body
# (arms left out) for drawing and is the whole figure's width for tapping. A band is at
# least 30 units high: on a 360 px phone the map is about 300 px wide (1.67 px a unit), so
# each tap target is at least 48 px high and wider still.
REGIONS: Mapping[str, Mapping[str, tuple[int, int]]] = {
    # The back: every area, from the neck down.
    "back": {
        "upper_body": (26, 84),
        "lower_back": (84, 116),
        "glutes_hips": (116, 150),
        "thighs": (150, 186),
        "lower_legs": (186, 232),
    },
    # The front: the hips, the neck and shoulders, the lower legs and feet. The thigh's
    # front and the belly are no area (AREA_LABELS: "Thighs (back of the leg)").
    "front": {
        "upper_body": (26, 84),
        "glutes_hips": (116, 150),
        "lower_legs": (186, 232),
    },
}

# The right half of the trunk and leg as (distance from the centre line, height), from the
# neck down the outside and back up the inside of the leg; mirrored for the left half.
_TRUNK = ((6, 28), (7, 36), (18, 40), (25, 46), (24, 62), (21, 84), (20, 98), (24, 114),
          (25, 134), (23, 160), (20, 178), (19, 192), (16, 212), (13, 222), (17, 230),
          (13, 234), (5, 233), (5, 222), (4, 212), (4, 192), (5, 178), (3, 160), (2, 142),
          (0, 138))
# The right arm as a closed shape, from the shoulder down the outside and up the inside.
_ARM = ((19, 41), (27, 45), (31, 56), (33, 78), (35, 100), (38, 118), (37, 128), (33, 126),
        (31, 118), (28, 100), (27, 80), (22, 62))
_HEAD = (14, 11)  # centre height and radius


def _n(value: float) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _smooth(points: list[tuple[float, float]]) -> str:
    """A closed curve through the midpoints of ``points``, each point a control point."""
    mids = [((x1 + x2) / 2, (y1 + y2) / 2)
            for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)]
    parts = [f"M{_n(mids[-1][0])} {_n(mids[-1][1])}"]
    for (px, py), (mx, my) in zip(points, mids, strict=True):
        parts.append(f"Q{_n(px)} {_n(py)} {_n(mx)} {_n(my)}")
    return "".join(parts) + "Z"


def _body_path() -> str:
    right = [(_CX + dx, y) for dx, y in _TRUNK]
    left = [(_CX - dx, y) for dx, y in reversed(_TRUNK) if dx]
    cy, r = _HEAD
    head = f"M{_CX - r} {cy}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0Z"
    return _smooth(right + left) + head


def _arms_path() -> str:
    return "".join(_smooth([(_CX + side * dx, y) for dx, y in _ARM]) for side in (1, -1))


_BODY = _body_path()
_ARMS = _arms_path()


def _check(marked: Iterable[str], uid: str) -> tuple[str, ...]:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", uid):
        raise ValueError(f"a body map's uid must be a plain name, not {uid!r}")
    areas = set(marked)
    unknown = areas - set(BODY_AREAS)
    if unknown:
        raise ValueError(f"unknown body areas: {', '.join(sorted(unknown))}")
    return tuple(a for a in BODY_AREAS if a in areas)


def describe(marked: Iterable[str]) -> str:
    """The marked areas in words, in clinical.BODY_AREAS order."""
    areas = _check(marked, "x")
    if not areas:
        return "No area is marked."
    return f"Marked: {', '.join(AREA_LABELS[a] for a in areas)}."


def _defs(uid: str) -> str:
    # The hatch: dark diagonal stripes on a light ground, readable without colour.
    return (
        f'<defs><path id="{uid}-b" d="{_BODY}"/><path id="{uid}-a" d="{_ARMS}"/>'
        f'<clipPath id="{uid}-c"><use href="#{uid}-b"/></clipPath>'
        f'<pattern id="{uid}-h" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde7d4"/>'
        f'<rect width="2.5" height="6" fill="#a33d00"/></pattern></defs>'
    )


def _outline(uid: str, x: int, name: str) -> str:
    return (
        f'<g transform="translate({x} 0)"><use href="#{uid}-a" class="bodymap-body" '
        f'fill="#f4f1ec" stroke="#55606b" stroke-width="1.2"/>'
        f'<use href="#{uid}-b" class="bodymap-body" fill="#f4f1ec" stroke="#55606b" '
        f'stroke-width="1.2"/><text x="{_CX}" y="{HEIGHT - 1}" text-anchor="middle" '
        f'class="bodymap-view" font-size="13" fill="#3b444d">{name}</text></g>'
    )


def _band(uid: str, top: int, bottom: int, cls: str, fill: str) -> str:
    return (f'<rect class="{cls}" x="0" y="{top}" width="{_FIG}" height="{bottom - top}" '
            f'clip-path="url(#{uid}-c)" fill="{fill}"/>')


def _edge(uid: str, x: int) -> str:
    # The outline drawn again over the marks, so the edge stays crisp.
    return (f'<use href="#{uid}-b" transform="translate({x} 0)" fill="none" '
            f'stroke="#55606b" stroke-width="1.2"/>')


def _views_showing(area: str) -> list[tuple[str, str, int]]:
    return [(view, name, x) for view, name, x in VIEWS if area in REGIONS[view]]


def render(marked: Iterable[str], *, uid: str,
           title: str = "Where on the body it works") -> Markup:
    """The body map with ``marked`` (clinical.BODY_AREAS keys) hatched; ValueError on an
    unknown area or a uid that is not a plain name. Its size follows its container."""
    areas = _check(marked, uid)
    marks = "".join(
        f'<g transform="translate({x} 0)">'
        + "".join(_band(uid, *REGIONS[view][a], f"bodymap-mark bodymap-mark--{a}",
                        f"url(#{uid}-h)") for a in areas if a in REGIONS[view])
        + "</g>"
        for view, _, x in VIEWS
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bodymap" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" focusable="false" '
        f'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">Front and back of a body. {escape(describe(areas))}</desc>'
        + _defs(uid)
        + "".join(_outline(uid, x, name) for _, name, x in VIEWS)
        + marks
        + "".join(_edge(uid, x) for _, _, x in VIEWS)
        + "</svg>"
    )


def picker(inputs: Mapping[str, str], *, uid: str) -> Markup:
    """The body map as labels of checkboxes: ``inputs`` maps each area to its checkbox's
    id. Each area's bands (front and back) are drawn in a layer of its own inside a
    ``<label for=...>``; CSS stacks the layers and lets only the bands take a tap, and
    shows the hatch when the box is checked. Hidden from assistive technology: the
    checkboxes and their words are the control it reads."""
    areas = _check(inputs, uid)
    for area in areas:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_:.-]*", inputs[area]):
            raise ValueError(f"not a plain element id: {inputs[area]!r}")
    base = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bodymap" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" focusable="false">' + _defs(uid)
        + "".join(_outline(uid, x, name) for _, name, x in VIEWS) + "</svg>"
    )
    layers = []
    for area in areas:
        bands = "".join(
            f'<g transform="translate({x} 0)">'
            + _band(uid, *REGIONS[view][area], "bodymap-zone", "#dfe9f6")
            + _band(uid, *REGIONS[view][area], "bodymap-mark", f"url(#{uid}-h)")
            .replace("/>", ' visibility="hidden"/>')
            + f'<rect class="bodymap-target" x="0" y="{REGIONS[view][area][0]}" '
            f'width="{_FIG}" height="{REGIONS[view][area][1] - REGIONS[view][area][0]}" '
            f'fill="transparent"/></g>'
            for view, _, x in _views_showing(area)
        )
        layers.append(
            f'<label for="{inputs[area]}" class="bodymap-hit bodymap-hit--{area}">'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'focusable="false">{bands}'
            + "".join(_edge(uid, x) for _, _, x in _views_showing(area))
            + "</svg></label>"
        )
    return Markup(f'<div class="bodymap-pick" aria-hidden="true">{base}{"".join(layers)}</div>')
