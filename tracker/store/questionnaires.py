"""Questionnaires on plans, and the answers kept (issue 19).

A plan's schedule says which instruments it asks for and when (:func:`assign`,
:func:`unassign`); :func:`due` says which are due on a day. A self-guided plan with no
schedule of its own has :data:`SELF_GUIDED_DEFAULT` (defined here only). Answers are saved
per client, instrument and local day (:func:`save_answers`): partial ones as a draft,
validated by the domain engine; a day's answers can be corrected on that day, not later.
:func:`history` gives the complete ones with their scores and the change from the first.
The instruments come from a ``Mapping`` (``tracker.store.instruments.load(...).instruments``;
the built-ins by default).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from peewee import SQL, Cast, Value

from tracker.domain import schedule
from tracker.domain.instruments import (
    BUILT_IN,
    Change,
    Instrument,
    InstrumentError,
    Score,
    change,
    score,
)
from tracker.domain.text import is_plain
from tracker.store import checkins, plans, queries
from tracker.store.db import Prepared, database
from tracker.store.models import Plan, QuestionnaireResponse, QuestionnaireSchedule, User, utcnow

MAX_EVERY_WEEKS = 52
MAX_NAME = 100
_RESPONSE_KEY = [QuestionnaireResponse.client, QuestionnaireResponse.instrument,
                 QuestionnaireResponse.day]


@dataclass(frozen=True, slots=True)
class Rule:
    instrument: str
    at_start: bool = True
    every_weeks: int | None = None
    at_phase_change: bool = False


# A self-guided plan's questionnaires when it has none of its own: the PSFS at the start,
# then every 2 weeks.
SELF_GUIDED_DEFAULT: tuple[Rule, ...] = (Rule("psfs", at_start=True, every_weeks=2),)


class QuestionnaireError(ValueError):
    """Refused: ``message`` says why, in words a person can act on."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def _instrument(instrument_id: str, instruments: Mapping[str, Instrument]) -> Instrument:
    found = instruments.get(instrument_id)
    if found is None:
        raise QuestionnaireError("unknown_instrument", f"no questionnaire {instrument_id!r}")
    return found


# --------------------------------------------------------------------------- schedules

def assign(plan: Plan, instrument_id: str, *, at_start: bool = True,
           every_weeks: int | None = None, at_phase_change: bool = False,
           instruments: Mapping[str, Instrument] = BUILT_IN) -> QuestionnaireSchedule:
    """Add the instrument to the plan, or change when it is asked."""
    _instrument(instrument_id, instruments)
    if every_weeks is not None and (isinstance(every_weeks, bool)
                                    or not isinstance(every_weeks, int)
                                    or not 1 <= every_weeks <= MAX_EVERY_WEEKS):
        raise QuestionnaireError("every_weeks", "every N weeks needs N from 1 to "
                                 f"{MAX_EVERY_WEEKS}")
    if not (at_start or every_weeks or at_phase_change):
        raise QuestionnaireError("never", "choose when it is asked: at the start, every N "
                                 "weeks or at each phase change")
    fields = {"at_start": at_start, "every_weeks": every_weeks,
              "at_phase_change": at_phase_change}
    now = utcnow()
    (QuestionnaireSchedule
     .insert(plan=plan, instrument=instrument_id, created_at=now, updated_at=now, **fields)
     .on_conflict(conflict_target=[QuestionnaireSchedule.plan, QuestionnaireSchedule.instrument],
                  update={**{getattr(QuestionnaireSchedule, k): v for k, v in fields.items()},
                          QuestionnaireSchedule.updated_at: now})
     .execute())
    return QuestionnaireSchedule.get((QuestionnaireSchedule.plan == plan)
                                     & (QuestionnaireSchedule.instrument == instrument_id))


