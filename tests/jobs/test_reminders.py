import email
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from tests.conftest import ROOT, csrf_token, make_user
from tracker.jobs import claims
from tracker.jobs import reminders as service
from tracker.store import checkoffs, plans, reminder_settings
from tracker.store.db import database
from tracker.store.models import Plan, ReminderClaim, ReminderPreference

NY = ZoneInfo("America/New_York")


@pytest.fixture
def setup(app):
    """A New York client on the acute plan with email reminders at 08:00."""
    with database.connection_context():
        user = make_user(tz="America/New_York")
        today = plans.local_today(user)
        plan = plans.create_from_template(user, "acute-therapist-led", today, created_by=user)
        pref = reminder_settings.preference_for(user)
        pref.email = True
        reminder_settings.reschedule(pref, user, datetime.now(UTC))
    tomorrow = today + timedelta(days=1)
    at_eight = datetime.combine(tomorrow, time(8, 0), NY).astimezone(UTC)
    return {"user": user, "plan": plan, "day": tomorrow, "at": at_eight, "app": app}


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


_current = {}


@pytest.fixture(autouse=True)
def clean_outbox(app):
    """An empty outbox; ticks run in an app context of this app, as the worker's do."""
    for path in (Path(app.instance_path) / "outbox").glob("*.eml"):
        path.unlink()
    _current["app"] = app


def tick(now, **kwargs):
    with _current["app"].app_context(), database.connection_context():
        return service.tick(now, **kwargs)


def test_the_0800_reminder_is_emailed_with_what_is_left(setup):
    with database.connection_context():
        checkoffs.set_done(setup["plan"], "piriformis", setup["day"], True)
    outcomes = tick(setup["at"])
    assert [(o.slot, o.channel, o.status) for o in outcomes] == [("selfcare-1", "email", "sent")]
    [message] = outbox(setup["app"])
    assert message["To"].addresses[0].addr_spec == "client@example.org"
    assert message["Subject"] == "Today's plan: 5 items to do"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Knee-to-chest stretch" in text and "Piriformis stretch" not in text
    assert "/today" in text and "/reminders/unsubscribe/" in text
    assert "Open today's plan" in html and "<li>" in html
    assert message["List-Unsubscribe"].strip().startswith("<http")


def test_the_email_has_a_date_a_titled_html_part_and_says_it_is_automatic(setup):
    tick(setup["at"])
    [message] = outbox(setup["app"])
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert sent.tzinfo is not None and abs(datetime.now(UTC) - sent) < timedelta(minutes=5)
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(("html",)).get_content()
    assert "<head><meta charset=\"utf-8\">" in html
    assert "<title>Today&#39;s plan: 6 items to do</title></head>" in html


def test_the_open_today_link_comes_back_to_today_after_login(setup, client):
    tick(setup["at"])
    text = outbox(setup["app"])[0].get_body(("plain",)).get_content()
    link = next(w for w in text.split() if w.endswith("/today"))
    response = client.get(link[link.index("/today"):])
    assert response.status_code == 302
    assert response.location == "/login?next=/today"  # no stray "?"
    # a query string, when there is one, is kept
    assert client.get("/today?day=2027-01-02").location == "/login?next=/today?day%3D2027-01-02"


def test_nothing_is_sent_when_everything_is_done(setup):
    with database.connection_context():
        for item in plans.day_view(setup["plan"], setup["day"]).items:
            checkoffs.set_done(setup["plan"], item.key, setup["day"], True)
    assert tick(setup["at"]) == [] and outbox(setup["app"]) == []


def test_nothing_is_sent_when_the_plan_is_paused(setup):
    with database.connection_context():
        plans.pause(setup["plan"], setup["day"] - timedelta(days=1), setup["user"])
    assert tick(setup["at"]) == [] and outbox(setup["app"]) == []


def test_a_tick_before_the_time_sends_nothing_and_a_rerun_never_twice(setup):
    assert tick(setup["at"] - timedelta(minutes=5)) == []
    assert len(tick(setup["at"])) == 1
    assert tick(setup["at"]) == []  # the same minute again
    assert tick(setup["at"] + timedelta(minutes=1)) == []
    assert len(outbox(setup["app"])) == 1
    with database.connection_context():
        claim = ReminderClaim.get()
        assert claim.status == "sent" and claim.sent_at is not None
        pref = ReminderPreference.get()
    # The next fire is the session reminder (day before Monday) or tomorrow's 08:00.
    assert pref.next_fire_at > setup["at"] and pref.next_fire_at.tzinfo == UTC


