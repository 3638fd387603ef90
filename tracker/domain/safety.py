"""Warning signs and problems in the treated area: what the answers mean, what to tell the
client, what to pause, and when to ask.

Pure: no Flask, no database, no clock. The questions and the wording live in
tracker.domain.library, the rules and their sources in tracker.domain.clinical; this module
decides what the answers mean.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from tracker.domain import clinical, library

__all__ = ["CONTRAINDICATION_LABELS", "RED_FLAG_LABELS", "REASON_MAX", "Advice",
           "Assessment", "CheckInFacts", "assess", "paused_self_care", "should_ask",
           "sore_after_session"]

REASON_MAX = 200  # PlanPause.reason's column width

# Short names for the library's questions: what the therapist and the client read back.
RED_FLAG_LABELS: Mapping[str, str] = {
    "bladder_bowel": "new loss of bladder or bowel control, or difficulty passing urine",
    "saddle_numbness": "numbness in the groin, buttocks or inner thighs",
    "both_legs": "symptoms in both legs",
    "worsening_weakness": "weakness or numbness getting worse",
    "fever": "a fever or feeling unwell with back pain",
    "trauma": "back pain after a fall or accident",
}
CONTRAINDICATION_LABELS: Mapping[str, str] = {
    "severe_pain": "Severe pain",
    "swelling": "Swelling",
    "infection": "Signs of infection: redness, heat in the skin or a fever",
    "fracture": "A known or possible broken bone",
    "serious_condition": "Another serious medical problem, new or getting worse",
}

_RED_FLAG_ORDER = tuple(flag["key"] for flag in library.RED_FLAGS)
_PROBLEM_ORDER = tuple(item["key"] for item in library.CONTRAINDICATIONS)
_ADVICE = {item["key"]: item["advice"] for item in library.CONTRAINDICATIONS}


@dataclass(frozen=True, slots=True)
class CheckInFacts:
    """What an earlier check-in reported about nerve symptoms."""

    numbness: bool
    weakness: bool


@dataclass(frozen=True, slots=True)
class Advice:
    """One treated-area problem the client reported, with what to do about it."""

    key: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a set of safety answers means. Keys are in the library's order; ``areas`` in
    clinical.BODY_AREAS order, () when the client did not say where (every area)."""

    red_flags: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()

    @property
    def urgent(self) -> bool:
        """A warning sign: the whole plan stops and the therapist is alerted at once."""
        return bool(self.red_flags)

    @property
    def reported(self) -> bool:
        """Anything to act on: a warning sign or a problem in the treated area."""
        return bool(self.red_flags or self.problems)

    @property
    def urgency(self) -> str | None:
        """clinical.EMERGENCY when any answer calls for it, else SAME_DAY, else None."""
        found = {clinical.RED_FLAG_URGENCY[k] for k in self.red_flags}
        if clinical.EMERGENCY in found:
            return clinical.EMERGENCY
        return clinical.SAME_DAY if found else None

    @property
    def urgent_text(self) -> tuple[str, ...]:
        """What to do now, as paragraphs (empty without a warning sign)."""
        text = {clinical.EMERGENCY: library.EMERGENCY_TEXT,
                clinical.SAME_DAY: library.SAME_DAY_TEXT}.get(self.urgency or "")
        return library.paragraphs(text) if text else ()

    @property
    def red_flag_labels(self) -> tuple[str, ...]:
        return tuple(RED_FLAG_LABELS[k] for k in self.red_flags)

    @property
    def area_labels(self) -> tuple[str, ...]:
        return tuple(clinical.AREA_LABELS[k] for k in self.areas)

    @property
    def advice(self) -> tuple[Advice, ...]:
        return tuple(Advice(k, CONTRAINDICATION_LABELS[k], _ADVICE[k]) for k in self.problems)

    @property
    def warning_reason(self) -> str:
        """The pause reason the therapist and the client read, for a warning sign."""
        return _reason("Warning sign reported", self.red_flag_labels) if self.red_flags else ""

    @property
    def area_reason(self) -> str:
        """The pause reason for a problem in the treated area."""
        if not self.problems:
            return ""
        where = ", ".join(label.lower() for label in self.area_labels) or "area not said"
        labels = (CONTRAINDICATION_LABELS[k].lower() for k in self.problems)
        return _reason(f"In the treated area ({where})", labels)


