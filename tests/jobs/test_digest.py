"""The therapist's daily digest (tracker.jobs.digest): once per therapist per local day at
their time, by the channels they chose, only when someone needs attention, exactly once
however many ticks run at once (on PostgreSQL too when TRACKER_TEST_POSTGRES_URL is set).

Emails land in the app's outbox; pushes go to the tests' fake push service. Jobs run at
once in-process (TRACKER_JOBS_IMMEDIATE=1, set by conftest).
"""
import threading
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.fake_push_service import FakePushService
from tests.jobs.test_alerts import announce, closed_port, outbox, person, plain, report, worker
from tracker.config import vapid_public_key
from tracker.domain import digest as rules
from tracker.domain import library
from tracker.jobs import digest, tasks
from tracker.jobs.claims import RETRY_DELAYS
from tracker.store import alert_settings, plans, privacy, safety_reports
from tracker.store.db import database
from tracker.store.models import (
    AlertPreference,
    CareLink,
    CheckIn,
    DigestClaim,
    Plan,
    PushSubscription,
    User,
)

BASE_URL = "https://care.example.org"
NY = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def no_worker_app(monkeypatch):
    """A job outside the test's app context would build the worker's own app: fail."""
    def refuse():
        raise AssertionError("a job ran outside the test's app context")

    monkeypatch.setattr(tasks, "app", refuse)


def next_digest(now: datetime, tz=NY, at=time(7, 30)) -> datetime:
    """The next digest time (a local wall time in ``tz``) after ``now``, in UTC."""
    local = now.astimezone(tz)
    moment = datetime.combine(local.date(), at, tz)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), at, tz)
    return moment.astimezone(UTC)


@pytest.fixture
def world(app):
    """Theo (New York, defaults: digest at 07:30, by email) and his client Ann (Tokyo) on
    a plan started ten days ago; the tick ``at`` is Theo's next 07:30."""
    app.config["BASE_URL"] = BASE_URL
    with database.connection_context():
        theo = person("theo@example.org", "Theo Therapist", "therapist", "America/New_York")
        ann = person("ann@example.org", "Ann Client", tz="Asia/Tokyo")
        CareLink.create(therapist=theo, client=ann)
        plan = plans.assign(ann, library.template("acute-therapist-led")["spec"],
                            plans.local_today(ann) - timedelta(days=10), therapist=theo,
                            title="Acute")
    at = next_digest(datetime.now(UTC))
    return SimpleNamespace(app=app, theo=theo, ann=ann, plan=plan, at=at,
                           day=at.astimezone(NY).date())


def tick(app, now) -> list[tuple]:
    with worker(app):
        return [(o.therapist_id, o.local_date, o.channel, o.status, o.clients)
                for o in digest.tick(now)]


def claims() -> list[tuple]:
    with database.connection_context():
        return [(c.therapist_id, c.local_date, c.channel, c.status, c.clients)
                for c in DigestClaim.select().order_by(DigestClaim.id)]


def choose(therapist, **choices) -> None:
    with database.connection_context():
        alert_settings.save(therapist, rules.Preferences(timezone=therapist.timezone,
                                                         **choices))


def active_today(world) -> None:
    """Ann checks in on her day of the tick, so "no activity" says nothing about her."""
    with database.connection_context():
        CheckIn.create(client=world.ann, day=world.at.astimezone(ZoneInfo("Asia/Tokyo")).date(),
                       leg_pain=4, back_pain=3)


# --- once a day, at the therapist's time -----------------------------------------------------