def test_dry_run_sends_and_records_nothing(setup):
    outcomes = tick(setup["at"], dry_run=True)
    assert [o.status for o in outcomes] == ["dry-run"]
    with database.connection_context():
        assert ReminderClaim.select().count() == 0
    assert outbox(setup["app"]) == []
    assert len(tick(setup["at"])) == 1  # a dry run doesn't use the reminder up


def test_two_concurrent_ticks_send_exactly_once(setup):
    results = []

    def run():
        results.append(tick(setup["at"]))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [o.status for r in results for o in r]
    assert statuses.count("sent") == 1
    assert len(outbox(setup["app"])) == 1


def test_a_failed_send_is_retried_with_backoff_and_kept(setup, monkeypatch):
    calls = []

    def flaky(user, reminder):
        calls.append(reminder)
        if len(calls) == 1:
            raise ConnectionError("SMTP server unavailable")
        return "ok"

    monkeypatch.setitem(service.SENDERS, "email", flaky)
    assert [o.status for o in tick(setup["at"])] == ["failed"]
    with database.connection_context():
        claim = ReminderClaim.get()
        assert claim.status == "failed" and "unavailable" in claim.last_error
        retry_at = claim.next_attempt_at
    assert tick(setup["at"] + timedelta(seconds=30)) == []  # not yet
    assert retry_at.tzinfo == UTC  # read back aware, as every timestamp
    assert [o.status for o in tick(retry_at)] == ["sent"]
    assert len(calls) == 2 and calls[1].items == calls[0].items
    with database.connection_context():
        assert ReminderClaim.get().status == "sent"


def test_a_claim_keeps_its_items_by_key_and_one_from_before_keys_is_still_sent(setup):
    with database.connection_context():
        assert [o.status for o in tick(setup["at"])] == ["sent"]
        claim = ReminderClaim.get()
        assert {"key": "knee-to-chest", "name": "Knee-to-chest stretch"} in claim.items
        # A failed claim as an earlier version stored it: bare names.
        ReminderClaim.update(status="failed", items=["Piriformis stretch"],
                             next_attempt_at=setup["at"]).execute()
    outcomes = tick(setup["at"] + timedelta(minutes=1))
    assert [(o.status, o.detail) for o in outcomes] == [("sent", "retry")]
    resent = outbox(setup["app"])[-1].get_body(("plain",)).get_content()
    assert "Piriformis stretch" in resent


def test_the_day_before_a_session(setup):
    with database.connection_context():
        pref = ReminderPreference.get()
        pref.email, pref.selfcare_time = True, time(7, 0)
        reminder_settings.reschedule(pref, setup["user"], datetime.now(UTC))
        monday = setup["plan"].start + timedelta(days=7 - setup["plan"].start.weekday())
    eve = datetime.combine(monday - timedelta(days=1), time(18, 0), NY).astimezone(UTC)
    with database.connection_context():
        ReminderPreference.update(next_fire_at=eve,
                                  checked_until=eve - timedelta(minutes=1)).execute()
    outcomes = tick(eve)
    assert [(o.slot, o.status) for o in outcomes] == [("session-eve", "sent")]
    message = outbox(setup["app"])[-1]
    assert message["Subject"] == "Your session is tomorrow"
    assert "Deep tissue massage at 10:00" in message.get_body(("plain",)).get_content()


def test_huey_task_runs_a_tick_in_immediate_mode(setup, monkeypatch):
    from tracker.jobs import tasks

    monkeypatch.setattr(tasks, "_app", setup["app"])
    monkeypatch.setattr(tasks.huey, "immediate", True)
    # Immediate mode runs the task on the call (huey keeps no result for periodic tasks).
    tasks.reminder_tick(setup["at"].isoformat())
    assert len(outbox(setup["app"])) == 1
    with database.connection_context():
        assert ReminderClaim.get().status == "sent"


def test_the_worker_entry_point_gives_the_jobs_the_app_factory():
    """``huey_consumer tracker.jobs.worker.huey`` (make run, serve, worker): the tasks' huey,
    and the factory the jobs build their app with."""
    code = ("from tracker import create_app; from tracker.jobs import tasks, worker; "
            "assert worker.huey is tasks.huey and tasks.app_factory is create_app")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   env={**os.environ, "TRACKER_JOBS_IMMEDIATE": "1"})


