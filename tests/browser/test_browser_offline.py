"""Offline on a phone (Pixel 7): the stored page, queued check-offs replayed exactly once,
an offline check-in, the offline page, and installability."""
import itertools
import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, log_in, register_with_plan

pytestmark = pytest.mark.browser
_numbers = itertools.count()


@pytest.fixture
def offline_client(page: Page, live_server):
    """A fresh client with the self-guided plan, on /today with the service worker in
    control (so /today is stored for offline use)."""
    email = f"offline{next(_numbers)}@example.org"
    register_with_plan(page, live_server, email, "Olly Offline")
    page.goto(f"{live_server}/today")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the worker, which stores the page
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    return email


def checkoffs(live_server, email):
    return live_server.rows(
        "SELECT c.item_key, c.status FROM checkoff c JOIN plan p ON p.id = c.plan_id "
        "JOIN user u ON u.id = p.client_id WHERE u.email = ? ORDER BY c.item_key",
        email,
    )


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def item_button(page: Page, name: str):
    return page.get_by_role("button", name=name).and_(page.locator(".check-button"))


def test_offline_check_offs_are_sent_once_when_back_online(
        page: Page, context: BrowserContext, live_server, offline_client, tmp_path):
    context.set_offline(True)
    page.reload()  # from the stored copy
    banner = page.get_by_role("status").and_(page.locator("#connection"))
    expect(banner).to_contain_text("You're offline")

    item_button(page, "Seated forward bend").click()
    item_button(page, "Knee-to-chest stretch").click()
    expect(item_button(page, "Knee-to-chest stretch")).to_have_attribute("aria-pressed", "true")
    item_button(page, "Knee-to-chest stretch").click()  # undo
    expect(item_button(page, "Seated forward bend")).to_have_attribute("aria-pressed", "true")
    expect(item_button(page, "Knee-to-chest stretch")).to_have_attribute("aria-pressed", "false")
    expect(banner).to_contain_text("3 changes waiting")
    expect(page.locator("#day-progress")).to_contain_text("1 of")
    page.screenshot(path=tmp_path / "today-offline.png", full_page=True)
    queued = page.evaluate("Outbox.list()")
    assert [c["kind"] for c in queued] == ["check", "check", "check"]
    assert checkoffs(live_server, offline_client) == []

    # Reloaded offline, the page still shows what is waiting.
    page.reload()
    expect(item_button(page, "Seated forward bend")).to_have_attribute("aria-pressed", "true")

    context.set_offline(False)
    assert wait_for(lambda: checkoffs(live_server, offline_client) == [("forward-bend", "done")])
    page.wait_for_function("Outbox.list().then(l => l.length === 0)")
    expect(banner).to_be_hidden()

    # The same three changes replayed again (a lost response): the server keeps one record.
    outcome = page.evaluate(
        """async (changes) => {
             for (const c of changes) { delete c.seq; await Outbox.add(c); }
             return Outbox.replay();
           }""",
        queued,
    )
    assert outcome["sent"] == 3 and outcome["stopped"] is None
    assert checkoffs(live_server, offline_client) == [("forward-bend", "done")]
    page.reload()
    expect(item_button(page, "Seated forward bend")).to_have_attribute("aria-pressed", "true")
    expect(item_button(page, "Knee-to-chest stretch")).to_have_attribute("aria-pressed", "false")


def test_an_offline_check_in_is_sent_when_back_online(
        page: Page, context: BrowserContext, live_server, offline_client):
    page.goto(f"{live_server}/checkin")  # stored for offline use
    context.set_offline(True)
    page.reload()
    page.get_by_role("group", name="Leg pain").get_by_label("6", exact=True).click()
    page.get_by_role("group", name="Back pain").get_by_label("2", exact=True).click()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Check-in saved on this phone.")).to_be_visible()
    expect(page.get_by_role("button", name="Save check-in")).to_be_hidden()
    context.set_offline(False)
    assert wait_for(lambda: live_server.rows(
        "SELECT c.leg_pain, c.back_pain FROM checkin c JOIN user u ON u.id = c.client_id "
        "WHERE u.email = ?", offline_client) == [(6, 2)])


def test_a_page_never_opened_shows_the_offline_page(
        page: Page, context: BrowserContext, live_server, offline_client):
    from axe_playwright_python.sync_playwright import Axe

    context.set_offline(True)
    page.goto(f"{live_server}/settings")
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    assert Axe().run(page).response["violations"] == []
    page.goto(f"{live_server}/today")  # the stored copy, with the offline banner
    expect(page.locator("#connection")).to_contain_text("You're offline")
    assert Axe().run(page).response["violations"] == []


