"""Error pages: plain words, never a stack trace."""
import math
import time

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFError
from peewee import OperationalError
from werkzeug.exceptions import HTTPException, TooManyRequests

from tracker.web import security
from tracker.web.extensions import limiter
from tracker.web.pages import render


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(TooManyRequests, _too_many_requests)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(UnicodeDecodeError, _undecodable_address)


def _csrf_error(error: CSRFError):
    return render(
        "errors/error.html",
        status=400,
        title="Form expired",
        message="This form was missing its security token or it had expired. "
        "Go back, reload the page and try again; nothing was saved.",
    )


def _http_error(error: HTTPException):
    messages = {
        404: "We couldn't find that page.",
        405: "That action isn't available here.",
        413: "That was too much data to send at once.",
        415: "This address takes a form, and what was sent was not one. Go back, reload "
        "the page and try again.",
        500: "Something went wrong on our side. Nothing you saved before is lost; "
        "please try again in a moment.",
    }
    message = messages.get(error.code, error.description)
    title = error.name
    if error.code == 413:  # an upload's own limit in plain words (a photo: its size)
        message = security.too_large_message() or message
        title = "Too large to send"
    return render(
        "errors/error.html",
        status=error.code or 500,
        title=title,
        message=message,
    )


def _undecodable_address(error: UnicodeDecodeError):
    """Raw bytes that aren't UTF-8 in the query string: Werkzeug's ``request.args`` raises
    instead of replacing them (percent-escaped ones it keeps as text). That is the
    visitor's address, not our bug: a 400. Any other decoding error is still a 500."""
    try:
        request.query_string.decode()
    except UnicodeDecodeError:
        return render(
            "errors/error.html",
            status=400,
            title="Bad Request",
            message="That address has characters that aren't text. Check the link, or go "
            "back and try again.",
        )
    raise error


def _database_down(error: OperationalError):
    current_app.logger.error("database unavailable: %s", error)
    return render(
        "errors/error.html",
        status=503,
        title="Temporarily unavailable",
        message="The service can't reach its database right now. Please try again in a minute; "
        "nothing you saved before is lost.",
    )


def _too_many_requests(error: TooManyRequests):
    """The login rate limit: say when to try again, in minutes, and send Retry-After."""
    if getattr(error, "response", None) is not None:  # the limit's own answer (messages)
        return error.response
    current = limiter.current_limit
    seconds = 60
    locked = isinstance(error.retry_after, int)  # an account locked (tracker/web/security.py)
    if locked:
        seconds = error.retry_after
    elif current is not None and current.breached:
        seconds = max(1, math.ceil(current.window.reset_time - time.time()))
    minutes = max(1, math.ceil(seconds / 60))
    when = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    # The same words for an email with no account: they say nothing about which exist.
    message = (f"Too many wrong passwords have been tried for this email, so logging in "
               f"with it is paused. {when} \"Forgot password?\" can set a new password "
               "now." if locked else f"There have been too many login attempts for now. {when}")
    response = render("errors/error.html", status=429, title="Too many attempts",
                      message=message)
    response.headers["Retry-After"] = str(seconds)
    return response
