"""Free text (pure): the one policy for what a person may type.

Policy: text with control characters is refused, never silently cleaned, so what is stored is
what the person saw. Control characters are C0 (U+0000 to U+001F), DEL and C1 (U+007F to
U+009F); NUL is among them, which PostgreSQL refuses in text. A multi-line field allows line
breaks and a tab (``MULTILINE``).
"""

CONTROL_MESSAGE = "Please remove control characters."
MULTILINE = "\r\n\t"


def control_characters(text: str | None, allow: str = "") -> list[str]:
    """The control characters in ``text`` other than those in ``allow`` (empty: the text is
    acceptable)."""
    return [ch for ch in text or "" if (ord(ch) < 32 or 127 <= ord(ch) < 160) and ch not in allow]


def is_plain(text: str | None, allow: str = "") -> bool:
    return not control_characters(text, allow)
