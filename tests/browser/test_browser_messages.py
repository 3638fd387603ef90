"""Messages in a real browser: a new therapist invites a new client; the client writes, the
therapist sees one unread on the client's page, opens the thread and replies; the client's
Messages tab shows the reply's count by polling and resets on reading. No CSP violation, no
console error, nothing wider than the screen, big enough tap targets."""
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_browser_csp import Watch

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"
POLL_WAIT = 15_000  # ms: the tab polls every 10 s


def register(page: Page, base: str, email: str, name: str, therapist: bool = False) -> None:
    page.goto(f"{base}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    if therapist:
        page.get_by_label("A therapist").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state("networkidle")


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def tap_size(locator) -> None:
    box = locator.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48, box


def test_a_message_is_sent_read_and_answered_with_unread_counts(
        page: Page, browser, browser_context_args, live_server, tmp_path):
    tag = uuid.uuid4().hex[:6]
    therapist_name, client_name = f"Theo {tag}", f"Dana {tag}"

    # A new therapist makes an invite.
    therapist = Watch(page, live_server)
    register(page, live_server, f"theo-{tag}@example.org", therapist_name, therapist=True)
    page.goto(f"{live_server}/clients/invite")
    page.get_by_label("Client's name (for you)").fill(client_name)
    page.get_by_role("button", name="Create invite link").click()
    link = page.get_by_label("Invite link").input_value()

    # A new client joins through it on their phone and writes from the Messages tab.
    context = browser.new_context(**browser_context_args)
    phone = context.new_page()
    client = Watch(phone, live_server)
    phone.goto(link)
    phone.get_by_label("Email").fill(f"dana-{tag}@example.org")
    phone.get_by_label("Name", exact=True).fill(client_name)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Create account").click()
    expect(phone).to_have_url(f"{live_server}/today")
    tab = phone.locator(".bottom-nav").get_by_role("link", name="Messages", exact=True)
    expect(tab).to_be_visible()
    tab.click()
    expect(phone.get_by_role("heading", name=f"Messages with {therapist_name}")).to_be_visible()
    expect(phone.get_by_text("No messages yet.")).to_be_visible()
    box = phone.get_by_label("Message")
    box.fill("My leg felt easier after the stretches.\nSee you Tuesday.")
    tap_size(phone.get_by_role("button", name="Send"))
    phone.get_by_role("button", name="Send").click()
    thread = phone.locator("#thread")
    expect(thread.get_by_text("My leg felt easier after the stretches.")).to_be_visible()
    expect(box).to_have_value("")  # the box is emptied (htmx) and keeps the focus
    expect(box).to_be_focused()
    fits(phone)
    phone.screenshot(path=tmp_path / "client-thread.png", full_page=True)
    no_axe_violations(phone)
    phone.goto(f"{live_server}/today")  # somewhere else, for the tab's count

    # The therapist sees one unread on the client's page, opens the thread and replies.
    page.goto(f"{live_server}/clients")
    page.get_by_role("link", name=client_name).first.click()
    messages_link = page.get_by_role("link", name="Messages, 1 unread")
    expect(messages_link).to_be_visible()
    tap_size(messages_link)
    messages_link.click()
    expect(page.get_by_role("heading", name=f"Messages with {client_name}")).to_be_visible()
    expect(page.get_by_text("My leg felt easier after the stretches.")).to_be_visible()
    expect(page.locator(".new-marker")).to_have_text("New")
    no_axe_violations(page)
    page.get_by_label("Message").fill("Good to hear. Keep the holds at 30 s.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thread").get_by_text("Keep the holds at 30 s.")).to_be_visible()
    page.go_back()  # the client's page: nothing unread now
    page.reload()
    expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()

    # The client's tab shows the reply by polling, and resets when the thread is read.
    unread_tab = phone.locator(".bottom-nav").get_by_role("link", name="Messages, 1 unread")
    expect(unread_tab).to_be_visible(timeout=POLL_WAIT)
    fits(phone)
    phone.screenshot(path=tmp_path / "client-unread-tab.png")
    no_axe_violations(phone)
    unread_tab.click()
    expect(phone.locator("#thread").get_by_text("Keep the holds at 30 s.")).to_be_visible()
    expect(tab).to_be_visible()  # "Messages" alone again
    expect(phone.locator(".nav-count")).to_have_count(0)

    # A reply while the thread is open arrives by its own polling.
    page.get_by_role("link", name="Messages", exact=True).click()
    page.get_by_label("Message").fill("Any questions, just write.")
    page.get_by_role("button", name="Send").click()
    expect(phone.locator("#thread").get_by_text("Any questions, just write.")).to_be_visible(
        timeout=POLL_WAIT)

    for watch, where in ((therapist, page), (client, phone)):
        where.wait_for_load_state("networkidle")
        watch.collect()
    assert therapist.problems == [] and client.problems == []
    context.close()
