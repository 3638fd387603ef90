"""/today kept whole (tracker/web/kept.py): through any sequence of what a client and their
therapist do, the page served equals the page rendered afresh; every form carries the
visitor's own token; a page with an open report or a flashed message is never kept; a
context that holds a database row is refused."""
import re
from datetime import date, time, timedelta

import pytest
from flask import g, session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.conftest import Auth, csrf_token, make_user
from tests.web.test_today_items import TOKEN_VALUE, without_tokens
from tests.web.test_today_views import spec
from tracker.domain import safety
from tracker.domain.day import SKIP_REASONS
from tracker.store import checkins, messages, plans, safety_reports
from tracker.store.db import database
from tracker.store.models import CareLink, User
from tracker.web import kept
from tracker.web.today import items


def forget_everything() -> None:
    """Every cache a page is built from: what a fresh worker would have."""
    kept.pages.clear()
    items._cached.cache_clear()
    plans._forget()


class Story:
    """A client with a therapist-made plan (a weekly session and three stretches), logged
    in on ``client``; the therapist acts through the store."""

    def __init__(self, client, n: int = 0):
        self.client = client
        with database.connection_context():
            self.therapist = make_user(f"t{n}@example.org", "Theo Therapist", "therapist")
            self.user = make_user(f"c{n}@example.org")
            self.link = CareLink.create(therapist=self.therapist, client=self.user)
            self.today = plans.local_today(self.user)
            self.plan = plans.create_plan(self.user, spec(3, True), self.today - timedelta(3),
                                          title="Test plan", created_by=self.therapist)
        if getattr(client, "story_told", False):  # the last story's client logs out
            client.post("/logout", data={"csrf_token": csrf_token(client, "/today")})
        Auth(client).login(f"c{n}@example.org")
        client.story_told = True
        self.day = self.today

    def page(self) -> str:
        url = "/today" if self.day == self.today else f"/today?day={self.day}"
        response = self.client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def _post(self, path: str, **data) -> None:
        token = TOKEN_VALUE.search(self.page())[1]
        answer = self.client.post(path, data={**data, "csrf_token": token})
        assert answer.status_code in (302, 404), answer.status_code  # 404: not due that day

    def check(self, n: int, done: bool) -> None:
        self._post(f"/today/{self.day}/s{n}", done="1" if done else "0")

    def skip(self, n: int, reason: str) -> None:
        self._post(f"/today/{self.day}/s{n}/skip", reason=reason)

    def check_in(self, leg: int, sore: bool) -> None:
        with database.connection_context():
            checkins.save_checkin(self.user, self.today, back_pain=leg // 2, leg_pain=leg,
                                  soreness=sore)

    def pause(self) -> None:
        with database.connection_context():
            plans.pause(plans.Plan.get_by_id(self.plan.id), self.today, self.therapist,
                        "A short break")

    def resume(self) -> None:
        with database.connection_context():
            plans.resume(plans.Plan.get_by_id(self.plan.id), self.today, self.therapist)

    def revise(self, stretches: int) -> None:
        with database.connection_context():
            plans.revise(plans.Plan.get_by_id(self.plan.id), spec(stretches, True),
                         self.today, self.therapist)

    def message(self) -> None:
        with database.connection_context():
            messages.send(self.link, self.therapist, "See you on Tuesday.")

    def read_messages(self) -> None:
        assert self.client.get("/messages").status_code in (200, 302)
        with database.connection_context():
            messages.mark_read(self.link, User.get_by_id(self.user.id))

    def report(self) -> None:
        with database.connection_context():
            checkins.record_checkin(self.user, self.today, ["glutes_hips"],
                                    today=self.today, back_pain=3, leg_pain=3,
                                    contraindications=["severe_pain"])

    def resolve(self) -> None:
        with database.connection_context():
            safety_reports.resolve(self.user, self.therapist, self.today)

    def open_day(self, back: int) -> None:
        self.day = self.today - timedelta(days=back)

    def flash(self) -> None:
        assert self.client.get("/today?day=1999-01-01").status_code == 302


