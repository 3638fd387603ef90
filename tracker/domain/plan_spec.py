"""The plan spec (pure): phases, items, cadences, doses and exit rules, their validation and
their JSON form.

A plan spec is what a therapist writes and what is stored: ``PlanSpec.from_dict`` parses the
stored JSON and ``to_dict`` writes it back. Every rule it breaks raises a :class:`SpecError`
with a stable ``code`` and its ``params``; the message is built from :data:`MESSAGES`, the
one table of wordings, so callers branch on the code and never on the text. The engine that
schedules a spec lives in ``schedule.py``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time
from itertools import pairwise
from typing import Any, NoReturn

from . import shapes
from .instruments import ID_PATTERN
from .text import MULTILINE, is_plain
from .times import format_time_of_day, parse_time_of_day

__all__ = [
    "AFTER_DONE", "AFTER_SESSIONS", "AFTER_WEEKS", "ANCHORS", "CADENCE_KINDS", "CALENDAR",
    "DOSE_LIMITS", "EVERY_N_DAYS", "EVERY_N_WEEKS", "EXIT_KINDS", "HEAT_COLD", "ITEM_KINDS",
    "MANUAL", "MAX_EXIT_COUNT", "MAX_INTERVAL", "MAX_ITEMS_PER_PHASE", "MAX_PHASES", "MESSAGES",
    "MONTHLY", "MONTHLY_WEEKDAY", "ORDINALS", "SELF_MASSAGE", "SESSION", "STRETCH", "SYMPTOMS",
    "WEEKLY_DAYS",
    "BY_MCID", "FUNCTION_BY",
    "Cadence", "Dose", "ExitRule", "FunctionRequirement", "ItemSpec", "PhaseSpec", "PlanSpec",
    "SpecError",
    "check_int", "check_one_of", "freeze",
]

SESSION, SELF_MASSAGE, STRETCH, HEAT_COLD = "session", "self_massage", "stretch", "heat_cold"
ITEM_KINDS = (SESSION, SELF_MASSAGE, STRETCH, HEAT_COLD)
EVERY_N_DAYS, WEEKLY_DAYS, EVERY_N_WEEKS, MONTHLY, MONTHLY_WEEKDAY = (
    "every_n_days", "weekly_days", "every_n_weeks", "monthly", "monthly_weekday")
CADENCE_KINDS = (EVERY_N_DAYS, WEEKLY_DAYS, EVERY_N_WEEKS, MONTHLY, MONTHLY_WEEKDAY)
# monthly_weekday: which of the month's weekdays, e.g. 4 = the 4th Monday; -1 = the last.
# No 5th: most months have none, and "the last" says what is meant.
ORDINALS = (1, 2, 3, 4, -1)
CALENDAR, AFTER_DONE = "calendar", "after_done"
ANCHORS = (CALENDAR, AFTER_DONE)
AFTER_SESSIONS, AFTER_WEEKS, SYMPTOMS, MANUAL = (
    "after_sessions", "after_weeks", "symptoms", "manual")
EXIT_KINDS = (AFTER_SESSIONS, AFTER_WEEKS, SYMPTOMS, MANUAL)
# A symptoms exit may also require function to improve (issue 19): by how much. Only "at
# least the instrument's own MCID" for now (its value and source live with the instrument,
# tracker.domain.instruments); a tuple so a later rule is one more word, not a new shape.
BY_MCID = "mcid"
FUNCTION_BY = (BY_MCID,)

MAX_PHASES = 10
MAX_ITEMS_PER_PHASE = 60
MAX_INTERVAL = 52
MAX_EXIT_COUNT = 52
DOSE_LIMITS = {"hold_seconds": (1, 600), "repetitions": (1, 50), "sets": (1, 50),
               "minutes": (1, 240)}


# --------------------------------------------------------------------------- errors

# Every engine error by code. "{name}" is the field as the JSON names it; an error that
# quotes the offending value adds " (got <its repr>)" from ``SpecError.got``.
MESSAGES = {
    # shapes
    "not_object": "must be an object",
    "not_list": "{name} must be a list",
    "unknown_fields": "unknown field(s): {fields}",
    "missing_fields": "missing field(s): {fields}",
    "wrong_type": "{name} must be {expected}",
    # values
    "whole_number": "{name} must be a whole number from {lo} to {hi}",
    "one_of": "{name} must be one of {allowed}",
    "text_required": "{name} must be a non-empty string of at most {limit} characters",
    "text": "{name} must be a string of at most {limit} characters",
    "text_control": "{name} must not contain control characters",
    "true_or_false": "{name} must be true or false",
    "time_of_day": '{name} must be "HH:MM" or null',
    "naive_time": "{name} must be a naive hour:minute time",
    # cadences
    "weekdays_repeat": "{name} must not repeat",
    "weekly_days_count": "weekly_days needs at least one weekday",
    "every_n_weeks_count": "every_n_weeks needs exactly one weekday",
    "no_weekdays": "{kind} takes no weekdays",
    "monthly_weekday_count": "monthly_weekday needs exactly one weekday",
    "ordinal_choice": "{name} must be 1, 2, 3, 4 or -1 (the last)",
    "ordinal_unused": "{name} only applies to monthly_weekday",
    # exit rules
    "exit_n_unused": "{name} only applies to after_sessions and after_weeks",
    "threshold_unused": "{name} only applies to a symptoms exit",
    "threshold_range": "{name} must be a number from 0 to 10 or null",
    "function_unused": "{name} only applies to a symptoms exit",
    "instrument_id": "{name} must be a questionnaire id (lower-case letters, digits, _)",
    # phases and plans
    "too_many_items": "a phase holds at most {most} items (got {count})",
    "duplicate_keys": "duplicate item key(s): {keys}",
    "phase_count": "a plan needs 1 to {most} phases (got {count})",
    # engine inputs (schedule.py)
    "ends_before_start": "{name} ends ({end}) before it starts ({start})",
    "area_items_only": "items only apply to an area pause",
    "no_revision": "a plan needs at least one revision",
    "plan_end": "plan end ({end}) must be after its start ({start})",
    "local_time": "t must be a naive local time",
}

class SpecError(ValueError):
    """A malformed plan spec or engine input.

    ``code`` is a key of :data:`MESSAGES` and ``params`` fill its template; ``field`` is the
    JSON field the error is about (None: the object as a whole); ``path`` says where,
    e.g. ("phases[0]", "items[2]", "cadence"). ``got`` is the offending value as quoted
    (its repr, or a type name), or None.
    """

    def __init__(self, code: str, path: tuple[str, ...] = (), *, field: str | None = None,
                 got: str | None = None, **params: Any) -> None:
        self.code, self.params, self.path, self.got = code, params, path, got
        self.field = params.get("name") if field is None else field
        self.message = MESSAGES[code].format(**params) + ("" if got is None else f" (got {got})")
        super().__init__(f"{'.'.join(path)}: {self.message}" if path else self.message)

    def at(self, path: tuple[str, ...]) -> SpecError:
        """The same error, placed under ``path``."""
        return SpecError(self.code, (*path, *self.path), field=self.field, got=self.got,
                         **self.params)


@contextmanager
def _at(part: str | None) -> Iterator[None]:
    """Place SpecErrors raised inside under `part` of the path."""
    try:
        yield
    except SpecError as exc:
        raise exc.at(() if part is None else (part,)) from None


def check_int(value: Any, lo: int, hi: int, name: str, *, field: str | None = None) -> None:
    # bool is an int subclass; JSON true must not pass as 1
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpecError("whole_number", field=field, name=name, lo=lo, hi=hi,
                        got=repr(value))


def check_one_of(value: Any, allowed: Sequence[str], name: str) -> None:
    if value not in allowed:
        raise SpecError("one_of", name=name, allowed=", ".join(allowed), got=repr(value))


def _text(value: Any, name: str, *, required: bool = True, limit: int = 200,
          allow: str = "") -> None:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise SpecError("text_required" if required else "text", name=name, limit=limit,
                        got=repr(value))
    if not is_plain(value, allow):  # the one free-text policy: refuse, never strip
        raise SpecError("text_control", name=name, got=repr(value))


def _spec_error(code: str, **params: Any) -> NoReturn:
    raise SpecError(code, **params)


def _fields(data: Any, allowed: Sequence[str], required: Sequence[str]) -> Mapping[str, Any]:
    return shapes.fields(data, allowed, required, _spec_error)


def _sequence(value: Any, name: str) -> Sequence[Any]:
    return shapes.sequence(value, name, _spec_error)


def _time_of_day(value: Any) -> time | None:
    """The JSON "HH:MM" (or null) as a time; the shape is exactly "HH:MM"."""
    if value is None:
        return None
    try:
        parsed = parse_time_of_day(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or format_time_of_day(parsed) != value:  # not "", "09:30:00"
        raise SpecError("time_of_day", name="time_of_day", got=repr(value))
    return parsed


def freeze(obj: Any, name: str) -> None:
    """Store a list field as a tuple so frozen specs stay hashable."""
    value = getattr(obj, name)
    if isinstance(value, list):
        object.__setattr__(obj, name, tuple(value))
    elif not isinstance(value, tuple):
        raise SpecError("not_list", name=name, got=type(value).__name__)


# --------------------------------------------------------------------------- the spec

@dataclass(frozen=True, slots=True)
class Dose:
    """How much of an item to do; every part is optional."""

    hold_seconds: int | None = None
    repetitions: int | None = None
    sets: int | None = None
    minutes: int | None = None
    per_side: bool = False

    def __post_init__(self) -> None:
        for name, (lo, hi) in DOSE_LIMITS.items():
            if getattr(self, name) is not None:
                check_int(getattr(self, name), lo, hi, name)
        if not isinstance(self.per_side, bool):
            raise SpecError("true_or_false", name="per_side", got=repr(self.per_side))

    def describe(self) -> str:
        """Plain English, e.g. "hold 30 s, 3 times, each side"; "" when empty."""
        parts = []
        if self.hold_seconds:
            parts.append(f"hold {self.hold_seconds} s")
        if self.repetitions:
            parts.append("once" if self.repetitions == 1 else f"{self.repetitions} times")
        if self.sets:
            parts.append("1 set" if self.sets == 1 else f"{self.sets} sets")
        if self.minutes:
            parts.append(f"{self.minutes} min")
        if self.per_side:
            parts.append("each side")
        return ", ".join(parts)

    @classmethod
    def from_dict(cls, data: Any) -> Dose:
        data = _fields(data, (*DOSE_LIMITS, "per_side"), ())
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {"hold_seconds": self.hold_seconds, "repetitions": self.repetitions,
                "sets": self.sets, "minutes": self.minutes, "per_side": self.per_side}


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often an item recurs; weekdays are 0=Mon..6=Sun.

    ``ordinal`` is for monthly_weekday only: the month's 1st to 4th, or last (-1), of its
    one weekday, so "every month on the 4th Monday" is
    ``Cadence(MONTHLY_WEEKDAY, 1, (0,), ordinal=4)``.
    """

    kind: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    anchor: str = CALENDAR
    ordinal: int | None = None

    def __post_init__(self) -> None:
        check_one_of(self.kind, CADENCE_KINDS, "kind")
        check_int(self.interval, 1, MAX_INTERVAL, "interval")
        check_one_of(self.anchor, ANCHORS, "anchor")
        freeze(self, "weekdays")
        self._check_weekdays()
        self._check_ordinal()

    def _check_ordinal(self) -> None:
        if self.kind != MONTHLY_WEEKDAY:
            if self.ordinal is not None:
                raise SpecError("ordinal_unused", name="ordinal", got=repr(self.ordinal))
        elif type(self.ordinal) is not int or self.ordinal not in ORDINALS:  # not 4.0, True
            raise SpecError("ordinal_choice", name="ordinal", got=repr(self.ordinal))

    def _check_weekdays(self) -> None:
        for day in self.weekdays:
            check_int(day, 0, 6, "each weekday", field="weekdays")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise SpecError("weekdays_repeat", name="weekdays", got=repr(list(self.weekdays)))
        if self.kind == WEEKLY_DAYS and not self.weekdays:
            raise SpecError("weekly_days_count", field="weekdays")
        if self.kind == EVERY_N_WEEKS and len(self.weekdays) != 1:
            raise SpecError("every_n_weeks_count", field="weekdays",
                            got=repr(list(self.weekdays)))
        if self.kind == MONTHLY_WEEKDAY and len(self.weekdays) != 1:
            raise SpecError("monthly_weekday_count", field="weekdays",
                            got=repr(list(self.weekdays)))
        if self.kind in (EVERY_N_DAYS, MONTHLY) and self.weekdays:
            raise SpecError("no_weekdays", field="weekdays", kind=self.kind,
                            got=repr(list(self.weekdays)))

    @property
    def min_gap(self) -> int:
        """The nominal minimum number of days between two occurrences."""
        if self.kind == EVERY_N_DAYS:
            return self.interval
        if self.kind == EVERY_N_WEEKS:
            return 7 * self.interval
        if self.kind in (MONTHLY, MONTHLY_WEEKDAY):
            return 28 * self.interval
        days = sorted(self.weekdays)
        gaps = [b - a for a, b in pairwise(days)]
        gaps.append(7 * self.interval - (days[-1] - days[0]))  # across the week boundary
        return min(gaps)

    @classmethod
    def from_dict(cls, data: Any) -> Cadence:
        data = _fields(data, ("kind", "interval", "weekdays", "anchor", "ordinal"), ("kind",))
        weekdays = tuple(_sequence(data.get("weekdays", ()), "weekdays"))
        return cls(data["kind"], data.get("interval", 1), weekdays,
                   data.get("anchor", CALENDAR), data.get("ordinal"))

    def to_dict(self) -> dict[str, Any]:
        # "ordinal" only where it means something, so stored cadences of the other kinds
        # keep the JSON they always had
        extra = {"ordinal": self.ordinal} if self.kind == MONTHLY_WEEKDAY else {}
        return {"kind": self.kind, "interval": self.interval,
                "weekdays": list(self.weekdays), "anchor": self.anchor, **extra}


