"""Outcome measures on the web: answering, history and a plan's questionnaire schedule."""
from __future__ import annotations

from flask import current_app

from tracker.store.instruments import Catalogue


def catalogue() -> Catalogue:
    """The instruments this clinic offers (loaded at start-up by ``create_app``)."""
    return current_app.extensions["instruments"]
