import pytest
from werkzeug.security import check_password_hash

from tracker import create_app
from tracker.store import models


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


@pytest.fixture
def hash_method(monkeypatch):
    """The store's password hash method, put back after the test (create_app sets it)."""
    monkeypatch.setattr(models, "_password_hash_method", models._password_hash_method)


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path, monkeypatch, hash_method):
    monkeypatch.delenv("TRACKER_PASSWORD_HASH_METHOD")  # the tests' cheap one (conftest)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    assert models.hash_password("a good password").startswith("scrypt:32768:8:1$")


@pytest.mark.parametrize("source", ["environment", "test_config"])
def test_the_password_hash_method_is_a_setting(tmp_path, monkeypatch, hash_method, source):
    monkeypatch.setenv("TRACKER_PASSWORD_HASH_METHOD", "pbkdf2:sha256:2000")
    given = {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:3000"} if source == "test_config" else {}
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
                "INSTANCE_PATH": str(tmp_path / "instance"), **given})
    hashed = models.hash_password("a good password")
    rounds = "3000" if source == "test_config" else "2000"
    assert hashed.startswith(f"pbkdf2:sha256:{rounds}$")
    assert check_password_hash(hashed, "a good password")


def test_an_unknown_password_hash_method_stops_the_app(tmp_path, hash_method):
    with pytest.raises(ValueError, match="Invalid hash method 'md5'"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
                    "INSTANCE_PATH": str(tmp_path / "instance"), "PASSWORD_HASH_METHOD": "md5"})


@pytest.mark.parametrize(("environment", "expected"), [
    ({}, "http://127.0.0.1:5000"),  # flask run's default address
    ({"TRACKER_BIND": "127.0.0.1:5081"}, "http://127.0.0.1:5081"),
    ({"TRACKER_BIND": "0.0.0.0:8000"}, "http://127.0.0.1:8000"),  # a wildcard is no address
    ({"TRACKER_BIND": "10.0.0.5:8000", "TRACKER_HTTPS": "1"}, "https://10.0.0.5:8000"),
    ({"TRACKER_BIND": "unix:/run/tracker.sock"}, "http://127.0.0.1:5000"),
    ({"TRACKER_BIND": "127.0.0.1:5081", "TRACKER_BASE_URL": "https://care.example.org"},
     "https://care.example.org"),  # set explicitly, it wins
])
def test_email_links_follow_the_served_address_unless_base_url_is_set(
    tmp_path, monkeypatch, environment, expected
):
    for name in ("TRACKER_BIND", "TRACKER_BASE_URL", "TRACKER_HTTPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    assert app.config["BASE_URL"] == expected
    from tracker.jobs.links import external_url

    with app.app_context():
        assert external_url("today.today") == f"{expected}/today"


def test_make_run_serves_and_links_on_the_same_port():
    import subprocess

    from tests.conftest import ROOT

    dry = subprocess.run(["make", "-n", "run", "PORT=5081"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert 'export TRACKER_BIND="127.0.0.1:5081"' in dry  # read by the web app and the worker
    assert "run --host 127.0.0.1 --port 5081" in dry
