"""What every form shares: the one validator for free text (the policy is domain/text.py)."""
from wtforms.validators import ValidationError

from tracker.domain.text import CONTROL_MESSAGE, MULTILINE, is_plain

LINE_BREAKS = MULTILINE


def plain_text(allow: str = ""):
    """A validator for every free-text field: no control characters except those in ``allow``,
    e.g. LINE_BREAKS in a textarea."""

    def check(form, field) -> None:
        if not is_plain(field.data, allow):
            raise ValidationError(CONTROL_MESSAGE)

    return check
