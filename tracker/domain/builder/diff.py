"""The builder's diff (pure): what an edit changes, in plain words."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from tracker.domain import plan_spec, wording
from tracker.domain.times import format_time_of_day


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


def _at(t: time | None) -> str:
    return "at any time" if t is None else f"at {format_time_of_day(t)}"

