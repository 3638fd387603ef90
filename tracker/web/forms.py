"""What every form shares: the one validator for free text."""
from wtforms.validators import ValidationError

CONTROL_MESSAGE = "Please remove control characters."


LINE_BREAKS = "\r\n"


def plain_text(allow: str = ""):
    """A validator for every free-text field: no control characters (C0, DEL, C1; NUL
    included, which PostgreSQL refuses in text) except those in ``allow``, e.g. LINE_BREAKS
    in a textarea."""

    def check(form, field) -> None:
        if any((ord(ch) < 32 or 127 <= ord(ch) < 160) and ch not in allow
               for ch in field.data or ""):
            raise ValidationError(CONTROL_MESSAGE)

    return check
