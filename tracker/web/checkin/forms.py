"""Check-in and safety forms. Labels and button names are a contract: outside tests drive them."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from tracker.domain import clinical, library, safety
from tracker.store.checkins import NOTE_MAX, PAIN_SCALE
from tracker.web.forms import LINE_BREAKS, plain_text
from tracker.web.today.forms import OfflineForm

YES, NO = "yes", "no"


def _pain_field(label: str, what: str) -> RadioField:
    message = f"Please choose your {what} from 0 (no pain) to 10 (worst)."
    return RadioField(
        label,
        coerce=int,
        choices=[SelectChoice(str(n), str(n)) for n in PAIN_SCALE],
        invalid_choice_message=message,
        invalid_value_message=message,
    )


def _yes_no(label: str, message: str = "Please answer yes or no.") -> RadioField:
    # "No" first: most answers are no, and it takes one tap.
    return RadioField(label, choices=[SelectChoice(NO, "No"), SelectChoice(YES, "Yes")],
                      invalid_choice_message=message)


def _note_field(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[
        Length(max=NOTE_MAX, message=f"Please keep your note to {NOTE_MAX} characters or fewer."),
        plain_text(LINE_BREAKS + "\t"),
    ])


def _problems_field() -> SelectMultipleField:
    return SelectMultipleField(
        "In the area that is treated, do you have any of these today?",
        choices=[SelectChoice(item["key"], safety.CONTRAINDICATION_LABELS[item["key"]])
                 for item in library.CONTRAINDICATIONS],
        invalid_choice_message="Please tick only the items listed.",
    )


def _areas_field() -> SelectMultipleField:
    return SelectMultipleField(
        "Where is it?",
        choices=[SelectChoice(key, label) for key, label in clinical.AREA_LABELS.items()],
        invalid_choice_message="Please tick only the areas listed.",
    )


class CheckInForm(OfflineForm):
    """How the client is today: the form is the same for a new check-in and an edit.

    ``day`` is set only by a phone replaying a check-in it saved offline (the day it was
    made); otherwise the check-in is for the client's today.
    """

    day = DateField(validators=[Optional()], invalid_value_message="Please give a valid date.")

    back_pain = _pain_field("Back pain", "back pain")
    leg_pain = _pain_field("Leg pain", "leg pain")
    numbness = BooleanField("Numbness or tingling")
    weakness = BooleanField("Weakness in leg or foot")
    soreness = BooleanField("Sore, stiff or lightly bruised after a massage")
    # Required on the page; a post without it (a check-in a phone queued offline before this
    # question existed) is kept, and the warning-sign questions are then asked.
    anything_new = RadioField("Anything new or worrying since your last check-in?",
                              choices=[SelectChoice(NO, "No"), SelectChoice(YES, "Yes")],
                              validate_choice=False)
    contraindications = _problems_field()
    areas = _areas_field()
    note = _note_field("Anything else?")
    submit = SubmitField("Save check-in")

    def validate_anything_new(self, field) -> None:
        if field.data not in (None, YES, NO):
            raise ValidationError("Please answer: is anything new or worrying?")

    def values(self) -> dict:
        """The check-in fields for checkins.record_checkin."""
        return {
            "back_pain": self.back_pain.data,
            "leg_pain": self.leg_pain.data,
            "numbness": bool(self.numbness.data),
            "weakness": bool(self.weakness.data),
            "soreness": bool(self.soreness.data),
            "anything_new": None if self.anything_new.data is None
            else self.anything_new.data == YES,
            "note": (self.note.data or "").strip(),
            "contraindications": list(self.contraindications.data or ()),
            "areas": list(self.areas.data or ()),
        }


class _SafetyFormBase(FlaskForm):
    problems = _problems_field()
    areas = _areas_field()
    note = _note_field("Anything else your therapist should know?")
    submit = SubmitField("Send answers")

    def answers(self) -> dict[str, bool]:
        return {flag["key"]: self[flag["key"]].data == YES for flag in library.RED_FLAGS}

    def questions(self):
        """(field, flag) pairs in the library's order, for the template."""
        return [(self[flag["key"]], flag) for flag in library.RED_FLAGS]

    def values(self) -> dict:
        """The answers for checkins.record_safety_answers."""
        return {"answers": self.answers(), "problems": list(self.problems.data or ()),
                "areas": list(self.areas.data or ()), "note": (self.note.data or "").strip()}


def _safety_form_class() -> type[FlaskForm]:
    fields = {flag["key"]: _yes_no(flag["question"]) for flag in library.RED_FLAGS}
    return type("SafetyForm", (_SafetyFormBase,), fields)


# The warning-sign questions (every one required, no default) and treated-area problems,
# asked after a check-in and from "Something's wrong" on any day.
SafetyForm = _safety_form_class()


class ResumeForm(FlaskForm):
    """A self-guided client confirms a professional has said it is safe to go on."""

    confirm = BooleanField("A healthcare professional has checked me and said I can continue")
    submit = SubmitField("Restart my plan")

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError(
                "Please tick the box to confirm a healthcare professional has said you can "
                "continue."
            )


class CheckedForm(FlaskForm):
    """A client of a therapist says a professional has checked them (the therapist is told)."""

    submit = SubmitField("A professional has checked me")
