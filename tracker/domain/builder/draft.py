"""The builder's draft (pure): the plan as the form holds it, read from a posted form or a
stored spec, written back as form fields or as a spec dict for the engine to judge.

The whole draft travels in the posted form (``phases-0-name``, ``phases-0-items-1-interval``,
...), so the builder is stateless and works without JavaScript. :func:`parse` reads those
fields into a :class:`Draft` of strings, tolerating anything missing or malformed. Free text
follows the one policy (``tracker.domain.text``): text with control characters is kept as
typed and refused with a field error (``Draft.errors``), never silently cleaned.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from tracker.domain import plan_spec, wording
from tracker.domain.text import CONTROL_MESSAGE, MULTILINE, is_plain
from tracker.domain.times import format_time_of_day, parse_time_of_day

DOSE_FIELDS = ("hold_seconds", "repetitions", "sets", "minutes")
PHASE_FIELDS = ("name", "exit_kind", "exit_n", "exit_threshold", "exit_drop_pct",
                "exit_function")
ITEM_FIELDS = (
    "key", "technique", "technique_was", "name", "kind", "cadence_kind", "interval",
    "weekdays", "anchor", "ordinal", *DOSE_FIELDS, "per_side", "time_of_day", "note", "search",
    "open",
)
CADENCE_CHOICES = (
    (plan_spec.EVERY_N_DAYS, "Every few days (1 = daily)"),
    (plan_spec.WEEKLY_DAYS, "On chosen days of the week"),
    (plan_spec.EVERY_N_WEEKS, "Every few weeks, on one day"),
    (plan_spec.MONTHLY, "Every few months"),
    (plan_spec.MONTHLY_WEEKDAY, "A weekday, every few months"),
)
# monthly_weekday: which of the month's chosen weekdays; -1 is the last
ORDINAL_CHOICES = (("1", "The 1st"), ("2", "The 2nd"), ("3", "The 3rd"), ("4", "The 4th"),
                   ("-1", "The last"))
_WITH_WEEKDAYS = (plan_spec.WEEKLY_DAYS, plan_spec.EVERY_N_WEEKS, plan_spec.MONTHLY_WEEKDAY)
ANCHOR_CHOICES = (
    (plan_spec.CALENDAR, "the calendar"),
    (plan_spec.AFTER_DONE, "the last time it was done"),
)
EXIT_CHOICES = (
    (plan_spec.AFTER_WEEKS, "After a number of weeks"),
    (plan_spec.AFTER_SESSIONS, "After a number of sessions"),
    (plan_spec.SYMPTOMS, "When symptoms improve"),
    (plan_spec.MANUAL, "When you move it on by hand"),
)
# The engine names fields as the JSON does; the form shows these labels.
LABELS = {
    "interval": "Repeat every", "anchor": "Count from", "ordinal": "Which one in the month",
    "hold_seconds": "Hold (seconds)",
    "repetitions": "Repetitions", "sets": "Sets", "minutes": "Minutes",
    "per_side": "Each side", "time_of_day": "Time of day", "note": "Note",
    "threshold": "Pain threshold", "drop_pct": "Drop", "n": "Number",
    "instrument": "Function", "by": "Function", "function": "Function",
}
# Fields posted but not shown as a control of their own: an error on one shows on technique.
_HIDDEN = {"key": "technique", "technique_was": "technique", "name": "technique",
           "kind": "technique", "open": "technique"}

_FIELD = re.compile(r"phases-(\d{1,4})-(?:items-(\d{1,4})-)?([a-z_]+)")
_INT = re.compile(r"[+-]?\d{1,12}")
_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})?")
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Technique:
    """What the builder needs to know about a library technique."""

    slug: str
    name: str
    kind: str
    dose: Mapping[str, Any]


@dataclass(slots=True)
class ItemDraft:
    """One item as typed: every value a string, as the form holds it."""

    key: str = ""
    technique: str = ""
    technique_was: str = ""  # the technique when last shown: a change fills name and kind
    name: str = ""
    kind: str = ""
    cadence_kind: str = plan_spec.EVERY_N_DAYS
    interval: str = "1"
    weekdays: list[int] = field(default_factory=list)
    anchor: str = plan_spec.CALENDAR
    ordinal: str = "1"  # monthly_weekday only
    hold_seconds: str = ""
    repetitions: str = ""
    sets: str = ""
    minutes: str = ""
    per_side: bool = False
    time_of_day: str = ""
    note: str = ""
    search: str = ""  # the technique search box: filters the list, not part of the plan
    open: bool = False  # shown expanded
    prefix: str = ""  # "phases-0-items-1", set by Draft.renumber
    index: int = 0
    refused: frozenset[str] = frozenset()  # fields posted with control characters
    # The prefix its fields were posted under ("" for a new item): after a remove or a move
    # renumbers the fields, the page can tell which item a control now under another name is.
    origin: str = ""

    @property
    def label(self) -> str:
        return self.name or "New item"

    @property
    def at(self) -> str:
        """Its phase and item index as its buttons' actions carry them: "0-1"."""
        return self.prefix.removeprefix("phases-").replace("-items-", "-")

    @property
    def summary(self) -> str:
        """ "daily · hold 15 s ×3", or "" while the cadence is not valid yet."""
        try:
            cadence = plan_spec.Cadence.from_dict(_cadence_dict(self, FieldErrors()))
        except plan_spec.SpecError:
            return ""
        dose = short_dose(_dose_dict(self, FieldErrors()))
        when = f" at {self.time_of_day}" if _time_of_day(self.time_of_day) else ""
        return " · ".join(p for p in (wording.cadence_text(cadence) + when, dose) if p)


