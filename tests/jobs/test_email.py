"""Emails' headers: a person's name never adds a recipient (issue 17, finding 6).

Every sender (reminders, alerts, digests, account mail, invite mail, message notices) builds
its message with one of the three composers here, which address it with
``email.recipient``. Each message is read back as a mail app would read it (the bytes
written to the outbox, parsed with the standard library's strict policy).
"""
import email
import email.policy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.reminder_select import SELFCARE_1, Reminder, ReminderItem
from tracker.jobs import email as mail
from tracker.store import files

TO = "real@example.org"
SENDER = "Sciatica care plan <reminders@localhost>"

# name given -> the display name a mail app shows
NAMES = [
    ("José <spam@evil.example>,", "José <spam@evil.example>,"),
    ('Ann "The Boss" <boss@evil.example>', 'Ann "The Boss" <boss@evil.example>'),
    ("Smith, John, spam@evil.example", "Smith, John, spam@evil.example"),
    ("O'Brien; (x) [y] \\ z", "O'Brien; (x) [y] \\ z"),
    ("Zoë Ærøskøbing 李小龍", "Zoë Ærøskøbing 李小龍"),
    ("Eve\r\nBcc: spam@evil.example", "Eve Bcc: spam@evil.example"),
    ("Eve\nTo: spam@evil.example", "Eve To: spam@evil.example"),
    ("Eve\u2028Bcc: spam@evil.example", "Eve Bcc: spam@evil.example"),
    ("Eve\u2029<spam@evil.example>", "Eve <spam@evil.example>"),
    ("Eve\x00\x85\u200b<spam@evil.example>", "Eve <spam@evil.example>"),
    ("=?utf-8?q?x=3Cspam=40evil.example=3E?=", "= ?utf-8?q?x=3Cspam=40evil.example=3E?="),
    ("", ""),
]


def _read(message) -> email.message.EmailMessage:
    """The message as a mail app reads it: its bytes, parsed strictly."""
    return email.message_from_bytes(bytes(message), policy=email.policy.default)


def _reminder() -> Reminder:
    return Reminder(user_key=7, slot=SELFCARE_1, local_date=date(2026, 3, 2), channel="email",
                    items=(ReminderItem("piriformis", "Piriformis stretch"),), session=None,
                    due_at=datetime(2026, 3, 2, 8, tzinfo=UTC))


def _composed(name: str):
    yield mail.compose(to_name=name, to_email=TO, sender=SENDER, reminder=_reminder(),
                       today_url="http://x/today", unsubscribe_url="http://x/u")
    yield mail.compose_notice(to_name=name, to_email=TO, sender=SENDER,
                              subject=f"{name} sent you a message", lines=["Hello"],
                              link="http://x/m", link_text="Read it", message_id="<1@x>")
    yield mail.compose_digest(to_name=name, to_email=TO, sender=SENDER,
                              subject=f"{name} needs attention", intro="Today",
                              sections=[(name, ["Leg pain up"], "http://x/c")],
                              footer="Settings", footer_link="http://x/s", message_id="<2@x>")


@pytest.mark.parametrize("name, shown", NAMES)
def test_the_to_header_carries_exactly_the_one_address(name, shown):
    for message in _composed(name):
        read = _read(message)
        [to] = read["To"].addresses
        assert (to.addr_spec, to.display_name) == (TO, shown)
        assert read.get_all("To") and len(read.get_all("To")) == 1
        assert read["Bcc"] is None and read["Cc"] is None
        raw = bytes(message).split(b"\n\n", 1)[0]
        assert b"\nBcc:" not in raw and b"\nTo: spam" not in raw
        assert "\n" not in str(read["Subject"]) and "\u2028" not in str(read["Subject"])


def test_a_name_is_shown_as_it_was_in_the_greeting():
    read = _read(next(_composed("José <spam@evil.example>,")))
    assert "Hello José <spam@evil.example>," in read.get_body(("plain",)).get_content()
    assert "Hello José &lt;spam@evil.example&gt;," in read.get_body(("html",)).get_content()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(list('ab =?"\\<>,;:@()[].\'é\u2028\r\n\t\x00'))),
                 st.text()))
def test_no_name_adds_a_recipient(name):
    message = next(_composed(name))
    [to] = _read(message)["To"].addresses
    assert to.addr_spec == TO
    # long names are folded over lines: mail apps may show a space where a line was folded
    assert "".join(to.display_name.split()) == "".join(mail.one_line(name).split())


def test_the_outbox_file_is_private_and_named_by_its_recipient(tmp_path):
    outbox = tmp_path / "outbox"
    where = Path(mail.deliver(next(_composed("Ann")), None, outbox))
    assert where.parent == outbox and where.name.startswith(files.outbox_prefix(TO) + "-")
    assert TO not in where.name
    assert where.stat().st_mode & 0o777 == 0o600
    assert outbox.stat().st_mode & 0o777 == 0o700
    assert files.outbox_files(outbox, "REAL@example.org ") == [where]
    assert files.outbox_files(outbox, "other@example.org") == []
