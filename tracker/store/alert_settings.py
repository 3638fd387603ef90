"""A therapist's alert preferences in the database, and the facts the daily digest reads
about their clients (a fixed number of queries, whatever the number of clients).

What the preferences mean and who needs attention is tracker.domain.digest (pure).
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from peewee import fn

from tracker.domain import digest, schedule
from tracker.store import plans, safety_reports
from tracker.store.models import (
    AlertPreference,
    CareLink,
    CheckIn,
    CheckOff,
    Plan,
    User,
    utcnow,
)

FIELDS = ("warning", "area", "flare_up", "step_down", "inactive", "inactive_days",
          "digest_time")


def preferences_of(row: AlertPreference | None, timezone: str) -> digest.Preferences:
    """The pure view of a therapist's row; no row (never saved): the defaults."""
    if row is None:
        return digest.Preferences(timezone=timezone)
    return digest.Preferences(timezone=timezone, **{f: getattr(row, f) for f in FIELDS})


def preference_row(therapist: User) -> AlertPreference | None:
    return AlertPreference.get_or_none(AlertPreference.therapist == therapist)


def preferences_for(therapist: User) -> digest.Preferences:
    return preferences_of(preference_row(therapist), therapist.timezone)


def save(therapist: User, prefs: digest.Preferences) -> AlertPreference:
    """Store the therapist's choices (validated by ``digest.Preferences``); an upsert, so
    two saves at once leave one row."""
    values = {f: getattr(prefs, f) for f in FIELDS}
    (AlertPreference.insert(therapist=therapist, updated_at=utcnow(), **values)
     .on_conflict(conflict_target=[AlertPreference.therapist],
                  update={**{getattr(AlertPreference, f): v for f, v in values.items()},
                          AlertPreference.updated_at: utcnow()})
     .execute())
    return preference_row(therapist)


def digest_facts(therapist: User, now: datetime) -> list[digest.ClientFacts]:
    """Each linked client's facts on their own local today (about ten queries in all)."""
    links = list(CareLink.select(CareLink.client.alias("client_id"), CareLink.archived,
                                 User.name, User.timezone)
                 .join(User, on=(CareLink.client == User.id))
                 .where((CareLink.therapist == therapist) & CareLink.active)
                 .order_by(CareLink.id)
                 .namedtuples())
    if not links:
        return []
    ids = [link.client_id for link in links]
    current = plans.current_plans(ids)
    plan_list = list(current.values())
    inputs = plans.plan_inputs(plan_list) if plan_list else {}
    checkins = _max_day(CheckIn.select(CheckIn.client.alias("key"), fn.MAX(CheckIn.day))
                        .where(CheckIn.client.in_(ids)).group_by(CheckIn.client))
    checkoffs = _max_day(CheckOff.select(CheckOff.plan.alias("key"), fn.MAX(CheckOff.day))
                         .where(CheckOff.plan.in_([p.id for p in plan_list]))
                         .group_by(CheckOff.plan)) if plan_list else {}
    reports = safety_reports.open_by_client(ids)
    facts = []
    for link in links:
        today = now.astimezone(ZoneInfo(link.timezone)).date()
        plan: Plan | None = current.get(link.client_id)
        open_now = reports.get(link.client_id, [])
        area = [r for r in open_now if r.problems]
        activity = [d for d in (checkins.get(link.client_id),
                                checkoffs.get(plan.id) if plan else None) if d is not None]
        facts.append(digest.ClientFacts(
            client_id=link.client_id,
            name=link.name,
            today=today,
            plan_start=plan.start if plan else None,
            suggestion=plan.suggestion if plan else None,
            suggestion_reason=plan.suggestion_reason if plan else "",
            warning_open=any(r.red_flags for r in open_now),
            area_since=min(r.day for r in area) if area else None,
            area_checked=bool(area) and all(r.checked_at is not None for r in area),
            waiting_since=(schedule.waiting_step_down(inputs[plan.id], today)
                           if plan else None),
            last_activity=max(activity) if activity else None,
            archived=link.archived,
        ))
    return facts


def _max_day(query) -> dict[int, date]:
    return {key: day for key, day in query.tuples()}
