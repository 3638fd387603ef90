"""Forms behind the buttons on /today (they carry the CSRF token and validate input)."""
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional, Regexp

from tracker.domain.day import SKIP_REASONS
from tracker.store.offline import KEY_PATTERN
from tracker.web.forms import TimeOfDayField


class OfflineForm(FlaskForm):
    """A change a phone may have queued offline: ``op_id`` is its idempotency key
    (tracker/store/offline.py); an ordinary online post leaves it out."""

    op_id = StringField(validators=[Optional(), Regexp(KEY_PATTERN)])

    class Meta:
        # CSRFProtect checks the page-wide token on every POST (its header or field); a
        # per-form token would only be a duplicate (as in tracker/web/clients/forms.py),
        # and these are the app's most frequent posts.
        csrf = False


class CheckForm(OfflineForm):
    """Check an item off ("1") or undo it ("0"): the wanted state, so retries are harmless."""

    done = StringField(validators=[InputRequired(), AnyOf(["0", "1"])])


class SkipForm(OfflineForm):
    reason = RadioField(
        "Why are you skipping it?",
        choices=[SelectChoice(key, label) for key, label in SKIP_REASONS],
        invalid_choice_message="Please pick a reason.",
    )


class _DayField(DateField):
    """A date; text that isn't one is named in the message (a date input shows it empty)."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"“{valuelist[0]}” isn't a date like 2026-12-01.") from None


class BookForm(FlaskForm):
    day = _DayField("Booked for", validators=[
        InputRequired("Please pick the date the session is booked for.")])
    at = TimeOfDayField("Time", validators=[Optional()])
