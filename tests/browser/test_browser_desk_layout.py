"""The desk layout in a real browser, at 1280 x 800 and on a Pixel 7: nothing overflows; the
navigation is a column on the left of the wide screen and a bar at the bottom of the
phone; the roster is a table there and cards here, sorts by a column and searches; a
client's page has two columns side by side on the wide screen only."""
import secrets
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import log_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
DEVICES = ["desktop", "pixel"]
CLIENT_PAGES = ["/today", "/plan", "/progress", "/settings"]
COLUMNS = ["Name", "Flags", "Adherence (14 days)", "Last check-in", "Leg pain", "Function", "Phase",
           "Next session", "Archive"]


def device_args(playwright, which: str) -> dict:
    if which == "desktop":
        return {**DESKTOP, "service_workers": "block"}
    pixel = {k: v for k, v in playwright.devices["Pixel 7"].items()
             if k != "default_browser_type"}
    return {**pixel, "service_workers": "block"}


@pytest.fixture(scope="module")
def pages(browser, playwright, live_server):
    """A signed-in page per (device, demo account), made once for the module: the tests
    only read the demo accounts."""
    made, contexts = {}, []
    for which in DEVICES:
        for who, email in (("therapist", "therapist@example.com"),
                           ("client", "client@example.com")):
            context = browser.new_context(**device_args(playwright, which))
            contexts.append(context)
            page = context.new_page()
            log_in(page, live_server, email, "sciatica-demo")
            page.wait_for_url(lambda url: "/login" not in url)
            made[which, who] = page
    yield made
    for context in contexts:
        context.close()


def demo_client_id(live_server) -> int:
    [(client_id,)] = live_server.rows("SELECT id FROM user WHERE email = 'client@example.com'")
    return client_id


def fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


