"""The plan builder's pure side: form fields ↔ draft ↔ spec, actions, checks, diff, preview."""
import copy
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from tracker.domain import builder, library, plan_spec, schedule, wording
from tracker.domain.text import CONTROL_MESSAGE

CATALOGUE = {
    t["slug"]: builder.Technique(t["slug"], t["name"], t["kind"], t["dose"])
    for t in library.TECHNIQUES
}
MONDAY = date(2026, 3, 2)


def fields_of(spec: dict) -> MultiDict:
    """A spec rendered to the builder's form fields, as a browser would post them."""
    fields = builder.form_fields(builder.draft_from_spec(spec))
    return MultiDict([(name, value) for name, values in fields.items() for value in values])


def acute() -> dict:
    return library.template("acute-therapist-led")["spec"]


def parse(form) -> builder.Draft:
    return builder.parse(MultiDict(form) if isinstance(form, dict) else form, CATALOGUE)


def checked(draft: builder.Draft) -> dict:
    spec, errors = builder.check(draft, CATALOGUE)
    assert errors == {}
    return spec


# --- round trip -------------------------------------------------------------------------


@pytest.mark.parametrize("template", library.TEMPLATES, ids=lambda t: t["slug"])
def test_every_builtin_template_survives_fields_and_back(template):
    draft = builder.parse(fields_of(template["spec"]), CATALOGUE)
    spec, errors = builder.check(draft, CATALOGUE)
    assert errors == {}
    assert spec == plan_spec.PlanSpec.from_dict(template["spec"]).to_dict()


def test_field_names_follow_the_form_contract():
    fields = fields_of(acute())
    assert fields["phases-0-name"] == "Acute"
    assert fields["phases-0-exit_kind"] == "after_weeks"
    assert fields["phases-0-exit_n"] == "4"
    assert fields["phases-1-items-0-technique"] == "deep-tissue-massage"
    assert fields["phases-1-items-0-cadence_kind"] == "every_n_weeks"
    assert fields["phases-1-items-0-interval"] == "2"
    assert fields.getlist("phases-1-items-0-weekdays") == ["0"]
    assert fields["phases-0-items-1-hold_seconds"] == "15"
    assert fields["phases-0-items-1-per_side"] == "y"
    assert fields["phases-0-items-1-time_of_day"] == "08:00"


# --- tolerant parsing -------------------------------------------------------------------


def test_an_empty_form_is_an_empty_draft_that_needs_a_phase():
    draft = parse({})
    assert draft.phases == []
    spec, errors = builder.check(draft, CATALOGUE)
    assert spec is None
    assert errors == {"plan": "A plan needs 1 to 10 phases (got 0)"}


def test_junk_fields_and_gaps_are_ignored_and_renumbered():
    draft = parse({
        "phases-7-name": "Later",
        "phases-3-name": "Sooner",
        "phases-x-name": "junk",
        "phases-123456-name": "too big an index",
        "phases-3-items-9-technique": "piriformis-stretch",
        "phases-3-items-2-technique": "foam-roller",
        "phases-3-items-2-colour": "blue",
        "csrf_token": "whatever",
        "": "nothing",
    })
    assert [p.name for p in draft.phases] == ["Sooner", "Later"]
    assert [p.prefix for p in draft.phases] == ["phases-0", "phases-1"]
    assert [i.technique for i in draft.phases[0].items] == ["foam-roller", "piriformis-stretch"]
    assert draft.phases[0].items[1].prefix == "phases-0-items-1"


def test_missing_fields_get_defaults():
    draft = parse({"phases-0-items-0-technique": "piriformis-stretch"})
    (phase,) = draft.phases
    assert (phase.name, phase.exit_kind) == ("", "manual")
    (item,) = phase.items
    assert (item.cadence_kind, item.interval, item.anchor) == ("every_n_days", "", "calendar")
    assert item.name == "Piriformis stretch" and item.kind == "stretch"
    phase.name = "Only"
    spec = checked(draft)
    assert spec["phases"][0]["items"][0]["cadence"] == {
        "kind": "every_n_days", "interval": 1, "weekdays": [], "anchor": "calendar"}


