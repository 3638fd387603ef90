"""/settings/alerts: a therapist's channels for each kind of news, the digest's time and the
days without activity; warning signs can't be turned off. Plain form posts (no JavaScript)."""
from datetime import time

import pytest

from tests.conftest import csrf_token, make_user
from tracker.store import alert_settings
from tracker.store.db import database
from tracker.store.models import AlertPreference, User

URL = "/settings/alerts"
GOOD = {"warning": "push", "area": "both", "flare_up": "email", "step_down": "none",
        "inactive": "push", "inactive_days": "5", "digest_time": "18:15"}


@pytest.fixture
def people(app):
    with database.connection_context():
        return {"t": make_user("t@example.org", "Terry Therapist", "therapist",
                               tz="America/New_York"),
                "c": make_user("c@example.org", "Cal Client")}


def text(response) -> str:
    return response.get_data(as_text=True)


def post(client, **changes):
    data = {**GOOD, **changes, "csrf_token": csrf_token(client, URL)}
    return client.post(URL, data={k: v for k, v in data.items() if v is not None})


def saved(user) -> AlertPreference | None:
    with database.connection_context():
        return alert_settings.preference_row(User.get_by_id(user.id))


def test_the_page_shows_the_defaults_and_says_why_warning_signs_stay_on(people, as_user):
    response = as_user("t@example.org").get(URL)
    html = text(response)
    assert response.status_code == 200
    assert "<h1>Alerts</h1>" in html
    assert ("A warning sign needs urgent care, so you are always told at once and it "
            "can&#39;t be turned off. Choose how.") in html
    # warning signs: three choices, no "Don't tell me"; "both" picked by default
    warning = html[html.index('id="warning"'):html.index("</fieldset>", html.index('id="warning"'))]
    assert warning.count('type="radio"') == 3 and "Don&#39;t tell me" not in warning
    assert 'checked id="warning-2" name="warning" required type="radio" value="both"' in warning
    area = html[html.index('id="area"'):html.index("</fieldset>", html.index('id="area"'))]
    assert area.count('type="radio"') == 4 and "Don&#39;t tell me" in area
    assert 'checked id="area-0" name="area" required type="radio" value="email"' in area
    assert 'value="07:30"' in html and 'value="3"' in html
    assert "In your time zone, America/New York." in html
    assert saved(people["t"]) is None  # nothing stored until saved


def test_saving_stores_the_choices_and_shows_them(people, as_user):
    client = as_user("t@example.org")
    response = post(client)
    assert response.status_code == 302 and response.location == URL
    row = saved(people["t"])
    assert (row.warning, row.area, row.flare_up, row.step_down, row.inactive,
            row.inactive_days, row.digest_time) == (
        "push", "both", "email", "none", "push", 5, time(18, 15))
    html = text(client.get(URL))
    assert "Alert settings saved." in html
    assert 'checked id="warning-1" name="warning" required type="radio" value="push"' in html
    assert 'value="18:15"' in html and 'value="5"' in html
    # saving again updates the one row
    assert post(client, inactive_days="7").status_code == 302
    with database.connection_context():
        assert AlertPreference.select().count() == 1
    assert saved(people["t"]).inactive_days == 7


@pytest.mark.parametrize(("changes", "message"), [
    ({"warning": "none"}, "Pick one of: Email, Push notification, Email and push."),
    ({"warning": None}, "Pick how you want to be told."),
    ({"area": "sms"}, "Pick one of: Email, Push notification, Email and push, Don&#39;t tell "
                      "me."),
    ({"inactive_days": "0"}, "Pick 1 to 30 days."),
    ({"inactive_days": "31"}, "Pick 1 to 30 days."),
    ({"inactive_days": "three"}, "Not a valid integer value."),
    ({"inactive_days": ""}, "Enter a number of days."),
    ({"digest_time": "7:5"}, "“7:5” isn&#39;t a time like 07:30."),
    ({"digest_time": ""}, "Pick a time."),
])
def test_bad_input_is_named_and_nothing_is_saved(people, as_user, changes, message):
    response = post(as_user("t@example.org"), **changes)
    assert response.status_code == 422
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response) or 'class="field choice has-error"' in text(
        response)
    assert saved(people["t"]) is None


def test_a_client_is_refused_and_has_no_link(people, as_user):
    client = as_user("c@example.org")
    assert client.get(URL).status_code == 403
    assert post(client).status_code == 403
    assert URL not in text(client.get("/settings"))
    assert saved(people["c"]) is None


def test_a_therapist_finds_it_from_settings(people, as_user):
    html = text(as_user("t@example.org").get("/settings"))
    assert (f'<a href="{URL}">Warning signs, the daily digest and how you are told</a>'
            in html)


def test_anonymous_and_missing_csrf_are_refused(people, client, as_user):
    response = client.get(URL)
    assert response.status_code == 302 and response.location.startswith("/login")
    assert client.get(URL, headers={"HX-Request": "true"}).status_code == 204
    logged_in = as_user("t@example.org")
    assert logged_in.post(URL, data=GOOD).status_code == 400
    assert saved(people["t"]) is None
