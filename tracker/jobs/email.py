"""Reminder emails: composed with plain-text and HTML parts, sent by SMTP or kept in an outbox.

With no ``TRACKER_SMTP_URL`` (the default for ``make run``) each message is written as an
``.eml`` file to ``instance/outbox/`` so a developer can open it; nothing leaves the machine.

Every message is addressed by ``recipient`` (one ``Address`` per person, the display name
made one line): a name never adds an address to a header, whatever it contains.
"""
import smtplib
import ssl
import unicodedata
import uuid
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markupsafe import escape

from tracker.domain.reminder_select import SESSION_EVE, Reminder
from tracker.store import files


def subject_and_lines(reminder: Reminder,
                      questionnaires: Sequence[str] = ()) -> tuple[str, list[str]]:
    """What the message says, in plain words; ``questionnaires``: the names of those due
    today (issue 19), said after the items."""
    if reminder.slot == SESSION_EVE:
        return "Your session is tomorrow", [f"Tomorrow: {reminder.session}."]
    count = len(reminder.items)
    noun = "item" if count == 1 else "items"
    lines = list(reminder.item_names)
    if questionnaires:
        lines.append(questionnaire_line(questionnaires))
    return f"Today's plan: {count} {noun} to do", lines


def questionnaire_line(names: Sequence[str]) -> str:
    """ "A short questionnaire is due today: the Patient-Specific Functional Scale." """
    if len(names) == 1:
        return f"A short questionnaire is due today: the {names[0]}."
    listed = ", ".join(f"the {n}" for n in names[:-1]) + f" and the {names[-1]}"
    return f"Short questionnaires are due today: {listed}."


# Control characters, invisible format characters and the Unicode line and paragraph
# separators (U+2028, U+2029): none has a place in a one-line header.
_NOT_IN_A_HEADER = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def one_line(text: str) -> str:
    """A person's name (or a subject naming them) made safe for a header: every character
    that could end or hide a line becomes a space, runs of space become one, and ``=?``
    (which would start an RFC 2047 encoded word, decoded by mail apps into anything,
    angle brackets and commas included) is broken up. What is left is shown as it was."""
    spaced = "".join(" " if unicodedata.category(char) in _NOT_IN_A_HEADER else char
                     for char in text)
    return " ".join(spaced.replace("=?", "= ?").split())


def recipient(name: str, email: str) -> Address:
    """The one way to address a person: ``email.headerregistry.Address`` quotes or encodes
    the display name as a whole, so quotes, angle brackets, commas and non-ASCII in a name
    stay inside it and the ``To:`` header carries exactly this one address."""
    return Address(display_name=one_line(name), addr_spec=email)


def _headers(message: EmailMessage, *, subject: str, sender: str, to_name: str,
             to_email: str, message_id: str) -> None:
    """The headers every message carries.

    ``Date`` is required by RFC 5322 (some servers add it, some mark its absence as spam);
    ``Auto-Submitted`` (RFC 3834) tells mail servers and apps not to send vacation
    auto-replies to a machine-sent message.
    """
    message["Subject"] = one_line(subject)
    message["From"] = sender
    message["To"] = recipient(to_name, to_email)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"


def _html(subject: str, body: str) -> str:
    """A whole HTML document: mail apps show the title, screen readers read the language."""
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(subject)}</title></head><body>{body}</body></html>"
    )