@dataclass(slots=True)
class PhaseDraft:
    name: str = ""
    exit_kind: str = plan_spec.MANUAL
    exit_n: str = ""
    exit_threshold: str = ""
    exit_drop_pct: str = "30"
    exit_function: str = ""  # a symptoms exit's questionnaire id ("": leg pain only)
    items: list[ItemDraft] = field(default_factory=list)
    prefix: str = ""
    index: int = 0
    refused: frozenset[str] = frozenset()  # fields posted with control characters
    origin: str = ""  # the prefix its fields were posted under, as ItemDraft.origin

    @property
    def label(self) -> str:
        return self.name or "Unnamed phase"


@dataclass(slots=True)
class Draft:
    phases: list[PhaseDraft] = field(default_factory=list)
    focus: str = ""  # the id of the control to put focus on after an action

    def renumber(self) -> Draft:
        for i, phase in enumerate(self.phases):
            phase.prefix, phase.index = f"phases-{i}", i
            for j, item in enumerate(phase.items):
                item.prefix, item.index = f"{phase.prefix}-items-{j}", j
        return self

    @property
    def can_add_phase(self) -> bool:
        return len(self.phases) < plan_spec.MAX_PHASES

    @property
    def errors(self) -> dict[str, str]:
        """Field errors found while parsing (text with control characters), by target."""
        found = {}
        for phase in self.renumber().phases:
            found |= {f"{phase.prefix}-{name}": CONTROL_MESSAGE for name in sorted(phase.refused)}
            for item in phase.items:
                found |= {f"{item.prefix}-{_HIDDEN.get(name, name)}": CONTROL_MESSAGE
                          for name in sorted(item.refused)}
        return found


# --------------------------------------------------------------------------- spec → draft


def _text_of(value: Any) -> str:
    return "" if value is None else str(value)


def draft_from_spec(spec: Mapping[str, Any]) -> Draft:
    """A draft showing a stored plan spec (a dict as PlanSpec.to_dict or the library has it)."""
    phases = []
    for raw_phase in spec.get("phases", ()):
        rule = raw_phase.get("exit", {})
        threshold = rule.get("threshold")
        function = rule.get("function") or {}
        phase = PhaseDraft(
            name=raw_phase.get("name", ""),
            exit_kind=rule.get("kind", plan_spec.MANUAL),
            exit_n=_text_of(rule.get("n")),
            exit_threshold="" if threshold is None else f"{threshold:g}",
            exit_drop_pct=_text_of(rule.get("drop_pct", 30)),
            exit_function=_text_of(function.get("instrument")),
        )
        for raw in raw_phase.get("items", ()):
            cadence, dose = raw.get("cadence", {}), raw.get("dose") or {}
            phase.items.append(ItemDraft(
                key=raw.get("key", ""),
                technique=raw.get("technique", ""),
                technique_was=raw.get("technique", ""),
                name=raw.get("name", ""),
                kind=raw.get("kind", ""),
                cadence_kind=cadence.get("kind", plan_spec.EVERY_N_DAYS),
                interval=_text_of(cadence.get("interval", 1)),
                weekdays=sorted(cadence.get("weekdays", ())),
                anchor=cadence.get("anchor", plan_spec.CALENDAR),
                ordinal=_text_of(cadence.get("ordinal") or 1),
                **{name: _text_of(dose.get(name)) for name in DOSE_FIELDS},
                per_side=bool(dose.get("per_side")),
                time_of_day=raw.get("time_of_day") or "",
                note=raw.get("note", ""),
            ))
        phases.append(phase)
    return Draft(phases).renumber()


