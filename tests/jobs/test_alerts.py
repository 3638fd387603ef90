"""Therapist alerts for safety reports (tracker.jobs.alerts): each linked therapist is told by
email, and by web push when they have a device, exactly once per report, kind and channel.

Emails land in the app's outbox (no SMTP_URL); pushes go to the tests' fake push service,
which checks VAPID and decrypts each message like a browser. Jobs run at once in-process
(TRACKER_JOBS_IMMEDIATE=1, set by conftest), so an announced report is sent before the
call returns.
"""
import email
import email.policy
import socket
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import csrf_token, sign_in_token
from tests.fake_push_service import FakePushService
from tracker.config import vapid_public_key
from tracker.domain import library
from tracker.jobs import alerts, tasks
from tracker.jobs.claims import CLAIM_LEASE, RETRY_DELAYS
from tracker.store import checkins, plans, safety_reports
from tracker.store.db import database
from tracker.store.models import CareLink, PushSubscription, SafetyAlert, SafetyCheck, User

BASE_URL = "https://care.example.org"
ALL_NO = {flag["key"]: False for flag in library.RED_FLAGS}
# A fixed moment for reports whose time is asserted: 18:30 on the 15th in New York, 00:30
# on the 16th in Paris, 08:30 on the 16th in Tokyo (the client's zone).
MOMENT = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
NY_TIME = "15 January 2026 at 18:30 (America/New_York)"
PARIS_TIME = "16 January 2026 at 00:30 (Europe/Paris)"


def person(email_address, name, role="client", tz="UTC") -> User:
    """A user without a password hash worth the name (scrypt is slow; nobody logs in)."""
    return User.create(email=email_address, name=name, role=role, timezone=tz,
                       password_hash="not-used-here")


@contextmanager
def worker(app):
    """An app context with a database connection, as the worker's jobs have."""
    with app.app_context(), database.connection_context():
        yield


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def alert_rows() -> list[tuple]:
    with database.connection_context():
        return [(a.therapist_id, a.kind, a.channel, a.status, a.attempts)
                for a in SafetyAlert.select().order_by(SafetyAlert.id)]


@pytest.fixture
def world(app):
    """Ann (Tokyo) on an acute plan from Theo (New York), who is her linked therapist."""
    app.config["BASE_URL"] = BASE_URL
    with database.connection_context():
        theo = person("theo@example.org", "Theo Therapist", "therapist", "America/New_York")
        ann = person("ann@example.org", "Ann Client", tz="Asia/Tokyo")
        CareLink.create(therapist=theo, client=ann)
        plan = plans.assign(ann, library.template("acute-therapist-led")["spec"],
                            plans.local_today(ann), therapist=theo, title="Acute")
    return SimpleNamespace(app=app, theo=theo, ann=ann, plan=plan)


def report(client, *, flags=(), problems=(), areas=(), note="", at=None) -> SafetyCheck:
    """A stored report, not announced (its enqueue "lost"); created ``at`` if given."""
    with database.connection_context():
        check, _ = checkins.record_safety_answers(
            client, plans.local_today(client), {**ALL_NO, **dict.fromkeys(flags, True)},
            problems=problems, areas=areas, note=note)
        if at is not None:
            SafetyCheck.update(created_at=at).where(SafetyCheck.id == check.id).execute()
        return SafetyCheck.get_by_id(check.id)


def announce(app, check, kinds) -> None:
    """What the views do after the commit, in their app context: the job sends at once."""
    with worker(app):
        safety_reports.announce(check, kinds)


@pytest.fixture(autouse=True)
def no_worker_app(monkeypatch):
    """A job run outside the test's app context would build the worker's own app from the
    environment (the repository's instance folder): fail instead."""
    def refuse():
        raise AssertionError("a job ran outside the test's app context")

    monkeypatch.setattr(tasks, "app", refuse)


def log_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = sign_in_token(user)
        session["_fresh"] = True


# --- a warning sign, by email --------------------------------------------------------------