def test_junk_values_are_cleaned():
    form = MultiDict([
        ("phases-0-name", "  Acute "),
        ("phases-0-items-0-technique", "piriformis-stretch"),
        ("phases-0-items-0-weekdays", "9"), ("phases-0-items-0-weekdays", "a"),
        ("phases-0-items-0-weekdays", "1"), ("phases-0-items-0-weekdays", "1"),
        ("phases-0-items-0-weekdays", "-1"),
        ("phases-0-items-0-key", "../../etc passwd"),
        ("phases-0-items-0-note", "line one\r\nline two\tindented"),
        ("phases-0-items-0-per_side", "anything"),
    ])
    draft = parse(form)
    item = draft.phases[0].items[0]
    assert draft.phases[0].name == "Acute"
    assert item.weekdays == [1]
    assert item.key == "etcpasswd"
    assert item.note == "line one\r\nline two\tindented"  # a note may hold line breaks, tabs
    assert item.per_side is True
    assert draft.errors == {}


@pytest.mark.parametrize(("field", "value", "target"), [
    ("phases-0-name", "Acute\x00\x07", "phases-0-name"),
    ("phases-0-name", "Acute\nphase", "phases-0-name"),  # one line: a line break is refused
    ("phases-0-items-1-note", "line one\r\nline two\x1b", "phases-0-items-1-note"),
    ("phases-0-items-1-note", "\x85", "phases-0-items-1-note"),  # C1 too
    ("phases-0-items-1-time_of_day", "08:00\t", "phases-0-items-1-time_of_day"),
    ("phases-0-items-1-search", "ice\x00", "phases-0-items-1-search"),
    ("phases-0-items-1-name", "Ice\x7f", "phases-0-items-1-technique"),  # hidden: on technique
])
def test_control_characters_are_refused_never_stripped(field, value, target):
    form = fields_of(acute())
    form.setlist(field, [value])
    draft = parse(form)
    assert draft.errors == {target: CONTROL_MESSAGE}
    spec, errors = builder.check(draft, CATALOGUE)
    assert spec is None and errors[target] == CONTROL_MESSAGE
    if target == field:
        assert builder.form_fields(draft)[field] == [value]  # kept as typed, never cleaned


def test_a_refused_field_keeps_its_error_when_its_phase_moves():
    form = fields_of(acute())
    form.setlist("phases-0-items-1-note", ["bell\x07"])
    draft = builder.apply(parse(form), "phase-down-0")
    assert draft.errors == {"phases-1-items-1-note": CONTROL_MESSAGE}


def test_parsing_reads_at_most_the_engines_limits():
    form = {f"phases-{i}-name": f"P{i}" for i in range(15)}
    form.update({f"phases-0-items-{j}-technique": "ice-after" for j in range(70)})
    draft = parse(form)
    assert len(draft.phases) == plan_spec.MAX_PHASES
    assert len(draft.phases[0].items) == plan_spec.MAX_ITEMS_PER_PHASE


# --- choosing a technique -----------------------------------------------------------------


def test_a_new_item_takes_name_kind_and_default_dose_from_its_technique():
    draft = parse({"phases-0-name": "A", "phases-0-items-0-technique": "piriformis-stretch",
                   "phases-0-items-0-name": "Forged", "phases-0-items-0-kind": "session"})
    item = draft.phases[0].items[0]
    technique = library.technique("piriformis-stretch")
    assert (item.name, item.kind) == ("Piriformis stretch", "stretch")
    assert item.hold_seconds == str(technique["dose"]["hold_seconds"])
    assert item.per_side is technique["dose"]["per_side"]
    assert item.technique_was == "piriformis-stretch"


def test_changing_the_technique_of_an_item_keeps_its_dose():
    form = fields_of(acute())
    form["phases-0-items-1-technique"] = "seated-forward-bend"
    item = parse(form).phases[0].items[1]
    assert (item.name, item.kind, item.hold_seconds) == ("Seated forward bend", "stretch", "15")
    assert item.key == "piriformis"  # still the same item for the engine


def test_typed_dose_is_not_overwritten_by_the_default():
    draft = parse({"phases-0-items-0-technique": "foam-roller",
                   "phases-0-items-0-minutes": "7"})
    item = draft.phases[0].items[0]
    assert item.minutes == "7" and item.hold_seconds == ""


