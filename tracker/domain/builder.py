"""The plan builder, pure: a draft plan kept in form fields, its actions, checks and diff.

The whole draft travels in the posted form (``phases-0-name``,
``phases-0-items-1-interval``, ...), so the builder is stateless and works without
JavaScript. :func:`parse` reads those fields into a :class:`Draft` of raw strings,
tolerating anything missing or malformed; :func:`apply` performs one button's action
(add, remove, reorder); :func:`check` turns the draft into a plan spec, letting the
engine (``plan_spec.PlanSpec.from_dict`` and its parts) judge it and mapping each
``SpecError`` back to the field it is about; :func:`preview` lists the weeks ahead as
the engine computes them; :func:`describe_changes` says in plain words what an edit
changes. No Flask, no database, no clock.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from tracker.domain import plan_spec, schedule, wording

__all__ = [
    "ACTIONS", "CADENCE_CHOICES", "EXIT_CHOICES", "FINAL_ACTIONS", "Draft", "ItemDraft",
    "PhaseDraft", "PreviewWeek", "Technique", "UnknownAction", "apply", "check",
    "describe_changes", "draft_from_spec", "error_list", "form_fields", "parse", "preview",
    "short_dose", "technique_groups",
]

DOSE_FIELDS = ("hold_seconds", "repetitions", "sets", "minutes")
PHASE_FIELDS = ("name", "exit_kind", "exit_n", "exit_threshold", "exit_drop_pct")
ITEM_FIELDS = (
    "key", "technique", "technique_was", "name", "kind", "cadence_kind", "interval",
    "weekdays", "anchor", *DOSE_FIELDS, "per_side", "time_of_day", "note", "search", "open",
)
CADENCE_CHOICES = (
    (plan_spec.EVERY_N_DAYS, "Every few days (1 = daily)"),
    (plan_spec.WEEKLY_DAYS, "On chosen days of the week"),
    (plan_spec.EVERY_N_WEEKS, "Every few weeks, on one day"),
    (plan_spec.MONTHLY, "Every few months"),
)
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
# Buttons that change the draft (with how many indices they carry: "remove-item-0-2"),
# and the ones that use the draft once it is valid.
ACTIONS = {"refresh": 0, "add-phase": 0, "remove-phase": 1, "phase-up": 1, "phase-down": 1,
           "add-item": 1, "remove-item": 2, "item-up": 2, "item-down": 2}
FINAL_ACTIONS = ("preview", "save-template", "assign", "save-changes")
PREVIEW_WEEKS = 12

_FIELD = re.compile(r"phases-(\d{1,4})-(?:items-(\d{1,4})-)?([a-z_]+)")
_ACTION = re.compile(r"([a-z-]+?)(?:-(\d{1,4}))?(?:-(\d{1,4}))?")
_INT = re.compile(r"[+-]?\d{1,12}")
_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class UnknownAction(ValueError):
    """The posted action is not one the builder knows."""


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

    @property
    def label(self) -> str:
        return self.name or "New item"

    @property
    def summary(self) -> str:
        """ "daily · hold 15 s ×3", or "" while the cadence is not valid yet."""
        try:
            cadence = plan_spec.Cadence.from_dict(_cadence_dict(self, _Collect()))
        except ValueError:
            return ""
        dose = short_dose(_dose_dict(self, _Collect()))
        when = f" at {self.time_of_day}" if _TIME.fullmatch(self.time_of_day) else ""
        return " · ".join(p for p in (wording.cadence_text(cadence) + when, dose) if p)


@dataclass(slots=True)
class PhaseDraft:
    name: str = ""
    exit_kind: str = plan_spec.MANUAL
    exit_n: str = ""
    exit_threshold: str = ""
    exit_drop_pct: str = "30"
    items: list[ItemDraft] = field(default_factory=list)
    prefix: str = ""
    index: int = 0

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


# --------------------------------------------------------------------------- spec → draft


def _text_of(value: Any) -> str:
    return "" if value is None else str(value)


def draft_from_spec(spec: Mapping[str, Any]) -> Draft:
    """A draft showing a stored plan spec (a dict as PlanSpec.to_dict or the library has it)."""
    phases = []
    for raw_phase in spec.get("phases", ()):
        rule = raw_phase.get("exit", {})
        threshold = rule.get("threshold")
        phase = PhaseDraft(
            name=raw_phase.get("name", ""),
            exit_kind=rule.get("kind", plan_spec.MANUAL),
            exit_n=_text_of(rule.get("n")),
            exit_threshold="" if threshold is None else f"{threshold:g}",
            exit_drop_pct=_text_of(rule.get("drop_pct", 30)),
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


def _clean(text: str, *, multiline: bool = False) -> str:
    text = _CONTROL.sub("", text)
    if not multiline:
        text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return text.strip()


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


def _parse_item(form: Any, prefix: str) -> ItemDraft:
    def one(name: str, multiline: bool = False) -> str:
        values = _values(form, f"{prefix}-{name}")
        return _clean(values[0], multiline=multiline) if values else ""

    item = ItemDraft(**{name: one(name) for name in (
        "key", "technique", "technique_was", "name", "kind", "interval", "anchor",
        *DOSE_FIELDS, "time_of_day", "search")})
    item.cadence_kind = one("cadence_kind") or plan_spec.EVERY_N_DAYS
    item.anchor = item.anchor or plan_spec.CALENDAR
    item.weekdays = _weekdays(_values(form, f"{prefix}-weekdays"))
    item.per_side = bool(_values(form, f"{prefix}-per_side"))
    item.note = one("note", multiline=True)
    item.open = one("open") == "1"
    return item


def parse(form: Any, techniques: Mapping[str, Technique]) -> Draft:
    """Read the builder's posted fields into a draft; whatever is missing gets a default.

    Fields are renumbered in order, so gaps and junk indices do no harm; at most
    MAX_PHASES phases of MAX_ITEMS_PER_PHASE items are read. A newly chosen technique
    fills the item's name and kind (and, for an item that had none, its default dose).
    """
    draft = Draft()
    for i, item_indices in sorted(_indices(form).items())[: plan_spec.MAX_PHASES]:
        prefix = f"phases-{i}"
        values = {name: _values(form, f"{prefix}-{name}") for name in PHASE_FIELDS}
        phase = PhaseDraft(**{name: _clean(v[0]) for name, v in values.items() if v})
        phase.exit_kind = phase.exit_kind or plan_spec.MANUAL
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
            item.key = _KEY_CHARS.sub("", item.key)[:64]
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


# --------------------------------------------------------------------------- actions


def _target(action: str) -> tuple[str, tuple[int, ...]]:
    """Split "remove-item-0-2" into ("remove-item", (0, 2)); UnknownAction if it is not one."""
    match = _ACTION.fullmatch(action or "")
    if not match:
        raise UnknownAction(action)
    name, numbers = match[1], tuple(int(n) for n in match.groups()[1:] if n is not None)
    arity = ACTIONS.get(name, 0 if name in FINAL_ACTIONS else None)
    if arity != len(numbers):
        raise UnknownAction(action)
    return name, numbers


def action_name(action: str) -> str:
    """The action without its indices ("remove-item-0-2" → "remove-item"); UnknownAction."""
    return _target(action)[0]


def apply(draft: Draft, action: str) -> Draft:
    """Perform a draft-changing action in place and return the draft.

    Indices out of range (a stale page) change nothing. Final actions (preview, save...)
    leave the draft as it is. Sets ``draft.focus`` to the control that should have focus.
    """
    name, numbers = _target(action)
    phases = draft.phases
    if name == "add-phase" and draft.can_add_phase:
        _add_phase(draft)
    elif name in ("remove-phase", "phase-up", "phase-down") and numbers[0] < len(phases):
        i = numbers[0]
        if name == "remove-phase":
            del phases[i]
            draft.focus = "add-phase"
        else:
            j = _swap(phases, i, -1 if name == "phase-up" else 1)
            if j != i:
                draft.focus = f"phases-{j}-{_button(name == 'phase-up', j, len(phases))}"
    elif name == "add-item" and numbers[0] < len(phases):
        items = phases[numbers[0]].items
        if len(items) < plan_spec.MAX_ITEMS_PER_PHASE:
            items.append(ItemDraft(open=True))
            draft.focus = f"phases-{numbers[0]}-items-{len(items) - 1}-technique"
    elif name in ("remove-item", "item-up", "item-down") and numbers[0] < len(phases):
        i, j = numbers
        items = phases[i].items
        if j < len(items):
            if name == "remove-item":
                del items[j]
                draft.focus = f"phases-{i}-add-item"
            else:
                k = _swap(items, j, -1 if name == "item-up" else 1)
                if k != j:
                    items[k].open = True
                    button = _button(name == "item-up", k, len(items))
                    draft.focus = f"phases-{i}-items-{k}-{button}"
    return draft.renumber()


def _button(up: bool, index: int, count: int) -> str:
    """After a move, the same button again if there still is one, else the other one."""
    return "up" if up and index > 0 or index == count - 1 else "down"


def _swap(seq: list, i: int, step: int) -> int:
    j = i + step
    if 0 <= j < len(seq):
        seq[i], seq[j] = seq[j], seq[i]
        return j
    return i


def _add_phase(draft: Draft) -> None:
    """A new last phase starting as a copy of the one before: tapering is mostly edits."""
    number = len(draft.phases) + 1
    items = []
    if draft.phases:
        items = [replace(item, open=False, search="") for item in draft.phases[-1].items]
    draft.phases.append(PhaseDraft(name=f"Phase {number}", items=items))
    draft.focus = f"phases-{number - 1}-name"


# --------------------------------------------------------------------------- draft → spec


class _Collect:
    """Errors by target: a field name, an item or phase prefix, or "plan"."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, target: str, message: str) -> None:
        self.errors.setdefault(target, message)


