"""The demo: a therapist and a client with six weeks of history, for a first look.

The client's plan started six weeks ago: most items checked off, a few skipped ("No
time") or missed, a daily check-in on most days with leg pain easing from about 7 to 4,
the time-based step from "Acute" to "Improving" after four weeks, and, as the pain has
come down to the therapist's target, a "ready to step down" suggestion waiting. The plan
asks for the PSFS (issue 19) at the start and every six weeks; the client answered it on
the first day and six weeks later, better by more than its MCID, and the "Improving" exit
requires that as well as the pain target. The story
is drawn from a seeded random generator, with a shared note on the last session and a short
exchange of messages (all read), so each run tells it the same way (relative to
the day it runs); it is written once, with the plan, so running the seed again changes
nothing.
"""
import copy
import random
from datetime import date, time, timedelta

from tracker.domain import day as day_model
from tracker.domain import library
from tracker.store import (
    checkins,
    checkoffs,
    messages,
    notes,
    plans,
    queries,
    questionnaires,
    reminder_settings,
)
from tracker.store.db import database
from tracker.store.migrations import upgrade
from tracker.store.models import CLIENT, THERAPIST, CareLink, Message, Plan, User, utcnow

DEMO_PASSWORD = "sciatica-demo"
DEMO_ACCOUNTS = (
    ("therapist@example.com", "Demo Therapist", THERAPIST, "Europe/London"),
    ("client@example.com", "Demo Client", CLIENT, "America/New_York"),
)
DEMO_TEMPLATE = "acute-therapist-led"
HISTORY_WEEKS = 6
SEED = 15  # the random story's seed: the same history every run
# The therapist's target for leaving "Improving": the 7-day leg pain at or below 4, and the
# PSFS up by at least its MCID (2 points) from the first answer.
IMPROVING_EXIT = {"kind": "symptoms", "threshold": 4.0, "drop_pct": 30,
                  "function": {"instrument": "psfs", "by": "mcid"}}
# The PSFS: asked at the start and every six weeks; two answers, six weeks apart, by day in
# the plan: activity -> rating 0 (unable) to 10 (as before). The mean goes 3.5 -> 6.5.
PSFS_EVERY_WEEKS = 6
PSFS_ACTIVITIES = ("Sitting through a meeting", "Putting on socks")
PSFS_ANSWERS = {0: (3, 4), 7 * PSFS_EVERY_WEEKS: (6, 7)}
PAIN_FROM, PAIN_TO = 7, 4  # leg pain eases from about 7 to about 4 ...
EASING_DAYS = 32  # ... over this many days, then stays about there
STREAK_DAYS = 4  # the last days before today, all done


def seed_demo() -> tuple[User, User]:
    """The library, the demo therapist and client, linked, and the client's plan with its
    history (idempotent: a client who has a plan is left as they are)."""
    upgrade()
    with database.connection_context(), database.atomic():
        plans.seed_library()
        therapist, client = (
            User.by_email(email) or User.create_account(email, name, DEMO_PASSWORD, role, tz)
            for email, name, role, tz in DEMO_ACCOUNTS
        )
        link, _ = CareLink.get_or_create(therapist=therapist, client=client)
        if queries.current_plan(client).first() is None:
            today = plans.local_today(client)
            plan = _demo_plan(client, therapist, today)
            _history(plan, client, today, random.Random(SEED))
            _note_and_messages(plan, link, therapist, client, today)
        pref = reminder_settings.preference_for(client)
        if not pref.email:
            pref.email, pref.selfcare_time = True, time(8, 0)  # email reminders at 08:00
            reminder_settings.reschedule(pref, client, utcnow())
    return therapist, client


def _note_and_messages(plan: Plan, link: CareLink, therapist: User, client: User,
                       today: date) -> None:
    """A note shared with the client on the last session done, and a short exchange that
    both have read (written as rows: the demo tells nobody by email)."""
    done = [s for s in notes.sessions(plan, today) if s.done]
    if done:
        notes.write(plan, therapist, done[0].item_key, done[0].day,
                    done="Deep tissue work on the glutes and along the hamstring",
                    areas="Left glute, left hamstring", pressure="moderate",
                    response="Less tight afterwards; no tingling down the leg", shared=True)
    now = utcnow()
    for minutes, sender, body in (
            (90, client, "Is it fine to go for a swim this weekend?"),
            (60, therapist, "Yes, gentle swimming is fine. Stop if the leg pain goes up.")):
        Message.create(link=link, sender=sender, body=body,
                       created_at=now - timedelta(minutes=minutes))
    for reader in (therapist, client):
        messages.mark_read(link, reader, now)


