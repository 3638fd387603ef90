"""Moving figures drawn from poses (issue 18): every library technique as a small inline
SVG of a jointed figure, its props and its rhythm.

    fig = figures.for_technique(slug)          # Figure | None
    figures.render(fig, view="animated", uid="x")   # Markup: one <svg>
    figures.SLUGS                              # the slugs that have a figure

skeleton.py: the figure and its kinematics; catalogue.py: each technique's key poses;
svg.py: drawing them. Pure: no Flask, no database, no clock.
"""

from __future__ import annotations

from tracker.domain.figures.catalogue import FIGURES, Figure
from tracker.domain.figures.svg import VIEWS, render

__all__ = ["SLUGS", "VIEWS", "Figure", "for_technique", "render"]

SLUGS: tuple[str, ...] = tuple(FIGURES)


def for_technique(slug: str | None) -> Figure | None:
    """The built-in figure for a library technique's slug; None when there is none (a
    therapist's own technique)."""
    return FIGURES.get(slug) if slug else None
