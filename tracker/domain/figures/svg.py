"""A figure as one inline SVG element: animated, the key poses side by side, or one pose.

No script, no <style>, no style= attribute (the CSP forbids them): the animation is SMIL
(<animateTransform> turning each joint, so the segments stay rigid while they move), the
looks are classes whose rules are in static/css/app.css ("figures (issue 18)"), with
presentation attributes on the <svg> so it still reads without that stylesheet. Under
prefers-reduced-motion the stylesheet hides the animation and shows the key poses
side by side, drawn in the same <svg>.
"""

from __future__ import annotations

import math
from itertools import pairwise

from markupsafe import Markup, escape

from tracker.domain.figures import skeleton
from tracker.domain.figures.catalogue import BEAT, FLOOR, Figure, Prop, Scene
from tracker.domain.figures.skeleton import HEAD_RADIUS, NAMES, SEGMENTS

VIEWS = ("animated", "poses", "pose")
_ON_TOP = {"heat", "ice"}  # drawn over the body; every other prop lies behind it
_LIMB_CLASS = {"thigh_f": "fig-far", "arm_f": "fig-far", "thigh_n": "fig-near",
               "arm_n": "fig-near"}


def n(v: float) -> str:
    """A coordinate with at most one decimal, no trailing zero, no "-0", no leading 0."""
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    if s in ("-0", ""):
        return "0"
    return s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s


def _pair(x: float, y: float) -> str:
    b = n(y)
    return n(x) + ("" if b.startswith("-") else " ") + b


def chain_d(points) -> str:
    """A polyline as path data: the first point, then each step relative to the one before
    (from rounded points, so rounding never adds up along a limb)."""
    r = [(round(x, 1), round(y, 1)) for x, y in points]
    return "M" + _pair(*r[0]) + "".join(
        "l" + _pair(b[0] - a[0], b[1] - a[1]) for a, b in pairwise(r))


# --- props ----------------------------------------------------------------------------

def prop(p: Prop, box) -> str:
    x, y = p.x, p.y
    if p.kind == "mat":
        return f'<path class="fig-mat" d="M{box[0] + 3} {n(FLOOR + 1.5)}h{box[2] - 6}"/>'
    if p.kind == "wall":
        return f'<path class="fig-wall" d="M{n(x - 2)} {box[1]}V{FLOOR}"/>'
    if p.kind == "chair":  # seen from the side, facing right; (x, y): back of the seat
        return (f'<path class="fig-chair" d="M{n(x)} {n(y - 30)}V{FLOOR}M{n(x)} {n(y + 5)}'
                f'h28V{FLOOR}"/>')
    if p.kind == "table":
        return (f'<path class="fig-table" d="M{n(x - 64)} {n(y)}h128M{n(x - 54)} {n(y)}'
                f'V{FLOOR}M{n(x + 54)} {n(y)}V{FLOOR}"/>')
    if p.kind in ("ball", "roller"):
        r = 4.5 if p.kind == "ball" else 7
        return f'<circle class="fig-{p.kind}" cx="{n(x)}" cy="{n(y)}" r="{r}"/>'
    if p.kind in ("heat", "ice"):
        turn = f' transform="rotate({n(p.angle)} {n(x)} {n(y)})"' if p.angle else ""
        inner = f'<rect class="fig-{p.kind}" x="{n(x - 7)}" y="{n(y - 2.5)}" width="14" ' \
                f'height="5" rx="2"/>'
        if p.kind == "ice":  # wrapped: a cloth round the pack
            inner = (f'<rect class="fig-cloth" x="{n(x - 9)}" y="{n(y - 3.5)}" width="18" '
                     f'height="7" rx="2"/>' + inner)
        return f"<g{turn}>{inner}</g>" if turn else inner
    raise ValueError(f"no such prop: {p.kind}")


# --- a still pose -----------------------------------------------------------------------

def _point(p) -> str:
    return f"{n(p[0])} {n(p[1])}"


def _along(j, name, t0, t1) -> tuple:
    (ax, ay), (bx, by) = j[name]
    return ((ax + (bx - ax) * t0, ay + (by - ay) * t0), (ax + (bx - ax) * t1, ay + (by - ay) * t1))


# Where each body area is on the figure: (segment, from, to) fractions of its length.
AREA_PARTS = {
    "lower_back": (("pelvis", 0.5, 1), ("trunk", 0, 0.45)),
    "glutes_hips": (("pelvis", 0, 1), ("thigh_n", 0, 0.25)),
    "thighs": (("thigh_n", 0.2, 1),),
    "lower_legs": (("shin_n", 0.05, 1),),
    "upper_body": (("trunk", 0.55, 1), ("head", 0, 0.5)),
}


def marks(scene: Scene) -> str:
    if not scene.marks:
        return ""
    j = skeleton.joints(scene.pose)
    d = "".join(f"M{_point(a)}L{_point(b)}" for area in scene.marks
                for a, b in (_along(j, *part) for part in AREA_PARTS[area]))
    return f'<path class="fig-mark" d="{d}"/>'


