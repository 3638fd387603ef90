"""Plans in the database: creating them, and loading them as the engine's input.

Not pure (it queries); the rules themselves live in tracker.domain.schedule and
tracker.domain.symptoms.
"""
import json
import operator
import weakref
from collections import OrderedDict, defaultdict
from contextlib import suppress
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import reduce
from typing import NamedTuple
from zoneinfo import ZoneInfo

from peewee import JOIN, SQL, Value

from tracker.domain import day as today_model
from tracker.domain import library, plan_spec, safety, schedule, wording
from tracker.domain.times import parse_time_of_day
from tracker.store import audit, queries, safety_reports
from tracker.store.db import Prepared, database
from tracker.store.models import (
    PLAN_WRITE_HOOKS,
    CheckOff,
    PhaseTransition,
    Plan,
    PlanEvent,
    PlanHold,
    PlanPause,
    PlanRevision,
    SessionBooking,
    Technique,
    User,
    utcnow,
)


def local_today(user: User, now: datetime | None = None) -> date:
    """The date it is now where the user lives."""
    return (now or utcnow()).astimezone(ZoneInfo(user.timezone)).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def plan_input(plan: Plan) -> schedule.PlanInput:
    """Everything the engine needs about a plan, in a fixed number of queries."""
    return plan_inputs([plan])[plan.id]


# Parsed plan specs by their JSON: a plan's revisions never change once written, and
# parsing (with the engine's validation) is the dearest part of loading a plan.
_SPECS: dict[str, plan_spec.PlanSpec] = {}
_SPECS_MAX = 1024


def parsed_spec(data: dict) -> plan_spec.PlanSpec:
    """``plan_spec.PlanSpec.from_dict(data)``, remembered by content (specs are immutable)."""
    key = json.dumps(data, sort_keys=True, separators=(",", ":"))
    spec = _SPECS.get(key)
    if spec is None:
        spec = plan_spec.PlanSpec.from_dict(data)
        if len(_SPECS) >= _SPECS_MAX:
            _SPECS.clear()
        _SPECS[key] = spec
    return spec


_SPEC_TEXTS: dict[str, plan_spec.PlanSpec] = {}


def _spec_of_text(text: str) -> plan_spec.PlanSpec:
    """``parsed_spec`` for a revision's stored JSON text: equal texts (plans copied from
    one template) share one PlanSpec object, found without decoding the JSON again."""
    spec = _SPEC_TEXTS.get(text)
    if spec is None:
        spec = parsed_spec(json.loads(text))
        if len(_SPEC_TEXTS) >= _SPECS_MAX:
            _SPEC_TEXTS.clear()
        _SPEC_TEXTS[text] = spec
    return spec


def _id_list(ids: list[int]) -> SQL:
    """``(1,2,3)`` for ``field.in_(...)``: row ids written into the SQL as integers (each
    through ``int``), so a batch of hundreds costs no bound parameter each, which peewee
    builds one by one (most of a large IN query's cost)."""
    return SQL("(" + ",".join(str(int(i)) for i in ids) + ")")


