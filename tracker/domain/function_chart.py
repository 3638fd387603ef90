"""Outcome-measure scores over time (issue 19): a chart per instrument, its words and table,
and the roster's short trend.

Pure: no Flask, no database, no clock; the caller passes the readings (each a day, the
engine's :class:`~tracker.domain.instruments.Score` and its
:class:`~tracker.domain.instruments.Change` from the first answer, as
``tracker.store.questionnaires.history`` gives them) and the last day to draw. Like
charts.py, the SVG passes a strict Content Security Policy and prints in black and white:
an answer whose change reaches the instrument's MCID is marked by its shape (a ring for
"meaningful", a cross for "worse"), never by colour alone, and every figure is also in
words (:meth:`FunctionView.summary_for`) and in a table (:func:`function_table`).

The MCID used is the instrument's own (its value and source are in its definition,
tracker/domain/instruments.py): a change is "meaningful" when it improves by at least it,
"worse" when it worsens by at least it (instruments.change).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from markupsafe import Markup, escape

from .charts import date_axis
from .instruments import Change, Instrument, Score, change
from .wording import YOU, Voice

__all__ = [
    "Answer", "FunctionTrend", "FunctionView", "Reading", "change_label", "function_chart",
    "function_table", "function_view", "readings", "short_name", "trend", "trend_sparkline",
    "value_ticks",
]

WIDTH, HEIGHT = 360, 224  # the viewBox, as the pain chart's
LEFT, RIGHT, TOP, BOTTOM = 30, 330, 34, 196  # the plot area inside it
_FONT = 12
_MAX_FONT = 16
_COLOUR = "#1f5fbf"
_RING = 7  # radius of the "meaningful" ring
_CROSS = 5  # half the side of the "worse" cross
_MAX_VALUE_TICKS = 6
# Round steps for the value labels: 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50 ... up to 5 million
# (a definition's range is at most 100 items of +-1000).
_STEPS = (0.5, *(m * 10 ** k for k in range(7) for m in (1, 2, 2.5, 5)))
_ID_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Reading(Protocol):
    """One complete answer: what ``questionnaires.history`` gives (its Entry) fits."""

    @property
    def day(self) -> date: ...
    @property
    def score(self) -> Score: ...
    @property
    def change(self) -> Change: ...


@dataclass(frozen=True, slots=True)
class Answer:
    day: date
    score: Score
    change: Change


def readings(instrument: Instrument, scored: Sequence[tuple[date, Score]]) -> list[Answer]:
    """Scored answers, oldest first, each with its change from the first (unscored ones
    are left out), as the store's history gives them."""
    kept = sorted(((d, s) for d, s in scored if s.value is not None), key=lambda p: p[0])
    if not kept:
        return []
    first = kept[0][1]
    return [Answer(d, s, change(instrument, first, s)) for d, s in kept]


# --------------------------------------------------------------------------- words