def test_a_treated_area_problem_comes_in_the_next_digest_once(world):
    active_today(world)
    check = report(world.ann, problems=["swelling"], areas=["lower_back"])
    announce(world.app, check, [safety_reports.AREA])
    assert outbox(world.app) == []  # not at once any more

    assert tick(world.app, world.at - timedelta(minutes=1)) == []
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "sent", 1)]
    assert tick(world.app, world.at + timedelta(minutes=1)) == []
    assert tick(world.app, world.at + timedelta(hours=12)) == []

    [message] = outbox(world.app)
    assert message["Subject"] == (f"Daily digest for {world.day:%A} {world.day.day} "
                                  f"{world.day:%B}: 1 client needs your attention")
    assert message["To"] == "Theo Therapist <theo@example.org>"
    assert message["Message-ID"] == (
        f"<digest.{world.theo.id}.{world.day.isoformat()}@sciatica-tracker.local>")
    body = plain(message)
    assert body.startswith("Hello Theo Therapist,\n\n1 client needs your attention today. "
                           "Warning signs are not listed here: you are told about those at "
                           "once.\n\nAnn Client\n- Reported a problem in the treated area on "
                           f"{check.day.day} {check.day:%B}: the sessions and the self-care on "
                           "that area are paused until you restart them.\n"
                           f"  Open their page: {BASE_URL}/clients/{world.ann.id}\n")
    assert f"Change what the digest tells you and when: {BASE_URL}/settings/alerts" in body
    html = message.get_body(("html",)).get_content()
    assert f'<h2><a href="{BASE_URL}/clients/{world.ann.id}">Ann Client</a></h2>' in html
    assert claims() == [(world.theo.id, world.day, "email", "sent", 1)]


def test_nothing_is_sent_when_nobody_needs_attention_and_later_news_waits_for_tomorrow(world):
    active_today(world)
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "empty", 0)]
    assert outbox(world.app) == []
    report(world.ann, problems=["severe_pain"])
    assert tick(world.app, world.at + timedelta(hours=3)) == []  # today's is done
    assert outbox(world.app) == []
    tomorrow = world.at + timedelta(days=1)
    assert tick(world.app, tomorrow) == [
        (world.theo.id, world.day + timedelta(days=1), "email", "sent", 1)]
    assert len(outbox(world.app)) == 1


def test_the_digest_lists_each_kind_with_its_words_and_area_problems_first(world):
    with database.connection_context():
        bo = person("bo@example.org", "Bo Client", tz="Europe/London")
        CareLink.create(therapist=world.theo, client=bo)
        bo_plan = plans.assign(bo, library.template("acute-therapist-led")["spec"],
                               plans.local_today(bo), therapist=world.theo, title="Acute")
        Plan.update(suggestion="step_back", suggestion_reason="Flare-up: leg pain 8 is 2 or "
                    "more above the 7-day mean.").where(Plan.id == bo_plan.id).execute()
    report(world.ann, problems=["swelling"])  # Ann is also quiet for ten days
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "sent", 2)]
    body = plain(outbox(world.app)[0])
    ann_at = body.index("Ann Client\n")
    bo_at = body.index("Bo Client\n")
    assert ann_at < bo_at  # a treated-area problem first
    quiet = (world.at.astimezone(ZoneInfo("Asia/Tokyo")).date() - world.plan.start).days
    assert (f"- No check-in or check-off since their plan started {quiet} days ago.\n"
            in body[ann_at:bo_at])
    assert ("Bo Client\n- Flare-up: leg pain 8 is 2 or more above the 7-day mean. Waiting for "
            f"your review.\n  Open their page: {BASE_URL}/clients/{bo.id}\n") in body


def test_the_kinds_and_days_the_therapist_chose(world):
    report(world.ann, problems=["swelling"])
    choose(world.theo, area="none", inactive="email", inactive_days=30)
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "empty", 0)]
    choose(world.theo, area="none", inactive="email", inactive_days=3)
    assert tick(world.app, world.at + timedelta(days=1)) == [
        (world.theo.id, world.day + timedelta(days=1), "email", "sent", 1)]
    body = plain(outbox(world.app)[0])
    assert "No check-in or check-off since their plan started" in body
    assert "treated area" not in body


def test_every_kind_off_means_no_digest_and_no_claim(world):
    report(world.ann, problems=["swelling"])
    choose(world.theo, area="none", flare_up="none", step_down="none", inactive="none")
    assert tick(world.app, world.at) == []
    assert claims() == [] and outbox(world.app) == []


