"""The client's day on a phone (Pixel 7): check off, undo, double tap, the hold timer."""
import itertools

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import register_with_plan
from tracker.domain import library

pytestmark = pytest.mark.browser
_numbers = itertools.count()


@pytest.fixture
def new_client(page: Page, live_server):
    """A fresh client with the self-guided plan started today, on /today."""
    email = f"today{next(_numbers)}@example.org"
    register_with_plan(page, live_server, email, "Tess Today")
    expect(page.get_by_role("heading", name="Self-guided sciatica relief")).to_be_visible()
    page.goto(f"{live_server}/today")
    return email


def checkoffs(live_server, email, item_key):
    return live_server.rows(
        "SELECT c.status FROM checkoff c JOIN plan p ON p.id = c.plan_id "
        "JOIN user u ON u.id = p.client_id WHERE u.email = ? AND c.item_key = ?",
        email, item_key,
    )


def item_button(page: Page, name: str):
    return page.get_by_role("button", name=name).and_(page.locator(".check-button"))


def test_check_off_and_undo(page: Page, live_server, new_client, tmp_path):
    button = item_button(page, "Seated forward bend")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#day-progress")).to_contain_text("0 of")

    button.click()
    expect(item_button(page, "Seated forward bend")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#day-progress")).to_contain_text("1 of")
    assert checkoffs(live_server, new_client, "forward-bend") == [("done",)]
    page.screenshot(path=tmp_path / "today-checked.png", full_page=True)

    item_button(page, "Seated forward bend").click()
    expect(item_button(page, "Seated forward bend")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#day-progress")).to_contain_text("0 of")
    assert checkoffs(live_server, new_client, "forward-bend") == []
    # No horizontal scroll on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_double_tap_leaves_one_record(page: Page, live_server, new_client):
    item_button(page, "Knee-to-chest stretch").dblclick()
    expect(item_button(page, "Knee-to-chest stretch")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(item_button(page, "Knee-to-chest stretch")).to_have_attribute("aria-pressed", "true")
    assert checkoffs(live_server, new_client, "knee-to-chest") == [("done",)]


def test_hold_timer_counts_down_and_checks_the_item_off(page: Page, live_server, new_client):
    page.clock.install()
    page.reload()
    item = page.locator("#item-piriformis")
    item.get_by_role("button", name="Start timer for Piriformis stretch").click()
    timer = item.locator(".timer")
    expect(timer).to_contain_text("Hold: 1 of 3, left side")
    expect(timer.get_by_role("timer")).to_have_text("15 s")
    page.clock.run_for(16_000)
    expect(timer).to_contain_text("Relax")
    page.clock.run_for(5_000)
    expect(timer).to_contain_text("Hold: 1 of 3, right side")
    # The rest: 5 more holds of 15 s and 4 more rests of 5 s.
    page.clock.run_for(5 * 15_000 + 4 * 5_000 + 2_000)
    expect(item_button(page, "Piriformis stretch")).to_have_attribute("aria-pressed", "true")
    assert checkoffs(live_server, new_client, "piriformis") == [("done",)]


def test_a_plain_form_post_works_without_javascript(browser, live_server, new_client, page):
    cookies = page.context.cookies()
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(cookies)
    nojs = context.new_page()
    nojs.goto(f"{live_server}/today")
    nojs.get_by_role("button", name="Ice after self-massage").click()
    expect(nojs.get_by_role("button", name="Ice after self-massage")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert checkoffs(live_server, new_client, "ice") == [("done",)]
    context.close()


def test_today_has_no_axe_violations(page: Page, live_server, new_client):
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_progress_shows_the_pain_chart_after_a_check_in(page: Page, live_server, new_client,
                                                        tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    page.get_by_role("link", name="How are you today? Check in").click()
    page.get_by_role("group", name="Leg pain").get_by_label("5", exact=True).click()
    page.get_by_role("group", name="Back pain").get_by_label("2", exact=True).click()
    page.get_by_role("button", name="Save check-in").click()
    safety = page.get_by_role("heading", name="Something's wrong?")
    expect(safety).to_be_visible()  # the first check-in asks the warning-sign questions
    for flag in library.RED_FLAGS:
        page.get_by_role("group", name=flag["question"]).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Send answers").click()
    expect(page.get_by_text("Today: leg 5, back 2")).to_be_visible()

    page.get_by_role("link", name="Progress").click()
    chart = page.get_by_role("img", name="Leg and back pain")
    expect(chart).to_be_visible()
    assert chart.locator(".pain-dots circle").count() == 1  # one dot per check-in
    page.get_by_text("Pain check-ins as a table").click()
    expect(page.get_by_role("cell", name="5", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.screenshot(path=tmp_path / "progress.png", full_page=True)
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_plan_page_has_no_axe_violations(page: Page, live_server, new_client, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    page.get_by_role("link", name="Plan", exact=True).click()
    expect(page.get_by_role("heading", name="Self-guided sciatica relief")).to_be_visible()
    page.screenshot(path=tmp_path / "plan.png", full_page=True)
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