def axe_clean(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


# --- nothing overflows, on either screen ---------------------------------------------------


@pytest.mark.parametrize("which", DEVICES)
@pytest.mark.parametrize("path", CLIENT_PAGES)
def test_client_pages_fit(pages, live_server, which, path, tmp_path):
    page = pages[which, "client"]
    page.goto(f"{live_server}{path}")
    fits(page)
    page.screenshot(path=tmp_path / f"{which}{path.replace('/', '-')}.png", full_page=True)


@pytest.mark.parametrize("which", DEVICES)
@pytest.mark.parametrize("path", ["/clients", "/clients/{id}", "/settings"])
def test_therapist_pages_fit(pages, live_server, which, path, tmp_path):
    page = pages[which, "therapist"]
    page.goto(f"{live_server}{path.format(id=demo_client_id(live_server))}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fits(page)
    page.screenshot(path=tmp_path / f"{which}-therapist.png", full_page=True)


# --- the layouts differ as described ------------------------------------------------------


@pytest.mark.parametrize("who", ["therapist", "client"])
def test_the_navigation_is_a_side_column_on_a_wide_screen(pages, live_server, who):
    page = pages["desktop", who]
    page.goto(f"{live_server}/settings")
    nav, main = box(page, "nav.app-nav"), box(page, "main")
    view = page.viewport_size
    assert nav["x"] == 0 and nav["width"] < 260  # a column on the left...
    assert nav["height"] >= view["height"] - 56 - 1  # ...from under the top bar down
    assert main["x"] >= nav["x"] + nav["width"]  # the page beside it, not under it
    links = page.locator("nav.app-nav a")
    first, last = links.first.bounding_box(), links.last.bounding_box()
    assert last["y"] > first["y"] and last["x"] == first["x"]  # the links one above another
    expect(page.locator("nav.app-nav a[aria-current=page]")).to_contain_text("Settings")
    assert main["width"] > 608  # not a phone's column


@pytest.mark.parametrize("who", ["therapist", "client"])
def test_the_navigation_is_a_bottom_bar_on_a_phone(pages, live_server, who):
    page = pages["pixel", who]
    page.goto(f"{live_server}/settings")
    nav = box(page, "nav.app-nav")
    view = page.viewport_size
    assert nav["x"] == 0 and nav["width"] == view["width"]  # across the screen...
    assert abs(nav["y"] + nav["height"] - view["height"]) <= 1  # ...at its bottom
    links = page.locator("nav.app-nav a")
    first, last = links.first.bounding_box(), links.last.bounding_box()
    assert last["y"] == first["y"] and last["x"] > first["x"]  # the links side by side
    assert first["height"] >= 48


def test_the_roster_is_a_table_on_a_wide_screen(pages, live_server):
    page = pages["desktop", "therapist"]
    page.goto(f"{live_server}/clients")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(COLUMNS)
    row = table.locator("tr", has=page.get_by_role("link", name="Demo Client"))
    cells = [row.locator(f".col-{key}").bounding_box() for key in ("name", "flags", "pain")]
    assert cells[0]["y"] == cells[1]["y"] == cells[2]["y"]  # one line, side by side
    assert cells[0]["x"] < cells[1]["x"] < cells[2]["x"]
    expect(row.locator(".col-pain svg.sparkline")).to_be_visible()
    assert row.locator(".col-pain svg.sparkline").get_attribute("aria-label").startswith(
        "Leg pain, last 14 days: ")
    expect(page.get_by_label("Sort by")).to_be_hidden()  # the headers sort here


def test_the_roster_is_cards_on_a_phone(pages, live_server, tmp_path):
    page = pages["pixel", "therapist"]
    page.goto(f"{live_server}/clients")
    expect(page.locator("thead")).to_be_hidden()
    row = page.locator("tr", has=page.get_by_role("link", name="Demo Client"))
    card, name, pain = (row.bounding_box(), row.locator(".col-name").bounding_box(),
                        row.locator(".col-pain").bounding_box())
    assert card["width"] >= page.viewport_size["width"] - 40  # the screen's width
    assert pain["y"] > name["y"]  # figures under the name, not beside it
    expect(row.locator(".col-pain")).to_contain_text("Leg pain")  # each under its label
    page.get_by_text("Sort: flagged first, then name").click()
    expect(page.get_by_label("Sort by")).to_be_visible()
    axe_clean(page)
    page.screenshot(path=tmp_path / "roster-cards.png", full_page=True)


def test_a_client_page_has_two_columns_on_a_wide_screen_only(pages, live_server, tmp_path):
    url = f"{live_server}/clients/{demo_client_id(live_server)}"
    desk = pages["desktop", "therapist"]
    desk.goto(url)
    record, now, actions, history = (box(desk, f".client-{b}")
                                     for b in ("record", "now", "actions", "history"))
    # side by side: the record on the left, what needs doing on the right, overlapping rows
    assert record["x"] + record["width"] <= now["x"] and now["x"] == actions["x"]
    assert actions["y"] < record["y"] + record["height"]
    assert now["y"] == record["y"]
    assert history["x"] == record["x"] and history["y"] >= record["y"] + record["height"]
    desk.screenshot(path=tmp_path / "client-desktop.png", full_page=True)

    phone = pages["pixel", "therapist"]
    phone.goto(url)
    record, now, actions, history = (box(phone, f".client-{b}")
                                     for b in ("record", "now", "actions", "history"))
    # one column: what needs a look now (empty when nothing does), the record, the actions,
    # then the history
    assert now["x"] == record["x"] == actions["x"] == history["x"]
    assert now["y"] + now["height"] <= record["y"] < actions["y"] < history["y"]
    assert record["width"] >= phone.viewport_size["width"] - 40


# --- sorting and searching the roster in the browser ----------------------------------------


@pytest.fixture
def desk(browser, playwright, live_server):
    """A new therapist (signed in at 1280 x 800) with three new clients whose leg pain today
    is 3, 8 and 5: Ada, Bram, Cleo (each name with this test's suffix). At the end, the
    page logged no error (a CSP violation is one)."""
    suffix = secrets.token_hex(3)
    context = browser.new_context(**device_args(playwright, "desktop"))
    page = context.new_page()
    register(page, live_server, f"desk-{suffix}@example.org", f"Tess {suffix}", therapist=True)
    [(therapist_id,)] = live_server.rows("SELECT id FROM user WHERE email = ?",
                                         f"desk-{suffix}@example.org")
    names = {}
    for first, pain in (("Ada", 3), ("Bram", 8), ("Cleo", 5)):
        email, name = f"{first.lower()}-{suffix}@example.org", f"{first} {suffix}"
        client_page = browser.new_context().new_page()
        register(client_page, live_server, email, name)
        client_page.context.close()
        [(client_id,)] = live_server.rows("SELECT id FROM user WHERE email = ?", email)
        live_server.rows("INSERT INTO carelink (therapist_id, client_id, created_at, active, "
                         "archived) VALUES (?, ?, '2026-01-01', 1, 0)", therapist_id, client_id)
        today = date.today()  # the client's zone is UTC; a day either way is still a reading
        for day in (today - timedelta(days=1), today):
            live_server.rows(
                "INSERT INTO checkin (client_id, day, back_pain, leg_pain, numbness, weakness, "
                "note, red_flags, contraindications, soreness, created_at, updated_at) "
                "VALUES (?, ?, 1, ?, 0, 0, '', '[]', '[]', 0, '2026-01-01', '2026-01-01')",
                client_id, day.isoformat(), pain)
        names[first] = name
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/clients")
    yield page, names
    assert errors == []
    context.close()


def register(page: Page, base: str, email: str, name: str, therapist: bool = False) -> None:
    page.goto(f"{base}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Password").fill("a long enough password")
    if therapist:
        page.get_by_label("A therapist").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/register" not in url)


def row_names(page: Page) -> list[str]:
    return page.locator("tbody .col-name a").all_inner_texts()


def test_sorting_the_roster_by_a_column(desk, live_server):
    page, names = desk
    assert row_names(page) == [names["Ada"], names["Bram"], names["Cleo"]]
    pain = page.get_by_role("columnheader", name="Leg pain")
    expect(pain).not_to_have_attribute("aria-sort", "descending")
    pain.get_by_role("link").click()  # worst first
    expect(page).to_have_url(f"{live_server}/clients?sort=pain&dir=desc")
    expect(page.get_by_role("columnheader", name="Leg pain")).to_have_attribute(
        "aria-sort", "descending")
    assert row_names(page) == [names["Bram"], names["Cleo"], names["Ada"]]
    page.get_by_role("columnheader", name="Leg pain").get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="Leg pain")).to_have_attribute(
        "aria-sort", "ascending")
    assert row_names(page) == [names["Ada"], names["Cleo"], names["Bram"]]
    page.get_by_role("columnheader", name="Name").get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="Name")).to_have_attribute(
        "aria-sort", "ascending")
    expect(page.get_by_role("columnheader", name="Leg pain")).not_to_have_attribute(
        "aria-sort", "ascending")
    fits(page)
    axe_clean(page)


