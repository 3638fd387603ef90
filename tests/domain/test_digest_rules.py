"""The digest's pure rules: the preferences (warning signs can't be turned off), when the
digest is due in the therapist's zone (DST too), and who needs attention and why."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import digest, roster
from tracker.domain.digest import (
    AREA,
    BOTH,
    EMAIL,
    FLARE_UP,
    INACTIVE,
    NONE,
    PUSH,
    STEP_DOWN,
    ClientFacts,
    Entry,
    Preferences,
    Reason,
)

TODAY = date(2026, 3, 18)
PROPERTY = settings(max_examples=80, deadline=None)


def days(n: int) -> date:
    return TODAY - timedelta(days=n)


def client(client_id=1, name="Ann", **facts) -> ClientFacts:
    """A client a month into a plan, active today: nothing to say about them."""
    return ClientFacts(**{"client_id": client_id, "name": name, "today": TODAY,
                          "plan_start": days(30), "last_activity": TODAY, **facts})


# --- preferences -----------------------------------------------------------------------


def test_the_defaults():
    prefs = Preferences()
    assert (prefs.warning, prefs.area, prefs.flare_up, prefs.step_down, prefs.inactive) == (
        BOTH, EMAIL, EMAIL, EMAIL, EMAIL)
    assert (prefs.inactive_days, prefs.digest_time) == (3, time(7, 30))
    assert prefs.digest_channels == (EMAIL,)


def test_warning_signs_can_never_be_turned_off():
    with pytest.raises(ValueError, match="warning signs are always sent, by email, push or both"):
        Preferences(warning=NONE)


@pytest.mark.parametrize(("changes", "message"), [
    ({"area": "sms"}, "not a channel choice: 'sms'"),
    ({"inactive_days": 0}, r"inactive_days must be 1 to 30 \(got 0\)"),
    ({"inactive_days": 31}, r"inactive_days must be 1 to 30 \(got 31\)"),
    ({"inactive_days": "3"}, r"inactive_days must be 1 to 30 \(got '3'\)"),
    ({"digest_time": "07:30"}, r"digest_time must be a time \(got '07:30'\)"),
])
def test_bad_preferences_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        Preferences(**changes)


def test_an_unknown_zone_is_refused():
    with pytest.raises(Exception, match="Mars/Olympus"):
        Preferences(timezone="Mars/Olympus")


@pytest.mark.parametrize(("choice", "channels"), [
    (EMAIL, (EMAIL,)), (PUSH, (PUSH,)), (BOTH, (EMAIL, PUSH)), (NONE, ())])
def test_channels_of_a_choice(choice, channels):
    assert digest.channels_of(choice) == channels


def test_digest_channels_are_those_any_digest_kind_uses():
    assert Preferences(area=PUSH, flare_up=NONE, step_down=NONE,
                       inactive=NONE).digest_channels == (PUSH,)
    assert Preferences(area=PUSH, inactive=EMAIL).digest_channels == (EMAIL, PUSH)
    everything_off = Preferences(area=NONE, flare_up=NONE, step_down=NONE, inactive=NONE)
    assert everything_off.digest_channels == ()
    assert everything_off.warning == BOTH  # warning signs stay on


# --- when the digest is due --------------------------------------------------------------

NY = "America/New_York"


def at(local: str, zone: str = NY) -> datetime:
    """A moment given as local wall time in ``zone`` (fold 0), as UTC."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_due_from_the_digest_time_until_the_local_day_ends():
    prefs = Preferences(timezone=NY)
    assert digest.due_date(at("2026-03-18T07:29"), prefs) is None
    assert digest.due_date(at("2026-03-18T07:30"), prefs) == date(2026, 3, 18)
    assert digest.due_date(at("2026-03-18T23:59"), prefs) == date(2026, 3, 18)
    assert digest.due_date(at("2026-03-19T00:00"), prefs) is None


def test_the_therapists_zone_decides_the_day():
    # 11:00 UTC on the 18th: 07:00 in New York (not yet), 20:00 in Tokyo (due, the 18th),
    # and already the 19th at 00:00 in Auckland (not yet).
    now = datetime(2026, 3, 18, 11, 0, tzinfo=UTC)
    assert digest.due_date(now, Preferences(timezone=NY)) is None
    assert digest.due_date(now, Preferences(timezone="Asia/Tokyo")) == date(2026, 3, 18)
    assert digest.due_date(now, Preferences(timezone="Pacific/Auckland")) is None


def test_a_digest_time_the_spring_change_skips_is_due_when_the_clock_passes_it():
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 never happens.
    prefs = Preferences(timezone=NY, digest_time=time(2, 30))
    just_before = datetime(2026, 3, 8, 6, 59, tzinfo=UTC)  # 01:59 EST
    jump = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert digest.due_date(just_before, prefs) is None
    assert digest.due_date(jump, prefs) == date(2026, 3, 8)