def _int(text: str, target: str, label: str, errors: _Collect, default: Any = None) -> Any:
    """A whole number from the text; None when blank; on junk an error and ``default``."""
    text = text.strip()
    if not text:
        return None
    if _INT.fullmatch(text):
        return int(text)
    errors.add(target, f"{label} must be a whole number, like 3.")
    return default


def _cadence_dict(item: ItemDraft, errors: _Collect) -> dict[str, Any]:
    kind = item.cadence_kind
    interval = _int(item.interval, f"{item.prefix}-interval", "Repeat every", errors, 1)
    weekdays = item.weekdays if kind in (plan_spec.WEEKLY_DAYS, plan_spec.EVERY_N_WEEKS) else []
    return {"kind": kind, "interval": 1 if interval is None else interval,
            "weekdays": list(weekdays), "anchor": item.anchor}


def _dose_dict(item: ItemDraft, errors: _Collect) -> dict[str, Any]:
    dose: dict[str, Any] = {"per_side": item.per_side}
    for name in DOSE_FIELDS:
        dose[name] = _int(getattr(item, name), f"{item.prefix}-{name}", _LABELS[name], errors)
    return dose


def _time(text: str) -> str | None:
    if not text.strip():
        return None
    match = _TIME.fullmatch(text.strip())
    return f"{int(match[1]):02d}:{match[2]}" if match else text


