"""Web push: the service worker, this user's devices, and a notification's "Done" action."""
from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user, login_required
from itsdangerous import BadData, SignatureExpired

from tracker import config
from tracker.domain import day as day_model
from tracker.domain import push_subscription
from tracker.domain.devices import device_label
from tracker.store import checkoffs, plans, queries, subscriptions, tokens
from tracker.store.models import Plan, PushSubscription, utcnow
from tracker.web.access import get_object_or_404
from tracker.web.extensions import csrf
from tracker.web.pages import render, wants_fragment

bp = Blueprint("push", __name__)


def devices_context(user) -> dict:
    """What templates/push/_devices.html needs; a page that includes it passes this."""
    return {
        "devices": list(queries.subscriptions_of(user)
                        .order_by(PushSubscription.created_at, PushSubscription.id)),
        "vapid_public_key": config.vapid_public_key(current_app),
    }


def _devices(status: int = 200):
    return render("push/_devices.html", status=status, **devices_context(current_user))


def _back():
    """Where a plain form post returns to: the reminder settings, where the list is."""
    if "reminders.settings" in current_app.view_functions:
        return redirect(url_for("reminders.settings"))
    return redirect(url_for("today.today"))


@bp.post("/push/subscribe")
@login_required
def subscribe():
    """Store this device's subscription (JSON from PushSubscription.toJSON())."""
    try:
        sub = push_subscription.parse_subscription(request.get_json(silent=True),
                                                   current_app.config)
    except push_subscription.InvalidSubscription as error:
        status = 400 if request.get_json(silent=True) is None else 422
        return jsonify(error=str(error)), status
    label = device_label(request.user_agent.string)
    try:
        subscriptions.subscribe(current_user, sub, label, utcnow())
    except subscriptions.SubscriptionTaken:
        # Another account's browser, and these aren't its keys: its owner keeps it.
        return jsonify(error="This browser's notifications belong to another account. "
                             "Turn notifications off and on again here to use them."), 409
    if wants_fragment():
        return _devices()
    return jsonify(subscribed=True, label=label), 201


@bp.post("/push/unsubscribe")
@login_required
def unsubscribe():
    """Forget this device (JSON ``{endpoint}``); done already is fine too."""
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return jsonify(error="Send the subscription's endpoint as JSON."), 400
    subscriptions.forget(current_user, endpoint)
    if wants_fragment():
        return _devices()
    return "", 204


@bp.post("/push/subscriptions/<int:sub_id>/delete")
@login_required
def delete(sub_id: int):
    """Remove one of the user's devices from the list."""
    get_object_or_404(queries.subscriptions_of(current_user.id),
                      PushSubscription.id == sub_id).delete_instance()
    return _devices() if wants_fragment() else _back()


@bp.post("/push/done/<token>")
@csrf.exempt
def done(token: str):
    """A notification's "Done": check the listed items off, with no session or CSRF token.

    The signed token is the authority: it names the user (with their link key, so it
    dies with the account), plan, day and items and expires (wrong or the account gone:
    404, expired: 410). Only items still due that day are checked off;
    something skipped meanwhile stays skipped.
    """
    try:
        claim = tokens.done_claim(current_app.config["SECRET_KEY"], token)
    except SignatureExpired:
        abort(410)
    except BadData:
        abort(404)
    plan = get_object_or_404(queries.plans_of(claim.user_id), Plan.id == claim.plan_id)
    view = plans.day_view(plan, claim.day)
    due = [key for key in claim.item_keys
           if (item := view.item(key)) is not None and item.state == day_model.DUE]
    for key in due:
        checkoffs.set_done(plan, key, claim.day, True)
    return jsonify(checked=due)