def _nose(face: int, size: float) -> str:
    """A small nose on the head (in the neck's frame), so the figure shows which way it
    faces."""
    return f'<path class="fig-nose" d="M{n(size)} {HEAD_RADIUS * face}v{2.5 * face}"/>'


def body(pose: skeleton.Pose, face: int = 1) -> str:
    j = skeleton.joints(pose)
    out = []
    for cls, chains in skeleton.CHAINS:
        d = "".join(chain_d([j[c[0]][0]] + [j[s][1] for s in c]) for c in chains)
        out.append(f'<path class="{cls}" d="{d}"/>')
    hx, hy = j["head"][1]
    a = math.radians(skeleton.absolute_angles(pose)["head"] + 90 * face)
    tip = [(hx + r * math.cos(a), hy + r * math.sin(a)) for r in (HEAD_RADIUS, HEAD_RADIUS + 2.5)]
    out.insert(2, f'<circle class="fig-head" cx="{n(hx)}" cy="{n(hy)}" r="{HEAD_RADIUS}"/>'
               f'<path class="fig-nose" d="{chain_d(tip)}"/>')
    return "".join(out)


def still(scene: Scene, box) -> str:
    behind = "".join(prop(p, box) for p in scene.props if p.kind not in _ON_TOP)
    top = "".join(prop(p, box) for p in scene.props if p.kind in _ON_TOP)
    return behind + marks(scene) + body(scene.pose, scene.face) + top


# --- the animation ----------------------------------------------------------------------

