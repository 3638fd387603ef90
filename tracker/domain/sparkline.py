"""A small leg-pain trend for the roster: an inline SVG line with its words.

Pure: no Flask, no database, no clock. Like charts.py the markup passes a strict Content
Security Policy (no style attributes; looks from presentation attributes and class names),
and the numbers are also said in words (the SVG's title), so the line is never the only
way to read them.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

__all__ = ["WIDTH", "HEIGHT", "describe", "sparkline"]

WIDTH, HEIGHT = 64, 20  # user units, drawn at this size in CSS pixels
_PAD = 2  # room for the dot at the last reading
_MAX = 10  # pain is 0-10


def _n(value: float) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def describe(points: Sequence[tuple[date, int]], days: int) -> str:
    """The trend in words: "Leg pain, last 14 days: 7, 6, 5 (from 7 to 5)"."""
    if not points:
        return f"No leg pain logged in the last {days} days"
    values = [v for _, v in points]
    text = f"Leg pain, last {days} days: {', '.join(str(v) for v in values)}"
    if len(values) == 1:
        return text
    if values[-1] == values[0]:
        return f"{text} (no change)"
    return f"{text} (from {values[0]} to {values[-1]})"


def sparkline(points: Sequence[tuple[date, int]], first: date, last: date) -> Markup:
    """Leg pain (0-10, one reading a day) from ``first`` to ``last`` as a line, the day
    across and the pain up; readings outside the span are left out. No readings: ""."""
    shown = sorted((d, v) for d, v in points if first <= d <= last)
    if not shown:
        return Markup("")
    span = max((last - first).days, 1)
    days = (last - first).days + 1

    def x(day: date) -> float:
        return _PAD + (day - first).days / span * (WIDTH - 2 * _PAD)

    def y(value: int) -> float:
        return HEIGHT - _PAD - min(max(value, 0), _MAX) / _MAX * (HEIGHT - 2 * _PAD)

    coords = " ".join(f"{_n(x(d))},{_n(y(v))}" for d, v in shown)
    end_day, end_value = shown[-1]
    label = escape(describe(shown, days))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
        f'aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" focusable="false"><title>{label}</title>'
        f'<line class="sparkline-axis" x1="0" y1="{HEIGHT - 0.5}" x2="{WIDTH}" '
        f'y2="{HEIGHT - 0.5}" stroke="#d4dbd9" stroke-width="1"/>'
        f'<polyline points="{coords}" fill="none" stroke="#1f5fbf" stroke-width="1.5" '
        f'stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle cx="{_n(x(end_day))}" cy="{_n(y(end_value))}" r="2" fill="#1f5fbf"/></svg>'
    )
