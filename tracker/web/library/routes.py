"""The technique library: browse and search; therapists add, copy, edit and delete their own."""
import re
import secrets
import unicodedata
from functools import wraps
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import IntegrityError, fn

from tracker.domain.plan_spec import Dose
from tracker.store.db import database
from tracker.store.models import Technique
from tracker.web.library.forms import KIND_LABELS, NAME_MAX, TechniqueForm
from tracker.web.pages import render

bp = Blueprint("library", __name__, url_prefix="/library")

# Kinds in the order the library lists them, each under a plain-words heading.
KIND_HEADINGS = {
    "heat_cold": "Heat and cold",
    "self_massage": "Self-massage",
    "stretch": "Stretches",
    "session": "Professional sessions",
}
QUERY_MAX = 100
COPY_SUFFIX = " (copy)"


class Entry(NamedTuple):
    technique: Technique
    dose: str
    mine: bool


class Group(NamedTuple):
    heading: str
    entries: list[Entry]


def therapist_required(view):
    """Log in first; then only therapists get in (403 for clients)."""

    @wraps(view)
    def wrapped(**kwargs):
        if not current_user.is_therapist:
            abort(403, description="Only therapists can add or change techniques.")
        return view(**kwargs)

    return login_required(wrapped)


# --- queries and writes ------------------------------------------------------------------


def _search(user, query: str):
    """Techniques the user may see whose name, body area or summary contains ``query``."""
    techniques = Technique.visible_to(user)
    if query:
        techniques = techniques.where(
            Technique.name.contains(query)
            | Technique.body_area.contains(query)
            | Technique.summary.contains(query)
        )
    return techniques.order_by(fn.LOWER(Technique.name), Technique.id)


def _visible_or_404(technique_id: int) -> Technique:
    technique = Technique.visible_to(current_user.id).where(Technique.id == technique_id).first()
    if technique is None:
        abort(404)
    return technique


def _own_or_404(technique_id: int) -> Technique:
    technique = Technique.get_or_none(
        (Technique.id == technique_id) & (Technique.owner == current_user.id)
    )
    if technique is None:
        abort(404)
    return technique


def _slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50] or "technique"


def _create_owned(values: dict, owner) -> Technique:
    """Store a therapist's technique under a slug made unique by a random suffix."""
    base = _slug_base(values["name"])
    for _attempt in range(5):
        try:
            with database.atomic():
                slug = f"{base}-{secrets.token_hex(4)}"
                return Technique.create(slug=slug, owner=owner, **values)
        except IntegrityError:
            continue  # a suffix collision: vanishingly rare, so simply draw again
    raise RuntimeError("could not find a free slug")


def _dose_text(technique: Technique) -> str:
    return Dose.from_dict(technique.dose or {}).describe()


def _grouped(techniques) -> list[Group]:
    entries = {kind: [] for kind in KIND_HEADINGS}
    for technique in techniques:
        if technique.kind in entries:
            mine = technique.owner_id == current_user.id
            entries[technique.kind].append(Entry(technique, _dose_text(technique), mine))
    return [Group(KIND_HEADINGS[kind], items) for kind, items in entries.items() if items]


# --- views -------------------------------------------------------------------------------


@bp.get("")
@login_required
def index():
    """Every technique the user can see, by kind; ``?q=`` searches (htmx gets the list only)."""
    query = "".join(ch for ch in request.args.get("q", "") if ch.isprintable()).strip()
    query = query[:QUERY_MAX]
    groups = _grouped(_search(current_user.id, query))
    return render(
        "library/index.html",
        "library/_results.html",
        groups=groups,
        query=query,
        count=sum(len(group.entries) for group in groups),
        can_create=current_user.is_therapist,
    )


@bp.get("/<int:technique_id>")
@login_required
def detail(technique_id: int):
    """One technique: how to do it, its default dose and its cautions."""
    technique = _visible_or_404(technique_id)
    return render(
        "library/detail.html",
        technique=technique,
        kind=KIND_LABELS.get(technique.kind, technique.kind),
        dose=_dose_text(technique),
        can_copy=current_user.is_therapist,
        can_edit=technique.owner_id == current_user.id,
    )


@bp.route("/new", methods=["GET", "POST"])
@therapist_required
def new():
    """Add a technique of one's own."""
    form = TechniqueForm()
    if form.validate_on_submit():
        technique = _create_owned(form.values(), current_user.id)
        flash(f"Saved “{technique.name}”.", "success")
        return redirect(url_for("library.detail", technique_id=technique.id))
    status = 422 if form.is_submitted() else 200
    return render(
        "library/form.html", form=form, action=url_for("library.new"), status=status,
        title="New technique", cancel=url_for("library.index"),
    )


@bp.route("/<int:technique_id>/edit", methods=["GET", "POST"])
@therapist_required
def edit(technique_id: int):
    """Change one of one's own techniques."""
    technique = _own_or_404(technique_id)
    form = TechniqueForm(data=TechniqueForm.initial(technique))
    if form.validate_on_submit():
        Technique.update(**form.values()).where(Technique.id == technique.id).execute()
        flash("Changes saved.", "success")
        return redirect(url_for("library.detail", technique_id=technique.id))
    status = 422 if form.is_submitted() else 200
    return render(
        "library/form.html", form=form, status=status, title=f"Edit {technique.name}",
        action=url_for("library.edit", technique_id=technique.id),
        cancel=url_for("library.detail", technique_id=technique.id),
    )


@bp.post("/<int:technique_id>/copy")
@therapist_required
def copy(technique_id: int):
    """Make an owned copy of any visible technique, then edit it."""
    original = _visible_or_404(technique_id)
    name = original.name[: NAME_MAX - len(COPY_SUFFIX)] + COPY_SUFFIX
    fields = ("kind", "body_area", "summary", "instructions", "dose", "cautions")
    values = {field: getattr(original, field) for field in fields}
    technique = _create_owned({**values, "name": name}, current_user.id)
    flash("This is your own copy: change it as you need.", "success")
    return redirect(url_for("library.edit", technique_id=technique.id))


@bp.route("/<int:technique_id>/delete", methods=["GET", "POST"])
@therapist_required
def delete(technique_id: int):
    """Ask for confirmation (GET), then delete one of one's own techniques (POST)."""
    technique = _own_or_404(technique_id)
    if request.method == "POST":
        technique.delete_instance()
        flash(f"Deleted “{technique.name}”.", "success")
        return redirect(url_for("library.index"))
    return render("library/delete.html", technique=technique)
