from tracker import create_app
from tracker.db import create_tables, database


def test_sqlite_pragmas_are_set(app):
    with app.app_context(), database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_create_tables_is_idempotent(app):
    create_tables()
    create_tables()


def test_connection_is_closed_after_each_request(client):
    client.get("/login")
    assert database.is_closed()


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_pages_say_unavailable_not_500_when_database_unreachable(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert b"Temporarily unavailable" in response.data
