from datetime import date, time

import pytest

from tracker.domain import library, plan_spec, schedule, wording


def cadence(**kw):
    return plan_spec.Cadence(**kw)


@pytest.mark.parametrize(
    "c, text",
    [
        (cadence(kind="every_n_days", interval=1), "daily"),
        (cadence(kind="every_n_days", interval=3), "every 3 days"),
        (cadence(kind="weekly_days", weekdays=(4, 0, 2)), "Mon, Wed, Fri"),
        (cadence(kind="every_n_weeks", interval=1, weekdays=(0,)), "every week on Monday"),
        (cadence(kind="every_n_weeks", interval=2, weekdays=(3,)), "every 2 weeks on Thursday"),
        (cadence(kind="monthly", interval=1), "monthly"),
        (cadence(kind="monthly_weekday", weekdays=(0,), ordinal=4),
         "every month on the 4th Monday"),
        (cadence(kind="monthly_weekday", interval=2, weekdays=(4,), ordinal=-1),
         "every 2 months on the last Friday"),
        (cadence(kind="monthly_weekday", interval=3, weekdays=(2,), ordinal=1),
         "every 3 months on the 1st Wednesday"),
        (cadence(kind="monthly_weekday", weekdays=(1,), ordinal=2),
         "every month on the 2nd Tuesday"),
        (cadence(kind="monthly_weekday", weekdays=(3,), ordinal=3, anchor="after_done"),
         "every month on the 3rd Thursday, counted from the last time it was done"),
        (
            cadence(kind="every_n_days", interval=7, anchor="after_done"),
            "every 7 days, counted from the last time it was done",
        ),
    ],
)
def test_cadence_text(c, text):
    assert wording.cadence_text(c) == text


@pytest.mark.parametrize(
    "rule, text",
    [
        (plan_spec.ExitRule("after_weeks", 4), "after 4 weeks"),
        (plan_spec.ExitRule("after_sessions", 1), "after 1 session"),
        (plan_spec.ExitRule("manual"), "when your plan is changed by hand"),
        (
            plan_spec.ExitRule("symptoms", threshold=3.0),
            "when your 7-day average leg pain is 3 or lower, or it has dropped at least 30% "
            "from your first week, and the change is confirmed",
        ),
    ],
)
def test_exit_text(rule, text):
    assert wording.exit_text(rule) == text


def _plan(slug, start):
    spec = plan_spec.PlanSpec.from_dict(library.template(slug)["spec"])
    return schedule.PlanInput(start=start, revisions=(schedule.Revision(start, spec),))


def test_phase_cards_for_the_acute_template():
    plan = _plan("acute-therapist-led", date(2026, 11, 16))
    cards = wording.phase_cards(plan, date(2026, 12, 20))
    assert [(c.name, c.state) for c in cards] == [
        ("Acute", "past"),
        ("Improving", "current"),
        ("Maintenance", "future"),
    ]
    assert [c.badge for c in cards] == ["done", "now", "next"]
    assert cards[0].start == date(2026, 11, 16) and cards[0].last_day == date(2026, 12, 13)
    assert cards[1].sessions == (
        "Deep tissue massage, every 2 weeks on Monday at 10:00 for 60 min",)
    assert "Piriformis stretch: hold 30 s, 3 times, each side (daily)" in cards[1].self_care
    assert cards[1].exit == "after 6 weeks" and cards[2].exit == ""
    now, upcoming = wording.now_and_next(cards)
    assert now.name == "Improving" and upcoming.name == "Maintenance"


def test_symptom_exits_are_projected():
    cards = wording.phase_cards(_plan("self-guided-relief", date(2026, 11, 16)), date(2026, 12, 1))
    now, upcoming = wording.now_and_next(cards)
    assert now.exit.startswith("when your 7-day average")
    assert upcoming.projected and upcoming.start is not None


def test_a_plan_that_starts_later_has_every_phase_to_come():
    cards = wording.phase_cards(_plan("acute-therapist-led", date(2026, 12, 7)), date(2026, 11, 21))
    assert [c.state for c in cards] == ["future", "future", "future"]
    assert [c.badge for c in cards] == ["next", "later", "later"]


@pytest.mark.parametrize(("at", "minutes", "text"), [
    (time(10, 0), 60, "Deep tissue massage at 10:00 for 60 min"),
    (time(9, 5), None, "Deep tissue massage at 09:05"),
    (None, 45, "Deep tissue massage for 45 min"),
    (None, None, "Deep tissue massage"),
])
def test_a_session_line_says_when_and_how_long_as_far_as_known(at, minutes, text):
    assert wording.session_line("Deep tissue massage", at, minutes) == text


# --- a therapist whose account was deleted (issue 17, finding 9) -----------------------

FORMER_MESSAGES = [
    ("Your therapist Sam Lee moved you to “Improving”: Deep tissue massage, every 2 weeks.",
     "A former therapist moved you to “Improving”: Deep tissue massage, every 2 weeks.",
     "A former therapist moved Dana to “Improving”: Deep tissue massage, every 2 weeks."),
    ("Your therapist Sam paused your plan.", "A former therapist paused your plan.",
     "A former therapist paused Dana's plan."),
    ("Your therapist Sam gave you the plan “Acute”.",
     "A former therapist gave you the plan “Acute”.",
     "A former therapist gave Dana the plan “Acute”."),
    ("Your therapist Sam restarted your plan after you were checked.",
     "A former therapist restarted your plan after you were checked.",
     "A former therapist restarted Dana's plan after Dana was checked."),
    ("Your therapist Sam changed your plan from 3 March: more stretches",
     "A former therapist changed your plan from 3 March: more stretches",
     "A former therapist changed Dana's plan from 3 March: more stretches"),
]


@pytest.mark.parametrize("stored, to_client, to_therapist", FORMER_MESSAGES)
def test_a_deleted_therapist_reads_a_former_therapist(stored, to_client, to_therapist):
    scrubbed = wording.without_therapist(stored, "someone renamed since")
    assert scrubbed == to_client and "Sam" not in scrubbed
    therapist = wording.Voice.about("Dana", viewer_id=9)
    for message in (stored, scrubbed):  # scrubbed at deletion, or older rows: actor gone
        change = wording.Change("x", message, None)
        assert wording.change_line(change, wording.Voice()) == to_client
        assert wording.change_line(change, therapist) == to_therapist
    # while the therapist's account exists, they are named
    assert "Sam" in wording.change_line(wording.Change("x", stored, 4), wording.Voice())


@pytest.mark.parametrize("stored", ["You paused your plan.", "Your plan moved you to “Improving”."])
def test_the_clients_own_and_the_apps_changes_name_no_therapist(stored):
    assert wording.without_therapist(stored, "Sam") == stored
    assert "former" not in wording.change_line(wording.Change("x", stored, None), wording.Voice())


def test_a_message_in_no_known_form_loses_the_name_given():
    assert (wording.without_therapist("Your therapist Sam did something new.", "Sam")
            == "A former therapist did something new.")