def _changes(ids: list[int]):
    """The plans' phase transitions, pauses, taper holds and booked sessions, in one query.

    Four small tables read on every page that shows a plan: one UNION ALL instead of four
    round trips. Columns: kind, plan, first day, second day, phase, text, time (a pause's
    areas), id. Area pauses come back as (pause, areas) to be resolved to items.
    """
    null, listed = SQL("NULL"), _id_list(ids)
    query = (
        PhaseTransition.select(Value("t"), PhaseTransition.plan, PhaseTransition.on, null,
                               PhaseTransition.to_phase, PhaseTransition.reason, null,
                               PhaseTransition.id)
        .where(PhaseTransition.plan.in_(listed))
        .union_all(PlanPause.select(Value("p"), PlanPause.plan, PlanPause.start, PlanPause.end,
                                    null, PlanPause.scope, PlanPause.areas, PlanPause.id)
                   .where(PlanPause.plan.in_(listed)))
        .union_all(PlanHold.select(Value("h"), PlanHold.plan, PlanHold.start, PlanHold.end,
                                   null, PlanHold.kind, null, PlanHold.id)
                   .where(PlanHold.plan.in_(listed)))
        .union_all(SessionBooking.select(Value("b"), SessionBooking.plan,
                                         SessionBooking.original_day, SessionBooking.day, null,
                                         SessionBooking.item_key, SessionBooking.time,
                                         SessionBooking.id)
                   .where(SessionBooking.plan.in_(listed)))
        .order_by(SQL("1"), SQL("3"), SQL("8"))  # each kind by its first day, then id
        .tuples()
    )
    transitions, pauses, moves = defaultdict(list), defaultdict(list), defaultdict(list)
    holds = defaultdict(list)
    for kind, plan_id, first, second, phase, text, at, _id in query:
        first, second = _day(first), _day(second)
        if kind == "t":
            transitions[plan_id].append(schedule.Transition(first, phase, text))
        elif kind == "p":
            areas = json.loads(at) if text == schedule.PAUSE_AREA and at else []
            pauses[plan_id].append((schedule.Pause(first, second, text), areas))
        elif kind == "h":
            holds[plan_id].append(schedule.Hold(first, second))
        else:
            moves[plan_id].append(schedule.Move(text, first, second, parse_time_of_day(at)))
    return transitions, pauses, holds, moves


def technique_areas(slugs: set[str]) -> dict[str, tuple[str, ...]]:
    """The body areas each technique works on: built-ins from the library, a therapist's
    own from the database (one query, only for slugs that are not built in)."""
    found = {slug: tuple(library.TECHNIQUE_AREAS[slug])
             for slug in slugs if slug in library.TECHNIQUE_AREAS}
    missing = slugs - found.keys()
    if missing:
        for slug, areas in (Technique.select(Technique.slug, Technique.areas)
                            .where(Technique.slug.in_(sorted(missing))).tuples()):
            found[slug] = tuple(json.loads(areas) if isinstance(areas, str) else areas or ())
    return found


def _with_items(pauses: list, revisions: list[schedule.Revision]) -> list[schedule.Pause]:
    """Area pauses with the self-care items they stop (tracker.domain.safety.paused_self_care)."""
    if not any(p.scope == schedule.PAUSE_AREA for p, _ in pauses):
        return [p for p, _ in pauses]
    items = {(i.key, i.technique) for r in revisions for phase in r.spec.phases
             for i in phase.items if not i.is_session}
    areas_of = technique_areas({technique for _, technique in items})
    return [p if p.scope != schedule.PAUSE_AREA else
            replace(p, items=safety.paused_self_care(items, areas_of, areas))
            for p, areas in pauses]


def _day(value) -> date | None:
    """A date from a UNION's column: a date (PostgreSQL) or ISO text (SQLite)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _after_done_keys(revisions: list[schedule.Revision]) -> set[str]:
    """Items whose next due day counts from when they were last done, in any revision."""
    return {item.key for r in revisions for phase in r.spec.phases for item in phase.items
            if item.cadence.anchor == plan_spec.AFTER_DONE}


def _checkoffs_query(ids: list[int], keys: list[str], day: date | None):
    wanted = []
    if keys:
        wanted.append((CheckOff.status == CheckOff.DONE) & CheckOff.item_key.in_(keys))
    if day is not None:
        wanted.append(CheckOff.day == day)
    return (CheckOff.select(CheckOff.plan, CheckOff.item_key, CheckOff.day, CheckOff.status,
                            CheckOff.skip_reason)
            .where(CheckOff.plan.in_(ids) & reduce(operator.or_, wanted))
            .order_by(CheckOff.day))


# Read for every plan shown (/today, the check-off, reminders): its SQL built once per shape.
_CHECKOFFS = Prepared(
    _checkoffs_query,
    lambda ids, keys, day: [*ids, *([CheckOff.DONE, *keys] if keys else []),
                            *([day] if day is not None else [])],
    lambda ids, keys, day: (len(ids), len(keys), day is None),
)


def _checkoffs(ids: list[int], keys: set[str], day: date | None):
    """One query: the items of ``keys`` done (the engine needs those only: the other
    cadences do not depend on what was done), and every mark on ``day``.

    Returns completions by plan id, oldest first, and the marks on ``day`` by plan id.
    """
    done: dict[int, list[schedule.Completion]] = defaultdict(list)
    marks: dict[int, dict[str, today_model.Mark]] = defaultdict(dict)
    if not keys and day is None:
        return done, marks
    # plain tuples: there can be thousands
    for plan_id, item_key, on, status, skip_reason in _CHECKOFFS.rows(ids, sorted(keys), day):
        on = _day(on)
        if status == CheckOff.DONE and item_key in keys:
            done[plan_id].append(schedule.Completion(item_key, on))
        if on == day:
            marks[plan_id][item_key] = today_model.Mark(status, skip_reason)
    return done, marks


def plan_inputs(plan_list: list[Plan]) -> dict[int, schedule.PlanInput]:
    """The engine's input for many plans at once: five queries whatever their number."""
    return _load(plan_list)[0]


