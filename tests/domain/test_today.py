from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain import day as day_model
from tracker.domain import library, plan_spec, schedule


def _occurrences(day):
    spec = plan_spec.PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    plan = schedule.PlanInput(start=date(2026, 11, 16), revisions=(schedule.Revision(
        date(2026, 11, 16), spec),))
    return schedule.occurrences(plan, day, day)


MONDAY = date(2026, 11, 23)


def test_items_are_grouped_by_routine_step_and_ordered_by_time_morning_first():
    """The template's stretches are at 08:00, the session at 10:00, the evening routine
    (heat, self-massage, ice) from 19:00: no 19:00 above 08:00."""
    view = day_model.build_day(MONDAY, _occurrences(MONDAY), {})
    assert [label for label, _ in view.groups] == [
        "Stretches", "With your therapist", "Heat", "Self-massage", "Ice",
    ]
    assert [i.time for i in view.items] == sorted(i.time for i in view.items)
    session = view.groups[1][1][0]
    assert session.name == "Deep tissue massage" and session.time == time(10, 0)
    assert session.is_session and not session.has_timer


def test_a_stretch_line_reads_like_a_person_would_say_it():
    view = day_model.build_day(MONDAY, _occurrences(MONDAY), {})
    piriformis = view.item("piriformis")
    assert piriformis.line == "Piriformis stretch: hold 15 s, 3 times, each side"
    assert (piriformis.hold_seconds, piriformis.repetitions, piriformis.sides) == (15, 3, 2)
    assert piriformis.has_timer
    assert view.item("heat").group == "heat" and view.item("ice").group == "ice"
    assert not view.item("heat").has_timer


def test_progress_counts_done_and_leaves_skips_out():
    marks = {
        "piriformis": day_model.Mark("done"),
        "heat": day_model.Mark("done"),
        "ice": day_model.Mark("skipped", "no_time"),
    }
    view = day_model.build_day(MONDAY, _occurrences(MONDAY), marks)
    total = len(view.items)
    assert view.progress.done == 2 and view.progress.counted == total - 1
    assert view.item("ice").skipped and view.item("ice").skip_label == "No time"
    assert not view.progress.complete


def test_a_day_with_everything_done_or_skipped_is_complete():
    occurrences = _occurrences(MONDAY)
    marks = {o.item.key: day_model.Mark("done") for o in occurrences}
    marks["ice"] = day_model.Mark("skipped", "too_painful")
    view = day_model.build_day(MONDAY, occurrences, marks)
    assert view.progress.complete and view.progress.percent == 100


def test_marks_for_items_not_due_are_ignored_and_other_days_left_out():
    view = day_model.build_day(MONDAY, _occurrences(MONDAY), {"nope": day_model.Mark("done")})
    assert view.progress.done == 0
    assert day_model.build_day(date(2026, 11, 24), _occurrences(MONDAY), {}).items == ()


def test_a_day_with_a_new_mark_is_the_day_built_with_it():
    """with_mark (used after a check-off, so the day is not read twice) agrees with
    build_day for every item and every kind of mark, from any starting marks."""
    occurrences = _occurrences(MONDAY)
    starts = [{}, {"heat": day_model.Mark("done"), "ice": day_model.Mark("skipped", "no_time")}]
    new_marks = [None, day_model.Mark("done"), day_model.Mark("skipped", "flare_up")]
    for start in starts:
        before = day_model.build_day(MONDAY, occurrences, start)
        for item in before.items:
            for mark in new_marks:
                after = {k: v for k, v in start.items() if k != item.key}
                if mark:
                    after[item.key] = mark
                expected = day_model.build_day(MONDAY, occurrences, after)
                assert before.with_mark(item.key, mark) == expected


def test_a_day_of_only_skips_says_so_by_reason():
    occurrences = _occurrences(MONDAY)
    marks = {o.item.key: day_model.Mark("skipped", "no_time") for o in occurrences}
    view = day_model.build_day(MONDAY, occurrences, marks)
    n = len(view.items)
    assert (view.progress.done, view.progress.counted, view.progress.skipped) == (0, 0, n)
    assert view.progress.skips == f"{n} skipped (no time)"
    one_back = view.with_mark("heat", day_model.Mark("done"))
    assert one_back.progress.skips == f"{n - 1} skipped (no time)"


@pytest.mark.parametrize(("counts", "text"), [
    ({}, ""),
    ({"no_time": 6}, "6 skipped (no time)"),
    ({"no_time": 2, "flare_up": 1}, "3 skipped (2 no time, 1 flare-up)"),
    ({"flare_up": 2, "no_time": 2}, "4 skipped (2 flare-up, 2 no time)"),
    ({None: 2}, "2 skipped"),
    ({"no_time": 1, None: 1}, "2 skipped (1 no time, 1 other)"),
])
def test_skip_summary_counts_by_reason(counts, text):
    assert day_model.skip_summary(counts) == text


KINDS = {"session": plan_spec.SESSION, "heat": plan_spec.HEAT_COLD, "ice": plan_spec.HEAT_COLD,
         "self_massage": plan_spec.SELF_MASSAGE, "stretch": plan_spec.STRETCH}


def _occurrence(n: int, group: str, at: time | None) -> schedule.Occurrence:
    item = plan_spec.ItemSpec(
        key=f"item-{n}", technique=group, name=f"{group} {n}", kind=KINDS[group],
        cadence=plan_spec.Cadence(plan_spec.CADENCE_KINDS[0]), time_of_day=at,
    )
    return schedule.Occurrence(date=MONDAY, time=at, item=item, phase_index=0, phase_name="P")


_times = st.none() | st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(st.lists(st.tuples(st.sampled_from(list(KINDS)), _times), max_size=12))
def test_the_order_of_the_day_and_its_times_agree(specs):
    """Whatever the times: every item shows once; timed items run morning to night, each
    untimed item comes after every timed one or with its own step; a heading holds one
    step, and two headings in a row are different steps."""
    occurrences = [_occurrence(n, group, at) for n, (group, at) in enumerate(specs)]
    view = day_model.build_day(MONDAY, occurrences, {})
    assert sorted(i.key for i in view.items) == sorted(o.item.key for o in occurrences)
    timed = [i.time for i in view.items if i.time is not None]
    assert timed == sorted(timed)
    labels = [label for label, _ in view.groups]
    assert all(a != b for a, b in zip(labels, labels[1:], strict=False))
    for label, items in view.groups:
        assert items and {day_model._LABELS[i.group] for i in items} == {label}
    for n, item in enumerate(view.items):
        if item.time is None and any(o.time for o in view.items[n:]):
            assert any(o.group == item.group and o.time for o in view.items)


def test_untimed_items_keep_the_routine_order():
    occurrences = [_occurrence(n, g, None) for n, g in enumerate(["ice", "stretch", "heat"])]
    view = day_model.build_day(MONDAY, occurrences, {})
    assert [label for label, _ in view.groups] == ["Heat", "Stretches", "Ice"]