def test_searching_the_roster_live_and_keeping_the_order(desk, live_server):
    page, names = desk
    page.get_by_role("columnheader", name="Leg pain").get_by_role("link").click()
    expect(page).to_have_url(f"{live_server}/clients?sort=pain&dir=desc")
    search = page.get_by_label("Search clients")
    # (the names end in hex digits, so the searches use letters that are not among them)
    search.press_sequentially("cle", delay=30)
    expect(page.locator("tbody .col-name a")).to_have_text([names["Cleo"]])
    expect(page.locator("#roster-count")).to_have_text("1 client matches “cle”.")
    expect(search).to_be_focused()  # only the results were swapped
    expect(page).to_have_url(f"{live_server}/clients?q=cle&sort=pain&dir=desc")
    suffix = names["Ada"].split()[1]
    search.fill(suffix)  # all three, still worst pain first
    expect(page.locator("tbody .col-name a")).to_have_text(
        [names["Bram"], names["Cleo"], names["Ada"]])
    search.fill("nobody here")
    expect(page.locator("#roster-count")).to_have_text(
        "No clients match “nobody here”. Search by name or email.")
    expect(page.get_by_role("table")).to_have_count(0)


def test_searching_the_roster_without_javascript(browser, playwright, desk, live_server):
    page, names = desk
    cookies = page.context.cookies()
    context = browser.new_context(**device_args(playwright, "desktop"),
                                  java_script_enabled=False)
    context.add_cookies(cookies)
    plain = context.new_page()
    plain.goto(f"{live_server}/clients")
    plain.get_by_label("Search clients").fill("Ada")
    plain.get_by_role("button", name="Search").click()
    expect(plain).to_have_url(f"{live_server}/clients?q=Ada&sort=&dir=asc")
    expect(plain.locator("tbody .col-name a")).to_have_text([names["Ada"]])
    context.close()
