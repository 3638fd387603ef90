"""The settings' forms: deleting the account, and the reminder settings (times are the
user's local wall times)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Optional

from tracker.web.auth.forms import check_timezone, email_field, name_field, timezone_choices
from tracker.web.forms import TimeOfDayField


class ProfileForm(FlaskForm):
    """Name, email and time zone; a new email needs the current password (the view checks
    it, as only the view knows whether the email changed)."""

    name = name_field()
    email = email_field()
    timezone = SelectField("Time zone", validate_choice=False)
    password = PasswordField("Current password (needed to change your email)")
    submit = SubmitField("Save changes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_timezone(self, field) -> None:
        check_timezone(field)


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[DataRequired("Please enter your password to confirm.")]
    )
    confirm = BooleanField(
        "I understand this deletes my account and all my data for good",
        validators=[DataRequired("Please tick the box to confirm.")],
    )
    submit = SubmitField("Delete my account")


class ReminderForm(FlaskForm):
    selfcare_time = TimeOfDayField("Self-care reminder", validators=[InputRequired("Pick a time.")])
    second_time = TimeOfDayField("Second reminder (optional)", validators=[Optional()])
    session_day_before = BooleanField("Remind me the day before a session")
    session_day_before_time = TimeOfDayField(
        "Day-before reminder at", validators=[InputRequired("Pick a time.")]
    )
    quiet_start = TimeOfDayField("Quiet hours from", validators=[Optional()])
    quiet_end = TimeOfDayField("Quiet hours until", validators=[Optional()])
    email = BooleanField("Email me my reminders")
    submit = SubmitField("Save reminders")

    def validate(self, extra_validators=None) -> bool:
        # Checked here, not in a field validator: Optional() stops those on an empty field.
        valid = super().validate(extra_validators)
        start, end = self.quiet_start.data, self.quiet_end.data
        if not self.quiet_start.errors and not self.quiet_end.errors:
            if (start is None) != (end is None):
                self.quiet_end.errors.append(
                    "Give both a start and an end for quiet hours, or neither."
                )
                return False
            if start is not None and start == end:
                self.quiet_end.errors.append("Quiet hours must start and end at different times.")
                return False
        return valid