def test_new_items_get_keys_shared_across_phases_and_unique_within_one():
    form = fields_of(acute())
    form["phases-0-items-8-technique"] = "foam-roller"  # Improving already has one
    form["phases-1-items-8-technique"] = "foam-roller"  # a second one in Improving
    form["phases-2-items-8-technique"] = "hot-stone-massage"
    draft = parse(form)
    assert draft.phases[0].items[-1].key == "foam-roller"
    assert draft.phases[1].items[-1].key == "foam-roller-2"
    assert draft.phases[2].items[-1].key == "hot-stone-massage"


# --- actions ---------------------------------------------------------------------------


def names(draft):
    return [p.name for p in draft.phases]


def items(draft, i=0):
    return [item.technique for item in draft.phases[i].items]


def three_phases():
    return builder.draft_from_spec(acute())


def test_add_phase_copies_the_last_phase_and_focuses_its_name():
    draft = builder.apply(three_phases(), "add-phase")
    assert names(draft) == ["Acute", "Improving", "Maintenance", "Phase 4"]
    assert items(draft, 3) == items(draft, 2)
    assert draft.phases[3].exit_kind == "manual"
    assert draft.focus == "phases-3-name"
    draft.phases[3].items[0].interval = "2"  # a copy, not the same object
    assert draft.phases[2].items[0].interval == "1"


def test_add_phase_stops_at_the_limit():
    draft = builder.Draft([builder.PhaseDraft(name=f"P{i}") for i in range(10)])
    assert not draft.can_add_phase
    assert len(builder.apply(draft, "add-phase").phases) == 10


def test_remove_and_reorder_phases():
    assert names(builder.apply(three_phases(), "remove-phase-1")) == ["Acute", "Maintenance"]
    draft = builder.apply(three_phases(), "phase-up-2")
    assert names(draft) == ["Acute", "Maintenance", "Improving"]
    assert draft.focus == "phases-1-up"
    draft = builder.apply(three_phases(), "phase-down-0")
    assert names(draft) == ["Improving", "Acute", "Maintenance"]
    assert draft.phases[1].prefix == "phases-1"
    assert names(builder.apply(three_phases(), "phase-up-0")) == [
        "Acute", "Improving", "Maintenance"]


def test_add_remove_and_reorder_items():
    draft = builder.apply(three_phases(), "add-item-0")
    new = draft.phases[0].items[-1]
    assert new.technique == "" and new.open
    assert draft.focus == f"{new.prefix}-technique"

    draft = builder.apply(three_phases(), "remove-item-0-0")
    assert "deep-tissue-massage" not in items(draft)
    assert draft.focus == "phases-0-add-item"

    before = items(three_phases())
    draft = builder.apply(three_phases(), "item-down-0-0")
    assert items(draft) == [before[1], before[0], *before[2:]]
    assert draft.phases[0].items[1].open and draft.focus == "phases-0-items-1-down"
    draft = builder.apply(three_phases(), "item-up-0-1")
    assert items(draft) == [before[1], before[0], *before[2:]]
    assert draft.focus == "phases-0-items-0-down"  # the first item has no "up"


@pytest.mark.parametrize("action", [
    "remove-phase-7", "phase-down-2", "add-item-9", "remove-item-0-99", "item-up-5-0",
    "item-down-0-6", "refresh", "preview", "assign", "save-changes", "save-template",
])
def test_stale_indices_and_final_actions_leave_the_draft_alone(action):
    assert builder.apply(three_phases(), action) == three_phases()


@pytest.mark.parametrize("action", [
    "", "bogus", "add-item", "remove-item-1", "add-phase-1", "preview-1", "item-up-a-b",
    "remove-phase--1", "remove-phase-99999", "delete-everything-1-2",
])
def test_unknown_actions_are_refused(action):
    with pytest.raises(builder.UnknownAction):
        builder.apply(three_phases(), action)