def _n(value: float) -> str:
    """A coordinate with at most one decimal: 12, 12.5, never -0."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _num(value: float) -> str:
    """A score as read: 6.5, 7, never -0; two decimals where one would round a mean."""
    text = f"{value:.2f}".rstrip("0").removesuffix(".")
    return "0" if text == "-0" else text


def _points(value: float) -> str:
    text = _num(abs(value))
    return f"{text} point" if text == "1" else f"{text} points"


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _full_day(day: date) -> str:
    return f"{_day(day)} {day.year}"


def short_name(instrument: Instrument) -> str:
    """What a narrow place calls it: "PSFS", "GROC"; a long id, the full name."""
    return instrument.id.upper() if len(instrument.id) <= 6 else instrument.name


def _direction(instrument: Instrument) -> str:
    return "higher is better" if instrument.higher_is_better else "lower is better"


def _scale(instrument: Instrument) -> str:
    return f"{_num(instrument.low)} to {_num(instrument.high)}, {_direction(instrument)}"


def change_label(instrument: Instrument, reading: Reading) -> str:
    """The change from the first answer, short: "+3.5, meaningful", "−2, worse", "+1",
    "no change" ("" when there is none to say). Signed as the score moved (a lower-is-better
    score that fell is "−", and may be meaningful)."""
    diff = reading.change.difference
    if diff is None:
        return ""
    raw = diff if instrument.higher_is_better else -diff
    text = "no change" if raw == 0 else ("+" if raw > 0 else "\u2212") + _num(abs(raw))
    if reading.change.meaningful:
        return f"{text}, meaningful"
    if reading.change.worse_meaningful:
        return f"{text}, worse"
    return text


def _change_sentence(instrument: Instrument, latest: Reading, voice: Voice) -> str:
    diff = latest.change.difference
    assert diff is not None
    raw = diff if instrument.higher_is_better else -diff
    since = f"since {voice.possessive} first answer"
    if raw == 0:
        text = f"No change {since}"
    else:
        text = f"{'Up' if raw > 0 else 'Down'} {_points(raw)} {since}"
    mcid = instrument.mcid
    if mcid is None:
        return text + ". No minimal important change is set for this questionnaire."
    limit = f"the smallest change that matters (MCID: {_points(mcid.value)})"
    if latest.change.meaningful:
        return f"{text}: a meaningful improvement, at least {limit}."
    if latest.change.worse_meaningful:
        return f"{text}: worse, by at least {limit}."
    return f"{text}: less than {limit}."


@dataclass(frozen=True)
class FunctionView:
    """One instrument's answers ready to show: the chart, the table and the words."""

    instrument: Instrument
    readings: tuple[Reading, ...]
    chart: Markup
    table: Markup

    @property
    def latest(self) -> Reading:
        return self.readings[-1]

    @property
    def short_name(self) -> str:
        return short_name(self.instrument)

    @property
    def answers_text(self) -> list[str]:
        """Each answer in words, oldest first: "1 Oct 2026: 3 (first answer)",
        "15 Oct 2026: 5.5 (+2.5, meaningful)"."""
        first = self.readings[0]
        return [f"{_full_day(a.day)}: {_num(a.score.value or 0)} "
                f"({'first answer' if a is first else change_label(self.instrument, a)})"
                for a in self.readings]

    @property
    def mcid_text(self) -> str:
        """Where the MCID used is from, or that there is none."""
        mcid = self.instrument.mcid
        if mcid is None:
            return f"{self.instrument.name}: no minimal important change is set."
        return f"{self.instrument.name}: {_points(mcid.value)}. Source: {mcid.source}"

    @property
    def summary(self) -> str:
        return self.summary_for(YOU)

    def summary_for(self, voice: Voice) -> str:
        """ "Latest, 12 Nov: 6.5 (0 to 10, higher is better). Up 3.5 points since your
        first answer (...): a meaningful improvement, ..." to the client; the therapist
        reads "Dana's first answer"."""
        latest = self.latest
        text = (f"Latest, {_day(latest.day)}: {_num(latest.score.value or 0)} "
                f"({_scale(self.instrument)}).")
        if len(self.readings) == 1:
            return (f"{text} {voice.Name} answered it once so far; the change shows from "
                    f"{voice.possessive} next answer.")
        return f"{text} {_change_sentence(self.instrument, latest, voice)}"


def function_view(instrument: Instrument, answers: Sequence[Reading], last: date,
                  id_prefix: str) -> FunctionView | None:
    """The view of one instrument's answers (scored ones only); None when there are none."""
    shown = tuple(sorted((a for a in answers if a.score.value is not None),
                         key=lambda a: a.day))
    if not shown:
        return None
    return FunctionView(instrument, shown, function_chart(instrument, shown, last, id_prefix),
                        function_table(instrument, shown))


# --------------------------------------------------------------------------- the chart

def _ticks(low: float, high: float, step: float) -> list[float]:
    first = math.floor(low / step) + 1
    inside = [k * step for k in range(first, math.ceil(high / step))
              if low + step / 2 < k * step < high - step / 2]
    return [low, *inside, high]