def test_the_digest_time_is_the_therapists_own_in_their_zone(world):
    choose(world.theo, digest_time=time(18, 45))
    evening = next_digest(datetime.now(UTC), at=time(18, 45))
    day = evening.astimezone(NY).date()
    report(world.ann, problems=["swelling"])
    assert tick(world.app, evening - timedelta(minutes=1)) == []
    assert tick(world.app, evening) == [(world.theo.id, day, "email", "sent", 1)]


def test_the_digest_follows_daylight_saving_time():
    """07:30 in New York is 12:30 UTC in winter and 11:30 UTC from 8 March 2026."""
    prefs = rules.Preferences(timezone="America/New_York")
    assert rules.due_date(datetime(2026, 3, 7, 12, 29, tzinfo=UTC), prefs) is None
    assert rules.due_date(datetime(2026, 3, 7, 12, 30, tzinfo=UTC), prefs) == date(2026, 3, 7)
    assert rules.due_date(datetime(2026, 3, 8, 11, 29, tzinfo=UTC), prefs) is None
    assert rules.due_date(datetime(2026, 3, 8, 11, 30, tzinfo=UTC), prefs) == date(2026, 3, 8)


def test_each_therapist_at_their_own_local_time(world):
    with database.connection_context():
        kei = person("kei@example.org", "Kei Therapist", "therapist", "Asia/Tokyo")
        CareLink.create(therapist=kei, client=world.ann)
    report(world.ann, problems=["swelling"])
    kei_at = next_digest(datetime.now(UTC), tz=ZoneInfo("Asia/Tokyo"))

    def expected(moment) -> list[tuple]:
        due = [(t.id, rules.due_date(moment, rules.Preferences(timezone=t.timezone)))
               for t in (world.theo, kei)]
        return [(who, day, "email", "sent", 1) for who, day in due if day is not None]

    at_kei = expected(kei_at)
    assert (kei.id, kei_at.astimezone(ZoneInfo("Asia/Tokyo")).date(), "email", "sent",
            1) in at_kei
    assert tick(world.app, kei_at) == at_kei
    later = max(kei_at, world.at) + timedelta(minutes=1)
    sent_later = tick(world.app, later)
    assert sorted(at_kei + sent_later) == sorted(
        {*at_kei, *expected(later)})  # each day's digest once
    assert sorted(m["To"] for m in outbox(world.app))[:2] == [
        "Kei Therapist <kei@example.org>", "Theo Therapist <theo@example.org>"]


# --- exactly once ------------------------------------------------------------------------------


def test_concurrent_ticks_send_each_digest_exactly_once(world):
    report(world.ann, problems=["swelling"])
    results, errors = [], []

    def run():
        try:
            results.append(tick(world.app, world.at))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [o for r in results for o in r] == [(world.theo.id, world.day, "email", "sent", 1)]
    assert len(outbox(world.app)) == 1
    assert claims() == [(world.theo.id, world.day, "email", "sent", 1)]


def test_a_failed_digest_is_retried_with_backoff_and_built_afresh(world):
    world.app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    report(world.ann, problems=["swelling"])
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "failed", 1)]
    with database.connection_context():
        row = DigestClaim.get()
    assert (row.attempts, row.next_attempt_at) == (1, world.at + RETRY_DELAYS[0])
    assert row.last_error.startswith("ConnectionRefusedError")
    world.app.config["SMTP_URL"] = None
    assert tick(world.app, world.at + RETRY_DELAYS[0] - timedelta(seconds=1)) == []
    assert tick(world.app, world.at + RETRY_DELAYS[0]) == [
        (world.theo.id, world.day, "email", "sent", 1)]
    assert tick(world.app, world.at + timedelta(hours=2)) == []
    assert len(outbox(world.app)) == 1
    assert claims() == [(world.theo.id, world.day, "email", "sent", 1)]


def test_a_retry_with_nobody_left_to_mention_sends_nothing(world):
    world.app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    report(world.ann, problems=["swelling"])
    active_today(world)
    assert tick(world.app, world.at)[0][3] == "failed"
    with database.connection_context():
        safety_reports.resolve(world.ann, world.theo, plans.local_today(world.ann))
    world.app.config["SMTP_URL"] = None
    assert tick(world.app, world.at + RETRY_DELAYS[0]) == [
        (world.theo.id, world.day, "email", "empty", 0)]
    assert outbox(world.app) == []


