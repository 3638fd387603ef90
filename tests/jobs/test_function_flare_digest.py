"""A function flare-up (issue 19) reaches the therapist: the roster flag and the digest say
it in plain words, as a pain flare-up does."""

from tests.conftest import PASSWORD
from tests.jobs import test_digest
from tests.jobs.test_alerts import outbox, plain
from tests.jobs.test_digest import BASE_URL, tick
from tracker.domain import roster
from tracker.store import plans, questionnaires
from tracker.store.db import database
from tracker.store.models import Plan

world = test_digest.world  # the digest tests' fixture: Theo and his client Ann
no_worker_app = test_digest.no_worker_app

REASON = ("Flare-up: PSFS function score worse by 3 points than the previous answer (6 to 3; "
          "2 is a meaningful change).")


def worse_psfs(client, plan):
    names = {"activity_1": "Sitting through a meeting", "activity_2": "Putting on socks"}
    questionnaires.save_answers(client, "psfs", {"activity_1": 6, "activity_2": 6},
                                names=names, today=plan.start, complete=True)
    questionnaires.save_answers(client, "psfs", {"activity_1": 3, "activity_2": 3},
                                names=names, today=plans.local_today(client), complete=True)


def test_a_psfs_worse_by_its_mcid_is_in_the_digest_as_a_flare_up(world):
    with database.connection_context():
        worse_psfs(world.ann, world.plan)
        stored = Plan.get_by_id(world.plan.id)
        assert (stored.suggestion, stored.suggestion_reason) == ("review", REASON)
        facts = roster.Facts(today=plans.local_today(world.ann), plan_start=stored.start,
                             suggestion=stored.suggestion)
        assert roster.FLARE_UP in roster.flags(facts)
    assert tick(world.app, world.at) == [(world.theo.id, world.day, "email", "sent", 1)]
    body = plain(outbox(world.app)[0])
    assert (f"Ann Client\n- {REASON} Waiting for your review.\n") in body
    assert f"{BASE_URL}/clients/{world.ann.id}" in body


def test_the_roster_shows_the_flare_up_flag(world, client, auth):
    with database.connection_context():
        worse_psfs(world.ann, world.plan)
        world.theo.set_password(PASSWORD)
        world.theo.save()
    assert auth.login("theo@example.org").status_code == 302
    html = client.get("/clients").get_data(as_text=True)
    row = html[html.index("Ann Client"):]
    assert roster.FLARE_UP.label in row[:row.index("</tr>")]
