"""Speaking to the right person, on the right day: one plan read by its client (spoken to),
the therapist who made its changes ("You moved Ann ...") and another of Ann's therapists
("Theo moved Ann ..."), around midnight UTC, when London has reached Tuesday and Los
Angeles is still on Monday: every page shows Ann's day."""
import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import Auth, make_user
from tracker.domain import library
from tracker.store import plans, reports
from tracker.store.db import database
from tracker.store.models import CareLink, CheckIn, PlanEvent

# 00:30 UTC on Tuesday 10 March 2026: 00:30 on Tuesday in London (GMT), 17:30 on Monday
# 9 March in Los Angeles (PDT since 8 March).
NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
ANNS_TODAY = date(2026, 3, 9)
START = ANNS_TODAY - timedelta(days=10)
STEP = "Deep tissue massage, every 2 weeks on Monday"


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(plans, "utcnow", lambda: NOW)
    with database.connection_context():
        theo = make_user(email="theo@example.org", name="Theo", role="therapist",
                         tz="Europe/London")
        sam = make_user(email="sam@example.org", name="Sam", role="therapist",
                        tz="America/Los_Angeles")
        ann = make_user(email="ann@example.org", name="Ann", tz="America/Los_Angeles")
        for therapist in (theo, sam):
            CareLink.create(therapist=therapist, client=ann)
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(ann, spec, START, therapist=theo, title="Acute plan")
        plans.step_to(plan, 1, ANNS_TODAY, theo, "Doing well")
        PlanEvent.update(at=NOW).execute()  # both changes made at NOW
        for days_in, leg in ((0, 7), (1, 7), (2, 7), (8, 4), (9, 4), (10, 4)):
            CheckIn.create(client=ann, day=START + timedelta(days=days_in), back_pain=2,
                           leg_pain=leg)
    return {"ann": ann, "plan": plan}


def _page(app, email, path):
    browser = app.test_client()
    Auth(browser).login(email)
    response = browser.get(path)
    assert response.status_code == 200
    return html_lib.unescape(response.get_data(as_text=True))


def _log(page):
    """The change log's lines: (day shown, line)."""
    return re.findall(r'<li><span class="muted">([^<]+)</span> ([^<]+)</li>', page)


def test_the_therapist_who_made_the_changes_reads_about_ann_on_anns_day(app, world):
    page = _page(app, "theo@example.org", f"/clients/{world['ann'].id}")
    assert "Ann's leg pain is 3 points lower than in their first week." in page
    assert _log(page) == [
        ("Mon 9 Mar", f"You moved Ann to “Improving”: {STEP}."),
        ("Mon 9 Mar", "You gave Ann the plan “Acute plan”."),
    ]
    # Ann's day, labelled: London's Tuesday has not come to Los Angeles yet.
    assert page.count('<p class="zone-note">Ann\'s time, America/Los_Angeles</p>') == 5
    assert re.search(r'class="cal cal-today" title="Mon 9 Mar: 0 of \d+ so far"', page)
    assert 'class="cal cal-future" title="Tue 10 Mar: not yet"' in page
    # "Move to this phase" starts on Ann's today.
    assert re.search(r'<input[^>]*id="step-day"[^>]*value="2026-03-09"', page)
    assert "With your therapist" not in page and "your first week" not in page
    assert "Moves on after 6 weeks." in page


def test_another_therapist_reads_the_maker_by_name(app, world):
    page = _page(app, "sam@example.org", f"/clients/{world['ann'].id}")
    assert _log(page) == [
        ("Mon 9 Mar", f"Theo moved Ann to “Improving”: {STEP}."),
        ("Mon 9 Mar", "Theo gave Ann the plan “Acute plan”."),
    ]
    assert "zone-note" not in page  # Sam and Ann share a zone: nothing to label


def test_ann_is_spoken_to_on_her_own_pages_on_the_same_day(app, world):
    plan_page = _page(app, "ann@example.org", "/plan")
    assert _log(plan_page) == [
        ("Mon 9 Mar", f"Your therapist Theo moved you to “Improving”: {STEP}."),
        ("Mon 9 Mar", "Your therapist Theo gave you the plan “Acute plan”."),
    ]
    assert "<span class=\"label\">With your therapist:</span>" in plan_page
    assert "zone-note" not in plan_page
    progress = _page(app, "ann@example.org", "/progress")
    assert "Your leg pain is 3 points lower than in your first week." in progress
    days = re.findall(r'<li><h3>([^<]+)</h3>', progress)
    assert days[:2] == ["Today", "Tue 10 Mar"]  # Ann's Monday is today
    assert "zone-note" not in progress and "Ann's" not in progress


def test_the_pain_card_says_the_same_figures_in_each_voice(app, world):
    """Both pages compute one report; only the voice differs."""
    theirs = _page(app, "theo@example.org", f"/clients/{world['ann'].id}")
    mine = _page(app, "ann@example.org", "/progress")
    pain = re.compile(r'<h2 id="pain-heading">Pain</h2>.*?<p>([^<]+)</p>', re.S)
    assert pain.search(theirs)[1] == "Ann's leg pain is 3 points lower than in their first week."
    assert pain.search(mine)[1] == "Your leg pain is 3 points lower than in your first week."


def test_the_roster_counts_anns_days_too(app, world):
    """Audit: the roster's "last check-in ... ago" and today's tally are on Ann's day (her
    Monday check-in is "today", not London's "yesterday")."""
    with database.connection_context():
        [row] = reports.roster_rows([world["ann"]], NOW)
    assert (row.last_checkin, row.last_checkin_ago) == (ANNS_TODAY, "today")
    assert row.today.endswith("so far") and row.phase == "Improving"
