"""The printed handout's content (tracker/domain/handout.py): pure, no app."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tracker.domain import handout, library, plan_spec, schedule

START = date(2026, 3, 2)  # a Monday
CAUTIONS = {t["slug"]: t["cautions"] for t in library.TECHNIQUES}


def acute(start=START):
    spec = plan_spec.PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    return schedule.PlanInput(start=start, revisions=(schedule.Revision(start, spec),))


def test_the_acute_phase_self_care_items_in_plan_order_sessions_left_out():
    sheet = handout.build(acute(), START, CAUTIONS)
    assert sheet.phase == "Acute"
    assert [i.key for i in sheet.items] == ["piriformis", "knee-to-chest", "forward-bend",
                                            "heat", "trigger-point", "ice"]
    first = sheet.items[0]
    assert (first.name, first.dose, first.cadence, first.time) == (
        "Piriformis stretch", "hold 15 s, 3 times, each side", "daily", "08:00")


def test_the_phase_in_force_on_the_day():
    sheet = handout.build(acute(), START + timedelta(weeks=4), CAUTIONS)
    assert sheet.phase == "Improving"
    assert sheet.items[0].dose == "hold 30 s, 3 times, each side"
    assert "foam-roller" in [i.key for i in sheet.items]


def test_shared_cautions_are_said_once_and_own_ones_stay_with_their_item():
    sheet = handout.build(acute(), START, CAUTIONS)
    said = [c for i in sheet.items for c in i.cautions] + list(sheet.cautions)
    assert len(said) == len(set(said))
    every = {c for i in sheet.items for c in CAUTIONS[i.technique]}
    assert set(said) == every
    assert "Stop if the pain turns sharp or starts spreading further down your leg." \
        in sheet.cautions
    heat = next(i for i in sheet.items if i.key == "heat")
    assert heat.cautions == tuple(c for c in CAUTIONS["heat-before"] if c not in sheet.cautions)


def test_a_technique_without_cautions_has_none():
    sheet = handout.build(acute(), START, {})
    assert sheet.cautions == () and all(i.cautions == () for i in sheet.items)


@given(st.integers(min_value=-30, max_value=400))
def test_every_day_gives_the_self_care_of_that_days_phase(offset):
    plan, day = acute(), START + timedelta(days=offset)
    sheet = handout.build(plan, day, CAUTIONS)
    phase = schedule.spec_on(plan, day).phase(schedule.phase_on(plan, day))
    assert sheet.phase == phase.name
    assert [i.key for i in sheet.items] == [i.key for i in phase.items if not i.is_session]
