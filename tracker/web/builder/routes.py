"""The plan builder: templates, a draft plan kept in the form, preview, assign, edit.

Therapists only (a client gets 403). The draft lives in the posted fields, so every
step is one POST to ``builder.update`` that parses them (tracker.domain.builder), applies the
button's action and renders the builder again: the fragment for htmx, the page without.
"""
import re

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


def _headings() -> dict[str, str]:
    return {kind: KIND_HEADINGS[kind] for kind in KIND_ORDER}


def _page(draft: builder.Draft, form: BuilderForm, catalogue, *, plan: Plan | None = None,
          errors=None, status: int = 200, message: str = "", preview=None):
    errors = errors or {}
    builder.open_with_errors(draft, errors)
    listed = builder.error_list(draft, errors) + [
        (f.id, f"{f.label.text}: {text}") for f in form for text in f.errors
    ]
    focus = "error-summary" if listed else "preview-heading" if preview else draft.focus
    return render(
        "builder/builder.html",
        "builder/_builder.html",
        status=status,
        draft=draft,
        form=form,
        plan=plan,
        errors=errors,
        error_list=listed,
        autofocus=focus,
        message=message,
        preview=preview,
        groups_for=_groups_for(catalogue),
        cadence_choices=builder.CADENCE_CHOICES,
        anchor_choices=builder.ANCHOR_CHOICES,
        ordinal_choices=builder.ORDINAL_CHOICES,
        exit_choices=builder.EXIT_CHOICES,
        weekdays=wording.SHORT_WEEKDAYS,
        form_invalid=bool(listed) or status >= 400,
    )


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
    if client_id:  # someone else's client, or no client at all: 404
        _client(int(client_id) if client_id.isdigit() else None)
    if source:
        spec, name, description = _source(source)
        draft = builder.draft_from_spec(spec)
    else:
        draft, name, description = builder.scratch(), "", ""
    today = plans.local_today(current_user)
    form = BuilderForm(today, _clients(), data={
        "source": source, "title": name, "client": client_id,
        "template_name": name, "template_description": description,
    })
    return _page(draft, form, _catalogue())


@bp.get("/<int:plan_id>/edit")
@role_required(THERAPIST)
def edit(plan_id: int):
    """Change a client's plan from a date on; the plan as in force today to start from."""
    plan = _plan(plan_id)
    today = plans.local_today(current_user)
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
    today = plans.local_today(current_user)
    form = BuilderForm(today, [] if plan else _clients())
    catalogue = _catalogue()
    draft = builder.parse(request.form, catalogue)
    action = request.form.get("action", "refresh")
    try:
        name = builder.action_name(action)
    except builder.UnknownAction:
        return _page(draft, form, catalogue, plan=plan, status=submitted_status(form),
                     message="That button isn't one the builder knows. Nothing was saved.")
    if name not in builder.FINAL_ACTIONS:
        draft = builder.apply(draft, action)
        return _page(draft, form, catalogue, plan=plan, errors=draft.errors)
    spec, errors = builder.check(draft, catalogue)
    step = {"preview": _preview, "assign": _assign, "save-changes": _save_changes,
            "save-template": _save_template}[name]
    return step(draft, form, catalogue, plan, spec, errors)


def _invalid(draft, form, catalogue, plan, errors, message=""):
    return _page(draft, form, catalogue, plan=plan, errors=errors, status=submitted_status(form),
                 message=message or "Please check the highlighted fields. Nothing was saved.")


def _preview(draft, form, catalogue, plan, spec, errors):
    dates_ok = form.for_preview(plan.start if plan else None)
    if errors or not dates_ok:
        return _invalid(draft, form, catalogue, plan, errors,
                        "Please check the highlighted fields to see the preview.")
    today = plans.local_today(current_user)
    if plan is None:
        first = form.start.data
        plan_in = builder.plan_input(spec, first)
        changes = ""
    else:
        first = form.effective_from.data
        current = plans.plan_input(plan)
        plan_in = builder.with_revision(current, spec, first)
        old = schedule.spec_on(current, first).to_dict()
        changes = builder.describe_changes(old, spec) or "nothing yet"
    preview = {
        "weeks": builder.preview(plan_in, first),
        "cards": wording.phase_cards(plan_in, max(first, today)),
        "changes": changes,
    }
    return _page(draft, form, catalogue, plan=plan, preview=preview)


def _assign(draft, form, catalogue, plan, spec, errors):
    fields_ok = form.for_assign()
    if errors or not fields_ok:
        return _invalid(draft, form, catalogue, plan, errors)
    client = _client(form.client_id)  # 404 if unlinked since the page was shown
    source = form.source.data or ""
    builtin = source if any(t["slug"] == source for t in library.TEMPLATES) else None
    plans.assign(client, spec, form.start.data, therapist=current_user,
                 title=form.title.data.strip(), template_slug=builtin)
    flash(f"{client.name} has a new plan from {form.start.data:%-d %B}.", "success")
    return _go(url_for("client_page.show", client_id=client.id))


def _save_changes(draft, form, catalogue, plan, spec, errors):
    if plan is None:
        return _invalid(draft, form, catalogue, plan, errors,
                        "Only an assigned plan can be changed: assign this one instead.")
    date_ok = form.for_changes(plan.start)
    if errors or not date_ok:
        return _invalid(draft, form, catalogue, plan, errors)
    effective_from = form.effective_from.data
    old = schedule.spec_on(plans.plan_input(plan), effective_from).to_dict()
    summary = builder.describe_changes(old, spec)
    if not summary:
        return _page(draft, form, catalogue, plan=plan,
                     message="Nothing has changed yet, so there was nothing to save.")
    plans.revise(plan, spec, effective_from, current_user, summary)
    flash(f"Plan changed from {effective_from:%-d %B}: {summary}.", "success")
    return _go(url_for("client_page.show", client_id=plan.client_id))


def _save_template(draft, form, catalogue, plan, spec, errors):
    fields_ok = form.for_template()
    if errors or not fields_ok:
        return _invalid(draft, form, catalogue, plan, errors)
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
