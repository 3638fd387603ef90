"""Command-line tasks: ``flask --app wsgi seed-demo``."""
import click
from flask import Flask

from tracker import plans
from tracker.db import create_tables, database
from tracker.models import CLIENT, THERAPIST, CareLink, Plan, User

DEMO_PASSWORD = "sciatica-demo"
DEMO_ACCOUNTS = (
    ("therapist@example.com", "Demo Therapist", THERAPIST),
    ("client@example.com", "Demo Client", CLIENT),
)


DEMO_TEMPLATE = "acute-therapist-led"


def seed_demo() -> tuple[User, User]:
    """The library, the demo therapist and client, linked, and the client's plan (idempotent).

    The plan is the acute template from the Monday of the current week; its phases end by
    time, so the demo schedule is the same every time.
    """
    create_tables()
    with database.connection_context(), database.atomic():
        plans.seed_library()
        therapist, client = (
            User.by_email(email)
            or User.create_account(email, name, DEMO_PASSWORD, role, "Europe/London")
            for email, name, role in DEMO_ACCOUNTS
        )
        CareLink.get_or_create(therapist=therapist, client=client)
        if Plan.current_for(client) is None:
            start = plans.monday_of(plans.local_today(client))
            plans.create_from_template(
                client, DEMO_TEMPLATE, start, created_by=therapist, therapist=therapist
            )
    return therapist, client


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo accounts (safe to run again)."""
    seed_demo()
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, name, _role in DEMO_ACCOUNTS:
        click.echo(f"  {name}: {email}")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
