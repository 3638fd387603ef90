"""The session note form: which session, what was done, where, how firmly, the response."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from tracker.store import notes
from tracker.web.forms import LINE_BREAKS, plain_text


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=f"Please keep it under {limit} characters.")


class NoteForm(FlaskForm):
    """A note's words; ``session`` is asked only when writing a new one."""

    session = SelectField("Session", validators=[InputRequired("Please pick the session.")])
    done = TextAreaField("What was done", validators=[_too_long(notes.DONE_MAX),
                                                      plain_text(LINE_BREAKS)])
    areas = StringField("Areas", validators=[_too_long(notes.AREAS_MAX), plain_text()])
    pressure = RadioField("Pressure", default="",
                          choices=[SelectChoice(k, v) for k, v in notes.PRESSURE_LABELS.items()])
    response = TextAreaField("Response", validators=[_too_long(notes.RESPONSE_MAX),
                                                     plain_text(LINE_BREAKS)])
    shared = BooleanField("Share this note with the client")
    submit = SubmitField("Save note")

    def __init__(self, sessions=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if sessions is None:  # editing: the session is the note's and stays
            del self.session
        else:
            self.session.choices = [SelectChoice("", "Pick a session")] + [
                SelectChoice(s.value, s.label) for s in sessions]
            self.session.invalid_choice_message = "Pick one of the sessions listed."
        self.pressure.invalid_choice_message = "Pick one of the pressures listed."

    def validate_response(self, field) -> None:
        if not (self.done.data or "").strip() and not (field.data or "").strip():
            raise ValidationError("Please write what was done or how the client responded.")

    def picked(self):
        """The chosen session as (item key, day)."""
        return notes.parse_session(self.session.data)
