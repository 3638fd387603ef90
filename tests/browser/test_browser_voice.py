"""The reader's voice in a real browser: the demo therapist (Europe/London) reads about the
demo client (America/New_York) by name, on the client's days, labelled with the client's
zone; the client reads the same figures spoken to. Read-only on the demo accounts."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ZONE_NOTE = "Demo Client's time, America/New_York"


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("sciatica-demo")
    page.get_by_role("button", name="Log in").click()


def axe_clean(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


@pytest.mark.parametrize("viewport", [None, {"width": 320, "height": 720},
                                      {"width": 1280, "height": 800}],
                         ids=["pixel7", "320", "desktop"])
def test_the_therapist_reads_about_the_client_on_the_clients_days(browser, page: Page,
                                                                  live_server, viewport,
                                                                  tmp_path):
    if viewport:
        page = browser.new_context(viewport=viewport).new_page()
    log_in(page, live_server, "therapist@example.com")
    page.get_by_role("link", name="Demo Client").first.click()
    expect(page.get_by_role("heading", name="Demo Client", level=1)).to_be_visible()
    pain = page.locator("section[aria-labelledby=pain-heading]")
    expect(pain).to_contain_text(ZONE_NOTE)
    expect(pain).to_contain_text(re.compile(
        r"Demo Client's leg pain is [\d.]+ points? lower than in their first week\."))
    adherence = page.locator("section[aria-labelledby=adherence-heading]")
    expect(adherence.locator(".zone-note")).to_have_text(ZONE_NOTE)
    expect(page.get_by_text("your first week")).to_have_count(0)
    expect(page.get_by_text("With your therapist")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.screenshot(path=tmp_path / "therapist.png", full_page=True)
    axe_clean(page)


def test_the_client_is_spoken_to_with_no_zone_note(page: Page, live_server):
    log_in(page, live_server, "client@example.com")
    page.goto(f"{live_server}/progress")
    pain = page.locator("section[aria-labelledby=pain-heading]")
    expect(pain).to_contain_text(re.compile(
        r"Your leg pain is [\d.]+ points? lower than in your first week\."))
    expect(page.locator(".zone-note")).to_have_count(0)
    page.goto(f"{live_server}/plan")
    expect(page.get_by_text("With your therapist:").first).to_be_visible()
    expect(page.locator(".zone-note")).to_have_count(0)