def unassign(plan: Plan, instrument_id: str) -> bool:
    """Take the instrument off the plan; False if it was not on it."""
    return QuestionnaireSchedule.delete().where(
        (QuestionnaireSchedule.plan == plan)
        & (QuestionnaireSchedule.instrument == instrument_id)).execute() > 0


def rules(plan: Plan) -> tuple[Rule, ...]:
    """The plan's own schedule; a self-guided plan without one has the default."""
    rows = plan.questionnaires.order_by(QuestionnaireSchedule.id)
    own = tuple(Rule(r.instrument, r.at_start, r.every_weeks, r.at_phase_change) for r in rows)
    if not own and plan.self_guided:
        return SELF_GUIDED_DEFAULT
    return own


def _phase_changes_on(plan: Plan, day: date) -> bool:
    if day <= plan.start:
        return False
    engine_input = plans.plan_input(plan)
    return schedule.phase_on(engine_input, day) != schedule.phase_on(
        engine_input, day - timedelta(days=1))


def due(plan: Plan, today: date,
        instruments: Mapping[str, Instrument] = BUILT_IN) -> list[str]:
    """The ids of the instruments due on ``today`` and not yet completed that day: on the
    plan's start day, every N weeks from it, on a day the phase changes. An active plan
    only; an instrument no longer available (a file removed) is left out."""
    wanted = _wanted(plan, today, rules(plan) if _may_be_due(plan, today) else (),
                     instruments)
    if not wanted:
        return []
    done = {r.instrument for r in QuestionnaireResponse.select(
        QuestionnaireResponse.instrument).where(
        (QuestionnaireResponse.client == plan.client_id) & (QuestionnaireResponse.day == today)
        & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE)
        & QuestionnaireResponse.instrument.in_(wanted))}
    return [i for i in wanted if i not in done]


def _may_be_due(plan: Plan, today: date) -> bool:
    return plan.status == Plan.ACTIVE and today >= plan.start


def _wanted(plan: Plan, today: date, plan_rules, instruments) -> list[str]:
    """The instruments the rules ask for on ``today``, answered or not."""
    days = (today - plan.start).days
    wanted, phase_change = [], None
    for rule in plan_rules:
        if rule.instrument not in instruments or rule.instrument in wanted:
            continue
        hit = (rule.at_start and days == 0) or bool(
            rule.every_weeks and days > 0 and days % (7 * rule.every_weeks) == 0)
        if not hit and rule.at_phase_change:
            if phase_change is None:
                phase_change = _phase_changes_on(plan, today)
            hit = phase_change
        if hit:
            wanted.append(rule.instrument)
    return wanted


def _due_rows_query(plan_id: int, client_id: int, today: date):
    """The plan's schedule and the client's answers completed on ``today``, one query."""
    schedule_rows = QuestionnaireSchedule.select(
        Value(0).alias("done"), QuestionnaireSchedule.instrument,
        QuestionnaireSchedule.at_start, QuestionnaireSchedule.every_weeks,
        QuestionnaireSchedule.at_phase_change, QuestionnaireSchedule.id.alias("seq"),
    ).where(QuestionnaireSchedule.plan == plan_id)
    done_rows = QuestionnaireResponse.select(
        Value(1).alias("done"), QuestionnaireResponse.instrument,
        Value(False).alias("at_start"), Cast(Value(None), "INTEGER").alias("every_weeks"),
        Value(False).alias("at_phase_change"), QuestionnaireResponse.id.alias("seq"),
    ).where((QuestionnaireResponse.client == client_id)
            & (QuestionnaireResponse.day == today)
            & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE))
    return schedule_rows.union_all(done_rows).order_by(SQL("1"), SQL("6"))


# Read on every /today: its SQL built once (tests/store/test_prepared.py checks it).
_DUE_ROWS = Prepared(
    _due_rows_query,
    lambda plan_id, client_id, today: [0, plan_id, 1, False, None, False, client_id, today,
                                       QuestionnaireResponse.COMPLETE])


