"""Moving figures drawn from poses (issue 18): the kinematics, every built-in figure in
every view, and where the body, the ball and the roller are in each technique."""
import math
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import figures, library
from tracker.domain.figures import catalogue, skeleton
from tracker.domain.figures.catalogue import BALL_R, FLOOR, ROLLER_R
from tracker.domain.figures.skeleton import NAMES, SEGMENTS

SVG = "{http://www.w3.org/2000/svg}"
UID = "item-12345"  # as long as a page's uids get
SIZE_LIMIT = 4096
SELF_CARE = tuple(t["slug"] for t in library.TECHNIQUES if t["kind"] != "session")
SESSIONS = tuple(t["slug"] for t in library.TECHNIQUES if t["kind"] == "session")


def views(slug):
    fig = figures.for_technique(slug)
    yield "animated", {}
    yield "poses", {}
    for i in range(len(fig.pose_names)):
        yield "pose", {"pose": i}


CASES = [(slug, view, kw) for slug in figures.SLUGS for view, kw in views(slug)]
IDS = [f"{slug}-{view}{kw.get('pose', '')}" for slug, view, kw in CASES]


def parse(slug, view="animated", **kw):
    markup = str(figures.render(figures.for_technique(slug), view, uid=UID, **kw))
    return markup, ET.fromstring(markup)


# --- geometry helpers: affine matrices (a, b, c, d, e, f) as in SVG ---------------------

def mul(m, k):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = k
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2,
            a * e2 + c * f2 + e, b * e2 + d * f2 + f)


IDENTITY = (1, 0, 0, 1, 0, 0)


def transform(text):
    m = IDENTITY
    for kind, args in re.findall(r"(\w+)\(([^)]*)\)", text or ""):
        v = [float(x) for x in re.split(r"[ ,]+", args.strip())]
        if kind == "translate":
            m = mul(m, (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0))
        elif kind == "scale":
            m = mul(m, (v[0], 0, 0, v[-1], 0, 0))
        elif kind == "rotate":
            r = math.radians(v[0])
            turn = (math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0, 0)
            if len(v) == 3:
                turn = mul(mul((1, 0, 0, 1, v[1], v[2]), turn), (1, 0, 0, 1, -v[1], -v[2]))
            m = mul(m, turn)
        else:
            raise AssertionError(kind)
    return m


def apply(m, p):
    a, b, c, d, e, f = m
    return a * p[0] + c * p[1] + e, b * p[0] + d * p[1] + f


