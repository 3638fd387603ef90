"""/settings/audit: "Who has seen your data", the audit log's entries about the client; and
the request's address for every entry a request records."""
from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user

from tracker.domain.audit import retention_text
from tracker.store import audit
from tracker.store.models import CLIENT
from tracker.web.access import role_required
from tracker.web.pages import render

bp = Blueprint("audit", __name__)


@bp.before_app_request
def _bind_address() -> None:
    # remote_addr is the client's address as ProxyFix (TRACKER_PROXIES) has set it.
    audit.bind_address(request.remote_addr)


@bp.teardown_app_request
def _unbind_address(exc: BaseException | None) -> None:
    audit.bind_address(None)


@bp.get("/settings/audit")
@role_required(CLIENT)
def seen():
    """Who has opened your data or changed your plan, newest first, a page at a time."""
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= 100_000:
        abort(404)
    lines, older = audit.about(current_user, page)
    if page > 1 and not lines:
        abort(404)
    newer = None if page == 1 else url_for("audit.seen", page=page - 1 if page > 2 else None)
    return render("settings/audit.html", lines=lines, newer_url=newer,
                  older_url=url_for("audit.seen", page=page + 1) if older else None,
                  kept_for=retention_text(current_app.config["AUDIT_DAYS"]))
