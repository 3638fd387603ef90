"""A therapist's alert settings in a real browser (issue 16): found from Settings, warning
signs offered without "Don't tell me", choices saved by a plain form post, and the page
fitting a 320 px phone and a 1280 px laptop with no CSP violation."""
import secrets

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_therapist_chooses_how_to_be_told(page: Page, live_server, tmp_path):
    problems = []  # CSP violations and script errors (a refused form's 422 is expected)
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server}/register")
    page.get_by_label("Email").fill(f"alerts-{secrets.token_hex(4)}@example.org")
    page.get_by_label("Name").fill("Alex Alerts")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("A therapist").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()

    page.goto(f"{live_server}/settings")
    page.get_by_role("link", name="Warning signs, the daily digest and how you are told").click()
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    warning = page.get_by_role("group", name="Warning signs")
    expect(warning.get_by_role("radio")).to_have_count(3)
    expect(warning.get_by_label("Don't tell me")).to_have_count(0)
    expect(warning.get_by_label("Email and push")).to_be_checked()
    expect(page.get_by_text("it can't be turned off")).to_be_visible()
    fits(page)
    page.screenshot(path=tmp_path / "alerts-pixel7.png", full_page=True)

    warning.get_by_label("Push notification").check()
    page.get_by_role("group", name="Treated-area problems").get_by_label("Email and push").check()
    page.get_by_role("group", name="No activity").get_by_label("Don't tell me").check()
    page.get_by_label("Daily digest at").fill("18:15")
    page.get_by_label("Days without a check-in or check-off").fill("5")
    page.get_by_role("button", name="Save alerts").click()
    expect(page.get_by_text("Alert settings saved.")).to_be_visible()
    expect(page.get_by_role("group", name="Warning signs").get_by_label(
        "Push notification")).to_be_checked()
    expect(page.get_by_role("group", name="No activity").get_by_label(
        "Don't tell me")).to_be_checked()
    expect(page.get_by_label("Daily digest at")).to_have_value("18:15")
    expect(page.get_by_label("Days without a check-in or check-off")).to_have_value("5")

    page.get_by_label("Days without a check-in or check-off").fill("45")
    page.get_by_role("button", name="Save alerts").click()
    expect(page.get_by_text("Pick 1 to 30 days.")).to_be_visible()

    for width, height in ((320, 640), (360, 760), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/settings/alerts")
        fits(page)
        page.screenshot(path=tmp_path / f"alerts-{width}.png", full_page=True)
    assert problems == []
