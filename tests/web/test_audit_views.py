"""The audit log through HTTP: what opening a client's data records (one INSERT, nothing
else), from which address, and the client's "Who has seen your data" page."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import TEST_CONFIG, Auth, _close, csrf_token, make_user, new_app
from tracker.domain import library
from tracker.store import plans, privacy
from tracker.store.db import database
from tracker.store.models import AuditEntry, CareLink, User, utcnow


@pytest.fixture
def world(app):
    """Theo looks after Ann (in New York); Uma and Bob are strangers to them."""
    with database.connection_context():
        theo = make_user("t@example.org", "Theo Therapist", "therapist")
        make_user("u@example.org", "Uma Therapist", "therapist")
        ann = make_user("a@example.org", "Ann Client", tz="America/New_York")
        make_user("b@example.org", "Bob Client")
        CareLink.create(therapist=theo, client=ann)
        spec = library.template("acute-therapist-led")["spec"]
        plan = plans.assign(ann, spec, plans.local_today(ann) - timedelta(days=3),
                            therapist=theo, title="Ann's plan")
        AuditEntry._expunge().execute()  # start each test with an empty log
    return {"theo": theo, "ann": ann, "plan": plan}


def logged(email, client):
    assert Auth(client).login(email).status_code == 302
    return client


def recorded() -> list[tuple]:
    with database.connection_context():
        return [(e.action, e.actor_id, e.actor_role, e.subject_id, e.address)
                for e in AuditEntry.select().order_by(AuditEntry.id)]


class Statements:
    """The SQL statements run while it is active."""

    def __init__(self, monkeypatch):
        self.sql: list[str] = []
        real = database.obj.execute_sql

        def capture(sql, params=None, *args, **kwargs):
            self.sql.append(sql)
            return real(sql, params, *args, **kwargs)

        monkeypatch.setattr(database.obj, "execute_sql", capture)

    def inserts(self) -> list[str]:
        return [s.split("(")[0].strip() for s in self.sql if s.lstrip().upper().startswith(
            "INSERT")]


def test_opening_a_clients_page_costs_one_insert_and_nothing_else(world, client, monkeypatch):
    theo, ann = world["theo"], world["ann"]
    logged("t@example.org", client)
    client.get(f"/clients/{ann.id}")  # warm: the sign-in's first-seen update
    database.connect(reuse_if_open=True)
    AuditEntry._expunge().execute()
    database.close()
    statements = Statements(monkeypatch)
    assert client.get(f"/clients/{ann.id}").status_code == 200
    assert statements.inserts() == ['INSERT INTO "auditentry"']
    assert not [s for s in statements.sql if "auditentry" in s and "INSERT" not in s]
    assert recorded() == [("viewed_client", theo.id, "therapist", ann.id, "127.0.0.1")]


def test_the_summary_and_the_message_thread_are_recorded_but_not_its_polls(world, client):
    theo, ann = world["theo"], world["ann"]
    logged("t@example.org", client)
    assert client.get(f"/clients/{ann.id}/summary").status_code == 200
    assert client.get(f"/clients/{ann.id}/messages").status_code == 200
    poll = client.get(f"/clients/{ann.id}/messages", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    sent = client.post(f"/clients/{ann.id}/messages", data={
        "body": "See you Tuesday", "csrf_token": csrf_token(client, "/settings")})
    assert sent.status_code == 302
    assert [row[0] for row in recorded()] == ["viewed_summary", "viewed_messages"]
    assert {row[1:4] for row in recorded()} == {(theo.id, "therapist", ann.id)}


@pytest.mark.parametrize("who, status", [(None, 302), ("u@example.org", 404),
                                         ("a@example.org", 403), ("b@example.org", 403)])
@pytest.mark.parametrize("path", ["", "/summary", "/messages"])
def test_a_refused_opening_records_nothing(world, client, who, status, path):
    if who:
        logged(who, client)
    assert client.get(f"/clients/{world['ann'].id}{path}").status_code == status
    assert recorded() == []


def test_a_plan_change_through_the_page_is_recorded_with_the_address(world, client):
    theo, ann = world["theo"], world["ann"]
    logged("t@example.org", client)
    today = plans.local_today(ann)
    response = client.post(f"/clients/{ann.id}/plan/pause", data={
        "pause-day": today.isoformat(), "csrf_token": csrf_token(client, "/settings")},
        environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert response.status_code == 302
    assert recorded() == [("plan_paused", theo.id, "therapist", ann.id, "198.51.100.4")]


def test_the_address_is_the_forwarded_one_only_behind_trusted_proxies(world, client, app):
    ann = world["ann"]
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    logged("t@example.org", client)
    client.get(f"/clients/{ann.id}", headers=forwarded,
               environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert [row[4] for row in recorded()] == ["10.0.0.2"]  # TRACKER_PROXIES=0: not trusted

    proxied = new_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                       "INSTANCE_PATH": app.instance_path, "PROXIES": 1, **TEST_CONFIG})
    try:
        behind = logged("t@example.org", proxied.test_client())
        behind.get(f"/clients/{ann.id}", headers=forwarded,
                   environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert [row[4] for row in recorded()] == ["10.0.0.2", "203.0.113.7"]
    finally:
        _close(database.obj)


def test_the_address_of_one_request_does_not_stick_to_the_next_one(world, client, app):
    """Work outside a request (the worker, the CLI) records no address."""
    logged("t@example.org", client)
    client.get(f"/clients/{world['ann'].id}")
    with app.app_context(), database.connection_context():
        plans.finish(world["plan"], plans.local_today(world["ann"]), world["theo"])
    assert [(row[0], row[4]) for row in recorded()] == [("viewed_client", "127.0.0.1"),
                                                       ("plan_finished", None)]


# --- the client's page ------------------------------------------------------------------


def test_the_client_sees_who_has_seen_their_data_in_their_own_time(world, client):
    ann = world["ann"]
    logged("t@example.org", client)
    client.get(f"/clients/{ann.id}/summary")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    logged("a@example.org", client)
    settings = client.get("/settings").get_data(as_text=True)
    assert '<a href="/settings/audit">Who has seen your data</a>' in settings
    html = client.get("/settings/audit").get_data(as_text=True)
    with database.connection_context():
        at = AuditEntry.get().at.astimezone(ZoneInfo("America/New_York"))
    assert "<h1>Who has seen your data</h1>" in html
    assert "Entries are kept for\n3 years." in html
    assert ('<span class="audit-who">Theo Therapist</span> opened your printable summary'
            in html)
    assert f"{at:%H:%M} (America/New_York)</time>" in html
    assert "203.0.113" not in html and "127.0.0.1" not in html  # no one's address
    assert "Older entries" not in html and "Newer entries" not in html


def test_the_page_is_paginated(world, client):
    theo, ann = world["theo"], world["ann"]
    with database.connection_context():
        for i in range(31):
            AuditEntry.create(at=utcnow() - timedelta(minutes=i), actor=theo,
                              actor_role="therapist", subject=ann, action="viewed_client")
    logged("a@example.org", client)
    first = client.get("/settings/audit").get_data(as_text=True)
    assert first.count('class="audit-line"') == 30
    assert '<a class="button" href="/settings/audit?page=2">Older entries</a>' in first
    second = client.get("/settings/audit?page=2").get_data(as_text=True)
    assert second.count('class="audit-line"') == 1
    assert '<a class="button" href="/settings/audit">Newer entries</a>' in second
    assert "Older entries" not in second


@pytest.mark.parametrize("query, status", [("page=3", 404), ("page=0", 404),
                                           ("page=-1", 404), ("page=99999999999", 404),
                                           ("page=abc", 200), ("page=%00", 200)])
def test_bad_pages(world, client, query, status):
    logged("a@example.org", client)
    assert client.get(f"/settings/audit?{query}").status_code == status


def test_an_empty_log_says_so(world, client):
    logged("a@example.org", client)
    html = client.get("/settings/audit").get_data(as_text=True)
    assert "Nothing yet: no one has opened your data or changed your plan." in html


@pytest.mark.parametrize("who, status", [(None, 302), ("t@example.org", 403)])
def test_only_clients_have_the_page(world, client, who, status):
    if who:
        logged(who, client)
    response = client.get("/settings/audit")
    assert response.status_code == status
    if who:
        assert "Who has seen your data" not in client.get("/settings").get_data(as_text=True)


def test_a_deleted_therapist_reads_as_a_former_therapist(world, client):
    ann = world["ann"]
    logged("t@example.org", client)
    client.get(f"/clients/{ann.id}")
    with database.connection_context():
        privacy.delete_account(User.get_by_id(world["theo"].id))
    client = client.application.test_client()
    logged("a@example.org", client)
    html = client.get("/settings/audit").get_data(as_text=True)
    assert '<span class="audit-who">A former therapist</span> opened your page' in html
    assert "Theo" not in html
