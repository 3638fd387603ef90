"""Questionnaires on the web (issue 19): the client answers the ones due and reads their
earlier answers; the plan's author adds and removes questionnaires on a client's plan."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from tracker.domain.instruments import Instrument
from tracker.store import audit, offline, plans, queries
from tracker.store import questionnaires as store
from tracker.store.models import CLIENT, THERAPIST, CareLink, Plan, User
from tracker.web.access import get_object_or_404, require_plan_author, role_required
from tracker.web.pages import render
from tracker.web.questionnaires import catalogue
from tracker.web.questionnaires.forms import (
    COMPLETE,
    NO,
    YES,
    AnswerForm,
    Answers,
    AssignForm,
    RemoveForm,
    name_field,
    read_answers,
)

bp = Blueprint("questionnaires", __name__)


# --------------------------------------------------------------------------- the client

@bp.get("/questionnaires")
@role_required(CLIENT)
def index():
    """The questionnaires due today, the ones on the plan, and the earlier answers."""
    today = plans.local_today(current_user)
    plan = queries.current_plan(current_user).first()
    offered = catalogue().instruments
    due = store.due(plan, today, offered) if plan else []
    assigned = [(rule, offered[rule.instrument]) for rule in store.rules(plan)
                if rule.instrument in offered] if plan else []
    earlier = [(offered[i], store.history(current_user, i, offered))
               for i in store.answered(current_user) if i in offered]
    drafts = {i for i in due if (r := store.on_day(current_user, i, today)) is not None
              and r.status == r.DRAFT}
    return render("questionnaires/index.html", plan=plan, today=today,
                  due=[offered[i] for i in due], drafts=drafts, assigned=assigned,
                  earlier=earlier)


def _answerable(instrument_id: str) -> tuple[Instrument, Plan]:
    """An instrument on the client's current plan, and the plan; anything else 404."""
    instrument = catalogue().get(instrument_id)
    plan = queries.current_plan(current_user).first()
    if instrument is None or plan is None \
            or instrument_id not in {r.instrument for r in store.rules(plan)}:
        abort(404)
    return instrument, plan


def _shown(instrument: Instrument, answers: dict, names: dict) -> Answers:
    """Saved answers as the form shows them."""
    shown = Answers()
    for item in instrument.items:
        value = answers.get(item.key)
        shown.typed[item.key] = "" if value is None else (
            (YES if value else NO) if isinstance(value, bool) else str(value))
        if item.named:
            shown.typed[name_field(item)] = names.get(item.key, "")
    return shown


@bp.route("/questionnaires/<instrument_id>", methods=["GET", "POST"])
@role_required(CLIENT)
def answer(instrument_id: str):
    """Answer one questionnaire today: save it for later, or finish it; today's answers
    can be corrected today."""
    instrument, plan = _answerable(instrument_id)
    today = plans.local_today(current_user)
    existing = store.on_day(current_user, instrument.id, today)
    if request.method == "GET":
        names = dict(existing.names) if existing and existing.names \
            else store.last_names(current_user, instrument.id)
        shown = _shown(instrument, dict(existing.answers) if existing else {}, names)
        return _form(instrument, today, existing, shown, AnswerForm())
    form = AnswerForm()
    posted = read_answers(instrument, request.form)
    if not form.validate_on_submit():
        return _form(instrument, today, existing, posted, form, status=400,
                     error="Something in the form was not as expected; please try again.")
    day = form.day.data or today
    if day != today:
        return _form(instrument, today, existing, posted, form, status=400, error=(
            f"These answers were given on {day:%-d %B}: answers can only be given or "
            "corrected on their own day, so they were not saved."))
    if posted.errors:
        return _form(instrument, today, existing, posted, form, status=400,
                     error="Please correct the answers marked below; nothing was saved yet.")
    complete = form.save.data in (None, "", COMPLETE)
    try:
        offline.apply_once(current_user, form.op_id.data, lambda: store.save_answers(
            current_user, instrument.id, posted.answers, today=today, names=posted.names,
            complete=complete, plan=plan, instruments=catalogue().instruments))
    except store.QuestionnaireError as exc:
        return _form(instrument, today, existing, posted, form, status=400,
                     error=f"Not saved yet: {_sentence(exc.message)}")
    if complete:
        flash(f"Thank you. Your answers to the {instrument.name} are saved. You can correct "
              "them until the end of today.", "success")
        return redirect(url_for("questionnaires.index"))
    flash("Saved for later. Come back today to finish: your answers are kept.", "success")
    return redirect(url_for("questionnaires.index"))


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _form(instrument: Instrument, today, existing, shown: Answers, form: AnswerForm,
          status: int = 200, error: str = ""):
    return render("questionnaires/answer.html", status=status, instrument=instrument,
                  today=today, existing=existing, shown=shown, form=form, error=error,
                  name_field=name_field)


@bp.get("/questionnaires/<instrument_id>/history")
@role_required(CLIENT)
def history(instrument_id: str):
    """The client's earlier answers to one questionnaire, with the change from the first."""
    instrument = catalogue().get(instrument_id)
    if instrument is None:
        abort(404)
    offered = catalogue().instruments
    entries = store.history(current_user, instrument.id, offered)
    return render("questionnaires/history.html", instrument=instrument,
                  entries=list(reversed(entries)),
                  answers=store.complete_answers(current_user, instrument.id),
                  today=plans.local_today(current_user))


