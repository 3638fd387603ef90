"""Time one year of occurrences for a 12-item, 3-phase plan.

Run from the repo root: .venv/bin/python tests/benchmarks/schedule_bench.py
(Not a test module: pytest does not collect it.)
"""
from __future__ import annotations

import statistics
import sys
import timeit
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tracker.domain.plan_spec import (  # noqa: E402
    Cadence,
    Dose,
    ExitRule,
    ItemSpec,
    PhaseSpec,
    PlanSpec,
)
from tracker.domain.schedule import (  # noqa: E402
    Completion,
    Move,
    Pause,
    PlanInput,
    Revision,
    occurrences,
)

REPEATS = 300
TARGET_MS = 5.0


def _items(massage_cadence: Cadence, hold: int, anchor: str = "calendar") -> tuple[ItemSpec, ...]:
    daily = Cadence("every_n_days", 1)
    return (
        ItemSpec("massage", "deep-tissue-massage", "Deep tissue massage", "session",
                 massage_cadence, Dose(minutes=60), time(10, 0)),
        ItemSpec("piriformis", "piriformis-stretch", "Piriformis stretch", "stretch", daily,
                 Dose(hold_seconds=hold, repetitions=3, per_side=True)),
        ItemSpec("knee-chest", "knee-to-chest", "Knee to chest", "stretch", daily,
                 Dose(hold_seconds=hold, repetitions=3, per_side=True), time(8, 0)),
        ItemSpec("forward-bend", "seated-forward-bend", "Seated forward bend", "stretch", daily,
                 Dose(hold_seconds=hold, repetitions=3)),
        ItemSpec("ball", "trigger-point-ball", "Massage ball on glutes", "self_massage",
                 Cadence("weekly_days", 1, (0, 2, 4)), Dose(minutes=5)),
        ItemSpec("roller", "foam-roller", "Foam roller", "self_massage",
                 Cadence("every_n_days", 2), Dose(minutes=5), time(19, 0)),
        ItemSpec("heat", "heat-pad", "Heat before massage", "heat_cold", daily,
                 Dose(minutes=15), time(7, 30)),
        ItemSpec("ice", "ice-pack", "Ice after activity", "heat_cold",
                 Cadence("every_n_days", 1, (), anchor), Dose(minutes=10), time(21, 0)),
        ItemSpec("pressure", "firm-pressure", "Firm pressure, lower back", "self_massage",
                 Cadence("weekly_days", 1, (1, 3)), Dose(minutes=4)),
        ItemSpec("hamstring", "hamstring-stretch", "Hamstring stretch", "stretch", daily,
                 Dose(hold_seconds=hold, repetitions=2, per_side=True)),
        ItemSpec("walk", "walk", "Gentle walk", "stretch", daily, Dose(minutes=20)),
        ItemSpec("post-session", "post-massage-stretch", "Stretch after the session", "stretch",
                 Cadence("every_n_weeks", 1, (0,)), Dose(minutes=10), time(11, 30)),
    )


def build_plan() -> PlanInput:
    spec = PlanSpec((
        PhaseSpec("Acute", ExitRule("after_weeks", 4),
                  _items(Cadence("every_n_weeks", 1, (0,)), 15)),
        PhaseSpec("Taper", ExitRule("after_sessions", 4),
                  _items(Cadence("every_n_weeks", 2, (0,)), 30, "after_done")),
        PhaseSpec("Maintenance", ExitRule("manual"),
                  _items(Cadence("monthly", 1), 30, "after_done")),
    ))
    start = date(2024, 1, 1)
    # an edit in June: longer holds in maintenance, so revision segments are exercised
    maintenance = replace(spec.phases[2], items=_items(Cadence("monthly", 1), 45, "after_done"))
    edited = PlanSpec(spec.phases[:2] + (maintenance,))
    completions = tuple(Completion("ice", start + timedelta(days=d)) for d in range(0, 200, 3))
    return PlanInput(
        start, (Revision(start, spec), Revision(date(2024, 6, 1), edited)),
        pauses=(Pause(date(2024, 3, 10), date(2024, 3, 17)),),
        completions=completions,
        moves=(Move("massage", date(2024, 1, 15), date(2024, 1, 16), time(17, 0)),),
    )


def main() -> None:
    plan = build_plan()
    start, end = plan.start, plan.start + timedelta(days=364)
    count = len(occurrences(plan, start, end))
    runs = timeit.repeat(lambda: occurrences(plan, start, end), number=1, repeat=REPEATS)
    ms = sorted(r * 1000 for r in runs)
    median, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
    print(f"12 items, 3 phases, 1 year: {count} occurrences, {REPEATS} runs")
    print(f"median {median:.2f} ms, p95 {p95:.2f} ms (target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
