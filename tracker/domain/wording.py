"""Plain-English descriptions of schedules for people (pure)."""
from dataclasses import dataclass
from datetime import date, time, timedelta

from tracker.domain import plan_spec, schedule, times

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORT_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _every(n: int, unit: str) -> str:
    return f"every {unit}" if n == 1 else f"every {n} {unit}s"


def ordinal_text(ordinal: int) -> str:
    """ "1st", "2nd", "3rd", "4th"; -1 is "last"."""
    if ordinal == -1:
        return "last"
    return f"{ordinal}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(ordinal, 'th')}"


def cadence_text(cadence: plan_spec.Cadence) -> str:
    """E.g. "daily", "Mon, Wed, Fri", "every 2 weeks on Monday", "monthly",
    "every month on the 4th Monday"."""
    if cadence.kind == plan_spec.EVERY_N_DAYS:
        text = "daily" if cadence.interval == 1 else _every(cadence.interval, "day")
    elif cadence.kind == plan_spec.WEEKLY_DAYS:
        days = sorted(cadence.weekdays)
        text = "daily" if len(days) == 7 else ", ".join(SHORT_WEEKDAYS[d] for d in days)
    elif cadence.kind == plan_spec.EVERY_N_WEEKS:
        text = f"{_every(cadence.interval, 'week')} on {WEEKDAYS[cadence.weekdays[0]]}"
    elif cadence.kind == plan_spec.MONTHLY_WEEKDAY:
        text = (f"{_every(cadence.interval, 'month')} on the {ordinal_text(cadence.ordinal or 1)}"
                f" {WEEKDAYS[cadence.weekdays[0]]}")
    else:
        text = "monthly" if cadence.interval == 1 else _every(cadence.interval, "month")
    if cadence.anchor == plan_spec.AFTER_DONE:
        text += ", counted from the last time it was done"
    return text


def exit_text(rule: plan_spec.ExitRule) -> str:
    """What ends a phase, said as a condition: "after 4 weeks"."""
    if rule.kind == plan_spec.AFTER_WEEKS:
        return "after 1 week" if rule.n == 1 else f"after {rule.n} weeks"
    if rule.kind == plan_spec.AFTER_SESSIONS:
        return "after 1 session" if rule.n == 1 else f"after {rule.n} sessions"
    if rule.kind == plan_spec.SYMPTOMS:
        parts = []
        if rule.threshold is not None:
            parts.append(f"your 7-day average leg pain is {rule.threshold:g} or lower")
        parts.append(f"it has dropped at least {rule.drop_pct}% from your first week")
        return "when " + ", or ".join(parts) + ", and the change is confirmed"
    return "when your plan is changed by hand"


def item_line(item: plan_spec.ItemSpec) -> str:
    """ "Piriformis stretch: hold 30 s, 3 times, each side" """
    dose = item.dose.describe()
    return f"{item.name}: {dose}" if dose else item.name


def session_when(at: time | None, minutes: int | None) -> str:
    """When a session is and how long: "at 10:00 for 60 min", or the part that is known."""
    parts = ([f"at {times.format_time_of_day(at)}"] if at else []) + (
        [f"for {minutes} min"] if minutes else [])
    return " ".join(parts)


def session_line(name: str, at: time | None, minutes: int | None) -> str:
    """ "Deep tissue massage at 10:00 for 60 min" """
    when = session_when(at, minutes)
    return f"{name} {when}" if when else name


@dataclass(frozen=True, slots=True)
class PhaseCard:
    """One phase of the plan page's timeline, ready to show."""

    index: int
    name: str
    start: date | None
    last_day: date | None  # the day before the next phase starts
    state: str  # "past", "current" or "future"
    badge: str  # "done", "now", "next", "later" or "expected"
    projected: bool
    sessions: tuple[str, ...]
    self_care: tuple[str, ...]
    exit: str


def phase_cards(plan: schedule.PlanInput, today: date) -> list[PhaseCard]:
    """The plan's phase timeline with what each phase holds and what ends it."""
    cards = []
    spans = schedule.timeline(plan, today)
    # Before the plan starts no phase is current, and every phase is still to come.
    current_seen = not any(span.current for span in spans)
    for span in spans:
        # Each phase is described by the rules in force when it starts (or today, if unknown).
        plan_spec = schedule.spec_on(plan, span.start or today)
        spec = plan_spec.phase(span.phase_index)
        is_last = span.phase_index + 1 >= len(plan_spec.phases)
        state = "current" if span.current else ("future" if current_seen else "past")
        first_future = not cards or cards[-1].state != "future"
        badge = _badge(state, span.projected, first_future)
        current_seen = current_seen or span.current
        cards.append(
            PhaseCard(
                index=span.phase_index,
                name=span.name,
                start=span.start,
                last_day=span.end - timedelta(days=1) if span.end else None,
                state=state,
                badge=badge,
                projected=span.projected,
                sessions=tuple(
                    " ".join(filter(None, (f"{i.name}, {cadence_text(i.cadence)}",
                                           session_when(i.time_of_day, i.dose.minutes))))
                    for i in spec.items if i.is_session
                ),
                self_care=tuple(
                    f"{item_line(i)} ({cadence_text(i.cadence)})"
                    for i in spec.items
                    if not i.is_session
                ),
                exit="" if is_last else exit_text(spec.exit),
            )
        )
    return cards


def _badge(state: str, projected: bool, first_future: bool) -> str:
    if state != "future":
        return {"past": "done", "current": "now"}[state]
    if projected:
        return "expected"
    return "next" if first_future else "later"


def now_and_next(cards: list[PhaseCard]) -> tuple[PhaseCard | None, PhaseCard | None]:
    """The current phase and the one after it, if any."""
    for i, card in enumerate(cards):
        if card.state == "current":
            return card, cards[i + 1] if i + 1 < len(cards) else None
    return None, None
