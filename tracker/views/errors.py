"""Error pages: plain words, never a stack trace."""
from flask import Flask, current_app
from flask_wtf.csrf import CSRFError
from peewee import OperationalError
from werkzeug.exceptions import HTTPException

from tracker.pages import render


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_down)


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
        500: "Something went wrong on our side. Nothing you saved before is lost; "
        "please try again in a moment.",
    }
    return render(
        "errors/error.html",
        status=error.code or 500,
        title=error.name,
        message=messages.get(error.code, error.description),
    )


def _database_down(error: OperationalError):
    current_app.logger.error("database unavailable: %s", error)
    return render(
        "errors/error.html",
        status=503,
        title="Temporarily unavailable",
        message="The service can't reach its database right now. Please try again in a minute; "
        "nothing you saved before is lost.",
    )
