"""Outcome measures (pure): questionnaires as data, and the one engine that scores them.

An :class:`Instrument` is built from a plain dict (the shape a clinic's JSON definition file
will have) by :meth:`Instrument.from_dict`, which validates it and raises an
:class:`InstrumentError` with a stable ``code`` (a key of :data:`MESSAGES`), like
``plan_spec.SpecError``. :func:`score` scores one set of answers; :func:`change` compares
two scores in the instrument's good direction against its MCID.

Built in (:data:`BUILT_IN`):

- PSFS, the Patient-Specific Functional Scale: up to 5 named activities, each 0 (unable) to
  10 (as before); the score is the mean of those answered. Public domain. MCID: 2 points for
  the mean score (Stratford P, Gill C, Westaway M, Binkley J. Assessing disability and change
  on individual patients: a report of a patient specific measure. Physiotherapy Canada
  1995;47(4):258-263 -- volume and pages to confirm against the paper).
- GROC, a 7-point global rating of change, -3 (very much worse) to +3 (very much better), as
  reviewed by Kamper SJ, Maher CG, Mackay G. Global rating of change scales: a review of
  strengths and weaknesses and considerations for design. J Man Manip Ther
  2009;17(3):163-170. It is itself a rating of change, so it has no MCID here (what answer
  counts as "improved" is a choice a study makes; to confirm before one is used).

Not built in: the Roland-Morris Disability Questionnaire. Its terms for free, self-hosted
software are unconfirmed (it is copyrighted; pages found say it is free for clinicians to
use, none grants redistribution inside software), so its 24 statements are not shipped. A
clinic that holds a licence adds it as a definition file (a "sum" of 24 "yes_no" items,
range 0-24, ``higher_is_better`` false); so can a clinic licensed for the Oswestry index.

The definition shape::

    {"id": "psfs", "name": "...", "source": "...", "licence": "...",
     "items": [{"key": "activity_1", "text": "Activity 1", "named": true,
                "response": {"kind": "scale", "min": 0, "max": 10,
                             "min_label": "Unable", "max_label": "As before"}}, ...],
     "scoring": {"method": "mean", "min_answered": 1},   # mean | sum | single
     "range": [0, 10], "higher_is_better": true,
     "mcid": {"value": 2, "source": "..."}}               # or null

A response is ``{"kind": "scale", "min", "max"[, "min_label", "max_label"]}``,
``{"kind": "yes_no"}`` (yes scores 1) or ``{"kind": "choice", "options": [{"value": int,
"label": str}, ...]}``. A "named" item's activity is named by the client (the PSFS); the
name is kept with the answer, outside this engine. "range" must be what the items and the
scoring give, so a definition file states it and the loader checks it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NoReturn

from . import shapes
from .text import is_plain

__all__ = [
    "BUILT_IN", "CHOICE", "GROC", "MEAN", "MESSAGES", "METHODS", "PSFS", "RESPONSE_KINDS",
    "SCALE", "SINGLE", "SUM", "YES_NO",
    "Change", "Instrument", "InstrumentError", "Item", "Mcid", "Option", "Response", "Score",
    "change", "score",
]

SCALE, YES_NO, CHOICE = "scale", "yes_no", "choice"
RESPONSE_KINDS = (SCALE, YES_NO, CHOICE)
MEAN, SUM, SINGLE = "mean", "sum", "single"
METHODS = (MEAN, SUM, SINGLE)
MAX_ITEMS = 100
MAX_OPTIONS = 20
VALUE_LIMIT = 1000  # scale ends and option values lie within +-this
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Two floats closer than this are equal (a mean of whole numbers is exact to far less).
EPSILON = 1e-9

MESSAGES = {
    # shapes
    "not_object": "{name} must be an object",
    "not_list": "{name} must be a list",
    "unknown_fields": "unknown field(s): {fields}",
    "missing_fields": "missing field(s): {fields}",
    # values
    "identifier": "{name} must be lower-case letters, digits and _ (at most 40), "
                  "starting with a letter",
    "text_required": "{name} must be a non-empty string of at most {limit} characters",
    "text_control": "{name} must not contain control characters",
    "whole_number": "{name} must be a whole number from {lo} to {hi}",
    "number": "{name} must be a positive number",
    "true_or_false": "{name} must be true or false",
    "one_of": "{name} must be one of {allowed}",
    # the definition as a whole
    "item_count": "an instrument needs 1 to {most} items (got {count})",
    "duplicate_keys": "duplicate item key(s): {keys}",
    "scale_order": "a scale's min ({lo}) must be below its max ({hi})",
    "option_count": "a choice needs 2 to {most} options (got {count})",
    "duplicate_values": "duplicate option value(s): {values}",
    "single_item": "single scoring needs exactly one item (got {count})",
    "mixed_ranges": "mean scoring needs every item on the same range",
    "min_answered": "min_answered must be from 1 to {most} for {method} scoring",
    "range_mismatch": "range must be [{lo}, {hi}], what the items and scoring give",
    "mcid_too_big": "the MCID ({mcid}) must be smaller than the range's width ({width})",
    # answers
    "unknown_items": "no such item(s): {keys}",
    "answer_value": "the answer to {name} must be {expected}",
    "other_instrument": "both scores must be of {name}",
}


class InstrumentError(ValueError):
    """A malformed definition or answer: ``code`` keys :data:`MESSAGES`, ``params`` fill
    it, ``path`` says where (e.g. ("items[2]", "response")), ``got`` quotes the value."""

    def __init__(self, code: str, path: tuple[str, ...] = (), *, got: str | None = None,
                 **params: Any) -> None:
        self.code, self.params, self.path, self.got = code, params, path, got
        self.message = MESSAGES[code].format(**params) + ("" if got is None else f" (got {got})")
        super().__init__(f"{'.'.join(path)}: {self.message}" if path else self.message)

    def at(self, *path: str) -> InstrumentError:
        return InstrumentError(self.code, (*path, *self.path), got=self.got, **self.params)


# --------------------------------------------------------------------------- checks

def _instrument_error(code: str, **params: Any) -> NoReturn:
    raise InstrumentError(code, **params)


def _fields(data: Any, name: str, allowed: Sequence[str],
            required: Sequence[str]) -> Mapping[str, Any]:
    return shapes.fields(data, allowed, required, _instrument_error, name=name)


def _list(value: Any, name: str) -> Sequence[Any]:
    return shapes.sequence(value, name, _instrument_error)


def _text(value: Any, name: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InstrumentError("text_required", name=name, limit=limit, got=repr(value))
    if not is_plain(value):
        raise InstrumentError("text_control", name=name, got=repr(value))
    return value


def _int(value: Any, name: str, lo: int = -VALUE_LIMIT, hi: int = VALUE_LIMIT) -> int:
    # bool is an int subclass; JSON true must not pass as 1
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InstrumentError("whole_number", name=name, lo=lo, hi=hi, got=repr(value))
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InstrumentError("true_or_false", name=name, got=repr(value))
    return value


def _identifier(value: Any, name: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InstrumentError("identifier", name=name, got=repr(value))
    return value


# --------------------------------------------------------------------------- the definition

@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Response:
    """How one item is answered: a scale of whole numbers, yes/no, or one of some options."""

    kind: str
    low: int = 0
    high: int = 1
    low_label: str | None = None
    high_label: str | None = None
    options: tuple[Option, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> Response:
        kind = _fields(data, "response", ("kind", "min", "max", "min_label", "max_label",
                                          "options"), ("kind",))["kind"]
        if kind not in RESPONSE_KINDS:
            raise InstrumentError("one_of", name="kind", allowed=", ".join(RESPONSE_KINDS),
                                  got=repr(kind))
        if kind == YES_NO:
            _fields(data, "response", ("kind",), ())
            return cls(YES_NO)
        if kind == SCALE:
            _fields(data, "response", ("kind", "min", "max", "min_label", "max_label"),
                    ("min", "max"))
            low, high = _int(data["min"], "min"), _int(data["max"], "max")
            if low >= high:
                raise InstrumentError("scale_order", lo=low, hi=high)
            labels = [None if data.get(k) is None else _text(data[k], k)
                      for k in ("min_label", "max_label")]
            return cls(SCALE, low, high, *labels)
        _fields(data, "response", ("kind", "options"), ("options",))
        raw = _list(data["options"], "options")
        if not 2 <= len(raw) <= MAX_OPTIONS:
            raise InstrumentError("option_count", most=MAX_OPTIONS, count=len(raw))
        options = []
        for i, entry in enumerate(raw):
            try:
                _fields(entry, "option", ("value", "label"), ("value", "label"))
                options.append(Option(_int(entry["value"], "value"),
                                      _text(entry["label"], "label")))
            except InstrumentError as exc:
                raise exc.at(f"options[{i}]") from None
        values = [o.value for o in options]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise InstrumentError("duplicate_values", values=", ".join(map(str, repeated)))
        return cls(CHOICE, min(values), max(values), options=tuple(options))

    def value_of(self, answer: Any, key: str) -> int:
        """The answer's score, or InstrumentError("answer_value")."""
        if self.kind == YES_NO:
            if isinstance(answer, bool):
                return int(answer)
            expected = "true (yes) or false (no)"
        elif self.kind == SCALE:
            if not isinstance(answer, bool) and isinstance(answer, int) \
                    and self.low <= answer <= self.high:
                return answer
            expected = f"a whole number from {self.low} to {self.high}"
        else:
            allowed = [o.value for o in self.options]
            if not isinstance(answer, bool) and isinstance(answer, int) and answer in allowed:
                return answer
            expected = "one of " + ", ".join(map(str, allowed))
        raise InstrumentError("answer_value", name=key, expected=expected, got=repr(answer))


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    text: str
    response: Response
    named: bool = False  # the client names it (a PSFS activity)

    @classmethod
    def from_dict(cls, data: Any) -> Item:
        _fields(data, "item", ("key", "text", "response", "named"), ("key", "text", "response"))
        key = _identifier(data["key"], "key")
        text = _text(data["text"], "text", limit=500)
        named = _bool(data.get("named", False), "named")
        try:
            response = Response.from_dict(data["response"])
        except InstrumentError as exc:
            raise exc.at("response") from None
        return cls(key, text, response, named)


