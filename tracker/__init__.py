"""The sciatica care-plan tracker: a Flask app factory.

Importing the package imports nothing else: Flask and the layers are imported when the app
is built, so the pure modules (``tracker.domain``) can be imported without Flask or peewee.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, database, extensions, blueprints, CLI.

    ``test_config["INSTANCE_PATH"]`` or ``TRACKER_INSTANCE_PATH`` (an absolute path) moves
    the instance folder, so tests never write to the repository's ``instance/``.
    """
    from flask import Flask

    from tracker import config
    from tracker.store import db, models
    from tracker.web import assets, extensions, figures, kept, nav, security, templating

    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=(test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("TRACKER_INSTANCE_PATH") or None,
        template_folder="../templates",
        static_folder="../static",
    )
    config.load(app, test_config)
    config.init_vapid(app)
    db.init_app(app)
    models.set_password_hash_method(app.config["PASSWORD_HASH_METHOD"])
    extensions.init_app(app)
    security.init_app(app)
    nav.init_app(app)
    kept.init_app(app)
    templating.init_app(app)
    figures.init_app(app)
    assets.init_app(app)
    from tracker.store import instruments

    # The questionnaires this clinic offers: the built-ins and its definition files
    # (<instance>/instruments/*.json), read once here; a restart picks up a new file.
    app.extensions["instruments"] = instruments.load(
        instruments.instance_folder(app.instance_path))

    from tracker.jobs import cli, tasks  # noqa: F401 (tasks: the safety alerts' receiver)
    from tracker.web import errors
    from tracker.web.auth import routes as auth
    from tracker.web.builder import routes as builder
    from tracker.web.calendar import routes as calendar
    from tracker.web.checkin import routes as checkin
    from tracker.web.clients import page_routes as client_page
    from tracker.web.clients import routes as clients
    from tracker.web.handout import routes as handout
    from tracker.web.library import routes as library
    from tracker.web.main import routes as main
    from tracker.web.messages import routes as messages
    from tracker.web.notes import routes as notes
    from tracker.web.offline import routes as offline
    from tracker.web.plans import routes as plans
    from tracker.web.progress import routes as progress
    from tracker.web.push import routes as push
    from tracker.web.questionnaires import routes as questionnaires
    from tracker.web.settings import alert_routes as alerts
    from tracker.web.settings import audit_routes as audit
    from tracker.web.settings import reminder_routes as reminders
    from tracker.web.settings import routes as settings
    from tracker.web.today import routes as today

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(plans.bp)
    app.register_blueprint(today.bp)
    app.register_blueprint(progress.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(checkin.bp)
    app.register_blueprint(client_page.bp)
    app.register_blueprint(builder.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(reminders.bp)
    app.register_blueprint(alerts.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(clients.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(push.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(handout.bp)
    app.register_blueprint(questionnaires.bp)
    errors.init_app(app)
    cli.init_app(app)
    return app
