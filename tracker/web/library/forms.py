"""The form for a therapist's own technique. Labels and button names are a contract."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from tracker.domain.plan_spec import DOSE_LIMITS
from tracker.store.photos import TEXT_MAX as PHOTO_TEXT_MAX
from tracker.web.forms import LINE_BREAKS, plain_text

NAME_MAX = 100
BODY_AREA_MAX = 100
SUMMARY_MAX = 500
STEP_MAX = 300
STEPS_MAX = 12
CAUTIONS_MAX = 12

# The order the library lists kinds in, with the word for one technique of each kind.
KIND_LABELS = {
    "heat_cold": "Heat or cold",
    "self_massage": "Self-massage",
    "stretch": "Stretch",
    "session": "Professional session",
}


def _at_most(most: int, what: str) -> Length:
    return Length(max=most, message=f"Please keep {what} to {most} characters or fewer.")


def lines(text: str | None) -> list[str]:
    """The non-blank lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _lines_within(most: int, what: str, required: bool):
    """One item per line: at most ``most`` of them, each at most STEP_MAX characters."""

    def check(form, field) -> None:
        items = lines(field.data)
        if required and not items:
            raise ValidationError(f"Please enter at least one {what}, one per line.")
        if len(items) > most:
            raise ValidationError(
                f"Please keep it to {most} {what}s or fewer (there are {len(items)})."
            )
        for number, item in enumerate(items, start=1):
            if len(item) > STEP_MAX:
                raise ValidationError(
                    f"{what.capitalize()} {number} is too long: "
                    f"keep each one to {STEP_MAX} characters or fewer."
                )

    return check


class _WholeNumber(IntegerField):
    """An optional whole number within DOSE_LIMITS, with one message for every way it fails."""

    def __init__(self, label: str, key: str, message: str, **kwargs):
        low, high = DOSE_LIMITS[key]
        self.message = message.format(low=low, high=high)
        super().__init__(
            label,
            validators=[Optional(), self._in_range(low, high)],
            render_kw={"min": low, "max": high, "inputmode": "numeric"},
            **kwargs,
        )

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None

    def _in_range(self, low: int, high: int):
        def check(form, field) -> None:
            if field.process_errors:  # not a number: already said why
                raise StopValidation()
            if not low <= field.data <= high:
                raise ValidationError(self.message)

        return check


class TechniqueForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Please enter a name."),
            _at_most(NAME_MAX, "the name"),
            plain_text(),
        ],
    )
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(value, label) for value, label in KIND_LABELS.items()],
        invalid_choice_message="Please choose a kind from the list.",
    )
    body_area = StringField(
        "Body area",
        validators=[
            _at_most(BODY_AREA_MAX, "the body area"),
            plain_text(),
        ],
    )
    summary = TextAreaField(
        "Summary",
        validators=[
            _at_most(SUMMARY_MAX, "the summary"),
            plain_text(LINE_BREAKS),
        ],
    )
    instructions = TextAreaField(
        "Instructions",
        validators=[
            plain_text(LINE_BREAKS),
            _lines_within(STEPS_MAX, "step", required=True),
        ],
    )
    hold_seconds = _WholeNumber(
        "Hold (seconds)",
        "hold_seconds",
        "Hold must be a whole number of seconds from {low} to {high}.",
    )
    repetitions = _WholeNumber(
        "Repetitions", "repetitions", "Repetitions must be a whole number from {low} to {high}."
    )
    sets = _WholeNumber("Sets", "sets", "Sets must be a whole number from {low} to {high}.")
    minutes = _WholeNumber(
        "Minutes", "minutes", "Minutes must be a whole number from {low} to {high}."
    )
    per_side = BooleanField("Each side")
    cautions = TextAreaField(
        "Cautions",
        validators=[
            plain_text(LINE_BREAKS),
            _lines_within(CAUTIONS_MAX, "caution", required=False),
        ],
    )
    submit = SubmitField("Save technique")

    @staticmethod
    def initial(technique) -> dict:
        """Form data showing a stored technique."""
        dose = technique.dose or {}
        return {
            "name": technique.name,
            "kind": technique.kind,
            "body_area": technique.body_area,
            "summary": technique.summary,
            "instructions": "\n".join(technique.instructions or ()),
            "cautions": "\n".join(technique.cautions or ()),
            **{key: dose.get(key) for key in (*DOSE_LIMITS, "per_side")},
        }

    def values(self) -> dict:
        """The validated input as Technique field values."""
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "body_area": (self.body_area.data or "").strip(),
            "summary": " ".join(lines(self.summary.data)),
            "instructions": lines(self.instructions.data),
            "cautions": lines(self.cautions.data),
            "dose": {
                **{key: getattr(self, key).data for key in DOSE_LIMITS},
                "per_side": bool(self.per_side.data),
            },
        }


class PhotoForm(FlaskForm):
    """A photo for one of one's own techniques: the file, and words for who can't see it."""

    photo = FileField(
        "Photo",
        validators=[FileRequired(message="Please choose a photo to add.")],
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"},
    )
    alt = StringField(
        "What the photo shows",
        validators=[_at_most(PHOTO_TEXT_MAX, "the description"), plain_text()],
    )
    caption = StringField(
        "Caption (optional)",
        validators=[_at_most(PHOTO_TEXT_MAX, "the caption"), plain_text()],
    )
    submit = SubmitField("Add photo")

    def validate_alt(self, field) -> None:
        # People who can't see the picture need words for it: a description, or a caption.
        if not (field.data or "").strip() and not (self.caption.data or "").strip():
            raise ValidationError("Please say what the photo shows, for people who can't see "
                                  "it (or give it a caption).")

    def texts(self) -> tuple[str, str]:
        """The description and the caption, trimmed."""
        return (self.alt.data or "").strip(), (self.caption.data or "").strip()