@dataclass(frozen=True, slots=True)
class Mcid:
    """The minimal clinically important difference, in score points, and where it is from."""

    value: float
    source: str


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    name: str
    items: tuple[Item, ...]
    method: str
    min_answered: int
    low: float
    high: float
    higher_is_better: bool
    mcid: Mcid | None
    source: str
    licence: str

    FIELDS = ("id", "name", "items", "scoring", "range", "higher_is_better", "mcid",
              "source", "licence")

    @classmethod
    def from_dict(cls, data: Any) -> Instrument:
        """A validated instrument from its definition; InstrumentError names what is wrong."""
        _fields(data, "instrument", cls.FIELDS, cls.FIELDS)
        ident = _identifier(data["id"], "id")
        name = _text(data["name"], "name")
        source = _text(data["source"], "source", limit=1000)
        licence = _text(data["licence"], "licence", limit=1000)
        higher = _bool(data["higher_is_better"], "higher_is_better")
        raw_items = _list(data["items"], "items")
        if not 1 <= len(raw_items) <= MAX_ITEMS:
            raise InstrumentError("item_count", most=MAX_ITEMS, count=len(raw_items))
        items = []
        for i, entry in enumerate(raw_items):
            try:
                items.append(Item.from_dict(entry))
            except InstrumentError as exc:
                raise exc.at(f"items[{i}]") from None
        keys = [item.key for item in items]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise InstrumentError("duplicate_keys", keys=", ".join(repeated))
        try:
            method, min_answered, low, high = _scoring(data["scoring"], items)
        except InstrumentError as exc:
            raise exc.at("scoring") from None
        stated = _list(data["range"], "range")
        if [*stated] != [low, high] or any(isinstance(v, bool) for v in stated):
            raise InstrumentError("range_mismatch", lo=low, hi=high, got=repr(data["range"]))
        mcid = None
        if data["mcid"] is not None:
            try:
                _fields(data["mcid"], "mcid", ("value", "source"), ("value", "source"))
                value = data["mcid"]["value"]
                if isinstance(value, bool) or not isinstance(value, (int, float)) \
                        or not value > 0:
                    raise InstrumentError("number", name="value", got=repr(value))
                if value >= high - low:
                    raise InstrumentError("mcid_too_big", mcid=value, width=high - low)
                mcid = Mcid(value, _text(data["mcid"]["source"], "source", limit=1000))
            except InstrumentError as exc:
                raise exc.at("mcid") from None
        return cls(ident, name, tuple(items), method, min_answered, low, high, higher, mcid,
                   source, licence)