@dataclass(frozen=True, slots=True)
class FunctionRequirement:
    """A symptoms exit's second condition: function improves too, e.g. the PSFS up by at
    least its MCID from the plan's first answer. Data only: whether the instrument exists
    (built in or a clinic's file) is the caller's to check; the engine says "not met" for
    one it has no answers or definition for."""

    instrument: str
    by: str = BY_MCID

    def __post_init__(self) -> None:
        if not isinstance(self.instrument, str) or not ID_PATTERN.fullmatch(self.instrument):
            raise SpecError("instrument_id", name="instrument", got=repr(self.instrument))
        check_one_of(self.by, FUNCTION_BY, "by")

    @classmethod
    def from_dict(cls, data: Any) -> FunctionRequirement:
        data = _fields(data, ("instrument", "by"), ("instrument",))
        return cls(data["instrument"], data.get("by", BY_MCID))

    def to_dict(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "by": self.by}


@dataclass(frozen=True, slots=True)
class ExitRule:
    """When a phase hands over to the next one.

    A symptoms exit may carry ``function``: then leg pain AND function must both improve
    (issue 19: "leg pain down 30% or 2 points, and PSFS up by at least its MCID").
    """

    kind: str
    n: int | None = None
    threshold: float | None = None
    drop_pct: int = 30
    function: FunctionRequirement | None = None

    def __post_init__(self) -> None:
        check_one_of(self.kind, EXIT_KINDS, "kind")
        if self.kind in (AFTER_SESSIONS, AFTER_WEEKS):
            check_int(self.n, 1, MAX_EXIT_COUNT, "n")
        elif self.n is not None:
            raise SpecError("exit_n_unused", name="n", got=repr(self.n))
        self._check_symptom_fields()

    def _check_symptom_fields(self) -> None:
        if self.threshold is not None:
            if self.kind != SYMPTOMS:
                raise SpecError("threshold_unused", name="threshold")
            value = self.threshold
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not 0 <= value <= 10:
                raise SpecError("threshold_range", name="threshold", got=repr(value))
            object.__setattr__(self, "threshold", float(value))
        check_int(self.drop_pct, 1, 100, "drop_pct")
        if self.function is not None:
            if self.kind != SYMPTOMS:
                raise SpecError("function_unused", name="function")
            if not isinstance(self.function, FunctionRequirement):
                raise SpecError("wrong_type", name="function", expected="a FunctionRequirement")

    @classmethod
    def from_dict(cls, data: Any) -> ExitRule:
        kind = _fields(data, ("kind", "n", "threshold", "drop_pct", "function"),
                       ("kind",))["kind"]
        check_one_of(kind, EXIT_KINDS, "kind")
        if kind != SYMPTOMS and "function" in data:
            raise SpecError("function_unused", name="function")
        allowed = {AFTER_SESSIONS: ("kind", "n"), AFTER_WEEKS: ("kind", "n"),
                   SYMPTOMS: ("kind", "threshold", "drop_pct", "function"),
                   MANUAL: ("kind",)}[kind]
        data = _fields(data, allowed, allowed[:2] if kind in (AFTER_SESSIONS, AFTER_WEEKS) else ())
        function = None
        if data.get("function") is not None:
            with _at("function"):
                function = FunctionRequirement.from_dict(data["function"])
        return cls(kind, data.get("n"), data.get("threshold"), data.get("drop_pct", 30),
                   function)

    def to_dict(self) -> dict[str, Any]:
        if self.kind in (AFTER_SESSIONS, AFTER_WEEKS):
            return {"kind": self.kind, "n": self.n}
        if self.kind == SYMPTOMS:
            # "function" only when set, so stored pain-only exits keep the JSON they had
            extra = {} if self.function is None else {"function": self.function.to_dict()}
            return {"kind": self.kind, "threshold": self.threshold, "drop_pct": self.drop_pct,
                    **extra}
        return {"kind": self.kind}


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One scheduled thing; `key` is its identity across phases."""

    key: str
    technique: str
    name: str
    kind: str
    cadence: Cadence
    dose: Dose = Dose()
    time_of_day: time | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _text(self.key, "key", limit=64)
        _text(self.technique, "technique", required=False, limit=64)
        _text(self.name, "name")
        check_one_of(self.kind, ITEM_KINDS, "kind")
        if not isinstance(self.cadence, Cadence) or not isinstance(self.dose, Dose):
            raise SpecError("wrong_type", name="cadence and dose",
                            expected="Cadence and Dose")
        _text(self.note, "note", required=False, limit=2000, allow=MULTILINE)
        t = self.time_of_day
        if t is not None and (not isinstance(t, time) or t.tzinfo or t.second or t.microsecond):
            raise SpecError("naive_time", name="time_of_day", got=repr(t))

    @property
    def is_session(self) -> bool:
        """A professional session, done by a therapist."""
        return self.kind == SESSION

    @classmethod
    def from_dict(cls, data: Any) -> ItemSpec:
        data = _fields(data, ("key", "technique", "name", "kind", "cadence", "dose",
                              "time_of_day", "note"),
                       ("key", "technique", "name", "kind", "cadence"))
        with _at("cadence"):
            cadence = Cadence.from_dict(data["cadence"])
        with _at("dose"):
            dose = Dose.from_dict(data.get("dose", {}))
        return cls(data["key"], data["technique"], data["name"], data["kind"], cadence, dose,
                   _time_of_day(data.get("time_of_day")), data.get("note", ""))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "technique": self.technique, "name": self.name,
                "kind": self.kind, "cadence": self.cadence.to_dict(),
                "dose": self.dose.to_dict(), "time_of_day": format_time_of_day(self.time_of_day),
                "note": self.note}


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    """A named stage of the plan with its items and exit rule."""

    name: str
    exit: ExitRule
    items: tuple[ItemSpec, ...]

    def __post_init__(self) -> None:
        _text(self.name, "name")
        if not isinstance(self.exit, ExitRule):
            raise SpecError("wrong_type", name="exit", expected="an ExitRule")
        freeze(self, "items")
        if len(self.items) > MAX_ITEMS_PER_PHASE:
            raise SpecError("too_many_items", field="items", most=MAX_ITEMS_PER_PHASE,
                            count=len(self.items))
        keys = [item.key for item in self.items]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise SpecError("duplicate_keys", field="items", keys=", ".join(duplicates))

    def item(self, key: str) -> ItemSpec | None:
        """The item with this key, if the phase has one."""
        return next((item for item in self.items if item.key == key), None)

    @classmethod
    def from_dict(cls, data: Any) -> PhaseSpec:
        data = _fields(data, ("name", "exit", "items"), ("name", "exit", "items"))
        with _at("exit"):
            rule = ExitRule.from_dict(data["exit"])
        items = []
        for i, raw in enumerate(_sequence(data["items"], "items")):
            with _at(f"items[{i}]"):
                items.append(ItemSpec.from_dict(raw))
        return cls(data["name"], rule, tuple(items))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "exit": self.exit.to_dict(),
                "items": [item.to_dict() for item in self.items]}


@dataclass(frozen=True, slots=True)
class PlanSpec:
    """The stored plan: an ordered list of phases."""

    phases: tuple[PhaseSpec, ...]

    def __post_init__(self) -> None:
        freeze(self, "phases")
        if not 1 <= len(self.phases) <= MAX_PHASES:
            raise SpecError("phase_count", field="phases", most=MAX_PHASES,
                            count=len(self.phases))

    def phase(self, index: int) -> PhaseSpec:
        """The phase at `index`, clamped to the last one."""
        return self.phases[min(index, len(self.phases) - 1)]

    @classmethod
    def from_dict(cls, data: Any) -> PlanSpec:
        """Parse stored JSON; raises SpecError (a ValueError) naming the bad field."""
        with _at(None):
            data = _fields(data, ("phases",), ("phases",))
            phases = []
            for i, raw in enumerate(_sequence(data["phases"], "phases")):
                with _at(f"phases[{i}]"):
                    phases.append(PhaseSpec.from_dict(raw))
            return cls(tuple(phases))

    def to_dict(self) -> dict[str, Any]:
        return {"phases": [phase.to_dict() for phase in self.phases]}

