"""Progress: pain over time, adherence, habit score, streak, the week ahead."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from tracker.store import plans, reports
from tracker.store.models import Plan
from tracker.web.pages import render

bp = Blueprint("progress", __name__)


@bp.get("/progress")
@login_required
def progress():
    """The client's own progress page."""
    if current_user.is_therapist:
        abort(404)
    plan = Plan.current_for(current_user)
    report = reports.progress_report(plan, plans.local_today(current_user)) if plan else None
    return render("progress/progress.html", plan=plan, report=report)