def test_a_warning_sign_through_the_form_emails_the_therapist_once(world, client):
    log_in(client, world.ann)
    data = {**{k: "no" for k in ALL_NO}, "saddle_numbness": "yes", "bladder_bowel": "yes",
            "note": "Started this morning", "csrf_token": csrf_token(client, "/checkin/safety")}
    response = client.post("/checkin/safety", data=data)
    assert response.status_code == 302 and response.location == "/checkin/urgent"

    [message] = outbox(world.app)
    assert message["Subject"] == "Urgent: Ann Client reported a warning sign"
    assert message["To"] == "Theo Therapist <theo@example.org>"
    with database.connection_context():
        check = SafetyCheck.get(SafetyCheck.client == world.ann)
    assert message["Message-ID"] == (
        f"<safety.{check.id}.{world.theo.id}.warning@sciatica-tracker.local>")
    when = check.created_at.astimezone(ZoneInfo("America/New_York"))
    body = plain(message)
    assert (f"Ann Client reported a warning sign on {when:%-d %B %Y at %H:%M} "
            "(America/New_York):") in body
    assert "Tokyo" not in body  # the therapist's zone, not the client's
    assert ("- new loss of bladder or bowel control, or difficulty passing urine\n"
            "- numbness in the groin, buttocks or inner thighs\n") in body
    assert "get medical help now." in body
    assert "In their words:\nStarted this morning" in body
    assert f"Open Ann Client's page: {BASE_URL}/clients/{world.ann.id}" in body
    assert alert_rows() == [(world.theo.id, "warning", "email", "sent", 1)]

    # Sending again by every route sends nothing more.
    announce(world.app, check, [safety_reports.WARNING])
    with worker(world.app):
        assert alerts.send(check.id, datetime.now(UTC)) == []
        assert alerts.sweep(datetime.now(UTC)) == []
    assert len(outbox(world.app)) == 1
    assert alert_rows() == [(world.theo.id, "warning", "email", "sent", 1)]


def test_the_email_shows_the_time_in_the_therapists_zone(world):
    check = report(world.ann, flags=["fever"], note="Hot and shivery", at=MOMENT)
    announce(world.app, check, [safety_reports.WARNING])
    [message] = outbox(world.app)
    body = plain(message)
    assert message["Subject"] == "Urgent: Ann Client reported a warning sign"
    assert f"Ann Client reported a warning sign on {NY_TIME}:" in body
    assert "Tokyo" not in body and "16 January" not in body  # not the client's zone
    assert "- a fever or feeling unwell with back pain\n" in body
    assert "get medical help today." in body  # a same-day sign, not an emergency
    assert "In their words:\nHot and shivery" in body
    html = message.get_body(("html",)).get_content()
    assert f"{BASE_URL}/clients/{world.ann.id}" in html
    assert "<title>Urgent: Ann Client reported a warning sign</title></head>" in html
    assert message["Auto-Submitted"] == "auto-generated" and message["Date"]
    # The sweep a minute later finds the report claimed already.
    with worker(world.app):
        assert alerts.sweep(MOMENT + timedelta(minutes=1)) == []
    assert len(outbox(world.app)) == 1 and len(alert_rows()) == 1


def test_no_note_no_words_section(world):
    announce(world.app, report(world.ann, flags=["trauma"]), [safety_reports.WARNING])
    [message] = outbox(world.app)
    assert "In their words" not in plain(message)
    assert "- back pain after a fall or accident\n" in plain(message)


# --- a treated-area problem, and "a professional has checked me" -----------------------------


def test_a_treated_area_problem_is_not_sent_at_once_it_waits_for_the_digest(world):
    check = report(world.ann, problems=["swelling"], areas=["lower_back", "thighs"], at=MOMENT)
    announce(world.app, check, [safety_reports.alert_kind(check)])
    with worker(world.app):
        assert alerts.send(check.id, datetime.now(UTC)) == []
        assert alerts.send(check.id, datetime.now(UTC), [safety_reports.AREA]) == []
        assert alerts.sweep(datetime.now(UTC)) == []
    assert alert_rows() == [] and outbox(world.app) == []


def test_an_area_alert_claimed_before_the_digest_is_still_worded_when_retried(world):
    """Alerts of kind "area" claimed by an earlier version may still be retried."""
    check = report(world.ann, problems=["swelling"], areas=["lower_back", "thighs"], at=MOMENT)
    with worker(world.app):
        subject, lines = alerts.compose(check, world.theo, safety_reports.AREA)
    assert subject == "Ann Client reported a problem in the treated area"
    body = "\n".join(lines)
    assert ("Ann Client reported a problem in the treated area (lower back, thighs (back of "
            f"the leg)) on {NY_TIME}:\n- Swelling\n") in body
    assert "Their sessions and the self-care on that area are paused" in body


