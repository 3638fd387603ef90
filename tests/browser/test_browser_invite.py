"""A therapist invites a new client, who signs up through the link (Pixel 7, then desktop)."""
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

THERAPIST = "therapist@example.com"
PASSWORD = "sciatica-demo"


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_client_joins_through_an_invite(page: Page, browser, browser_context_args,
                                          live_server, tmp_path):
    name = f"Nia {uuid.uuid4().hex[:6]}"
    email = f"{name.split()[1]}@example.org"

    # The therapist makes an invite and reads its link.
    log_in(page, live_server, THERAPIST)
    expect(page.get_by_role("heading", name="Your clients")).to_be_visible()
    page.get_by_role("link", name="Invite a client").click()
    expect(page.get_by_role("heading", name="Invite a client")).to_be_visible()
    page.get_by_label("Client's name (for you)").fill(name)
    page.get_by_role("button", name="Create invite link").click()
    expect(page.get_by_text("Valid for 7 days, for one person.")).to_be_visible()
    link = page.get_by_label("Invite link").input_value()
    assert link.startswith(f"{live_server}/join/")
    expect(page.get_by_role("img", name="QR code: scan it to open the invite")).to_be_visible()
    qr = page.get_by_role("img", name="QR code: scan it to open the invite").bounding_box()
    assert qr["width"] >= 150  # big enough to scan from a phone held up to it
    cancel = page.get_by_role("button", name=f"Cancel the invite {name}")
    box = cancel.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "invite-link.png", full_page=True)
    no_axe_violations(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    # A new person, on their own phone, opens the link and signs up through it.
    context = browser.new_context(**browser_context_args)
    phone = context.new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Demo Therapist invited you")).to_be_visible()
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Name", exact=True).fill(name)
    phone.get_by_label("Password").fill("a long enough password")
    phone.get_by_label("Time zone").select_option("Europe/London")
    no_horizontal_scroll(phone)
    phone.screenshot(path=tmp_path / "join.png", full_page=True)
    no_axe_violations(phone)
    phone.get_by_role("button", name="Create account").click()
    expect(phone).to_have_url(f"{live_server}/today")
    expect(phone.get_by_text("You are linked with Demo Therapist")).to_be_visible()
    context.close()

    # The therapist sees the new client on the roster.
    log_in(page, live_server, THERAPIST)
    expect(page).to_have_url(f"{live_server}/clients")
    card = page.locator(".roster-row", has=page.get_by_role("link", name=name))
    expect(card).to_be_visible()
    expect(card.get_by_text("No plan yet")).to_be_visible()
    link_box = card.get_by_role("link", name=name).bounding_box()
    assert link_box["height"] >= 48
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "roster-phone.png", full_page=True)
    no_axe_violations(page)
    assert live_server.rows(
        "SELECT u.role FROM user u JOIN carelink l ON l.client_id = u.id "
        "WHERE u.email = ? AND l.active", email,
    ) == [("client",)]

    # The same roster at a desktop width.
    desktop = browser.new_context(viewport={"width": 1280, "height": 800})
    wide = desktop.new_page()
    log_in(wide, live_server, THERAPIST)
    expect(wide.get_by_role("link", name=name)).to_be_visible()
    no_horizontal_scroll(wide)
    wide.screenshot(path=tmp_path / "roster-desktop.png", full_page=True)
    no_axe_violations(wide)
    desktop.close()
