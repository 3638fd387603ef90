"""Technique figures on pages: the template globals that put a built-in technique's
figure (tracker/domain/figures) inline, and which pose the hold timer shows in each phase."""
from functools import lru_cache

from flask import Flask
from markupsafe import Markup

from tracker.domain import figures

# Words in a pose's name that make it the "between holds" pose of the hold timer.
_REST_WORDS = ("release", "relax", "rest", "lower", "between")


@lru_cache(maxsize=4096)
def figure(slug: str | None, view: str = "animated", uid: str = "figure",
           pose: int = 0) -> Markup:
    """The technique's figure as inline SVG, or nothing when it has none. Remembered: the
    drawing is pure and the same for the same arguments (it was half of /today's CPU)."""
    fig = figures.for_technique(slug)
    return figures.render(fig, view=view, uid=uid, pose=pose) if fig else Markup("")


def figure_of(slug: str | None) -> figures.Figure | None:
    """The technique's Figure (its title, description and pose names), or None."""
    return figures.for_technique(slug)


def timer_roles(fig: figures.Figure) -> list[str]:
    """Each key pose's part in the hold timer, in order: "hold-left", "hold-right" (a side's
    hold, by the side its name says), "hold" (a hold on no side) or "rest" (between holds).
    The timer (static/js/timer.js) shows the pose whose role matches the step it is on,
    falling back to any hold."""
    roles = []
    for name in fig.pose_names:
        words = name.lower()
        if any(word in words for word in _REST_WORDS):
            roles.append("rest")
        elif "left" in words:
            roles.append("hold-left")
        elif "right" in words:
            roles.append("hold-right")
        else:
            roles.append("hold")
    return roles


def init_app(app: Flask) -> None:
    app.add_template_global(figure)
    app.add_template_global(figure_of)
    app.add_template_global(timer_roles)
