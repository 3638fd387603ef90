"""Honest numbers: skips shown by reason on /today, /progress, the roster and the client
page; a day of only skips is no streak day; today, still in progress, is not a miss."""
from datetime import timedelta

import pytest

from tests.conftest import make_user
from tracker.domain import schedule
from tracker.store import checkoffs, plans
from tracker.store.db import database
from tracker.store.models import CareLink


@pytest.fixture
def linked(app):
    """A client on the self-guided plan since yesterday, linked to a therapist."""
    with database.connection_context():
        therapist = make_user(email="t@example.org", name="Theo", role="therapist")
        user = make_user()
        CareLink.create(therapist=therapist, client=user)
        today = plans.local_today(user)
        plan = plans.create_from_template(user, "self-guided-relief",
                                          today - timedelta(days=1), created_by=user)
        keys = sorted({o.item.key for o in schedule.occurrences(plans.plan_input(plan),
                                                                today, today)})
        return plan, today, keys


def _skip_all(plan, day, keys, reason="no_time"):
    with database.connection_context():
        for key in keys:
            checkoffs.skip(plan, key, day, reason)


def test_today_with_every_item_skipped_says_so(linked, client, auth):
    plan, today, keys = linked
    _skip_all(plan, today, keys)
    auth.login()
    html = client.get("/today").get_data(as_text=True)
    assert f"<strong>{len(keys)} skipped (no time)</strong>. Skips don't count as missed." in html
    assert "0 of 0" not in html


def test_today_with_some_done_and_some_skipped(linked, client, auth):
    plan, today, keys = linked
    with database.connection_context():
        checkoffs.set_done(plan, keys[0], today, True)
        checkoffs.skip(plan, keys[1], today, "flare_up")
    auth.login()
    html = client.get("/today").get_data(as_text=True)
    assert f"<strong>1 of {len(keys) - 1}</strong> done · 1 skipped (flare-up)" in html


def test_progress_shows_skips_and_no_streak_for_a_day_of_only_skips(linked, client, auth):
    plan, today, keys = linked
    _skip_all(plan, today - timedelta(days=1), keys)
    _skip_all(plan, today, keys)
    auth.login()
    html = client.get("/progress").get_data(as_text=True)
    assert "<dt>Done</dt><dd>All skipped</dd>" in html
    assert f"Skipped: {2 * len(keys)} skipped (no time)." in html
    assert "<dt>Streak</dt><dd>0 days</dd>" in html


def test_the_roster_shows_today_in_progress_and_the_skips(linked, as_user, client):
    plan, today, keys = linked
    _skip_all(plan, today - timedelta(days=1), keys)
    with database.connection_context():
        for key in keys[:2]:
            checkoffs.set_done(plan, key, today, True)
    as_user("t@example.org")
    html = client.get("/clients").get_data(as_text=True)
    assert f'<span class="sub">Today: 2 of {len(keys)} so far</span>' in html
    assert f'<span class="sub">{len(keys)} skipped (no time)</span>' in html
    # today, in progress, is not counted yet
    assert '<span class="figure">All skipped</span>' in html


def test_the_roster_says_all_skipped_rather_than_nothing_due(linked, as_user, client):
    plan, today, keys = linked
    _skip_all(plan, today - timedelta(days=1), keys)
    as_user("t@example.org")
    html = client.get("/clients").get_data(as_text=True)
    assert '<span class="figure">All skipped</span>' in html and "Nothing due" not in html
    assert f'<span class="sub">Today: 0 of {len(keys)} so far</span>' in html


def test_the_client_page_marks_today_in_progress_not_missed(linked, as_user, client):
    plan, today, keys = linked
    _skip_all(plan, today - timedelta(days=1), keys)
    as_user("t@example.org")
    html = client.get(f"/clients/{plan.client_id}").get_data(as_text=True)
    assert 'class="cal cal-today"' in html and f"0 of {len(keys)} so far" in html
    assert 'class="cal cal-skipped"' in html and 'class="cal cal-missed"' not in html
    assert f"Skipped: {len(keys)} skipped (no time)." in html
