"""Server-rendered SVG charts of pain and adherence, with their text alternatives.

Pure: no Flask, no database, no clock. The markup passes a strict Content Security
Policy: no style attributes, no <style>, no script; looks come from presentation
attributes (fill, stroke, ...) that a stylesheet can override through the class names.
Every piece of text is escaped; coordinates are rounded to one decimal.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

from .progress import PainPoint, WeekAdherence, percent

__all__ = ["adherence_chart", "date_ticks", "pain_chart", "pain_table"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ID_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_WIDTH = 360  # user units; at width="100%" on a 360 px phone, 1 unit is 1 px
# Text is 12 units, and every label has room for 16: the stylesheet sets 14 and 16 on
# narrow screens, where the chart is drawn at 250-330 px and 12 units would be under 11 px.
_FONT = 12
_MAX_FONT = 16
_LEG_COLOUR = "#1f5fbf"
_BACK_COLOUR = "#6b6f76"
_BAR_COLOUR = "#2f7d4f"


def _n(value: float) -> str:
    """A coordinate with at most one decimal: 12, 12.5, never -0."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _full_day(day: date) -> str:
    return f"{_day(day)} {day.year}"


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _check_prefix(id_prefix: str) -> str:
    if not isinstance(id_prefix, str) or not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError("id_prefix must be 1-40 of a-z, 0-9 and '-', starting with a "
                         f"letter or digit (got {id_prefix!r})")
    return id_prefix


def _open_svg(id_prefix: str, height: int, title: str, desc: str, css_class: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" font-size="{_FONT}" fill="currentColor">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>',
    ]


def _empty_chart(id_prefix: str, title: str, message: str, css_class: str) -> Markup:
    parts = _open_svg(id_prefix, 48, title, message, css_class)
    parts.append(f'<text class="chart-empty" x="{_WIDTH // 2}" y="28" '
                 f'text-anchor="middle">{escape(message)}</text></svg>')
    return Markup("".join(parts))


def _label_every(count: int, slot: float, label_width: float) -> int:
    """Label every k-th slot so that labels `label_width` wide never overlap."""
    k = 1
    while k * slot < label_width and k < count:
        k += 1
    return k


# --------------------------------------------------------------------------- pain

# The plot area inside the viewBox: room for the legend above, the 0-10 labels on
# the left, the "start" label on the right and the dates below.
_P_LEFT, _P_RIGHT, _P_TOP, _P_BOTTOM, _P_HEIGHT = 26, 314, 34, 196, 224
_BACK_MARK = 6  # the side of a back-pain reading's square


def _pain_desc(points: Sequence[PainPoint], baseline: float | None) -> str:
    latest = points[-1]
    count = "1 check-in" if len(points) == 1 else f"{len(points)} check-ins"
    text = (f"{count}. Latest, {_day(latest.day)}: leg pain {latest.leg}, "
            f"back pain {latest.back} (0 is no pain, 10 the worst).")
    if baseline is None:
        return text + " No starting level yet."
    return text + f" Leg pain in the first week averaged {_num(baseline)}."


