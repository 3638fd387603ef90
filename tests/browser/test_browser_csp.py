"""The strict Content-Security-Policy in a real browser: no violations, no console errors."""
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Injected by Playwright before any page script (not subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber,
                     e.sample].join(" | "));
});
"""


class Watch:
    """Console errors, page errors and CSP violations seen on every page visited."""

    def __init__(self, page: Page, live_server: str):
        self.page = page
        self.base = live_server
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"{self.page.url}: console: {message.text}")

    def collect(self) -> None:
        """Read this page's recorded violations (before navigating away)."""
        for violation in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"{self.page.url}: CSP: {violation}")

    def visit(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.ok, (path, response and response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_load_state("networkidle")
        self.collect()


def log_in(watch: Watch, email: str) -> None:
    page = watch.page
    watch.visit("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("sciatica-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url
    watch.collect()


def test_client_pages_run_under_the_policy(page: Page, live_server):
    watch = Watch(page, live_server)
    watch.visit("/register")
    log_in(watch, "client@example.com")

    watch.visit("/today")
    button = page.locator(".check-button").first
    expect(button).to_be_visible()
    pressed = button.get_attribute("aria-pressed")
    flipped = "false" if pressed == "true" else "true"
    button.click()  # htmx swaps the item
    expect(page.locator(".check-button").first).to_have_attribute("aria-pressed", flipped)
    page.locator(".check-button").first.click()  # and back, leaving the demo as it was
    expect(page.locator(".check-button").first).to_have_attribute("aria-pressed", pressed)
    page.wait_for_load_state("networkidle")
    watch.collect()

    for path in ("/plan", "/progress", "/checkin", "/settings/reminders", "/library"):
        watch.visit(path)
    page.get_by_role("searchbox").fill("stretch")  # htmx search
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    watch.collect()
    assert watch.problems == []


def test_therapist_pages_run_under_the_policy(page: Page, live_server):
    watch = Watch(page, live_server)
    log_in(watch, "therapist@example.com")
    for path in ("/clients", "/plans", "/plans/new?template=acute-therapist-led"):
        watch.visit(path)
    [(client_id,)] = live_server.rows(
        "SELECT id FROM user WHERE email = 'client@example.com'")
    watch.visit(f"/clients/{client_id}")
    watch.visit(f"/clients/{client_id}/summary")
    assert watch.problems == []


def test_the_watch_notices_an_inline_style_and_an_inline_script(page: Page, live_server):
    """The checks above would fail on a violation: the policy blocks inline style and script."""
    watch = Watch(page, live_server)
    watch.visit("/login")
    page.evaluate("""() => {
      document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
      const script = document.createElement("script");
      script.textContent = "window.__ran = true";
      document.body.append(script);
    }""")
    page.wait_for_timeout(200)
    watch.collect()
    assert page.evaluate("window.__ran") is None
    violations = " ".join(watch.problems)
    assert "style-src" in violations and "script-src" in violations


def test_the_builders_partial_swaps_run_under_the_policy(page: Page, live_server):
    """Each builder action swaps its part (an item, a phase, the phases, the preview) with
    no CSP violation and no console error."""
    watch = Watch(page, live_server)
    log_in(watch, "therapist@example.com")
    watch.visit("/plans/new?template=acute-therapist-led")
    swaps = []
    page.on("response", lambda r: swaps.append(r.headers.get("hx-retarget", "")) if
            r.request.method == "POST" else None)

    def settled() -> None:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(600)  # the live preview's delay, and its answer
        page.wait_for_load_state("networkidle")
        watch.collect()

    improving = page.locator("#phases-1")
    improving.get_by_role("button", name="Add an item").click()  # the new item, at the end
    added = page.locator("#phases-1-items-8-row")
    added.get_by_label("Technique", exact=True).select_option(label="Foam roller")  # the item
    expect(added.get_by_label("Minutes")).to_have_value("3")
    added.get_by_label("Repeat every").fill("2")  # only the preview asks again
    expect(added.locator(".item-summary")).to_have_text("every 2 days · 3 min")
    settled()
    expect(page.locator("#preview")).to_contain_text("every 2 days: Foam roller 3 min")
    added.get_by_role("button", name="Move up").click()  # the two items, one out of band
    expect(page.locator("#phases-1-items-7-row .item-title")).to_have_text("Foam roller")
    page.locator("#phases-1-items-7-row").get_by_role("button", name="Remove").click()  # phase
    expect(improving.locator(".item-row")).to_have_count(8)
    page.get_by_role("button", name="Add a phase").click()  # the phases
    expect(page.get_by_role("heading", name="Phase 4: Phase 4")).to_be_visible()
    page.locator("#phases-3").get_by_role("button", name="Move phase up").click()
    expect(page.get_by_role("heading", name="Phase 3: Phase 4")).to_be_visible()
    page.locator("#phases-2").get_by_role("button", name="Remove phase").click()
    expect(page.locator(".phase-editor")).to_have_count(3)
    page.get_by_role("button", name="Preview the next 12 weeks").click()  # the preview
    expect(page.get_by_role("heading", name="The next 12 weeks")).to_be_focused()
    settled()
    assert {"#phases-1-items", "#phases-1-items-8-row", "#phases-1-items-7-row", "#phases-1",
            "#phases", "#preview"} <= set(swaps)
    assert watch.problems == []