def _reason(prefix: str, labels: Iterable[str]) -> str:
    text = f"{prefix}: {'; '.join(labels)}."
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def assess(answers: Mapping[str, bool], problems: Iterable[str] = (),
           areas: Iterable[str] = ()) -> Assessment:
    """Read the answers. Unknown keys, or answers that are not True/False, raise
    ValueError: a safety answer is never guessed."""
    unknown = set(answers) - set(_RED_FLAG_ORDER)
    if unknown:
        raise ValueError(f"unknown red flag(s): {', '.join(sorted(unknown))}")
    if not all(isinstance(v, bool) for v in answers.values()):
        raise ValueError("red flag answers must be True or False")
    reported, where = set(problems), set(areas)
    unknown = reported - set(_PROBLEM_ORDER)
    if unknown:
        raise ValueError(f"unknown contraindication(s): {', '.join(sorted(unknown))}")
    unknown = where - set(clinical.BODY_AREAS)
    if unknown:
        raise ValueError(f"unknown body area(s): {', '.join(sorted(unknown))}")
    return Assessment(
        red_flags=tuple(k for k in _RED_FLAG_ORDER if answers.get(k, False)),
        problems=tuple(k for k in _PROBLEM_ORDER if k in reported),
        areas=tuple(k for k in clinical.BODY_AREAS if k in where) if reported else (),
    )


def should_ask(previous: CheckInFacts | None, numbness: bool, weakness: bool, *,
               anything_new: bool, questions_due: bool, last_asked: date | None,
               today: date) -> bool:
    """Whether a check-in goes on to the warning-sign questions (clinical.RESCREEN_DAYS:
    NICE NG59 1.1.1, red flags at every assessment).

    Yes at the first check-in ever, when the client says something is new or worrying,
    when earlier questions are still unanswered, when numbness or weakness is new since
    the previous check-in, and while numbness or weakness goes on, once a week at least.
    """
    if anything_new or questions_due or (previous is None and last_asked is None):
        return True
    if previous is not None and ((numbness and not previous.numbness)
                                 or (weakness and not previous.weakness)):
        return True
    stale = last_asked is None or today - last_asked >= timedelta(days=clinical.RESCREEN_DAYS)
    return (numbness or weakness) and stale


def paused_self_care(items: Iterable[tuple[str, str]], technique_areas: Mapping[str, Iterable[str]],
                     areas: Iterable[str]) -> frozenset[str]:
    """The keys of the self-care items a problem in ``areas`` pauses (domain.md, "Safety":
    the self-care that works on that area).

    ``items`` are (item key, technique slug) pairs; ``technique_areas`` maps a slug to the
    areas it works on. An item whose technique's areas are unknown, or a problem whose
    area was not said (``areas`` empty), pauses the item: the safe side.
    """
    where = set(areas)
    paused = set()
    for key, technique in items:
        works_on = set(technique_areas.get(technique, ()))
        if not where or not works_on or works_on & where:
            paused.add(key)
    return frozenset(paused)


def sore_after_session(soreness: bool, last_session: date | None, day: date) -> bool:
    """Soreness reported on ``day`` reads as a side effect of a massage done within
    clinical.SORENESS_DAYS_AFTER_SESSION days before it (domain.md, "Side effects")."""
    if not soreness or last_session is None or last_session > day:
        return False
    return (day - last_session).days <= clinical.SORENESS_DAYS_AFTER_SESSION
