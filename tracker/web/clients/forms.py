"""Forms a therapist uses on a client's page."""
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from tracker.web.forms import plain_text

WINDOW_PAST = timedelta(days=7)
WINDOW_FUTURE = timedelta(days=90)


class _DatedForm(FlaskForm):
    day = DateField("From", validators=[InputRequired("Please pick a date.")])

    class Meta:
        # Several of these share a page, so they are prefixed; CSRFProtect checks the one
        # page-wide token on every POST, so the per-form token would only be a duplicate.
        csrf = False

    def __init__(self, today, earliest=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.earliest = max(earliest or today - WINDOW_PAST, today - WINDOW_PAST)
        if self.day.data is None and not self.is_submitted():
            self.day.data = today

    def validate_day(self, field) -> None:
        if field.data and not self.earliest <= field.data <= self.today + WINDOW_FUTURE:
            raise ValidationError(
                f"Pick a date from {self.earliest:%-d %B} to {self.today + WINDOW_FUTURE:%-d %B}."
            )


REASON_MAX = 200


def _reason_field(label: str) -> StringField:
    return StringField(label, validators=[
        Length(max=REASON_MAX, message=f"Please keep it to {REASON_MAX} characters or fewer."),
        plain_text(),
    ])


class PauseForm(_DatedForm):
    reason = _reason_field("Reason (the client sees it)")


class ResumeForm(_DatedForm):
    pass


def _phase_index(value) -> int:
    """Posted phase numbers; junk becomes -1 so the form says "pick a phase" instead."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class StepForm(_DatedForm):
    to_phase = SelectField("Move to phase", coerce=_phase_index, validate_choice=True)
    reason = _reason_field("Why (the client sees it)")

    def __init__(self, today, phases, *args, **kwargs):
        super().__init__(today, None, *args, **kwargs)
        self.to_phase.choices = [SelectChoice(i, name) for i, name in enumerate(phases)]
        self.to_phase.invalid_choice_message = "Pick one of the plan's phases."


class SafetyResumeForm(FlaskForm):
    """The therapist restarts a plan paused by a safety report, after reviewing it."""

    confirm = BooleanField("I have reviewed the report, and the client has been checked and "
                           "may go on")

    class Meta:
        csrf = False  # the page-wide token is checked on every POST (see _DatedForm)

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError("Please tick the box to confirm you have reviewed the report.")