def scratch() -> Draft:
    """An empty plan: one phase, waiting for items."""
    return Draft([PhaseDraft(name="Phase 1")]).renumber()


def form_fields(draft: Draft) -> dict[str, list[str]]:
    """The draft as the builder's form posts it (name → values), for tests and tools."""
    fields: dict[str, list[str]] = {}
    for phase in draft.renumber().phases:
        for name in PHASE_FIELDS:
            fields[f"{phase.prefix}-{name}"] = [getattr(phase, name)]
        for item in phase.items:
            for name in ITEM_FIELDS:
                value = getattr(item, name)
                if name == "weekdays":
                    fields[f"{item.prefix}-weekdays"] = [str(d) for d in value]
                elif isinstance(value, bool):
                    fields[f"{item.prefix}-{name}"] = ["y"] if value else []
                else:
                    fields[f"{item.prefix}-{name}"] = [value]
    return {name: values for name, values in fields.items() if values}

# --------------------------------------------------------------------------- form → draft


def _values(form: Any, name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(name)]
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _indices(form: Any) -> dict[int, set[int]]:
    """Phase index → item indices, as numbered by the posted field names."""
    found: dict[int, set[int]] = {}
    for name in form:
        match = _FIELD.fullmatch(name)
        if match:
            items = found.setdefault(int(match[1]), set())
            if match[2] is not None:
                items.add(int(match[2]))
    return found


def _weekdays(values: list[str]) -> list[int]:
    return sorted({int(v) for v in values if v.strip() in ("0", "1", "2", "3", "4", "5", "6")})


class _Reader:
    """Reads the text fields under one prefix, noting those refused by the free-text policy."""

    def __init__(self, form: Any, prefix: str) -> None:
        self.form, self.prefix, self.refused = form, prefix, set()

    def __call__(self, name: str, *, multiline: bool = False) -> str:
        text = next(iter(_values(self.form, f"{self.prefix}-{name}")), "")
        # One line: a line break or tab is refused too. Judged before strip(), which would
        # drop some control characters at the ends; a refused text stays as typed.
        if not is_plain(text, MULTILINE if multiline else ""):
            self.refused.add(name)
            return text
        return text.strip()


def _parse_item(form: Any, prefix: str) -> ItemDraft:
    one = _Reader(form, prefix)
    item = ItemDraft(**{name: one(name) for name in (
        "key", "technique", "technique_was", "name", "kind", "interval", "anchor", "ordinal",
        *DOSE_FIELDS, "time_of_day", "search")})
    item.cadence_kind = one("cadence_kind") or plan_spec.EVERY_N_DAYS
    item.anchor = item.anchor or plan_spec.CALENDAR
    item.ordinal = item.ordinal or "1"
    item.weekdays = _weekdays(_values(form, f"{prefix}-weekdays"))
    item.per_side = bool(_values(form, f"{prefix}-per_side"))
    item.note = one("note", multiline=True)
    item.open = one("open") == "1"
    item.refused = frozenset(one.refused)
    item.origin = prefix
    return item