def pain_chart(points: Sequence[PainPoint], first: date, last: date, baseline: float | None,
               id_prefix: str = "pain") -> Markup:
    """Leg pain (solid, with dots) and back pain (dashed) from `first` to `last`.

    The first week's leg pain is a line labelled "start"; the shaded band around it
    is the +/- 2 points within which a change is too small to mean much.
    """
    id_prefix = _check_prefix(id_prefix)
    title = f"Leg and back pain, {_full_day(first)} to {_full_day(last)}"
    shown = sorted((p for p in points if first <= p.day <= last), key=lambda p: p.day)
    if not shown:
        return _empty_chart(id_prefix, title, "No check-ins yet", "pain-chart")

    span = (last - first).days

    def x(day: date) -> float:
        if span == 0:
            return (_P_LEFT + _P_RIGHT) / 2
        return _P_LEFT + (day - first).days / span * (_P_RIGHT - _P_LEFT)

    def y(pain: float) -> float:
        pain = min(10.0, max(0.0, pain))
        return _P_BOTTOM - pain / 10 * (_P_BOTTOM - _P_TOP)

    parts = _open_svg(id_prefix, _P_HEIGHT, title, _pain_desc(shown, baseline), "pain-chart")
    parts += _pain_legend(baseline is not None)
    if baseline is not None:
        top, bottom = y(baseline + 2), y(baseline - 2)
        parts.append(f'<rect class="pain-band" x="{_P_LEFT}" y="{_n(top)}" '
                     f'width="{_P_RIGHT - _P_LEFT}" height="{_n(bottom - top)}" '
                     f'fill="{_LEG_COLOUR}" fill-opacity="0.1"/>')
    parts += _pain_axes(first, last, x)
    if baseline is not None:
        level = _n(y(baseline))
        parts.append(f'<line class="pain-baseline" x1="{_P_LEFT}" y1="{level}" x2="{_P_RIGHT}" '
                     f'y2="{level}" stroke="currentColor" stroke-width="1.5" '
                     f'stroke-dasharray="1 3" stroke-linecap="round"/>'
                     f'<text class="pain-baseline-label" x="{_P_RIGHT + 4}" y="{level}" '
                     f'dy="0.35em">start</text>')

    def path(values: list[tuple[date, int]]) -> str:
        return "M" + "L".join(f"{_n(x(d))},{_n(y(v))}" for d, v in values)

    parts.append(f'<path class="pain-back" d="{path([(p.day, p.back) for p in shown])}" '
                 f'fill="none" stroke="{_BACK_COLOUR}" stroke-width="1.5" '
                 f'stroke-dasharray="5 4" stroke-linejoin="round"/>')
    parts.append(f'<path class="pain-leg" d="{path([(p.day, p.leg) for p in shown])}" '
                 f'fill="none" stroke="{_LEG_COLOUR}" stroke-width="3" '
                 f'stroke-linejoin="round" stroke-linecap="round"/>')
    # Back pain has its own marks (squares: they differ from the leg's dots without colour),
    # so that a single reading, or one between gaps, shows where a path alone draws nothing.
    parts.append(f'<g class="pain-back-marks" fill="{_BACK_COLOUR}">')
    for p in shown:
        parts.append(f'<rect x="{_n(x(p.day) - _BACK_MARK / 2)}" '
                     f'y="{_n(y(p.back) - _BACK_MARK / 2)}" width="{_BACK_MARK}" '
                     f'height="{_BACK_MARK}"/>')
    parts.append("</g>")
    parts.append(f'<g class="pain-dots" fill="{_LEG_COLOUR}">')
    for p in shown:
        label = f"{_day(p.day)}: leg pain {p.leg}, back pain {p.back}"
        parts.append(f'<circle cx="{_n(x(p.day))}" cy="{_n(y(p.leg))}" r="3.5">'
                     f'<title>{escape(label)}</title></circle>')
    parts.append("</g></svg>")
    return Markup("".join(parts))


def _pain_legend(with_band: bool) -> list[str]:
    parts = [
        '<g class="chart-legend">',
        f'<line x1="{_P_LEFT}" y1="12" x2="{_P_LEFT + 22}" y2="12" stroke="{_LEG_COLOUR}" '
        'stroke-width="3" stroke-linecap="round"/>'
        f'<circle cx="{_P_LEFT + 11}" cy="12" r="3.5" fill="{_LEG_COLOUR}"/>'
        f'<text x="{_P_LEFT + 28}" y="12" dy="0.35em">Leg pain</text>',
        f'<line x1="{_P_LEFT + 104}" y1="12" x2="{_P_LEFT + 126}" y2="12" '
        f'stroke="{_BACK_COLOUR}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        f'<rect x="{_P_LEFT + 115 - _BACK_MARK / 2}" y="{12 - _BACK_MARK / 2}" '
        f'width="{_BACK_MARK}" height="{_BACK_MARK}" fill="{_BACK_COLOUR}"/>'
        f'<text x="{_P_LEFT + 132}" y="12" dy="0.35em">Back pain</text>',
    ]
    if with_band:
        parts.append(f'<rect x="{_P_LEFT + 222}" y="6" width="16" height="12" '
                     f'fill="{_LEG_COLOUR}" fill-opacity="0.1"/>'
                     f'<text x="{_P_LEFT + 244}" y="12" dy="0.35em">start \u00b12</text>')
    parts.append("</g>")
    return parts


