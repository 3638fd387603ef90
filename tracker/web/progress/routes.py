"""Progress: pain over time, adherence, habit score, streak, the week ahead."""
from flask import Blueprint
from flask_login import current_user

from tracker.store import outcomes, plans, queries, reports
from tracker.store.models import CLIENT
from tracker.web.access import role_required
from tracker.web.pages import render
from tracker.web.questionnaires import catalogue

bp = Blueprint("progress", __name__)


@bp.get("/progress")
@role_required(CLIENT)
def progress():
    """The client's own progress page: the current plan's, else the last finished one's
    (as it stood on the day it was finished)."""
    today = plans.local_today(current_user)
    plan = queries.current_plan(current_user).first()
    history = plans.finished_plans(current_user)
    ended = None
    if plan is None and history:
        plan, ended = history[0]
        ended = min(ended or today, today)
    report = reports.progress_report(plan, ended or today) if plan else None
    function_views = outcomes.function_views(current_user, today, "function",
                                             catalogue().instruments)
    return render("progress/progress.html", plan=plan, report=report, ended=ended,
                  history=history, function_views=function_views)