def due_now(plan: Plan, today: date,
            instruments: Mapping[str, Instrument] = BUILT_IN) -> list[str]:
    """:func:`due`, in one query for a page read on every visit (/today): the plan's
    schedule and the day's completed answers come back together (a phase-change rule
    reads the plan's phases too, only when nothing else made it due)."""
    if not _may_be_due(plan, today):
        return []
    rows = _DUE_ROWS.rows(plan.id, plan.client_id, today)
    own, done = [], set()
    for is_done, instrument, at_start, every_weeks, at_phase_change, _seq in rows:
        if is_done:
            done.add(instrument)
        else:
            own.append(Rule(instrument, bool(at_start), every_weeks, bool(at_phase_change)))
    plan_rules = tuple(own) or (SELF_GUIDED_DEFAULT if plan.self_guided else ())
    return [i for i in _wanted(plan, today, plan_rules, instruments) if i not in done]


# --------------------------------------------------------------------------- answers

def _check_names(instrument: Instrument, answers: Mapping[str, Any],
                 names: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(names, Mapping):
        raise QuestionnaireError("names", "activity names must be a mapping of item to name")
    named = {item.key for item in instrument.items if item.named}
    unknown = sorted(str(k) for k in names if k not in named)
    if unknown:
        raise QuestionnaireError("names", "no activity to name for: " + ", ".join(unknown))
    kept: dict[str, str] = {}
    for key, name in names.items():
        if name is None or (isinstance(name, str) and not name.strip()):
            continue
        if not isinstance(name, str) or len(name) > MAX_NAME or not is_plain(name):
            raise QuestionnaireError("names", f"the name of {key} must be text of at most "
                                     f"{MAX_NAME} characters")
        kept[key] = name.strip()
    unnamed = sorted(k for k in named if answers.get(k) is not None and k not in kept)
    if unnamed:
        raise QuestionnaireError("unnamed", "name the activity you rated: " + ", ".join(unnamed))
    return kept


def save_answers(client: User, instrument_id: str, answers: Mapping[str, Any], *,
                 today: date, day: date | None = None, names: Mapping[str, Any] | None = None,
                 complete: bool = False, plan: Plan | None = None,
                 instruments: Mapping[str, Instrument] = BUILT_IN) -> QuestionnaireResponse:
    """Save the client's answers for ``day`` (their local ``today`` by default): a draft, or
    ``complete`` once enough are answered to score. The day's answers are replaced (a
    correction); another day's are refused. Invalid answers raise QuestionnaireError."""
    day = today if day is None else day
    if day != today:
        raise QuestionnaireError("not_today", "answers can be given or corrected on their "
                                 "own day only")
    instrument = _instrument(instrument_id, instruments)
    try:
        result = score(instrument, answers)
    except InstrumentError as exc:
        raise QuestionnaireError(exc.code, str(exc)) from None
    kept = _check_names(instrument, answers, names or {})
    if complete and result.value is None:
        raise QuestionnaireError("too_few", f"answer at least {instrument.min_answered} of "
                                 f"{len(instrument.items)} to finish")
    fields = {
        "answers": {k: v for k, v in answers.items() if v is not None},
        "names": kept,
        "status": QuestionnaireResponse.COMPLETE if complete else QuestionnaireResponse.DRAFT,
        "score": result.value,
    }
    if plan is not None:
        fields["plan"] = plan
    with database.atomic():
        # One upsert on the unique key: a double tap or two devices at once leave one row.
        now = utcnow()
        # Only a score judged by an MCID can meet a function exit or signal a flare-up.
        judged = instrument.mcid is not None
        was_complete = judged and not complete and QuestionnaireResponse.select().where(
            (QuestionnaireResponse.client == client)
            & (QuestionnaireResponse.instrument == instrument_id)
            & (QuestionnaireResponse.day == day)
            & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE)).exists()
        (QuestionnaireResponse
         .insert(client=client, instrument=instrument_id, day=day, created_at=now,
                 updated_at=now, **fields)
         .on_conflict(conflict_target=_RESPONSE_KEY,
                      update={**{getattr(QuestionnaireResponse, k): v
                                 for k, v in fields.items()},
                              QuestionnaireResponse.updated_at: now})
         .execute())
        if judged and (complete or was_complete):  # a score came or went: read it again
            _reread_plan(client, today, instruments)
    return QuestionnaireResponse.get(
        (QuestionnaireResponse.client == client)
        & (QuestionnaireResponse.instrument == instrument_id)
        & (QuestionnaireResponse.day == day))