def test_caches_carry_this_deployments_version(page: Page, live_server, offline_client):
    """Old versions' caches are gone once the current worker is active."""
    version = page.evaluate(
        "fetch('/sw.js').then(r => r.text()).then(t => t.match(/const VERSION = \"(\\w+)\"/)[1])"
    )
    names = page.evaluate("caches.keys()")
    assert sorted(names) == [f"pages-{version}", f"static-{version}"]
    # A worker taking over (as after a deployment) deletes every other version's caches.
    page.evaluate(
        "caches.open('static-0123456789abcdef').then(c => c.put('/x', new Response('old')))")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.unregister())")
    page.evaluate("navigator.serviceWorker.register('/sw.js', {scope: '/'})")
    page.wait_for_function(
        f"caches.keys().then(n => n.sort().join() === 'pages-{version},static-{version}')")
    stored = page.evaluate(
        f"caches.open('pages-{version}').then(c => c.keys()).then(k => k.map(r => r.url))"
    )
    assert f"{live_server}/today" in stored


def test_the_app_is_installable(playwright, live_server, tmp_path):
    """Chromium's own installability check (what Lighthouse's audit used), in a normal
    profile: Playwright's usual contexts are off the record, which is never installable."""
    phone = {k: v for k, v in playwright.devices["Pixel 7"].items()
             if k != "default_browser_type"}
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, **phone,
    )
    try:
        page = context.new_page()
        log_in(page, live_server, "client@example.com", "sciatica-demo")
        page.goto(f"{live_server}/today")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        assert not cdp.send("Page.getAppManifest").get("errors")
    finally:
        context.close()


def test_online_check_offs_carry_a_key_too(page: Page, live_server, offline_client):
    """So a tap whose response is lost can be queued and replayed under the same key."""
    item_button(page, "Seated forward bend").click()
    expect(item_button(page, "Seated forward bend")).to_have_attribute("aria-pressed", "true")
    keys = live_server.rows(
        "SELECT a.key FROM appliedoperation a JOIN user u ON u.id = a.user_id WHERE u.email = ?",
        offline_client,
    )
    assert len(keys) == 1 and len(keys[0][0]) >= 32
    assert checkoffs(live_server, offline_client) == [("forward-bend", "done")]


def test_iphone_gets_the_add_to_home_screen_steps(browser, playwright, live_server):
    context = browser.new_context(**{
        k: v for k, v in playwright.devices["iPhone 13"].items() if k != "default_browser_type"
    })
    try:
        page = context.new_page()
        log_in(page, live_server, "client@example.com", "sciatica-demo")
        page.goto(f"{live_server}/today")
        card = page.get_by_role("region", name="Put your plan on your home screen")
        expect(card).to_contain_text("Add to Home Screen")
        card.get_by_role("button", name="Not now").click()
        expect(card).to_be_hidden()
        page.reload()
        expect(page.locator("#install-app")).to_be_hidden()
    finally:
        context.close()


def test_an_item_checked_off_offline_no_longer_offers_its_timer_or_skip(
        page: Page, context: BrowserContext, live_server, offline_client, tmp_path):
    context.set_offline(True)
    page.reload()  # from the stored copy
    name = "Seated forward bend"
    item = page.locator("li.item").filter(has=item_button(page, name))
    timer = item.get_by_role("button", name=f"Start timer for {name}")
    skip = item.locator("summary").filter(has_text="Skip")
    expect(timer).to_be_visible()
    expect(skip).to_be_visible()

    item_button(page, name).click()
    expect(item_button(page, name)).to_have_attribute("aria-pressed", "true")
    expect(timer).to_be_hidden()
    expect(skip).to_be_hidden()
    page.screenshot(path=tmp_path / "checked-off-offline.png", full_page=True)

    item_button(page, name).click()  # undone: they come back
    expect(item_button(page, name)).to_have_attribute("aria-pressed", "false")
    expect(timer).to_be_visible()
    expect(skip).to_be_visible()


def test_a_skip_made_offline_can_be_undone_once_sent(
        page: Page, context: BrowserContext, live_server, offline_client, tmp_path):
    """Skipped offline: Skip goes at once; back online and reloaded, "Undo skip" puts the
    item back to due (the skip is gone from the server too)."""
    name = "Seated forward bend"
    item = page.locator("li.item").filter(has=item_button(page, name))
    context.set_offline(True)
    page.reload()
    item.locator("summary").filter(has_text="Skip").click()
    item.get_by_label("No time").check()
    item.get_by_role("button", name="Skip it").click()
    expect(item.locator("summary").filter(has_text="Skip")).to_be_hidden()
    context.set_offline(False)
    assert wait_for(lambda: checkoffs(live_server, offline_client) == [
        ("forward-bend", "skipped")])
    page.wait_for_function("Outbox.list().then(l => l.length === 0)")

    page.reload()
    expect(item).to_contain_text("Skipped: No time.")
    item.get_by_role("button", name=f"Undo skip of {name}").click()
    expect(item.get_by_role("button", name=f"Undo skip of {name}")).to_have_count(0)
    expect(item.locator("summary").filter(has_text="Skip")).to_be_visible()
    assert checkoffs(live_server, offline_client) == []
    page.screenshot(path=tmp_path / "skip-undone.png", full_page=True)