def parse(form: Any, techniques: Mapping[str, Technique]) -> Draft:
    """Read the builder's posted fields into a draft; whatever is missing gets a default.

    Fields are renumbered in order, so gaps and junk indices do no harm; at most
    MAX_PHASES phases of MAX_ITEMS_PER_PHASE items are read. A newly chosen technique
    fills the item's name and kind (and, for an item that had none, its default dose).
    """
    draft = Draft()
    for i, item_indices in sorted(_indices(form).items())[: plan_spec.MAX_PHASES]:
        prefix, one = f"phases-{i}", _Reader(form, f"phases-{i}")
        posted = [name for name in PHASE_FIELDS if _values(form, f"{prefix}-{name}")]
        phase = PhaseDraft(**{name: one(name) for name in posted})
        phase.exit_kind = phase.exit_kind or plan_spec.MANUAL
        phase.refused = frozenset(one.refused)
        phase.origin = prefix
        for j in sorted(item_indices)[: plan_spec.MAX_ITEMS_PER_PHASE]:
            phase.items.append(_parse_item(form, f"{prefix}-items-{j}"))
        draft.phases.append(phase)
    _fill_from_techniques(draft, techniques)
    return draft.renumber()


def _fill_from_techniques(draft: Draft, techniques: Mapping[str, Technique]) -> None:
    for phase in draft.phases:
        for item in phase.items:
            technique = techniques.get(item.technique)
            if technique is not None:
                item.name, item.kind = technique.name, technique.kind
                blank = not item.per_side and not any(getattr(item, n) for n in DOSE_FIELDS)
                if not item.technique_was and blank:
                    for name in DOSE_FIELDS:
                        item.__setattr__(name, _text_of(technique.dose.get(name)))
                    item.per_side = bool(technique.dose.get("per_side"))
            item.technique_was = item.technique
    _assign_keys(draft)


def _assign_keys(draft: Draft) -> None:
    """Give items without a (usable) key one; the same technique keeps one key across phases.

    The key is an item's identity for the engine: a massage keyed "massage" in every
    phase is one series that tapers, not three unrelated ones.
    """
    by_technique: dict[str, str] = {}
    for phase in draft.phases:
        for item in phase.items:
            item.key = _KEY_CHARS.sub("", item.key)[:64]  # a machine name, not free text
            if item.key and item.technique:
                by_technique.setdefault(item.technique, item.key)
    for phase in draft.phases:
        taken = {item.key for item in phase.items if item.key}
        for item in phase.items:
            if item.key or not item.technique:
                continue
            base = by_technique.get(item.technique) or _KEY_CHARS.sub("", item.technique)[:60]
            key, n = base or "item", 2
            while key in taken:
                key, n = f"{base[:60]}-{n}", n + 1
            item.key = key
            taken.add(key)
            by_technique.setdefault(item.technique, key)


def technique_groups(techniques: Mapping[str, Technique], headings: Mapping[str, str],
                     query: str = "", selected: str = "", selected_name: str = ""
                     ) -> list[tuple[str, list[Technique]]]:
    """Techniques whose name has every word of ``query``, grouped under ``headings`` by kind.

    The selected one always stays, and one no longer in the library gets its own group so
    the select still shows what the plan holds.
    """
    words = query.casefold().split()
    groups = []
    if selected and selected not in techniques:
        missing = Technique(selected, f"{selected_name or selected} (not in your library)", "", {})
        groups.append(("No longer in your library", [missing]))
    for kind, heading in headings.items():
        found = [t for t in techniques.values() if t.kind == kind and (
            t.slug == selected or all(w in t.name.casefold() for w in words))]
        if found:
            groups.append((heading, found))
    return groups

# --------------------------------------------------------------------------- draft → spec