def test_a_digest_time_the_autumn_change_repeats_is_due_at_its_first_occurrence():
    # New York, 1 November 2026: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    prefs = Preferences(timezone=NY, digest_time=time(1, 30))
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert digest.due_date(first - timedelta(minutes=1), prefs) is None
    assert digest.due_date(first, prefs) == date(2026, 11, 1)
    # 01:00 EST, after the first 01:30: the wall clock reads earlier; the claim of the
    # first occurrence is what keeps it from going out twice.
    assert digest.due_date(datetime(2026, 11, 1, 6, 0, tzinfo=UTC), prefs) is None


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware now"):
        digest.due_date(datetime(2026, 3, 18, 8, 0), Preferences())


ZONES = st.sampled_from(["UTC", NY, "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
                         "Pacific/Chatham", "America/Sao_Paulo"])


@PROPERTY
@given(ZONES, st.times().map(lambda t: t.replace(second=0, microsecond=0)),
       st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                    timezones=st.just(UTC)))
def test_due_means_the_local_clock_has_passed_the_time_today(zone, digest_time, now):
    prefs = Preferences(timezone=zone, digest_time=digest_time)
    local = now.astimezone(ZoneInfo(zone))
    due = digest.due_date(now, prefs)
    if local.time() >= digest_time:
        assert due == local.date()
    else:
        assert due is None