def _pain_axes(first: date, last: date, x: Callable[[date], float]) -> list[str]:
    parts = ['<g class="chart-grid" stroke="currentColor" stroke-opacity="0.15">']
    for level in range(0, 11, 2):
        at = _n(_P_BOTTOM - level / 10 * (_P_BOTTOM - _P_TOP))
        parts.append(f'<line x1="{_P_LEFT}" y1="{at}" x2="{_P_RIGHT}" y2="{at}"/>')
    parts.append('</g><g class="chart-axis" text-anchor="end">')
    for level in range(0, 11, 2):
        at = _n(_P_BOTTOM - level / 10 * (_P_BOTTOM - _P_TOP))
        parts.append(f'<text x="{_P_LEFT - 6}" y="{at}" dy="0.35em">{level}</text>')
    parts.append("</g>")
    parts += _date_labels(first, last, x)
    return parts


# Steps between date labels, in days: whole days for a short chart, else whole weeks.
_TICK_STEPS = (1, 2, 7, 14, 28, 56, 91, 182, 364)
_MAX_TICKS = 5  # five dates of up to 16 units fit under the plot


def date_ticks(first: date, last: date) -> list[date]:
    """The dates to label under a chart from `first` to `last`: evenly spaced (the same
    number of days apart, a week or a multiple when the chart spans more than a week),
    counted back from `last` so the latest day is always labelled, at most five."""
    span = (last - first).days
    if span <= 0:
        return [last]
    # Days apart only while five ticks cover it (8 days at most); whole weeks beyond, so
    # the labels fall on one weekday (9 days two apart would fit, but skip its first day).
    steps = _TICK_STEPS if span <= 2 * (_MAX_TICKS - 1) else _TICK_STEPS[2:]
    step = next((s for s in steps if span // s + 1 <= _MAX_TICKS),
                7 * -(-span // (7 * (_MAX_TICKS - 1))))
    return [date.fromordinal(last.toordinal() - k * step) for k in range(span // step, -1, -1)]


def _date_labels(first: date, last: date, x: Callable[[date], float]) -> list[str]:
    """The evenly spaced dates under the plot; a label at either end is aligned inwards."""
    return date_axis(first, last, x, _P_LEFT, _P_RIGHT, _P_BOTTOM)


def date_axis(first: date, last: date, x: Callable[[date], float], left: float,
              right: float, bottom: float) -> list[str]:
    """SVG for the dates under a plot spanning ``left``..``right`` above ``bottom``: a short
    mark at each of ``date_ticks`` and its label, a label at either end aligned inwards (the
    pain chart and the questionnaire charts)."""
    half_label = _MAX_FONT * 1.7  # "28 Oct" is about 3.3 em wide
    ticks = date_ticks(first, last)
    # A short mark at each date shows the even spacing where an end label is aligned inwards.
    parts = ['<g class="chart-ticks" stroke="currentColor" stroke-opacity="0.5">']
    parts += [f'<line x1="{_n(x(day))}" y1="{_n(bottom)}" x2="{_n(x(day))}" '
              f'y2="{_n(bottom + 5)}"/>' for day in ticks]
    parts.append('</g><g class="chart-axis">')
    for day in ticks:
        at = x(day)
        if first == last:
            anchor = "middle"
        elif day == last or at > right - half_label:
            anchor = "end"
        elif at < left + half_label:
            anchor = "start"
        else:
            anchor = "middle"
        parts.append(f'<text x="{_n(at)}" y="{_n(bottom + 22)}" '
                     f'text-anchor="{anchor}">{escape(_day(day))}</text>')
    parts.append("</g>")
    return parts


def pain_table(points: Sequence[PainPoint]) -> Markup:
    """The check-ins as a table, newest first: the chart's text alternative."""
    if not points:
        return Markup('<p class="pain-table-empty">No check-ins yet.</p>')
    rows = "".join(
        f'<tr><th scope="row">{escape(_full_day(p.day))}</th>'
        f"<td>{escape(p.leg)}</td><td>{escape(p.back)}</td></tr>"
        for p in sorted(points, key=lambda p: p.day, reverse=True)
    )
    return Markup(
        '<table class="pain-table"><caption>Pain check-ins, newest first '
        "(0 is no pain, 10 the worst)</caption>"
        '<thead><tr><th scope="col">Date</th><th scope="col">Leg pain</th>'
        f'<th scope="col">Back pain</th></tr></thead><tbody>{rows}</tbody></table>'
    )


# --------------------------------------------------------------------------- adherence

_A_LEFT, _A_RIGHT, _A_TOP, _A_BOTTOM, _A_HEIGHT = 14, 346, 28, 124, 150


def _percent(week: WeekAdherence) -> str:
    return "\u2014" if week.percent is None else f"{week.percent}%"


def _adherence_desc(weeks: Sequence[WeekAdherence]) -> str:
    count = "1 week" if len(weeks) == 1 else f"{len(weeks)} weeks"
    latest = weeks[-1]
    if latest.ratio is None:
        text = f"{count}. Week of {_day(latest.week_start)}: nothing to do or all skipped."
    else:
        text = (f"{count}. Week of {_day(latest.week_start)}: {latest.done} of "
                f"{latest.counted} done ({latest.percent}%).")
    done = sum(w.done for w in weeks)
    counted = sum(w.counted for w in weeks)
    if counted > 0:
        text += f" Overall {done} of {counted} done ({percent(done, counted)}%)."
    return text + " Skipped items are not counted."


def adherence_chart(weeks: Sequence[WeekAdherence], id_prefix: str = "adherence") -> Markup:
    """A bar per week: the share of counted items done, the percentage above each bar."""
    id_prefix = _check_prefix(id_prefix)
    if not weeks:
        return _empty_chart(id_prefix, "Items done each week", "Nothing scheduled yet",
                            "adherence-chart")
    title = (f"Items done each week, {_full_day(weeks[0].week_start)} to "
             f"{_full_day(weeks[-1].week_start)}")
    parts = _open_svg(id_prefix, _A_HEIGHT, title, _adherence_desc(weeks), "adherence-chart")
    slot = (_A_RIGHT - _A_LEFT) / len(weeks)
    bar = min(slot * 0.6, 40)
    every = _label_every(len(weeks), slot, _MAX_FONT * 3.2)  # "100%", "30 Sep" at 16
    parts.append(f'<g class="chart-grid" stroke="currentColor">'
                 f'<line x1="{_A_LEFT}" y1="{_A_TOP}" x2="{_A_RIGHT}" y2="{_A_TOP}" '
                 f'stroke-opacity="0.15"/>'
                 f'<line x1="{_A_LEFT}" y1="{_A_BOTTOM}" x2="{_A_RIGHT}" y2="{_A_BOTTOM}" '
                 f'stroke-opacity="0.5"/></g>')
    parts.append(f'<g class="adherence-bars" fill="{_BAR_COLOUR}">')
    labels = ['<g class="chart-axis" text-anchor="middle">']
    for i, week in enumerate(weeks):
        centre = _A_LEFT + slot * (i + 0.5)
        ratio = week.ratio or 0.0
        height = min(1.0, max(0.0, ratio)) * (_A_BOTTOM - _A_TOP)
        summary = (f"Week of {_day(week.week_start)}: " + (
            "nothing counted" if week.ratio is None
            else f"{week.done} of {week.counted} done ({week.percent}%)"))
        if week.ratio is not None:
            parts.append(f'<rect x="{_n(centre - bar / 2)}" y="{_n(_A_BOTTOM - height)}" '
                         f'width="{_n(bar)}" height="{_n(height)}">'
                         f"<title>{escape(summary)}</title></rect>")
        if (len(weeks) - 1 - i) % every == 0:
            # labels are up to 52 units wide: keep them inside the viewBox
            at = _n(min(max(centre, 26), _WIDTH - 26))
            labels.append(f'<text x="{at}" y="{_n(_A_BOTTOM - height - 5)}">'
                          f"{escape(_percent(week))}</text>"
                          f'<text x="{at}" y="{_A_BOTTOM + 18}">'
                          f"{escape(_day(week.week_start))}</text>")
    parts.append("</g>")
    parts += labels
    parts.append("</g></svg>")
    return Markup("".join(parts))