# Each plan's revisions and changes (what its engine input is made of, but for check-offs),
# by plan, under the plan's version: the database raises the version on every write to
# them (models.install_plan_version_triggers), so an entry read under another version is
# never used. The key holds the plan's creation time too: tests reuse ids in emptied tables.
_STATIC: OrderedDict[tuple, tuple] = OrderedDict()
# A day's occurrences per plan, under the same key (plus its start, the day and what was done
# of its "after done" items, the rest of the engine's input): /today, the check-off and the
# next /today ask the engine the same question.
_DAYS: OrderedDict[tuple, tuple] = OrderedDict()
# The day's view built from those occurrences and the day's marks (a frozen value), under the
# same key plus the marks: the check-off's answer and the /today after it build the same one.
_VIEWS: OrderedDict[tuple, today_model.DayView] = OrderedDict()
_CACHE_MAX = 4096  # entries in each
CACHE_PLAN_INPUTS = True  # False: every load reads the database (the property tests compare)


def _forget() -> None:
    _STATIC.clear()
    _DAYS.clear()
    _VIEWS.clear()


PLAN_WRITE_HOOKS.append(_forget)


def _caching() -> bool:
    """Whether to use the caches: not inside a transaction, where the reader may have
    written (what it reads may yet be rolled back), so it reads afresh and keeps nothing."""
    return CACHE_PLAN_INPUTS and not database.in_transaction()


def _keep(cache: OrderedDict, key: tuple, value) -> None:
    cache[key] = value
    if len(cache) > _CACHE_MAX:
        with suppress(KeyError):  # another thread may have emptied it meanwhile
            cache.popitem(last=False)


def _static_key(plan: Plan) -> tuple:
    return (plan.id, plan.version, plan.created_at)


def _read_static(plan_list: list[Plan]) -> dict[int, tuple]:
    """Revisions, transitions, raw pauses, holds and bookings per plan: from the cache for
    plans whose version it holds, else in two queries for all the others."""
    found: dict[int, tuple] = {}
    missing = []
    use = _caching()
    for plan in plan_list:
        cached = _STATIC.get(_static_key(plan)) if use else None
        if cached is None:
            missing.append(plan)
        else:
            found[plan.id] = cached
    if not missing:
        return found
    ids = [p.id for p in missing]
    revisions: dict[int, list[schedule.Revision]] = defaultdict(list)
    for r in (PlanRevision.select(PlanRevision.plan, PlanRevision.effective_from,
                                  PlanRevision.spec)
              .where(PlanRevision.plan.in_(ids))
              .order_by(PlanRevision.effective_from, PlanRevision.id)):
        revisions[r.plan_id].append(schedule.Revision(r.effective_from, parsed_spec(r.spec)))
    transitions, pauses, holds, bookings = _changes(ids)
    for plan in missing:
        entry = (tuple(revisions[plan.id]), tuple(transitions[plan.id]),
                 tuple(pauses[plan.id]), tuple(holds[plan.id]), tuple(bookings[plan.id]))
        found[plan.id] = entry
        if use:
            _keep(_STATIC, _static_key(plan), entry)
    return found


def _load(plan_list: list[Plan], day: date | None = None):
    """The engine's input for each plan and, when ``day`` is given, the marks on that day."""
    ids = [p.id for p in plan_list]
    if not ids:
        return {}, {}
    static = _read_static(plan_list)
    keys = set().union(*(_after_done_keys(entry[0]) for entry in static.values()))
    done, marks = _checkoffs(ids, keys, day)
    return _inputs(plan_list, static, done), marks