@PROPERTY
@given(ZONES, st.times().map(lambda t: t.replace(second=0, microsecond=0)),
       st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
def test_every_local_day_has_its_digest_due(zone, digest_time, day):
    """Through a local day, the digest is due on that day and no other, and due by the
    day's last minute: no day is skipped, whatever DST does."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0, 0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    prefs = Preferences(timezone=zone, digest_time=digest_time)
    minutes = int((end - start).total_seconds() // 60)
    moments = [start + timedelta(minutes=m) for m in range(0, minutes, 29)]
    answers = [digest.due_date(m, prefs) for m in [*moments, end - timedelta(minutes=1)]]
    assert set(answers) <= {None, day}
    assert answers[-1] == day


# --- who needs attention, and why --------------------------------------------------------


def test_a_client_doing_fine_needs_nothing():
    assert digest.reasons(client()) == ()
    assert digest.needs_attention([client()], Preferences(), EMAIL) == []


def test_a_treated_area_problem_says_when_and_what_is_paused():
    [reason] = digest.reasons(client(area_since=date(2026, 3, 16)))
    assert reason == Reason(AREA, "Reported a problem in the treated area on 16 March: the "
                                  "sessions and the self-care on that area are paused until "
                                  "you restart them.")
    [checked] = digest.reasons(client(area_since=date(2026, 3, 16), area_checked=True))
    assert checked.text.endswith(" They say a healthcare professional has checked them.")


@pytest.mark.parametrize("suggestion", ["step_back", "review"])
def test_a_flare_up_gives_the_rules_words(suggestion):
    facts = client(suggestion=suggestion,
                   suggestion_reason="Flare-up: leg pain 8 is 2 or more above the 7-day mean.")
    assert digest.reasons(facts) == (Reason(
        FLARE_UP, "Flare-up: leg pain 8 is 2 or more above the 7-day mean. Waiting for your "
                  "review."),)


def test_ready_to_step_down_and_waiting_for_review():
    ready = client(suggestion="step_down",
                   suggestion_reason="Ready for the next phase: 7-day leg pain 3.0 is at or "
                                     "below 4.")
    assert digest.reasons(ready) == (Reason(
        STEP_DOWN, "Ready for the next phase: 7-day leg pain 3.0 is at or below 4. Confirm or "
                   "decline on their page."),)
    waiting = client(waiting_since=date(2026, 3, 9))
    assert digest.reasons(waiting) == (Reason(
        STEP_DOWN, "Due to step down since 9 March: waiting for your review."),)


def test_ready_to_step_down_is_never_said_beside_an_open_problem():
    assert digest.reasons(client(suggestion="step_down", warning_open=True)) == ()
    kinds = [r.kind for r in digest.reasons(client(suggestion="step_down",
                                                   area_since=days(1)))]
    assert kinds == [AREA]


def test_no_activity_for_the_therapists_number_of_days():
    facts = client(last_activity=days(3))
    assert digest.reasons(facts, 4) == ()
    assert digest.reasons(facts, 3) == (Reason(
        INACTIVE, "No check-in or check-off for 3 days (the last on 15 March)."),)
    never = client(plan_start=days(6), last_activity=None)
    assert digest.reasons(never, 3) == (Reason(
        INACTIVE, "No check-in or check-off since their plan started 6 days ago."),)


def test_a_new_plan_an_archived_client_or_no_plan_is_not_chased():
    assert digest.reasons(client(plan_start=days(2), last_activity=None), 3) == ()
    assert digest.reasons(client(last_activity=days(20), archived=True), 3) == ()
    assert digest.reasons(client(plan_start=None, last_activity=None), 3) == ()


def test_the_digest_lists_only_the_kinds_asked_for_by_that_channel():
    clients = [
        client(1, "Zoe", area_since=days(1), last_activity=days(9)),
        client(2, "bo", suggestion="step_down", suggestion_reason="Ready."),
        client(3, "Cy", last_activity=days(5)),
        client(4, "Al"),
    ]
    prefs = Preferences(area=BOTH, step_down=PUSH, inactive=EMAIL, inactive_days=3)
    by_email = digest.needs_attention(clients, prefs, EMAIL)
    assert [(e.name, [r.kind for r in e.reasons]) for e in by_email] == [
        ("Zoe", [AREA, INACTIVE]), ("Cy", [INACTIVE])]
    by_push = digest.needs_attention(clients, prefs, PUSH)
    assert [(e.name, [r.kind for r in e.reasons]) for e in by_push] == [
        ("Zoe", [AREA]), ("bo", [STEP_DOWN])]


def test_the_summary_line():
    one = [Entry(1, "Ann", (Reason(AREA, "x"),))]
    assert digest.summary_line(one) == "1 client needs your attention"
    assert digest.summary_line(one * 3) == "3 clients need your attention"


# --- properties ------------------------------------------------------------------------

CHOICE = st.sampled_from(digest.CHOICES)


@st.composite
def facts(draw):
    plan_start = draw(st.none() | st.integers(0, 60).map(days))
    return ClientFacts(
        client_id=draw(st.integers(1, 10_000)),
        name=draw(st.text(min_size=1, max_size=12)),
        today=TODAY,
        plan_start=plan_start,
        suggestion=draw(st.sampled_from([None, "step_down", "step_back", "review"])),
        warning_open=draw(st.booleans()),
        area_since=draw(st.none() | st.integers(0, 30).map(days)),
        area_checked=draw(st.booleans()),
        waiting_since=draw(st.none() | st.integers(0, 30).map(days)),
        last_activity=draw(st.none() | st.integers(0, 60).map(days)),
        archived=draw(st.booleans()),
    )


@st.composite
def preferences(draw):
    return Preferences(area=draw(CHOICE), flare_up=draw(CHOICE), step_down=draw(CHOICE),
                       inactive=draw(CHOICE), inactive_days=draw(st.integers(1, 30)))


@PROPERTY
@given(st.lists(facts(), max_size=8), preferences(), st.sampled_from([EMAIL, PUSH]))
def test_a_digest_lists_each_client_with_a_wanted_reason_once_and_only_those(
        clients, prefs, channel):
    entries = digest.needs_attention(clients, prefs, channel)
    for entry in entries:
        assert entry.reasons, "nobody is listed without a reason"
        assert all(prefs.wants(r.kind, channel) for r in entry.reasons)
    expected = [f for f in clients if any(prefs.wants(r.kind, channel)
                                          for r in digest.reasons(f, prefs.inactive_days))]
    assert len(entries) == len(expected)
    assert sorted(e.client_id for e in entries) == sorted(f.client_id for f in expected)


@PROPERTY
@given(st.lists(facts(), max_size=8), preferences(), st.sampled_from([EMAIL, PUSH]))
def test_nothing_is_listed_by_a_channel_no_kind_uses(clients, prefs, channel):
    if channel not in prefs.digest_channels:
        assert digest.needs_attention(clients, prefs, channel) == []


@PROPERTY
@given(facts())
def test_the_digest_agrees_with_the_roster_flags(f):
    """The digest's reasons with the roster's 5 days are the roster's flags (bar warning
    signs, which are told at once, and archived clients, who aren't chased)."""
    kinds = {r.kind for r in digest.reasons(f, roster.INACTIVE_DAYS)}
    checkins = f.last_activity
    flags = set(roster.flags(roster.Facts(
        today=f.today, plan_start=f.plan_start, suggestion=f.suggestion,
        warning_open=f.warning_open, area_open=f.area_since is not None,
        waiting_since=f.waiting_since, last_checkin=checkins)))
    assert (AREA in kinds) == (roster.AREA in flags)
    assert (FLARE_UP in kinds) == (roster.FLARE_UP in flags)
    assert (STEP_DOWN in kinds) == bool({roster.STEP_DOWN, roster.WAITING} & flags)
    if not f.archived:
        assert (INACTIVE in kinds) == (roster.INACTIVE in flags)
