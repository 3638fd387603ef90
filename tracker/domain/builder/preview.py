"""The builder's preview (pure): the weeks ahead as the engine schedules them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from tracker.domain import plan_spec, schedule, wording
from tracker.domain.times import format_time_of_day

from .draft import short_dose

PREVIEW_WEEKS = 12


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
        PreviewSession(o.date, format_time_of_day(o.time) or "", o.item.name)
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


