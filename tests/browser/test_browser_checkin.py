"""The safety net in a real browser: the demo client checks in on a phone (Pixel 7), then
reports a warning sign from "Something's wrong" on /today and sees the urgent screen; the
demo therapist, on a laptop, finds the flag on the roster, the alert email in the outbox,
and resumes the plan from the client's page."""
import email

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import log_in
from tracker.domain import library

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def answer_all(page: Page, yes: str | None = None) -> None:
    """Answer the warning-sign questions: ``yes`` (a key) Yes, every other No."""
    for flag in library.RED_FLAGS:
        group = page.get_by_role("group", name=flag["question"])
        group.get_by_label("Yes" if flag["key"] == yes else "No", exact=True).check()


def subjects(outbox) -> list[str]:
    return sorted(email.message_from_bytes(p.read_bytes())["Subject"]
                  for p in outbox.glob("*.eml"))


def test_a_warning_sign_on_an_ordinary_day_reaches_the_therapist(browser, page: Page,
                                                                 live_server, tmp_path):
    log_in(page, live_server, "client@example.com", "sciatica-demo")
    page.goto(f"{live_server}/today")

    # An ordinary check-in: pain by tapping, nothing new.
    page.get_by_role("link", name="How are you today? Check in").click()
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()
    leg = page.get_by_role("group", name="Leg pain")
    leg.get_by_label("4", exact=True).click()
    page.get_by_role("group", name="Back pain").get_by_label("2", exact=True).click()
    expect(leg.get_by_label("4", exact=True)).to_be_checked()
    box = leg.locator(".scale-option").first.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48  # a thumb-sized target
    page.get_by_role("group", name="Anything new or worrying since your last check-in?") \
        .get_by_label("No", exact=True).check()
    no_horizontal_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "checkin.png", full_page=True)
    page.get_by_role("button", name="Save check-in").click()
    if page.get_by_role("heading", name="Something's wrong?").is_visible():
        answer_all(page)  # the demo client's first check-in in this server asks them once
        page.get_by_role("button", name="Send answers").click()
    expect(page.get_by_text("Today: leg 4, back 2")).to_be_visible()

    # Later the same day: "Something's wrong", from /today.
    page.get_by_role("main").get_by_role("link", name="Something's wrong").click()
    expect(page.get_by_role("heading", name="Something's wrong?")).to_be_visible()
    answer_all(page, yes="both_legs")
    page.get_by_label("Anything else your therapist should know?").fill("Both legs tingle now.")
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "something-wrong.png", full_page=True)
    page.get_by_role("button", name="Send answers").click()

    urgent = page.get_by_role("heading", name="Get medical help now")
    expect(urgent).to_be_visible()
    expect(page.get_by_text("call your local emergency number").first).to_be_visible()
    expect(page.get_by_text("Symptoms in both legs")).to_be_visible()
    expect(page.get_by_text("Your whole plan is paused")).to_be_visible()
    expect(page.get_by_role("button", name="A professional has checked me")).to_be_visible()
    expect(page.get_by_role("button", name="Restart my plan")).to_have_count(0)  # therapist's
    no_horizontal_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "urgent.png", full_page=True)
    # On every visit until it is resolved.
    page.goto(f"{live_server}/today")
    expect(page.get_by_role("heading", name="Get medical help now")).to_be_visible()
    page.goto(f"{live_server}/plan")
    expect(page.get_by_text("You reported a warning sign.")).to_be_visible()

    # The alert reached the therapist's email (the outbox, without SMTP), exactly once.
    assert subjects(live_server.outbox).count("Urgent: Demo Client reported a warning sign") == 1

    # The therapist, on a laptop: the roster flags the client; their page offers "Resume".
    desk = browser.new_context(viewport=DESKTOP).new_page()
    log_in(desk, live_server, "therapist@example.com", "sciatica-demo")
    card = desk.locator("tr.roster-row", has=desk.get_by_role("link", name="Demo Client"))
    expect(card.locator(".flag")).to_have_text(["Warning sign"])
    desk.screenshot(path=tmp_path / "roster.png", full_page=True)
    card.get_by_role("link", name="Demo Client").click()
    expect(desk.get_by_role("heading", name="Warning sign reported")).to_be_visible()
    expect(desk.get_by_text("Both legs tingle now.")).to_be_visible()
    resume = desk.get_by_role("button", name="Resume", exact=True)
    expect(resume).to_be_visible()
    no_axe_violations(desk)
    desk.screenshot(path=tmp_path / "client-page.png", full_page=True)
    desk.get_by_label("I have reviewed the report").check()
    resume.click()
    expect(desk.get_by_text("Demo Client's plan is back on from today.")).to_be_visible()
    expect(desk.get_by_role("heading", name="Warning sign reported")).to_have_count(0)

    page.goto(f"{live_server}/today")
    expect(page.get_by_role("heading", name="Get medical help now")).to_have_count(0)
    expect(page.get_by_text("Today: leg 4, back 2")).to_be_visible()


def test_a_self_guided_client_pauses_the_treated_area_and_restarts_it(page: Page, live_server,
                                                                    tmp_path):
    from tests.conftest import register_with_plan

    register_with_plan(page, live_server, "sam@example.org", "Sam Selfguided")
    page.goto(f"{live_server}/checkin/safety")
    answer_all(page)
    page.get_by_label("Swelling").check()
    page.get_by_label("Lower back").check()
    page.get_by_role("button", name="Send answers").click()
    expect(page.get_by_role("heading",
                            name="Massage and self-care on that area are paused")).to_be_visible()
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "area.png", full_page=True)
    page.get_by_label("A healthcare professional has checked me and said I can continue").check()
    page.get_by_role("button", name="Restart my plan").click()
    expect(page.get_by_text("Your plan is back on.")).to_be_visible()
