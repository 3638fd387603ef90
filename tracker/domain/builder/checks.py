"""The builder's checks (pure): the draft judged by the engine, each error next to its field.

:func:`check` turns the draft into a spec dict and lets the engine
(``plan_spec.PlanSpec.from_dict`` and its parts) judge it part by part, so every bad field
gets its message at once; each ``SpecError`` is placed by its path and ``field`` and worded
by its ``code``, never by matching the engine's text.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from tracker.domain import plan_spec

from .draft import DOSE_FIELDS, LABELS, Draft, FieldErrors, ItemDraft, Technique, to_spec


def check(draft: Draft, techniques: Mapping[str, Technique],
          functions: Collection[str] | None = None,
          ) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate the draft: (the spec as the engine normalises it, {}) or (None, errors).

    Each part goes through the engine's own parser (Cadence, Dose, ExitRule, ItemSpec,
    PhaseSpec, then PlanSpec.from_dict), so every bad field gets its message at once,
    next to that field, in the engine's words with the form's labels. Text refused while
    parsing (control characters) is an error too. ``functions``: the questionnaires a
    symptoms exit may require (the clinic's, with an MCID); None does not check.
    """
    spec, found = to_spec(draft)
    errors = FieldErrors()
    errors.errors.update(draft.errors)  # text refused while parsing comes first
    for target, message in found.items():
        errors.add(target, message)
    for i, (phase, raw_phase) in enumerate(zip(draft.phases, spec["phases"], strict=True)):
        base = (f"phases[{i}]",)
        rule = raw_phase["exit"]
        wanted = rule.get("function")
        if functions is not None and wanted and wanted["instrument"] not in functions:
            errors.add(f"{phase.prefix}-exit_function",
                       "Choose a function questionnaire from the list, or leg pain only.")
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
                     errors: FieldErrors) -> None:
    target = f"{item.prefix}-technique"
    if not item.technique:
        errors.add(target, "Choose a technique.")
    elif item.technique not in techniques:
        errors.add(target, f"“{_short(item.name or item.technique)}” is not in your library: "
                           "choose a technique from the list.")


def _engine(parse_part, data: Any, path: tuple[str, ...], errors: FieldErrors) -> None:
    try:
        parse_part(data)
    except plan_spec.SpecError as exc:
        errors.add(*_locate(exc.at(path)))


_CADENCE_TARGETS = {"interval": "interval", "kind": "cadence_kind", "anchor": "anchor",
                    "weekdays": "weekdays", "ordinal": "ordinal"}
_EXIT_TARGETS = {"kind": "exit_kind", "n": "exit_n", "threshold": "exit_threshold",
                 "drop_pct": "exit_drop_pct", "function": "exit_function"}
_FUNCTION_TARGETS = {"instrument": "exit_function", "by": "exit_function"}
_ITEM_TARGETS = {"name": "technique", "technique": "technique", "key": "technique",
                 "kind": "technique", "time_of_day": "time_of_day", "note": "note"}
# Engine errors the form words its own way, by code; the others keep the engine's template.
_FORM_WORDS = {
    "weekly_days_count": "Tick at least one day of the week.",
    "every_n_weeks_count": "Tick exactly one day of the week for “every few weeks”.",
    "monthly_weekday_count": "Tick exactly one day of the week for “on one weekday”.",
    "ordinal_choice": "Choose which one in the month: the 1st to the 4th, or the last.",
    "text_required": "{name} must be filled in, at most {limit} characters",
    "text": "{name} must be at most {limit} characters",
    "time_of_day": "{name} must be a time like 09:30, or empty",
}
_SAID_ALONE = ("weekly_days_count", "every_n_weeks_count", "monthly_weekday_count",
               "ordinal_choice")  # nothing quoted after these


def _locate(exc: plan_spec.SpecError) -> tuple[str, str]:
    """The form target an engine error is about (by its path and field), and its message."""
    prefix, rest = "", []
    for part in exc.path:
        match = re.fullmatch(r"(phases|items)\[(\d+)\]", part)
        if match:
            prefix = f"{prefix}-{match[1]}-{match[2]}" if prefix else f"phases-{match[2]}"
        else:
            rest.append(part)
    name, targets = exc.field, {}
    if rest == ["cadence"]:
        targets = _CADENCE_TARGETS
    elif rest == ["dose"]:
        targets = {name: name for name in (*DOSE_FIELDS, "per_side")}
    elif rest == ["exit"]:
        targets = _EXIT_TARGETS
    elif rest == ["exit", "function"]:
        targets = _FUNCTION_TARGETS
    elif "-items-" in prefix:
        targets = _ITEM_TARGETS
    elif prefix:
        targets = {"name": "name"}
    target = f"{prefix}-{targets[name]}" if name in targets else prefix or "plan"
    return target, _words(exc, rest)


def _label(name: str, rest: list[str]) -> str:
    if name == "kind":
        return "Moves on" if rest == ["exit"] else "Kind"
    return "Name" if name == "name" else LABELS.get(name, name)


def _words(exc: plan_spec.SpecError, rest: list[str]) -> str:
    """The engine's message in the form's words: its labels, and no quoted text."""
    template = _FORM_WORDS.get(exc.code, plan_spec.MESSAGES[exc.code])
    params = dict(exc.params)
    if "name" in params:
        params["name"] = _label(params["name"], rest)
    message = template.format(**params)
    got = exc.got
    # The engine quotes what it got; a long or textual value adds nothing for a person.
    if got is not None and exc.code not in _SAID_ALONE and got != "None" and got[:1] not in "'\"":
        message += f" (got {got if len(got) <= 40 else got[:40] + '…'})"
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