def _inputs(plan_list: list[Plan], static: dict[int, tuple],
            done: dict[int, list[schedule.Completion]]) -> dict[int, schedule.PlanInput]:
    inputs = {}
    for plan in plan_list:
        revisions, transitions, pauses, holds, bookings = static[plan.id]
        inputs[plan.id] = schedule.PlanInput(
            start=plan.start,
            revisions=revisions,
            transitions=transitions,
            pauses=tuple(_with_items(list(pauses), list(revisions))),
            completions=tuple(done.get(plan.id, ())),
            moves=bookings,
            holds=holds,
        )
    return inputs


CHUNK = 500  # ids in one IN list: well under SQLite's parameter limit


def load_days(plan_list: list[Plan], days) -> tuple[
        dict[int, schedule.PlanInput], dict[tuple[int, date], dict[str, today_model.Mark]]]:
    """The engine's input for many plans and their marks on each of ``days``, as
    ``day_view`` loads them one plan at a time, in a fixed number of queries for each
    CHUNK plans (revisions, the UNION of changes, check-offs; the therapists' own
    techniques too when an area pause needs them): a batch's queries do not grow with
    its plans. Returns the inputs by plan id and the marks by (plan id, day).

    Each plan's completions are of its own "after done" items only, exactly as
    ``plan_input`` gives them for that plan alone."""
    wanted_days = set(days)
    days = sorted(wanted_days)
    inputs: dict[int, schedule.PlanInput] = {}
    marks: dict[tuple[int, date], dict[str, today_model.Mark]] = defaultdict(dict)
    for first in range(0, len(plan_list), CHUNK):
        chunk = plan_list[first:first + CHUNK]
        ids = [p.id for p in chunk]
        revisions: dict[int, list[schedule.Revision]] = defaultdict(list)
        for plan_id, effective_from, text in (  # the JSON as stored: see _spec_of_text
                PlanRevision.select(PlanRevision.plan, PlanRevision.effective_from,
                                    PlanRevision.spec.cast("TEXT"))
                .where(PlanRevision.plan.in_(_id_list(ids)))
                .order_by(PlanRevision.effective_from, PlanRevision.id).tuples()):
            revisions[plan_id].append(schedule.Revision(effective_from, _spec_of_text(text)))
        transitions, pauses, holds, bookings = _changes(ids)
        keys_of = {plan_id: _after_done_keys(revs) for plan_id, revs in revisions.items()}
        keys = set().union(*keys_of.values())
        done: dict[int, list[schedule.Completion]] = defaultdict(list)
        wanted = [CheckOff.day.in_(days)] if days else []
        if keys:  # only the plans with such items: the others' history is not read
            wanted.append(CheckOff.plan.in_(_id_list(
                              [plan_id for plan_id, own in keys_of.items() if own]))
                          & (CheckOff.status == CheckOff.DONE)
                          & CheckOff.item_key.in_(sorted(keys)))
        if wanted:
            query = (CheckOff.select(CheckOff.plan, CheckOff.item_key, CheckOff.day,
                                     CheckOff.status, CheckOff.skip_reason)
                     .where(CheckOff.plan.in_(_id_list(ids)) & reduce(operator.or_, wanted))
                     .order_by(CheckOff.day))
            # The cursor's own rows: tens of thousands, and peewee's per-row conversion
            # costs more than the query. Only the day needs one (text on SQLite).
            dates: dict = {}
            for plan_id, item_key, day, status, skip_reason in database.execute_sql(
                    *query.sql()):
                on = dates.get(day)
                if on is None:
                    on = dates[day] = _day(day)
                if status == CheckOff.DONE and item_key in keys_of.get(plan_id, ()):
                    done[plan_id].append(schedule.Completion(item_key, on))
                if on in wanted_days:
                    marks[(plan_id, on)][item_key] = today_model.Mark(status, skip_reason)
        for plan in chunk:
            inputs[plan.id] = schedule.PlanInput(
                start=plan.start,
                revisions=tuple(revisions[plan.id]),
                transitions=tuple(transitions[plan.id]),
                pauses=tuple(_with_items(pauses[plan.id], revisions[plan.id])),
                completions=tuple(done[plan.id]),
                moves=tuple(bookings[plan.id]),
                holds=tuple(holds[plan.id]),
            )
    return inputs, marks