def subpaths(d):
    """Path data of M, l, h and L commands as lists of absolute points."""
    out = []
    for cmd, args in re.findall(r"([MLlh])([^MLlh]*)", d):
        v = [float(x) for x in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", args)]
        if cmd == "M":
            out.append([(v[0], v[1])])
        elif cmd == "h":
            out[-1].append((out[-1][-1][0] + v[0], out[-1][-1][1]))
        else:
            for i in range(0, len(v), 2):
                x, y = out[-1][-1]
                out[-1].append((v[i], v[i + 1]) if cmd == "L" else (x + v[i], y + v[i + 1]))
    return out


def stills(root):
    """Each drawn still pose: its chains of points on the page (after its transforms)."""
    found = []

    def walk(el, m):
        m = mul(m, transform(el.get("transform")))
        paths = {p.get("class"): p for p in el.findall(f"{SVG}path")}
        if "fig-body" in paths:
            chains = []
            for cls, names in skeleton.CHAINS:
                subs = subpaths(paths[cls].get("d"))
                assert len(subs) == len(names)
                chains += [([apply(m, p) for p in sub], chain)
                           for sub, chain in zip(subs, names, strict=True)]
            head = el.find(f"{SVG}circle[@class='fig-head']")
            found.append((chains, apply(m, (float(head.get("cx")), float(head.get("cy")))), m))
            return
        for child in el:
            if child.tag == f"{SVG}g":
                walk(child, m)

    walk(root, IDENTITY)
    return found


def box(root):
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    return x, y, w, h


# --- every figure, every view --------------------------------------------------------

def test_every_library_technique_has_a_figure():
    assert set(figures.SLUGS) == {t["slug"] for t in library.TECHNIQUES}
    assert figures.for_technique("my-own-stretch") is None
    assert figures.for_technique(None) is None
    assert figures.for_technique("piriformis-stretch").title == "Piriformis stretch"


@pytest.mark.parametrize("slug", SELF_CARE)
def test_self_care_has_two_to_four_key_poses(slug):
    fig = figures.for_technique(slug)
    assert 2 <= len(fig.pose_names) <= 4
    assert len(fig.scenes) == len(fig.pose_names)
    assert set(fig.beats) == set(range(len(fig.scenes)))  # the animation visits every pose


@pytest.mark.parametrize("slug", SESSIONS)
def test_professional_techniques_are_one_still_on_the_table_with_their_areas(slug):
    fig = figures.for_technique(slug)
    (scene,) = fig.scenes
    assert scene.marks == library.TECHNIQUE_AREAS[slug]
    kinds = {p.kind for p in scene.props}
    assert kinds == ({"mat", "chair"} if slug == "indian-head-massage" else {"table"})
    markup, root = parse(slug)
    assert "<animate" not in markup
    assert len(subpaths(root.find(f".//{SVG}path[@class='fig-mark']").get("d"))) == sum(
        len(svg_parts) for svg_parts in (figures.svg.AREA_PARTS[a] for a in scene.marks))


@pytest.mark.parametrize(("slug", "view", "kw"), CASES, ids=IDS)
def test_valid_svg_with_its_words_and_ids(slug, view, kw):
    markup, root = parse(slug, view, **kw)
    fig = figures.for_technique(slug)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("class") == f"figure figure--{slug} figure--{view}"
    assert root.get("width") is None and root.get("height") is None
    assert root.get("aria-labelledby") == f"{UID}-t {UID}-d"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == f"{UID}-t" and desc.get("id") == f"{UID}-d"
    assert title.text.startswith(fig.title) and len(desc.text) > 40
    if view == "pose":
        assert title.text == f"{fig.title}: {fig.pose_names[kw['pose']]}"
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert ids and all(i.startswith(UID + "-") for i in ids)
    assert len(ids) == len(set(ids))
    for el in root.iter(f"{SVG}use"):
        assert el.get("href")[1:] in ids
    # CSP: nothing inline to run or style
    assert "<style" not in markup and "<script" not in markup
    assert not any(el.get("style") for el in root.iter())
    assert not any(a.startswith("on") for el in root.iter() for a in el.attrib)


@pytest.mark.parametrize(("slug", "view", "kw"), CASES, ids=IDS)
def test_under_four_kilobytes(slug, view, kw):
    markup, _root = parse(slug, view, **kw)
    assert len(markup.encode()) < SIZE_LIMIT


@pytest.mark.parametrize(("slug", "view", "kw"), CASES, ids=IDS)
def test_every_drawn_segment_keeps_its_length(slug, view, kw):
    _markup, root = parse(slug, view, **kw)
    fig = figures.for_technique(slug)
    drawn = stills(root)
    # animated: the key poses side by side for reduced motion, or (cuts) the key poses
    # shown in turn, or the one still
    assert len(drawn) == (1 if view == "pose" else len(fig.scenes))
    for chains, head, m in drawn:
        scale = math.hypot(m[0], m[1])
        for points, names in chains:
            for (a, b), name in zip(pairwise(points), names, strict=True):
                assert math.dist(a, b) == pytest.approx(SEGMENTS[name][1] * scale, abs=0.15)
        body_points, _ = chains[[c[1] for c in chains].index(("pelvis", "trunk", "head"))]
        assert math.dist(body_points[-1], head) < 0.01


@pytest.mark.parametrize("slug", figures.SLUGS)
def test_every_joint_of_every_key_pose_inside_the_view_box(slug):
    fig = figures.for_technique(slug)
    for i in range(len(fig.scenes)):
        _markup, root = parse(slug, "pose", pose=i)
        x, y, w, h = box(root)
        ((chains, head, _m),) = stills(root)
        points = [p for pts, _ in chains for p in pts]
        assert all(x <= px <= x + w and y <= py <= y + h for px, py in points)
        r = skeleton.HEAD_RADIUS
        assert x <= head[0] - r and head[0] + r <= x + w and y <= head[1] - r


@pytest.mark.parametrize("slug", figures.SLUGS)
def test_the_poses_in_between_stay_inside_too(slug):
    fig = figures.for_technique(slug)
    x, y, w, h = fig.box
    for pose in catalogue.in_between(fig.scenes, fig.beats, fig.motion):
        for _start, (px, py) in skeleton.joints(pose).values():
            assert x <= px <= x + w and y <= py <= y + h


# --- the animation ---------------------------------------------------------------------

def animated_segments(root, frame):
    """The animated figure's segments at one frame of its animation: each nested group's
    transform plus its <animateTransform> value at that frame, <use> followed."""
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    segments = []

    def walk(el, m):
        base = transform(el.get("transform"))
        anim = el.find(f"{SVG}animateTransform")
        if anim is not None:
            value = anim.get("values").split(";")[frame]
            moved = transform(f"{anim.get('type')}({value})")
            base = mul(base, moved) if anim.get("additive") == "sum" else moved
        m = mul(m, base)
        for child in el:
            if child.tag == f"{SVG}path" and child.get("class") is None:
                ((a, b),) = [(p[0], p[1]) for p in subpaths(child.get("d"))]
                segments.append((apply(m, a), apply(m, b)))
            elif child.tag == f"{SVG}g":
                walk(child, m)
            elif child.tag == f"{SVG}use":
                walk(by_id[child.get("href")[1:]], m)

    walk(root.find(f"{SVG}g[@class='fig-anim']/{SVG}g[@class='fig-body']"), IDENTITY)
    return segments


@pytest.mark.parametrize("slug", [s for s in SELF_CARE
                                  if figures.for_technique(s).motion == "move"])
def test_the_animation_passes_through_each_key_pose_with_rigid_segments(slug):
    fig = figures.for_technique(slug)
    _markup, root = parse(slug)
    anims = root.findall(f".//{SVG}animateTransform")
    assert anims
    frames = list(fig.beats) + [fig.beats[0]]  # a smooth loop ends where it began
    for anim in anims:
        assert len(anim.get("values").split(";")) == len(frames)
        assert anim.get("dur") == f"{len(fig.beats) * catalogue.BEAT}s"
        assert anim.get("repeatCount") == "indefinite"
    for frame, scene_index in enumerate(frames):
        joints = skeleton.joints(fig.scenes[scene_index].pose)
        drawn = animated_segments(root, frame)
        head_len = SEGMENTS["head"][1] - skeleton.HEAD_RADIUS  # the neck's drawn part
        assert len(drawn) == len(joints)
        # every segment start of the key pose is drawn (angles rounded to whole degrees)
        starts = [a for a, _b in drawn]
        for name, (a, _b) in joints.items():
            assert min(math.dist(a, s) for s in starts) < 1.2, (slug, frame, name)
        lengths = sorted(round(math.dist(a, b), 1) for a, b in drawn)
        assert lengths == sorted(round(s[1] if n != "head" else head_len, 1)
                                 for n, s in SEGMENTS.items())


@pytest.mark.parametrize("slug", SELF_CARE)
def test_reduced_motion_shows_the_key_poses_side_by_side(slug):
    fig = figures.for_technique(slug)
    _markup, root = parse(slug)
    anim = root.find(f"{SVG}g[@class='fig-anim']")
    side = root.find(f"{SVG}g[@class='fig-stills']")
    assert anim is not None and side.get("display") == "none"
    assert len(list(side)) == len(fig.scenes)
    css = Path("static/css/app.css").read_text()
    section = css[css.index("/* === figures"):]
    rule = section[section.index("@media (prefers-reduced-motion: reduce)"):]
    rule = rule[:rule.index("\n}")]
    assert ".fig-anim { display: none; }" in rule
    assert ".fig-stills { display: inline; }" in rule


def test_per_side_stretches_hold_each_side_with_a_release_between():
    for slug in ("piriformis-stretch", "knee-to-chest-stretch"):
        fig = figures.for_technique(slug)
        right, release, left = fig.pose_names
        assert "right" in right and "left" in left and release == "Release"
        assert fig.beats == (1, 0, 0, 1, 2, 2)


def test_a_view_that_does_not_exist_is_refused():
    fig = figures.for_technique("foam-roller")
    with pytest.raises(ValueError, match="unknown view 'video'"):
        figures.render(fig, "video")
    with pytest.raises(IndexError, match="foam-roller has 3 key poses, not 4"):
        figures.render(fig, "pose", pose=3)


def test_the_handout_view_names_the_poses_in_order():
    fig = figures.for_technique("seated-forward-bend")
    _markup, root = parse("seated-forward-bend", "poses")
    assert root.find(f"{SVG}desc").text.endswith(
        "Key poses, left to right: Sit tall; Hold, folded forward.")
    x, y, w, h = box(root)
    assert w == 2 * fig.box[2]


def test_uid_is_escaped():
    markup = str(figures.render(figures.for_technique("ice-after"), uid='a"b'))
    assert 'id="a&#34;b-t"' in markup


# --- right, not decorative: where things are -------------------------------------------

def dist_to_segment(p, a, b):
    ax, ay = a
    bx, by = b
    t = max(0, min(1, ((p[0] - ax) * (bx - ax) + (p[1] - ay) * (by - ay))
                   / ((bx - ax) ** 2 + (by - ay) ** 2)))
    return math.dist(p, (ax + t * (bx - ax), ay + t * (by - ay)))


def scene(slug, i):
    s = figures.for_technique(slug).scenes[i]
    return s, skeleton.joints(s.pose)


def prop_of(s, kind):
    (p,) = [p for p in s.props if p.kind == kind]
    return p


@pytest.mark.parametrize(("pose", "crossed", "pulled"), [(0, "n", "f"), (2, "f", "n")])
def test_piriformis_ankle_over_the_other_knee_that_thigh_pulled_in(pose, crossed, pulled):
    _s, j = scene("piriformis-stretch", pose)
    hip = j["thigh_n"][0]
    ankle = j["shin_" + crossed][1]
    assert dist_to_segment(ankle, *j["thigh_" + pulled]) < 2  # resting on the thigh
    assert math.dist(ankle, j["thigh_" + pulled][1]) < 8  # near its knee
    assert j["thigh_" + pulled][1][0] < hip[0]  # that knee drawn towards the chest
    assert j["thigh_" + crossed][1][1] < hip[1] - 15  # the crossed knee up, not on the floor
    for side in "fn":  # both hands behind the pulled thigh
        assert dist_to_segment(j["hand_" + side][0], *j["thigh_" + pulled]) < 4
    _s, release = scene("piriformis-stretch", 1)
    for side in "fn":
        assert release["foot_" + side][0][1] == pytest.approx(FLOOR - 3)  # feet flat


@pytest.mark.parametrize(("pose", "up", "down"), [(0, "n", "f"), (2, "f", "n")])
def test_knee_to_chest_one_knee_in_the_other_foot_down(pose, up, down):
    _s, j = scene("knee-to-chest-stretch", pose)
    hip = j["thigh_n"][0]
    knee = j["thigh_" + up][1]
    assert knee[0] < hip[0] - 10 and knee[1] < hip[1] - 15  # over the chest
    assert j["foot_" + down][0][1] == pytest.approx(FLOOR - 3)
    assert j["foot_" + down][1][1] == pytest.approx(FLOOR - 3)
    assert dist_to_segment(j["hand_n"][0], *j["thigh_" + up]) < 4


def test_seated_forward_bend_legs_straight_on_the_floor_reaching_for_the_feet():
    _s, tall = scene("seated-forward-bend", 0)
    _s, fold = scene("seated-forward-bend", 1)
    for j in (tall, fold):
        for side in "fn":
            assert j["shin_" + side][1][1] > FLOOR - 6  # heels on the floor
            assert j["shin_" + side][1][0] - j["thigh_" + side][0][0] > 48  # legs long
    assert tall["trunk"][1][1] < tall["trunk"][0][1] - 24  # sitting tall
    shoulder, hip = fold["trunk"][1], fold["pelvis"][0]
    assert shoulder[0] > hip[0] + 15  # folded forward from the hips
    assert fold["hand_n"][1][0] > fold["thigh_n"][1][0]  # hands past the knees


def test_ball_between_the_wall_and_the_buttock_then_the_lower_back_then_on_the_floor():
    for i, high in ((0, False), (1, True)):
        s, j = scene("tennis-ball-trigger-point", i)
        ball, wall = prop_of(s, "ball"), prop_of(s, "wall")
        assert ball.x - BALL_R == pytest.approx(wall.x, abs=1)  # against the wall
        hip = j["pelvis"][0]
        assert hip[0] > ball.x  # the body in front of the ball
        # touching the back of the body: the pelvis (buttock) or the lower trunk
        part = j["trunk"] if high else j["pelvis"]
        assert dist_to_segment((ball.x, ball.y), *part) < BALL_R + 5
        assert (ball.y < hip[1] - 5) is high
    s, j = scene("tennis-ball-trigger-point", 2)
    ball = prop_of(s, "ball")
    assert ball.y + BALL_R == pytest.approx(FLOOR)  # on the floor
    assert dist_to_segment((ball.x, ball.y), *j["pelvis"]) < BALL_R + 4  # under the buttock
    assert abs(ball.x - j["pelvis"][0][0]) < 5


def test_foam_roller_under_the_buttock_the_thighs_then_the_lower_back():
    for i, part, other in ((0, "pelvis", None), (1, "thigh_n", "thigh_f"), (2, "trunk", None)):
        s, j = scene("foam-roller", i)
        roller = prop_of(s, "roller")
        assert roller.y + ROLLER_R == pytest.approx(FLOOR)
        assert dist_to_segment((roller.x, roller.y), *j[part]) < ROLLER_R + 5
        if other:
            assert dist_to_segment((roller.x, roller.y), *j[other]) < ROLLER_R + 5
            a, b = j[part]
            assert a[0] + 5 < roller.x < b[0] - 5  # under the middle of the thigh
    s, j = scene("foam-roller", 0)  # the right ankle across the left knee
    assert math.dist(j["shin_n"][1], j["thigh_f"][1]) < 5
    for i in (0, 1):  # hands on the floor behind, taking the weight
        _s, j = scene("foam-roller", i)
        for side in "fn":
            assert j["hand_" + side][1][1] > FLOOR - 5
            assert j["hand_" + side][1][0] < j["pelvis"][0][0]


def test_heat_on_the_lower_back_lying_and_sitting_ice_wrapped():
    for i in (0, 1):
        s, j = scene("heat-before", i)
        heat = prop_of(s, "heat")
        # on (or behind) the lower back: the pelvis and the lower half of the trunk
        (_a, lumbar), (_b, shoulder) = j["pelvis"], j["trunk"]
        mid_back = ((lumbar[0] + shoulder[0]) / 2, (lumbar[1] + shoulder[1]) / 2)
        assert dist_to_segment((heat.x, heat.y), j["pelvis"][0], mid_back) < 7
    s, _j = scene("heat-before", 1)
    assert {p.kind for p in s.props} == {"mat", "chair", "heat"}
    markup, _root = parse("ice-after", "pose", pose=0)
    assert markup.index('class="fig-cloth"') < markup.index('class="fig-ice"')  # wrapped
    for i in (0, 1):
        s, j = scene("ice-after", i)
        ice = prop_of(s, "ice")
        assert dist_to_segment((ice.x, ice.y), j["thigh_n"][0], j["trunk"][1]) < 7
        assert s.face == -1  # face down


# --- the kinematics ---------------------------------------------------------------------

angles = st.lists(st.floats(-360, 360, allow_nan=False), min_size=len(NAMES),
                  max_size=len(NAMES))
coords = st.floats(-500, 500, allow_nan=False)


@settings(max_examples=200)
@given(x=coords, y=coords, a=angles)
def test_forward_kinematics_keeps_every_segment_rigid(x, y, a):
    pose = skeleton.Pose(x, y, tuple(a))
    joints = skeleton.joints(pose)
    for name, (start, end) in joints.items():
        assert math.dist(start, end) == pytest.approx(SEGMENTS[name][1])
        parent = SEGMENTS[name][0]
        assert start == (joints[parent][1] if parent else (x, y))


@settings(max_examples=100)
@given(x=coords, y=coords, a=angles, b=angles, t=st.floats(0, 1))
def test_in_between_poses_keep_every_segment_rigid_too(x, y, a, b, t):
    pose = skeleton.interpolate(skeleton.Pose(x, y, tuple(a)), skeleton.Pose(y, x, tuple(b)), t)
    for name, (start, end) in skeleton.joints(pose).items():
        assert math.dist(start, end) == pytest.approx(SEGMENTS[name][1])


@settings(max_examples=100)
@given(x=coords, y=coords, a=angles)
def test_page_directions_and_joint_angles_are_the_same_pose(x, y, a):
    pose = skeleton.Pose(x, y, tuple(a))
    again = skeleton.from_absolute(x, y, skeleton.absolute_angles(pose))
    for (s1, e1), (s2, e2) in zip(skeleton.joints(pose).values(),
                                  skeleton.joints(again).values(), strict=True):
        assert math.dist(e1, e2) < 1e-6 and math.dist(s1, s2) < 1e-6


@given(ox=coords, oy=coords, d=st.floats(2, 50), heading=st.floats(-180, 180),
       bend=st.sampled_from([1, -1]))
def test_reach_puts_the_end_on_a_reachable_target(ox, oy, d, heading, bend):
    r = math.radians(heading)
    target = (ox + d * math.cos(r), oy + d * math.sin(r))
    a1, a2 = skeleton.reach((ox, oy), target, 26, 25, bend)
    mid = (ox + 26 * math.cos(math.radians(a1)), oy + 26 * math.sin(math.radians(a1)))
    end = (mid[0] + 25 * math.cos(math.radians(a2)), mid[1] + 25 * math.sin(math.radians(a2)))
    assert math.dist(end, target) < 1e-6
    # the middle joint on the side asked for
    cross = (target[0] - ox) * (mid[1] - oy) - (target[1] - oy) * (mid[0] - ox)
    assert cross * bend >= -1e-6


def test_a_knee_turns_within_its_range_when_animated():
    # from a bent knee (84) to a crossed leg (-134): the short way (+142) would fold the
    # shin through the floor; the joint's range sends it the other way
    assert skeleton.unwrap([84, -134], "shin_n") == [84, -134]
    assert skeleton.unwrap([170, -170]) == [170, 190]


def test_a_pose_needs_every_angle():
    with pytest.raises(ValueError, match="a pose needs 15 angles, got 2"):
        skeleton.Pose(0, 0, (1, 2))
