"""Questionnaire forms: answering one instrument, and a plan's questionnaire schedule.

An instrument's items are data, so its answers are read from the posted form by
:func:`read_answers` (one field per item, named by the item's key; a named item's activity
in ``name_<key>``), not declared as WTForms fields. Labels are a contract: the PSFS's
activity fields are labelled "Activity 1" to "Activity 5" (the items' own texts).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional

from tracker.domain.instruments import CHOICE, SCALE, YES_NO, Instrument, Item
from tracker.domain.text import is_plain
from tracker.store.questionnaires import MAX_EVERY_WEEKS, MAX_NAME
from tracker.web.today.forms import OfflineForm

DRAFT, COMPLETE = "draft", "complete"
YES, NO = "yes", "no"


class AnswerForm(OfflineForm):
    """The CSRF token, the offline key, which button was pressed and, from a phone that
    queued the answers offline, the day they were given."""

    # not "action": a field by that name would hide the form's own action property from JS
    save = StringField(validators=[Optional(), AnyOf([DRAFT, COMPLETE])])
    day = DateField(validators=[Optional()], invalid_value_message="Please give a valid date.")


def name_field(item: Item) -> str:
    return f"name_{item.key}"


@dataclass
class Answers:
    """What the client posted, kept as typed to show again, and what it means."""

    answers: dict = field(default_factory=dict)  # item key -> answer (None: unanswered)
    names: dict = field(default_factory=dict)  # item key -> activity name
    typed: dict = field(default_factory=dict)  # field name -> the text posted
    errors: dict = field(default_factory=dict)  # item key -> message


def _value(item: Item, text: str):
    """The answer ``text`` means for ``item``, or ValueError with a message."""
    response = item.response
    if response.kind == YES_NO:
        if text in (YES, NO):
            return text == YES
        raise ValueError("Please answer yes or no.")
    try:
        value = int(text)
    except ValueError:
        value = None
    if response.kind == SCALE and value is not None and response.low <= value <= response.high:
        return value
    if response.kind == CHOICE and value in {o.value for o in response.options}:
        return value
    if response.kind == SCALE:
        raise ValueError(f"Please choose a number from {response.low} to {response.high}.")
    raise ValueError("Please choose one of the answers listed.")


def read_answers(instrument: Instrument, formdata) -> Answers:
    """The answers in ``formdata``: each item's answer (blank: not answered yet) and each
    named item's activity; messages for what can't be read. Unknown fields are ignored."""
    result = Answers()
    for item in instrument.items:
        text = formdata.get(item.key, "").strip()
        result.typed[item.key] = text
        if text:
            try:
                result.answers[item.key] = _value(item, text)
            except ValueError as exc:
                result.errors[item.key] = str(exc)
        if item.named:
            name = formdata.get(name_field(item), "").strip()
            result.typed[name_field(item)] = name
            if len(name) > MAX_NAME or not is_plain(name):
                result.errors[item.key] = (f"Please name the activity in at most {MAX_NAME} "
                                           "characters, without special characters.")
            elif name:
                result.names[item.key] = name
            if text and not name and item.key not in result.errors:
                result.errors[item.key] = f"Please name {item.text.lower()} before rating it."
    return result


WEEKS_MESSAGE = (f"Please give a number of weeks from 1 to {MAX_EVERY_WEEKS}, or leave it "
                 "empty.")


class _WeeksField(IntegerField):
    """Every N weeks; text that is not a whole number gets the same plain message."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(WEEKS_MESSAGE) from None


class AssignForm(FlaskForm):
    """Add a questionnaire to a client's plan, or change when it is asked."""

    instrument = SelectField("Questionnaire", validators=[InputRequired()],
                             validate_choice=True,
                             invalid_choice_message="Please choose a questionnaire listed.")
    at_start = BooleanField("At the start of the plan")
    every_weeks = _WeeksField("Then every … weeks", validators=[
        Optional(), NumberRange(1, MAX_EVERY_WEEKS, message=WEEKS_MESSAGE)])
    at_phase_change = BooleanField("At each phase change")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.at_start.data or self.every_weeks.data or self.at_phase_change.data):
            self.at_start.errors = [*self.at_start.errors, "Please choose when it is asked: "
                                    "at the start, every few weeks or at each phase change."]
            return False
        return True


class RemoveForm(FlaskForm):
    """Take a questionnaire off a plan (CSRF only: the page asked first)."""