class PlanRow(NamedTuple):
    """A plan as the reminder tick reads it (``current_plan_rows``)."""
    id: int
    client: int
    start: date


def current_plan_rows(client_ids: list[int]) -> dict:
    """Each client's current plan as ``current_plans`` picks it, as a plain row (id,
    client, start: what ``load_days`` reads), for batches of thousands."""
    found: dict = {}
    days: dict = {}  # start dates by their text: thousands of rows share a few hundred
    for start in range(0, len(client_ids), CHUNK):
        query = (
            Plan.select(Plan.id, Plan.client, Plan.start)
            .where(Plan.client.in_(_id_list(client_ids[start:start + CHUNK]))
                   & (Plan.status != Plan.FINISHED))
            .order_by(Plan.start.desc(), Plan.id.desc())
        )
        # The cursor's own rows, as in load_days: peewee's per-row conversion costs more.
        for plan_id, client_id, day in database.execute_sql(*query.sql()):
            if client_id not in found:
                on = days.get(day)
                if on is None:
                    on = days[day] = _day(day)
                found[client_id] = PlanRow(plan_id, client_id, on)
    return found


def current_plans(client_ids: list[int]) -> dict[int, Plan]:
    """Each client's current plan (as queries.current_plan picks it), in batched queries."""
    found: dict[int, Plan] = {}
    for start in range(0, len(client_ids), CHUNK):  # stay under SQLite's parameter limit
        query = (
            Plan.select()
            .where(Plan.client.in_(client_ids[start:start + CHUNK])
                   & (Plan.status != Plan.FINISHED))
            .order_by(Plan.start.desc(), Plan.id.desc())
        )
        for plan in query:
            found.setdefault(plan.client_id, plan)
    return found


def day_view(plan: Plan, day: date) -> today_model.DayView:
    """The plan's items for ``day`` with what the client recorded (a fixed number of queries:
    the engine's input and the day's marks come from the same five)."""
    inputs, marks = _load([plan], day)
    return _view(plan, day, inputs[plan.id], marks[plan.id])


def _current_day_query(client_id: int, day: date):
    current = queries.current_plan(client_id).select(Plan.id).limit(1)
    return (Plan.select(Plan, CheckOff.item_key, CheckOff.status, CheckOff.skip_reason)
            .join(CheckOff, JOIN.LEFT_OUTER,
                  on=(CheckOff.plan == Plan.id) & (CheckOff.day == day))
            .where(Plan.id == current))


# The two pages read most, /today and the check-off, begin with it.
_CURRENT_DAY = Prepared(
    _current_day_query,
    lambda client_id, day: [day, client_id, Plan.FINISHED, 1],
)


def current_day(client_id: int, day: date) -> tuple[Plan | None, today_model.DayView | None]:
    """``queries.current_plan(client).first()`` and its ``day_view`` for ``day``: the plan
    and the day's marks in one query. The rest of the engine's input is cached
    (``_read_static``) but for the done check-offs of "after done" items, which a plan
    with such items reads in a second query."""
    found = _CURRENT_DAY.models_and_rest(Plan, client_id, day)
    if not found:
        return None, None
    plan = found[0][0]
    static = _read_static([plan])
    keys = _after_done_keys(static[plan.id][0])
    done = _checkoffs([plan.id], keys, None)[0] if keys else {}
    marks = {item_key: today_model.Mark(status, skip_reason)
             for _, (item_key, status, skip_reason) in found if item_key is not None}
    return plan, _view(plan, day, _inputs([plan], static, done)[plan.id], marks)


def _view(plan: Plan, day: date, plan_input: schedule.PlanInput,
          day_marks: dict[str, today_model.Mark]) -> today_model.DayView:
    """The day's view from the plan's engine input and the day's marks (kept: ``_DAYS``,
    ``_VIEWS``)."""
    use = _caching()
    key = (_static_key(plan), plan.start, day, plan_input.completions)
    view_key = (key, tuple(sorted(day_marks.items())))
    view = _VIEWS.get(view_key) if use else None
    if view is not None:
        return view
    occurrences = _DAYS.get(key) if use else None
    if occurrences is None:
        occurrences = tuple(schedule.occurrences(plan_input, day, day))
        if use:
            _keep(_DAYS, key, occurrences)
    view = today_model.build_day(day, occurrences, day_marks)
    if use:
        _keep(_VIEWS, view_key, view)
    return view


