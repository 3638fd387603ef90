"""Forms for plans."""
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, ValidationError

from tracker.domain import library

START_WINDOW_PAST = timedelta(days=30)
START_WINDOW_FUTURE = timedelta(days=90)


class StartPlanForm(FlaskForm):
    """A client with no therapist picks a built-in plan to follow."""

    template = SelectField("Plan", validate_choice=True)
    start = DateField("Start date", validators=[InputRequired("Please pick a start date.")])
    submit = SubmitField("Start this plan")

    def __init__(self, today, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.template.choices = [SelectChoice(t["slug"], t["name"]) for t in library.TEMPLATES]
        self.template.invalid_choice_message = "Please pick one of the plans listed."
        if self.start.data is None and not self.is_submitted():
            self.start.data = today

    def validate_start(self, field) -> None:
        if field.data is None:
            return
        if not self.today - START_WINDOW_PAST <= field.data <= self.today + START_WINDOW_FUTURE:
            raise ValidationError("Pick a start date within the last 30 days or the next 90.")


class SuggestionForm(FlaskForm):
    """Yes or no to a suggested phase change."""

    decision = SelectField(
        choices=[SelectChoice("accept", "Move"), SelectChoice("decline", "Not now")],
        validators=[AnyOf(["accept", "decline"])],
    )
