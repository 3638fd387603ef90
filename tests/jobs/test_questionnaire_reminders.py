"""The daily reminder mentions a questionnaire due that day (issue 19), by email and push."""
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.jobs import test_reminders
from tests.jobs.test_reminders import NY, outbox, tick
from tracker.domain import push_payload
from tracker.jobs import email as email_channel
from tracker.store import questionnaires
from tracker.store.db import database


@pytest.fixture
def setup(app):
    """test_reminders' client (New York, email at 08:00, a plan from today)."""
    return test_reminders.setup.__wrapped__(app)


@pytest.fixture(autouse=True)
def clean_outbox(app):
    test_reminders.clean_outbox.__wrapped__(app)


def _week_on(setup):
    """The plan asks the GROC every week: due on day 7, the reminder at 08:00 that day."""
    with database.connection_context():
        questionnaires.assign(setup["plan"], "groc", at_start=False, every_weeks=1)
    day = setup["plan"].start + timedelta(days=7)
    return day, datetime.combine(day, time(8, 0), NY).astimezone(UTC)


def test_the_email_on_a_day_a_questionnaire_is_due_mentions_it(setup):  # noqa: F811 (the fixture)
    day, at = _week_on(setup)
    outcomes = tick(at)
    assert [(o.slot, o.status, o.local_date) for o in outcomes] == [("selfcare-1", "sent", day)]
    [message] = outbox(setup["app"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    line = "A short questionnaire is due today: the Global rating of change."
    assert f"- {line}\n" in text and f"<li>{line}</li>" in html


def test_an_answered_questionnaire_is_not_mentioned(setup):  # noqa: F811 (the fixture)
    day, at = _week_on(setup)
    with database.connection_context():
        questionnaires.save_answers(setup["user"], "groc", {"change": 1}, today=day,
                                    complete=True)
    tick(at)
    [message] = outbox(setup["app"])
    assert "questionnaire" not in message.get_body(("plain",)).get_content()


def test_the_email_on_a_day_none_is_due_does_not_mention_one(setup):  # noqa: F811 (the fixture)
    tick(setup["at"])  # day 1 of the plan: nothing due
    [message] = outbox(setup["app"])
    assert "questionnaire" not in message.get_body(("plain",)).get_content()


def test_the_wording_of_one_and_of_several():
    assert email_channel.questionnaire_line(["Global rating of change"]) == (
        "A short questionnaire is due today: the Global rating of change.")
    assert email_channel.questionnaire_line(["A", "B", "C"]) == (
        "Short questionnaires are due today: the A, the B and the C.")


def test_the_push_payload_wording():
    assert push_payload.build_payload(["Stretch"], questionnaire_due=True)["body"] == (
        "Stretch. A short questionnaire is due today.")
    assert push_payload.build_payload((), questionnaire_due=True)["body"] == (
        "A short questionnaire is due today.")
