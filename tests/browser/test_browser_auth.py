"""The account journey in a real phone-sized browser (Debian's chromium, Pixel 7)."""
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_register_log_out_log_in_lands_home(page: Page, live_server, tmp_path):
    page.goto(f"{live_server}/register")
    page.get_by_label("Email").fill("phone@example.org")
    page.get_by_label("Name").fill("Pat Phone")
    page.get_by_label("Password").fill("a long enough password")
    # The browser's own zone is preselected; a person can still pick another.
    expect(page.get_by_label("Time zone")).not_to_have_value("")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Create account").click()
    # A new client lands on today's page: no plan yet, and a way to choose one.
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.get_by_text("Welcome, Pat Phone")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    page.get_by_label("Email").fill("PHONE@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    page.goto(f"{live_server}/home")
    expect(page.get_by_text("Europe/Paris")).to_be_visible()

    # Phone layout: nothing wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
    page.screenshot(path=tmp_path / "home.png", full_page=True)


def test_browser_time_zone_is_the_default(page: Page, live_server, browser):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    tokyo = context.new_page()
    tokyo.goto(f"{live_server}/register")
    expect(tokyo.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    context.close()


def test_wrong_password_shows_a_clear_error(page: Page, live_server, tmp_path):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("client@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("don't match an account")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=tmp_path / "login-error.png", full_page=True)


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_account_pages_have_no_axe_violations(page: Page, live_server, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{live_server}{path}")
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