# --------------------------------------------------------------------------- the therapist

def _plan_to_change(client_id: int) -> tuple[User, Plan]:
    """One of the therapist's clients and their current plan, which the therapist must be
    allowed to change (one author: 403 for the client's other therapists); else 404."""
    client = get_object_or_404(CareLink.clients_of(current_user.id), User.id == client_id)
    plan = get_object_or_404(queries.current_plan(client))
    require_plan_author(plan)
    return client, plan


def assign_form(plan: Plan | None = None, formdata=None) -> AssignForm:
    form = AssignForm(formdata=formdata, prefix="questionnaire") if formdata is not None \
        else AssignForm(prefix="questionnaire", data={"at_start": True})
    form.instrument.choices = [(i.id, i.name) for i in catalogue().instruments.values()]
    return form


@bp.app_template_global("questionnaire_panel")
def questionnaire_panel(plan: Plan) -> dict:
    """What the client page's questionnaire card shows: the plan's questionnaires (with
    their names) and the form to add one."""
    offered = catalogue().instruments
    own = list(plan.questionnaires.order_by(plan.questionnaires.model.id))
    return {"rules": [(r, offered.get(r.instrument)) for r in own],
            "default": not own and plan.self_guided,
            "form": assign_form(plan)}


@bp.post("/clients/<int:client_id>/questionnaires")
@role_required(THERAPIST)
def assign(client_id: int):
    """Add a questionnaire to the client's plan, or change when it is asked."""
    client, plan = _plan_to_change(client_id)
    form = assign_form(plan, request.form)
    if not form.validate_on_submit():
        return render("questionnaires/assign.html", status=400, client=client, form=form)
    instrument = catalogue().get(form.instrument.data)
    try:
        store.assign(plan, instrument.id, at_start=bool(form.at_start.data),
                     every_weeks=form.every_weeks.data,
                     at_phase_change=bool(form.at_phase_change.data),
                     instruments=catalogue().instruments)
    except store.QuestionnaireError as exc:  # the form checks the same; a race at most
        form.instrument.errors = [_sentence(exc.message)]
        return render("questionnaires/assign.html", status=400, client=client, form=form)
    audit.plan_changed(plan, current_user, "edited")
    flash(f"{client.name} will be asked the {instrument.name} {describe(form)}.", "success")
    return redirect(url_for("client_page.show", client_id=client.id, _anchor="questionnaires"))


def describe(rule) -> str:
    """When a rule (or the assign form) asks: "at the start, every 2 weeks"."""
    def value(name):
        got = getattr(rule, name)
        return getattr(got, "data", got)
    parts = []
    if value("at_start"):
        parts.append("at the start")
    if value("every_weeks"):
        weeks = value("every_weeks")
        parts.append("every week" if weeks == 1 else f"every {weeks} weeks")
    if value("at_phase_change"):
        parts.append("at each phase change")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] \
        if parts else "never"


@bp.route("/clients/<int:client_id>/questionnaires/<instrument_id>/remove",
          methods=["GET", "POST"])
@role_required(THERAPIST)
def unassign(client_id: int, instrument_id: str):
    """Ask, then take a questionnaire off the client's plan (the answers stay)."""
    client, plan = _plan_to_change(client_id)
    if not plan.questionnaires.where(plan.questionnaires.model.instrument == instrument_id) \
            .exists():
        abort(404)
    instrument = catalogue().get(instrument_id)
    name = instrument.name if instrument else instrument_id
    form = RemoveForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        store.unassign(plan, instrument_id)
        audit.plan_changed(plan, current_user, "edited")
        flash(f"The {name} is no longer on {client.name}'s plan. Their earlier answers stay.",
              "success")
        return redirect(url_for("client_page.show", client_id=client.id,
                                _anchor="questionnaires"))
    return render("questionnaires/remove.html", client=client, name=name,
                  instrument_id=instrument_id, form=form)


# --------------------------------------------------------------------------- template helpers

@bp.app_template_filter("q_score")
def q_score(value: float | None) -> str:
    """A score as people write it: 6, 6.5, 6.33; "–" when too few were answered."""
    if value is None:
        return "–"
    return f"{value:.2f}".rstrip("0").rstrip(".")


@bp.app_template_filter("q_signed")
def q_signed(value: float) -> str:
    """A change with its sign: "+3", "−1.5", "no change"."""
    if not value:
        return "no change"
    return ("+" if value > 0 else "−") + q_score(abs(value))


@bp.app_template_global("q_when")
def q_when(rule) -> str:
    return describe(rule)


@bp.app_template_global("q_answer")
def q_answer(item, value) -> str:
    """An answer as the client gave it: "7", "Yes", "Much better"."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    for option in item.response.options:
        if option.value == value:
            return option.label
    return str(value)


def questionnaires_due(plan: Plan, today) -> list[tuple[str, str]]:
    """(id, name) of the questionnaires due on the client's ``today``, for /today: one
    query (``store.due_now``)."""
    offered = catalogue().instruments
    return [(i, offered[i].name) for i in store.due_now(plan, today, offered)]