@pytest.mark.parametrize(("action", "part"), [
    ("refresh-item-1-2", (builder.ITEM, (1, 2))),
    ("add-item-2", (builder.ADDED, (2, 8))),
    ("remove-item-0-3", (builder.PHASE, (0,))),  # those after it are renumbered
    ("item-up-1-1", (builder.PAIR, (1, 0, 1))),
    ("item-down-1-0", (builder.PAIR, (1, 0, 1))),
    ("item-down-1-6", (builder.PAIR, (1, 6, 7))),
    ("item-up-1-0", (builder.PHASE, (1,))),  # the first can't go up: nothing moved
    ("item-down-1-7", (builder.PHASE, (1,))),
    ("add-phase", (builder.PHASES, ())),
    ("remove-phase-1", (builder.PHASES, ())),
    ("phase-up-2", (builder.PHASES, ())),
    ("phase-down-0", (builder.PHASES, ())),
    ("refresh", (builder.WHOLE, ())),  # nothing says what changed
    ("refresh-item-1-99", (builder.WHOLE, ())),  # a stale page: no such item
    ("refresh-item-9-0", (builder.WHOLE, ())),
    ("add-item-9", (builder.WHOLE, ())),
    ("remove-item-9-0", (builder.WHOLE, ())),
    ("preview", (builder.WHOLE, ())),
    ("assign", (builder.WHOLE, ())),
])
def test_each_action_names_the_part_it_changed(action, part):
    draft = builder.apply(parse(fields_of(acute())), action)
    assert builder.scope(draft, action) == part


def test_an_item_added_to_an_empty_phase_or_a_full_one_is_the_phase():
    draft = builder.apply(parse(fields_of({"phases": [{"name": "A", "items": []}]})),
                          "add-item-0")
    assert builder.scope(draft, "add-item-0") == (builder.PHASE, (0,))
    spec = copy.deepcopy(acute())
    spec["phases"][0]["items"] = [
        {**spec["phases"][0]["items"][1], "key": f"stretch-{n}"}
        for n in range(plan_spec.MAX_ITEMS_PER_PHASE)]
    draft = builder.apply(parse(fields_of(spec)), "add-item-0")  # full: nothing added
    assert len(draft.phases[0].items) == plan_spec.MAX_ITEMS_PER_PHASE
    assert builder.scope(draft, "add-item-0") == (builder.PHASE, (0,))


def test_scope_refuses_unknown_actions():
    with pytest.raises(builder.UnknownAction):
        builder.scope(three_phases(), "refresh-item-1")


def test_refresh_item_opens_the_item_and_focuses_its_technique():
    draft = builder.apply(three_phases(), "refresh-item-1-2")
    assert draft.phases[1].items[2].open and draft.focus == "phases-1-items-2-technique"
    rest = [item.open for p in draft.phases for item in p.items]
    assert rest.count(True) == 1
    assert builder.apply(three_phases(), "refresh-item-1-99") == three_phases()


def test_parse_remembers_the_prefix_each_part_was_posted_under():
    form = MultiDict([(k, v) for k, v in fields_of(acute()).items(multi=True)
                      if not k.startswith(("phases-0-items-0-", "phases-0-items-2-"))])
    draft = parse(form)
    assert [item.origin for item in draft.phases[0].items[:2]] == [
        "phases-0-items-1", "phases-0-items-3"]
    assert [item.prefix for item in draft.phases[0].items[:2]] == [
        "phases-0-items-0", "phases-0-items-1"]
    assert [phase.origin for phase in draft.phases] == ["phases-0", "phases-1", "phases-2"]
    assert draft.phases[2].items[1].at == "2-1"


def test_a_remove_or_a_move_keeps_the_origins_and_a_copy_has_none():
    draft = builder.apply(parse(fields_of(acute())), "remove-item-0-0")
    assert draft.phases[0].items[0].origin == "phases-0-items-1"
    assert draft.phases[0].items[0].prefix == "phases-0-items-0"
    draft = builder.apply(parse(fields_of(acute())), "phase-up-1")
    assert [phase.origin for phase in draft.phases] == ["phases-1", "phases-0", "phases-2"]
    draft = builder.apply(parse(fields_of(acute())), "add-phase")
    assert draft.phases[3].origin == ""
    assert {item.origin for item in draft.phases[3].items} == {""}
    draft = builder.apply(parse(fields_of(acute())), "add-item-0")
    assert draft.phases[0].items[-1].origin == ""


