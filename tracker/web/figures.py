"""Technique figures on pages: the template globals that put a built-in technique's
figure (tracker/domain/figures) inline, and which pose the hold timer shows in each phase."""
from flask import Flask
from markupsafe import Markup

from tracker.domain import figures

# Words in a pose's name that make it the "between holds" pose of the hold timer.
_REST_WORDS = ("release", "relax", "rest", "lower", "between")


def figure(slug: str | None, view: str = "animated", uid: str = "figure",
           pose: int = 0) -> Markup:
    """The technique's figure as inline SVG, or nothing when it has none."""
    fig = figures.for_technique(slug)
    return figures.render(fig, view=view, uid=uid, pose=pose) if fig else Markup("")


def figure_of(slug: str | None) -> figures.Figure | None:
    """The technique's Figure (its title, description and pose names), or None."""
    return figures.for_technique(slug)


def timer_roles(fig: figures.Figure) -> list[str]:
    """Each key pose's part in the hold timer, in order: "hold-0", "hold-1" (the first and
    second side's hold) or "rest". The timer (static/js/timer.js) shows the pose whose role
    matches the phase it is in, falling back to the first hold."""
    roles, holds = [], 0
    for name in fig.pose_names:
        if any(word in name.lower() for word in _REST_WORDS):
            roles.append("rest")
        else:
            roles.append(f"hold-{holds}")
            holds += 1
    return roles


def init_app(app: Flask) -> None:
    app.add_template_global(figure)
    app.add_template_global(figure_of)
    app.add_template_global(timer_roles)
