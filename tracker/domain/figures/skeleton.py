"""A jointed human figure seen from the side: rigid segments, joint angles, forward
kinematics.

The figure is a tree of segments hanging from a root at the hip joint. Each segment has a
fixed length; a pose gives only the root's position and one angle per joint, relative to the
parent segment (the pelvis and the thighs, hanging from the root, are relative to the page).
Forward kinematics turns a pose into the joints' positions, so a drawn segment is always
as long as its SEGMENTS length, whatever the angles.

Angles are in degrees in SVG's frame: 0 points right, 90 points down (y grows downwards),
-90 points up. "Near" limbs are the ones on the viewer's side, "far" ones behind the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# name: (parent, length). A parent of None hangs from the root (the hip joint). Lengths in
# viewBox units, in adult proportions (a standing figure is about 100 tall); the head is a
# circle at the end of "head" (the neck).
SEGMENTS: dict[str, tuple[str | None, float]] = {
    "pelvis": (None, 5),
    "trunk": ("pelvis", 25),
    "head": ("trunk", 10),
    "arm_f": ("trunk", 19),
    "forearm_f": ("arm_f", 16),
    "hand_f": ("forearm_f", 6),
    "thigh_f": (None, 26),
    "shin_f": ("thigh_f", 25),
    "foot_f": ("shin_f", 9),
    "arm_n": ("trunk", 19),
    "forearm_n": ("arm_n", 16),
    "hand_n": ("forearm_n", 6),
    "thigh_n": (None, 26),
    "shin_n": ("thigh_n", 25),
    "foot_n": ("shin_n", 9),
}
NAMES = tuple(SEGMENTS)
HEAD_RADIUS = 6
LIMBS = ("arm", "forearm", "hand"), ("thigh", "shin", "foot")
# The drawn chains, far side first: (path class, chains of segment names).
CHAINS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("fig-far", (("arm_f", "forearm_f", "hand_f"), ("thigh_f", "shin_f", "foot_f"))),
    ("fig-body", (("pelvis", "trunk", "head"),)),
    ("fig-near", (("thigh_n", "shin_n", "foot_n"), ("arm_n", "forearm_n", "hand_n"))),
)

Point = tuple[float, float]

# How far a joint turns, where the short way round would cross a limit: a knee bends one
# way (positive: the shin folds behind the thigh) up to about 160 degrees; negative
# values draw a crossed leg (its shin seen across the front of the other thigh).
JOINT_RANGES: dict[str, tuple[float, float]] = {
    "shin_f": (-165, 170),
    "shin_n": (-165, 170),
}


def length(name: str) -> float:
    return SEGMENTS[name][1]


def direction(angle: float) -> Point:
    r = math.radians(angle)
    return math.cos(r), math.sin(r)


@dataclass(frozen=True)
class Pose:
    """The root (hip joint) position and every joint's angle relative to its parent."""

    x: float
    y: float
    angles: tuple[float, ...]  # one per NAMES entry, relative to the parent segment

    def __post_init__(self):
        if len(self.angles) != len(NAMES):
            raise ValueError(f"a pose needs {len(NAMES)} angles, got {len(self.angles)}")

    def relative(self, name: str) -> float:
        return self.angles[NAMES.index(name)]


def absolute_angles(pose: Pose) -> dict[str, float]:
    """Each segment's direction on the page: its joint angle plus its parent's direction."""
    out: dict[str, float] = {}
    for name, angle in zip(NAMES, pose.angles, strict=True):
        parent = SEGMENTS[name][0]
        out[name] = angle + (out[parent] if parent else 0.0)
    return out


def from_absolute(x: float, y: float, directions: dict[str, float]) -> Pose:
    """The pose whose segments point in these page directions (the way poses are authored)."""
    rel = []
    for name in NAMES:
        parent = SEGMENTS[name][0]
        a = directions[name] - (directions[parent] if parent else 0.0)
        rel.append((a + 180) % 360 - 180)  # the short way round: (-180, 180]
    return Pose(x, y, tuple(rel))


def joints(pose: Pose) -> dict[str, tuple[Point, Point]]:
    """Forward kinematics: each segment's (start, end) point on the page."""
    directions = absolute_angles(pose)
    out: dict[str, tuple[Point, Point]] = {}
    for name in NAMES:
        parent, size = SEGMENTS[name]
        start = out[parent][1] if parent else (pose.x, pose.y)
        dx, dy = direction(directions[name])
        out[name] = (start, (start[0] + size * dx, start[1] + size * dy))
    return out


def shoulder(x: float, y: float, pelvis: float, trunk: float) -> Point:
    """Where the arms hang from, for a root at (x, y) and these page directions."""
    px, py = direction(pelvis)
    tx, ty = direction(trunk)
    return (x + length("pelvis") * px + length("trunk") * tx,
            y + length("pelvis") * py + length("trunk") * ty)


def reach(origin: Point, target: Point, upper: float, lower: float, bend: int) -> tuple[float,
                                                                                          float]:
    """Two-segment inverse kinematics: the page directions of an upper and a lower segment
    from ``origin`` whose end lands on ``target`` (or points at it when out of reach).
    ``bend`` +1 puts the middle joint clockwise of the line origin-target, -1 anticlockwise."""
    dx, dy = target[0] - origin[0], target[1] - origin[1]
    base = math.degrees(math.atan2(dy, dx))
    d = min(max(math.hypot(dx, dy), abs(upper - lower) + 1e-6), upper + lower - 1e-6)
    cos_a = (upper * upper + d * d - lower * lower) / (2 * upper * d)
    a1 = base + bend * math.degrees(math.acos(max(-1.0, min(1.0, cos_a))))
    ux, uy = direction(a1)
    mx, my = origin[0] + upper * ux, origin[1] + upper * uy
    if math.hypot(dx, dy) >= upper + lower:
        return base, base
    return a1, math.degrees(math.atan2(target[1] - my, target[0] - mx))


def unwrap(series: list[float], name: str = "") -> list[float]:
    """A joint's angles in turn, each the short way round from the one before (so a joint
    never spins), unless that way leaves the joint's range (a knee never bends forwards)."""
    low, high = JOINT_RANGES.get(name, (-math.inf, math.inf))
    out = [series[0]]
    for a in series[1:]:
        while a - out[-1] > 180:
            a -= 360
        while a - out[-1] < -180:
            a += 360
        if not low <= a <= high:
            a += 360 if a < low else -360
        out.append(a)
    return out


def interpolate(a: Pose, b: Pose, t: float) -> Pose:
    """The pose a fraction ``t`` of the way from a to b, joint by joint, the way the
    animation turns them: the segments stay rigid, only the angles turn."""
    angles = []
    for name, p, q in zip(NAMES, a.angles, b.angles, strict=True):
        p, q = unwrap([p, q], name)
        angles.append(p + (q - p) * t)
    return Pose(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, tuple(angles))