# --- checks ----------------------------------------------------------------------------


def errors_for(**changes) -> dict:
    form = fields_of(acute())
    for name, value in changes.items():
        form.setlist(name.replace("__", "-"), value if isinstance(value, list) else [value])
    spec, errors = builder.check(parse(form), CATALOGUE)
    assert spec is None
    return errors


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phases-1-items-0-interval", "0", "Repeat every must be a whole number from 1 to 52 (got 0)"),
    ("phases-1-items-0-interval", "53", "Repeat every must be a whole number from 1 to 52"),
    ("phases-1-items-0-interval", "two", "Repeat every must be a whole number, like 3."),
    ("phases-0-items-1-hold_seconds", "-5", "Hold (seconds) must be a whole number from 1 to 600"),
    ("phases-0-items-1-hold_seconds", "99999999", "Hold (seconds) must be a whole number from"),
    ("phases-0-items-1-repetitions", "1.5", "Repetitions must be a whole number, like 3."),
    ("phases-0-items-4-minutes", "241", "Minutes must be a whole number from 1 to 240"),
    ("phases-0-items-1-time_of_day", "25:00", "Time of day must be"),
    ("phases-0-items-1-technique", "no-such-thing", "is not in your library"),
    ("phases-0-items-1-technique", "", "Choose a technique."),
    ("phases-0-items-1-cadence_kind", "fortnightly", "Kind must be one of"),
    ("phases-0-items-1-anchor", "moon", "Count from must be one of"),
    ("phases-0-exit_n", "", "Enter how many weeks, from 1 to 52."),
    ("phases-0-exit_n", "60", "Number must be a whole number from 1 to 52 (got 60)"),
    ("phases-0-exit_n", "4 weeks", "Weeks must be a whole number, like 3."),
    ("phases-0-exit_kind", "never", "Moves on must be one of"),
])
def test_each_bad_field_gets_its_message_next_to_it(field, value, message):
    errors = errors_for(**{field: value})
    assert message in errors[field]


def test_weekday_rules_point_at_the_days():
    errors = errors_for(**{"phases-2-items-4-weekdays": []})
    assert errors == {"phases-2-items-4-weekdays": "Tick at least one day of the week."}
    errors = errors_for(**{"phases-1-items-0-weekdays": ["0", "3"]})
    assert "exactly one day" in errors["phases-1-items-0-weekdays"]


def test_symptom_exits_check_threshold_and_drop():
    errors = errors_for(phases__0__exit_kind="symptoms", phases__0__exit_threshold="11",
                        phases__0__exit_drop_pct="0")
    assert "Pain threshold must be a number from 0 to 10" in errors["phases-0-exit_threshold"]
    assert "Drop must be a whole number from 1 to 100" in errors["phases-0-exit_drop_pct"]
    errors = errors_for(phases__0__exit_kind="symptoms", phases__0__exit_threshold="low")
    assert errors["phases-0-exit_threshold"].startswith("Pain threshold must be a number")


def test_long_names_are_refused_without_echoing_them_whole():
    errors = errors_for(**{"phases-0-name": "x" * 10_000})
    assert errors["phases-0-name"].startswith("Name must be filled in, at most 200 characters")
    assert len(errors["phases-0-name"]) < 200
    errors = errors_for(**{"phases-0-name": "   "})
    assert errors["phases-0-name"].startswith("Name must be filled in")


def test_every_error_is_reported_at_once():
    errors = errors_for(**{
        "phases-0-items-0-interval": "0",
        "phases-0-items-0-minutes": "0",
        "phases-0-items-1-hold_seconds": "-1",
        "phases-0-items-1-repetitions": "x",
        "phases-0-items-1-time_of_day": "noon",
        "phases-2-name": "",
    })
    assert set(errors) == {
        "phases-0-items-0-interval", "phases-0-items-0-minutes",
        "phases-0-items-1-hold_seconds", "phases-0-items-1-repetitions",
        "phases-0-items-1-time_of_day", "phases-2-name",
    }


