"""The plan builder: templates, a draft plan kept in the form, preview, assign, edit.

Therapists only (a client gets 403). The draft lives in the posted fields, so every
step is one POST to ``builder.update`` that parses them (tracker.domain.builder), applies the
button's action and shows the result. Without JavaScript that is the whole page. With htmx
it is only the part the action changed (one item, one phase, or the list of phases:
``builder.scope``), retargeted there, and the 12-week preview asks for itself again
(``live``) as the therapist edits; the whole builder only while errors are, or were, on
show (its summary has to come or go). Dates are the client's days once the client is known.
"""
import re
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from peewee import fn

from tracker.domain import builder, library, schedule, text, wording
from tracker.store import plans, queries
from tracker.store.models import THERAPIST, CareLink, Plan, PlanTemplate, Technique, User
from tracker.web.access import get_object_or_404, require_plan_author, role_required
from tracker.web.builder.forms import BuilderForm
from tracker.web.library.routes import KIND_HEADINGS
from tracker.web.pages import render, submitted_status, wants_fragment
from tracker.web.questionnaires import catalogue as questionnaire_catalogue

bp = Blueprint("builder", __name__, url_prefix="/plans")

OWN_PREFIX = "own-"
SEARCH_MAX = 100
_ITEM_PREFIX = re.compile(r"phases-\d{1,4}-items-\d{1,4}")
# The select lists professional sessions first: they shape a plan, self-care fills it in.
KIND_ORDER = ("session", "stretch", "self_massage", "heat_cold")


# --- queries ------------------------------------------------------------------------------


def _catalogue() -> dict[str, builder.Technique]:
    rows = Technique.visible_to(current_user.id).order_by(fn.LOWER(Technique.name), Technique.id)
    return {t.slug: builder.Technique(t.slug, t.name, t.kind, t.dose or {}) for t in rows}


def _clients() -> list[User]:
    return list(CareLink.clients_of(current_user.id).order_by(fn.LOWER(User.name), User.id))


def _own_template(template_id: int) -> PlanTemplate:
    return get_object_or_404(queries.templates_of(current_user.id),
                             PlanTemplate.id == template_id)


def _plan(plan_id: int) -> Plan:
    """A plan of one of the current therapist's linked clients that they may change."""
    plan = get_object_or_404(queries.plans_in_care_of(current_user.id), Plan.id == plan_id)
    require_plan_author(plan)  # one author: 403 for the client's other therapists
    return plan


def _client(client_id: int | None) -> User:
    """One of the current therapist's linked clients."""
    return get_object_or_404(CareLink.clients_of(current_user.id), User.id == client_id)


def _source(source: str) -> tuple[dict, str, str]:
    """(spec, name, description) of a built-in template slug or "own-<id>"; 404 otherwise."""
    if source.startswith(OWN_PREFIX) and source[len(OWN_PREFIX):].isdigit():
        own = _own_template(int(source[len(OWN_PREFIX):]))
        return own.spec, own.name, own.description
    try:
        template = library.template(source)
    except KeyError:
        abort(404)
    return template["spec"], template["name"], template["description"]


# --- rendering ----------------------------------------------------------------------------


def _groups_for(catalogue: dict[str, builder.Technique]):
    """A function giving an item's select options, grouped by kind (cached when unfiltered)."""
    everything = builder.technique_groups(catalogue, _headings())

    def groups_for(item: builder.ItemDraft):
        if not item.search and (not item.technique or item.technique in catalogue):
            return everything
        return builder.technique_groups(catalogue, _headings(), item.search, item.technique,
                                        item.name)

    return groups_for


def _function_ids() -> list[str]:
    """The questionnaires a symptoms exit may require: the clinic's with an MCID."""
    found = questionnaire_catalogue().instruments
    return [key for key, instrument in found.items() if instrument.mcid is not None]


def _function_choices() -> list[tuple[str, str]]:
    found = questionnaire_catalogue().instruments
    return [("", "Leg pain only")] + [(key, wording.function_choice(key, found))
                                      for key in _function_ids()]


def _headings() -> dict[str, str]:
    return {kind: KIND_HEADINGS[kind] for kind in KIND_ORDER}


def _controls(catalogue) -> dict:
    """What the builder's controls need, whichever part of it is shown."""
    return {
        "groups_for": _groups_for(catalogue),
        "cadence_choices": builder.CADENCE_CHOICES,
        "anchor_choices": builder.ANCHOR_CHOICES,
        "ordinal_choices": builder.ORDINAL_CHOICES,
        "exit_choices": builder.EXIT_CHOICES,
        "function_choices": _function_choices(),
        "weekdays": wording.SHORT_WEEKDAYS,
    }


