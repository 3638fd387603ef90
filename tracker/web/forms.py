"""What every form shares: the one validator for free text (the policy is domain/text.py),
and the one field for a time of day (the parser is domain/times.py)."""
from wtforms import StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TimeInput

from tracker.domain.text import CONTROL_MESSAGE, MULTILINE, is_plain
from tracker.domain.times import format_time_of_day, parse_time_of_day

LINE_BREAKS = MULTILINE


def plain_text(allow: str = ""):
    """A validator for every free-text field: no control characters except those in ``allow``,
    e.g. LINE_BREAKS in a textarea."""

    def check(form, field) -> None:
        if not is_plain(field.data, allow):
            raise ValidationError(CONTROL_MESSAGE)

    return check


class TimeOfDayField(StringField):
    """A time of day, "HH:MM", read by the one parser (domain/times.py).

    Text that isn't a time is refused with the text itself in the message ("“07:5” isn't a
    time like 07:30."), and the input shows the last valid time: an ``<input type=time>``
    shows text it can't read as empty, which would hide what went wrong.
    """

    widget = TimeInput()

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        typed = valuelist[0].strip()
        try:
            self.data = parse_time_of_day(typed)
        except ValueError:
            # self.data keeps the value the form was given (the saved setting)
            raise ValueError(f"“{typed}” isn't a time like 07:30.") from None

    def _value(self) -> str:
        return format_time_of_day(self.data) or ""