def _reread_plan(client: User, today: date, instruments: Mapping[str, Instrument]) -> None:
    """A complete answer (or one taken back to a draft) can meet a symptoms exit that
    requires function, or be a flare-up signal: the current plan's suggestion and taper
    holds are read again, as a check-in does."""
    current = queries.current_plan(client).first()
    if current is not None:
        checkins.update_suggestion(current, today, instruments)


def last_names(client: User, instrument_id: str) -> dict[str, str]:
    """The activities the client named last time, to ask again by name."""
    row = (QuestionnaireResponse.select(QuestionnaireResponse.names)
           .where((QuestionnaireResponse.client == client)
                  & (QuestionnaireResponse.instrument == instrument_id)
                  & (QuestionnaireResponse.names != "{}"))
           .order_by(QuestionnaireResponse.day.desc()).first())
    return dict(row.names) if row else {}


@dataclass(frozen=True, slots=True)
class Entry:
    day: date
    score: Score
    names: Mapping[str, str]
    change: Change  # from the first complete answer (Change(0, ...) for the first itself)


def history(client: User, instrument_id: str,
            instruments: Mapping[str, Instrument] = BUILT_IN) -> list[Entry]:
    """The client's complete answers to the instrument, oldest first, each scored by the
    engine with its change from the first."""
    instrument = _instrument(instrument_id, instruments)
    rows = (QuestionnaireResponse.select()
            .where((QuestionnaireResponse.client == client)
                   & (QuestionnaireResponse.instrument == instrument_id)
                   & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE))
            .order_by(QuestionnaireResponse.day))
    entries: list[Entry] = []
    first: Score | None = None
    for row in rows:
        result = score(instrument, row.answers)
        first = result if first is None else first
        entries.append(Entry(row.day, result, dict(row.names),
                             change(instrument, first, result)))
    return entries


def export_of(user: User) -> list[dict]:
    """The user's answers, for their data download."""
    return [{"instrument": r.instrument, "day": r.day, "status": r.status, "score": r.score,
             "answers": r.answers, "activity_names": r.names, "created_at": r.created_at,
             "updated_at": r.updated_at}
            for r in user.questionnaire_responses.order_by(QuestionnaireResponse.day,
                                                           QuestionnaireResponse.instrument)]


def on_day(client: User, instrument_id: str, day: date) -> QuestionnaireResponse | None:
    """The client's answers (draft or complete) to the instrument on ``day``, if any."""
    return QuestionnaireResponse.get_or_none(
        (QuestionnaireResponse.client == client)
        & (QuestionnaireResponse.instrument == instrument_id)
        & (QuestionnaireResponse.day == day))


def answered(client: User) -> list[str]:
    """The instruments the client has completed at least once, by id."""
    return sorted({r.instrument for r in QuestionnaireResponse.select(
        QuestionnaireResponse.instrument).where(
        (QuestionnaireResponse.client == client)
        & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE)).distinct()})


def complete_answers(client: User, instrument_id: str) -> dict[date, dict]:
    """The answers of each completed day (item key -> answer), to show them again."""
    return {r.day: dict(r.answers) for r in QuestionnaireResponse.select(
        QuestionnaireResponse.day, QuestionnaireResponse.answers).where(
        (QuestionnaireResponse.client == client)
        & (QuestionnaireResponse.instrument == instrument_id)
        & (QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE))}
