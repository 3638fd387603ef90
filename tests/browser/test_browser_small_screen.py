"""The smallest phone (iPhone SE, 320 px wide): tab labels, fieldset headings, chart text."""
import pytest
from playwright.sync_api import Page

from tests.conftest import log_in

pytestmark = pytest.mark.browser

CLIENT_PAGES = ("/today", "/plan", "/progress", "/messages", "/library", "/settings")

# How many lines each tab label's text takes (a label is the link's last text node, or the
# first in its .nav-label: the Messages tab's unread count comes after it).
LABEL_LINES_JS = """
() => [...document.querySelectorAll('.bottom-nav a')].map(a => {
  const label = a.querySelector('.nav-label')?.firstChild
    ?? [...a.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).pop();
  const range = document.createRange();
  range.selectNodeContents(label);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return [label.textContent.trim(), tops.size];
})
"""


@pytest.fixture(scope="module")
def iphone_se(browser, playwright, live_server):
    """A page on an iPhone SE (320 x 568), logged in as the demo client: once for the
    module (the tests only read, and logins per account are rate-limited)."""
    device = {k: v for k, v in playwright.devices["iPhone SE"].items()
              if k != "default_browser_type"}
    context = browser.new_context(**device)
    page = context.new_page()
    log_in(page, live_server, "client@example.com", "sciatica-demo")
    page.wait_for_url("**/today")
    yield page
    context.close()


@pytest.mark.parametrize("path", CLIENT_PAGES)
def test_each_tab_label_stays_on_one_line_at_320_px(iphone_se: Page, live_server, path,
                                                    tmp_path):
    """Every page lights its own tab (bold), the widest a label gets: none may wrap."""
    iphone_se.goto(f"{live_server}{path}")
    assert iphone_se.viewport_size["width"] == 320
    assert iphone_se.locator(".bottom-nav a[aria-current=page]").count() == 1
    lines = iphone_se.evaluate(LABEL_LINES_JS)
    assert lines == [[label, 1] for label, _ in lines]
    assert [label for label, _ in lines] == ["Today", "Plan", "Progress", "Messages",
                                              "Library", "Settings"]
    iphone_se.screenshot(path=tmp_path / f"nav{path.replace('/', '-')}.png")


def test_a_multi_line_question_sits_inside_its_box_at_320_px(iphone_se: Page, live_server):
    """The safety page's questions wrap to several lines at 320 px; the fieldset's border
    runs above each one, not through it."""
    iphone_se.goto(f"{live_server}/checkin/safety")
    boxes = iphone_se.evaluate("""
      () => [...document.querySelectorAll('fieldset.field > legend')].map(l => {
        const box = l.parentElement, f = box.getBoundingClientRect();
        const r = l.getBoundingClientRect(), border = getComputedStyle(box).borderTopWidth;
        return [r.height, r.top - f.top - parseFloat(border)];
      })
    """)
    assert boxes and any(height > 40 for height, _ in boxes)  # some do wrap
    assert all(gap >= 0 for _, gap in boxes), boxes


def test_chart_text_is_at_least_11_px_at_320_px(iphone_se: Page, live_server, tmp_path):
    """The charts are drawn at the card's width (about 254 px here): their text, 12 units
    of a 360-unit viewBox, would be 8.5 px; the stylesheet makes it at least 11 px."""
    iphone_se.goto(f"{live_server}/progress")
    sizes = iphone_se.evaluate("""
      () => [...document.querySelectorAll('figure.chart svg text')].map(
        t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize))
    """)
    assert sizes and min(sizes) >= 11, sizes
    iphone_se.screenshot(path=tmp_path / "progress.png", full_page=True)
