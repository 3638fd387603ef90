from tracker.store.db import database
from tracker.store.models import CareLink, User


def test_init_db_is_idempotent(runner):
    assert "Database ready" in runner.invoke(args=["init-db"]).output
    assert runner.invoke(args=["init-db"]).exit_code == 0


def test_seed_demo_is_idempotent_and_links_the_demo_accounts(runner):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    assert "therapist@example.com" in result.output and "client@example.com" in result.output
    with database.connection_context():
        therapist = User.by_email("therapist@example.com")
        client = User.by_email("client@example.com")
        assert therapist.name == "Demo Therapist" and therapist.is_therapist
        assert client.name == "Demo Client" and not client.is_therapist
        assert User.authenticate("client@example.com", "sciatica-demo") == client
        assert CareLink.select().where(
            (CareLink.therapist == therapist) & (CareLink.client == client)
        ).count() == 1