# --- push ------------------------------------------------------------------------------------


@pytest.fixture
def service(app, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakePushService(expected_subject=app.config["VAPID_SUBJECT"],
                           expected_public_key=vapid_public_key(app)).start()
    yield fake
    fake.stop()


def subscribe(service, user) -> None:
    sub = service.subscribe()
    with database.connection_context():
        PushSubscription.create(user=user, endpoint=sub["endpoint"],
                                p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"])


def test_a_push_digest_to_a_device_opens_the_client_or_the_roster(world, service):
    subscribe(service, world.theo)
    choose(world.theo, area="both", inactive="none")
    report(world.ann, problems=["swelling"])
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "sent", 1),
                                         (world.theo.id, world.day, "push", "sent", 1)]
    assert service.errors == []
    [payload] = service.payloads
    assert payload["title"] == "1 client needs your attention"
    assert payload["body"].startswith("Ann Client: Reported a problem in the treated area on ")
    assert payload["url"] == f"/clients/{world.ann.id}"
    assert payload["tag"] == f"digest-{world.day.isoformat()}"
    assert tick(world.app, world.at + timedelta(minutes=5)) == []
    assert len(service.payloads) == 1 and len(outbox(world.app)) == 1


def test_push_to_a_therapist_without_a_device_is_not_claimed(world):
    choose(world.theo, area="push", flare_up="none", step_down="none", inactive="none")
    report(world.ann, problems=["swelling"])
    assert tick(world.app, world.at) == []
    assert claims() == [] and outbox(world.app) == []


def test_a_push_digest_about_several_clients_opens_the_roster(world):
    entries = [rules.Entry(1, "Ann", (rules.Reason(rules.AREA, "x" * 400),)),
               rules.Entry(2, "Bo", (rules.Reason(rules.INACTIVE, "y"),))]
    with world.app.app_context():
        payload = digest.push_payload(entries, date(2026, 3, 18))
    assert payload["title"] == "2 clients need your attention"
    assert payload["url"] == "/clients"
    assert len(payload["body"]) == digest.PUSH_BODY_MAX and payload["body"].endswith("…")


# --- the worker and the account ---------------------------------------------------------------


def test_the_huey_task_runs_a_digest_tick_in_immediate_mode(world):
    assert tasks.huey.immediate
    report(world.ann, problems=["swelling"])
    with world.app.app_context():
        tasks.digest_tick(world.at.isoformat())  # periodic: huey keeps no result
        assert tasks.digest_tick.call_local(world.at.isoformat()) == 0
    assert claims() == [(world.theo.id, world.day, "email", "sent", 1)]
    assert len(outbox(world.app)) == 1


def test_deleting_the_therapist_deletes_their_preferences_and_digests(world):
    choose(world.theo, area="both")
    report(world.ann, problems=["swelling"])
    tick(world.app, world.at)
    with database.connection_context():
        assert AlertPreference.select().count() == 1 and DigestClaim.select().count() == 1
        privacy.delete_account(User.get_by_id(world.theo.id))
        assert AlertPreference.select().count() == 0 and DigestClaim.select().count() == 0


def test_the_therapists_export_has_their_alert_settings_and_digests(world):
    choose(world.theo, area="both", inactive_days=5, digest_time=time(6, 15))
    report(world.ann, problems=["swelling"])
    tick(world.app, world.at)
    with database.connection_context():
        record = privacy.export(User.get_by_id(world.theo.id))
        client_record = privacy.export(User.get_by_id(world.ann.id))
    assert record["alerts"] == [{"warning": "both", "area": "both", "flare_up": "email",
                                 "step_down": "email", "inactive": "email", "inactive_days": 5,
                                 "digest_time": time(6, 15)}]
    assert [(d["channel"], d["status"], d["clients"]) for d in record["digests_sent"]] == [
        ("email", "sent", 1)]
    assert "alerts" not in client_record
