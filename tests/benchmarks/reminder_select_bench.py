"""Time the reminder worker's hot paths for 100,000 users in ~30 time zones.

Run from the repo root: .venv/bin/python tests/benchmarks/reminder_select_bench.py
(Not a test module: pytest does not collect it.)

- recompute: next_fire_at for every user, as after a deploy or a tzdata update;
- tick: the users whose stored next_fire_at <= now, read from a sorted list as the
  indexed column would give them, then select() for each. Timed for the busiest
  minute of a day (round times and quiet-hour ends pile up) and a typical minute;
  the figure checked against the target is the worst of a few runs, the first of
  which starts with select's wall-time cache as warm as the recompute left it.
"""
from __future__ import annotations

import random
import statistics
import sys
from bisect import bisect_right
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tracker.domain import reminder_select as reminders  # noqa: E402
from tracker.domain.reminder_select import (  # noqa: E402
    DayState,
    Preferences,
    fire_times,
    next_fire_at,
    select,
)

USERS = 100_000
TARGET_MS = 200.0
REPEATS = 5
DAY = date(2025, 3, 30)  # Europe springs forward; the other zones have a plain day
ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Mexico_City",
    "America/Sao_Paulo", "America/Santiago", "America/St_Johns", "Europe/London",
    "Europe/Dublin", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris", "Europe/Madrid",
    "Europe/Helsinki", "Europe/Istanbul", "Africa/Johannesburg", "Asia/Dubai", "Asia/Tehran",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
    "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
)
ITEMS = ("Piriformis stretch", "Knee to chest", "Massage ball on glutes")
STATES = (
    DayState(False, ITEMS, ("Deep tissue massage at 10:00",)),
    DayState(False, ITEMS[:1], ()),
    DayState(False, (), ()),  # all done
    DayState(True, ITEMS, ()),  # paused
)
DAY_ITEMS = tuple((lambda _day, state=state: state) for state in STATES)


def _time(rng: random.Random, first_hour: int, last_hour: int) -> time:
    """Mostly round times, as people pick them; some any minute."""
    minute = rng.choice((0, 0, 0, 15, 30, 30, 45)) if rng.random() < 0.7 else rng.randrange(60)
    return time(rng.randint(first_hour, last_hour), minute)


def build(rng: random.Random) -> list[Preferences]:
    users = []
    for _ in range(USERS):
        quiet = rng.random() < 0.3
        users.append(Preferences(
            timezone=rng.choice(ZONES),
            selfcare_time=_time(rng, 5, 10),
            second_time=_time(rng, 17, 23) if rng.random() < 0.4 else None,
            session_day_before=rng.random() < 0.7,
            session_day_before_time=_time(rng, 17, 21),
            quiet_start=time(rng.choice((21, 22, 23))) if quiet else None,
            quiet_end=time(rng.choice((6, 7, 8))) if quiet else None,
            channels=rng.choice((("email",), ("push",), ("push", "email"))),
        ))
    return users


def fires_per_minute(users: list[Preferences]) -> Counter:
    """How many users have a slot firing at each UTC minute of DAY."""
    start = datetime.combine(DAY, time(0), UTC)
    end = start + timedelta(days=1)
    counts: Counter = Counter()
    for prefs in users:
        counts.update({fire.at for n in (-1, 0, 1)  # a user due twice in a minute is due once
                       for fire in fire_times(prefs, DAY + timedelta(days=n))
                       if start <= fire.at < end})
    return counts


def tick(users: list[Preferences], now: datetime) -> dict[str, float]:
    """Recompute every user's next fire as of the previous tick, then time one tick."""
    previous = now - timedelta(minutes=1)
    reminders._resolve.cache_clear()  # time the recompute and the first tick cold
    began = perf_counter()
    stored = [next_fire_at(prefs, previous) for prefs in users]
    recompute = perf_counter() - began
    index = sorted((at.timestamp(), i) for i, at in enumerate(stored) if at is not None)
    keys = [key for key, _ in index]
    times, reschedule = [], []
    for _ in range(REPEATS):
        began = perf_counter()
        due = [i for _, i in index[:bisect_right(keys, now.timestamp())]]
        sent = [r for i in due for r in select(now, users[i], DAY_ITEMS[i % 4], i)]
        times.append(perf_counter() - began)
        began = perf_counter()
        for i in due:
            next_fire_at(users[i], now)
        reschedule.append(perf_counter() - began)
    return {"recompute": recompute, "due": len(due), "sent": len(sent),
            "tick": max(times), "tick_warm": statistics.median(times[1:]),
            "reschedule": statistics.median(reschedule)}


def main() -> int:
    began = perf_counter()
    users = build(random.Random(20250330))
    print(f"built {USERS:,} users in {len(ZONES)} zones in {perf_counter() - began:.1f} s")
    counts = fires_per_minute(users)
    per_minute = sorted(counts.get(datetime.combine(DAY, time(0), UTC) + timedelta(minutes=m), 0)
                        for m in range(24 * 60))
    busiest = max(counts, key=counts.__getitem__)
    typical = min((m for m in counts if counts[m] >= statistics.median(per_minute)),
                  key=lambda m: (counts[m], m))
    print(f"users due on {DAY} (UTC), summed over minutes: {sum(per_minute):,}; median "
          f"{statistics.median(per_minute):.0f}, max {per_minute[-1]:,}")
    worst = 0.0
    for label, now in (("busiest", busiest), ("typical", typical)):
        r = tick(users, now)
        worst = max(worst, r["tick"])
        print(f"{label} minute {now:%H:%M} UTC: {r['due']:,} users due, {r['sent']:,} reminders;"
              f" select {1000 * r['tick']:.1f} ms (worst of {REPEATS}; median of the later"
              f" ones {1000 * r['tick_warm']:.1f} ms), then next_fire_at for them"
              f" {1000 * r['reschedule']:.1f} ms")
        print(f"  recompute next_fire_at for all {USERS:,}: {r['recompute']:.2f} s"
              f" ({1e6 * r['recompute'] / USERS:.1f} us/user)")
        assert r["due"] == counts[now], "the index and fire_times disagree"
    ok = 1000 * worst < TARGET_MS
    print(f"{'OK' if ok else 'SLOW'}: one tick {1000 * worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
