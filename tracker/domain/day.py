"""What a client's day looks like: items in the order they are done, and progress (pure)."""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, time

from tracker.domain import plan_spec, schedule

# The order a session at home goes in: warm up, work, stretch, cool down.
GROUPS = (
    ("session", "With your therapist"),
    ("heat", "Heat"),
    ("self_massage", "Self-massage"),
    ("stretch", "Stretches"),
    ("ice", "Ice"),
)

SKIP_REASONS = (
    ("flare_up", "Flare-up"),
    ("no_time", "No time"),
    ("too_painful", "Too painful"),
    ("session_moved", "Session moved"),
)
SKIP_LABELS = dict(SKIP_REASONS)

DUE, DONE, SKIPPED = "due", "done", "skipped"


def skip_summary(counts: Mapping[str | None, int]) -> str:
    """Skips by reason, most first: "6 skipped (no time)", "3 skipped (2 no time, 1
    flare-up)"; "" when nothing was skipped. A skip without a known reason is counted only."""
    total = sum(counts.values())
    if total <= 0:
        return ""
    order = {key: i for i, (key, _) in enumerate(SKIP_REASONS)}
    known = sorted(((n, key) for key, n in counts.items() if n > 0 and key in SKIP_LABELS),
                   key=lambda pair: (-pair[0], order[pair[1]]))
    if not known:
        return f"{total} skipped"
    if len(known) == 1 and known[0][0] == total:
        return f"{total} skipped ({SKIP_LABELS[known[0][1]].lower()})"
    parts = [f"{n} {SKIP_LABELS[key].lower()}" for n, key in known]
    if sum(n for n, _ in known) < total:
        parts.append(f"{total - sum(n for n, _ in known)} other")
    return f"{total} skipped ({', '.join(parts)})"


def group_of(item: plan_spec.ItemSpec) -> str:
    """Which step of the routine an item belongs to."""
    if item.kind == plan_spec.HEAT_COLD:
        return "ice" if "ice" in item.technique or "ice" in item.name.lower() else "heat"
    return item.kind


@dataclass(frozen=True, slots=True)
class Mark:
    """What the client recorded for an item on a day."""

    status: str  # DONE or SKIPPED
    skip_reason: str | None = None


@dataclass(frozen=True, slots=True)
class TodayItem:
    key: str
    name: str
    technique: str
    group: str
    dose: str
    time: time | None
    is_session: bool
    state: str  # DUE, DONE or SKIPPED
    skip_reason: str | None
    hold_seconds: int | None
    repetitions: int
    sides: int
    booked_from: date | None  # the cadence's date when a session was booked for another

    @property
    def done(self) -> bool:
        return self.state == DONE

    @property
    def skipped(self) -> bool:
        return self.state == SKIPPED

    @property
    def has_timer(self) -> bool:
        """Holds worth counting down: stretches and trigger-point pressure."""
        return bool(self.hold_seconds) and self.group in ("stretch", "self_massage")

    @property
    def skip_label(self) -> str:
        return SKIP_LABELS.get(self.skip_reason or "", "")

    @property
    def line(self) -> str:
        """ "Piriformis stretch: hold 30 s, 3 times, each side" """
        return f"{self.name}: {self.dose}" if self.dose else self.name


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    counted: int  # due minus skipped
    skipped: int = 0
    skips: str = ""  # skip_summary: "6 skipped (no time)"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 100

    @property
    def complete(self) -> bool:
        return self.done >= self.counted


@dataclass(frozen=True, slots=True)
class DayView:
    day: date
    groups: tuple[tuple[str, tuple[TodayItem, ...]], ...]  # (label, items), in routine order
    progress: Progress

    @property
    def items(self) -> tuple[TodayItem, ...]:
        return tuple(item for _, items in self.groups for item in items)

    def item(self, key: str) -> TodayItem | None:
        return next((i for i in self.items if i.key == key), None)

    def with_mark(self, key: str, mark: Mark | None) -> "DayView":
        """The same day after recording ``mark`` (None: undone) for the item ``key``."""
        state = mark.status if mark else DUE
        reason = mark.skip_reason if mark else None
        groups = tuple(
            (label, tuple(replace(i, state=state, skip_reason=reason) if i.key == key else i
                          for i in items))
            for label, items in self.groups
        )
        return replace(self, groups=groups,
                       progress=progress_of(i for _, items in groups for i in items))


def build_item(occurrence: schedule.Occurrence, mark: Mark | None) -> TodayItem:
    item, dose = occurrence.item, occurrence.item.dose
    return TodayItem(
        key=item.key,
        name=item.name,
        technique=item.technique,
        group=group_of(item),
        dose=dose.describe(),
        time=occurrence.time,
        is_session=item.is_session,
        state=mark.status if mark else DUE,
        skip_reason=mark.skip_reason if mark else None,
        hold_seconds=dose.hold_seconds,
        repetitions=dose.repetitions or 1,
        sides=2 if dose.per_side else 1,
        booked_from=occurrence.original_date,
    )


def progress_of(items: Iterable[TodayItem]) -> Progress:
    items = list(items)
    done = sum(i.done for i in items)
    reasons: dict[str | None, int] = {}
    for item in items:
        if item.skipped:
            reasons[item.skip_reason] = reasons.get(item.skip_reason, 0) + 1
    skipped = sum(reasons.values())
    return Progress(done=done, counted=len(items) - skipped, skipped=skipped,
                    skips=skip_summary(reasons))


def build_day(
    day: date, occurrences: Iterable[schedule.Occurrence], marks: Mapping[str, Mark]
) -> DayView:
    """The day's items, each with what was recorded for it, in the order of the day.

    Items are ordered by their time of day (morning first), then by the routine (warm up,
    work, stretch, cool down), and consecutive items of one step of the routine share a
    heading. An item without a time goes with the first timed item of its step, or after
    every timed item when its step has none, so the order and the times shown agree.
    """
    items = [build_item(o, marks.get(o.item.key)) for o in occurrences if o.date == day]
    return DayView(day=day, groups=_sections(items), progress=progress_of(items))


_RANK = {key: rank for rank, (key, _) in enumerate(GROUPS)}
_LABELS = dict(GROUPS)


def _sections(items: list[TodayItem]) -> tuple[tuple[str, tuple[TodayItem, ...]], ...]:
    """``items`` in the order of the day, as (heading, items) runs of one routine step."""
    first_time: dict[str, time] = {}
    for item in items:
        if item.time is not None:
            first_time[item.group] = min(item.time, first_time.get(item.group, item.time))

    def order(item: TodayItem) -> tuple:
        at = item.time if item.time is not None else first_time.get(item.group)
        return (at is None, at or time.min, _RANK.get(item.group, len(GROUPS)))

    sections: list[tuple[str, list[TodayItem]]] = []
    last_group = None
    for item in sorted(items, key=order):  # stable: the plan's order within equal keys
        if item.group != last_group:
            sections.append((_LABELS.get(item.group, item.group), []))
            last_group = item.group
        sections[-1][1].append(item)
    return tuple((label, tuple(run)) for label, run in sections)