def _zone_label(client: User | None) -> str:
    """Whose days the dates are, when the client's zone is not the therapist's."""
    if client is None or client.timezone == current_user.timezone:
        return ""
    return f"Dates are {client.name}'s days ({client.timezone})."


def _page(draft: builder.Draft, form: BuilderForm, catalogue, *, plan: Plan | None = None,
          client: User | None = None, errors=None, status: int = 200, message: str = "",
          preview=None):
    errors = errors or {}
    builder.open_with_errors(draft, errors)
    listed = builder.error_list(draft, errors) + [
        (f.id, f"{f.label.text}: {text}") for f in form for text in f.errors
    ]
    focus = "error-summary" if listed else "preview-heading" if preview else draft.focus
    client = plan.client if plan else client
    return render(
        "builder/builder.html",
        "builder/_builder.html",
        status=status,
        draft=draft,
        form=form,
        plan=plan,
        client=client,
        zone_label=_zone_label(client),
        errors=errors,
        error_list=listed,
        autofocus=focus,
        message=message,
        preview=preview or _live_preview(draft, form, catalogue, plan, client),
        form_invalid=bool(listed) or status >= 400,
        **_controls(catalogue),
    )


def _retarget(response: Response, element_id: str, swap: str = "outerHTML") -> Response:
    """Swap the response in place of ``element_id`` (or as ``swap`` says) instead of the
    whole builder."""
    response.headers["HX-Retarget"] = f"#{element_id}"
    response.headers["HX-Reswap"] = swap
    return response


def _part(draft: builder.Draft, catalogue, part: tuple[str, tuple[int, ...]], plan: Plan | None,
          autofocus: str) -> Response:
    """Only the part of the builder an action changed, for htmx: an item (the one added goes
    at the end of its list; two that swapped places come as one and an out-of-band other),
    a phase, or the list of phases (a remove or a move renumbers the ones after it)."""
    kind, numbers = part
    context = dict(draft=draft, plan=plan, errors={}, autofocus=autofocus, **_controls(catalogue))
    if kind in (builder.ITEM, builder.ADDED, builder.PAIR):
        phase = draft.phases[numbers[0]]
        item = phase.items[numbers[1]]
        also = [phase.items[numbers[2]]] if kind == builder.PAIR else []
        response = render("builder/builder.html", "builder/_items.html", phase=phase,
                          item=item, also=also, **context)
        if kind == builder.ADDED:
            return _retarget(response, f"{phase.prefix}-items", "beforeend")
        return _retarget(response, f"{item.prefix}-row")
    if kind == builder.PHASE:
        phase = draft.phases[numbers[0]]
        return _retarget(render("builder/builder.html", "builder/_phase.html", phase=phase,
                                **context), phase.prefix)
    return _retarget(render("builder/builder.html", "builder/_phases.html", **context), "phases")


def _parts_will_do(draft: builder.Draft) -> bool:
    """Whether an htmx answer may be one part: not while errors are shown or were (the
    summary at the top has to come or go with them)."""
    return wants_fragment() and not draft.errors and not request.form.get("shown_errors")


def _today(client: User | None) -> date:
    """Today where the client lives (their days are the plan's), else where the therapist is."""
    return plans.local_today(client or current_user)


def _preview_of(spec: dict, first: date, plan: Plan | None, client: User | None) -> dict:
    """The next 12 weeks of ``spec`` from ``first``: for an assigned plan, as a change to it."""
    if plan is None:
        plan_in = builder.plan_input(spec, first)
        changes = ""
    else:
        current = plans.plan_input(plan)
        plan_in = builder.with_revision(current, spec, first)
        old = schedule.spec_on(current, first).to_dict()
        changes = builder.describe_changes(old, spec) or "nothing yet"
    weeks = builder.preview(plan_in, first)
    return {
        "weeks": weeks,
        "nothing_due": not any(week.sessions or week.self_care for week in weeks),
        "cards": wording.phase_cards(plan_in, max(first, _today(client)),
                                     instruments=questionnaire_catalogue().instruments),
        "changes": changes,
    }


def _live_preview(draft: builder.Draft, form: BuilderForm, catalogue, plan: Plan | None,
                  client: User | None) -> dict:
    """The preview as the draft stands, marking no field: the weeks, or what is missing
    (``waiting``: target id and message, as the error summary words them)."""
    spec, errors = builder.check(draft, catalogue, _function_ids())
    waiting = builder.error_list(draft, errors)
    first = form.date_for_preview(plan.start if plan else None)
    if first is None:
        field = form.effective_from if plan else form.start
        waiting.append((field.id, f"{field.label.text}: pick a date in the range given."))
    if waiting:
        return {"waiting": waiting}
    return _preview_of(spec, first, plan, client)


