"""Session notes: a therapist writes, edits and deletes their notes on a client's sessions;
the client reads the shared ones (``shared_session_notes``, on /progress)."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from tracker.store import notes, plans, queries
from tracker.store.models import CLIENT, THERAPIST, CareLink, SessionNote, User
from tracker.web.access import get_object_or_404, role_required
from tracker.web.notes.forms import NoteForm
from tracker.web.pages import render, submitted_status

bp = Blueprint("notes", __name__, url_prefix="/clients/<int:client_id>/notes")


def _client(client_id: int) -> User:
    """One of the current therapist's clients; anyone else's is 404."""
    return get_object_or_404(CareLink.clients_of(current_user.id), User.id == client_id)


def _own_note(client: User, note_id: int) -> SessionNote:
    """The current therapist's own note on this client; anyone else's is 404."""
    return get_object_or_404(queries.notes_written_by(current_user.id),
                             SessionNote.id == note_id, SessionNote.client == client.id)


def _back(client: User):
    return redirect(url_for("client_page.show", client_id=client.id, _anchor="session-notes"))


def _fields(form: NoteForm) -> dict:
    return {"done": form.done.data or "", "areas": form.areas.data or "",
            "pressure": form.pressure.data or "", "response": form.response.data or "",
            "shared": bool(form.shared.data)}


@bp.route("/new", methods=["GET", "POST"])
@role_required(THERAPIST)
def new(client_id: int):
    """Write a note on one of the client's recent sessions (``?session=`` picks one)."""
    client = _client(client_id)
    plan = get_object_or_404(queries.current_plan(client))
    today = plans.local_today(client)
    sessions = notes.sessions(plan, today)
    form = NoteForm(sessions)
    if request.method == "GET" and request.args.get("session") in {s.value for s in sessions}:
        form.session.data = request.args["session"]
    if form.validate_on_submit():
        item_key, day = form.picked()
        try:
            notes.write(plan, current_user, item_key, day, **_fields(form))
        except notes.NoteExists:
            form.session.errors.append("You already have a note on this session: edit "
                                       "that one instead.")
        else:
            flash(f"Note saved{' and shared with ' + client.name if form.shared.data else ''}.",
                  "success")
            return _back(client)
    return render("notes/form.html", client=client, form=form, note=None,
                  has_sessions=bool(sessions), status=submitted_status(form))


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
@role_required(THERAPIST)
def edit(client_id: int, note_id: int):
    """Change one of one's own notes, or whether the client reads it."""
    client = _client(client_id)
    note = _own_note(client, note_id)
    form = NoteForm(None, obj=note)
    if form.validate_on_submit():
        notes.update(note, **_fields(form))
        flash("Note saved.", "success")
        return _back(client)
    view = notes.for_therapist(client, current_user, plans.local_today(client))
    return render("notes/form.html", client=client, form=form,
                  note=next(v for v in view if v.note.id == note.id),
                  status=submitted_status(form))


@bp.route("/<int:note_id>/delete", methods=["GET", "POST"])
@role_required(THERAPIST)
def delete(client_id: int, note_id: int):
    """Ask, then delete one of one's own notes for good."""
    client = _client(client_id)
    note = _own_note(client, note_id)
    if request.method == "POST":
        notes.delete(note)
        flash("Note deleted.", "success")
        return _back(client)
    return render("notes/delete.html", client=client, note=note)


@bp.app_template_global()
def shared_session_notes() -> list[notes.NoteView]:
    """The notes the signed-in client's therapists shared with them (none for others)."""
    if not current_user.is_authenticated or current_user.role != CLIENT:
        return []
    return notes.shared_with(current_user, plans.local_today(current_user))