def _scoring(data: Any, items: list[Item]) -> tuple[str, int, float, float]:
    """(method, min_answered, range low, range high) from the scoring object."""
    _fields(data, "scoring", ("method", "min_answered"), ("method",))
    method = data["method"]
    if method not in METHODS:
        raise InstrumentError("one_of", name="method", allowed=", ".join(METHODS),
                              got=repr(method))
    count = len(items)
    if method == SINGLE and count != 1:
        raise InstrumentError("single_item", count=count)
    # A partial sum is not comparable with a whole one, so a sum needs every item.
    most, default = (count, 1) if method == MEAN else (count, count)
    least = 1 if method == MEAN else count
    min_answered = data.get("min_answered", default)
    if isinstance(min_answered, bool) or not isinstance(min_answered, int) \
            or not least <= min_answered <= most:
        raise InstrumentError("min_answered", most=most, method=method,
                              got=repr(min_answered))
    ranges = {(item.response.low, item.response.high) for item in items}
    if method == SUM:
        low = sum(item.response.low for item in items)
        high = sum(item.response.high for item in items)
    elif len(ranges) != 1:
        raise InstrumentError("mixed_ranges")
    else:
        low, high = ranges.pop()
    return method, min_answered, low, high


# --------------------------------------------------------------------------- the engine

