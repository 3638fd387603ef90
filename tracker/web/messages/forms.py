"""The message box."""
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.store.messages import BODY_MAX
from tracker.web.forms import LINE_BREAKS, plain_text


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MessageForm(FlaskForm):
    body = TextAreaField("Message", filters=[_strip], validators=[
        DataRequired("Write a message first."),
        Length(max=BODY_MAX, message=f"A message can be at most {BODY_MAX:,} characters."),
        plain_text(LINE_BREAKS),
    ])