def test_duplicate_keys_are_a_phase_error():
    form = fields_of(acute())
    form["phases-0-items-1-key"] = "massage"
    errors = builder.check(parse(form), CATALOGUE)[1]
    assert errors == {"phases-0": "Duplicate item key(s): massage"}


def test_error_list_says_where_in_form_order():
    form = fields_of(acute())
    form["phases-1-items-0-interval"] = "0"
    form["phases-0-name"] = ""
    draft = parse(form)
    listed = builder.error_list(draft, builder.check(draft, CATALOGUE)[1])
    assert [target for target, _ in listed] == ["phases-0-name", "phases-1-items-0-interval"]
    assert listed[1][1].startswith("Phase 2 “Improving”, Deep tissue massage: Repeat every")
    assert listed[0][1].startswith("Phase 1 “Unnamed phase”: Name must be")


def test_open_with_errors_expands_only_items_with_errors():
    form = fields_of(acute())
    form["phases-1-items-2-hold_seconds"] = "0"
    draft = parse(form)
    builder.open_with_errors(draft, builder.check(draft, CATALOGUE)[1])
    opened = [item.prefix for p in draft.phases for item in p.items if item.open]
    assert opened == ["phases-1-items-2"]


def test_times_are_normalised():
    form = fields_of(acute())
    form["phases-0-items-1-time_of_day"] = "7:05"
    form["phases-0-items-2-time_of_day"] = "07:30:00"
    form["phases-0-items-3-time_of_day"] = ""
    items_ = checked(parse(form))["phases"][0]["items"]
    assert [i["time_of_day"] for i in items_[1:4]] == ["07:05", "07:30", None]


# --- plain-words diff ---------------------------------------------------------------------


def one_phase(*items_) -> dict:
    return {"phases": [{"name": "Acute", "exit": {"kind": "manual"}, "items": list(items_)}]}


def item(key="massage", slug="deep-tissue-massage", cadence=None, **dose):
    spec = library._item(key, slug, cadence or library._every_weeks(1, library.MON), **dose)
    return spec


def test_describe_cadence_dose_added_and_removed():
    old = one_phase(item(), item("piriformis", "piriformis-stretch", library._daily(),
                                 hold_seconds=15, repetitions=3, per_side=False),
                    item("ice", "ice-after", library._daily()))
    new = one_phase(item(cadence=library._every_weeks(2, library.MON)),
                    item("piriformis", "piriformis-stretch", library._daily(),
                         hold_seconds=30, repetitions=3, per_side=False),
                    item("foam-roller", "foam-roller", library._daily()))
    assert builder.describe_changes(old, new) == (
        "Deep tissue massage every 2 weeks on Monday instead of every week on Monday; "
        "Piriformis stretch: hold 30 s, 3 times instead of hold 15 s, 3 times; "
        "added Foam roller; removed Ice after self-massage"
    )


def test_describe_nothing_is_empty():
    assert builder.describe_changes(acute(), acute()) == ""


def test_describe_names_phases_unless_a_change_is_everywhere():
    old = acute()
    new = copy.deepcopy(old)
    new["phases"][1]["items"][0]["cadence"]["interval"] = 3
    for phase in new["phases"]:
        phase["items"] = [i for i in phase["items"] if i["key"] != "ice"]
    new["phases"][0]["exit"]["n"] = 6
    assert builder.describe_changes(old, new) == (
        "removed Ice after self-massage; "
        "Acute: moves on after 6 weeks instead of after 4 weeks; "
        "Improving: Deep tissue massage every 3 weeks on Monday instead of every 2 weeks "
        "on Monday"
    )


def test_describe_phases_renamed_added_removed_and_other_item_changes():
    old = acute()
    new = copy.deepcopy(old)
    new["phases"][0]["name"] = "Early"
    massage = new["phases"][0]["items"][0]
    massage.update(technique="swedish-massage", name="Swedish massage", time_of_day="09:30",
                   note="Lighter pressure.")
    new["phases"].append({"name": "Extra", "exit": {"kind": "manual"}, "items": []})
    text = builder.describe_changes(old, new)
    assert "Early: renamed “Acute” to “Early”" in text
    assert "Swedish massage instead of Deep tissue massage" in text
    assert "Swedish massage at 09:30 instead of at 10:00" in text
    assert "Swedish massage: note changed" in text
    assert "added phase “Extra”" in text
    assert "removed phase “Extra”" in builder.describe_changes(new, old)


