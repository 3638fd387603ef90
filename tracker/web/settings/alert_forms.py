"""The therapist's alert settings form: a channel for each kind of news, the days without
activity that count, and the digest's time (the therapist's local wall time)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from tracker.domain import digest
from tracker.web.forms import TimeOfDayField

_PICK = "Pick how you want to be told."


def _channel_field(label: str, choices: tuple[str, ...]) -> RadioField:
    names = [digest.CHANNEL_LABELS[c] for c in choices]
    return RadioField(label, choices=[SelectChoice(c, digest.CHANNEL_LABELS[c]) for c in choices],
                      validators=[InputRequired(_PICK)],
                      invalid_choice_message=f"Pick one of: {', '.join(names)}.")


class AlertForm(FlaskForm):
    warning = _channel_field(digest.KIND_LABELS[digest.WARNING], digest.WARNING_CHOICES)
    area = _channel_field(digest.KIND_LABELS[digest.AREA], digest.CHOICES)
    flare_up = _channel_field(digest.KIND_LABELS[digest.FLARE_UP], digest.CHOICES)
    step_down = _channel_field(digest.KIND_LABELS[digest.STEP_DOWN], digest.CHOICES)
    inactive = _channel_field(digest.KIND_LABELS[digest.INACTIVE], digest.CHOICES)
    inactive_days = IntegerField(
        "Days without a check-in or check-off before a client is listed",
        validators=[InputRequired("Enter a number of days."),
                    NumberRange(digest.INACTIVE_DAYS_MIN, digest.INACTIVE_DAYS_MAX,
                                f"Pick {digest.INACTIVE_DAYS_MIN} to "
                                f"{digest.INACTIVE_DAYS_MAX} days.")])
    digest_time = TimeOfDayField("Daily digest at", validators=[InputRequired("Pick a time.")])
    submit = SubmitField("Save alerts")

    def preferences(self, timezone: str) -> digest.Preferences:
        """The validated choices, as the domain reads them."""
        return digest.Preferences(
            timezone=timezone, warning=self.warning.data, area=self.area.data,
            flare_up=self.flare_up.data, step_down=self.step_down.data,
            inactive=self.inactive.data, inactive_days=self.inactive_days.data,
            digest_time=self.digest_time.data)
