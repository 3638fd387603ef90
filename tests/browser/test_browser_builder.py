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


# --- the builder, smooth: parts swapped, values typed meanwhile kept -----------------------


def log_in_therapist(page: Page, live_server) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("therapist@example.com")
    page.get_by_label("Password").fill("sciatica-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


class Held:
    """Builder posts whose body has ``marker``, held until released: a round trip as slow as
    the test needs (the rest, the live preview's included, go through at once)."""

    def __init__(self, page: Page, marker: str):
        self.page, self.marker, self.routes = page, marker, []
        page.route("**/plans/builder", self._route)

    def _route(self, route) -> None:
        if self.marker in (route.request.post_data or ""):
            self.routes.append(route)
        else:
            route.continue_()

    def wait(self) -> None:
        for _ in range(200):
            if self.routes:
                return
            self.page.wait_for_timeout(25)
        raise AssertionError(f"no request with {self.marker} was sent")

    def release(self) -> None:
        self.routes.pop(0).continue_()


def test_a_value_typed_while_the_technique_swap_is_on_its_way_is_saved(browser, live_server):
    """The issue's case: a foam roller set to every 2 days with fast input was saved as daily."""
    email, name = new_linked_client(browser, live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_therapist(page, live_server)
    page.goto(f"{live_server}/plans/new?template=acute-therapist-led")
    improving = page.locator("#phases-1")
    improving.get_by_role("button", name="Add an item").click()
    new_row = page.locator("#phases-1-items-8-row")
    technique = new_row.get_by_label("Technique", exact=True)
    expect(technique).to_be_focused()  # the added item takes focus

    held = Held(page, "action=refresh-item-1-8")
    technique.select_option(label="Foam roller")
    held.wait()  # the item's own round trip is on its way...
    interval = new_row.get_by_label("Repeat every")
    interval.click()
    interval.press("Control+a")
    interval.press_sequentially("2")  # ...and the therapist types on
    summary = new_row.locator(".item-summary")
    expect(summary).to_have_text("every 2 days")  # at once, before any answer
    expect(new_row.locator(".item-title")).to_have_text("Foam roller")
    held.release()
    # The answer is in: the technique's dose filled in, the typed interval kept, still focused.
    expect(new_row.get_by_label("Minutes")).to_have_value("3")
    expect(interval).to_have_value("2")
    expect(interval).to_be_focused()
    expect(summary).to_have_text("every 2 days · 3 min")
    expect(page.locator("#preview")).to_contain_text("every 2 days: Foam roller 3 min")
    page.unroute("**/plans/builder")

    page.get_by_label("Start date").fill(date.today().isoformat())
    page.get_by_label("Client", exact=True).select_option(label=name)
    page.get_by_role("button", name="Assign to client").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    (spec,) = live_server.rows(
        "SELECT r.spec FROM planrevision r JOIN plan p ON p.id = r.plan_id "
        "JOIN user u ON u.id = p.client_id WHERE u.email = ?", email)
    roller = json.loads(spec[0])["phases"][1]["items"][8]
    assert roller["technique"] == "foam-roller"
    assert roller["cadence"] == {"kind": "every_n_days", "interval": 2, "weekdays": [],
                                 "anchor": "calendar"}
    assert roller["dose"]["minutes"] == 3
    context.close()


def test_a_technique_chosen_the_moment_its_item_arrives_still_fills_the_dose(browser,
                                                                             live_server):
    """What a swap brings is live at once: a select changed in the very task that added its
    item (before any timer could run) still sends its request. With htmx's default 20 ms
    settle delay the new select was not wired yet and the change was lost (a CI failure)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_therapist(page, live_server)
    page.goto(f"{live_server}/plans/new?template=acute-therapist-led")
    page.evaluate("""() => new MutationObserver((records, observer) => {
      const select = document.getElementById("phases-1-items-8-technique");
      if (!select) return;
      observer.disconnect();
      select.value = "foam-roller";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }).observe(document.body, { childList: true, subtree: true })""")
    page.locator("#phases-1").get_by_role("button", name="Add an item").click()
    added = page.locator("#phases-1-items-8-row")
    expect(added.get_by_label("Minutes")).to_have_value("3")
    expect(added.locator(".item-title")).to_have_text("Foam roller")
    context.close()


def test_typing_in_an_item_renumbered_by_a_removal_on_its_way_lands_in_that_item(
        browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_therapist(page, live_server)
    page.goto(f"{live_server}/plans/new?template=acute-therapist-led")
    acute = page.locator("#phases-0")
    fourth = page.locator("#phases-0-items-3-row")
    title = fourth.locator(".item-title").inner_text()
    fourth.locator("summary").click()
    first = page.locator("#phases-0-items-0-row")
    first.locator("summary").click()
    held = Held(page, "action=remove-item-0-0")
    first.get_by_role("button", name="Remove", exact=False).click()
    held.wait()
    sixth = page.locator("#phases-0-items-5")
    sixth.locator("summary").click()  # opened meanwhile...
    hold = fourth.get_by_label("Hold (seconds)")
    hold.fill("45")  # ...and typed in meanwhile
    held.release()
    # The fourth item is the third now: its fields carry its new place, and the typed value.
    third = page.locator("#phases-0-items-2-row")
    expect(third.locator(".item-title")).to_have_text(title)
    expect(third.get_by_label("Hold (seconds)")).to_have_value("45")
    expect(third.get_by_label("Hold (seconds)")).to_be_focused()
    expect(third.locator(".item-summary")).to_contain_text("hold 45 s")
    expect(acute.locator(".item-row")).to_have_count(6)
    expect(page.locator("#phases-0-items-4")).to_have_attribute("open", "")  # the sixth, now fifth
    context.close()


SUMMARY_CASES = [
    {"cadence_kind": "every_n_days", "interval": "1"},
    {"cadence_kind": "every_n_days", "interval": "3", "hold_seconds": "30", "repetitions": "3",
     "per_side": True},
    {"cadence_kind": "weekly_days", "weekdays": [0, 2, 4], "minutes": "15", "sets": "1"},
    {"cadence_kind": "weekly_days", "weekdays": list(range(7)), "sets": "2"},
    {"cadence_kind": "weekly_days", "weekdays": []},  # not valid yet: no summary
    {"cadence_kind": "every_n_weeks", "interval": "2", "weekdays": [3],
     "time_of_day": "09:30"},
    {"cadence_kind": "every_n_weeks", "interval": "1", "weekdays": [1, 2]},  # invalid
    {"cadence_kind": "monthly", "interval": "1", "anchor": "after_done"},
    {"cadence_kind": "monthly", "interval": "4", "minutes": "60"},
    {"cadence_kind": "monthly_weekday", "interval": "1", "weekdays": [0], "ordinal": "4"},
    {"cadence_kind": "monthly_weekday", "interval": "2", "weekdays": [4], "ordinal": "-1"},
    {"cadence_kind": "every_n_days", "interval": "0"},  # out of range: no summary
    {"cadence_kind": "every_n_days", "interval": "53"},
    {"cadence_kind": "every_n_days", "interval": "", "hold_seconds": "0"},  # blank is 1
]

SET_ITEM = """([prefix, values]) => {
  const row = document.getElementById(prefix + "-row");
  for (const [name, value] of Object.entries(values)) {
    if (name === "weekdays") {
      row.querySelectorAll(`input[name="${prefix}-weekdays"]`).forEach((box) => {
        box.checked = value.includes(Number(box.value));
      });
    } else if (name === "per_side") {
      document.getElementById(`${prefix}-per_side`).checked = value;
    } else {
      document.getElementById(`${prefix}-${name}`).value = value;
    }
  }
  document.getElementById(`${prefix}-sets`).dispatchEvent(new Event("input", {bubbles: true}));
  const line = row.querySelector(".item-summary");
  return line.hidden ? "" : line.textContent;
}"""


def test_the_summary_line_says_what_the_server_says(browser, live_server):
    """builder.js words the summary line as the server does (ItemDraft.summary)."""
    from tracker.domain import builder

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_therapist(page, live_server)
    page.goto(f"{live_server}/plans/new?template=acute-therapist-led")
    prefix = "phases-0-items-0"
    blank = {"interval": "1", "weekdays": [], "anchor": "calendar", "ordinal": "1",
             "hold_seconds": "", "repetitions": "", "sets": "", "minutes": "",
             "per_side": False, "time_of_day": ""}
    for case in SUMMARY_CASES:
        values = {**blank, **case}
        shown = page.evaluate(SET_ITEM, [prefix, values])
        expected = builder.ItemDraft(**values).summary
        assert shown == expected, case
    context.close()


@pytest.mark.parametrize("screen", ["desktop", "phone", "narrow"])
def test_the_preview_sits_beside_the_form_on_a_laptop_and_below_it_on_a_phone(
        screen, browser, playwright, live_server, tmp_path):
    sizes = {"desktop": {"viewport": {"width": 1280, "height": 800}},
             "phone": {k: v for k, v in playwright.devices["Pixel 7"].items()
                       if k != "default_browser_type"},
             "narrow": {"viewport": {"width": 320, "height": 640}}}
    context = browser.new_context(**sizes[screen])
    page = context.new_page()
    log_in_therapist(page, live_server)
    page.goto(f"{live_server}/plans/new?template=acute-therapist-led")
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Week 12", exact=False)).to_be_attached()
    phases, dates = page.locator("#phases").bounding_box(), page.locator(
        ".builder-step").first.bounding_box()
    box = preview.bounding_box()
    no_horizontal_scroll(page)
    if screen == "desktop":
        assert box["x"] >= phases["x"] + phases["width"]  # beside the form
        assert box["y"] < phases["y"] + 100
        page.locator("#phases-2").scroll_into_view_if_needed()  # far down the form...
        box = preview.bounding_box()
        assert 0 <= box["y"] <= 32 and box["y"] + box["height"] <= 800  # ...still in view
        preview.get_by_role("heading", name="Week 12", exact=False).scroll_into_view_if_needed()
        assert page.evaluate("window.scrollY") > 0
    else:
        assert box["y"] >= dates["y"] + dates["height"]  # under the dates, in the form's flow
        assert abs(box["x"] - phases["x"]) < 1 and abs(box["width"] - phases["width"]) < 1
    page.screenshot(path=tmp_path / f"builder-{screen}.png")
    page.screenshot(path=tmp_path / f"builder-{screen}-full.png", full_page=True)
    no_axe_violations(page)
    context.close()


def test_without_javascript_every_button_posts_the_page(browser, live_server):
    """The same builder with JavaScript off: each button posts the form, the page comes back
    (the preview with it), and the plan is assigned as built."""
    email, name = new_linked_client(browser, live_server)
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_therapist(page, live_server)
    page.goto(f"{live_server}/plans/new?template=acute-therapist-led")
    page.locator("#phases-1").get_by_role("button", name="Add an item").click()
    row = page.locator("#phases-1-items-8-row")
    expect(row.get_by_label("Technique", exact=True)).to_be_focused()
    row.get_by_label("Technique", exact=True).select_option(label="Foam roller")
    row.get_by_role("button", name="Find").click()  # shows the item again, filled in
    expect(row.locator(".item-title")).to_have_text("Foam roller")
    expect(row.get_by_label("Minutes")).to_have_value("3")
    row.get_by_label("Repeat every").fill("2")
    page.get_by_label("Start date").fill(date.today().isoformat())
    page.get_by_role("button", name="Preview the next 12 weeks").click()
    expect(page.locator("#preview-heading")).to_be_focused()
    expect(page.locator("#preview")).to_contain_text("every 2 days: Foam roller 3 min")
    page.get_by_label("Client", exact=True).select_option(label=name)
    page.get_by_role("button", name="Assign to client").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    (spec,) = live_server.rows(
        "SELECT r.spec FROM planrevision r JOIN plan p ON p.id = r.plan_id "
        "JOIN user u ON u.id = p.client_id WHERE u.email = ?", email)
    roller = json.loads(spec[0])["phases"][1]["items"][8]
    assert (roller["technique"], roller["cadence"]["interval"]) == ("foam-roller", 2)
    context.close()