def _go(url: str) -> Response:
    """Post/redirect/get; htmx ignores 3xx headers, so it is told with HX-Redirect."""
    if wants_fragment():
        return Response(status=204, headers={"HX-Redirect": url})
    return redirect(url)


# --- views --------------------------------------------------------------------------------


@bp.get("")
@role_required(THERAPIST)
def templates():
    """Built-in templates and the therapist's own, to start a plan from."""
    own = list(queries.templates_of(current_user.id)
               .order_by(fn.LOWER(PlanTemplate.name), PlanTemplate.id))
    clients = _clients()
    current = {p.client_id: p for p in Plan.select().where(
        Plan.client.in_([c.id for c in clients]) & (Plan.status != Plan.FINISHED)
    ).order_by(Plan.start, Plan.id)} if clients else {}
    client_id = request.args.get("client", type=int)
    if client_id not in {c.id for c in clients}:
        client_id = None
    return render(
        "builder/templates.html",
        builtins=library.TEMPLATES,
        own=own,
        client_id=client_id,
        client_plans=[(c, current[c.id]) for c in clients if c.id in current],
    )


@bp.route("/templates/<int:template_id>/delete", methods=["GET", "POST"])
@role_required(THERAPIST)
def delete_template(template_id: int):
    """Ask first (GET), then delete one of one's own templates (POST)."""
    template = _own_template(template_id)
    if request.method == "POST":
        template.delete_instance()
        flash(f"Deleted the template “{template.name}”. Plans made from it are unchanged.",
              "success")
        return redirect(url_for("builder.templates"))
    return render("builder/delete.html", template=template)


@bp.get("/new")
@role_required(THERAPIST)
def new():
    """The builder, starting from a template (``?template=``) or from scratch."""
    source = request.args.get("template", "")
    client_id = request.args.get("client", "")
    # someone else's client, or no client at all: 404
    client = _client(int(client_id) if client_id.isdigit() else None) if client_id else None
    if source:
        spec, name, description = _source(source)
        draft = builder.draft_from_spec(spec)
    else:
        draft, name, description = builder.scratch(), "", ""
    form = BuilderForm(_today(client), _clients(), data={
        "source": source, "title": name, "client": client_id,
        "template_name": name, "template_description": description,
    })
    return _page(draft, form, _catalogue(), client=client)


@bp.get("/<int:plan_id>/edit")
@role_required(THERAPIST)
def edit(plan_id: int):
    """Change a client's plan from a date on; the plan as in force today to start from."""
    plan = _plan(plan_id)
    today = _today(plan.client)  # the client's day: the plan runs on their calendar
    spec = schedule.spec_on(plans.plan_input(plan), today).to_dict()
    form = BuilderForm(today, data={
        "plan_id": str(plan.id), "title": plan.title, "template_name": plan.title,
        "effective_from": max(today, plan.start),
    })
    return _page(builder.draft_from_spec(spec), form, _catalogue(), plan=plan)


@bp.post("/builder")
@role_required(THERAPIST)
def update():
    """Apply one button of the builder to the posted draft, then show it (or save it)."""
    plan_id = request.form.get("plan_id", "")
    plan = _plan(int(plan_id)) if plan_id.isdigit() else None
    clients = [] if plan else _clients()
    chosen = request.form.get("client", "")
    client = plan.client if plan else next((c for c in clients if str(c.id) == chosen), None)
    form = BuilderForm(_today(client), clients)
    catalogue = _catalogue()
    draft = builder.parse(request.form, catalogue)
    action = request.form.get("action", "refresh")
    try:
        name = builder.action_name(action)
    except builder.UnknownAction:
        return _page(draft, form, catalogue, plan=plan, client=client,
                     status=submitted_status(form),
                     message="That button isn't one the builder knows. Nothing was saved.")
    if name not in builder.FINAL_ACTIONS:
        draft = builder.apply(draft, action)
        part = builder.scope(draft, action)
        if part[0] != builder.WHOLE and _parts_will_do(draft):
            # the therapist is already where they edit: only an added or moved thing takes focus
            focus = "" if part[0] == builder.ITEM else draft.focus
            return _part(draft, catalogue, part, plan, focus)
        return _page(draft, form, catalogue, plan=plan, client=client, errors=draft.errors)
    if name == "preview" and request.form.get("live") and wants_fragment():
        return _live(draft, form, catalogue, plan, client)
    spec, errors = builder.check(draft, catalogue, _function_ids())
    step = {"preview": _preview, "assign": _assign, "save-changes": _save_changes,
            "save-template": _save_template}[name]
    return step(draft, form, catalogue, plan, client, spec, errors)


