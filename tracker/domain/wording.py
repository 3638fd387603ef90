"""Plain-English descriptions of schedules for people (pure), in the reader's voice.

A text about a client is said to the client ("Your first week ...") on the client's pages
and about them by name on a therapist's ("Dana's first week ..."): `Voice` says who reads,
and the wording functions take it.
"""
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from tracker.domain import plan_spec, schedule, times
from tracker.domain.instruments import BUILT_IN, Instrument

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORT_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Voice:
    """Who reads a text about a client: the client (spoken to: "you", "your") or a
    therapist (spoken about by name, "Dana", "Dana's", and "their": never a gendered
    pronoun). ``viewer_id`` tells the change log's "You" (the reader made the change) from
    another person; the zones say whose days the dates are."""

    client_name: str = ""
    viewer_is_client: bool = True
    viewer_id: int | None = None
    client_zone: str = ""
    viewer_zone: str = ""

    @classmethod
    def about(cls, client_name: str, *, viewer_id: int | None = None, client_zone: str = "",
              viewer_zone: str = "") -> "Voice":
        """A therapist reading about ``client_name``."""
        return cls(client_name, False, viewer_id, client_zone, viewer_zone)

    @property
    def name(self) -> str:
        """The client as the subject or object of a sentence: "you" or "Dana"."""
        return "you" if self.viewer_is_client else self.client_name

    @property
    def Name(self) -> str:  # noqa: N802 (the capitalised form, at the start of a sentence)
        return "You" if self.viewer_is_client else _capital(self.client_name)

    @property
    def possessive(self) -> str:
        """ "your" or "Dana's" """
        return "your" if self.viewer_is_client else f"{self.client_name}'s"

    @property
    def Possessive(self) -> str:  # noqa: N802
        return "Your" if self.viewer_is_client else f"{_capital(self.client_name)}'s"

    @property
    def their(self) -> str:
        """The client's, said again in one sentence: "your" or "their"."""
        return "your" if self.viewer_is_client else "their"

    @property
    def zone_note(self) -> str:
        """ "Dana's time, America/New_York" when a therapist in another zone reads the
        client's days and times; "" when the zones are the same (or the client reads)."""
        if self.viewer_is_client or not self.client_zone or self.client_zone == self.viewer_zone:
            return ""
        return f"{self.client_name}'s time, {self.client_zone}"


YOU = Voice()  # the client reading about themselves
ANY_CLIENT = "the client"  # a therapist reading a plan for no one in particular


def _capital(name: str) -> str:
    """The client at the start of a sentence: "The client"; a person's name as they wrote
    it."""
    return "The client" if name == ANY_CLIENT else name


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


def function_goal(instrument_id: str, instruments: Mapping[str, Instrument] = BUILT_IN,
                  *, plain: bool = False) -> str:
    """How much a function questionnaire must improve, in its own direction: "PSFS up by
    at least 2 points (its MCID)"; "ODI down by ..." for a lower-is-better one. ``plain``
    (said to a client): "(a meaningful change)" instead of the abbreviation."""
    label, found = instrument_id.upper(), instruments.get(instrument_id)
    why = "a meaningful change" if plain else "its MCID"
    if found is None or found.mcid is None:
        return f"{label} better by {why}"
    way = "up" if found.higher_is_better else "down"
    points = f"{found.mcid.value:g} point" + ("" if found.mcid.value == 1 else "s")
    return f"{label} {way} by at least {points} ({why})"


def function_choice(instrument_id: str,
                    instruments: Mapping[str, Instrument] = BUILT_IN) -> str:
    """The builder's label for a symptoms exit that requires function too."""
    return "and function improves: " + function_goal(instrument_id, instruments)