@dataclass(frozen=True, slots=True)
class Score:
    instrument: str
    value: float | None  # None: too few answers to score
    answered: int
    total: int

    @property
    def partial(self) -> bool:
        return self.answered < self.total


@dataclass(frozen=True, slots=True)
class Change:
    difference: float | None  # latest - first, signed so that positive is better
    meaningful: bool  # improved by at least the MCID
    worse_meaningful: bool  # worsened by at least the MCID (a flare-up signal)


def score(instrument: Instrument, answers: Mapping[str, Any]) -> Score:
    """Score answers (item key -> answer; a missing key or None is unanswered).
    An unknown key or an answer outside an item's response raises InstrumentError."""
    if not isinstance(answers, Mapping):
        raise InstrumentError("not_object", name="answers", got=type(answers).__name__)
    known = {item.key for item in instrument.items}
    unknown = sorted(str(k) for k in answers if k not in known)
    if unknown:
        raise InstrumentError("unknown_items", keys=", ".join(unknown))
    values = [item.response.value_of(answers[item.key], item.key)
              for item in instrument.items if answers.get(item.key) is not None]
    total = len(instrument.items)
    if len(values) < instrument.min_answered:
        return Score(instrument.id, None, len(values), total)
    value = sum(values) / len(values) if instrument.method == MEAN else float(sum(values))
    return Score(instrument.id, value, len(values), total)


def change(instrument: Instrument, first: Score, latest: Score) -> Change:
    """From ``first`` to ``latest``, in the instrument's good direction, against its MCID.
    Without both values (or without an MCID) nothing is meaningful."""
    if first.instrument != instrument.id or latest.instrument != instrument.id:
        raise InstrumentError("other_instrument", name=instrument.id)
    if first.value is None or latest.value is None:
        return Change(None, False, False)
    diff = latest.value - first.value
    diff = diff if instrument.higher_is_better else -diff
    diff = 0.0 if diff == 0 else diff  # no -0.0
    if instrument.mcid is None:
        return Change(diff, False, False)
    reach = instrument.mcid.value - EPSILON
    return Change(diff, diff >= reach, diff <= -reach)


# --------------------------------------------------------------------------- built in

_PSFS_SOURCE = (
    "Stratford P, Gill C, Westaway M, Binkley J. Assessing disability and change on "
    "individual patients: a report of a patient specific measure. Physiotherapy Canada "
    "1995;47(4):258-263 (volume and pages to confirm)")

PSFS = Instrument.from_dict({
    "id": "psfs",
    "name": "Patient-Specific Functional Scale",
    "items": [{"key": f"activity_{n}", "text": f"Activity {n}", "named": True,
               "response": {"kind": SCALE, "min": 0, "max": 10,
                            "min_label": "Unable to perform the activity",
                            "max_label": "Able to perform it as before"}}
              for n in range(1, 6)],
    "scoring": {"method": MEAN, "min_answered": 1},
    "range": [0, 10],
    "higher_is_better": True,
    "mcid": {"value": 2, "source": "2 points for the mean score: " + _PSFS_SOURCE},
    "source": _PSFS_SOURCE,
    "licence": "Public domain: free to use, copy and self-host.",
})

_GROC_LABELS = ("Very much worse", "Much worse", "A little worse", "About the same",
                "A little better", "Much better", "Very much better")

GROC = Instrument.from_dict({
    "id": "groc",
    "name": "Global rating of change",
    "items": [{"key": "change", "text": "Compared with when you started, how are you now?",
               "response": {"kind": CHOICE, "options": [
                   {"value": v, "label": label}
                   for v, label in zip(range(-3, 4), _GROC_LABELS, strict=True)]}}],
    "scoring": {"method": SINGLE},
    "range": [-3, 3],
    "higher_is_better": True,
    "mcid": None,  # a rating of change already; which answer counts is to confirm
    "source": ("Kamper SJ, Maher CG, Mackay G. Global rating of change scales: a review of "
               "strengths and weaknesses and considerations for design. J Man Manip Ther "
               "2009;17(3):163-170."),
    "licence": "A generic 7-point scale, as reviewed by Kamper et al. 2009; free to use.",
})

BUILT_IN: Mapping[str, Instrument] = MappingProxyType({i.id: i for i in (PSFS, GROC)})