def _item_dict(item: ItemDraft, errors: _Collect) -> dict[str, Any]:
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


def _exit_dict(phase: PhaseDraft, errors: _Collect) -> dict[str, Any]:
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
        return {"kind": kind, "threshold": threshold, "drop_pct": 30 if drop is None else drop}
    return {"kind": kind}


def to_spec(draft: Draft) -> tuple[dict[str, Any], dict[str, str]]:
    """The draft as a spec dict, with the errors met turning text into numbers."""
    errors = _Collect()
    spec = {"phases": [
        {"name": phase.name, "exit": _exit_dict(phase, errors),
         "items": [_item_dict(item, errors) for item in phase.items]}
        for phase in draft.renumber().phases
    ]}
    return spec, errors.errors


def check(draft: Draft, techniques: Mapping[str, Technique]
          ) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate the draft: (the spec as the engine normalises it, {}) or (None, errors).

    Each part goes through the engine's own parser (Cadence, Dose, ExitRule, ItemSpec,
    PhaseSpec, then PlanSpec.from_dict), so every bad field gets its message at once,
    next to that field, in the engine's words with the form's labels.
    """
    spec, found = to_spec(draft)
    errors = _Collect()
    errors.errors.update(found)
    for i, (phase, raw_phase) in enumerate(zip(draft.phases, spec["phases"], strict=True)):
        base = (f"phases[{i}]",)
        rule = raw_phase["exit"]
        # One part at a time, as the engine stops at the first bad one.
        for name in [name for name in rule if name != "kind"]:
            _engine(plan_spec.ExitRule.from_dict, {"kind": rule["kind"], name: rule[name]},
                    (*base, "exit"), errors)
        _engine(plan_spec.ExitRule.from_dict, rule, (*base, "exit"), errors)
        for j, (item, raw) in enumerate(zip(phase.items, raw_phase["items"], strict=True)):
            _check_technique(item, techniques, errors)
            path = (*base, f"items[{j}]")
            _engine(plan_spec.Cadence.from_dict, raw["cadence"], (*path, "cadence"), errors)
            for name in (*DOSE_FIELDS, "per_side"):
                _engine(plan_spec.Dose.from_dict, {name: raw["dose"][name]}, (*path, "dose"),
                        errors)
            # The item's own fields, with its cadence and dose (judged above) set aside.
            _engine(plan_spec.ItemSpec.from_dict, {**raw, **_PLAIN}, path, errors)
        # The phase's own fields: its name and that no two items share a key.
        stand_ins = [{**_STAND_IN, "key": raw["key"] or f"_item_{j}"}
                     for j, raw in enumerate(raw_phase["items"])]
        _engine(plan_spec.PhaseSpec.from_dict,
                {"name": raw_phase["name"], "exit": {"kind": plan_spec.MANUAL},
                 "items": stand_ins}, base, errors)
    _engine(plan_spec.PlanSpec.from_dict, spec, (), errors)
    if errors.errors:
        return None, errors.errors
    return plan_spec.PlanSpec.from_dict(spec).to_dict(), {}


_PLAIN = {"cadence": {"kind": plan_spec.EVERY_N_DAYS}, "dose": {}}
_STAND_IN = {"technique": "", "name": "stand-in", "kind": plan_spec.STRETCH, **_PLAIN}


def _check_technique(item: ItemDraft, techniques: Mapping[str, Technique],
                     errors: _Collect) -> None:
    target = f"{item.prefix}-technique"
    if not item.technique:
        errors.add(target, "Choose a technique.")
    elif item.technique not in techniques:
        errors.add(target, f"“{_short(item.name or item.technique)}” is not in your library: "
                           "choose a technique from the list.")


def _engine(parse_part, data: Any, path: tuple[str, ...], errors: _Collect) -> None:
    try:
        parse_part(data)
    except plan_spec.SpecError as exc:
        target, message = _locate((*path, *exc.path), exc.message)
        errors.add(target, message)
    except ValueError as exc:
        target, message = _locate(path, str(exc))
        errors.add(target, message)


# The engine names fields as the JSON does; the form shows these labels.
_LABELS = {
    "interval": "Repeat every", "anchor": "Count from", "hold_seconds": "Hold (seconds)",
    "repetitions": "Repetitions", "sets": "Sets", "minutes": "Minutes",
    "per_side": "Each side", "time_of_day": "Time of day", "note": "Note",
    "threshold": "Pain threshold", "drop_pct": "Drop", "n": "Number",
}
_CADENCE_TARGETS = {"interval": "interval", "kind": "cadence_kind", "anchor": "anchor"}
_EXIT_TARGETS = {"kind": "exit_kind", "n": "exit_n", "threshold": "exit_threshold",
                 "drop_pct": "exit_drop_pct"}
_ITEM_TARGETS = {"name": "technique", "technique": "technique", "key": "technique",
                 "kind": "technique", "time_of_day": "time_of_day", "note": "note"}


def _locate(path: tuple[str, ...], message: str) -> tuple[str, str]:
    """The form target an engine error is about, and the message in the form's words."""
    prefix, rest = "", []
    for part in path:
        match = re.fullmatch(r"(phases|items)\[(\d+)\]", part)
        if match:
            prefix = f"{prefix}-{match[1]}-{match[2]}" if prefix else f"phases-{match[2]}"
        else:
            rest.append(part)
    first = message.split(" ", 1)[0]
    target = prefix or "plan"
    if rest == ["cadence"]:
        weekday = "weekday" in message or first == "weekdays"
        field_name = "weekdays" if weekday else _CADENCE_TARGETS.get(first)
        target = f"{prefix}-{field_name}" if field_name else prefix
    elif rest == ["dose"]:
        target = f"{prefix}-{first}" if first in (*DOSE_FIELDS, "per_side") else prefix
    elif rest == ["exit"]:
        target = f"{prefix}-{_EXIT_TARGETS[first]}" if first in _EXIT_TARGETS else prefix
    elif "-items-" in prefix and first in _ITEM_TARGETS:
        target = f"{prefix}-{_ITEM_TARGETS[first]}"
    elif prefix and "-items-" not in prefix and first == "name":
        target = f"{prefix}-name"
    return target, _words(message, rest)