def test_checked_after_a_treated_area_problem_alone_waits_for_the_digest(world):
    report(world.ann, problems=["swelling"], at=MOMENT)
    with database.connection_context():
        [marked] = safety_reports.mark_checked(world.ann)
    announce(world.app, marked, [safety_reports.CHECKED])
    with worker(world.app):
        assert alerts.sweep(datetime.now(UTC)) == []
    assert alert_rows() == [] and outbox(world.app) == []


def test_checked_tells_the_therapist_once_besides_the_report(world):
    check = report(world.ann, flags=["both_legs"], at=MOMENT)
    announce(world.app, check, [safety_reports.WARNING])
    with database.connection_context():
        [marked] = safety_reports.mark_checked(world.ann)
        assert safety_reports.mark_checked(world.ann) == []  # said once
    announce(world.app, marked, [safety_reports.CHECKED])
    announce(world.app, marked, [safety_reports.CHECKED])  # a double submit
    subjects = sorted(m["Subject"] for m in outbox(world.app))
    assert subjects == ["Ann Client says a professional has checked them",
                        "Urgent: Ann Client reported a warning sign"]
    [checked] = [m for m in outbox(world.app) if "checked" in m["Subject"]]
    assert ("Ann Client says a healthcare professional has checked them after their report "
            f"of {NY_TIME}.") in plain(checked)
    assert checked["Message-ID"] == (
        f"<safety.{check.id}.{world.theo.id}.checked@sciatica-tracker.local>")
    with worker(world.app):
        assert alerts.sweep(datetime.now(UTC)) == []
    assert [r[1:4] for r in alert_rows()] == [("warning", "email", "sent"),
                                              ("checked", "email", "sent")]


# --- who is told -----------------------------------------------------------------------------


def test_every_linked_therapist_is_told_in_their_own_zone_and_nobody_else(world):
    with database.connection_context():
        tia = person("tia@example.org", "Tia Therapist", "therapist", "Europe/Paris")
        CareLink.create(therapist=tia, client=world.ann, archived=True)  # archived: still told
        person("stranger@example.org", "Sam Stranger", "therapist")  # not linked
        ended = person("ended@example.org", "Ed Ended", "therapist")
        CareLink.create(therapist=ended, client=world.ann, active=False)  # link ended
    check = report(world.ann, flags=["worsening_weakness"], at=MOMENT)
    announce(world.app, check, [safety_reports.WARNING])
    by_recipient = {m["To"]: m for m in outbox(world.app)}
    assert sorted(by_recipient) == ["Theo Therapist <theo@example.org>",
                                    "Tia Therapist <tia@example.org>"]
    assert NY_TIME in plain(by_recipient["Theo Therapist <theo@example.org>"])
    assert PARIS_TIME in plain(by_recipient["Tia Therapist <tia@example.org>"])
    assert sorted(r[0] for r in alert_rows()) == sorted([world.theo.id, tia.id])
    with worker(world.app):
        assert alerts.send(check.id, datetime.now(UTC)) == []
    assert len(outbox(world.app)) == 2


def test_a_client_without_a_therapist_makes_no_alerts(app):
    with database.connection_context():
        solo = person("solo@example.org", "Sol Solo")
        plans.create_from_template(solo, "self-guided-relief", plans.local_today(solo),
                                   created_by=solo)
    check = report(solo, flags=["saddle_numbness"])
    announce(app, check, [safety_reports.WARNING])
    with worker(app):
        assert alerts.send(check.id, datetime.now(UTC)) == []
        assert alerts.sweep(datetime.now(UTC)) == []
    assert alert_rows() == [] and outbox(app) == []


def test_all_no_answers_tell_nobody(world):
    check = report(world.ann)
    assert safety_reports.alert_kind(check) is None
    with worker(world.app):
        assert alerts.sweep(datetime.now(UTC)) == []
    assert alert_rows() == [] and outbox(world.app) == []


# --- web push --------------------------------------------------------------------------------


