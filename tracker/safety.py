"""Red flags and contraindications from a check-in: what to tell the client, what to pause.

Pure: no Flask, no database, no clock. The questions and the wording live in
tracker.library; this module decides what the answers mean.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracker import library

__all__ = ["CONTRAINDICATION_LABELS", "RED_FLAG_LABELS", "REASON_MAX", "Advice",
           "Assessment", "CheckInFacts", "assess", "should_ask_red_flags"]

REASON_MAX = 200  # PlanPause.reason's column width

# Short names for the library's questions: checkbox labels under "do you have any of
# these today?" and the pause reasons the therapist reads.
RED_FLAG_LABELS: Mapping[str, str] = {
    "bladder_bowel": "new loss of bladder or bowel control",
    "saddle_numbness": "numbness in the groin or inner thighs",
    "worsening_weakness": "weakness in the leg or foot getting worse",
    "fever": "a fever with back pain",
    "trauma": "back pain after a major fall or accident",
}
CONTRAINDICATION_LABELS: Mapping[str, str] = {
    "severe_pain": "Severe pain",
    "swelling": "Swelling",
    "infection": "Signs of infection: redness, heat in the skin or a fever",
    "fracture": "A known or possible broken bone",
    "serious_condition": "Another serious medical problem, new or getting worse",
}

_RED_FLAG_ORDER = tuple(flag["key"] for flag in library.RED_FLAGS)
_CONTRAINDICATION_ORDER = tuple(item["key"] for item in library.CONTRAINDICATIONS)
_ADVICE = {item["key"]: item["advice"] for item in library.CONTRAINDICATIONS}


@dataclass(frozen=True, slots=True)
class CheckInFacts:
    """What an earlier check-in reported about nerve symptoms."""

    numbness: bool
    weakness: bool


@dataclass(frozen=True, slots=True)
class Advice:
    """One contraindication the client reported, with what to do about it."""

    key: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a check-in's safety answers mean. Keys are in the library's order."""

    urgent: bool
    red_flags: tuple[str, ...]
    contraindications: tuple[str, ...]
    pause_self_care: bool
    pause_sessions: bool
    urgent_text: tuple[str, ...]  # paragraphs of the urgent-care guidance, when urgent
    advice: tuple[Advice, ...]  # one per contraindication
    self_care_reason: str  # for the self-care pause ("" when none)
    sessions_reason: str  # for the sessions pause ("" when none)

    @property
    def red_flag_labels(self) -> tuple[str, ...]:
        """The red flags answered yes, in short plain words."""
        return tuple(RED_FLAG_LABELS[k] for k in self.red_flags)

    @property
    def messages(self) -> tuple[str, ...]:
        """Everything to tell the client, in order, as paragraphs."""
        follow_up = (library.CONTRAINDICATION_FOLLOW_UP,) if self.advice else ()
        return self.urgent_text + tuple(a.text for a in self.advice) + follow_up


def _reason(prefix: str, labels: Iterable[str]) -> str:
    text = f"{prefix}: {'; '.join(labels)}."
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def assess(red_flag_answers: Mapping[str, bool], contraindications: Iterable[str]) -> Assessment:
    """Read the answers: any red flag yes is urgent and pauses self-care; any
    contraindication pauses professional sessions. Unknown keys raise ValueError."""
    unknown = set(red_flag_answers) - set(_RED_FLAG_ORDER)
    if unknown:
        raise ValueError(f"unknown red flag(s): {', '.join(sorted(unknown))}")
    if not all(isinstance(v, bool) for v in red_flag_answers.values()):
        raise ValueError("red flag answers must be True or False")
    reported = set(contraindications)
    unknown = reported - set(_CONTRAINDICATION_ORDER)
    if unknown:
        raise ValueError(f"unknown contraindication(s): {', '.join(sorted(unknown))}")

    flags = tuple(k for k in _RED_FLAG_ORDER if red_flag_answers.get(k, False))
    found = tuple(k for k in _CONTRAINDICATION_ORDER if k in reported)
    return Assessment(
        urgent=bool(flags),
        red_flags=flags,
        contraindications=found,
        pause_self_care=bool(flags),
        pause_sessions=bool(found),
        urgent_text=library.paragraphs(library.URGENT_CARE_TEXT) if flags else (),
        advice=tuple(Advice(k, CONTRAINDICATION_LABELS[k], _ADVICE[k]) for k in found),
        self_care_reason=(
            _reason("Warning sign reported", (RED_FLAG_LABELS[k] for k in flags)) if flags else ""
        ),
        sessions_reason=(
            _reason("In the treated area", (CONTRAINDICATION_LABELS[k].lower() for k in found))
            if found else ""
        ),
    )


def should_ask_red_flags(previous: CheckInFacts | None, numbness: bool, weakness: bool) -> bool:
    """Ask the red-flag questions at the first check-in ever, and whenever numbness or
    weakness is reported that the previous check-in did not report."""
    if previous is None:
        return True
    return (numbness and not previous.numbness) or (weakness and not previous.weakness)
