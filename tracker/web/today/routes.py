"""Today: the client's items for a day, check-offs, skips and session bookings."""
from datetime import date, timedelta
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from tracker.domain import day as day_model
from tracker.domain import phases, times
from tracker.store import checkins, checkoffs, offline, plans
from tracker.store.models import CLIENT, Plan
from tracker.web import kept
from tracker.web.access import role_required
from tracker.web.checkin.routes import safety_screen
from tracker.web.pages import render, rendered, wants_fragment
from tracker.web.questionnaires.routes import questionnaires_due
from tracker.web.today import items
from tracker.web.today.forms import BookForm, CheckForm, SkipForm

bp = Blueprint("today", __name__)
bp.add_app_template_global(items.today_item)

LATE_DAYS = checkins.LATE_DAYS  # how far back a client may still check things off


def _window(today: date) -> tuple[date, date]:
    return today - timedelta(days=LATE_DAYS), today


def _parse_day(text: str, today: date) -> date | None:
    """A day the client may open or change, or None."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    first, last = _window(today)
    return day if first <= day <= last else None


class CheckInGlance(NamedTuple):
    """Today's check-in as /today shows it."""
    leg_pain: int
    back_pain: int


class PauseGlance(NamedTuple):
    """A pause as /today shows it."""
    id: int
    scope: str
    start: date
    reason: str


def _page(plan: Plan | None, view: day_model.DayView | None, day: date, today: date,
          booking: dict | None = None):
    first, _ = _window(today)
    context = dict(
        view=view,
        day=day,
        today=today,
        technique_ids=plans.technique_ids(i.technique for i in view.items) if view else {},
        previous_day=day - timedelta(days=1) if day > first else None,
        next_day=day + timedelta(days=1) if day < today else None,
        questionnaires_due=questionnaires_due(plan, today) if plan and day == today else [],
    )
    status_context = checkins.status_context(current_user, plan, today)
    if booking or status_context["reports"]:
        # A refused booking (what was typed) and an open report (its forms) are shown
        # afresh each time: never a kept page.
        return render("today/today.html", status=422 if booking else 200, plan=plan,
                      booking=booking, **context, **safety_screen(status_context))
    checkin = status_context["checkin"]
    return kept.render_kept(
        "today/today.html",
        plan=plan is not None,
        booking=None,
        checkin=CheckInGlance(checkin.leg_pain, checkin.back_pain) if checkin else None,
        pauses=tuple(PauseGlance(p.id, p.scope, p.start, p.reason)
                     for p in status_context["pauses"]),
        safety=status_context["safety"],
        questions_due=bool(status_context["questions_due"]),
        sore_after_session=bool(status_context["sore_after_session"]),
        **safety_screen({"reports": ()}),  # no report open: no forms, the texts
        **context,
    )


@bp.get("/today")
@login_required
def today():
    """Items due today (or another of the last 7 days), in the order they are done."""
    if current_user.is_therapist:  # their nav's first page: a therapist's start is home
        return redirect(url_for("main.home"))
    local_today = plans.local_today(current_user)
    day = local_today
    if "day" in request.args:
        day = _parse_day(request.args["day"], local_today)
        if day is None:
            flash("You can open today and the 7 days before it.", "error")
            return redirect(url_for("today.today"))
    return _page(*plans.current_day(current_user.id, day), day, local_today)


def _due_item(day_text: str, item_key: str):
    """The plan, the day, the day's view and the item due that day, or 404."""
    day = _parse_day(day_text, plans.local_today(current_user))
    if day is None:  # no such day to change
        abort(404)
    plan, view = plans.current_day(current_user.id, day)
    item = view.item(item_key) if view else None
    if item is None:  # no plan, or nothing by that key due that day
        abort(404)
    return plan, day, view, item


def _item_url(day: date, item_key: str) -> str:
    return url_for("today.today", day=day.isoformat(), _anchor=f"item-{item_key}")


def _back_to_item(day: date, item_key: str, message: str):
    """A plain answer to a refused change: the day again, at the item, with why."""
    flash(message, "error")
    return redirect(_item_url(day, item_key))


def _answer(day: date, view: day_model.DayView, item_key: str):
    """htmx: the changed item and the day's progress; a plain post: back to the day.

    ``view`` is the day as it now stands: read before the change, with the change applied
    (a day's list of items does not depend on its own check-offs), so it is not read twice.
    """
    if not wants_fragment():
        return redirect(_item_url(day, item_key))
    item = view.item(item_key)
    return rendered(items.item_swap(item, view.progress, day,
                                    plans.technique_ids([item.technique])))


def _mark(day: date, view: day_model.DayView, item_key: str, op_id: str, write,
          mark: day_model.Mark | None):
    """Run ``write`` once per ``op_id`` (an offline replay is not applied twice), then
    answer with the item marked as it now stands."""
    if offline.apply_once(current_user, op_id, write):
        view = view.with_mark(item_key, mark)
    return _answer(day, view, item_key)


@bp.post("/today/<day_text>/<item_key>")
@role_required(CLIENT)
def check(day_text: str, item_key: str):
    """Check an item off, or undo it."""
    plan, day, view, item = _due_item(day_text, item_key)
    form = CheckForm()
    if not form.validate_on_submit():
        abort(400)
    done = form.done.data == "1"
    return _mark(day, view, item.key, form.op_id.data,
                 lambda: checkoffs.set_done(plan, item.key, day, done),
                 day_model.Mark(day_model.DONE) if done else None)


@bp.post("/today/<day_text>/<item_key>/skip")
@role_required(CLIENT)
def skip(day_text: str, item_key: str):
    """Skip an item with a reason; it then doesn't count as missed."""
    plan, day, view, item = _due_item(day_text, item_key)
    form = SkipForm()
    if not form.validate_on_submit():
        return _back_to_item(day, item.key, "Please pick a reason for skipping.")
    reason = form.reason.data
    return _mark(day, view, item.key, form.op_id.data,
                 lambda: checkoffs.skip(plan, item.key, day, reason),
                 day_model.Mark(day_model.SKIPPED, reason))


@bp.post("/today/<day_text>/<item_key>/book")
@role_required(CLIENT)
def book(day_text: str, item_key: str):
    """Move a professional session to the date and time it is booked for."""
    plan, day, view, item = _due_item(day_text, item_key)
    if not item.is_session:
        abort(404)
    form = BookForm(data={"at": item.time})
    if not form.validate_on_submit():
        return _booking_refused(plan, view, day, item, form,
                                (form.day.errors + form.at.errors)[0])
    refusal = phases.booking_refusal(plans.plan_input(plan), day, form.day.data,
                                     plans.local_today(current_user), late_days=LATE_DAYS)
    if refusal:
        return _booking_refused(plan, view, day, item, form, refusal)
    checkoffs.book(plan, item.key, item.booked_from or day, form.day.data, form.at.data)
    flash(f"{item.name} booked for {form.day.data:%A} {form.day.data.day} {form.day.data:%B}.",
          "success")
    return redirect(url_for("today.today", day=day.isoformat()))



def _booking_refused(plan: Plan, view: day_model.DayView, day: date,
                     item: day_model.TodayItem, form: BookForm, message: str):
    """The day again (422) with the item's booking form open, as it was typed, and why."""
    booking = {
        "key": item.key,
        "day": form.day.raw_data[0] if form.day.raw_data else "",
        "at": times.format_time_of_day(form.at.data) or "",  # the typed time, if it is one
        "error": message,
    }
    return _page(plan, view, day, plans.local_today(current_user), booking=booking)