def _words(message: str, rest: list[str]) -> str:
    if message.startswith("weekly_days needs"):
        return "Tick at least one day of the week."
    if message.startswith("every_n_weeks needs"):
        return "Tick exactly one day of the week for “every few weeks”."
    # The engine quotes what it got; a long or textual value adds nothing for a person.
    message = re.sub(r" \(got (None|'.*'|\".*\")\)$", "", message, flags=re.S)
    message = re.sub(r"\(got (.{40}).+\)$", r"(got \1…)", message, flags=re.S)
    message = message.replace("must be a non-empty string of at most", "must be filled in, at most")
    message = message.replace("must be a string of at most", "must be at most")
    message = message.replace('must be "HH:MM" or null', "must be a time like 09:30, or empty")
    first, _, tail = message.partition(" ")
    if first == "name":
        return f"Name {tail}"
    if first == "kind" and rest == ["exit"]:
        return f"Moves on {tail}"
    if first == "kind":
        return f"Kind {tail}"
    if first in _LABELS:
        return f"{_LABELS[first]} {tail}"
    return message[:1].upper() + message[1:]


def _short(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def error_list(draft: Draft, errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """(target id, message saying where) for the error summary, in form order."""
    where: dict[str, str] = {"plan": ""}
    for n, phase in enumerate(draft.phases, start=1):
        phase_words = f"Phase {n} “{_short(phase.label)}”"
        where[phase.prefix] = phase_words
        for item in phase.items:
            where[item.prefix] = f"{phase_words}, {_short(item.label)}"
    listed = []
    for target, message in errors.items():
        owner = max((p for p in where if target == p or target.startswith(p + "-")),
                    key=len, default="plan")
        words = where[owner]
        listed.append((target, f"{words}: {message}" if words else message))
    order = list(where)
    listed.sort(key=lambda pair: _order(order, pair[0]))
    return listed


def _order(order: list[str], target: str) -> int:
    owners = [i for i, p in enumerate(order) if target == p or target.startswith(p + "-")]
    return max(owners, default=0)


def open_with_errors(draft: Draft, errors: Mapping[str, str]) -> None:
    """Expand every item that has an error, so its message is on screen."""
    for phase in draft.phases:
        for item in phase.items:
            if any(t == item.prefix or t.startswith(item.prefix + "-") for t in errors):
                item.open = True


# --------------------------------------------------------------------------- preview


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


@dataclass(frozen=True, slots=True)
class PreviewSession:
    date: date
    time: str  # "10:00", or "" when the item has no set time
    name: str


@dataclass(frozen=True, slots=True)
class PreviewWeek:
    number: int
    first: date
    last: date
    phases: tuple[str, ...]
    sessions: tuple[PreviewSession, ...]
    self_care: tuple[str, ...]  # "daily: Piriformis stretch hold 15 s ×3, Ice after 15 min"
    same_self_care: bool = False  # self-care as in the week before (said once, not again)


def preview(plan: schedule.PlanInput, first: date, weeks: int = PREVIEW_WEEKS
            ) -> list[PreviewWeek]:
    """The weeks from ``first`` as the engine schedules them, one entry per 7 days."""
    last = first + timedelta(days=7 * weeks - 1)
    by_week: dict[int, list[schedule.Occurrence]] = {n: [] for n in range(weeks)}
    for occurrence in schedule.occurrences(plan, first, last):
        by_week[(occurrence.date - first).days // 7].append(occurrence)
    weeks = [_week(n, first + timedelta(days=7 * n), found) for n, found in by_week.items()]
    for n in range(1, len(weeks)):
        if weeks[n].self_care and weeks[n].self_care == weeks[n - 1].self_care:
            weeks[n] = replace(weeks[n], same_self_care=True)
    return weeks


def _week(n: int, first: date, found: list[schedule.Occurrence]) -> PreviewWeek:
    phases = tuple(dict.fromkeys(o.phase_name for o in found))
    sessions = tuple(
        PreviewSession(o.date, o.time.strftime("%H:%M") if o.time else "", o.item.name)
        for o in found if o.item.is_session
    )
    lines: dict[tuple[str, str], dict[str, None]] = {}
    for o in found:
        if not o.item.is_session:
            cadence = wording.cadence_text(o.item.cadence)
            what = " ".join(p for p in (o.item.name, short_dose(o.item.dose)) if p)
            lines.setdefault((o.phase_name, cadence), {})[what] = None
    several = len(phases) > 1
    self_care = tuple(
        f"{phase + ' · ' if several else ''}{cadence}: {', '.join(names)}"
        for (phase, cadence), names in lines.items()
    )
    return PreviewWeek(n + 1, first, first + timedelta(days=6), phases, sessions, self_care)


def plan_input(spec: Mapping[str, Any], start: date) -> schedule.PlanInput:
    """A new plan from ``start`` as the engine's input."""
    revision = schedule.Revision(start, plan_spec.PlanSpec.from_dict(spec))
    return schedule.PlanInput(start, (revision,))


def with_revision(plan: schedule.PlanInput, spec: Mapping[str, Any], effective_from: date
                  ) -> schedule.PlanInput:
    """An assigned plan as it would be with ``spec`` in force from ``effective_from``."""
    revision = schedule.Revision(effective_from, plan_spec.PlanSpec.from_dict(spec))
    return replace(plan, revisions=(*plan.revisions, revision))


# --------------------------------------------------------------------------- diff


def describe_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What changes from ``old`` to ``new``, in plain words, "; "-separated.

    E.g. "removed Ice; Improving: Deep tissue massage every 3 weeks on Monday instead of
    every 2 weeks on Monday; added Foam roller". A change made the same way in several
    phases is said once, naming them (or none, when it is in all of them). "" when
    nothing changes.
    """
    before = plan_spec.PlanSpec.from_dict(old)
    after = plan_spec.PlanSpec.from_dict(new)
    several = max(len(before.phases), len(after.phases)) > 1
    changes: dict[str, list[str]] = {}
    for i in range(max(len(before.phases), len(after.phases))):
        if i >= len(after.phases):
            changes.setdefault(f"removed phase “{before.phases[i].name}”", [])
            continue
        if i >= len(before.phases):
            changes.setdefault(f"added phase “{after.phases[i].name}”", [])
            continue
        was, now = before.phases[i], after.phases[i]
        for text in _phase_changes(was, now, is_last=i + 1 == len(after.phases)):
            changes.setdefault(text, []).append(now.name)
    # Changes made in every phase (or to the phases themselves) first, then by phase.
    total = len(after.phases)
    groups: dict[tuple[str, ...], list[str]] = {(): []}
    for text, phases in changes.items():
        where = tuple(phases) if several and phases and len(phases) < total else ()
        groups.setdefault(where, []).append(text)
    parts = []
    for where, texts in groups.items():
        if texts:
            said = "; ".join(texts)
            parts.append(f"{', '.join(where)}: {said}" if where else said)
    return "; ".join(parts)


def _phase_changes(was: plan_spec.PhaseSpec, now: plan_spec.PhaseSpec,
                   is_last: bool) -> list[str]:
    texts = []
    if was.name != now.name:
        texts.append(f"renamed “{was.name}” to “{now.name}”")
    if was.exit != now.exit and not is_last:
        texts.append(f"moves on {wording.exit_text(now.exit)} instead of "
                     f"{wording.exit_text(was.exit)}")
    for item in now.items:
        previous = was.item(item.key)
        if previous is None:
            texts.append(f"added {item.name}")
        else:
            texts.extend(_item_changes(previous, item))
    texts.extend(f"removed {item.name}" for item in was.items if now.item(item.key) is None)
    return texts


def _item_changes(was: plan_spec.ItemSpec, now: plan_spec.ItemSpec) -> list[str]:
    texts = []
    if (was.technique, was.name) != (now.technique, now.name):
        texts.append(f"{now.name} instead of {was.name}")
    if was.cadence != now.cadence:
        texts.append(f"{now.name} {wording.cadence_text(now.cadence)} instead of "
                     f"{wording.cadence_text(was.cadence)}")
    if was.dose != now.dose:
        texts.append(f"{now.name}: {now.dose.describe() or 'no set dose'} instead of "
                     f"{was.dose.describe() or 'no set dose'}")
    if was.time_of_day != now.time_of_day:
        texts.append(f"{now.name} {_at(now.time_of_day)} instead of {_at(was.time_of_day)}")
    if was.note != now.note:
        texts.append(f"{now.name}: note changed")
    return texts


def _at(t) -> str:
    return "at any time" if t is None else f"at {t:%H:%M}"
