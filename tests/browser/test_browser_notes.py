"""Session notes and the printable summary in a real browser: a note shared with the client
shows on the client's page; the summary prints on one A4 and one Letter page."""
import email
import email.policy
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, new_app

pytestmark = pytest.mark.browser

DEMO_THERAPIST = "therapist@example.com"
DEMO_PASSWORD = "sciatica-demo"
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # a page, not the /Pages tree


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def no_axe_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def pdf_pages(pdf: bytes) -> int:
    return len(PAGE_OBJECT.findall(pdf))


def _twelve_weeks(live_server, tmp_path) -> dict:
    """A therapist and a client with 12 weeks of a therapist-led plan: daily check-ins, most
    items done, a warning sign (resolved), and several long shared notes. Written with the
    store into the live server's database (WAL: the server keeps serving)."""
    from tracker.domain import library, schedule
    from tracker.store import checkins, notes, plans, safety_reports
    from tracker.store.db import database
    from tracker.store.models import CareLink, CheckIn, CheckOff, User

    tag = uuid.uuid4().hex[:6]
    new_app({"DATABASE_URL": f"sqlite:///{live_server.db_path}",
             "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    with database.connection_context():
        therapist = User.create_account(f"pat-{tag}@example.org", "Pat Long", PASSWORD,
                                        "therapist", "Europe/London")
        client = User.create_account(f"rosa-{tag}@example.org", "Rosa Twelve", PASSWORD,
                                     "client", "Europe/London")
        CareLink.create(therapist=therapist, client=client)
        today = plans.local_today(client)
        start = plans.monday_of(today) - timedelta(weeks=12)
        plan = plans.assign(client, library.template("acute-therapist-led")["spec"], start,
                            therapist=therapist, title="Acute sciatica, therapist-led")
        for n, day in enumerate(start + timedelta(days=i) for i in range((today - start).days)):
            CheckIn.create(client=client, day=day, back_pain=max(1, 6 - n // 14),
                           leg_pain=max(2, 8 - n // 12), note="")
        done = [o for o in schedule.occurrences(plans.plan_input(plan), start,
                                                today - timedelta(days=1))]
        for i, o in enumerate(done):
            if i % 5:
                CheckOff.create(plan=plan, item_key=o.item.key, day=o.date)
        answers = {flag["key"]: False for flag in library.RED_FLAGS}
        checkins.record_safety_answers(client, start + timedelta(days=20),
                                       {**answers, "fever": True})
        safety_reports.resolve(client, therapist, start + timedelta(days=21))
        sessions = [o for o in done if o.item.is_session][-7:]
        for o in sessions:
            notes.write(plan, therapist, o.item.key, o.date,
                        done="Deep tissue work on the lower back and glutes, then trigger "
                             "points along the piriformis and a long myofascial release of "
                             "the hamstrings; stretches taught again at the end.",
                        areas="Lower back, left glute, left hamstring", pressure="firm",
                        response="Leg pain eased from 6 to 4 during the session; a little "
                                 "sore the next day, as expected, and sleeping better.",
                        shared=True)
    database.close()
    return {"therapist": therapist.email, "client": client.id, "client_email": client.email}


def _assert_one_page(page: Page, url: str, tmp_path, name: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Progress summary")
    page.emulate_media(media="print")
    # To look at: the page as printed on A4 (210 mm less 2 x 12 mm margins, 96 px an inch).
    viewport = page.viewport_size
    page.set_viewport_size({"width": 703, "height": 1032})
    page.screenshot(path=tmp_path / f"{name}-print-a4.png", full_page=True)
    page.set_viewport_size(viewport)
    for size in ("A4", "Letter"):
        pdf = page.pdf(format=size, print_background=True)
        (tmp_path / f"{name}-{size}.pdf").write_bytes(pdf)
        assert pdf_pages(pdf) == 1, f"{name} on {size}: {pdf_pages(pdf)} pages"
    page.emulate_media(media="screen")


def test_the_demo_clients_summary_prints_on_one_page(page: Page, live_server, tmp_path):
    log_in(page, live_server, DEMO_THERAPIST, DEMO_PASSWORD)
    page.goto(f"{live_server}/clients")
    page.get_by_role("link", name=re.compile("Demo Client")).first.click()
    page.get_by_role("link", name="Printable summary").click()
    _assert_one_page(page, page.url, tmp_path, "demo")


def test_a_shared_note_reaches_the_client_and_twelve_weeks_print_on_one_page(
        page: Page, browser, browser_context_args, live_server, tmp_path):
    world = _twelve_weeks(live_server, tmp_path)
    log_in(page, live_server, world["therapist"])
    page.goto(f"{live_server}/clients/{world['client']}")
    notes = page.locator("#session-notes")
    expect(notes.get_by_role("heading", name="Session notes")).to_be_visible()
    no_horizontal_scroll(page)

    # The therapist writes a note on the latest session without one and shares it.
    notes.get_by_role("link", name="Write a session note").click()
    expect(page.get_by_role("heading", name="Session note for Rosa Twelve")).to_be_visible()
    page.get_by_label("Session").select_option(index=1)
    page.get_by_label("What was done").fill("Swedish massage, gentle: NOTE-FOR-ROSA")
    page.get_by_label("Areas").fill("Lower back")
    page.get_by_label("Moderate").check()
    page.get_by_label("Response").fill("Relaxed, less tingling afterwards")
    page.get_by_label("Share this note with Rosa Twelve").check()
    no_horizontal_scroll(page)
    viewport = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 800})  # the smallest phone: nothing breaks
    no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "note-form-320.png", full_page=True)
    page.set_viewport_size(viewport)
    no_axe_violations(page)
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Note saved and shared with Rosa Twelve.")).to_be_visible()
    expect(page.locator("#session-notes").get_by_text("NOTE-FOR-ROSA")).to_be_visible()
    page.locator("#session-notes").screenshot(path=tmp_path / "client-page-notes.png")
    no_axe_violations(page)

    # The client reads it on their progress page, on their own phone.
    context = browser.new_context(**browser_context_args)
    phone = context.new_page()
    log_in(phone, live_server, world["client_email"])
    phone.goto(f"{live_server}/progress")
    shared = phone.locator("#session-notes")
    expect(shared.get_by_role("heading", name="Notes from your sessions")).to_be_visible()
    expect(shared.get_by_text("Swedish massage, gentle: NOTE-FOR-ROSA")).to_be_visible()
    expect(shared.get_by_text("Relaxed, less tingling afterwards")).to_be_visible()
    no_horizontal_scroll(phone)
    shared.screenshot(path=tmp_path / "client-progress-notes.png")
    no_axe_violations(phone)
    context.close()

    # Twelve weeks, a warning sign and eight notes: still one page.
    page.goto(f"{live_server}/clients/{world['client']}/summary")
    expect(page.get_by_text("NOTE-FOR-ROSA")).to_be_visible()
    expect(page.get_by_role("heading", name="Warning signs and treated-area problems")
           ).to_be_visible()
    _assert_one_page(page, page.url, tmp_path, "twelve-weeks")


def test_an_invite_sent_by_email(page: Page, live_server, tmp_path):
    world = _twelve_weeks(live_server, tmp_path)
    log_in(page, live_server, world["therapist"])
    page.goto(f"{live_server}/clients/invite")
    page.set_viewport_size({"width": 320, "height": 800})
    address = f"new-{uuid.uuid4().hex[:6]}@example.net"
    page.get_by_label("Client's email").fill(address)
    no_horizontal_scroll(page)
    send = page.get_by_role("button", name="Send invite by email")
    assert send.bounding_box()["height"] >= 48
    page.screenshot(path=tmp_path / "invite-form-320.png", full_page=True)
    send.click()
    expect(page.get_by_text(f"The invite is on its way to {address}.")).to_be_visible()
    link = page.get_by_label("Invite link").input_value()
    expect(page.get_by_role("img", name="QR code: scan it to open the invite")).to_be_visible()
    no_horizontal_scroll(page)
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in live_server.outbox.glob("*.eml")]
    [sent] = [m for m in messages if m["To"] == address]
    # (the server runs without TRACKER_BASE_URL: the email's host is flask run's default)
    path = link.removeprefix(live_server)
    assert f"Open the invite: http://127.0.0.1:5000{path}\n" in \
        sent.get_body(("plain",)).get_content()


def test_the_notes_pages_run_under_the_policy(page: Page, live_server, tmp_path):
    from tests.browser.test_browser_csp import Watch

    world = _twelve_weeks(live_server, tmp_path)
    watch = Watch(page, live_server)
    log_in(page, live_server, world["therapist"])
    base = f"/clients/{world['client']}"
    for path in (base, f"{base}/notes/new", f"{base}/summary", "/clients/invite"):
        watch.visit(path)
    note = page.context.request.get(f"{live_server}{base}")
    edit = re.search(r'/notes/(\d+)/edit', note.text()).group(1)
    watch.visit(f"{base}/notes/{edit}/edit")
    watch.visit(f"{base}/notes/{edit}/delete")
    assert watch.problems == []
