"""PLACEHOLDER: replaced by F1's module at merge.

The figures interface (see /work/notes/figures_api.md): ``for_technique(slug)`` gives a
built-in technique's ``Figure`` or None, ``render(fig, view, uid, pose)`` one inline <svg>.
This stand-in draws one stick figure per key pose so the pages that show figures (today,
how-to, timer, builder, handout) can be built and tested before the real drawings land.
Pure: no Flask, no peewee, no clock.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from tracker.domain import library

__all__ = ["SLUGS", "VIEWS", "Figure", "for_technique", "render"]

VIEWS = ("animated", "poses", "pose")
_SIDED = ("Hold, right side", "Release", "Hold, left side")
_HELD = ("Hold", "Release")
_SESSION = ("Lying on the table", "Area treated")


@dataclass(frozen=True, slots=True)
class Figure:
    """A technique's figure: its key poses, by name, and the movement in words."""

    slug: str
    title: str
    description: str
    pose_names: tuple[str, ...]


def _figure(technique: dict) -> Figure:
    if technique["kind"] == "session":
        poses = _SESSION
    elif technique["dose"].get("per_side"):
        poses = _SIDED
    else:
        poses = _HELD
    steps = " ".join(technique.get("instructions", ())) or technique["summary"]
    return Figure(technique["slug"], technique["name"], steps, poses)


_FIGURES = {t["slug"]: _figure(t) for t in library.TECHNIQUES}
SLUGS = frozenset(_FIGURES)


def for_technique(slug: str | None) -> Figure | None:
    """The built-in figure for a technique's slug; None when there is none."""
    return _FIGURES.get(slug or "")


def _stick(index: int, x: int) -> str:
    """One stick figure, leaning a little differently for each pose."""
    lean = (index % 3 - 1) * 12
    return (
        f'<g class="pose pose-{index}" transform="translate({x} 0)">'
        f'<circle cx="{50 + lean}" cy="18" r="9" fill="none" stroke="currentColor" '
        f'stroke-width="4"/>'
        f'<path d="M{50 + lean} 27 L50 60 M50 60 L36 92 M50 60 L64 92 M{50 + lean // 2} 38 '
        f'L30 52 M{50 + lean // 2} 38 L70 52" fill="none" stroke="currentColor" '
        f'stroke-width="4" stroke-linecap="round"/></g>'
    )


def render(fig: Figure, view: str = "animated", uid: str = "figure", pose: int = 0) -> Markup:
    """One inline <svg>: the poses side by side ("animated", "poses") or one ("pose")."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}")
    indices = [pose] if view == "pose" else list(range(len(fig.pose_names)))
    if view == "pose" and not 0 <= pose < len(fig.pose_names):
        raise ValueError(f"no pose {pose} in {fig.slug}")
    title = fig.title if view != "pose" else f"{fig.title}: {fig.pose_names[pose]}"
    body = "".join(_stick(i, 100 * n) for n, i in enumerate(indices))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {100 * len(indices)} 100" '
        f'class="figure figure--{escape(fig.slug)} figure--{view}" role="img" '
        f'aria-labelledby="{escape(uid)}-title {escape(uid)}-desc">'
        f'<title id="{escape(uid)}-title">{escape(title)}</title>'
        f'<desc id="{escape(uid)}-desc">{escape(fig.description)}</desc>{body}</svg>'
    )
