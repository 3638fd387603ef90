"""A therapist's alerts and daily digest: how they want to be told, when the digest is due,
and which clients need attention and why.

Pure: imports neither Flask nor peewee and never reads the clock. The caller passes each
client's facts (on the client's own local today), the therapist's preferences and ``now``.

Warning signs are always sent at once (tracker.jobs.alerts) and can never be switched off:
a therapist may pick email, push or both for them, not "none". Everything else here comes
once a day, together, at the digest time in the therapist's zone.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "AREA", "BOTH", "CHANNEL_LABELS", "DEFAULT_DIGEST_TIME", "DIGEST_KINDS", "EMAIL",
    "FLARE_UP", "INACTIVE", "INACTIVE_DAYS_DEFAULT", "INACTIVE_DAYS_MAX", "INACTIVE_DAYS_MIN",
    "CHOICES", "KIND_LABELS", "NONE", "PUSH", "STEP_DOWN", "WARNING", "WARNING_CHOICES",
    "ClientFacts", "Entry",
    "Preferences", "Reason", "channels_of", "due_date", "needs_attention", "reasons",
    "summary_line",
]

EMAIL, PUSH, BOTH, NONE = "email", "push", "both", "none"
CHANNEL_LABELS = {EMAIL: "Email", PUSH: "Push notification", BOTH: "Email and push",
                  NONE: "Don't tell me"}
WARNING_CHOICES = (EMAIL, PUSH, BOTH)  # never NONE: safety first
CHOICES = (EMAIL, PUSH, BOTH, NONE)

WARNING, AREA, FLARE_UP, STEP_DOWN, INACTIVE = (
    "warning", "area", "flare_up", "step_down", "inactive")
DIGEST_KINDS = (AREA, FLARE_UP, STEP_DOWN, INACTIVE)  # most urgent first
KIND_LABELS = {
    WARNING: "Warning signs",
    AREA: "Treated-area problems",
    FLARE_UP: "Flare-ups",
    STEP_DOWN: "Clients ready to step down",
    INACTIVE: "No activity",
}

INACTIVE_DAYS_DEFAULT, INACTIVE_DAYS_MIN, INACTIVE_DAYS_MAX = 3, 1, 30
DEFAULT_DIGEST_TIME = time(7, 30)


def channels_of(choice: str) -> tuple[str, ...]:
    """The channels a choice names: "both" is email and push, "none" is none."""
    if choice not in CHOICES:
        raise ValueError(f"not a channel choice: {choice!r}")
    return {EMAIL: (EMAIL,), PUSH: (PUSH,), BOTH: (EMAIL, PUSH), NONE: ()}[choice]


@dataclass(frozen=True, slots=True)
class Preferences:
    """How a therapist is told, by kind of news, and when the digest comes (local time)."""

    timezone: str = "UTC"
    warning: str = BOTH
    area: str = EMAIL
    flare_up: str = EMAIL
    step_down: str = EMAIL
    inactive: str = EMAIL
    inactive_days: int = INACTIVE_DAYS_DEFAULT
    digest_time: time = DEFAULT_DIGEST_TIME

    def __post_init__(self) -> None:
        if self.warning not in WARNING_CHOICES:
            raise ValueError(f"warning signs are always sent, by email, push or both "
                             f"(got {self.warning!r})")
        for kind in DIGEST_KINDS:
            channels_of(getattr(self, kind))
        if not (isinstance(self.inactive_days, int)
                and INACTIVE_DAYS_MIN <= self.inactive_days <= INACTIVE_DAYS_MAX):
            raise ValueError(f"inactive_days must be {INACTIVE_DAYS_MIN} to "
                             f"{INACTIVE_DAYS_MAX} (got {self.inactive_days!r})")
        if not isinstance(self.digest_time, time):
            raise ValueError(f"digest_time must be a time (got {self.digest_time!r})")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at send time

    def wants(self, kind: str, channel: str) -> bool:
        """Whether news of this kind goes out by this channel."""
        return channel in channels_of(getattr(self, kind))

    @property
    def digest_channels(self) -> tuple[str, ...]:
        """The channels any digest kind uses (email first)."""
        used = {c for kind in DIGEST_KINDS for c in channels_of(getattr(self, kind))}
        return tuple(c for c in (EMAIL, PUSH) if c in used)


def due_date(now: datetime, prefs: Preferences) -> date | None:
    """The therapist's local day whose digest is due at ``now`` (aware), or None before the
    digest time. Due from the digest time until the local day ends, so a worker that was
    down catches up the same day; whether it was sent already is the caller's claim.

    Compared on the wall clock: a time a DST change skips is due when the clock has passed
    it (at the end of the gap); a time it repeats is due at its first occurrence.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"due_date needs an aware now (got {now!r})")
    local = now.astimezone(ZoneInfo(prefs.timezone))
    return local.date() if local.time().replace(tzinfo=None) >= prefs.digest_time else None


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """What the digest knows about one client, on the client's own local ``today``."""

    client_id: int
    name: str
    today: date
    plan_start: date | None = None  # None: no current plan
    suggestion: str | None = None  # "step_down", "step_back" or "review"
    suggestion_reason: str = ""  # the symptom rules' words, e.g. "Flare-up: leg pain ..."
    warning_open: bool = False  # an open warning sign (told at once, not in the digest)
    area_since: date | None = None  # the first day of an open treated-area problem
    area_checked: bool = False  # the client says a professional has checked them
    waiting_since: date | None = None  # a step down fell due and waits for review
    last_activity: date | None = None  # the latest check-in, check-off or skip
    archived: bool = False  # put away by the therapist


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One client in a digest and every reason they are in it, most urgent first."""

    client_id: int
    name: str
    reasons: tuple[Reason, ...]


def _day(d: date) -> str:
    return f"{d.day} {d:%B}"


def _inactive_for(facts: ClientFacts, days: int) -> int | None:
    """Days without any check-in or check-off (today included), when that is at least
    ``days`` on a plan running at least that long; else None (the roster's rule, with the
    therapist's number of days). An archived client is not chased."""
    if facts.archived or facts.plan_start is None:
        return None
    if facts.plan_start > facts.today - timedelta(days=days):
        return None
    before_start = facts.plan_start - timedelta(days=1)
    last = before_start if facts.last_activity is None else max(facts.last_activity,
                                                                 before_start)
    quiet = (facts.today - last).days
    return quiet if quiet >= days else None


def reasons(facts: ClientFacts, inactive_days: int = INACTIVE_DAYS_DEFAULT) -> tuple[Reason, ...]:
    """Every reason this client needs a look, most urgent first (any channel)."""
    found = []
    if facts.area_since is not None:
        text = (f"Reported a problem in the treated area on {_day(facts.area_since)}: the "
                "sessions and the self-care on that area are paused until you restart them.")
        if facts.area_checked:
            text += " They say a healthcare professional has checked them."
        found.append(Reason(AREA, text))
    if facts.suggestion in ("step_back", "review"):
        why = facts.suggestion_reason.strip() or "Flare-up: pain is up on their recent level."
        found.append(Reason(FLARE_UP, f"{why} Waiting for your review."))
    if facts.waiting_since is not None:
        found.append(Reason(STEP_DOWN, f"Due to step down since {_day(facts.waiting_since)}: "
                                       "waiting for your review."))
    elif facts.suggestion == "step_down" and not (facts.warning_open
                                                   or facts.area_since is not None):
        why = facts.suggestion_reason.strip() or "Ready for the next phase."
        found.append(Reason(STEP_DOWN, f"{why} Confirm or decline on their page."))
    quiet = _inactive_for(facts, inactive_days)
    if quiet is not None:
        if facts.last_activity is None or facts.last_activity < facts.plan_start:
            started = (facts.today - facts.plan_start).days
            text = f"No check-in or check-off since their plan started {started} days ago."
        else:
            text = (f"No check-in or check-off for {quiet} days "
                    f"(the last on {_day(facts.last_activity)}).")
        found.append(Reason(INACTIVE, text))
    return tuple(found)


def needs_attention(clients: Iterable[ClientFacts], prefs: Preferences,
                    channel: str) -> list[Entry]:
    """The clients a digest by ``channel`` lists, with the reasons the therapist asked for
    by that channel: those with a treated-area problem first, then by name."""
    entries = []
    for facts in clients:
        wanted = tuple(r for r in reasons(facts, prefs.inactive_days)
                       if prefs.wants(r.kind, channel))
        if wanted:
            entries.append(Entry(facts.client_id, facts.name, wanted))
    order = {kind: i for i, kind in enumerate(DIGEST_KINDS)}
    return sorted(entries, key=lambda e: (order[e.reasons[0].kind], e.name.casefold(),
                                          e.client_id))


def summary_line(entries: list[Entry]) -> str:
    """ "1 client needs your attention" / "3 clients need your attention" """
    count = len(entries)
    return (f"{count} client needs your attention" if count == 1
            else f"{count} clients need your attention")
