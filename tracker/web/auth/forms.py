"""Account forms. Labels and button names are a contract: outside tests drive them."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from tracker.domain import timezones
from tracker.store.models import CLIENT, THERAPIST
from tracker.web.forms import plain_text

PASSWORD_MIN = 8
PASSWORD_MAX = 128


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Please enter a password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
            ),
        ],
    )


def _required_text(label: str, missing: str, most: int, too_long: str,
                   *more) -> StringField:
    """A one-line field that must be filled in, with a length limit and no control
    characters; ``more`` validators run after those."""
    return StringField(label, validators=[
        DataRequired(message=missing), Length(max=most, message=too_long), plain_text(), *more,
    ])


def _email_field(*more) -> StringField:
    return _required_text("Email", "Please enter your email.", 254, "That email is too long.",
                          *more)


def email_field() -> StringField:
    """The "Email" field of a form that sets an account's email."""
    return _email_field(
        Email(message="Please enter a valid email address, like name@example.com."))


def name_field() -> StringField:
    return _required_text("Name", "Please enter your name.", 100,
                          "Please keep your name under 100 characters.")


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField("Password", validators=[DataRequired("Please enter your password.")])
    submit = SubmitField("Log in")


class RegisterForm(FlaskForm):
    email = email_field()
    name = name_field()
    password = _password_field("Password")
    timezone = SelectField("Time zone", default="UTC", validate_choice=False)
    role = RadioField(
        "I am",
        choices=[
            SelectChoice(CLIENT, "A client (I have sciatica)"),
            SelectChoice(THERAPIST, "A therapist"),
        ],
        default=CLIENT,
        invalid_choice_message="Please choose client or therapist.",
    )
    submit = SubmitField("Create account")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_timezone(self, field) -> None:
        check_timezone(field)


def timezone_choices() -> list[SelectChoice]:
    """The time zone select's options, grouped by region."""
    return [
        SelectChoice(tz, tz.replace("_", " "), optgroup=tz.split("/")[0] if "/" in tz else None)
        for tz in timezones.choices()
    ]


def check_timezone(field) -> None:
    if not timezones.is_valid(field.data or ""):
        raise ValidationError("Please pick a time zone from the list.")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Please enter it.")])
    new = _password_field("New password")
    confirm = PasswordField(
        "Repeat new password",
        validators=[EqualTo("new", message="The two new passwords differ.")],
    )
    submit = SubmitField("Change password")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField("Send reset link")


class ResetPasswordForm(FlaskForm):
    new = _password_field("New password")
    submit = SubmitField("Set new password")