def test_a_job_with_no_app_and_no_factory_says_how_to_start_the_worker(monkeypatch):
    from tracker.jobs import tasks

    monkeypatch.setattr(tasks, "_app", None)
    monkeypatch.setattr(tasks, "app_factory", None)
    with pytest.raises(RuntimeError, match=r"huey_consumer tracker\.jobs\.worker\.huey"):
        tasks.app()


def test_cli_remind(setup, runner):
    result = runner.invoke(args=["remind", "--now", setup["at"].isoformat(), "--dry-run"])
    assert result.exit_code == 0 and "dry-run: email selfcare-1" in result.output
    result = runner.invoke(args=["remind", "--now", setup["at"].isoformat()])
    assert "sent: email selfcare-1" in result.output and "1 reminder(s) handled" in result.output
    bad = runner.invoke(args=["remind", "--now", "yesterday-ish"])
    assert bad.exit_code != 0 and "not an ISO 8601 time" in bad.output


# --- the settings page and unsubscribing --------------------------------------------------


def test_settings_save_and_reschedule(setup, client, auth):
    auth.login()
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert "Self-care reminder" in page and 'value="08:00"' in page
    response = client.post("/settings/reminders", data={
        "selfcare_time": "07:15", "second_time": "19:00", "session_day_before": "y",
        "session_day_before_time": "18:30", "quiet_start": "", "quiet_end": "", "email": "y",
        "csrf_token": csrf_token(client, "/settings/reminders"),
    })
    assert response.status_code == 302
    with database.connection_context():
        pref = ReminderPreference.get()
    assert (pref.selfcare_time, pref.second_time, pref.session_day_before_time) == (
        time(7, 15), time(19, 0), time(18, 30))
    fire = pref.next_fire_at.astimezone(NY)
    assert fire.time() in (time(7, 15), time(18, 30), time(19, 0))


@pytest.mark.parametrize(
    "data, message",
    [
        ({"selfcare_time": ""}, "Pick a time"),
        ({"selfcare_time": "25:00"}, "“25:00” isn't a time like 07:30."),
        ({"quiet_start": "22:00"}, "both a start and an end"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "different times"),
    ],
)
def test_settings_reject_bad_input(setup, client, auth, data, message):
    auth.login()
    base = {"selfcare_time": "08:00", "session_day_before_time": "18:00",
            "csrf_token": csrf_token(client, "/settings/reminders")}
    response = client.post("/settings/reminders", data={**base, **data})
    assert response.status_code == 422 and escape(message) in response.get_data(as_text=True)
    with database.connection_context():
        assert ReminderPreference.get().selfcare_time == time(8, 0)


