"""The audit log's vocabulary: what each recorded action is called, and how it reads to the
client it is about ("Who has seen your data"). Pure: the store records, this words."""
from dataclasses import dataclass
from datetime import datetime, timedelta

# Kept this long unless TRACKER_AUDIT_DAYS says otherwise: three years.
DEFAULT_DAYS = 3 * 365

# Who acted: a person in one of the app's roles, or the app itself (a new plan paused for a
# report still open).
CLIENT, THERAPIST, SYSTEM = "client", "therapist", "system"

# A therapist opening the client's data.
VIEWED_CLIENT = "viewed_client"
VIEWED_SUMMARY = "viewed_summary"
VIEWED_MESSAGES = "viewed_messages"
VIEWED_HANDOUT = "viewed_handout"
VIEWS = (VIEWED_CLIENT, VIEWED_SUMMARY, VIEWED_MESSAGES, VIEWED_HANDOUT)

# action code -> what it reads as after the actor's name, to the client.
ACTIONS = {
    VIEWED_CLIENT: "opened your page",
    VIEWED_SUMMARY: "opened your printable summary",
    VIEWED_MESSAGES: "opened your messages",
    VIEWED_HANDOUT: "opened your self-care handout",
    "plan_assigned": "gave you a plan",
    "plan_edited": "changed your plan",
    "plan_paused": "paused your plan",
    "plan_resumed": "resumed your plan",
    "plan_stepped": "moved your plan to another phase",
    "plan_suggestion": "kept your plan as it was after a suggestion",
    "plan_finished": "finished your plan",
    "safety_paused": "paused your plan after a report",
    "safety_resumed": "restarted your plan after a report",
}

# A plan change (a PlanEvent's kind) as an action: plan changes, and the safety pauses
# and their ending, told apart.
PLAN_KINDS = ("assigned", "edited", "paused", "resumed", "stepped", "suggestion", "finished")
SAFETY_KINDS = ("paused", "resumed")


def plan_action(kind: str, *, safety: bool = False) -> str:
    """The action code of a plan change of ``kind`` (ValueError for an unknown kind)."""
    if kind not in (SAFETY_KINDS if safety else PLAN_KINDS):
        raise ValueError(f"unknown plan change {kind!r}")
    return f"{'safety' if safety else 'plan'}_{kind}"


def cutoff(now: datetime, days: int) -> datetime:
    """Entries older than this are past the retention period (``days`` at least 1)."""
    if days < 1:
        raise ValueError("the audit log is kept for at least a day")
    return now - timedelta(days=days)


@dataclass(frozen=True)
class Line:
    """One entry as the client reads it."""

    at: datetime
    who: str
    what: str


def who(actor_name: str | None, actor_role: str, is_self: bool) -> str:
    """The actor as the client reads it: "You", their name, or what is left of them."""
    if is_self:
        return "You"
    if actor_role == SYSTEM:
        return "The app"
    if actor_name is None:  # their account is gone
        return "A former therapist" if actor_role == THERAPIST else "A former user"
    return actor_name


def line(at: datetime, action: str, actor_name: str | None, actor_role: str,
         is_self: bool) -> Line:
    return Line(at, who(actor_name, actor_role, is_self), ACTIONS.get(action, action))


def retention_text(days: int) -> str:
    """How long entries are kept, in plain words: "3 years", "1 year", "90 days"."""
    if days % 365 == 0:
        years = days // 365
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"
