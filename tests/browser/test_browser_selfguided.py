"""A self-guided client on a phone (Pixel 7 and iPhone SE): taps a plan card to start the
self-guided plan, then finishes it; the plan stays in their history."""
import itertools
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
_numbers = itertools.count()

PHONES = ["Pixel 7", "iPhone SE"]


@pytest.fixture(params=PHONES)
def phone(request, browser, playwright):
    device = {k: v for k, v in playwright.devices[request.param].items()
              if k != "default_browser_type"}
    context = browser.new_context(**device)
    yield context.new_page(), request.param.replace(" ", "-")
    context.close()


def _register(page, base, email):
    page.goto(f"{base}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Sam Selfguided")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/register" not in url)


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_tap_a_plan_card_to_start_then_finish_it(phone, live_server, tmp_path):
    page, device = phone
    email = f"selfguided{next(_numbers)}-{device.lower()}@example.org"
    _register(page, live_server, email)
    page.goto(f"{live_server}/plan")
    self_guided = page.get_by_role("radio", name="Self-guided sciatica relief")
    expect(self_guided).to_be_checked()  # the default for a client without a therapist
    page.screenshot(path=tmp_path / f"plan-choice-{device}.png", full_page=True)
    assert _fits(page)

    # Tap another card's text (not its radio): the whole card is the choice.
    page.locator("label.plan-card", has_text="Maintenance").locator(".plan-card-text").tap()
    expect(page.get_by_role("radio", name="Maintenance")).to_be_checked()
    box = page.locator("label.plan-card", has_text="Maintenance").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    page.locator("label.plan-card", has_text="Self-guided sciatica relief").tap()
    expect(self_guided).to_be_checked()
    page.get_by_role("button", name="Start this plan").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-guided sciatica relief")

    page.get_by_text("Finish this plan", exact=True).tap()
    page.screenshot(path=tmp_path / f"plan-finish-{device}.png", full_page=True)
    assert _fits(page)
    page.get_by_role("button", name="Yes, finish this plan").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a plan")
    expect(page.get_by_role("region", name="Earlier plans")).to_contain_text(
        "Self-guided sciatica relief")
    assert live_server.rows(
        "SELECT p.status FROM plan p JOIN user u ON u.id = p.client_id WHERE u.email = ?",
        email) == [("finished",)]
    page.screenshot(path=tmp_path / f"plan-after-{device}.png", full_page=True)


def test_switch_plan_then_fill_in_yesterdays_check_in(phone, live_server, tmp_path):
    """Switch from one self-guided plan to another, the first kept as finished; then fill
    in yesterday's check-in from the day picker."""
    page, device = phone
    email = f"switcher{next(_numbers)}-{device.lower()}@example.org"
    _register(page, live_server, email)
    page.goto(f"{live_server}/plan")
    page.get_by_role("button", name="Start this plan").tap()
    page.get_by_text("Switch plan", exact=True).tap()
    page.locator("label.plan-card", has_text="Maintenance").tap()
    page.screenshot(path=tmp_path / f"plan-switch-{device}.png", full_page=True)
    assert _fits(page)
    page.get_by_role("button", name="Switch to this plan").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maintenance")
    assert live_server.rows(
        "SELECT p.status FROM plan p JOIN user u ON u.id = p.client_id WHERE u.email = ? "
        "ORDER BY p.id", email) == [("finished",), ("active",)]

    page.goto(f"{live_server}/checkin")
    page.get_by_text("Fill in a missed day", exact=True).tap()
    page.get_by_role("link", name="Yesterday").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("How were you on")
    yesterday = page.locator("input[name=day]").get_attribute("value")
    page.screenshot(path=tmp_path / f"checkin-yesterday-{device}.png", full_page=True)
    assert _fits(page)
    page.locator("label.scale-option", has=page.locator("#leg_pain-5")).tap()
    page.locator("label.scale-option", has=page.locator("#back_pain-2")).tap()
    page.get_by_role("group", name="Anything new or worrying").get_by_text("No").tap()
    page.get_by_role("button", name="Save check-in").tap()
    # A first check-in asks the warning-sign questions next, whatever day it is for.
    expect(page).to_have_url(re.compile(r"/checkin/safety$"))
    assert live_server.rows(
        "SELECT c.day, c.leg_pain FROM checkin c JOIN user u ON u.id = c.client_id "
        "WHERE u.email = ?", email) == [(yesterday, 5)]
