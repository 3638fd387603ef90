"""The built-in figures: each library technique's key poses, props and rhythm.

Seen from the side. A figure standing or sitting faces right, and one lying on its back
has its head on the left, so the near side (drawn dark, in front) is the person's RIGHT
side and the far side (drawn light) the left. Lying face down (head left, Scene.face -1)
the near side is the left; no face-down technique has a side. Poses are authored as page
directions (see skeleton.py) with a little inverse kinematics to put a hand or an ankle
exactly where it belongs (an ankle on the other knee, hands behind a thigh, a hand on the
floor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from tracker.domain import library
from tracker.domain.figures import skeleton
from tracker.domain.figures.skeleton import Pose, length, reach

FLOOR = 112  # the floor's (or mat's) top edge
LIE = FLOOR - 3.5  # the centre line of a body lying on the floor
WIDTH, HEIGHT = 200, 120


@dataclass(frozen=True)
class Prop:
    kind: str  # mat, wall, chair, ball, roller, heat, ice, table
    x: float = 0
    y: float = 0
    angle: float = 0


@dataclass(frozen=True)
class Scene:
    """One key pose: the body, the props around it, and (professional techniques) the
    body areas marked as treated."""

    pose: Pose
    props: tuple[Prop, ...]
    marks: tuple[str, ...] = ()
    # Which way the face turns from the neck: +1 for a figure facing right when upright
    # (so face up when lying on the back, head left), -1 lying face down, head left.
    face: int = 1


@dataclass(frozen=True)
class Figure:
    slug: str
    title: str
    description: str
    pose_names: tuple[str, ...]
    scenes: tuple[Scene, ...]
    # The animation: which key pose at each beat (a beat is BEAT seconds); the loop goes
    # back to the first. "move" turns the joints from pose to pose; "cut" switches.
    beats: tuple[int, ...] = ()
    motion: str = "move"
    box: tuple[int, int, int, int] = (0, 0, WIDTH, HEIGHT)  # the viewBox of one pose


BEAT = 2  # seconds: the rhythm is the dose's (hold, release, other side), compressed


# --- building poses -----------------------------------------------------------------

def _limb(origin, spec, upper, lower):
    """A limb spec: three page directions, or ("to", target, bend, end direction) where
    an end direction of None carries on straight from the lower segment."""
    if spec[0] != "to":
        return spec
    _, target, bend, end = spec
    a, b = reach(origin, target, upper, lower, bend)
    return a, b, b if end is None else end


def body(hip, *, pelvis, trunk, head, arms, legs) -> Pose:
    """A pose from page directions; ``arms``/``legs`` are (far, near) limb specs."""
    x, y = hip
    s = skeleton.shoulder(x, y, pelvis, trunk)
    d = {"pelvis": pelvis, "trunk": trunk, "head": head}
    for side, arm, leg in (("f", arms[0], legs[0]), ("n", arms[1], legs[1])):
        d["arm_" + side], d["forearm_" + side], d["hand_" + side] = _limb(
            s, arm, length("arm_f"), length("forearm_f"))
        d["thigh_" + side], d["shin_" + side], d["foot_" + side] = _limb(
            hip, leg, length("thigh_f"), length("shin_f"))
    return skeleton.from_absolute(x, y, d)


def on_thigh(hip, direction, at, side=0.0):
    """A point ``at`` units along a thigh from the hip, ``side`` units across it (to the
    right of its direction)."""
    p = skeleton.direction(direction)
    return hip[0] + at * p[0] - side * p[1], hip[1] + at * p[1] + side * p[0]


def foot_flat(ankle_x):
    """A leg with the knee up and the foot flat on the floor, the ankle at ankle_x."""
    return ("to", (ankle_x, FLOOR - 3), -1, 0)


def arms_down(hip, pelvis=180, trunk=180):
    """Arms resting on the floor along the body."""
    return (trunk + 183, trunk + 180, trunk + 180)


# --- the self-care figures ----------------------------------------------------------

HIP = (104, LIE)
MAT = Prop("mat")


def _supine(hip=HIP, *, legs, arms=None, head=190, pelvis=180, trunk=180):
    arms = arms or (arms_down(hip, pelvis, trunk),) * 2
    return body(hip, pelvis=pelvis, trunk=trunk, head=head, arms=arms, legs=legs)


def _hook(hip=HIP):
    return foot_flat(hip[0] + 38)


def _piriformis_hold(near_crossed: bool) -> Pose:
    pulled = -120
    target = on_thigh(HIP, pulled, 20, side=-1)  # the ankle rests across the other thigh
    crossed = ("to", target, 1, 0)
    pulled_leg = (pulled, -40, -125)
    grip = on_thigh(HIP, pulled, 17, side=3.5)  # behind the pulled thigh
    hold = ("to", grip, -1, None)
    legs = (pulled_leg, crossed) if near_crossed else (crossed, pulled_leg)
    # The crossing ankle points on past the thigh it rests on.
    pose = _supine(legs=legs, arms=(hold, hold), head=190)
    d = skeleton.absolute_angles(pose)
    side = "n" if near_crossed else "f"
    d["foot_" + side] = d["shin_" + side] + 10
    return skeleton.from_absolute(pose.x, pose.y, d)


def _knee_hold(near: bool) -> Pose:
    pulled = -125
    grip = on_thigh(HIP, pulled, 20, side=3)  # behind the thigh, near the knee
    hold = ("to", grip, -1, None)
    bent = (pulled, -10, -90)  # knee bent about 115 degrees, the shin over the belly
    legs = (_hook(), bent) if near else (bent, _hook())
    return _supine(legs=legs, arms=(hold, hold))


SIT = (66, LIE)
_LONG_LEGS = ((-4, 4, -82), (-4, 4, -82))


def _seated(tall: bool) -> Pose:
    if tall:
        pelvis, trunk, head = -95, -92, -88
        s = skeleton.shoulder(*SIT, pelvis, trunk)
        arm = ("to", (s[0] + 4, FLOOR - 4), 1, 0)
    else:
        pelvis, trunk, head = -58, -34, -20
        arm = ("to", (SIT[0] + 49, LIE - 6), -1, None)  # reaching along the legs to the feet
    return body(SIT, pelvis=pelvis, trunk=trunk, head=head, arms=(arm, arm), legs=_LONG_LEGS)


WALL = Prop("wall", 28)
BALL_R = 4.5


def _against_wall(drop: float) -> tuple[Pose, Prop]:
    """Standing with the back to a wall, feet forward, a ball between buttock (or lower
    back) and wall; ``drop`` bends the knees, so the ball rolls higher up the back."""
    hip = (42 + drop * 0.1, 64 + drop)
    legs = ("to", (hip[0] + 22 + drop, FLOOR - 3), -1, 0)
    pelvis, trunk = -97, -99
    arm = ("to", (hip[0] + 10, hip[1] + 4), -1, 70)  # hands resting on the thighs
    pose = body(hip, pelvis=pelvis, trunk=trunk, head=-92, arms=(arm, arm), legs=(legs, legs))
    # the ball sits behind the body line, touching the wall; higher when the knees bend
    return pose, Prop("ball", 28 + BALL_R + 0.5, hip[1] + 1 - drop * 2.5)


def _on_ball_floor() -> tuple[Pose, Prop]:
    """Lying on the back, knees bent, the pelvis raised on a ball under the buttock and
    the trunk sloping down to the shoulders on the floor."""
    hip = (104, LIE - 9)
    pelvis = 170
    ly = hip[1] + 5 * math.sin(math.radians(pelvis))
    trunk = 180 - math.degrees(math.asin((LIE - ly) / length("trunk")))
    pose = _supine(hip, legs=(_hook(hip), _hook(hip)), pelvis=pelvis, trunk=trunk, head=190)
    return pose, Prop("ball", hip[0] - 3, FLOOR - BALL_R)


def _pressing(low: bool) -> Pose:
    """Standing, both hands reaching behind to the lower back (or lower, the buttocks)."""
    hip = (100, 55)
    target = (hip[0] - 5, hip[1] + 3) if low else (hip[0] - 5, hip[1] - 12)
    arm = ("to", target, 1, 90 if low else 100)
    legs = ((88, 92, 0), (92, 88, 0))
    return body(hip, pelvis=-90, trunk=-90, head=-90, arms=(arm, arm), legs=legs)


ROLLER_R = 7


def hand_on_floor(shoulder, stretch=34.5):
    """An arm propping the body up: nearly straight, the hand flat on the floor behind."""
    drop = FLOOR - 4 - shoulder[1]
    back = math.sqrt(max(stretch * stretch - drop * drop, 0))
    return ("to", (shoulder[0] - back, FLOOR - 4), 1, 150)  # fingers back, palm down


def _roller_glutes() -> tuple[Pose, Prop]:
    rx = 92
    hip = (rx + 3, FLOOR - 2 * ROLLER_R - 4)
    pelvis, trunk = -128, -128
    s = skeleton.shoulder(*hip, pelvis, trunk)
    hand = hand_on_floor(s)
    flat = ("to", (hip[0] + 36, FLOOR - 3), -1, 0)
    pose = body(hip, pelvis=pelvis, trunk=trunk, head=-110, arms=(hand, hand),
                legs=(flat, (0, 0, 0)))
    # the near (right) ankle crosses over the far knee: lean onto the right buttock
    knee = skeleton.joints(pose)["thigh_f"][1]
    cross = ("to", (knee[0] - 1, knee[1] - 3), -1, 0)
    pose = body(hip, pelvis=pelvis, trunk=trunk, head=-110, arms=(hand, hand),
                legs=(flat, cross))
    return pose, Prop("roller", rx, FLOOR - ROLLER_R)


def _roller_hamstrings() -> tuple[Pose, Prop]:
    rx = 100
    hip = (86, FLOOR - 2 * ROLLER_R - 3)
    pelvis, trunk = -140, -138
    s = skeleton.shoulder(*hip, pelvis, trunk)
    hand = hand_on_floor(s)
    leg = (0, 6, -80)
    pose = body(hip, pelvis=pelvis, trunk=trunk, head=-115, arms=(hand, hand), legs=(leg, leg))
    return pose, Prop("roller", rx, FLOOR - ROLLER_R)


def _roller_low_back() -> tuple[Pose, Prop]:
    rx = 96
    hip = (104, FLOOR - 2 * ROLLER_R - 1)
    pelvis, trunk = 175, 195
    s = skeleton.shoulder(*hip, pelvis, trunk)
    behind_head = ("to", (s[0] - 10, s[1] - 8), 1, 170)
    pose = body(hip, pelvis=pelvis, trunk=trunk, head=205, arms=(behind_head, behind_head),
                legs=(_hook(hip), _hook(hip)))
    return pose, Prop("roller", rx, FLOOR - ROLLER_R)


def _prone() -> Pose:
    """Lying face down, head on the left, arms along the sides, toes down."""
    hip = (104, LIE)
    arm = (3, 0, 0)
    legs = ((0, 0, 15), (0, 0, 15))
    return body(hip, pelvis=180, trunk=180, head=175, arms=(arm, arm), legs=legs)


CHAIR = Prop("chair", 60, FLOOR - 3 - 25)


def _chair_sit() -> Pose:
    """Sitting back in a chair (CHAIR), feet flat, hands on the thighs."""
    hip = (70, CHAIR.y)
    arm = ("to", (hip[0] + 18, hip[1] - 4), -1, 10)
    legs = ((0, 90, 0), (0, 90, 0))
    return body(hip, pelvis=-95, trunk=-95, head=-90, arms=(arm, arm), legs=legs)


def _self_care() -> dict[str, tuple]:
    """slug -> (pose names, scenes, beats, motion, description)."""
    release = _supine(legs=(_hook(), _hook()))
    wall_low, ball_low = _against_wall(0)
    wall_high, ball_high = _against_wall(4)
    floor_ball, ball_floor = _on_ball_floor()
    glutes, roller_g = _roller_glutes()
    hams, roller_h = _roller_hamstrings()
    back, roller_b = _roller_low_back()
    prone = _prone()
    per_side = (1, 0, 0, 1, 2, 2)  # release, hold one side, release, other side
    return {
        "piriformis-stretch": (
            ("Hold, right side", "Release", "Hold, left side"),
            (Scene(_piriformis_hold(True), (MAT,)), Scene(release, (MAT,)),
             Scene(_piriformis_hold(False), (MAT,))),
            per_side, "move",
            "Lying on your back, knees bent, you cross your right ankle over your left knee "
            "and draw your left thigh towards your chest with both hands: the stretch is "
            "deep in your right buttock. Hold, lower your feet, then the other side.",
        ),
        "knee-to-chest-stretch": (
            ("Hold, right knee", "Release", "Hold, left knee"),
            (Scene(_knee_hold(True), (MAT,)), Scene(release, (MAT,)),
             Scene(_knee_hold(False), (MAT,))),
            per_side, "move",
            "Lying on your back, knees bent and feet flat, you hold your right knee with both "
            "hands behind the thigh and draw it towards your chest, the left foot staying on "
            "the floor. Hold, lower it slowly, then the left knee.",
        ),
        "seated-forward-bend": (
            ("Sit tall", "Hold, folded forward"),
            (Scene(_seated(True), (MAT,)), Scene(_seated(False), (MAT,))),
            (0, 1, 1), "move",
            "Sitting on the floor with your legs straight out in front and knees soft, you "
            "sit tall, then fold forward from your hips, sliding your hands along your "
            "legs towards your feet. Hold at a gentle pull behind the thighs, then roll "
            "back up to sitting tall.",
        ),
        "tennis-ball-trigger-point": (
            ("Wall: ball on the buttock", "Wall: ball on the lower back",
             "Floor: lying on the ball"),
            (Scene(wall_low, (MAT, WALL, ball_low)), Scene(wall_high, (MAT, WALL, ball_high)),
             Scene(floor_ball, (MAT, ball_floor))),
            (0, 0, 1, 1, 2, 2), "cut",
            "Standing with your back to a wall and your feet a step forward, you hold a "
            "ball between the wall and your buttock and lean back into it; bending your "
            "knees rolls it up to your lower back, beside the spine. Hold steady pressure "
            "on each tender spot. For more pressure, lie on your back, knees bent, with the "
            "ball under your buttock on the floor.",
        ),
        "firm-pressure-self-massage": (
            ("Circles on the lower back", "Strokes over the buttocks"),
            (Scene(_pressing(False), (MAT,)), Scene(_pressing(True), (MAT,))),
            (0, 0, 1, 1), "move",
            "Standing, you reach behind you and press firmly with your hands or knuckles "
            "into the muscles beside your spine in your lower back, in small circles, then "
            "in long strokes down and out over your buttocks towards the hips.",
        ),
        "foam-roller": (
            ("Buttock: ankle over knee", "Backs of the thighs", "Lower back, gently"),
            (Scene(glutes, (MAT, roller_g)), Scene(hams, (MAT, roller_h)),
             Scene(back, (MAT, roller_b))),
            (0, 0, 1, 1, 2, 2), "cut",
            "You sit on a foam roller with your hands on the floor behind you, your right "
            "ankle crossed over your left knee, and lean onto your right buttock to roll it. "
            "Then the roller goes under the backs of your thighs, legs straight, your hands "
            "taking your weight. Then you lie back with it under your lower back, knees "
            "bent and hands behind your head, and roll gently, off the spine itself.",
        ),
        "heat-before": (
            ("Lying: heat on the lower back", "Sitting: heat behind the lower back"),
            (Scene(prone, (MAT, Prop("heat", 93, LIE - 6)), face=-1),
             Scene(_chair_sit(), (MAT, CHAIR, Prop("heat", 64, CHAIR.y - 8, 90)))),
            (0, 0, 1, 1), "cut",
            "Before self-massage you lie face down with a warm heating pad or warm towel "
            "over your lower back, or sit back in a chair with it between your lower back "
            "and the chair, for about 15 minutes.",
        ),
        "ice-after": (
            ("Wrapped ice on the lower back", "Wrapped ice on the buttock"),
            (Scene(prone, (MAT, Prop("ice", 92, LIE - 6)), face=-1),
             Scene(prone, (MAT, Prop("ice", 103, LIE - 6)), face=-1)),
            (0, 0, 1, 1), "cut",
            "After self-massage you lie face down with an ice pack wrapped in a thin cloth "
            "on the sore part of your lower back or buttock, for up to 15 minutes.",
        ),
    }


def _table_scene(areas: tuple[str, ...]) -> Scene:
    hip = (100, 66)
    arm = (3, 0, 0)  # along the sides
    legs = ((0, 0, 60), (0, 0, 60))
    pose = body(hip, pelvis=180, trunk=180, head=178, arms=(arm, arm), legs=legs)
    return Scene(pose, (Prop("table", 96, 70),), tuple(areas), face=-1)


def _chair_scene(areas: tuple[str, ...]) -> Scene:
    return Scene(_chair_sit(), (MAT, CHAIR), tuple(areas))


def _extent(p: Prop) -> tuple[tuple[float, float], ...]:
    """The corners a prop reaches (the mat and wall stretch to fit the figure)."""
    if p.kind in ("ball", "roller"):
        r = BALL_R if p.kind == "ball" else ROLLER_R
        return (p.x - r, p.y - r), (p.x + r, p.y + r)
    if p.kind == "chair":
        return (p.x - 2, p.y - 32), (p.x + 30, FLOOR)
    if p.kind == "table":
        return (p.x - 66, p.y - 2), (p.x + 66, FLOOR)
    if p.kind == "wall":
        return ((p.x - 4, FLOOR),)
    if p.kind in ("heat", "ice"):
        return (p.x - 9, p.y - 9), (p.x + 9, p.y + 9)
    return ()


def in_between(scenes, beats, motion, steps=8):
    """The poses the animation passes through: each move from key pose to key pose
    (around the loop) in ``steps`` steps; the key poses alone when it cuts."""
    poses = [s.pose for s in scenes]
    if motion != "move" or not beats:
        return poses
    loop = list(beats) + [beats[0]]
    return poses + [skeleton.interpolate(scenes[a].pose, scenes[b].pose, k / steps)
                    for a, b in pairwise(loop) if a != b for k in range(1, steps)]


def frame(scenes, beats=(), motion="still") -> tuple[int, int, int, int]:
    """A viewBox (x, y, width, height) that holds every key pose and every pose in
    between, whole numbers, with a margin: so a figure fills its box at phone size
    whatever its shape."""
    xs, ys = [], []
    for pose in in_between(scenes, beats, motion):
        xs.append(pose.x)
        ys.append(pose.y)
        for name, (_a, (x, y)) in skeleton.joints(pose).items():
            r = HEAD_MARGIN if name == "head" else 3
            xs += [x - r, x + r]
            ys += [y - r, y + r]
    for scene in scenes:
        for p in scene.props:
            for x, y in _extent(p):
                xs.append(x)
                ys.append(y)
    ys.append(FLOOR + 3)
    x0, y0 = math.floor(min(xs)) - 4, math.floor(min(ys)) - 4
    width, height = math.ceil(max(xs)) + 4 - x0, math.ceil(max(ys)) + 2 - y0
    if width < 1.25 * height:  # an upright figure: not too tall on the page
        grow = math.ceil(1.25 * height) - width
        x0, width = x0 - grow // 2, width + grow
    return x0, y0, width, height


HEAD_MARGIN = skeleton.HEAD_RADIUS + 1


def _build() -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    care = _self_care()
    for t in library.TECHNIQUES:
        slug = t["slug"]
        if slug in care:
            names, scenes, beats, motion, words = care[slug]
            figures[slug] = Figure(slug, t["name"], words, names, scenes, beats, motion,
                                   frame(scenes, beats, motion))
            continue
        areas = tuple(t["areas"])
        where = t["body_area"].lower()
        if "upper_body" in areas and len(areas) == 1:
            scene = _chair_scene(areas)
            words = (f"You sit in a chair while your therapist works on your {where}; the "
                     "treated area is marked.")
            names = ("Seated, area marked",)
        else:
            scene = _table_scene(areas)
            words = (f"You lie face down on a treatment table while your therapist works on "
                     f"your {where}; the treated area is marked.")
            names = ("On the table, area marked",)
        figures[slug] = Figure(slug, t["name"], words, names, (scene,), (), "still",
                               frame((scene,)))
    return figures


FIGURES = _build()