@pytest.fixture
def service(app, monkeypatch):
    """The fake push service, expecting this app's VAPID key and subject."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakePushService(expected_subject=app.config["VAPID_SUBJECT"],
                           expected_public_key=vapid_public_key(app)).start()
    yield fake
    fake.stop()


@pytest.fixture
def device(world, service):
    """Theo's phone, subscribed to the fake push service."""
    sub = service.subscribe()
    with database.connection_context():
        PushSubscription.create(user=world.theo, endpoint=sub["endpoint"],
                                p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"])
    return sub


def test_a_subscribed_therapist_also_gets_one_push(world, service, device):
    check = report(world.ann, flags=["bladder_bowel"], at=MOMENT)
    announce(world.app, check, [safety_reports.WARNING])
    announce(world.app, check, [safety_reports.WARNING])
    assert service.errors == []  # VAPID signed, encrypted for the device
    assert service.payloads == [{
        "title": "Urgent: Ann Client reported a warning sign",
        "body": "Open their page for the answers.",
        "url": f"/clients/{world.ann.id}",
        "tag": f"safety-{check.id}-warning",
    }]
    assert [m.path for m in service.messages] == [f"/push/{device['endpoint'].rsplit('/', 1)[1]}"]
    assert [m["Subject"] for m in outbox(world.app)] == [service.payloads[0]["title"]]
    assert [r[1:4] for r in alert_rows()] == [("warning", "email", "sent"),
                                              ("warning", "push", "sent")]
    with worker(world.app):
        assert alerts.sweep(datetime.now(UTC)) == []
    assert len(service.messages) == 1


def test_a_failing_push_service_is_retried_with_backoff(world, service, device):
    check = report(world.ann, flags=["fever"])
    now = datetime.now(UTC)
    service.answer(500)  # the next message only
    with worker(world.app):
        assert alerts.send(check.id, now) == ["sent", "failed"]  # email, then push
    with database.connection_context():
        failed = SafetyAlert.get(SafetyAlert.channel == "push")
    assert (failed.status, failed.attempts, failed.sent_at) == ("failed", 1, None)
    assert failed.next_attempt_at == now + RETRY_DELAYS[0]
    assert failed.last_error.startswith("PushFailed: push: 0 sent, 0 gone, 1 failed: 500")
    with worker(world.app):
        assert alerts.sweep(now + RETRY_DELAYS[0] - timedelta(seconds=1)) == []  # not yet
        assert len(service.messages) == 1
        later = now + RETRY_DELAYS[0] + timedelta(seconds=1)
        assert alerts.sweep(later) == ["sent"]
        assert alerts.sweep(later + timedelta(hours=1)) == []
    assert [m.payload["title"] for m in service.messages] == [
        "Urgent: Ann Client reported a warning sign"] * 2  # the failed one, then the retry
    with database.connection_context():
        retried = SafetyAlert.get_by_id(failed.id)
    assert (retried.status, retried.attempts, retried.next_attempt_at) == ("sent", 2, None)
    assert retried.sent_at == later and retried.last_error == "push: 1 sent, 0 gone, 0 failed"
    assert len(outbox(world.app)) == 1  # the email went the first time, and only then


def test_a_device_that_is_gone_is_forgotten_and_the_push_alert_is_not_counted_sent(
        world, service, device):
    check = report(world.ann, flags=["fever"])
    now = datetime.now(UTC)
    service.answer(410, endpoint=device["endpoint"])
    with worker(world.app):
        assert alerts.send(check.id, now) == ["sent", "failed"]  # email, then push
    assert [r[2:4] for r in alert_rows()] == [("email", "sent"), ("push", "failed")]
    with database.connection_context():
        assert PushSubscription.select().count() == 0
        alert = SafetyAlert.get(SafetyAlert.channel == "push")
    assert alert.last_error == "PushFailed: push: 0 sent, 1 gone, 0 failed: no device took it"
    assert alert.next_attempt_at == now + RETRY_DELAYS[0]
    with worker(world.app):  # the sweep tries again: still no device, still not sent
        assert alerts.sweep(now + RETRY_DELAYS[0]) == ["failed"]
    assert len(service.messages) == 1 and len(outbox(world.app)) == 1


# --- SMTP failure ------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: connection refused


def test_a_failing_mail_server_is_retried_with_backoff(world):
    world.app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    check = report(world.ann, flags=["trauma"])
    now = datetime.now(UTC)
    with worker(world.app):
        assert alerts.send(check.id, now) == ["failed"]
        # Still down a minute later: the next try waits longer.
        assert alerts.sweep(now + RETRY_DELAYS[0]) == ["failed"]
    with database.connection_context():
        alert = SafetyAlert.get()
    assert (alert.status, alert.attempts) == ("failed", 2)
    assert alert.next_attempt_at == now + RETRY_DELAYS[0] + RETRY_DELAYS[1]
    assert alert.last_error.startswith("ConnectionRefusedError")
    assert outbox(world.app) == []

    world.app.config["SMTP_URL"] = None  # back to the outbox
    with worker(world.app):
        assert alerts.sweep(now + RETRY_DELAYS[0] + RETRY_DELAYS[1]) == ["sent"]
        assert alerts.sweep(now + timedelta(hours=2)) == []
    [message] = outbox(world.app)
    assert message["Subject"] == "Urgent: Ann Client reported a warning sign"
    assert alert_rows() == [(world.theo.id, "warning", "email", "sent", 3)]


def test_an_alert_gives_up_after_the_last_retry(world):
    world.app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    check = report(world.ann, flags=["trauma"])
    now = datetime.now(UTC)
    outcomes = []
    with worker(world.app):
        outcomes += alerts.send(check.id, now)
        for step in range(len(RETRY_DELAYS)):
            outcomes += alerts.sweep(now + timedelta(days=1, hours=step))
        assert alerts.sweep(now + timedelta(days=2)) == []
    assert outcomes == ["failed"] * len(RETRY_DELAYS) + ["gave_up"]
    with database.connection_context():
        alert = SafetyAlert.get()
    assert (alert.status, alert.attempts, alert.next_attempt_at) == (
        "gave_up", len(RETRY_DELAYS) + 1, None)


# --- the sweep: lost enqueues and stuck claims -------------------------------------------------


def test_the_sweep_sends_a_report_whose_enqueue_was_lost(world):
    check = report(world.ann, flags=["fever"], problems=["infection"])  # never announced
    report(world.ann, problems=["swelling"])  # a treated-area problem alone: the digest's
    assert alert_rows() == [] and outbox(world.app) == []
    with worker(world.app):
        assert alerts.sweep(datetime.now(UTC)) == ["sent"]
        assert alerts.sweep(datetime.now(UTC)) == []
    [message] = outbox(world.app)
    assert message["Subject"] == "Urgent: Ann Client reported a warning sign"
    assert alert_rows() == [(world.theo.id, "warning", "email", "sent", 1)]
    with database.connection_context():
        assert SafetyAlert.get().check_id == check.id


def test_the_sweep_leaves_reports_older_than_its_window(world):
    now = datetime.now(UTC)
    report(world.ann, flags=["fever"], at=now - alerts.SWEEP_WINDOW - timedelta(minutes=1))
    with worker(world.app):
        assert alerts.sweep(now) == []
    assert alert_rows() == [] and outbox(world.app) == []


def test_the_sweep_sends_a_lost_checked_notice_of_an_older_report(world):
    """A report older than the window that the client said today was checked: both kinds
    go (neither was claimed), once."""
    now = datetime.now(UTC)
    report(world.ann, flags=["fever"], at=now - alerts.SWEEP_WINDOW - timedelta(days=1))
    with database.connection_context():
        safety_reports.mark_checked(world.ann)  # its announce lost too
    with worker(world.app):
        assert alerts.sweep(now) == ["sent", "sent"]
        assert alerts.sweep(now + timedelta(minutes=1)) == []
    assert [r[1] for r in alert_rows()] == ["warning", "checked"]


class WorkerKilled(BaseException):
    """The worker dying mid-send: not an Exception, so no outcome is recorded."""


def test_a_claim_stuck_past_its_lease_is_sent_again_once(world, monkeypatch):
    check = report(world.ann, flags=["saddle_numbness"])
    now = datetime.now(UTC)

    def killed(*_args):
        raise WorkerKilled

    with monkeypatch.context() as patched, worker(world.app), pytest.raises(WorkerKilled):
        patched.setitem(alerts.SENDERS, alerts.EMAIL, killed)
        alerts.send(check.id, now)
    assert alert_rows() == [(world.theo.id, "warning", "email", "claimed", 0)]
    with database.connection_context():
        assert SafetyAlert.get().next_attempt_at == now + CLAIM_LEASE

    with worker(world.app):
        # A live worker is never overtaken: nothing while the lease runs, however often.
        assert alerts.send(check.id, now + timedelta(minutes=1)) == []
        assert alerts.sweep(now + CLAIM_LEASE - timedelta(seconds=1)) == []
        assert outbox(world.app) == []
        assert alerts.sweep(now + CLAIM_LEASE) == ["sent"]
        assert alerts.sweep(now + CLAIM_LEASE + timedelta(seconds=1)) == []
        assert alerts.sweep(now + 2 * CLAIM_LEASE + timedelta(minutes=1)) == []
    assert len(outbox(world.app)) == 1
    assert alert_rows() == [(world.theo.id, "warning", "email", "sent", 1)]


# --- the jobs ---------------------------------------------------------------------------------


def test_the_jobs_run_at_once_and_return_their_outcomes(world):
    assert tasks.huey.immediate
    first = report(world.ann, flags=["fever"])
    lost = report(world.ann, problems=["swelling"])
    with world.app.app_context():  # no connection open: the job opens (and closes) its own
        assert tasks.safety_alert(first.id, [safety_reports.WARNING]).get() == ["sent"]
        assert tasks.safety_alert(first.id, [safety_reports.WARNING]).get() == []
        assert tasks.safety_alert(999_999, [safety_reports.WARNING]).get() == []
        # huey keeps no result of a periodic task: the sweep's effect, then its return
        tasks.safety_alert_sweep()
        assert [r[1:4] for r in alert_rows()] == [("warning", "email", "sent")]
        again = report(world.ann, flags=["trauma"])  # a later report, its enqueue lost
        assert tasks.safety_alert_sweep.call_local() == ["sent"]
        assert tasks.safety_alert_sweep.call_local() == []
        assert database.is_closed()
    with worker(world.app):  # inside the caller's connection, which it leaves open
        assert tasks.safety_alert(lost.id, [safety_reports.AREA]).get() == []
        assert tasks.safety_alert(again.id, [safety_reports.WARNING]).get() == []
        assert not database.is_closed()
    assert sorted(m["Subject"] for m in outbox(world.app)) == [
        "Urgent: Ann Client reported a warning sign",
        "Urgent: Ann Client reported a warning sign"]
    assert len(alert_rows()) == 2


# --- the therapist's choice of channels (issue 16) --------------------------------------------


def choose(therapist, **choices) -> None:
    from tracker.domain import digest
    from tracker.store import alert_settings

    with database.connection_context():
        alert_settings.save(therapist, digest.Preferences(timezone=therapist.timezone, **choices))


def test_warning_signs_by_push_alone_when_the_therapist_chose_it(world, service, device):
    choose(world.theo, warning="push")
    check = report(world.ann, flags=["fever"])
    announce(world.app, check, [safety_reports.WARNING])
    assert [p["title"] for p in service.payloads] == ["Urgent: Ann Client reported a warning sign"]
    assert outbox(world.app) == []
    assert [r[1:4] for r in alert_rows()] == [("warning", "push", "sent")]


def test_warning_signs_by_email_alone_when_the_therapist_chose_it(world, service, device):
    choose(world.theo, warning="email")
    check = report(world.ann, flags=["fever"])
    announce(world.app, check, [safety_reports.WARNING])
    assert service.payloads == []
    assert [m["Subject"] for m in outbox(world.app)] == [
        "Urgent: Ann Client reported a warning sign"]


def test_push_alone_without_a_device_is_emailed_instead_so_a_warning_sign_is_never_lost(world):
    choose(world.theo, warning="push")
    check = report(world.ann, flags=["fever"])
    announce(world.app, check, [safety_reports.WARNING])
    assert [m["Subject"] for m in outbox(world.app)] == [
        "Urgent: Ann Client reported a warning sign"]
    assert [r[1:4] for r in alert_rows()] == [("warning", "email", "sent")]


def test_turning_every_digest_kind_off_leaves_warning_signs_on(world):
    choose(world.theo, area="none", flare_up="none", step_down="none", inactive="none")
    check = report(world.ann, flags=["saddle_numbness"])
    announce(world.app, check, [safety_reports.WARNING])
    assert [r[1:4] for r in alert_rows()] == [("warning", "email", "sent")]
