"""Tests for progress: adherence, habit score, streaks, pain trends and the week ahead."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.plan_spec import Cadence, ItemSpec
from tracker.domain.progress import (
    DayPlan,
    DayRecord,
    PainPoint,
    WeekAdherence,
    adherence,
    current_streak,
    day_records,
    habit_score,
    pain_trend,
    percent,
    week_ahead,
    weekly_adherence,
)
from tracker.domain.schedule import Occurrence

MONDAY = date(2024, 3, 4)
DAILY = Cadence("every_n_days")
STRETCH = ItemSpec("stretch", "piriformis", "Piriformis stretch", "stretch", DAILY)
BALL = ItemSpec("ball", "", "Tennis ball on the glutes", "self_massage", DAILY)
MASSAGE = ItemSpec("massage", "deep_tissue", "Deep tissue massage", "session",
                   Cadence("weekly_days", weekdays=(2,)))
M = 0.5 ** (1 / 13)  # Loop's multiplier for a daily habit


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def due(item: ItemSpec, *days: int) -> list[Occurrence]:
    return [Occurrence(day(n), None, item, 0, "Settle the pain") for n in days]


def rec(n: int, due_: int, done: int = 0, skipped: int = 0) -> DayRecord:
    return DayRecord(day(n), due_, done, skipped)


# --------------------------------------------------------------------------- day records

@pytest.mark.parametrize(("record", "counted", "complete"), [
    (rec(0, 3, 3), 3, True),
    (rec(0, 3, 2), 3, False),
    (rec(0, 3, 2, 1), 2, True),  # a skip is not a miss
    (rec(0, 2, 0, 2), 0, True),  # all skipped
    (rec(0, 3, 0), 3, False),
    (rec(0, 0), 0, False),  # nothing due is not an achievement
])
def test_day_record_counts_skips_out(record, counted, complete):
    assert record.counted == counted
    assert record.complete is complete


def test_day_records_count_each_occurrence_once_and_ignore_stray_marks():
    occurrences = due(STRETCH, 0, 1, 3, 9) + due(BALL, 0, 1) + due(STRETCH, 0)  # a duplicate
    marks = {("stretch", day(0)): "done", ("ball", day(0)): "skipped",
             ("stretch", day(1)): "skipped",
             ("ball", day(2)): "done",  # nothing due that day: ignored
             ("massage", day(1)): "done"}  # nothing due: ignored
    assert day_records(occurrences, marks, day(0), day(6)) == [
        rec(0, 2, 1, 1), rec(1, 2, 0, 1), rec(3, 1)]  # day 2 had nothing due; day 9 is out


def test_day_records_of_an_empty_range():
    assert day_records(due(STRETCH, 0, 1), {}, day(1), day(0)) == []
    assert day_records([], {("stretch", day(0)): "done"}, day(0), day(6)) == []


# --------------------------------------------------------------------------- adherence

def test_weekly_adherence_uses_monday_weeks_and_keeps_empty_ones():
    records = [rec(2, 2, 1), rec(6, 2, 2),  # Wednesday and Sunday of the first week
               rec(7, 4, 1, 2),  # the next Monday starts week two
               rec(21, 1, 1)]  # week four is outside the range
    weeks = weekly_adherence(records, day(2), day(20))  # Wednesday to a Sunday
    assert [w.week_start for w in weeks] == [day(0), day(7), day(14)]
    assert all(w.week_start.weekday() == 0 for w in weeks)
    assert weeks[0] == WeekAdherence(day(0), 4, 3, 0, 0.75)
    assert weeks[1] == WeekAdherence(day(7), 4, 1, 2, 0.5)  # skips excluded: 1 of 2
    assert weeks[2] == WeekAdherence(day(14), 0, 0, 0, None)


def test_weekly_adherence_clips_records_to_the_range():
    weeks = weekly_adherence([rec(0, 1, 1), rec(3, 1)], day(1), day(5))
    assert weeks == [WeekAdherence(day(0), 1, 0, 0, 0.0)]  # Monday's record is outside


def test_weekly_adherence_with_everything_skipped_has_no_ratio():
    [week] = weekly_adherence([rec(1, 2, 0, 2)], day(0), day(6))
    assert week.ratio is None and week.percent is None


def test_weekly_adherence_of_an_empty_range():
    assert weekly_adherence([rec(0, 1, 1)], day(1), day(0)) == []


def test_a_single_sunday_is_one_week():
    assert [w.week_start for w in weekly_adherence([], day(6), day(6))] == [day(0)]
    assert [w.week_start for w in weekly_adherence([], day(6), day(7))] == [day(0), day(7)]


def test_adherence_excludes_skips():
    assert adherence([]) is None
    assert adherence([rec(0, 2, 0, 2)]) is None
    assert adherence([rec(0, 3, 1, 1), rec(1, 2, 2)]) == 0.75


@pytest.mark.parametrize(("done", "counted", "shown"), [
    (0, 5, 0), (1, 200, 1), (1, 3, 33), (2, 3, 67), (199, 200, 99), (5, 5, 100)])
def test_percent_is_never_100_while_something_is_left(done, counted, shown):
    assert percent(done, counted) == shown


# --------------------------------------------------------------------------- habit score

def test_habit_score_follows_loops_formula():
    assert habit_score([], day(0)) == 0
    assert habit_score([rec(0, 2, 2)], day(0)) == pytest.approx(1 - M)
    two_days = habit_score([rec(0, 2, 2), rec(1, 2, 1)], day(2))
    assert two_days == pytest.approx((1 - M) * M + 0.5 * (1 - M))


def test_habit_score_ignores_days_with_nothing_counted():
    done = habit_score([rec(0, 1, 1), rec(3, 1, 1)], day(3))
    assert habit_score([rec(0, 1, 1), rec(1, 2, 0, 2), rec(3, 1, 1)], day(3)) == done
    assert habit_score([rec(0, 1, 1), rec(1, 2, 0), rec(3, 1, 1)], day(3)) < done


def test_habit_score_counts_today_only_once_complete():
    history = [rec(n, 1, 1) for n in range(5)]
    score = habit_score(history, day(5))
    assert habit_score([*history, rec(5, 2, 1)], day(5)) == score  # unfinished today
    assert habit_score([*history, rec(5, 2, 2)], day(5)) > score
    assert habit_score([*history, rec(6, 2, 0)], day(5)) == score  # the future


def test_habit_score_does_not_care_about_record_order():
    records = [rec(0, 1, 1), rec(1, 1, 0), rec(2, 1, 1)]
    assert habit_score(records[::-1], day(2)) == habit_score(records, day(2))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 120))
def test_habit_score_rises_with_every_day_done(days):
    scores = [habit_score([rec(n, 1, 1) for n in range(k)], day(days)) for k in range(days + 1)]
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False))
    assert 0 <= scores[-1] < 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
                max_size=60), st.integers(0, 70))
def test_habit_score_stays_between_0_and_1(days, today):
    records = []
    for n, (due_, done, skipped) in enumerate(days):
        skipped = min(skipped, due_)
        records.append(rec(n, due_, min(done, due_ - skipped), skipped))
    assert 0 <= habit_score(records, day(today)) <= 1


# --------------------------------------------------------------------------- streak

def test_streak_steps_over_days_with_nothing_due():
    records = [rec(0, 1, 0), rec(1, 1, 1), rec(3, 2, 2), rec(4, 1, 1)]  # day 2: nothing due
    assert current_streak(records, day(4)) == 3


def test_streak_counts_skips_as_complete_and_stops_at_a_miss():
    assert current_streak([rec(0, 1, 1), rec(1, 2, 1, 1), rec(2, 2, 1, 1)], day(2)) == 3
    assert current_streak([rec(0, 1, 1), rec(1, 2, 1), rec(2, 1, 1)], day(2)) == 1


def test_an_unfinished_today_leaves_the_streak_ending_yesterday():
    history = [rec(0, 1, 1), rec(1, 1, 1)]
    assert current_streak([*history, rec(2, 2, 1)], day(2)) == 2
    assert current_streak([*history, rec(2, 2, 2)], day(2)) == 3
    assert current_streak(history, day(2)) == 2  # nothing due today


def test_a_missed_yesterday_ends_the_streak():
    assert current_streak([rec(0, 1, 1), rec(1, 1, 0), rec(2, 1, 0)], day(2)) == 0
    assert current_streak([], day(2)) == 0
    assert current_streak([rec(3, 1, 1)], day(2)) == 0  # the future does not count


# --------------------------------------------------------------------------- pain trend

def check_ins(first_week: list[int], last_days: list[int], today: date) -> list[PainPoint]:
    """The first week from MONDAY, then `last_days` ending today (back pain is noise)."""
    points = [PainPoint(day(i), 9, leg) for i, leg in enumerate(first_week)]
    start = today - timedelta(days=len(last_days) - 1)
    return points + [PainPoint(start + timedelta(days=i), 0, leg)
                     for i, leg in enumerate(last_days)]


TODAY = day(27)


@pytest.mark.parametrize(("first_week", "last_days", "verdict"), [
    ([10] * 7, [8, 8, 8], "better"),  # 2 points (only 20%)
    ([10] * 7, [8, 8, 8, 9], "about the same"),  # 1.75 points, 17.5%
    ([5] * 7, [3, 4, 3, 4], "better"),  # 30% (only 1.5 points)
    ([6] * 7, [4, 4, 4, 5, 4], "better"),  # 30% of 6 in floats: 1.8 points
    ([5] * 7, [4, 3, 4, 4, 3], "about the same"),  # 28%
    ([4] * 7, [6, 6, 6], "worse"),  # 2 points up
    ([4] * 7, [6, 6, 5, 6], "about the same"),  # 1.75 up
    ([0] * 7, [0, 0, 0], "about the same"),  # 30% of nothing is not better
    ([1] * 7, [0, 0, 0], "better"),  # 100% down
])
def test_pain_trend_verdict_boundaries(first_week, last_days, verdict):
    trend = pain_trend(check_ins(first_week, last_days, TODAY), MONDAY, TODAY)
    assert trend.verdict == verdict
    assert trend.change == pytest.approx(trend.mean - trend.baseline)


def test_pain_trend_says_it_in_plain_words():
    better = pain_trend(check_ins([7, 8], [5, 5, 4, 6], TODAY), MONDAY, TODAY)
    assert (better.baseline, better.mean, better.change) == (7.5, 5, -2.5)
    assert better.summary == "Your leg pain is 2.5 points lower than in your first week."
    worse = pain_trend(check_ins([3], [5, 5, 5], TODAY), MONDAY, TODAY)
    assert worse.summary.startswith("Your leg pain is 2 points higher than in your first week;")
    assert "therapist or a healthcare provider" in worse.summary
    same = pain_trend(check_ins([5], [4, 4, 4], TODAY), MONDAY, TODAY)
    assert same.summary == "Your leg pain is about the same as in your first week (1 point lower)."
    flat = pain_trend(check_ins([5], [5, 5, 5], TODAY), MONDAY, TODAY)
    assert flat.summary == "Your leg pain is about the same as in your first week."


@pytest.mark.parametrize(("points", "today", "words"), [
    ([], TODAY, "No pain check-ins yet"),
    (check_ins([6, 6, 6], [], day(5)), day(5), "first week sets your starting level"),
    (check_ins([], [5, 5, 5], TODAY), TODAY, "no check-in from your first week"),
    (check_ins([6], [5, 5], TODAY), TODAY, "at least 3 days a week"),
])
def test_pain_trend_needs_enough_check_ins(points, today, words):
    trend = pain_trend(points, MONDAY, today)
    assert trend.verdict is None and trend.change is None
    assert words in trend.summary


def test_pain_trend_ignores_check_ins_after_today():
    points = check_ins([8] * 7, [7, 7, 7], TODAY) + [PainPoint(TODAY + timedelta(days=1), 0, 0)]
    assert pain_trend(points, MONDAY, TODAY).mean == 7


def test_pain_trend_uses_leg_pain_only():
    points = [PainPoint(p.day, 0, p.leg) for p in check_ins([6] * 7, [6, 6, 6], TODAY)]
    assert pain_trend(points, MONDAY, TODAY).verdict == "about the same"


# --------------------------------------------------------------------------- week ahead

def test_week_ahead_has_seven_days_with_sessions_apart():
    occurrences = (due(STRETCH, 0, 1, 2, 3, 8) + due(BALL, 2) + due(MASSAGE, 2, 9)
                   + due(STRETCH, -1))
    occurrences.sort(key=lambda o: o.date)
    plan = week_ahead(occurrences, day(1))
    assert [p.day for p in plan] == [day(n) for n in range(1, 8)]
    assert plan[0] == DayPlan(day(1), ("Piriformis stretch",), ())
    assert plan[1] == DayPlan(day(2), ("Piriformis stretch", "Tennis ball on the glutes"),
                              ("Deep tissue massage",))
    assert [p.empty for p in plan] == [False, False, False, True, True, True, True]


def test_week_ahead_says_when_a_session_is_and_how_long():
    """The item's time (or the time it was booked for) and the dose's minutes."""
    from tracker.domain.plan_spec import Dose

    hour = ItemSpec("massage", "deep_tissue", "Deep tissue massage", "session",
                    Cadence("weekly_days", weekdays=(2,)), Dose(minutes=60), time(10, 0))
    occurrences = [Occurrence(day(2), time(10, 0), hour, 0, "P"),
                   Occurrence(day(4), time(14, 30), hour, 0, "P", original_date=day(3))]
    plan = week_ahead(occurrences, day(1))
    assert plan[1].sessions == ("Deep tissue massage at 10:00 for 60 min",)
    assert plan[3].sessions == ("Deep tissue massage at 14:30 for 60 min",)


def test_week_ahead_with_nothing_due():
    assert [p.empty for p in week_ahead([], day(0))] == [True] * 7


# --- adherence calendar ---------------------------------------------------------------


def test_adherence_calendar_marks_each_day():
    from tracker.domain.progress import DayRecord, adherence_calendar

    first, today = date(2026, 11, 4), date(2026, 11, 12)  # a Wednesday to a Thursday
    records = [
        DayRecord(date(2026, 11, 4), due=4, done=4, skipped=0),
        DayRecord(date(2026, 11, 5), due=4, done=1, skipped=0),
        DayRecord(date(2026, 11, 6), due=4, done=0, skipped=0),
        DayRecord(date(2026, 11, 7), due=2, done=0, skipped=2),
    ]
    weeks = adherence_calendar(records, first, today, today)
    assert [len(w) for w in weeks] == [7, 7]
    assert weeks[0][0].day == date(2026, 11, 2) and weeks[0][0].state == "rest"
    states = {d.day: d.state for w in weeks for d in w}
    assert states[date(2026, 11, 4)] == "done"
    assert states[date(2026, 11, 5)] == "partial"
    assert states[date(2026, 11, 6)] == "missed"
    assert states[date(2026, 11, 7)] == "skipped"  # all skipped is not a miss
    assert weeks[0][5].label == "Sat 7 Nov: 2 skipped"
    assert states[date(2026, 11, 13)] == "future"
    assert weeks[0][3].label == "Thu 5 Nov: 1 of 4 done"


# --- honest numbers: skips by reason, a day of only skips, today in progress ------------

def test_day_records_count_skips_by_reason():
    occurrences = due(STRETCH, 0, 1) + due(BALL, 0, 1)
    marks = {("stretch", day(0)): "skipped", ("ball", day(0)): "skipped",
             ("stretch", day(1)): "done", ("ball", day(1)): "skipped"}
    reasons = {("stretch", day(0)): "no_time", ("ball", day(0)): "no_time",
               ("ball", day(1)): "flare_up"}
    first, second = day_records(occurrences, marks, day(0), day(1), reasons)
    assert first.all_skipped and first.skips == "2 skipped (no time)"
    assert not second.all_skipped and second.skips == "1 skipped (flare-up)"


@pytest.mark.parametrize(("record", "text"), [
    (None, "nothing due"),
    (rec(0, 0), "nothing due"),
    (DayRecord(day(2), 6, 0, 6, (("no_time", 6),)), "6 skipped (no time)"),
    (rec(2, 7, 2), "2 of 7 so far"),  # today, unfinished
    (rec(2, 7, 7), "7 of 7 done"),
    (rec(1, 7, 0), "0 of 7 done"),  # yesterday: a missed day says so
    (DayRecord(day(1), 4, 1, 3, (("no_time", 2), ("flare_up", 1))),
     "1 of 1 done; 3 skipped (2 no time, 1 flare-up)"),
])
def test_day_summary_words_a_day(record, text):
    from tracker.domain.progress import day_summary

    assert day_summary(record, day(2)) == text


def test_the_calendar_shows_today_in_progress_not_missed():
    from tracker.domain.progress import adherence_calendar

    weeks = adherence_calendar([rec(0, 7, 2), rec(1, 7, 0)], day(0), day(1), day(1))
    states = {d.day: (d.state, d.label) for w in weeks for d in w}
    assert states[day(0)] == ("partial", "Mon 4 Mar: 2 of 7 done")
    assert states[day(1)] == ("today", "Tue 5 Mar: 0 of 7 so far")


_records = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
    max_size=15, unique_by=lambda t: t[0],
).map(lambda rows: [rec(n, d + k + s, d, s) for n, d, k, s in rows])


@given(_records, st.integers(0, 20), st.integers(1, 5), st.integers(0, 22))
@settings(max_examples=300, deadline=None)
def test_a_day_of_only_skips_never_changes_the_streak(records, n, skipped, today):
    """Adding a day where everything due was skipped neither extends nor breaks a streak."""
    others = [r for r in records if r.day != day(n)]
    with_skips = [*others, rec(n, skipped, 0, skipped)]
    assert current_streak(with_skips, day(today)) == current_streak(others, day(today))
