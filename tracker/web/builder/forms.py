"""The plan builder's fixed fields (the phases and items are read by tracker.domain.builder).

Each action needs only some of them, so validation is per action: ``for_preview``,
``for_assign``, ``for_changes`` and ``for_template`` (and ``date_for_preview``, for the
preview kept up to date as the therapist edits, which marks no field). Labels are a
contract (tests and the browser find controls by them).
"""
from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError

from tracker.web.forms import LINE_BREAKS, plain_text

TITLE_MAX = 120
TEMPLATE_NAME_MAX = 120
DESCRIPTION_MAX = 500
START_PAST = timedelta(days=30)
AHEAD = timedelta(days=90)


class _Date(DateField):
    """A date field where blank means None and junk gets a plain message."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a date, like 2026-03-14.") from None


def _date_required(message: str):
    """Like InputRequired, but a blank or spaces-only date (data None) is missing too; junk
    keeps its own "Enter a date" message."""

    def check(form, field) -> None:
        if field.data is None and not field.process_errors:
            raise StopValidation(message)

    return check


def _within(low: date, high: date, message: str):
    def check(form, field) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(message)

    return check


class BuilderForm(FlaskForm):
    plan_id = HiddenField()
    source = HiddenField()
    title = StringField("Plan title")
    start = _Date("Start date")
    effective_from = _Date("Changes take effect from")
    client = SelectField("Client", validate_choice=False)
    template_name = StringField("Template name")
    template_description = TextAreaField("Description (optional)")

    def __init__(self, today: date, clients=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.client.choices = [SelectChoice("", "Choose a client")] + [
            SelectChoice(str(c.id), c.name) for c in clients
        ]
        if not self.is_submitted():
            self.start.data = self.start.data or today
            self.effective_from.data = self.effective_from.data or today

    def _valid(self, *checks) -> bool:
        """Validate the given (field, validators) pairs; True when all pass."""
        return all([field.validate(self, validators) for field, validators in checks])

    def for_preview(self, plan_start: date | None) -> bool:
        if plan_start is None:
            return self._valid(self._start_checks())
        return self._valid(self._effective_checks(plan_start))

    def date_for_preview(self, plan_start: date | None) -> date | None:
        """The date the live preview starts from (the start date, or for an assigned plan
        the date the changes take effect), or None when it is missing or out of range.
        Checked as ``for_preview`` does, but the field is not marked: nobody pressed a
        button yet."""
        field = self.start if plan_start is None else self.effective_from
        shown = field.errors
        ok = self.for_preview(plan_start)
        field.errors = shown
        return field.data if ok else None

    def for_assign(self) -> bool:
        return self._valid(
            (self.title, [DataRequired("Please give the plan a title."),
                          Length(max=TITLE_MAX, message=f"Keep the title to {TITLE_MAX} "
                                 "characters or fewer."), plain_text()]),
            (self.client, [InputRequired("Choose the client to give this plan to."),
                           self._known_client]),
            self._start_checks(),
        )

    def for_changes(self, plan_start: date) -> bool:
        return self._valid(self._effective_checks(plan_start))

    def for_template(self) -> bool:
        return self._valid(
            (self.template_name, [DataRequired("Please give the template a name."),
                                  Length(max=TEMPLATE_NAME_MAX, message="Keep the name to "
                                         f"{TEMPLATE_NAME_MAX} characters or fewer."),
                                  plain_text()]),
            (self.template_description, [Length(max=DESCRIPTION_MAX, message="Keep the "
                                                f"description to {DESCRIPTION_MAX} "
                                                "characters or fewer."),
                                         plain_text(LINE_BREAKS)]),
        )

    def _start_checks(self):
        low, high = self.today - START_PAST, self.today + AHEAD
        return (self.start, [_date_required("Please pick a start date."),
                             _within(low, high, "Pick a start date within the last 30 days "
                                     "or the next 90.")])

    def _effective_checks(self, plan_start: date):
        high = self.today + AHEAD
        return (self.effective_from, [
            _date_required("Please pick the date the changes take effect from."),
            _within(plan_start, high, f"Pick a date from the plan's start "
                    f"({plan_start:%-d %B %Y}) to 90 days from today."),
        ])

    def _known_client(self, form, field) -> None:
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError("Choose one of your clients from the list.")

    @property
    def client_id(self) -> int | None:
        return int(self.client.data) if (self.client.data or "").isdigit() else None
