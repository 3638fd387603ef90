"""Migration 8 (issue 16): a database at version 7 gets the alert preferences and digest
claims tables, its data kept; a new database has them from the start."""
from datetime import date, time

from tests.store.test_migrations import db_url  # noqa: F401 (the fixture: SQLite, PostgreSQL)
from tracker import create_app
from tracker.store import migrations
from tracker.store.db import database
from tracker.store.migrations import LATEST, current_version, upgrade
from tracker.store.models import AlertPreference, DigestClaim, User


def test_upgrading_from_version_7_adds_the_alert_tables(db_url):  # noqa: F811
    create_app({"TESTING": True, "DATABASE_URL": db_url})
    upgrade(target=7)
    with database.connection_context():
        database.execute_sql('DROP TABLE "digestclaim"')  # the baseline made them from the
        database.execute_sql('DROP TABLE "alertpreference"')  # current models: as at v7
        theo = User.create_account("theo@example.org", "Theo", "pw-123456789", "therapist",
                                   "UTC")
        assert not database.table_exists("alertpreference")
    assert current_version() == 7

    assert upgrade() == (LATEST, list(range(8, LATEST + 1)))

    with database.connection_context():
        assert database.table_exists("alertpreference") and database.table_exists("digestclaim")
        AlertPreference.create(therapist=theo, area="none", digest_time=time(6, 0))
        DigestClaim.create(therapist=theo, local_date=date(2026, 3, 18), channel="email")
        row = AlertPreference.get(AlertPreference.therapist == theo)
        assert (row.warning, row.area, row.inactive_days, row.digest_time) == (
            "both", "none", 3, time(6, 0))
        indexes = [(i.columns, i.unique) for i in database.get_indexes("digestclaim")]
        assert (["therapist_id", "local_date", "channel"], True) in indexes
    assert upgrade() == (LATEST, [])


def test_init_db_on_a_new_database_makes_them(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "Database ready" in result.output
    assert current_version() == LATEST
    with database.connection_context():
        assert database.table_exists("alertpreference") and database.table_exists("digestclaim")
    assert migrations.MIGRATIONS[7].__name__ == "_0008_alert_preferences_and_digests"
