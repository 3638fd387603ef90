"""Technique figures in a real browser on a phone (Pixel 7): small on /today, a tap (or the
keyboard) opens them large, reduced motion shows the poses side by side, the hold timer
shows the pose of its phase, the How-to pages are kept offline, the handout prints on two
pages at most, and axe finds nothing on the pages with figures. Demo accounts, read only."""
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import log_in

pytestmark = pytest.mark.browser
CLIENT, THERAPIST, PASSWORD = "client@example.com", "therapist@example.com", "sciatica-demo"


@pytest.fixture
def client_today(page: Page, live_server):
    log_in(page, live_server, CLIENT, PASSWORD)
    page.goto(f"{live_server}/today")
    return page


def test_figures_show_small_on_today_and_a_tap_opens_them_large(client_today: Page, tmp_path):
    page = client_today
    links = page.locator("a.item-figure")
    count = links.count()
    assert count == page.locator("li.item").count() >= 6
    width = page.viewport_size["width"]
    for i in range(count):
        box = links.nth(i).bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48  # a finger's target
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        expect(links.nth(i).locator("svg.figure")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    small = links.first.locator("svg.figure").bounding_box()
    page.screenshot(path=tmp_path / "today.png", full_page=True)

    links.first.tap()
    expect(page).to_have_url(re.compile(r"/library/\d+#figure$"))
    large = page.locator("#figure svg.figure")
    expect(large).to_be_visible()
    assert large.bounding_box()["width"] > 2 * small["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_small_figure_opens_from_the_keyboard_with_a_name(client_today: Page):
    page = client_today
    link = page.get_by_role("link", name="Pictures of Piriformis stretch, larger")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/library/\d+#figure$"))
    figure = page.locator("#figure").get_by_role("img")
    expect(figure).to_have_accessible_name(re.compile("Piriformis stretch"))


def test_reduced_motion_shows_the_key_poses_side_by_side(client_today: Page):
    page = client_today
    page.emulate_media(reduced_motion="reduce")
    page.get_by_role("link", name="Pictures of Piriformis stretch, larger").click()
    # tracker/domain/figures: the key poses (.fig-stills, one group each) drawn side by side
    # inside the same <svg>, the animation (.fig-anim) hidden.
    poses = page.locator("#figure svg.figure .fig-stills > g")
    names = page.locator("#figure figcaption .pose-name")
    expect(page.locator("#figure svg.figure .fig-anim")).to_be_hidden()
    assert poses.count() == names.count() >= 2
    boxes = [poses.nth(i).bounding_box() for i in range(poses.count())]
    for box in boxes:
        assert box and box["width"] > 0 and box["height"] > 0
    # Laid out beside each other (two to a row), never on top of each other.
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1
                     or a["y"] + a["height"] <= b["y"] + 1 or b["y"] + b["height"] <= a["y"] + 1)
            assert apart, (a, b)


def test_the_hold_timer_shows_the_pose_of_each_phase(client_today: Page):
    page = client_today
    item = page.locator("#item-piriformis")
    poses = item.locator(".timer-pose")
    expect(item.locator(".timer-poses")).to_be_hidden()
    item.get_by_role("button", name="Start timer for Piriformis stretch").click()
    expect(item.locator(".timer .status")).to_have_text("Hold: 1 of 3, left side")
    expect(item.locator(".timer-poses")).to_be_visible()
    visible = [i for i in range(poses.count()) if poses.nth(i).is_visible()]
    assert len(visible) == 1
    assert poses.nth(visible[0]).get_attribute("data-role") in ("hold-left", "hold")
    expect(poses.nth(visible[0]).get_by_role("img")).to_be_visible()
    pose = poses.nth(visible[0]).bounding_box()
    count = item.locator(".timer .status").bounding_box()
    assert pose["y"] + pose["height"] <= count["y"] + 1  # the pose, then the count under it
    item.get_by_role("button", name="Stop timer").click()
    expect(item.locator(".timer-poses")).to_be_hidden()


def test_how_to_pages_linked_from_today_work_offline(page: Page, context: BrowserContext,
                                                     live_server):
    log_in(page, live_server, CLIENT, PASSWORD)
    page.goto(f"{live_server}/today")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    how_to = page.locator("a.item-figure").first.get_attribute("href").split("#")[0]
    # The worker stores the linked How-to pages without their being opened.
    page.wait_for_function(
        """async (path) => {
             for (const name of await caches.keys()) {
               if (!name.startsWith("pages-")) continue;
               const cache = await caches.open(name);
               if (await cache.match(new URL(path, location.origin).href)) return true;
             }
             return false;
           }""", arg=how_to, timeout=10000)
    context.set_offline(True)
    try:
        page.goto(f"{live_server}{how_to}#figure")
        expect(page.locator("#figure svg.figure")).to_be_visible()
    finally:
        context.set_offline(False)


def _pdf_pages(page: Page) -> int:
    pdf = page.pdf(format="A4", print_background=True)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_acute_plan_handout_prints_on_two_pages_at_most(page: Page, live_server,
                                                             tmp_path):
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
            else None)
    log_in(page, live_server, CLIENT, PASSWORD)
    page.goto(f"{live_server}/plan")
    page.get_by_role("link", name="Print handout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Client: self-care at home")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    items = page.locator(".handout-item")
    assert items.count() >= 6
    assert page.locator(".handout-item svg.figure").count() == items.count()
    page.screenshot(path=tmp_path / "handout.png", full_page=True)
    assert 1 <= _pdf_pages(page) <= 2
    page.emulate_media(media="print")
    expect(page.locator("nav").first).to_be_hidden()  # the app's navigation is not printed
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    assert refused == []  # figures and the Print button within the strict CSP


def test_the_therapist_prints_the_same_handout_from_the_client_page(page: Page, live_server):
    log_in(page, live_server, THERAPIST, PASSWORD)
    page.goto(f"{live_server}/clients")
    page.get_by_role("link", name="Demo Client").first.click()
    page.get_by_role("link", name="Print self-care handout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Client: self-care at home")
    assert 1 <= _pdf_pages(page) <= 2


@pytest.mark.parametrize("path", ["/today", "how-to", "/plan/handout"])
def test_pages_with_figures_have_no_axe_violations(client_today: Page, live_server, path):
    from axe_playwright_python.sync_playwright import Axe

    page = client_today
    if path == "how-to":
        page.locator("a.item-figure").first.click()
    else:
        page.goto(f"{live_server}{path}")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
