"""Progress: pain over time, adherence, habit score, streak, the week ahead."""
from flask import Blueprint
from flask_login import current_user

from tracker.store import plans, queries, reports
from tracker.store.models import CLIENT
from tracker.web.access import role_required
from tracker.web.pages import render

bp = Blueprint("progress", __name__)


@bp.get("/progress")
@role_required(CLIENT)
def progress():
    """The client's own progress page."""
    plan = queries.current_plan(current_user).first()
    report = reports.progress_report(plan, plans.local_today(current_user)) if plan else None
    return render("progress/progress.html", plan=plan, report=report)
