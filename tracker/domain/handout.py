"""The printed handout of a plan (pure): its self-care items as in force on a day, each with
its dose, how often and its cautions, the cautions shared by several items said once."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from tracker.domain import schedule, wording
from tracker.domain.times import format_time_of_day

# Printed under every handout. Warning signs with back pain and sciatica that need urgent
# care: cauda equina syndrome guidance (NICE NG59, "Low back pain and sciatica in over 16s",
# and NICE CKS "Sciatica (lumbar radiculopathy)": red flags), as in shared/domain.md.
URGENT_LINE = (
    "Get urgent medical help at once for: new loss of bladder or bowel control, numbness "
    "around the groin or buttocks, leg weakness that is getting worse, or symptoms in both "
    "legs."
)


@dataclass(frozen=True, slots=True)
class HandoutItem:
    key: str
    technique: str
    name: str
    dose: str  # "hold 30 s, 3 times, each side"; "" for none
    cadence: str  # "daily", "Mon, Wed, Fri"
    time: str  # "08:00", or ""
    note: str
    cautions: tuple[str, ...]  # this item's own; the shared ones are in Handout.cautions


@dataclass(frozen=True, slots=True)
class Handout:
    phase: str
    items: tuple[HandoutItem, ...]
    cautions: tuple[str, ...]  # cautions of two or more items, said once, in first-seen order
    urgent: str = URGENT_LINE


def build(plan: schedule.PlanInput, day: date,
          cautions: Mapping[str, Sequence[str]]) -> Handout:
    """The self-care items of the phase in force on ``day`` (sessions are the therapist's,
    so they are left out), in the plan's order. ``cautions``: each technique slug's cautions
    (a technique missing from it has none)."""
    phase = schedule.spec_on(plan, day).phase(schedule.phase_on(plan, day))
    self_care = [item for item in phase.items if not item.is_session]
    counts = Counter(c for item in self_care
                     for c in dict.fromkeys(cautions.get(item.technique, ())))
    shared = tuple(c for c in counts if counts[c] > 1)
    items = tuple(
        HandoutItem(
            key=item.key, technique=item.technique, name=item.name,
            dose=item.dose.describe(), cadence=wording.cadence_text(item.cadence),
            time=format_time_of_day(item.time_of_day) or "", note=item.note,
            cautions=tuple(c for c in cautions.get(item.technique, ()) if c not in shared),
        )
        for item in self_care
    )
    return Handout(phase.name, items, shared)
