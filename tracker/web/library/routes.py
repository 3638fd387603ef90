"""The technique library: browse and search; therapists add, copy, edit and delete their own,
and add photos to their own (issue 18)."""
from typing import NamedTuple

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import fn

from tracker.domain import text
from tracker.domain.plan_spec import Dose
from tracker.store import library, queries
from tracker.store import photos as photo_store
from tracker.store.models import THERAPIST, Technique, TechniquePhoto
from tracker.web.access import get_object_or_404, role_required
from tracker.web.library.forms import KIND_LABELS, NAME_MAX, PhotoForm, TechniqueForm
from tracker.web.pages import render, submitted_status

bp = Blueprint("library", __name__, url_prefix="/library")

# Kinds in the order the library lists them, each under a plain-words heading.
KIND_HEADINGS = {
    "heat_cold": "Heat and cold",
    "self_massage": "Self-massage",
    "stretch": "Stretches",
    "session": "Professional sessions",
}
QUERY_MAX = 100
REFUSAL = "Only therapists can add or change techniques."
COPY_SUFFIX = " (copy)"
# A photo never changes under its URL (a new one gets a new id), but who may see it can
# (a client's link ends): browsers keep it an hour, then ask again (ETag: 304, no bytes).
PHOTO_CACHE = "private, max-age=3600"


class Entry(NamedTuple):
    technique: Technique
    dose: str
    mine: bool


class Group(NamedTuple):
    heading: str
    entries: list[Entry]


# --- queries -----------------------------------------------------------------------------


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


def _visible(technique_id: int) -> Technique:
    return get_object_or_404(queries.techniques_seen_by(current_user.id),
                             Technique.id == technique_id)


def _own(technique_id: int) -> Technique:
    return get_object_or_404(queries.techniques_of(current_user.id), Technique.id == technique_id)


@bp.get("")
@login_required
def index():
    """Every technique the user can see, by kind; ``?q=`` searches (htmx gets the list only).

    A query with control characters is refused with a message, never cleaned: it finds
    nothing, so nothing is shown for text the person did not see.
    """
    typed = request.args.get("q", "")
    refused = not text.is_plain(typed)  # before strip(): it would drop some (U+0085, U+001F)
    query = typed.strip()[:QUERY_MAX]
    groups = [] if refused else _grouped(_search(current_user.id, query))
    return render(
        "library/index.html",
        "library/_results.html",
        groups=groups,
        query=query,
        query_error=text.CONTROL_MESSAGE if refused else "",
        count=sum(len(group.entries) for group in groups),
        can_create=current_user.is_therapist,
    )


@bp.get("/<int:technique_id>")
@login_required
def detail(technique_id: int):
    """One technique: how to do it, its default dose and its cautions."""
    technique = _visible(technique_id)
    return render(
        "library/detail.html",
        technique=technique,
        kind=KIND_LABELS.get(technique.kind, technique.kind),
        dose=_dose_text(technique),
        can_copy=current_user.is_therapist,
        can_edit=technique.owner_id == current_user.id,
        photos=photo_store.of_technique(technique),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(THERAPIST, REFUSAL)
def new():
    """Add a technique of one's own."""
    form = TechniqueForm()
    if form.validate_on_submit():
        technique = library.create_owned(form.values(), current_user.id)
        flash(f"Saved “{technique.name}”.", "success")
        return redirect(url_for("library.detail", technique_id=technique.id))
    return render(
        "library/form.html", form=form, action=url_for("library.new"),
        status=submitted_status(form),
        title="New technique", cancel=url_for("library.index"),
    )


@bp.route("/<int:technique_id>/edit", methods=["GET", "POST"])
@role_required(THERAPIST, REFUSAL)
def edit(technique_id: int):
    """Change one of one's own techniques."""
    technique = _own(technique_id)
    form = TechniqueForm(data=TechniqueForm.initial(technique))
    if form.validate_on_submit():
        library.change(technique, form.values())
        flash("Changes saved.", "success")
        return redirect(url_for("library.detail", technique_id=technique.id))
    return render(
        "library/form.html", form=form, status=submitted_status(form),
        title=f"Edit {technique.name}",
        action=url_for("library.edit", technique_id=technique.id),
        cancel=url_for("library.detail", technique_id=technique.id),
    )


@bp.post("/<int:technique_id>/copy")
@role_required(THERAPIST, REFUSAL)
def copy(technique_id: int):
    """Make an owned copy of any visible technique, then edit it."""
    original = _visible(technique_id)
    name = original.name[: NAME_MAX - len(COPY_SUFFIX)] + COPY_SUFFIX
    technique = library.copy_of(original, current_user.id, name)
    flash("This is your own copy: change it as you need.", "success")
    return redirect(url_for("library.edit", technique_id=technique.id))


@bp.route("/<int:technique_id>/delete", methods=["GET", "POST"])
@role_required(THERAPIST, REFUSAL)
def delete(technique_id: int):
    """Ask for confirmation (GET), then delete one of one's own techniques (POST)."""
    technique = _own(technique_id)
    if request.method == "POST":
        library.delete(technique)
        flash(f"Deleted “{technique.name}”.", "success")
        return redirect(url_for("library.index"))
    return render("library/delete.html", technique=technique)


# --- photos (a therapist's own, on their own techniques) ----------------------------------


@bp.route("/<int:technique_id>/photos", methods=["GET", "POST"])
@role_required(THERAPIST, REFUSAL)
def photos(technique_id: int):
    """One of one's own techniques' photos, and the form that adds one (a plain multipart
    post; the request body's size was checked before it was read: tracker/web/security.py)."""
    technique = _own(technique_id)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            photo_store.add(technique, form.photo.data.read(photo_store.MAX_BYTES + 1),
                            *form.texts())
        except photo_store.PhotoError as refused:
            form.photo.errors.append(str(refused))
        else:
            flash("Photo added.", "success")
            return redirect(url_for("library.photos", technique_id=technique.id))
    return render(
        "library/photos.html", technique=technique, form=form,
        photos=photo_store.of_technique(technique), status=submitted_status(form),
        max_mb=photo_store.MB, max_count=photo_store.MAX_PER_TECHNIQUE,
    )


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """The picture, to its therapist and the clients linked to them (anyone else: 404)."""
    found = get_object_or_404(photo_store.seen_by(current_user.id),
                              TechniquePhoto.id == photo_id)
    response = Response(mimetype=found.mimetype)
    response.set_etag(found.etag)
    response.headers["Cache-Control"] = PHOTO_CACHE
    response.make_conditional(request)
    if response.status_code != 304:  # the bytes only when the browser's copy is not current
        response.set_data(photo_store.picture(found))
    return response


@bp.route("/<int:technique_id>/photos/<int:photo_id>/delete", methods=["GET", "POST"])
@role_required(THERAPIST, REFUSAL)
def delete_photo(technique_id: int, photo_id: int):
    """Ask for confirmation (GET), then delete one of one's own photos (POST)."""
    technique = _own(technique_id)
    found = get_object_or_404(photo_store.of_owner(current_user.id),
                              TechniquePhoto.id == photo_id,
                              TechniquePhoto.technique == technique.id)
    if request.method == "POST":
        photo_store.delete(found)
        flash("Photo deleted.", "success")
        return redirect(url_for("library.photos", technique_id=technique.id))
    return render("library/photo_delete.html", technique=technique, photo=found)
