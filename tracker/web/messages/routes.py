"""Messages: one thread between a therapist and each linked client.

A client reads theirs at /messages (one thread per therapist), a therapist at
/clients/<id>/messages. Opening a thread marks the other side's messages read; the thread
polls every 10 s with htmx (the same URL answers with the thread alone), and the message box
posts without JavaScript too (post/redirect/get). Sending is rate-limited per user.
"""
import math
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user
from peewee import fn
from werkzeug.exceptions import NotFound

from tracker.store import audit, messages
from tracker.store.models import CLIENT, THERAPIST, CareLink, User
from tracker.web.access import get_object_or_404, role_required
from tracker.web.extensions import limiter
from tracker.web.messages.forms import MessageForm
from tracker.web.pages import render, wants_fragment
from tracker.web.templating import short_date

bp = Blueprint("messages", __name__)

POLL_SECONDS = 10


def _user_key() -> str:
    return f"user:{current_user.id}"


def _send_limit() -> str:
    return current_app.config["MESSAGE_LIMIT_PER_USER"]


def _breached(request_limit):
    """Too many messages: the thread again with the text kept and a plain reason (429)."""
    seconds = max(1, math.ceil(request_limit.reset_at - time.time()))
    reason = (f"You have sent a lot of messages in a short time. Please wait {seconds} "
              f"second{'s' if seconds != 1 else ''} and send again.")
    try:
        link = _link_from_url()
    except NotFound:  # not a thread of theirs: no box to show the reason in
        response = render("errors/error.html", status=429, title="Too many messages",
                          message=reason)
    else:
        form = MessageForm()
        form.body.errors = [reason]
        response = _form_answer(link, form, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


# One budget per person for every thread they write in (POST only: reading and polling
# are not limited).
send_limit = limiter.shared_limit(_send_limit, scope="messages", key_func=_user_key,
                                  methods=["POST"], on_breach=_breached)


# --- which thread ------------------------------------------------------------------------


def _client_link(therapist_id: int) -> CareLink:
    """The current client's active link with this therapist, or 404."""
    return get_object_or_404(messages.threads_of(current_user),
                             CareLink.therapist == therapist_id)


def _therapist_link(client_id: int) -> CareLink:
    """The current therapist's active link with this client, or 404."""
    return get_object_or_404(messages.threads_of(current_user), CareLink.client == client_id)


def _link_from_url() -> CareLink:
    args = request.view_args or {}
    if "client_id" in args:
        return _therapist_link(args["client_id"])
    return _client_link(args["therapist_id"])


def _thread_url(link: CareLink) -> str:
    if current_user.id == link.therapist_id:
        return url_for("messages.client_thread", client_id=link.client_id)
    return url_for("messages.thread", therapist_id=link.therapist_id)


# --- pages ---------------------------------------------------------------------------------


@bp.get("/messages")
@role_required(CLIENT, "Messages here are a client's with their therapists. A therapist "
                       "finds each client's messages on the client's page.")
def index():
    """The client's threads, one per therapist; with one therapist, that thread."""
    links = list(messages.threads_of(current_user).order_by(fn.LOWER(User.name), CareLink.id))
    if len(links) == 1:
        return redirect(url_for("messages.thread", therapist_id=links[0].therapist_id))
    unread = messages.unread_by_link(current_user)
    threads = [{"link": link, "with": link.therapist, "unread": unread.get(link.id, 0)}
               for link in links]
    return render("messages/index.html", threads=threads)


@bp.get("/messages/unread")
@role_required(CLIENT)
def badge():
    """The navigation's unread count, polled by htmx (a plain visit goes to the messages)."""
    if not wants_fragment():
        return redirect(url_for("messages.index"))
    return render("messages/_nav_badge.html", unread=messages.unread_total(current_user))


@bp.route("/messages/<int:therapist_id>", methods=["GET", "POST"])
@role_required(CLIENT)
@send_limit
def thread(therapist_id: int):
    """A client's thread with one of their therapists."""
    return _thread(_client_link(therapist_id))


@bp.route("/clients/<int:client_id>/messages", methods=["GET", "POST"])
@role_required(THERAPIST)
@send_limit
def client_thread(client_id: int):
    """A therapist's thread with one of their clients (opening it, not its polls, is audited)."""
    link = _therapist_link(client_id)
    if request.method == "GET" and not wants_fragment():
        audit.viewed(current_user, link.client_id, audit.VIEWED_MESSAGES)
    return _thread(link)


def _thread(link: CareLink):
    form = MessageForm()
    if request.method == "GET":
        return _page(link, form)
    if not form.validate_on_submit():
        return _form_answer(link, form, 422)
    messages.send(link, current_user, form.body.data)
    if not wants_fragment():
        return redirect(_thread_url(link) + "#message-form")
    return _form_answer(link, MessageForm(formdata=None), 200)


def _context(link: CareLink, form: MessageForm, newly_read: int = 0) -> dict:
    shown = messages.recent(link)
    first_new = None
    if newly_read:
        theirs = [m for m in shown if m.sender_id != current_user.id]
        first_new = theirs[-newly_read].id if len(theirs) >= newly_read else None
    context = {"link": link, "form": form, "messages": shown, "me": current_user.id,
               "other": messages.other_side(link, current_user.id), "first_new": first_new,
               "thread_url": _thread_url(link), "poll_seconds": POLL_SECONDS,
               "form_max": messages.BODY_MAX, "as_therapist": current_user.id == link.therapist_id}
    if context["as_therapist"]:
        context["others_unread"] = _others_unread(link)
    else:
        context["several"] = messages.threads_of(current_user).count() > 1
    return context


def _others_unread(link: CareLink) -> list[dict]:
    """The therapist's other clients with unread messages, most unread first."""
    unread = messages.unread_by_link(current_user)
    others = [other for other in messages.threads_of(current_user)
              if other.id != link.id and unread.get(other.id)]
    return sorted(({"client": o.client, "unread": unread[o.id]} for o in others),
                  key=lambda row: (-row["unread"], row["client"].name.lower()))


def _page(link: CareLink, form: MessageForm):
    """The thread: marks the other side's messages read (a poll too, as it shows them)."""
    newly_read = messages.mark_read(link, current_user)
    return render("messages/thread.html", "messages/_thread.html",
                  **_context(link, form, newly_read))


def _form_answer(link: CareLink, form: MessageForm, status: int):
    """After a post: htmx gets the message box and, out of band, the thread; a plain post
    with an error gets the whole page."""
    if wants_fragment():
        return render("messages/_sent.html", "messages/_sent.html", status=status,
                      **_context(link, form))
    return render("messages/thread.html", status=status, **_context(link, form))


# --- for other pages ---------------------------------------------------------------------


def message_panel(client: User) -> dict | None:
    """What a therapist's page for ``client`` shows about their messages (a template
    global for clients/_messages_panel.html), or None when they are not linked."""
    if not current_user.is_authenticated or not current_user.is_therapist:
        return None
    link = messages.threads_of(current_user).where(CareLink.client == client.id).first()
    if link is None:
        return None
    return {"url": url_for("messages.client_thread", client_id=client.id),
            "unread": messages.unread_in(link, current_user)}


def message_time(moment: datetime) -> str:
    """When a message was sent, in the reader's zone (the page says which): "Mon 14 Dec,
    09:05"."""
    local = moment.astimezone(ZoneInfo(current_user.timezone or "UTC"))
    return f"{short_date(local.date())}, {local:%H:%M}"


@bp.record_once
def _register(state) -> None:
    state.app.add_template_global(message_panel)
    state.app.add_template_filter(message_time)