def _invalid(draft, form, catalogue, plan, client, errors, message=""):
    return _page(draft, form, catalogue, plan=plan, client=client, errors=errors,
                 status=submitted_status(form),
                 message=message or "Please check the highlighted fields. Nothing was saved.")


def _live(draft, form, catalogue, plan, client):
    """The preview alone, as the draft stands (htmx asks again as the therapist edits)."""
    return render("builder/builder.html", "builder/_preview.html", plan=plan, client=client,
                  preview=_live_preview(draft, form, catalogue, plan, client),
                  error_list=[], autofocus="")


def _preview(draft, form, catalogue, plan, client, spec, errors):
    dates_ok = form.for_preview(plan.start if plan else None)
    if errors or not dates_ok:
        return _invalid(draft, form, catalogue, plan, client, errors,
                        "Please check the highlighted fields to see the preview.")
    first = form.effective_from.data if plan else form.start.data
    preview = _preview_of(spec, first, plan, client)
    if _parts_will_do(draft):
        response = render("builder/builder.html", "builder/_preview.html", plan=plan,
                          client=client, preview=preview, error_list=[],
                          autofocus="preview-heading")
        return _retarget(response, "preview")
    return _page(draft, form, catalogue, plan=plan, client=client, preview=preview)


def _assign(draft, form, catalogue, plan, client, spec, errors):
    fields_ok = form.for_assign()
    if errors or not fields_ok:
        return _invalid(draft, form, catalogue, plan, client, errors)
    client = _client(form.client_id)  # 404 if unlinked since the page was shown
    source = form.source.data or ""
    builtin = source if any(t["slug"] == source for t in library.TEMPLATES) else None
    plans.assign(client, spec, form.start.data, therapist=current_user,
                 title=form.title.data.strip(), template_slug=builtin)
    flash(f"{client.name} has a new plan from {form.start.data:%-d %B}.", "success")
    return _go(url_for("client_page.show", client_id=client.id))


def _save_changes(draft, form, catalogue, plan, client, spec, errors):
    if plan is None:
        return _invalid(draft, form, catalogue, plan, client, errors,
                        "Only an assigned plan can be changed: assign this one instead.")
    date_ok = form.for_changes(plan.start)
    if errors or not date_ok:
        return _invalid(draft, form, catalogue, plan, client, errors)
    effective_from = form.effective_from.data
    old = schedule.spec_on(plans.plan_input(plan), effective_from).to_dict()
    summary = builder.describe_changes(old, spec)
    if not summary:
        return _page(draft, form, catalogue, plan=plan, client=client,
                     message="Nothing has changed yet, so there was nothing to save.")
    plans.revise(plan, spec, effective_from, current_user, summary)
    flash(f"Plan changed from {effective_from:%-d %B}: {summary}.", "success")
    return _go(url_for("client_page.show", client_id=plan.client_id))


def _save_template(draft, form, catalogue, plan, client, spec, errors):
    fields_ok = form.for_template()
    if errors or not fields_ok:
        return _invalid(draft, form, catalogue, plan, client, errors)
    template = PlanTemplate.create(
        owner=current_user.id,
        name=form.template_name.data.strip(),
        description=(form.template_description.data or "").strip(),
        spec=spec,
    )
    flash(f"Saved “{template.name}” to your templates. Only you can see it.", "success")
    return _go(url_for("builder.templates"))


@bp.get("/techniques")
@role_required(THERAPIST)
def techniques():
    """One item's technique list narrowed by its search box (the select, for htmx)."""
    prefix = request.args.get("field", "")
    if not _ITEM_PREFIX.fullmatch(prefix):
        abort(400)
    typed = request.args.get(f"{prefix}-search", "")
    query = typed.strip()[:SEARCH_MAX]
    item = builder.ItemDraft(technique=request.args.get(f"{prefix}-technique", ""),
                             search=query, prefix=prefix)
    catalogue = _catalogue()
    if item.technique in catalogue:
        item.name = catalogue[item.technique].name
    if not text.is_plain(typed):  # refused, never cleaned: only the chosen one stays
        chosen = {slug: t for slug, t in catalogue.items() if slug == item.technique}
        return render("builder/_technique_select.html", item=item, errors={},
                      groups=builder.technique_groups(chosen, _headings(), "", item.technique,
                                                      item.name),
                      search_error=text.CONTROL_MESSAGE)
    return render("builder/_technique_select.html", item=item,
                  groups=_groups_for(catalogue)(item), errors={})