# --- preview ------------------------------------------------------------------------------


def test_preview_lists_twelve_weeks_as_the_engine_schedules_them():
    spec = plan_spec.PlanSpec.from_dict(acute()).to_dict()
    weeks = builder.preview(builder.plan_input(spec, MONDAY), MONDAY)
    assert len(weeks) == 12
    first = weeks[0]
    assert (first.number, first.first, first.last) == (1, MONDAY, MONDAY + timedelta(days=6))
    assert first.phases == ("Acute",)
    assert [(s.date, s.time, s.name) for s in first.sessions] == [
        (MONDAY, "10:00", "Deep tissue massage")]
    assert first.self_care[0].startswith(
        "daily: Piriformis stretch hold 15 s ×3 each side, Knee-to-chest stretch hold 15 s ×3")
    # After 4 weeks the massage is every 2 weeks (counted from the last weekly one) and
    # the holds are 30 s.
    assert weeks[4].phases == ("Improving",)
    assert [len(w.sessions) for w in weeks[3:10]] == [1, 0, 1, 0, 1, 0, 1]
    assert "Piriformis stretch hold 30 s ×3" in weeks[4].self_care[0]


def test_preview_of_an_edit_keeps_the_days_before_it():
    spec = plan_spec.PlanSpec.from_dict(acute()).to_dict()
    plan = builder.plan_input(spec, MONDAY)
    edited = copy.deepcopy(spec)
    edited["phases"][0]["items"][0]["cadence"]["weekdays"] = [2]
    revised = builder.with_revision(plan, edited, MONDAY + timedelta(days=14))
    before = schedule.occurrences(plan, MONDAY, MONDAY + timedelta(days=13))
    assert schedule.occurrences(revised, MONDAY, MONDAY + timedelta(days=13)) == before
    week3 = builder.preview(revised, MONDAY + timedelta(days=14), weeks=1)[0]
    assert [s.date.weekday() for s in week3.sessions] == [2]


def test_a_week_spanning_two_phases_says_which_is_which():
    spec = acute()
    spec["phases"][0]["exit"] = {"kind": "after_sessions", "n": 1}
    thursday = MONDAY + timedelta(days=3)
    week = builder.preview(builder.plan_input(spec, thursday), thursday, weeks=1)[0]
    assert week.phases == ("Acute", "Improving")
    assert week.self_care[0].startswith("Acute · daily: ")


def test_short_dose():
    assert builder.short_dose({}) == ""
    assert builder.short_dose(plan_spec.Dose(hold_seconds=15, repetitions=3)) == "hold 15 s ×3"
    assert builder.short_dose({"minutes": 15, "sets": 1, "per_side": True}) == (
        "15 min 1 set each side")


# --- technique lists --------------------------------------------------------------------


HEADINGS = {"session": "Professional sessions", "stretch": "Stretches",
            "self_massage": "Self-massage", "heat_cold": "Heat and cold"}


def test_technique_groups_follow_the_headings_and_filter_by_words():
    groups = builder.technique_groups(CATALOGUE, HEADINGS)
    assert [heading for heading, _ in groups] == list(HEADINGS.values())
    groups = builder.technique_groups(CATALOGUE, HEADINGS, "STRETCH piri")
    assert [(h, [t.slug for t in ts]) for h, ts in groups] == [
        ("Stretches", ["piriformis-stretch"])]


def test_technique_groups_keep_the_selected_and_the_missing():
    groups = builder.technique_groups(CATALOGUE, HEADINGS, "foam", "ice-after")
    assert [t.slug for _, ts in groups for t in ts] == ["foam-roller", "ice-after"]
    groups = builder.technique_groups(CATALOGUE, HEADINGS, "zzz", "gone-1234", "Old stretch")
    assert groups == [("No longer in your library", [
        builder.Technique("gone-1234", "Old stretch (not in your library)", "", {})])]


