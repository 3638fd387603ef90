"""Jinja filters for showing dates the way people read them."""
from datetime import date

from flask import Flask


def short_date(day: date | None) -> str:
    """ "Mon 14 Dec" """
    return "" if day is None else f"{day:%a} {day.day} {day:%b}"


def long_date(day: date | None) -> str:
    """ "Monday 14 December 2026" """
    return "" if day is None else f"{day:%A} {day.day} {day:%B %Y}"


def init_app(app: Flask) -> None:
    app.add_template_filter(short_date)
    app.add_template_filter(long_date)