class _Timeline:
    def __init__(self, fig: Figure):
        self.fig = fig
        self.discrete = fig.motion == "cut"
        beats = list(fig.beats)
        if self.discrete:  # runs of one length: one value each, the same time on screen
            runs = [beats[0]] + [b for a, b in pairwise(beats) if a != b]
            if len(beats) % len(runs) == 0 and beats == [r for r in runs
                                                         for _ in range(len(beats) // len(runs))]:
                beats, self_dur = runs, len(beats)
            else:
                self_dur = len(beats)
        # linear: back to the first pose at the end of the loop; discrete: one value a beat
        self.frames = beats if self.discrete else beats + beats[:1]
        self.dur = f"{n((self_dur if self.discrete else len(beats)) * BEAT)}s"

    def animate(self, attribute: str, values: list[str], kind: str = "", add=True) -> str:
        mode = ' calcMode="discrete"' if self.discrete or attribute == "opacity" else ""
        # a switch lasts a beat: without the closing frame a linear loop ends on
        frames = values[:-1] if attribute == "opacity" and not self.discrete else values
        tag = "animateTransform" if kind else "animate"
        what = f' type="{kind}"' + (' additive="sum"' if add else "") if kind else ""
        return (f'<{tag} attributeName="{attribute}"{what} values="{";".join(frames)}" '
                f'dur="{self.dur}"{mode} repeatCount="indefinite"/>')


def _children(name: str | None) -> list[str]:
    kids = [c for c in NAMES if SEGMENTS[c][0] == name]
    if name is None:  # far leg, body, near leg
        return ["thigh_f", "pelvis", "thigh_n"]
    if name == "trunk":
        return ["arm_f", "head", "arm_n"]
    return kids


def _skeleton(fig: Figure, tl: _Timeline, uid: str) -> str:
    poses = [fig.scenes[i].pose for i in tl.frames]

    def series(name: str) -> list[float]:
        return skeleton.unwrap([p.relative(name) for p in poses], name)

    def chain(name: str) -> tuple:
        """A limb's motion, to draw a near limb that moves as the far one as a <use>."""
        kids = _children(name)
        return (tuple(round(a) for a in series(name)),) + (chain(kids[0]) if kids else ())

    def noses(size: float) -> str:
        faces = [fig.scenes[i].face for i in tl.frames]
        if len(set(faces)) == 1:
            return _nose(faces[0], size)
        hidden = ' opacity="0"'
        return "".join(
            f'<g{"" if faces[0] == f else hidden}>'
            f'{tl.animate("opacity", ["1" if x == f else "0" for x in faces])}'
            f"{_nose(f, size)}</g>" for f in (1, -1))

    def group(name: str) -> str:
        parent = SEGMENTS[name][0]
        offset = SEGMENTS[parent][1] if parent else 0
        angles = series(name)
        move = f"translate({n(offset)})" if offset else ""
        side = _LIMB_CLASS.get(name)
        if side == "fig-near" and chain(name) == chain(name[:-1] + "f"):
            return f'<use href="#{uid}-{name[:-2]}" class="{side}"/>'
        if len({round(a) for a in angles}) == 1:
            turn = move + (f"rotate({n(angles[0])})" if round(angles[0], 1) else "")
            anim = ""
        else:
            turn = move
            anim = tl.animate("transform", [n(round(a)) for a in angles], "rotate")
        attr = f' transform="{turn}"' if turn else ""
        size = SEGMENTS[name][1]
        inner = f'<path d="M0 0h{n(size)}"/>'
        if name == "head":
            inner = (f'<path d="M0 0h{n(size - HEAD_RADIUS)}"/><circle class="fig-head" '
                     f'cx="{n(size)}" cy="0" r="{HEAD_RADIUS}"/>') + noses(size)
        kids = _children(name)
        if name == "trunk":  # far arm behind the trunk, near arm in front
            content = group(kids[0]) + inner + group(kids[1]) + group(kids[2])
        else:
            content = inner + "".join(group(k) for k in kids)
        if side == "fig-far" and chain(name) == chain(name[:-1] + "n"):
            # the near limb reuses it (<use>): its id, and no class of its own
            return f'<g class="{side}"><g id="{uid}-{name[:-2]}"{attr}>{anim}{content}</g></g>'
        return f"<g{attr}>{anim}{content}</g>" if side is None else \
            f'<g class="{side}"{attr}>{anim}{content}</g>'

    xs = [f"{n(p.x)} {n(p.y)}" for p in poses]
    root_anim = "" if len(set(xs)) == 1 else tl.animate("transform", xs, "translate", False)
    inner = "".join(group(k) for k in _children(None))
    return f'<g class="fig-body" transform="translate({xs[0]})">{root_anim}{inner}</g>'


def _props_animated(fig: Figure, tl: _Timeline, on_top: bool) -> str:
    everywhere = set(fig.scenes[0].props).intersection(*(s.props for s in fig.scenes))
    out = []
    seen: list[Prop] = []
    for s in fig.scenes:
        for p in s.props:
            if (p.kind in _ON_TOP) == on_top and p not in seen:
                seen.append(p)
    for p in seen:
        if p in everywhere:
            out.append(prop(p, fig.box))
            continue
        values = ["1" if p in fig.scenes[i].props else "0" for i in tl.frames]
        start = "" if values[0] == "1" else ' opacity="0"'
        out.append(f"<g{start}>{tl.animate('opacity', values)}{prop(p, fig.box)}</g>")
    return "".join(out)


def animated(fig: Figure, uid: str) -> str:
    if len(fig.scenes) == 1 or not fig.beats:
        return still(fig.scenes[0], fig.box)
    tl = _Timeline(fig)
    x0, y0, w, h = fig.box
    # half size: two in a row, or three or four in two rows
    cells = ((0, h / 4), (w / 2, h / 4)) if len(fig.scenes) == 2 else \
        ((0, 0), (w / 2, 0), (0, h / 2), (w / 2, h / 2))
    places = [f'transform="translate({n(x0 / 2 + x)} {n(y0 / 2 + y)})scale(.5)"'
              for x, y in cells]
    if tl.discrete:
        # A cut from pose to pose: each key pose drawn once, shown in its turn; the
        # side-by-side view reuses them.
        hidden = ' opacity="0"'
        moving = "".join(
            f'<g{"" if i == tl.frames[0] else hidden}>'
            f'{tl.animate("opacity", ["1" if f == i else "0" for f in tl.frames])}'
            f'<g id="{uid}-p{i}">{still(s, fig.box)}</g></g>' for i, s in enumerate(fig.scenes))
        stills = "".join(f'<use href="#{uid}-p{i}" {places[i]}/>'
                         for i in range(len(fig.scenes)))
    else:
        moving = (_props_animated(fig, tl, False) + _skeleton(fig, tl, uid)
                  + _props_animated(fig, tl, True))
        stills = "".join(f"<g {place}>{still(s, fig.box)}</g>"
                         for s, place in zip(fig.scenes, places, strict=False))
    return f'<g class="fig-anim">{moving}</g><g class="fig-stills" display="none">{stills}</g>'


# --- the element ----------------------------------------------------------------------

def render(fig: Figure, view: str = "animated", uid: str = "fig", pose: int = 0) -> Markup:
    """One <svg> element for this figure (see figures_api: views "animated", "poses",
    "pose" with ``pose`` its index)."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}")
    uid = str(escape(uid))
    x0, y0, width, height = fig.box
    if view == "animated":
        inner = animated(fig, uid)
    elif view == "poses":
        inner = "".join(f'<g transform="translate({i * width})">{still(s, fig.box)}</g>' if i
                        else f"<g>{still(s, fig.box)}</g>" for i, s in enumerate(fig.scenes))
        width *= len(fig.scenes)
    else:
        if not 0 <= pose < len(fig.scenes):
            raise IndexError(f"{fig.slug} has {len(fig.scenes)} key poses, not {pose + 1}")
        inner = still(fig.scenes[pose], fig.box)
    title = fig.title if view != "pose" else f"{fig.title}: {fig.pose_names[pose]}"
    desc = fig.description
    if view == "poses" and len(fig.pose_names) > 1:
        desc += " Key poses, left to right: " + "; ".join(fig.pose_names) + "."
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0} {y0} {width} {height}" '
        f'class="figure figure--{fig.slug} figure--{view}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" fill="none" stroke="currentColor" '
        f'stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        f"{inner}</svg>"
    )