# Each step equally likely: a rare step would seldom follow a kept page.
actions = st.one_of(
    st.tuples(st.just("check"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("skip"), st.integers(0, 2), st.sampled_from([k for k, _ in SKIP_REASONS])),
    st.tuples(st.just("check_in"), st.integers(0, 10), st.booleans()),
    st.tuples(st.just("revise"), st.integers(1, 4)),
    st.tuples(st.just("open_day"), st.integers(0, 7)),
    *(st.tuples(st.just(name)) for name in ("pause", "resume", "message", "read_messages",
                                            "report", "resolve", "flash")),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(actions, min_size=1, max_size=8))
def test_the_kept_page_is_the_page_rendered_afresh_whatever_happens(client, steps):
    """After each step the page as served (kept or not) equals a fresh render: a key that
    missed something the page shows (a check-off, a check-in, a pause, an unread
    message...) would serve the page as it was."""
    client.stories = getattr(client, "stories", 0) + 1  # a new client and therapist each time
    story = Story(client, client.stories)
    for name, *args in steps:
        getattr(story, name)(*args)
        served = story.page()
        if name == "flash":  # shown once, and the page is never kept while it waits
            assert "You can open today and the 7 days before it." in served
            served = story.page()
        forget_everything()
        fresh = story.page()
        assert without_tokens(served) == without_tokens(fresh), (name, args)
        assert kept.TOKEN not in served and items._TOKEN not in served


def test_a_kept_page_is_served_again_with_each_visitors_token(client, app):
    story = Story(client)
    forget_everything()
    first = story.page()
    assert len(kept.pages) == 1
    second = story.page()
    assert len(kept.pages) == 1
    assert without_tokens(first) == without_tokens(second)
    other = app.test_client()
    Auth(other).login("c0@example.org")  # the same client on another device
    third = other.get("/today").get_data(as_text=True)
    assert len(kept.pages) == 1
    mine, theirs = set(TOKEN_VALUE.findall(second)), set(TOKEN_VALUE.findall(third))
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs
    header = re.search(r'"X-CSRFToken": "([^"]+)"', third)[1]
    assert theirs == {header}
    action = re.search(r'action="(/today/[^"]+/s0)"', third)[1]
    assert other.post(action, data={"done": "1", "csrf_token": header}).status_code == 302


def test_a_checked_off_item_makes_another_page(client):
    story = Story(client)
    forget_everything()
    before = story.page()
    story.check(0, True)
    after = story.page()
    assert len(kept.pages) == 2
    assert "0 of 3" in before and "1 of 3" in after


def test_a_page_with_an_open_report_or_a_flashed_message_is_not_kept(client):
    story = Story(client)
    forget_everything()
    story.report()
    assert "Massage and self-care on that area are paused" in story.page()
    assert len(kept.pages) == 0
    story.resolve()
    story.flash()
    page = story.page()
    assert "You can open today and the 7 days before it." in page
    assert len(kept.pages) == 0
    story.page()
    assert len(kept.pages) == 1


class Row:
    """A stand-in for a database row: not a value."""


@pytest.mark.parametrize("value", [Row(), [Row()], {"a": Row()}, (1, {"b": [Row()]})])
def test_a_context_holding_anything_but_values_is_refused(value):
    with pytest.raises(TypeError, match="only values"):
        kept.value_key(value)


def test_a_database_row_is_not_a_value(app):
    with database.connection_context():
        user = make_user()
    with pytest.raises(TypeError, match="only values, not User"):
        kept.value_key({"user": user})


def test_values_make_equal_keys_and_different_values_different_keys():
    a = {"day": date(2026, 11, 29), "at": time(8), "ids": {"x": 1}, "due": [("q", "ODI")],
         "safety": safety.Assessment()}
    b = {"day": date(2026, 11, 29), "at": time(8), "ids": {"x": 1}, "due": [("q", "ODI")],
         "safety": safety.Assessment()}
    assert kept.value_key(a) == kept.value_key(b)
    assert hash(kept.value_key(a)) == hash(kept.value_key(b))
    for change in ({"day": date(2026, 11, 28)}, {"ids": {"x": 2}}, {"due": []},
                   {"due": (("q", "ODI"),)}, {"safety": safety.Assessment(("cauda",))}):
        assert kept.value_key({**a, **change}) != kept.value_key(a), change


class _AnHourAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - 3600


def token_signed_an_hour_ago(client, app) -> str:
    """A good token for ``client``'s session, signed an hour ago: one signed now would
    differ from it."""
    assert client.get("/today").status_code == 200  # the session's secret made
    with client.session_transaction() as session:
        secret = session["csrf_token"]
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token",
                                  signer=_AnHourAgo).dumps(secret)


def check_off(client, token: str):
    return client.post(f"/today/{date.today()}/s0", data={"done": "1"},
                       headers={"X-CSRFToken": token, "HX-Request": "true"})


def test_a_posts_answer_hands_back_the_token_the_check_accepted(client, app):
    """Nothing new is signed for the answer to a post: the token it carried is good for as
    long as one signed now (no time limit) and for the same session."""
    story = Story(client)
    old = token_signed_an_hour_ago(client, app)
    answer = check_off(client, old)
    assert answer.status_code == 200
    assert set(TOKEN_VALUE.findall(answer.get_data(as_text=True))) == {old}
    assert check_off(client, old).status_code == 200  # and it is still accepted
    page = story.page()  # a page asked for with GET: a newly signed one
    assert old not in page and len(set(TOKEN_VALUE.findall(page))) == 1


def test_with_a_time_limit_the_answer_carries_a_newly_signed_token(client, app):
    Story(client)
    app.config["WTF_CSRF_TIME_LIMIT"] = 24 * 3600
    old = token_signed_an_hour_ago(client, app)
    answer = check_off(client, old)
    assert answer.status_code == 200
    tokens = set(TOKEN_VALUE.findall(answer.get_data(as_text=True)))
    assert len(tokens) == 1 and old not in tokens


def test_a_bad_token_is_refused_and_never_handed_back(client, app):
    Story(client)
    answer = check_off(client, token_signed_an_hour_ago(client, app) + "x")
    assert answer.status_code == 400
    assert "x\"" not in answer.get_data(as_text=True)


def test_the_accepted_token_is_not_handed_back_once_the_session_secret_changed(app):
    with app.test_request_context("/"):
        session["csrf_token"] = "the secret now"
        g._checked_csrf = ("the secret it was checked against", "accepted-token")
        assert kept.visitor_token() != "accepted-token"
        g._checked_csrf = ("the secret now", "accepted-token")
        assert kept.visitor_token() == "accepted-token"