def value_ticks(low: float, high: float) -> list[float]:
    """The score levels to label up the chart: both ends of the range and the multiples of
    a round step (a half, 1, 2, 2.5, 5, 10 ...) between them, at most six; a step that both
    ends are multiples of first, so the labels are evenly spaced where they can be."""
    if not high > low:
        raise ValueError(f"the range must rise (got {low} to {high})")
    # A step of fewer than a fifth of the range gives too many labels: skip it unbuilt.
    steps = [s for s in _STEPS if (high - low) / s <= _MAX_VALUE_TICKS]
    fitting = [(s, t) for s in steps if len(t := _ticks(low, high, s)) <= _MAX_VALUE_TICKS]
    even = [t for s, t in fitting if low % s == 0 and high % s == 0]
    return (even or [t for _, t in fitting] or [[low, high]])[0]


def _check_prefix(id_prefix: str) -> str:
    if not isinstance(id_prefix, str) or not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError("id_prefix must be 1-40 of a-z, 0-9 and '-', starting with a "
                         f"letter or digit (got {id_prefix!r})")
    return id_prefix


def _desc(instrument: Instrument, shown: Sequence[Reading]) -> str:
    count = "1 answer" if len(shown) == 1 else f"{len(shown)} answers"
    latest = shown[-1]
    text = (f"{count}, {_scale(instrument)}. First, {_day(shown[0].day)}: "
            f"{_num(shown[0].score.value or 0)}. Latest, {_day(latest.day)}: "
            f"{_num(latest.score.value or 0)}")
    label = change_label(instrument, latest) if len(shown) > 1 else ""
    text += f" ({label})." if label else "."
    if instrument.mcid is not None:
        text += (f" A ring marks a meaningful improvement, a cross a worsening, of at least "
                 f"{_points(instrument.mcid.value)} from the first answer.")
    return text