# Built-in techniques' page ids by slug, per database: built-ins are seeded once and never
# deleted or renumbered, so a process looks each one up once. Therapists' own techniques
# (which can be deleted) are looked up every time.
_BUILTIN_IDS: "weakref.WeakKeyDictionary[object, dict[str, int]]" = weakref.WeakKeyDictionary()


def technique_ids(slugs) -> dict[str, int]:
    """Library page ids for technique slugs, for "how to" links (at most one query)."""
    slugs = set(slugs)
    if not slugs:
        return {}
    builtin = _BUILTIN_IDS.setdefault(database.obj, {})
    found = {slug: builtin[slug] for slug in slugs if slug in builtin}
    missing = slugs - found.keys()
    if missing:
        rows = Technique.select(Technique.id, Technique.slug, Technique.owner).where(
            Technique.slug.in_(missing))
        for row in rows:
            found[row.slug] = row.id
            if row.owner_id is None:
                builtin[row.slug] = row.id
    return found


def create_plan(
    client: User,
    spec: dict,
    start: date,
    *,
    title: str,
    created_by: User,
    therapist: User | None = None,
    template_slug: str | None = None,
) -> Plan:
    """A new plan for ``client`` from a spec (validated by the engine; ValueError if bad)."""
    parsed = plan_spec.PlanSpec.from_dict(spec)
    with database.atomic():
        plan = Plan.create(
            client=client,
            therapist=therapist,
            created_by=created_by,
            title=title,
            template_slug=template_slug,
            start=start,
        )
        PlanRevision.create(
            plan=plan, effective_from=start, spec=parsed.to_dict(), created_by=created_by
        )
        safety_reports.apply_open_reports(plan, start)
    return plan


def create_from_template(
    client: User, slug: str, start: date, *, created_by: User, therapist: User | None = None
) -> Plan:
    """Copy a built-in template into a new plan: later edits never touch the template."""
    template = library.template(slug)
    return create_plan(
        client,
        template["spec"],
        start,
        title=template["name"],
        created_by=created_by,
        therapist=therapist,
        template_slug=slug,
    )


def log_event(
    plan: Plan, actor: User | None, kind: str, message: str, effective_from: date | None = None
) -> PlanEvent:
    """Record a change to a plan, worded for the client ("Your therapist paused your plan"),
    and in the audit log."""
    audit.plan_changed(plan, actor, kind, effective_from)
    return PlanEvent.create(
        plan=plan, actor=actor, kind=kind, message=message[:300], effective_from=effective_from
    )


def _by(actor: User, plan: Plan) -> str:
    return "You" if actor.id == plan.client_id else f"Your therapist {actor.name}"


def assign(
    client: User, spec: dict, start: date, *, therapist: User, title: str,
    template_slug: str | None = None,
) -> Plan:
    """Give a client a new plan from ``start``; a plan they had before is finished."""
    with database.atomic():
        Plan.update(status=Plan.FINISHED).where(
            (Plan.client == client) & (Plan.status != Plan.FINISHED)
        ).execute()
        plan = create_plan(
            client, spec, start, title=title, created_by=therapist, therapist=therapist,
            template_slug=template_slug,
        )
        log_event(plan, therapist, "assigned",
                  f"{_by(therapist, plan)} gave you the plan “{title}”.", start)
    return plan


def therapist_linked(client: User) -> bool:
    """The client is linked to a therapist, who sets up their plan."""
    return safety_reports.therapist_led(client)


def offered_templates(client: User) -> tuple[dict, ...]:
    """The built-in plans a client may start on their own: all of them, or only the
    self-guided ones while a therapist is linked (their therapist sets up the rest)."""
    if therapist_linked(client):
        return tuple(t for t in library.TEMPLATES if t["self_guided"])
    return library.TEMPLATES


