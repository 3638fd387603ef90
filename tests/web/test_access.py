"""tracker.web.access: one decorator for a role, and get_object_or_404 over scopes."""
import pytest

from tests.conftest import make_user
from tracker.store.db import database
from tracker.web.access import REFUSALS, role_required


def test_an_unknown_role_is_a_mistake_at_import_time():
    with pytest.raises(ValueError, match="unknown role 'admin'"):
        role_required("admin")


@pytest.mark.parametrize("path", ["/progress", "/clients"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith(f"/login?next={path}")


@pytest.mark.parametrize("path", ["/progress", "/clients"])
def test_anonymous_htmx_requests_get_hx_redirect(client, path):
    """htmx ignores the headers of a 3xx, so it is told with 204 and HX-Redirect."""
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("role, path, refusal", [
    ("therapist", "/progress", REFUSALS["client"]),
    ("client", "/clients", REFUSALS["therapist"]),
])
def test_the_wrong_role_gets_403_saying_whose_page_it_is(app, client, auth, role, path,
                                                         refusal):
    with database.connection_context():
        make_user(email="someone@example.org", role=role)
    auth.login("someone@example.org")
    response = client.get(path)
    assert response.status_code == 403
    assert refusal.replace("'", "&#39;") in response.get_data(as_text=True)
