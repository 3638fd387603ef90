"""Home and the health check."""
from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user, login_required
from peewee import DatabaseError

from tracker.store.db import database
from tracker.web.pages import render

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Send visitors to their home page, or to log in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_therapist:
        return redirect(url_for("clients.roster"))
    return redirect(url_for("today.today"))


@bp.get("/home")
@login_required
def home():
    """The signed-in landing page."""
    return render("main/home.html")


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with database.connection_context():
            database.execute_sql("SELECT 1")
    except DatabaseError:
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