def finish(plan: Plan, day: date, actor: User) -> None:
    """End a plan from ``day``: it and its check-offs stay, as history."""
    with database.atomic():
        Plan.update(status=Plan.FINISHED).where(Plan.id == plan.id).execute()
        plan.status = Plan.FINISHED
        log_event(plan, actor, "finished", f"{_by(actor, plan)} finished this plan.", day)


def start_own(client: User, slug: str, start: date, today: date, *, replace: bool) -> Plan | None:
    """A client starts a built-in plan; with ``replace`` a self-guided plan they follow is
    finished first (one transaction). None when a plan is in the way: one from a
    therapist, or any plan without ``replace``."""
    with database.atomic():
        current = (Plan.select().where((Plan.client == client) & (Plan.status != Plan.FINISHED))
                   .order_by(Plan.start.desc(), Plan.id.desc()).first())
        if current is not None:
            if not (replace and current.self_guided):
                return None
            finish(current, today, client)
        plan = create_from_template(client, slug, start, created_by=client)
        log_event(plan, client, "assigned", f"You started the plan “{plan.title}”.", start)
    return plan


def finished_plans(client: User) -> list[tuple[Plan, date | None]]:
    """The client's finished plans, newest first, each with the day it was finished
    (None for plans finished before that was recorded)."""
    rows = list(Plan.select().where((Plan.client == client) & (Plan.status == Plan.FINISHED))
                .order_by(Plan.start.desc(), Plan.id.desc()))
    ends: dict[int, date] = {}
    for event in (PlanEvent.select(PlanEvent.plan, PlanEvent.effective_from)
                  .where(PlanEvent.plan.in_([p.id for p in rows])
                         & (PlanEvent.kind == "finished"))):
        ends[event.plan_id] = event.effective_from
    return [(plan, ends.get(plan.id)) for plan in rows]


def revise(plan: Plan, spec: dict, effective_from: date, actor: User, summary: str = "") -> None:
    """Change a plan from a date on; days before it keep the rules they had."""
    parsed = plan_spec.PlanSpec.from_dict(spec)
    with database.atomic():
        PlanRevision.create(
            plan=plan, effective_from=effective_from, spec=parsed.to_dict(), created_by=actor,
            note=summary[:200],
        )
        message = f"{_by(actor, plan)} changed your plan from {effective_from:%-d %B}"
        log_event(plan, actor, "edited", f"{message}: {summary}" if summary else message + ".",
                  effective_from)


def pause(plan: Plan, start: date, actor: User, reason: str = "") -> None:
    """Pause the whole plan from ``start``: nothing is due and nothing counts as missed."""
    with database.atomic():
        if not plan.pauses.where(PlanPause.end.is_null() & (PlanPause.scope == "all")).exists():
            PlanPause.create(plan=plan, start=start, reason=reason[:200], created_by=actor)
        plan.status = Plan.PAUSED
        plan.save()
        log_event(plan, actor, "paused", f"{_by(actor, plan)} paused your plan.", start)


def paused_on(plan: Plan, day: date) -> bool:
    """Whether a whole-plan pause covers ``day``: the dated pauses, as the engine reads
    them, not ``plan.status`` (which is "paused" from the day a pause is set, even one
    that starts next week, and "active" from the day it is ended, even from next week)."""
    return (plan.pauses.where(
        PlanPause.scope.in_(schedule.WHOLE_PLAN_SCOPES) & (PlanPause.start <= day)
        & (PlanPause.end.is_null() | (PlanPause.end > day))).exists())


def pause_status(plan: Plan, day: date) -> tuple[bool, date | None]:
    """(paused on ``day``, the day a whole-plan pause set for later begins): what a page says
    ("Paused", "Pauses from 10 January") rather than ``plan.status``, which is "paused" from
    the day a pause is set."""
    if paused_on(plan, day):
        return True, None
    later = (plan.pauses
             .where(PlanPause.scope.in_(schedule.WHOLE_PLAN_SCOPES) & (PlanPause.start > day))
             .order_by(PlanPause.start).first())
    return False, later.start if later else None


