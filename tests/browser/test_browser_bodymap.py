"""The body map on a phone (Pixel 7, issue 18): a self-guided client taps the buttocks on
the map in "Something's wrong" (and, another day, in the check-in), the box "Buttocks and
hips" ticks, the area shows hatched, and after sending, the self-care on that area pauses
while the rest of the day stays. The "How to" page shows the technique's areas. axe finds
nothing on these pages."""
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import register_with_plan
from tracker.domain import library

pytestmark = pytest.mark.browser


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def answer_all_no(page: Page) -> None:
    for flag in library.RED_FLAGS:
        page.get_by_role("group", name=flag["question"]).get_by_label("No", exact=True).check()


def tap_area(page: Page, area: str, view: int = -1) -> None:
    """A finger on the middle of the area's band on the map (the back view by default): a
    real tap at a point on the screen, not a click sent to an element."""
    target = page.locator(f".bodymap-hit--{area} .bodymap-target").nth(view)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48  # a thumb-sized target
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def hatched(page: Page, area: str) -> bool:
    return page.locator(f".bodymap-hit--{area} .bodymap-mark").first.evaluate(
        "el => getComputedStyle(el).visibility") == "visible"


def test_tapping_the_buttocks_on_the_map_pauses_that_areas_self_care(page: Page, live_server,
                                                                      tmp_path):
    register_with_plan(page, live_server, "bo@example.org", "Bo Bodymap")
    page.goto(f"{live_server}/today")
    names = page.locator("ul.items .item-name")
    expect(names.first).to_be_visible()
    before = names.all_inner_texts()
    assert {"Piriformis stretch", "Seated forward bend", "Heat before self-massage"} <= set(before)

    page.get_by_role("main").get_by_role("link", name="Something's wrong").click()
    expect(page.get_by_role("heading", name="Something's wrong?")).to_be_visible()
    answer_all_no(page)
    page.get_by_label("Swelling").check()
    buttocks = page.get_by_label("Buttocks and hips")
    expect(buttocks).not_to_be_checked()
    assert not hatched(page, "glutes_hips")
    tap_area(page, "glutes_hips")
    expect(buttocks).to_be_checked()
    assert hatched(page, "glutes_hips") and not hatched(page, "lower_back")
    # A second tap takes it back, as on the box; a third puts it on again.
    tap_area(page, "glutes_hips", view=0)  # the front view's hips
    expect(buttocks).not_to_be_checked()
    assert not hatched(page, "glutes_hips")
    tap_area(page, "glutes_hips")
    expect(buttocks).to_be_checked()
    for other in ("Lower back", "Thighs (back of the leg)", "Calves and feet",
                  "Upper back, neck or shoulders"):
        expect(page.get_by_label(other)).not_to_be_checked()
    no_horizontal_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "something-wrong-map.png", full_page=True)
    page.get_by_role("button", name="Send answers").click()

    expect(page.get_by_role("heading",
                            name="Massage and self-care on that area are paused")).to_be_visible()
    expect(page.get_by_text("(buttocks and hips)")).to_be_visible()
    expect(page.get_by_role("img", name="Where it is paused")).to_be_visible()
    no_axe_violations(page)

    # Today: the stretches and self-massage on the buttocks are paused; the seated forward
    # bend (thighs and lower back) is still there.
    page.goto(f"{live_server}/today")
    expect(page.get_by_role("heading",
                            name="Massage and self-care on that area are paused")).to_be_visible()
    expect(names).to_have_text(["Seated forward bend"])
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "today-paused.png", full_page=True)


def test_the_check_in_map_ticks_the_same_box(page: Page, live_server, tmp_path):
    register_with_plan(page, live_server, "cy@example.org", "Cy Checkin")
    page.goto(f"{live_server}/checkin")
    tap_area(page, "lower_legs")
    expect(page.get_by_label("Calves and feet")).to_be_checked()
    assert hatched(page, "lower_legs")
    # The keyboard still works on the boxes themselves, and the map follows.
    page.get_by_label("Upper back, neck or shoulders").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Upper back, neck or shoulders")).to_be_checked()
    assert hatched(page, "upper_body")
    no_horizontal_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "checkin-map.png", full_page=True)
    # At 360 px every area's target is still thumb-sized; at 320 px nothing spills sideways.
    page.set_viewport_size({"width": 360, "height": 800})
    for target in page.locator(".bodymap-target").all():
        box = target.bounding_box()
        assert box["width"] >= 48 and box["height"] >= 48, box
    page.set_viewport_size({"width": 320, "height": 640})
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "checkin-map-320.png", full_page=True)


def test_how_to_shows_where_the_technique_works(page: Page, live_server, tmp_path):
    register_with_plan(page, live_server, "di@example.org", "Di Howto")
    page.goto(f"{live_server}/library")
    page.get_by_role("link", name="Foam roller").first.click()
    figure = page.get_by_role("img", name="Where on the body it works")
    expect(figure).to_be_visible()
    expect(page.get_by_text("Works on: Lower back, Buttocks and hips, Thighs (back of the leg)"))\
        .to_be_visible()
    no_horizontal_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "howto-map.png", full_page=True)
