"""The plan builder: templates, a draft plan kept in the form, preview, assign, edit.

Therapists only (anyone else gets 404). The draft lives in the posted fields, so every
step is one POST to ``builder.update`` that parses them (tracker.domain.builder), applies the
button's action and renders the builder again: the fragment for htmx, the page without.
"""
import re

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from peewee import fn

from tracker.domain import builder, library, schedule, wording
from tracker.store import plans
from tracker.store.models import CareLink, Plan, PlanTemplate, Technique, User
from tracker.web.access import therapist_only
from tracker.web.builder.forms import BuilderForm
from tracker.web.library.routes import KIND_HEADINGS
from tracker.web.pages import render, wants_fragment

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


def _own_templates() -> list[PlanTemplate]:
    return list(
        PlanTemplate.select()
        .where(PlanTemplate.owner == current_user.id)
        .order_by(fn.LOWER(PlanTemplate.name), PlanTemplate.id)
    )


def _own_template_or_404(template_id: int) -> PlanTemplate:
    template = PlanTemplate.get_or_none(
        (PlanTemplate.id == template_id) & (PlanTemplate.owner == current_user.id)
    )
    if template is None:
        abort(404)
    return template


def _plan_or_404(plan_id: int) -> Plan:
    """A plan of one of the current therapist's linked clients."""
    plan = (
        Plan.select()
        .join(CareLink, on=(CareLink.client == Plan.client))
        .where((Plan.id == plan_id) & (CareLink.therapist == current_user.id) & CareLink.active)
        .first()
    )
    if plan is None:
        abort(404)
    return plan


def _source(source: str) -> tuple[dict, str, str]:
    """(spec, name, description) of a built-in template slug or "own-<id>"; 404 otherwise."""
    if source.startswith(OWN_PREFIX) and source[len(OWN_PREFIX):].isdigit():
        own = _own_template_or_404(int(source[len(OWN_PREFIX):]))
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
@therapist_only
def templates():
    """Built-in templates and the therapist's own, to start a plan from."""
    own = _own_templates()
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
@therapist_only
def delete_template(template_id: int):
    """Ask first (GET), then delete one of one's own templates (POST)."""
    template = _own_template_or_404(template_id)
    if request.method == "POST":
        template.delete_instance()
        flash(f"Deleted the template “{template.name}”. Plans made from it are unchanged.",
              "success")
        return redirect(url_for("builder.templates"))
    return render("builder/delete.html", template=template)


@bp.get("/new")
@therapist_only
def new():
    """The builder, starting from a template (``?template=``) or from scratch."""
    source = request.args.get("template", "")
    clients = _clients()
    client_id = request.args.get("client", "")
    if client_id and client_id not in {str(c.id) for c in clients}:
        abort(404)
    if source:
        spec, name, description = _source(source)
        draft = builder.draft_from_spec(spec)
    else:
        draft, name, description = builder.scratch(), "", ""
    today = plans.local_today(current_user)
    form = BuilderForm(today, clients, data={
        "source": source, "title": name, "client": client_id,
        "template_name": name, "template_description": description,
    })
    return _page(draft, form, _catalogue())


@bp.get("/<int:plan_id>/edit")
@therapist_only
def edit(plan_id: int):
    """Change a client's plan from a date on; the plan as in force today to start from."""
    plan = _plan_or_404(plan_id)
    today = plans.local_today(current_user)
    spec = schedule.spec_on(plans.plan_input(plan), today).to_dict()
    form = BuilderForm(today, data={
        "plan_id": str(plan.id), "title": plan.title, "template_name": plan.title,
        "effective_from": max(today, plan.start),
    })
    return _page(builder.draft_from_spec(spec), form, _catalogue(), plan=plan)


@bp.post("/builder")
@therapist_only
def update():
    """Apply one button of the builder to the posted draft, then show it (or save it)."""
    plan_id = request.form.get("plan_id", "")
    plan = _plan_or_404(int(plan_id)) if plan_id.isdigit() else None
    today = plans.local_today(current_user)
    form = BuilderForm(today, [] if plan else _clients())
    catalogue = _catalogue()
    draft = builder.parse(request.form, catalogue)
    action = request.form.get("action", "refresh")
    try:
        name = builder.action_name(action)
    except builder.UnknownAction:
        return _page(draft, form, catalogue, plan=plan, status=422,
                     message="That button isn't one the builder knows. Nothing was saved.")
    if name not in builder.FINAL_ACTIONS:
        draft = builder.apply(draft, action)
        return _page(draft, form, catalogue, plan=plan, errors=draft.errors)
    spec, errors = builder.check(draft, catalogue)
    step = {"preview": _preview, "assign": _assign, "save-changes": _save_changes,
            "save-template": _save_template}[name]
    return step(draft, form, catalogue, plan, spec, errors)


def _invalid(draft, form, catalogue, plan, errors, message=""):
    return _page(draft, form, catalogue, plan=plan, errors=errors, status=422,
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
    client = CareLink.clients_of(current_user.id).where(User.id == form.client_id).first()
    if client is None:  # unlinked since the page was shown
        abort(404)
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
@therapist_only
def techniques():
    """One item's technique list narrowed by its search box (the select, for htmx)."""
    prefix = request.args.get("field", "")
    if not _ITEM_PREFIX.fullmatch(prefix):
        abort(400)
    query = "".join(ch for ch in request.args.get(f"{prefix}-search", "") if ch.isprintable())
    item = builder.ItemDraft(technique=request.args.get(f"{prefix}-technique", ""),
                             search=query.strip()[:SEARCH_MAX], prefix=prefix)
    catalogue = _catalogue()
    if item.technique in catalogue:
        item.name = catalogue[item.technique].name
    return render("builder/_technique_select.html", item=item,
                  groups=_groups_for(catalogue)(item), errors={})