def resume(plan: Plan, day: date, actor: User) -> None:
    """End the whole-plan pause on ``day``; a pause set to start after ``day`` never takes
    effect, and goes (one starting that day ends where it starts, as a record of it)."""
    with database.atomic():
        PlanPause.delete().where(
            (PlanPause.plan == plan) & PlanPause.end.is_null() & (PlanPause.scope == "all")
            & (PlanPause.start > day)).execute()
        PlanPause.update(end=day).where(
            (PlanPause.plan == plan) & PlanPause.end.is_null() & (PlanPause.scope == "all")
        ).execute()
        plan.status = Plan.ACTIVE
        plan.save()
        log_event(plan, actor, "resumed", f"{_by(actor, plan)} resumed your plan.", day)


def step_to(plan: Plan, to_phase: int, day: date, actor: User, reason: str) -> None:
    """Move the plan to another phase from ``day`` (a dated transition)."""
    plan_in = plan_input(plan)
    spec = schedule.spec_on(plan_in, day)
    if not 0 <= to_phase < len(spec.phases):
        raise ValueError("no such phase")
    with database.atomic():
        PhaseTransition.get_or_create(
            plan=plan, on=day, to_phase=to_phase,
            defaults={"reason": reason[:200], "created_by": actor},
        )
        name = spec.phase(to_phase).name
        sessions = [i for i in spec.phase(to_phase).items if i.is_session]
        detail = ""
        if sessions:
            detail = f": {sessions[0].name}, {wording.cadence_text(sessions[0].cadence)}"
        log_event(plan, actor, "stepped",
                  f"{_by(actor, plan)} moved you to “{name}”{detail}.", day)


# The symptom rules' suggestions: the next phase, the previous one after a flare-up, or a
# review (a flare-up in the first phase, with nothing to step back to).
STEP_DOWN, STEP_BACK, REVIEW = "step_down", "step_back", "review"


def decide_suggestion(plan: Plan, accept: bool, today: date, user: User) -> int | None:
    """Confirm or decline the plan's pending suggestion; returns the new phase if it moved.

    Stepping down moves to the next phase, a flare-up back to the previous one, from today:
    a dated transition, so the days before keep the rules they had. A review (a flare-up in
    the first phase) moves nothing. Either way a person has now looked at the flare-up, so
    its taper hold ends today.
    """
    suggestion = plan.suggestion
    if suggestion not in (STEP_DOWN, STEP_BACK, REVIEW):
        return None
    moved = None
    with database.atomic():
        held = suggestion == STEP_DOWN and safety_reports.plan_held(plan, today)
        if accept and suggestion != REVIEW and not held:
            plan_in = plan_input(plan)
            current = schedule.phase_on(plan_in, today)
            last = len(schedule.spec_on(plan_in, today).phases) - 1
            target = current + 1 if suggestion == STEP_DOWN else current - 1
            if 0 <= target <= last and target != current:
                reason = "ready to step down" if suggestion == STEP_DOWN else "flare-up"
                step_to(plan, target, today, user, f"{reason}, confirmed by {user.name}")
                moved = target
        else:
            log_event(plan, user, "suggestion", f"{_by(user, plan)} kept the plan as it is.")
        PlanHold.update(end=today).where(
            (PlanHold.plan == plan) & (PlanHold.kind == PlanHold.FLARE_UP)
            & PlanHold.end.is_null() & (PlanHold.start < today)).execute()
        PlanHold.delete().where(
            (PlanHold.plan == plan) & (PlanHold.kind == PlanHold.FLARE_UP)
            & PlanHold.end.is_null()).execute()  # opened today: it never held a day
        plan.suggestion = None
        plan.suggestion_reason = ""
        plan.suggested_on = None
        plan.save()
    return moved


def seed_library() -> None:
    """Insert or refresh the built-in techniques (idempotent)."""
    fields = ("name", "kind", "body_area", "areas", "summary", "instructions", "dose",
              "cautions")
    with database.atomic():
        for entry in library.TECHNIQUES:
            values = {f: _plain(entry[f]) for f in fields}
            technique, created = Technique.get_or_create(
                slug=entry["slug"], owner=None, defaults=values
            )
            if not created:
                Technique.update(**values).where(Technique.id == technique.id).execute()


def _plain(value):
    """Tuples become lists so that JSON round-trips compare equal."""
    return list(value) if isinstance(value, tuple) else value
