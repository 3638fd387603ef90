"""A therapist builds a plan from a template on a phone and on a laptop, and assigns it."""
import itertools
import json
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
_numbers = itertools.count()
TEMPLATE = "Acute sciatica, therapist-led"


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def new_linked_client(browser, live_server) -> tuple[str, str]:
    """A client registered through the app, linked to the demo therapist in the database.

    A new client rather than Demo Client: other browser tests use the demo's plan, and
    assigning a plan finishes the one before.
    """
    n = next(_numbers)
    email, name = f"builder{n}@example.org", f"Bea Builder {n}"
    context = browser.new_context()
    signup = context.new_page()
    signup.goto(f"{live_server}/register")
    signup.get_by_label("Email").fill(email)
    signup.get_by_label("Name").fill(name)
    signup.get_by_label("Password").fill("a long enough password")
    signup.get_by_role("button", name="Create account").click()
    signup.wait_for_url(lambda url: "/register" not in url)
    context.close()
    live_server.rows(
        "INSERT INTO carelink (therapist_id, client_id, created_at, active, archived) "
        "SELECT t.id, c.id, datetime('now'), 1, 0 FROM user t, user c "
        "WHERE t.email = 'therapist@example.com' AND c.email = ?", email)
    return email, name


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_build_preview_and_assign_a_plan(screen, page: Page, browser, live_server, tmp_path):
    if screen == "desktop":
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
    email, name = new_linked_client(browser, live_server)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("therapist@example.com")
    page.get_by_label("Password").fill("sciatica-demo")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    expect(page.get_by_role("heading", name="Plans", exact=True)).to_be_visible()
    no_axe_violations(page)
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / f"plans-{screen}.png", full_page=True)

    page.get_by_role("link", name=f"Use “{TEMPLATE}”").click()
    expect(page.get_by_role("heading", name="Build a plan")).to_be_visible()
    improving = page.locator("#phases-1")
    expect(improving.get_by_role("heading", name="Phase 2: Improving")).to_be_visible()
    massage = improving.locator("details").filter(has_text="Deep tissue massage").first
    massage.locator("summary").click()
    fields = massage.get_by_role("group", name="Deep tissue massage, in phase 2: Improving")
    expect(fields.get_by_label("Repeats")).to_have_value("every_n_weeks")
    fields.get_by_label("Repeat every").fill("3")
    expect(fields.get_by_text("… weeks")).to_be_visible()  # the unit follows the cadence
    expect(fields.get_by_role("group", name="On these days").get_by_label("Mon")).to_be_checked()
    no_axe_violations(page)
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / f"builder-{screen}.png", full_page=True)
    massage.locator("summary").scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / f"builder-item-{screen}.png")

    start = date.today() + timedelta(days=1)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_role("button", name="Preview the next 12 weeks").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="The next 12 weeks")).to_be_focused()
    expect(preview.get_by_role("heading", name="Week 12", exact=False)).to_be_visible()
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    expect(preview.locator(f'time[datetime="{first_monday.isoformat()}"]')).to_be_visible()
    # The item opened above is still open after the swap, with the new interval.
    expect(massage).to_have_attribute("open", "")
    expect(fields.get_by_label("Repeat every")).to_have_value("3")
    expect(massage.locator("summary")).to_contain_text("every 3 weeks on Monday")
    expect(preview).to_contain_text("daily: Piriformis stretch hold 15 s ×3 each side")
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / f"preview-top-{screen}.png")  # scrolled to the heading
    page.screenshot(path=tmp_path / f"preview-{screen}.png", full_page=True)

    page.get_by_label("Client", exact=True).select_option(label=name)
    page.get_by_role("button", name="Assign to client").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    assert "/clients/" in page.url
    (spec,) = live_server.rows(
        "SELECT r.spec FROM planrevision r JOIN plan p ON p.id = r.plan_id "
        "JOIN user u ON u.id = p.client_id WHERE u.email = ?", email)
    improving_massage = json.loads(spec[0])["phases"][1]["items"][0]
    assert improving_massage["cadence"] == {
        "kind": "every_n_weeks", "interval": 3, "weekdays": [0], "anchor": "calendar"}
    page.screenshot(path=tmp_path / f"assigned-{screen}.png", full_page=True)
    if screen == "desktop":
        context.close()


@pytest.mark.parametrize("device", ["Pixel 7", "iPhone SE"])
def test_monthly_on_the_nth_weekday_on_a_phone(device, browser, playwright, live_server,
                                               tmp_path):
    """The maintenance massage repeats on the 4th Monday; the therapist makes it the last
    Friday, and the builder, its preview and the timeline say which day in words."""
    context = browser.new_context(**{k: v for k, v in playwright.devices[device].items()
                                     if k != "default_browser_type"})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("therapist@example.com")
    page.get_by_label("Password").fill("sciatica-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name=f"Use “{TEMPLATE}”").click()

    maintenance = page.locator("#phases-2")
    massage = maintenance.locator("details").filter(has_text="Deep tissue massage").first
    expect(massage.locator("summary")).to_contain_text("every month on the 4th Monday")
    massage.locator("summary").click()
    fields = massage.get_by_role("group", name="Deep tissue massage, in phase 3: Maintenance")
    repeats, which = fields.get_by_label("Repeats"), fields.get_by_label("Which one in the month")
    expect(repeats).to_have_value("monthly_weekday")
    expect(which).to_have_value("4")
    expect(fields.get_by_text("… months")).to_be_visible()
    days = fields.get_by_role("group", name="On these days")
    expect(days.get_by_label("Mon")).to_be_checked()
    for control in (repeats, which, days.locator("label.weekday").nth(4)):
        assert control.bounding_box()["height"] >= 48  # a thumb's tap target
    # only this cadence asks which one in the month
    repeats.select_option("every_n_days")
    expect(which).to_be_hidden()
    repeats.select_option("monthly_weekday")
    expect(which).to_be_visible()

    which.select_option(label="The last")
    days.locator("label.weekday").nth(0).click()  # untick Monday
    days.locator("label.weekday").nth(4).click()  # tick Friday
    no_horizontal_scroll(page)
    slug = device.replace(" ", "-")
    fields.locator(".cadence").screenshot(path=tmp_path / f"nth-weekday-{slug}.png")

    page.get_by_label("Start date").fill(date.today().isoformat())
    page.get_by_role("button", name="Preview the next 12 weeks").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="The next 12 weeks")).to_be_focused()
    expect(massage.locator("summary")).to_contain_text("every month on the last Friday at 10:00")
    expect(preview.locator(".timeline")).to_contain_text(
        "Deep tissue massage, every month on the last Friday")
    no_horizontal_scroll(page)
    no_axe_violations(page)
    preview.locator(".timeline > li").last.screenshot(
        path=tmp_path / f"nth-weekday-timeline-{slug}.png")
    context.close()