def function_chart(instrument: Instrument, answers: Sequence[Reading], last: date,
                   id_prefix: str) -> Markup:
    """The score of each answer from the first answer's day to ``last`` (dots joined by a
    line), the first answer as a dotted line with a band of +/- the MCID around it, and
    each answer's change from the first marked when it reaches the MCID. No answers: a
    chart that says so."""
    id_prefix = _check_prefix(id_prefix)
    shown = sorted((a for a in answers if a.score.value is not None), key=lambda a: a.day)
    title = f"{instrument.name} over time"
    if not shown:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart function-chart" role="img" '
            f'aria-labelledby="{id_prefix}-title" viewBox="0 0 {WIDTH} 48" width="100%" '
            f'font-size="{_FONT}" fill="currentColor"><title id="{id_prefix}-title">'
            f'{escape(title)}: no answers yet</title><text class="chart-empty" '
            f'x="{WIDTH // 2}" y="28" text-anchor="middle">No answers yet</text></svg>')
    first = shown[0].day
    last = max(last, shown[-1].day)
    title = f"{title}, {_full_day(first)} to {_full_day(last)}"
    span = (last - first).days
    low, high = instrument.low, instrument.high

    def x(day: date) -> float:
        if span == 0:
            return (LEFT + RIGHT) / 2
        return LEFT + (day - first).days / span * (RIGHT - LEFT)

    def y(value: float) -> float:
        value = min(high, max(low, value))
        return BOTTOM - (value - low) / (high - low) * (BOTTOM - TOP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart function-chart" role="img" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" font-size="{_FONT}" '
        f'fill="currentColor">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(_desc(instrument, shown))}</desc>',
    ]
    mcid = instrument.mcid
    start = shown[0].score.value or 0.0
    parts += _legend(instrument, any(a.change.meaningful for a in shown),
                     any(a.change.worse_meaningful for a in shown))
    if mcid is not None:
        top, bottom = y(start + mcid.value), y(start - mcid.value)
        parts.append(f'<rect class="function-band" x="{LEFT}" y="{_n(top)}" '
                     f'width="{RIGHT - LEFT}" height="{_n(bottom - top)}" '
                     f'fill="{_COLOUR}" fill-opacity="0.1"/>')
    ticks = value_ticks(low, high)
    parts.append('<g class="chart-grid" stroke="currentColor" stroke-opacity="0.15">')
    parts += [f'<line x1="{LEFT}" y1="{_n(y(t))}" x2="{RIGHT}" y2="{_n(y(t))}"/>'
              for t in ticks]
    parts.append('</g><g class="chart-axis" text-anchor="end">')
    parts += [f'<text x="{LEFT - 6}" y="{_n(y(t))}" dy="0.35em">{_num(t)}</text>'
              for t in ticks]
    parts.append("</g>")
    parts += _date_labels(first, last, x)
    level = _n(y(start))
    parts.append(f'<line class="function-baseline" x1="{LEFT}" y1="{level}" x2="{RIGHT}" '
                 f'y2="{level}" stroke="currentColor" stroke-width="1.5" '
                 f'stroke-dasharray="1 3" stroke-linecap="round"/>')
    coords = "L".join(f"{_n(x(a.day))},{_n(y(a.score.value or 0))}" for a in shown)
    parts.append(f'<path class="function-line" d="M{coords}" fill="none" stroke="{_COLOUR}" '
                 f'stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>')
    parts.append(f'<g class="function-dots" fill="{_COLOUR}">')
    for a in shown:
        cx, cy = x(a.day), y(a.score.value or 0)
        label = f"{_day(a.day)}: {_num(a.score.value or 0)}"
        change_text = change_label(instrument, a) if a is not shown[0] else "first answer"
        parts.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="3.5">'
                     f'<title>{escape(f"{label} ({change_text})")}</title></circle>')
    parts.append("</g>")
    parts.append('<g class="function-marks" fill="none" stroke="currentColor" stroke-width="2">')
    for a in shown:
        cx, cy = x(a.day), y(a.score.value or 0)
        if a.change.meaningful:
            parts.append(f'<circle class="mark-meaningful" cx="{_n(cx)}" cy="{_n(cy)}" '
                         f'r="{_RING}"/>')
        elif a.change.worse_meaningful:
            parts.append(f'<path class="mark-worse" d="M{_n(cx - _CROSS)},{_n(cy - _CROSS)}'
                         f'L{_n(cx + _CROSS)},{_n(cy + _CROSS)}M{_n(cx - _CROSS)},'
                         f'{_n(cy + _CROSS)}L{_n(cx + _CROSS)},{_n(cy - _CROSS)}"/>')
    parts.append("</g></svg>")
    return Markup("".join(parts))


def _legend(instrument: Instrument, meaningful: bool, worse: bool) -> list[str]:
    parts = ['<g class="chart-legend">',
             f'<line x1="{LEFT}" y1="12" x2="{LEFT + 22}" y2="12" stroke="currentColor" '
             'stroke-width="1.5" stroke-dasharray="1 3" stroke-linecap="round"/>'
             f'<text x="{LEFT + 28}" y="12" dy="0.35em">First answer</text>']
    # Room for each label at 16 units (the narrowest phones): "First answer" is ~106 wide.
    at = LEFT + 146
    if meaningful:
        parts.append(f'<circle cx="{at + 7}" cy="12" r="{_RING}" fill="none" '
                     'stroke="currentColor" stroke-width="2"/>'
                     f'<text x="{at + 20}" y="12" dy="0.35em">Meaningful</text>')
        at += 104
    if worse:
        parts.append(f'<path d="M{at + 2},7L{at + 12},17M{at + 2},17L{at + 12},7" '
                     'fill="none" stroke="currentColor" stroke-width="2"/>'
                     f'<text x="{at + 20}" y="12" dy="0.35em">Worse</text>')
    parts.append("</g>")
    return parts


def _date_labels(first: date, last: date, x: Callable[[date], float]) -> list[str]:
    return date_axis(first, last, x, LEFT, RIGHT, BOTTOM)


