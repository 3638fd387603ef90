"""The web push notification a reminder or an alert becomes: the JSON the service worker
shows (static/sw.js), within the size push services accept. Pure."""
import json
from collections.abc import Mapping, Sequence

# RFC 8291: push services accept 4096 bytes of body; aes128gcm adds 86 bytes of header,
# a 16-byte tag and a padding delimiter.
MAX_PAYLOAD_BYTES = 4096 - 86 - 16 - 1
LISTED_ITEMS = 2  # names in the body before "and N more"


def build_payload(
    reminder_items: Sequence[str],
    done_url: str | None = None,
    *,
    url: str = "/today",
    session: str | None = None,
    tag: str | None = None,
    questionnaire_due: bool = False,
) -> dict:
    """The JSON the service worker shows (see static/sw.js).

    ``{"title", "body", "url", "tag"?, "actions"?, "done_url"?}``: ``url`` is opened
    on a tap; ``done_url`` (a relative path to ``POST /push/done/<token>``) is posted
    by the "Done" action, offered only with self-care items to check off; ``tag``
    makes a newer reminder replace an older one on the device.
    """
    if session:
        payload = {"title": "Your session is tomorrow", "body": session, "url": url}
    else:
        body = items_line(reminder_items)
        if questionnaire_due:  # issue 19: a questionnaire due today is mentioned too
            note = "A short questionnaire is due today."
            body = f"{body}. {note}" if reminder_items else note
        payload = {"title": "Time for your stretches", "body": body, "url": url}
        if done_url and reminder_items:
            payload["actions"] = [{"action": "done", "title": "Done all"}]
            payload["done_url"] = done_url
    if tag:
        payload["tag"] = tag
    return payload


def build_alert_payload(subject: str, url: str, *, tag: str) -> dict:
    """A safety alert to a therapist: the subject, and their client's page on a tap."""
    return {"title": subject, "body": "Open their page for the answers.", "url": url,
            "tag": tag}


def items_line(names: Sequence[str]) -> str:
    """ "Piriformis stretch, Knee-to-chest stretch and 2 more" """
    names = list(names)
    if not names:
        return "Open today's plan."
    if len(names) <= LISTED_ITEMS + 1:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{', '.join(names[:LISTED_ITEMS])} and {len(names) - LISTED_ITEMS} more"


def encode_payload(payload: Mapping) -> bytes:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload is {len(data)} bytes; at most {MAX_PAYLOAD_BYTES}")
    return data
