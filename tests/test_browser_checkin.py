"""The daily check-in on a phone (Pixel 7): pain by tapping, a red flag, the urgent screen."""
import pytest
from playwright.sync_api import Page, expect

from tracker import library

pytestmark = pytest.mark.browser

CONFIRM = "A healthcare professional has checked me and said I can continue"


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_check_in_with_a_red_flag_pauses_self_care(page: Page, live_server, tmp_path):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("client@example.com")
    page.get_by_label("Password").fill("sciatica-demo")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server}/checkin")
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()
    no_axe_violations(page)
    leg = page.get_by_role("group", name="Leg pain")
    leg.get_by_label("6", exact=True).click()
    page.get_by_role("group", name="Back pain").get_by_label("3", exact=True).click()
    expect(leg.get_by_label("6", exact=True)).to_be_checked()
    box = leg.locator(".scale-option").first.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48  # a thumb-sized target
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "checkin.png", full_page=True)
    page.get_by_role("button", name="Save check-in").click()

    # The first check-in ever asks the red-flag questions.
    expect(page.get_by_role("heading", name="A few safety questions")).to_be_visible()
    first, *others = library.RED_FLAGS
    page.get_by_role("group", name=first["question"]).get_by_label("Yes").check()
    for flag in others:
        page.get_by_role("group", name=flag["question"]).get_by_label("No").check()
    page.screenshot(path=tmp_path / "safety.png", full_page=True)
    page.get_by_role("button", name="Send answers").click()

    expect(page.get_by_role("heading", name="Get medical help now")).to_be_visible()
    expect(page.get_by_text("call your local emergency number")).to_be_visible()
    expect(page.get_by_role("heading", name="Self-care is paused")).to_be_visible()
    expect(page.get_by_role("button", name="Resume self-care")).to_be_visible()
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "urgent.png", full_page=True)
    no_axe_violations(page)

    # Leave the shared demo plan as it was: resuming needs the confirmation.
    page.get_by_label(CONFIRM).check()
    page.get_by_role("button", name="Resume self-care").click()
    resumed = page.get_by_text("Your stretches and self-massage are back on your plan.")
    expect(resumed).to_be_visible()
