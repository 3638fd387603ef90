from tracker import create_app


def test_defaults_put_sqlite_and_secret_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["DATABASE_URL"].endswith("instance/tracker.db")
    assert len(app.config["SECRET_KEY"]) == 64


def test_secret_key_is_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}).config["SECRET_KEY"]
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}).config["SECRET_KEY"]
    assert first == second


def test_environment_overrides_defaults_and_test_config_overrides_environment(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("TRACKER_SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["SECRET_KEY"] == "from-env"
    app = create_app({"SECRET_KEY": "from-test"})
    assert app.config["SECRET_KEY"] == "from-test"


def test_session_cookie_is_httponly_and_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