def compose(
    *, to_name: str, to_email: str, sender: str, reminder: Reminder, today_url: str,
    unsubscribe_url: str, questionnaires: Sequence[str] = (),
) -> EmailMessage:
    subject, lines = subject_and_lines(reminder, questionnaires)
    message = EmailMessage()
    # The same reminder always has the same Message-ID, so in the rare case it is sent again
    # (the worker died after the mail server took it, before the claim was marked sent),
    # mail servers and apps that drop duplicate Message-IDs show it once.
    _headers(message, subject=subject, sender=sender, to_name=to_name, to_email=to_email,
             message_id=(f"<reminder.{reminder.user_key}.{reminder.local_date.isoformat()}."
                         f"{reminder.slot}@sciatica-tracker.local>"))
    # One-click unsubscribe for mail apps that offer it (RFC 8058).
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    bullet_lines = "\n".join(f"- {line}" for line in lines)
    message.set_content(
        f"Hello {to_name},\n\n{bullet_lines}\n\nOpen today's plan: {today_url}\n\n"
        "If anything feels worse or unusual, stop and contact your therapist or a "
        f"healthcare provider.\n\nStop these emails: {unsubscribe_url}\n"
    )
    items_html = "".join(f"<li>{escape(line)}</li>" for line in lines)
    message.add_alternative(
        _html(subject,
              f"<p>Hello {escape(to_name)},</p><ul>{items_html}</ul>"
              f"<p><a href=\"{escape(today_url)}\">Open today's plan</a></p>"
              "<p>If anything feels worse or unusual, stop and contact your therapist or a "
              "healthcare provider.</p>"
              f"<p><small><a href=\"{escape(unsubscribe_url)}\">Stop these emails</a>"
              "</small></p>"),
        subtype="html",
    )
    return message


def compose_notice(*, to_name: str, to_email: str, sender: str, subject: str,
                   lines: list[str], link: str, link_text: str,
                   message_id: str) -> EmailMessage:
    """A notice (not a reminder: no unsubscribe), text and HTML. An empty ``to_name``
    greets with a plain "Hello"."""
    message = EmailMessage()
    # the same notice always has the same Message-ID
    _headers(message, subject=subject, sender=sender, to_name=to_name, to_email=to_email,
             message_id=message_id)
    body = "\n".join(lines)
    greeting = f"Hello {to_name}," if to_name else "Hello,"
    message.set_content(f"{greeting}\n\n{body}\n\n{link_text}: {link}\n")
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    message.add_alternative(
        _html(subject,
              f"<p>{escape(greeting)}</p>{paragraphs}"
              f"<p><a href=\"{escape(link)}\">{escape(link_text)}</a></p>"),
        subtype="html",
    )
    return message


def deliver(message: EmailMessage, smtp_url: str | None, outbox: Path, timeout: float = 20) -> str:
    """Send by SMTP when configured, else write to the outbox; returns where it went.

    An outbox file is 0600 in a 0700 folder, named by its recipient
    (``tracker.store.files.outbox_prefix``) so it goes with their account."""
    if not smtp_url:
        files.private_dir(outbox)
        [to] = message["To"].addresses
        path = outbox / f"{files.outbox_prefix(to.addr_spec)}-{uuid.uuid4().hex}.eml"
        files.write_private(path, bytes(message))
        return str(path)
    url = urlsplit(smtp_url)
    host, port = url.hostname or "localhost", url.port
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port or 25, timeout=timeout)
    with client:
        if url.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
    return f"{url.scheme}://{host}"


def compose_digest(*, to_name: str, to_email: str, sender: str, subject: str, intro: str,
                   sections: list[tuple[str, list[str], str]], footer: str, footer_link: str,
                   message_id: str) -> EmailMessage:
    """A therapist's digest (not a reminder: no unsubscribe, the footer links to its
    settings): for each section a heading, its lines and a link, in text and HTML."""
    message = EmailMessage()
    _headers(message, subject=subject, sender=sender, to_name=to_name, to_email=to_email,
             message_id=message_id)
    text = [f"Hello {to_name},", "", intro, ""]
    html = [f"<p>Hello {escape(to_name)},</p><p>{escape(intro)}</p>"]
    for heading, lines, link in sections:
        text += [heading, *(f"- {line}" for line in lines), f"  Open their page: {link}", ""]
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        html.append(f"<h2><a href=\"{escape(link)}\">{escape(heading)}</a></h2><ul>{items}</ul>")
    text += [f"{footer}: {footer_link}", ""]
    html.append(f"<p><small><a href=\"{escape(footer_link)}\">{escape(footer)}</a></small></p>")
    message.set_content("\n".join(text))
    message.add_alternative(_html(subject, "".join(html)), subtype="html")
    return message