# --- monthly on the Nth weekday ---------------------------------------------------------


def test_monthly_on_the_nth_weekday_round_trips_through_the_form():
    fields = fields_of(acute())
    assert fields["phases-2-items-0-cadence_kind"] == "monthly_weekday"
    assert fields.getlist("phases-2-items-0-weekdays") == ["0"]
    assert fields["phases-2-items-0-ordinal"] == "4"
    fields["phases-2-items-0-ordinal"] = "-1"
    fields.setlist("phases-2-items-0-weekdays", ["4"])
    draft = parse(fields)
    assert draft.phases[2].items[0].summary == "every month on the last Friday at 10:00 · 60 min"
    cadence = checked(draft)["phases"][2]["items"][0]["cadence"]
    assert cadence == {"kind": "monthly_weekday", "interval": 1, "weekdays": [4],
                       "anchor": "calendar", "ordinal": -1}


def test_other_cadences_post_an_ordinal_but_never_keep_it():
    fields = fields_of(acute())
    assert fields["phases-1-items-0-ordinal"] == "1"  # the select's default, hidden
    fields["phases-1-items-0-ordinal"] = "4"
    cadence = checked(parse(fields))["phases"][1]["items"][0]["cadence"]
    assert "ordinal" not in cadence


def test_choosing_monthly_on_a_weekday_for_a_daily_item():
    form = fields_of(acute())
    form["phases-0-items-1-cadence_kind"] = "monthly_weekday"
    form["phases-0-items-1-ordinal"] = "2"
    form.setlist("phases-0-items-1-weekdays", ["1"])
    draft = parse(form)
    assert draft.phases[0].items[1].summary.startswith("every month on the 2nd Tuesday at 08:00")
    assert checked(draft)["phases"][0]["items"][1]["cadence"]["ordinal"] == 2


@pytest.mark.parametrize(("changes", "target", "message"), [
    ({"phases-2-items-0-weekdays": []}, "phases-2-items-0-weekdays",
     "Tick exactly one day of the week for “on one weekday”."),
    ({"phases-2-items-0-weekdays": ["0", "2"]}, "phases-2-items-0-weekdays",
     "Tick exactly one day of the week for “on one weekday”."),
    ({"phases-2-items-0-ordinal": "5"}, "phases-2-items-0-ordinal",
     "Choose which one in the month: the 1st to the 4th, or the last."),
    ({"phases-2-items-0-ordinal": "fourth"}, "phases-2-items-0-ordinal",
     "Choose which one in the month: the 1st to the 4th, or the last."),
])
def test_monthly_weekday_errors_point_at_their_control(changes, target, message):
    form = fields_of(acute())
    for name, value in changes.items():
        form.setlist(name, value if isinstance(value, list) else [value])
    spec, errors = builder.check(parse(form), CATALOGUE)
    assert spec is None
    assert errors == {target: message}


def test_a_missing_ordinal_is_the_1st():
    form = fields_of(acute())
    del form["phases-2-items-0-ordinal"]
    assert checked(parse(form))["phases"][2]["items"][0]["cadence"]["ordinal"] == 1


def test_preview_shows_the_4th_monday_in_dates_and_in_words():
    spec = {"phases": [{"name": "Maintenance", "exit": {"kind": "manual"}, "items": [
        library.template("maintenance")["spec"]["phases"][0]["items"][0]]}]}
    weeks = builder.preview(builder.plan_input(spec, MONDAY), MONDAY)
    days = [s.date for w in weeks for s in w.sessions]
    assert days == [date(2026, 3, 23), date(2026, 4, 27)]  # 12 weeks: up to 24 May
    (card,) = wording.phase_cards(builder.plan_input(spec, MONDAY), MONDAY)
    assert card.sessions == (
        "Deep tissue massage, every month on the 4th Monday at 10:00 for 60 min",)


def test_describe_a_change_of_which_weekday_in_the_month():
    old = one_phase(item(cadence=library._monthly_on(4, library.MON)))
    new = one_phase(item(cadence=library._monthly_on(-1, library.FRI)))
    assert builder.describe_changes(old, new) == (
        "Deep tissue massage every month on the last Friday instead of every month on the "
        "4th Monday")
