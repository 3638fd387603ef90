"""A therapist's day (phone and desktop): the roster's flags, confirming a step-down."""
import secrets

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def axe_clean(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def log_in(page: Page, live_server, email: str, password: str = "sciatica-demo") -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def flagged_client(browser, live_server):
    """A new client of the demo therapist whose plan is ready to step down: their name.

    One per test, with its own name: the server outlives the test, and confirming the step
    down changes the plan.
    """
    suffix = secrets.token_hex(3)
    name = f"Flo Flagged {suffix}"
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/register")
    page.get_by_label("Email").fill(f"flo-{suffix}@example.org")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/register" not in url)
    page.goto(f"{live_server}/plan")
    page.get_by_role("radio", name="Self-guided sciatica relief").check()
    page.get_by_role("button", name="Start this plan").click()
    context.close()
    [(client_id,)] = live_server.rows("SELECT id FROM user WHERE email = ?",
                                      f"flo-{suffix}@example.org")
    [(therapist_id,)] = live_server.rows(
        "SELECT id FROM user WHERE email = 'therapist@example.com'")
    live_server.rows("INSERT INTO carelink (therapist_id, client_id, created_at, active, archived)"
                     " VALUES (?, ?, '2026-01-01', 1, 0)", therapist_id, client_id)
    live_server.rows("UPDATE plan SET suggestion = 'step_down', suggestion_reason = "
                     "'Leg pain is 30% lower than in the first week.' WHERE client_id = ?",
                     client_id)
    return name


@pytest.mark.parametrize("viewport", [None, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_roster_flags_and_confirming_a_step_down(browser, page: Page, live_server,
                                                 flagged_client, viewport, tmp_path):
    if viewport:
        page = browser.new_context(viewport=viewport).new_page()
    log_in(page, live_server, "therapist@example.com")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    flo = page.get_by_role("link", name=flagged_client)
    expect(flo).to_be_visible()
    card = page.locator("tr", has=flo).first
    expect(card).to_contain_text("Ready to step down")
    page.screenshot(path=tmp_path / "roster.png", full_page=True)
    axe_clean(page)

    flo.click()
    expect(page.get_by_role("heading", name="Ready to step down")).to_be_visible()
    axe_clean(page)
    page.screenshot(path=tmp_path / "client.png", full_page=True)
    page.get_by_role("button", name="Confirm the suggestion").click()
    expect(page.get_by_text("Plan moved to the next step.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ready to step down")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
