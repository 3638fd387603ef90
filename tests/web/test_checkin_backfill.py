"""A missed day's check-in filled in afterwards: the last 7 days, never a future day; a day
checked in already is edited; what it reports is acted on as of today."""
import email
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import csrf_token, make_user
from tracker.store import alert_settings, checkins, plans
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, PlanPause, SafetyCheck, utcnow


@pytest.fixture
def client_user(app):
    with database.connection_context():
        user = make_user()
        today = plans.local_today(user)
        plans.create_from_template(user, "self-guided-relief", today - timedelta(days=10),
                                   created_by=user)
        # An earlier check-in, so the safety questions are not due for the first one.
        checkins.save_checkin(user, today - timedelta(days=9), back_pain=3, leg_pain=4)
        return user


@pytest.fixture
def today(client_user):
    return plans.local_today(client_user)


def check_in(client, day, **overrides):
    data = {"back_pain": "3", "leg_pain": "6", "anything_new": "no", "day": day.isoformat(),
            "csrf_token": csrf_token(client, "/checkin"), **overrides}
    return client.post("/checkin", data=data)


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_the_day_picker_offers_today_and_the_7_days_before(client_user, client, auth, today):
    with database.connection_context():
        checkins.save_checkin(client_user, today - timedelta(days=2), back_pain=1, leg_pain=2)
    auth.login()
    html = text(client.get("/checkin"))
    assert "<summary>Fill in a missed day</summary>" in html
    assert '<a href="/checkin" class="button primary" aria-current="page">Today</a>' in html
    assert '<a href="/checkin?day=' + (today - timedelta(days=1)).isoformat() in html
    assert ">Yesterday</a>" in html
    for n in range(2, 8):
        assert f'href="/checkin?day={(today - timedelta(days=n)).isoformat()}"' in html
    assert f'href="/checkin?day={(today - timedelta(days=8)).isoformat()}"' not in html
    assert html.count("(checked in)") == 1
    assert 'name="day"' not in html  # today's check-in needs no day


def test_a_past_day_is_shown_prefilled_with_its_own_answers(client_user, client, auth, today):
    day = today - timedelta(days=3)
    with database.connection_context():
        checkins.save_checkin(client_user, day, back_pain=1, leg_pain=7)
    auth.login()
    response = client.get(f"/checkin?day={day.isoformat()}")
    html = text(response)
    assert response.status_code == 200
    assert f"How were you on {day:%A} {day.day} {day:%B %Y}?" in html
    assert f'<input type="hidden" name="day" value="{day.isoformat()}">' in html
    assert "You checked in for that day already" in html
    assert re.search(r'id="leg_pain-7"[^>]*value="7" checked', html)
    assert re.search(r'id="back_pain-1"[^>]*value="1" checked', html)


@pytest.mark.parametrize("offset", [-1, 8, 400])
def test_a_day_outside_the_last_7_or_in_the_future_is_not_offered(client, auth, client_user,
                                                                   today, offset):
    auth.login()
    day = today - timedelta(days=offset)
    assert client.get(f"/checkin?day={day.isoformat()}").status_code == 404


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "1"])
def test_a_day_that_is_not_a_date_is_404(client, auth, client_user, value):
    auth.login()
    assert client.get(f"/checkin?day={value}").status_code == 404


def test_anonymous_and_therapists(app, client, auth):
    assert client.get("/checkin?day=2026-01-01").location.startswith("/login")
    with database.connection_context():
        make_user(email="t@example.org", role="therapist")
    auth.login("t@example.org")
    assert client.get("/checkin?day=2026-01-01").status_code == 403


def test_a_missed_day_is_filled_in_with_its_day_and_when_it_was_entered(
        client_user, client, auth, today):
    auth.login()
    day = today - timedelta(days=2)
    before = datetime.now(UTC)
    response = check_in(client, day)
    assert response.status_code == 302 and response.location == "/today"
    assert f"Check-in for {day:%A} {day.day} {day:%B %Y} saved." in text(client.get("/today"))
    with database.connection_context():
        row = CheckIn.get(CheckIn.day == day)
        assert row.leg_pain == 6 and row.created_at >= before
        assert not CheckIn.select().where(CheckIn.day == today).exists()


def test_a_day_checked_in_already_is_edited_not_duplicated(client_user, client, auth, today):
    auth.login()
    day = today - timedelta(days=1)
    check_in(client, day)
    assert check_in(client, day, leg_pain="2").status_code == 302
    with database.connection_context():
        rows = list(CheckIn.select().where(CheckIn.day == day))
        assert [r.leg_pain for r in rows] == [2]


@pytest.mark.parametrize("offset", [-1, 8])
def test_posting_for_a_future_or_too_early_day_saves_nothing(client_user, client, auth, today,
                                                               offset):
    auth.login()
    response = check_in(client, today - timedelta(days=offset))
    assert response.status_code == 422
    assert "A check-in can be for today or the 7 days before." in text(response)
    with database.connection_context():
        assert CheckIn.select().count() == 1  # the fixture's


def test_a_treated_area_problem_told_for_a_past_day_is_acted_on_today(
        app, client_user, client, auth, today):
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Tess Therapist", role="therapist")
        CareLink.create(therapist=therapist, client=client_user)
    auth.login()
    day = today - timedelta(days=4)
    response = check_in(client, day, contraindications=["swelling"], areas=["lower_back"])
    assert response.status_code == 302 and response.location == "/checkin/paused"
    with database.connection_context():
        report = SafetyCheck.get()
        assert report.day == today and report.problems == ["swelling"]
        pause = PlanPause.get(PlanPause.end.is_null())
        assert pause.start == today
        assert CheckIn.get(CheckIn.day == day).contraindications == ["swelling"]
    # The therapist is told in the next daily digest (not at once), as reported today.
    subjects = [email.message_from_bytes(p.read_bytes())["Subject"]
                for p in (Path(app.instance_path) / "outbox").glob("*.eml")]
    assert subjects == []
    with database.connection_context():
        [facts] = alert_settings.digest_facts(therapist, utcnow())
    assert facts.area_since == today