def exit_text(rule: plan_spec.ExitRule, voice: Voice = YOU,
              instruments: Mapping[str, Instrument] = BUILT_IN) -> str:
    """What ends a phase, said as a condition: "after 4 weeks"; "when your 7-day average
    leg pain ..." to the client, "when Dana's 7-day average leg pain ..." to a therapist.
    A symptoms exit that requires function adds "as long as your PSFS function score is
    also up by at least 2 points (a meaningful change) from your first answer" ("(its
    MCID)" to a therapist)."""
    if rule.kind == plan_spec.AFTER_WEEKS:
        return "after 1 week" if rule.n == 1 else f"after {rule.n} weeks"
    if rule.kind == plan_spec.AFTER_SESSIONS:
        return "after 1 session" if rule.n == 1 else f"after {rule.n} sessions"
    if rule.kind == plan_spec.SYMPTOMS:
        parts = []
        named = rule.threshold is not None  # the client is named once, then "their"
        if named:
            parts.append(f"{voice.possessive} 7-day average leg pain is {rule.threshold:g} "
                         "or lower")
        first = voice.their if named else voice.possessive
        parts.append(f"it has dropped at least {rule.drop_pct}% from {first} first week")
        also = ""
        if rule.function is not None:
            goal = function_goal(rule.function.instrument, instruments,
                                 plain=voice.viewer_is_client)
            label = rule.function.instrument.upper()
            goal = goal.replace(label, f"{voice.their} {label} function score is also", 1)
            also = f", as long as {goal} from {voice.their} first answer"
        return "when " + ", or ".join(parts) + also + ", and the change is confirmed"
    return f"when {voice.possessive} plan is changed by hand"


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
    exit: str  # what ends it, said to the client ("" for the last phase)
    exit_rule: plan_spec.ExitRule | None = None  # None for the last phase
    # the instruments whose MCIDs a function exit names (None: the built-ins)
    instruments: Mapping[str, Instrument] | None = field(default=None, compare=False)

    def exit_for(self, voice: Voice) -> str:
        """What ends this phase in the reader's voice ("" for the last phase)."""
        return ("" if self.exit_rule is None
                else exit_text(self.exit_rule, voice, self.instruments or BUILT_IN))


def phase_cards(plan: schedule.PlanInput, today: date, voice: Voice = YOU,
                instruments: Mapping[str, Instrument] = BUILT_IN) -> list[PhaseCard]:
    """The plan's phase timeline with what each phase holds and what ends it (``exit`` in
    ``voice``; `PhaseCard.exit_for` says it to another reader)."""
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
                exit="" if is_last else exit_text(spec.exit, voice, instruments),
                exit_rule=None if is_last else spec.exit,
                instruments=instruments,
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


# --------------------------------------------------------------------------- the change log

@dataclass(frozen=True, slots=True)
class Change:
    """One line of a plan's change log as stored: ``message`` is worded for the client
    ("Your therapist Sam moved you to “Improving”."), ``actor_id`` is who made it (None:
    the app itself, or an account since deleted)."""

    kind: str
    message: str
    actor_id: int | None = None


# Who did it, as the stored (client-voice) message says: the client, a therapist by name,
# a therapist whose account was deleted, or the plan itself (the engine).
FORMER_THERAPIST = "A former therapist"
_WHO = (rf"(?P<who>You|Your plan|{FORMER_THERAPIST}"
        r"|Your therapist (?P<therapist>.+?))")
_CLIENT, _THERAPIST, _ENGINE = "client", "therapist", "engine"


def _who(match: re.Match, change: Change, voice: Voice) -> tuple[str, str]:
    """(kind of actor, how the reader names them, capitalised). A therapist named in a
    line whose actor is gone (``actor_id`` None: the account was deleted) is "A former
    therapist", to everyone."""
    who = match["who"]
    if who == "You":
        return _CLIENT, voice.Name
    if who == "Your plan":
        return _ENGINE, "Your plan" if voice.viewer_is_client else "The plan"
    if who == FORMER_THERAPIST or change.actor_id is None:
        return _THERAPIST, FORMER_THERAPIST
    if voice.viewer_is_client:
        return _THERAPIST, who
    mine = change.actor_id is not None and change.actor_id == voice.viewer_id
    return _THERAPIST, "You" if mine else match["therapist"]


def _own(actor: str, voice: Voice) -> str:
    """The client's plan, as the actor's: "your plan", "Dana's plan", or "their plan" when
    Dana did it."""
    return voice.their if actor == _CLIENT else voice.possessive


def _after_edit(rest: str, voice: Voice) -> str:
    """An edit's summary (the builder's diff) may say what ends a phase: in the reader's
    voice too."""
    if voice.viewer_is_client:
        return rest
    return (rest.replace("your 7-day average leg pain", f"{voice.possessive} 7-day average "
                         "leg pain")
            .replace("from your first week", "from their first week")
            .replace("when your plan is changed by hand",
                     f"when {voice.possessive} plan is changed by hand"))