def function_table(instrument: Instrument, answers: Sequence[Reading]) -> Markup:
    """The answers as a table, newest first, each with its change from the first: the
    chart's text alternative."""
    shown = sorted((a for a in answers if a.score.value is not None), key=lambda a: a.day)
    if not shown:
        return Markup('<p class="function-table-empty">No answers yet.</p>')
    rows = []
    for a in reversed(shown):
        label = "First answer" if a is shown[0] else change_label(instrument, a)
        rows.append(f'<tr><th scope="row">{escape(_full_day(a.day))}</th>'
                    f"<td>{escape(_num(a.score.value or 0))}</td>"
                    f"<td>{escape(label)}</td></tr>")
    return Markup(
        f'<table class="function-table"><caption>{escape(instrument.name)}, newest first '
        f"({escape(_scale(instrument))})</caption>"
        '<thead><tr><th scope="col">Date</th><th scope="col">Score</th>'
        f'<th scope="col">Change from the first</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>')


# --------------------------------------------------------------------------- the roster

@dataclass(frozen=True, slots=True)
class FunctionTrend:
    """A client's function on the roster: the latest score of one instrument and its
    change from the first answer."""

    name: str  # short: "PSFS"
    full_name: str
    latest: float
    low: float
    high: float
    label: str  # "+3.5, meaningful"; "" for a first answer
    difference: float | None  # signed so that positive is better
    meaningful: bool
    worse: bool
    sparkline: Markup

    @property
    def sort_key(self) -> float | None:
        """The change as a share of the range (instruments differ in range), better
        higher; None for a single answer (nothing to compare)."""
        if self.difference is None:
            return None
        return self.difference / (self.high - self.low)

    @property
    def figure(self) -> str:
        return f"{_num(self.latest)} of {_num(self.high)}" if self.low == 0 else _num(self.latest)


def trend(instrument: Instrument, answers: Sequence[Reading]) -> FunctionTrend | None:
    """The roster's trend from these answers; None when none is scored."""
    shown = sorted((a for a in answers if a.score.value is not None), key=lambda a: a.day)
    if not shown:
        return None
    latest = shown[-1]
    label = change_label(instrument, latest) if len(shown) > 1 else ""
    return FunctionTrend(
        name=short_name(instrument), full_name=instrument.name,
        latest=latest.score.value or 0.0, low=instrument.low, high=instrument.high,
        label=label, difference=latest.change.difference if len(shown) > 1 else None,
        meaningful=latest.change.meaningful, worse=latest.change.worse_meaningful,
        sparkline=trend_sparkline(instrument, shown))


SPARK_WIDTH, SPARK_HEIGHT, _PAD = 64, 20, 2


def trend_sparkline(instrument: Instrument, answers: Sequence[Reading]) -> Markup:
    """The scores as a small line, one point per answer evenly spaced; under two: ""."""
    shown = [a for a in answers if a.score.value is not None]
    if len(shown) < 2:
        return Markup("")
    low, high = instrument.low, instrument.high

    def y(value: float) -> float:
        value = min(high, max(low, value))
        return SPARK_HEIGHT - _PAD - (value - low) / (high - low) * (SPARK_HEIGHT - 2 * _PAD)

    step = (SPARK_WIDTH - 2 * _PAD) / (len(shown) - 1)
    coords = " ".join(f"{_n(_PAD + i * step)},{_n(y(a.score.value or 0))}"
                      for i, a in enumerate(shown))
    words = escape(f"{instrument.name}, each answer: "
                   + ", ".join(_num(a.score.value or 0) for a in shown)
                   + f" ({_direction(instrument)})")
    end = shown[-1]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
        f'aria-label="{words}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
        f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" focusable="false"><title>{words}</title>'
        f'<polyline points="{coords}" fill="none" stroke="{_COLOUR}" stroke-width="1.5" '
        f'stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle cx="{_n(SPARK_WIDTH - _PAD)}" cy="{_n(y(end.score.value or 0))}" r="2" '
        f'fill="{_COLOUR}"/></svg>')