class FieldErrors:
    """Errors by target: a field name, an item or phase prefix, or "plan"."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, target: str, message: str) -> None:
        self.errors.setdefault(target, message)


def _int(text: str, target: str, label: str, errors: FieldErrors, default: Any = None) -> Any:
    """A whole number from the text; None when blank; on junk an error and ``default``."""
    text = text.strip()
    if not text:
        return None
    if _INT.fullmatch(text):
        return int(text)
    errors.add(target, f"{label} must be a whole number, like 3.")
    return default


def _cadence_dict(item: ItemDraft, errors: FieldErrors) -> dict[str, Any]:
    kind = item.cadence_kind
    interval = _int(item.interval, f"{item.prefix}-interval", "Repeat every", errors, 1)
    weekdays = item.weekdays if kind in _WITH_WEEKDAYS else []
    cadence = {"kind": kind, "interval": 1 if interval is None else interval,
               "weekdays": list(weekdays), "anchor": item.anchor}
    if kind == plan_spec.MONTHLY_WEEKDAY:
        # junk goes on as typed, for the engine to refuse next to the field
        number = item.ordinal.strip()
        cadence["ordinal"] = int(number) if _INT.fullmatch(number) else number
    return cadence


def _dose_dict(item: ItemDraft, errors: FieldErrors) -> dict[str, Any]:
    dose: dict[str, Any] = {"per_side": item.per_side}
    for name in DOSE_FIELDS:
        dose[name] = _int(getattr(item, name), f"{item.prefix}-{name}", LABELS[name], errors)
    return dose


def _time_of_day(text: str) -> time | None:
    """The typed time with the one parser, also taking "7:05" for "07:05"; None if not one."""
    text = text.strip()
    if len(text) in (4, 7) and text[1:2] == ":":
        text = "0" + text
    try:
        return parse_time_of_day(text)
    except ValueError:
        return None


def _time(text: str) -> str | None:
    """The time as the spec writes it; a text that is not a time goes on for the engine to
    refuse next to the field."""
    if not text.strip():
        return None
    return format_time_of_day(_time_of_day(text)) or text


def _item_dict(item: ItemDraft, errors: FieldErrors) -> dict[str, Any]:
    return {
        "key": item.key,
        "technique": item.technique,
        "name": item.name,
        "kind": item.kind,
        "cadence": _cadence_dict(item, errors),
        "dose": _dose_dict(item, errors),
        "time_of_day": _time(item.time_of_day),
        "note": item.note,
    }


def _exit_dict(phase: PhaseDraft, errors: FieldErrors) -> dict[str, Any]:
    kind = phase.exit_kind
    if kind in (plan_spec.AFTER_WEEKS, plan_spec.AFTER_SESSIONS):
        label = "Weeks" if kind == plan_spec.AFTER_WEEKS else "Sessions"
        target = f"{phase.prefix}-exit_n"
        n = _int(phase.exit_n, target, label, errors, 1)
        if n is None:
            errors.add(target, f"Enter how many {label.lower()}, from 1 to "
                               f"{plan_spec.MAX_EXIT_COUNT}.")
        return {"kind": kind, "n": 1 if n is None else n}
    if kind == plan_spec.SYMPTOMS:
        threshold = None
        text = phase.exit_threshold.strip()
        if text and _NUMBER.fullmatch(text):
            threshold = float(text)
        elif text:
            errors.add(f"{phase.prefix}-exit_threshold",
                       "Pain threshold must be a number from 0 to 10, like 3 or 2.5.")
        drop = _int(phase.exit_drop_pct, f"{phase.prefix}-exit_drop_pct", "Drop", errors, 30)
        rule = {"kind": kind, "threshold": threshold, "drop_pct": 30 if drop is None else drop}
        if phase.exit_function.strip():
            rule["function"] = {"instrument": phase.exit_function.strip(),
                                "by": plan_spec.BY_MCID}
        return rule
    return {"kind": kind}


def to_spec(draft: Draft) -> tuple[dict[str, Any], dict[str, str]]:
    """The draft as a spec dict, with the errors met turning text into numbers."""
    errors = FieldErrors()
    spec = {"phases": [
        {"name": phase.name, "exit": _exit_dict(phase, errors),
         "items": [_item_dict(item, errors) for item in phase.items]}
        for phase in draft.renumber().phases
    ]}
    return spec, errors.errors


def short_dose(dose: Mapping[str, Any] | plan_spec.Dose) -> str:
    """ "hold 15 s ×3", "15 min", "×10 each side"; "" for no dose."""
    if isinstance(dose, plan_spec.Dose):
        dose = dose.to_dict()
    parts = []
    if dose.get("hold_seconds"):
        parts.append(f"hold {dose['hold_seconds']} s")
    if dose.get("minutes"):
        parts.append(f"{dose['minutes']} min")
    if dose.get("repetitions"):
        parts.append(f"×{dose['repetitions']}")
    if dose.get("sets"):
        parts.append(f"{dose['sets']} sets" if dose["sets"] != 1 else "1 set")
    if dose.get("per_side"):
        parts.append("each side")
    return " ".join(parts)