def _moved(m: re.Match, actor: str, who: str, v: Voice) -> str:
    if actor == _CLIENT:  # a self-guided client confirming a step: "You moved to ..."
        return f"{who} moved to “{m['phase']}”{m['rest']}."
    return f"{who} moved {v.name} to “{m['phase']}”{m['rest']}."


_Render = Callable[[re.Match, str, str, Voice], str]
_CHANGES: tuple[tuple[re.Pattern, _Render], ...] = tuple(
    (re.compile(pattern, re.S), render) for pattern, render in (
        (rf"^{_WHO} moved you to “(?P<phase>.*)”(?P<rest>(?:: .*)?)\.$", _moved),
        (rf"^{_WHO} gave you the plan “(?P<title>.*)”\.$",
         lambda m, a, who, v: f"{who} gave {v.name} the plan “{m['title']}”."),
        (r"^You started the plan “(?P<title>.*)”\.$",
         lambda m, a, who, v: f"{v.Name} started the plan “{m['title']}”."),
        (rf"^{_WHO} finished this plan\.$",
         lambda m, a, who, v: f"{who} finished this plan."),
        (rf"^{_WHO} kept the plan as it is\.$",
         lambda m, a, who, v: f"{who} kept the plan as it is."),
        (rf"^{_WHO} changed your plan from (?P<day>\d{{1,2}} [A-Z][a-z]+)(?P<rest>: .*|\.)$",
         lambda m, a, who, v: f"{who} changed {_own(a, v)} plan from {m['day']}"
                              f"{_after_edit(m['rest'], v)}"),
        (rf"^{_WHO} (?P<verb>paused|resumed) your plan\.$",
         lambda m, a, who, v: f"{who} {m['verb']} {_own(a, v)} plan."),
        (rf"^{_WHO} restarted your plan after you were checked\.$",
         lambda m, a, who, v: (f"{who} restarted {_own(a, v)} plan after "
                               + ("you were checked." if v.viewer_is_client
                                  else "being checked." if a == _CLIENT
                                  else f"{v.client_name} was checked."))),
    )
)

# Changes the app made after a report, said in the passive: the whole line in each voice.
_PASSIVE = {
    "Your whole plan is paused after the warning sign you reported, until you have been "
    "checked.": lambda v: (f"{v.Possessive} whole plan is paused after the warning sign "
                           f"{v.name} reported, until {v.name} "
                           f"{'have' if v.viewer_is_client else 'has'} been checked."),
    "Your sessions and the self-care on the area with a problem are paused until it has been "
    "looked at.": lambda v: (f"{v.Possessive} sessions and the self-care on the area with a "
                             "problem are paused until it has been looked at."),
}


def without_therapist(message: str, name: str) -> str:
    """A stored change-log message with the therapist who made it no longer named (their
    account is being deleted): "Your therapist Sam paused your plan." becomes "A former
    therapist paused your plan.". The name is read from the message's own form, so a
    therapist renamed since still goes; a message in no known form loses a leading
    "Your therapist <name>" for the name given."""
    for pattern, _render in _CHANGES:
        match = pattern.match(message)
        if match and "who" in pattern.groupindex and match["therapist"] is not None:
            return message[:match.start("who")] + FORMER_THERAPIST + message[match.end("who"):]
    named = f"Your therapist {name}"
    if name and message.startswith(named):
        return FORMER_THERAPIST + message[len(named):]
    return message


def change_line(change: Change, voice: Voice) -> str:
    """A change-log line in the reader's voice. To the therapist who made it: "You moved
    Dana to “Improving”."; to another therapist: "Sam moved Dana to ..."; to the client:
    "Your therapist Sam moved you to ..."; the client's own changes are "You ..." to the
    client and "Dana ..." to a therapist; the app's own "Your plan ..." / "The plan ...".
    A message in no known form is shown as it was stored."""
    passive = _PASSIVE.get(change.message)
    if passive is not None:
        return passive(voice)
    for pattern, render in _CHANGES:
        match = pattern.match(change.message)
        if match:
            actor, who = (_who(match, change, voice) if "who" in pattern.groupindex
                          else (_CLIENT, voice.Name))
            return render(match, actor, who, voice)
    return change.message
