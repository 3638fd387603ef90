"""The builder's actions (pure): what each button does to the draft (add, remove, reorder)."""
from __future__ import annotations

import re
from dataclasses import replace

from tracker.domain import plan_spec

from .draft import Draft, ItemDraft, PhaseDraft

# Buttons that change the draft (with how many indices they carry: "remove-item-0-2"),
# and the ones that use the draft once it is valid. "refresh-item" shows one item again
# (its technique changed, or its search was sent) and changes nothing else.
ACTIONS = {"refresh": 0, "refresh-item": 2, "add-phase": 0, "remove-phase": 1,
           "phase-up": 1, "phase-down": 1, "add-item": 1, "remove-item": 2, "item-up": 2,
           "item-down": 2}
# What each action can change, so a page can show again only that part: one item, an
# item added at the end of its phase, two items that swapped places, one phase (an item
# removed renumbers those after it; a first item replaces "no items yet"), the list of
# phases (renumbered), or the whole builder.
ITEM, ADDED, PAIR, PHASE, PHASES, WHOLE = "item", "added", "pair", "phase", "phases", "whole"
_SCOPES = {"refresh-item": ITEM, "add-item": PHASE, "remove-item": PHASE, "item-up": PHASE,
           "item-down": PHASE, "add-phase": PHASES, "remove-phase": PHASES,
           "phase-up": PHASES, "phase-down": PHASES}
FINAL_ACTIONS = ("preview", "save-template", "assign", "save-changes")
_ACTION = re.compile(r"([a-z-]+?)(?:-(\d{1,4}))?(?:-(\d{1,4}))?")


class UnknownAction(ValueError):
    """The posted action is not one the builder knows."""


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


def scope(draft: Draft, action: str) -> tuple[str, tuple[int, ...]]:
    """The part of ``draft`` (parsed from a form) that ``action``, already applied,
    changed: (ITEM, (i, j)); (ADDED, (i, j)) for item j added last to phase i;
    (PAIR, (i, j, j + 1)) for two items that swapped places; (PHASE, (i,)); (PHASES, ());
    or (WHOLE, ()), also when the indices name nothing (a stale page), for the final
    actions and for a plain refresh. UnknownAction."""
    name, numbers = _target(action)
    kind = _SCOPES.get(name, WHOLE)
    if kind == PHASES:
        return PHASES, ()
    if kind == WHOLE or numbers[0] >= len(draft.phases):
        return WHOLE, ()
    i, items = numbers[0], draft.phases[numbers[0]].items
    if kind == ITEM:
        return (ITEM, numbers) if numbers[1] < len(items) else (WHOLE, ())
    if name == "add-item" and len(items) > 1 and not items[-1].origin:
        return ADDED, (i, len(items) - 1)  # not posted: the one just added
    if name in ("item-up", "item-down"):
        j = numbers[1] - 1 if name == "item-up" else numbers[1]
        if j >= 0 and j + 1 < len(items):
            return PAIR, (i, j, j + 1)
    return PHASE, (i,)


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
    elif name == "refresh-item" and scope(draft, action)[0] == ITEM:
        i, j = numbers
        phases[i].items[j].open = True
        draft.focus = f"phases-{i}-items-{j}-technique"
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
        items = [replace(item, open=False, search="", refused=item.refused - {"search"},
                         origin="")  # a copy: new controls, not the ones copied
                 for item in draft.phases[-1].items]
    draft.phases.append(PhaseDraft(name=f"Phase {number}", items=items))
    draft.focus = f"phases-{number - 1}-name"


