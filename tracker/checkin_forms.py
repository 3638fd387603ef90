"""Check-in forms. Labels and button names are a contract: outside tests drive them."""
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

from tracker import library, safety
from tracker.checkins import NOTE_MAX, PAIN_SCALE, RESUMABLE_SCOPES
from tracker.forms import LINE_BREAKS, plain_text
from tracker.today_forms import OfflineForm

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
    note = TextAreaField(
        "Anything else?",
        validators=[
            Length(
                max=NOTE_MAX, message=f"Please keep your note to {NOTE_MAX} characters or fewer."
            ),
            plain_text(LINE_BREAKS + "\t"),
        ],
    )
    contraindications = SelectMultipleField(
        "In the area that is treated, do you have any of these today?",
        choices=[
            SelectChoice(item["key"], safety.CONTRAINDICATION_LABELS[item["key"]])
            for item in library.CONTRAINDICATIONS
        ],
        invalid_choice_message="Please tick only the items listed.",
    )
    submit = SubmitField("Save check-in")

    def values(self) -> dict:
        """The check-in fields for checkins.record_checkin."""
        return {
            "back_pain": self.back_pain.data,
            "leg_pain": self.leg_pain.data,
            "numbness": bool(self.numbness.data),
            "weakness": bool(self.weakness.data),
            "note": (self.note.data or "").strip(),
            "contraindications": list(self.contraindications.data or ()),
        }


class _RedFlagFormBase(FlaskForm):
    submit = SubmitField("Send answers")

    def answers(self) -> dict[str, bool]:
        return {flag["key"]: self[flag["key"]].data == YES for flag in library.RED_FLAGS}

    def questions(self):
        """(field, flag) pairs in the library's order, for the template."""
        return [(self[flag["key"]], flag) for flag in library.RED_FLAGS]


def _red_flag_form_class() -> type[FlaskForm]:
    fields = {
        flag["key"]: RadioField(
            flag["question"],
            choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
            invalid_choice_message="Please answer yes or no.",
        )
        for flag in library.RED_FLAGS
    }
    return type("RedFlagForm", (_RedFlagFormBase,), fields)


RedFlagForm = _red_flag_form_class()


class ResumeForm(FlaskForm):
    """A person confirms a professional has said it is safe to go on."""

    scope = RadioField(
        "What to resume",
        choices=[SelectChoice(s, s) for s in RESUMABLE_SCOPES],
        invalid_choice_message="Please say what to resume.",
    )
    confirm = BooleanField("A healthcare professional has checked me and said I can continue")

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError(
                "Please tick the box to confirm a healthcare professional has said you can "
                "continue."
            )
