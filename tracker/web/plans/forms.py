"""Forms for plans."""
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, ValidationError

from tracker.domain import library

START_WINDOW_PAST = timedelta(days=30)
START_WINDOW_FUTURE = timedelta(days=90)


class StartPlanForm(FlaskForm):
    """A client picks one of the built-in plans offered to them, each shown as a card.

    ``offered`` are the templates the client may start (a client linked to a therapist is
    offered the self-guided ones only); the first self-guided one is chosen by default.
    ``replace`` is set when a self-guided client switches from their current plan.
    """

    template = RadioField("Choose a plan", validate_choice=True)
    start = DateField("Start date", validators=[InputRequired("Please pick a start date.")])
    replace = BooleanField(default=False)
    submit = SubmitField("Start this plan")

    def __init__(self, today, offered=library.TEMPLATES, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.offered = tuple(offered)
        self.template.choices = [SelectChoice(t["slug"], t["name"]) for t in self.offered]
        self.template.invalid_choice_message = "Please pick one of the plans listed."
        if not self.is_submitted():
            if self.start.data is None:
                self.start.data = today
            if self.template.data is None:
                self.template.data = default_template(self.offered)

    def validate_start(self, field) -> None:
        if field.data is None:
            return
        if not self.today - START_WINDOW_PAST <= field.data <= self.today + START_WINDOW_FUTURE:
            raise ValidationError("Pick a start date within the last 30 days or the next 90.")


def default_template(offered) -> str | None:
    """The plan chosen before the client taps one: the first self-guided one."""
    slugs = [t["slug"] for t in offered if t["self_guided"]] or [t["slug"] for t in offered]
    return slugs[0] if slugs else None


class FinishPlanForm(FlaskForm):
    """Yes, finish my self-guided plan (the confirm step's button)."""

    submit = SubmitField("Yes, finish this plan")


class SuggestionForm(FlaskForm):
    """Yes or no to a suggested phase change."""

    decision = SelectField(
        choices=[SelectChoice("accept", "Move"), SelectChoice("decline", "Not now")],
        validators=[AnyOf(["accept", "decline"])],
    )
