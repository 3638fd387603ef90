from datetime import date, time

import pytest

from tracker.domain import day as day_model
from tracker.domain import library, plan_spec, schedule


def _occurrences(day):
    spec = plan_spec.PlanSpec.from_dict(library.template("acute-therapist-led")["spec"])
    plan = schedule.PlanInput(start=date(2026, 11, 16), revisions=(schedule.Revision(
        date(2026, 11, 16), spec),))
    return schedule.occurrences(plan, day, day)


MONDAY = date(2026, 11, 23)


def test_items_are_grouped_in_the_order_they_are_done():
    view = day_model.build_day(MONDAY, _occurrences(MONDAY), {})
    assert [label for label, _ in view.groups] == [
        "With your therapist", "Heat", "Self-massage", "Stretches", "Ice",
    ]
    session = view.groups[0][1][0]
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