def _demo_plan(client: User, therapist: User, today: date) -> Plan:
    """The acute template from the Monday six weeks back, with a symptom target on
    "Improving" (the template's phases end by time), so a suggestion can come up."""
    template = library.template(DEMO_TEMPLATE)
    spec = copy.deepcopy(template["spec"])
    spec["phases"][1]["exit"] = dict(IMPROVING_EXIT)
    start = plans.monday_of(today - timedelta(weeks=HISTORY_WEEKS))
    plan = plans.create_plan(client, spec, start, title=template["name"],
                             created_by=therapist, therapist=therapist,
                             template_slug=DEMO_TEMPLATE)
    questionnaires.assign(plan, "psfs", at_start=True, every_weeks=PSFS_EVERY_WEEKS)
    return plan


def _psfs(plan: Plan, client: User, day: date) -> None:
    """The day's PSFS answer, if the story has one (saved as on that day: it re-reads the
    plan, as a real answer does)."""
    ratings = PSFS_ANSWERS.get((day - plan.start).days)
    if ratings is None:
        return
    keys = [f"activity_{n}" for n in range(1, len(ratings) + 1)]
    questionnaires.save_answers(client, "psfs", dict(zip(keys, ratings, strict=True)),
                                names=dict(zip(keys, PSFS_ACTIVITIES, strict=True)),
                                today=day, complete=True, plan=plan)


def leg_pain_on(days_in: int, rng: random.Random) -> int:
    """Leg pain on the plan's ``days_in``-th day: easing, with a little day-to-day noise
    (at most a point either way, so no day reads as a flare-up)."""
    eased = PAIN_FROM - (PAIN_FROM - PAIN_TO) * min(days_in, EASING_DAYS) / EASING_DAYS
    return max(0, min(10, round(eased + rng.choice((-0.6, -0.3, 0, 0, 0.3)))))


def _history(plan: Plan, client: User, today: date, rng: random.Random) -> None:
    """Every day from the plan's start to yesterday (today is left to do): check-offs,
    skips and misses, and the check-ins, each check-in read by the symptom rules as the
    app reads it when saved."""
    day = plan.start
    while day < today:
        days_in = (day - plan.start).days
        _day_of_checkoffs(plan, day, rng, days_back=(today - day).days)
        # a check-in on most days; always on the first (the starting level)
        if days_in == 0 or rng.random() < 0.85:
            pain = leg_pain_on(days_in, rng)
            checkins.save_checkin(
                client, day, leg_pain=pain, back_pain=max(0, pain - rng.choice((1, 2))),
                numbness=days_in < 10 and rng.random() < 0.5, weakness=False,
                anything_new=False, soreness=False, contraindications=[])
            checkins.update_suggestion(plan, day)
        _psfs(plan, client, day)
        day += timedelta(days=1)
    _psfs(plan, client, today)  # six weeks to the day: answered this morning


def _day_of_checkoffs(plan: Plan, day: date, rng: random.Random, days_back: int) -> None:
    """One day's items: now and then a day missed whole (not in the last week); otherwise
    most done, evening items the ones most often skipped for lack of time or forgotten;
    the last few days all done (a streak to keep)."""
    missed_whole = rng.random() < 0.05
    if missed_whole and days_back > 7:
        return
    for item in plans.day_view(plan, day).items:
        if item.state != day_model.DUE:
            continue
        roll = rng.random()
        evening = item.time is not None and item.time >= time(17, 0)
        if item.is_session or days_back <= STREAK_DAYS or roll < (0.78 if evening else 0.92):
            checkoffs.set_done(plan, item.key, day, True)
        elif roll < (0.9 if evening else 0.96):
            checkoffs.skip(plan, item.key, day, "no_time")
        # else: missed
