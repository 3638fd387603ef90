"""Accounts in a real phone-sized browser (issue 15): "Forgot password?" from the login page
to a new password, and "Sign out everywhere" ending another device's sign-in."""
import email
import email.policy
import re
import secrets

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def register(page: Page, base: str, address: str, name: str) -> None:
    page.goto(f"{base}/register")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


def log_in(page: Page, base: str, address: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def reset_path_sent_to(live_server, address: str) -> str:
    """The reset link's path in the email sent to ``address`` (the server's BASE_URL may
    name another port than the test's server, so only the path is taken)."""
    for path in live_server.outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in message["To"] and message["Subject"] == "Set a new password":
            body = message.get_body(("plain",)).get_content()
            return re.search(r"(/reset-password/[A-Za-z0-9_-]+)", body).group(1)
    raise AssertionError(f"no reset email to {address}")


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_reset_password_journey(page: Page, live_server, tmp_path):
    address = f"forgetful-{secrets.token_hex(4)}@example.org"
    register(page, live_server, address, "Fran Forgetful")
    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.screenshot(path=tmp_path / "login-pixel7.png", full_page=True)
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password")).to_be_visible()
    page.get_by_label("Email").fill(address)
    fits(page)
    page.screenshot(path=tmp_path / "forgot-pixel7.png", full_page=True)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.screenshot(path=tmp_path / "sent-pixel7.png", full_page=True)

    page.goto(f"{live_server}{reset_path_sent_to(live_server, address)}")
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password").fill("my new long password")
    fits(page)
    page.screenshot(path=tmp_path / "reset-pixel7.png", full_page=True)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("Log in with your new password")).to_be_visible()

    log_in(page, live_server, address, "my new long password")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


def test_sign_out_everywhere_ends_the_other_devices_sign_in(browser, playwright, live_server,
                                                           tmp_path):
    pixel = playwright.devices["Pixel 7"]
    se = {k: v for k, v in playwright.devices["iPhone SE"].items()
          if k != "default_browser_type"}
    address = f"two-phones-{secrets.token_hex(4)}@example.org"
    first_context, second_context = browser.new_context(**pixel), browser.new_context(**se)
    try:
        first, second = first_context.new_page(), second_context.new_page()
        register(first, live_server, address, "Toni Twophones")
        log_in(second, live_server, address)
        expect(second.get_by_role("heading", name="Today")).to_be_visible()

        second.goto(f"{live_server}/settings")
        devices = second.locator("#devices")
        expect(devices.get_by_role("button", name="Sign out", exact=True)).to_have_count(2)
        expect(devices.get_by_text("This device")).to_have_count(1)
        devices.get_by_text("Sign out everywhere", exact=True).click()  # the confirmation opens
        fits(second)  # 320 px
        second.screenshot(path=tmp_path / "devices-iphone-se.png", full_page=True)

        first.goto(f"{live_server}/settings")
        first.screenshot(path=tmp_path / "devices-pixel7.png", full_page=True)
        first.locator("#devices").get_by_text("Sign out everywhere", exact=True).click()
        first.get_by_role("button", name="Yes, sign out everywhere").click()
        expect(first.get_by_role("heading", name="Log in")).to_be_visible()

        second.goto(f"{live_server}/today")
        expect(second.get_by_role("heading", name="Log in")).to_be_visible()
        assert "/login" in second.url
    finally:
        first_context.close()
        second_context.close()


def test_the_account_page_on_a_320_px_phone(browser, playwright, live_server, tmp_path):
    se = {k: v for k, v in playwright.devices["iPhone SE"].items()
          if k != "default_browser_type"}
    context = browser.new_context(**se)
    try:
        page = context.new_page()
        register(page, live_server, f"narrow-{secrets.token_hex(4)}@example.org", "Nat Narrow")
        page.goto(f"{live_server}/settings/account")
        page.get_by_label("Time zone").select_option("America/New_York")
        fits(page)
        page.screenshot(path=tmp_path / "account-iphone-se.png", full_page=True)
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Your reminders now follow your new time zone.")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/forgot-password", "/forgot-password/sent",
                                  "/reset-password/not-a-link"])
def test_reset_pages_have_no_axe_violations(page: Page, live_server, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{live_server}{path}")
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
