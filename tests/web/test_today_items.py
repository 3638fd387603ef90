"""A day's items rendered once and kept (tracker/web/today/items.py): the kept markup is the
markup a fresh render gives, every form carries the visitor's own token, and a refused
booking (typed values) is never kept."""
import re
from datetime import date, time

from flask_wtf.csrf import generate_csrf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Auth, make_user
from tests.web.test_today_views import spec
from tracker.domain import day as day_model
from tracker.store import plans
from tracker.store.db import database
from tracker.web.kept import pages
from tracker.web.today import items

TOKEN_VALUE = re.compile(r'name="csrf_token" type="hidden" value="([^"]*)"')


def client_with_plan(client, email: str) -> None:
    """A client with a session and three stretches due today, logged in on ``client``."""
    with database.connection_context():
        user = make_user(email=email)
        plans.create_plan(user, spec(3, True), plans.local_today(user), title="Test plan",
                          created_by=user)
    Auth(client).login(email)


HEADER_TOKEN = re.compile(r'"X-CSRFToken": "[^"]*"')


def without_tokens(html: str) -> str:
    """The page with its CSRF tokens blanked: a token is signed with the second it was made,
    so two requests a second apart carry different ones."""
    html = HEADER_TOKEN.sub('"X-CSRFToken": ""', html)
    return TOKEN_VALUE.sub('name="csrf_token" type="hidden" value=""', html)


def test_the_page_with_kept_items_equals_the_page_rendered_afresh(client):
    client_with_plan(client, "client@example.org")
    items._cached.cache_clear()
    pages.clear()  # the whole page is kept too (tracker/web/kept.py): not this test's subject
    fresh = client.get("/today").get_data(as_text=True)
    pages.clear()
    kept = client.get("/today").get_data(as_text=True)
    assert items._cached.cache_info().hits == 4  # the session and three stretches, kept
    assert without_tokens(kept) == without_tokens(fresh)
    assert items._TOKEN not in kept
    tokens = set(TOKEN_VALUE.findall(kept))
    assert len(tokens) == 1 and "" not in tokens  # every form: this visitor's token


def test_a_kept_item_posts_with_the_token_of_whoever_reads_it(client, app):
    """Two clients with the same item on the same day share its markup, not their tokens:
    each check-off posts with its own token and is accepted."""
    client_with_plan(client, "first@example.org")
    first = TOKEN_VALUE.findall(client.get("/today").get_data(as_text=True))
    other = app.test_client()
    client_with_plan(other, "second@example.org")
    page = other.get("/today").get_data(as_text=True)
    second = TOKEN_VALUE.findall(page)
    assert set(first) != set(second)
    action = re.search(r'action="(/today/[^"]+/s0)"', page)[1]
    answer = other.post(action, data={"done": "1", "csrf_token": second[0]})
    assert answer.status_code == 302


items_strategy = st.builds(
    day_model.TodayItem,
    key=st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True),
    name=st.text(min_size=1, max_size=30),
    technique=st.sampled_from(["piriformis-stretch", "foam-roller", "deep-tissue-massage",
                               "tennis-ball-trigger-point", "custom"]),
    group=st.sampled_from(["session", "stretch", "self_massage", "heat_ice"]),
    dose=st.sampled_from(["", "3 min", "30 s hold × 3 each side"]),
    time=st.one_of(st.none(), st.times().map(lambda t: time(t.hour, t.minute))),
    is_session=st.booleans(),
    state=st.sampled_from([day_model.DUE, day_model.DONE, day_model.SKIPPED]),
    skip_reason=st.sampled_from([None] + [k for k, _ in day_model.SKIP_REASONS]),
    hold_seconds=st.one_of(st.none(), st.integers(1, 120)),
    repetitions=st.integers(1, 10),
    sides=st.integers(1, 2),
    booked_from=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2027, 1, 1))),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=items_strategy, day=st.dates(date(2026, 1, 1), date(2027, 1, 1)),
       technique_id=st.one_of(st.none(), st.integers(1, 500)))
def test_kept_markup_is_a_fresh_render_for_any_item(app, item, day, technique_id):
    ids = {} if technique_id is None else {item.technique: technique_id}
    with app.test_request_context("/today"):
        token = generate_csrf()
        once = items.today_item(item, day, ids)
        again = items.today_item(item, day, ids)  # from the cache
        fresh = items._render(item, day, technique_id, None).replace(items._TOKEN, token)
    assert once == again == fresh
    assert items._TOKEN not in once
    assert f'id="item-{item.key}"' in once


def test_a_refused_booking_shows_what_was_typed_and_is_not_kept(app):
    item = day_model.TodayItem(
        key="massage", name="Deep tissue massage", technique="deep-tissue-massage",
        group="session", dose="60 min", time=time(10), is_session=True, state=day_model.DUE,
        skip_reason=None, hold_seconds=None, repetitions=1, sides=1, booked_from=None)
    booking = {"key": "massage", "day": "2026-13-01", "at": "", "error": "Not a date."}
    with app.test_request_context("/today"):
        items._cached.cache_clear()
        refused = items.today_item(item, date(2026, 11, 29), {}, booking)
        assert items._cached.cache_info().currsize == 0
        plain = items.today_item(item, date(2026, 11, 29), {}, {**booking, "key": "other"})
        assert items._cached.cache_info().currsize == 1
    assert 'value="2026-13-01"' in refused and "Not a date." in refused
    assert '<details class="action-details book-details" open>' in refused
    assert "Not a date." not in plain


def test_a_check_offs_answer_is_the_pages_item_and_progress(client):
    """The htmx answer (items.item_swap: kept pieces) is what the page shows after the same
    change: the item's markup and the progress, here carried out of band."""
    client_with_plan(client, "client@example.org")
    page = client.get("/today").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]
    action = re.search(r'action="(/today/[^"]+/s1)"', page)[1]
    answer = client.post(action, data={"done": "1"},
                         headers={"X-CSRFToken": token, "HX-Request": "true"})
    swap = answer.get_data(as_text=True)
    after = client.get("/today").get_data(as_text=True)
    item = re.search(r'<li id="item-s1".*?</li>\s*(?=<li|</ul>)', after, re.S)[0].strip()
    assert without_tokens(swap).lstrip().startswith(without_tokens(item))
    progress = re.search(r'<div id="day-progress".*?</div>', after, re.S)[0]
    oob = re.search(r'<div id="day-progress".*?</div>', swap, re.S)[0]
    assert oob == progress.replace('aria-live="polite">', 'aria-live="polite" '
                                   'hx-swap-oob="innerHTML">')
    assert "1 of 4" in oob