@pytest.mark.parametrize("typed", ["07:5", "7.30am", "24:00", "<b>"])
def test_a_time_that_isnt_one_is_named_and_the_saved_time_stays_in_the_field(
        setup, client, auth, typed):
    """An <input type=time> shows text it can't read as empty: the page names what was
    typed in the message and keeps the saved time in the field, linked to the message."""
    auth.login()
    response = client.post("/settings/reminders", data={
        "selfcare_time": typed, "session_day_before_time": "18:00",
        "csrf_token": csrf_token(client, "/settings/reminders")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert escape(f"“{typed}” isn't a time like 07:30.") in page
    [field] = re.findall(r'<input [^>]*id="selfcare_time"[^>]*>', page)
    assert 'type="time" value="08:00"' in field
    assert 'aria-describedby="selfcare_time-error" aria-invalid="true"' in field
    with database.connection_context():
        assert ReminderPreference.get().selfcare_time == time(8, 0)


def test_settings_need_login_and_csrf(setup, client, auth):
    assert client.get("/settings/reminders").location.startswith("/login")
    auth.login()
    assert client.post("/settings/reminders", data={"selfcare_time": "09:00"}).status_code == 400


def test_unsubscribe_link_works_without_logging_in(setup, client):
    tick(setup["at"])
    text = outbox(setup["app"])[0].get_body(("plain",)).get_content()
    link = next(w for w in text.split() if "/reminders/unsubscribe/" in w)
    path = link[link.index("/reminders/"):]
    assert b"Stop reminder emails?" in client.get(path).data
    assert b"Reminder emails are off" in client.post(path).data
    with database.connection_context():
        assert ReminderPreference.get().email is False
    assert client.get(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 404
    assert client.get("/reminders/unsubscribe/garbage").status_code == 404
    # With email off (and no push), nothing more is sent.
    assert tick(setup["at"] + timedelta(days=1)) == []


def test_a_client_without_a_plan_gets_nothing(app):
    with database.connection_context():
        user = make_user(email="noplan@example.org", tz="Asia/Kolkata")
        pref = reminder_settings.preference_for(user)
        pref.email = True
        reminder_settings.reschedule(pref, user, datetime(2026, 11, 21, tzinfo=UTC))
        fire = pref.next_fire_at
        assert Plan.select().count() == 0
    assert tick(fire) == []


def test_a_claim_whose_send_never_finished_is_sent_after_its_lease(setup, monkeypatch):
    """The worker died between claiming and recording (here: interrupted mid-send)."""
    def die(user, reminder):
        raise KeyboardInterrupt  # not an Exception: nothing records a failure

    monkeypatch.setitem(service.SENDERS, "email", die)
    with pytest.raises(KeyboardInterrupt):
        tick(setup["at"])
    monkeypatch.undo()
    with database.connection_context():
        assert [c.status for c in ReminderClaim.select()] == ["claimed"]
    # Within the lease the claim may still be sending elsewhere: nothing is sent.
    assert [o.status for o in tick(setup["at"] + timedelta(minutes=5))] == ["claimed-elsewhere"]
    assert outbox(setup["app"]) == []
    after = tick(setup["at"] + claims.CLAIM_LEASE + timedelta(minutes=1))
    assert [(o.status, o.detail) for o in after] == [("sent", "retry")]
    assert len(outbox(setup["app"])) == 1
    assert tick(setup["at"] + claims.CLAIM_LEASE + timedelta(minutes=30)) == []
    assert len(outbox(setup["app"])) == 1


def test_a_reminder_sent_again_has_the_same_message_id():
    """Mail apps that drop duplicate Message-IDs then show a resent reminder once."""
    from datetime import date

    from tracker.domain.reminder_select import Reminder, ReminderItem
    from tracker.jobs import email as email_channel

    def message_id(slot, day):
        reminder = Reminder(user_key=7, slot=slot, local_date=day, channel="email",
                            items=(ReminderItem("s", "Piriformis stretch"),), session=None,
                            due_at=datetime(2026, 11, 21, 13, tzinfo=UTC))
        return email_channel.compose(
            to_name="Ann", to_email="ann@example.org", sender="care@example.org",
            reminder=reminder, today_url="http://x/today", unsubscribe_url="http://x/u",
        )["Message-ID"]

    first = message_id("selfcare", date(2026, 11, 21))
    assert first == message_id("selfcare", date(2026, 11, 21))
    assert first != message_id("selfcare", date(2026, 11, 22))
    assert first != message_id("second", date(2026, 11, 21))


def test_a_name_with_an_address_in_it_adds_no_recipient(setup):
    """Issue 17, finding 6: the injected address stays inside the display name."""
    with database.connection_context():
        type(setup["user"]).update(name="José <spam@evil.example>,").where(
            type(setup["user"]).id == setup["user"].id).execute()
    tick(setup["at"])
    [message] = outbox(setup["app"])
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("José <spam@evil.example>,", "client@example.org")


def test_a_pause_set_for_a_later_day_leaves_the_reminders_until_then(setup):
    """Issue 17, finding 5: pausing from the day after tomorrow (dated) stops nothing
    before it; the days it covers are quiet; resumed from a later day, they start again
    then, and not before."""
    day, at = setup["day"], setup["at"]
    with database.connection_context():
        plan = Plan.get_by_id(setup["plan"].id)
        plans.pause(plan, day + timedelta(days=1), setup["user"])
        assert Plan.get_by_id(plan.id).status == Plan.PAUSED  # as the page says: set
    assert [o.status for o in tick(at)] == ["sent"]  # the day before the pause: sent
    assert [o.status for o in tick(at + timedelta(days=1))] == []  # paused
    with database.connection_context():
        plans.resume(Plan.get_by_id(plan.id), day + timedelta(days=3), setup["user"])
    assert [o.status for o in tick(at + timedelta(days=2))] == []  # still paused
    assert [o.status for o in tick(at + timedelta(days=3))] == ["sent"]  # resumed
    assert len(outbox(setup["app"])) == 2


def test_a_resume_dated_before_a_pause_starts_cancels_it(setup):
    day, at = setup["day"], setup["at"]
    with database.connection_context():
        plan = Plan.get_by_id(setup["plan"].id)
        plans.pause(plan, day + timedelta(days=2), setup["user"])
        plans.resume(Plan.get_by_id(plan.id), day, setup["user"])
        assert plan.pauses.count() == 0
        assert plans.day_view(plan, day + timedelta(days=2)).items  # the engine agrees
    assert [o.status for o in tick(at + timedelta(days=2))] == ["sent"]
