"""Text contrast of every visible control on every page, with every <details> opened.

axe skips what isn't rendered, so the destructive buttons inside closed <details> (archive a
client, end a link, remove a device) once showed red text on red unseen. This test opens
them all, then computes each control's WCAG contrast from its computed styles.
"""
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.conftest import log_in

pytestmark = pytest.mark.browser

# Not pages (feeds, files, scripts) or pages that change something when visited.
SKIP = re.compile(r"\.ics$|^/static/|^/sw\.js$|^/manifest|^/offline/session|^/logout|/unsubscribe")
MAX_PAGES = 40

# The text colour of each visible control against the first opaque background behind it.
CONTRAST_JS = """
() => {
  const parse = c => {
    const m = c.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3]));
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    return layers.reverse().reduce((acc, l) => over(l, acc), [255, 255, 255]);
  };
  const out = [];
  for (const el of document.querySelectorAll("button, a, input, select, summary")) {
    const cs = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || cs.visibility === "hidden" || el.disabled) continue;
    const unlabelled = ["hidden", "checkbox", "radio", "range", "color"];
    if (el.tagName === "INPUT" && unlabelled.includes(el.type)) continue;
    if (!(el.innerText || el.value || "").trim()) continue;
    let hidden = false;
    for (let e = el; e; e = e.parentElement) if (getComputedStyle(e).opacity === "0") hidden = true;
    if (hidden) continue;
    const bg = background(el);
    const fg = over(parse(cs.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const text = (el.innerText || el.value).trim().slice(0, 40);
    const tag = el.tagName.toLowerCase();
    if (ratio < need) out.push(`${tag} "${text}" ${ratio.toFixed(2)} < ${need}`);
  }
  return out;
}
"""


def low_contrast_controls(page: Page, start: str) -> dict[str, list[str]]:
    """Visit every page reachable by links from ``start`` (one per path shape: /clients/1
    stands for /clients/2), open every <details>, and list the controls below contrast."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    todo, seen_shapes, found, visited = [start], set(), {}, 0
    while todo and visited < MAX_PAGES:
        path = todo.pop(0)
        shape = re.sub(r"\d+", "N", path)
        if shape in seen_shapes or SKIP.search(path):
            continue
        seen_shapes.add(shape)
        response = page.goto(origin + path)
        visited += 1
        if response is None or response.status != 200 or "html" not in response.headers.get(
                "content-type", ""):
            continue
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        bad = page.evaluate(CONTRAST_JS)
        if bad:
            found[path] = bad
        for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" == origin:
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert visited >= 5, f"only {visited} pages reached from {start}"
    return found


@pytest.mark.parametrize(("email", "start"), [
    ("client@example.com", "/today"),
    ("therapist@example.com", "/clients"),
], ids=["client", "therapist"])
def test_every_control_on_every_page_has_readable_text(page: Page, live_server, email, start):
    log_in(page, live_server, email, "sciatica-demo")
    page.wait_for_url(re.compile(r"/(today|clients|home|plan)"))
    assert low_contrast_controls(page, start) == {}
