"""The built-in library: techniques, templates and safety content."""

import re

import pytest

from tracker.domain import clinical, library
from tracker.domain.library import (
    AREA_PAUSE_TEXT,
    CONTRAINDICATIONS,
    EMERGENCY_TEXT,
    RED_FLAGS,
    SAME_DAY_TEXT,
    SIDE_EFFECTS_TEXT,
    START_ADVICE,
    TECHNIQUE_AREAS,
    TECHNIQUES,
    TEMPLATES,
    WARNING_PAUSE_TEXT,
)

# Everything domain.md lists, by slug.
PROFESSIONAL = {
    "swedish-massage": "Swedish massage",
    "deep-tissue-massage": "Deep tissue massage",
    "trigger-point-therapy": "Trigger point therapy",
    "neuromuscular-therapy": "Neuromuscular therapy",
    "myofascial-release": "Myofascial release",
    "hot-stone-massage": "Hot stone massage",
    "lymphatic-drainage": "Lymphatic drainage",
    "sports-massage": "Sports massage",
    "relaxation-massage": "Relaxation massage",
    "indian-head-massage": "Indian head massage",
}
SELF_CARE = {
    "piriformis-stretch": "stretch",
    "knee-to-chest-stretch": "stretch",
    "seated-forward-bend": "stretch",
    "tennis-ball-trigger-point": "self_massage",
    "firm-pressure-self-massage": "self_massage",
    "foam-roller": "self_massage",
    "heat-before": "heat_cold",
    "ice-after": "heat_cold",
}

KINDS = {"session", "self_massage", "stretch", "heat_cold"}
DOSE_KEYS = {"hold_seconds", "repetitions", "sets", "minutes", "per_side"}
BOUNDS = {"hold_seconds": (1, 600), "repetitions": (1, 50), "sets": (1, 50), "minutes": (1, 240)}
EXIT_KINDS = {"after_weeks", "after_sessions", "symptoms", "manual"}
CADENCE_KINDS = {"every_n_days", "weekly_days", "every_n_weeks", "monthly", "monthly_weekday"}


def _items(tpl):
    return [item for phase in tpl["spec"]["phases"] for item in phase["items"]]


def _phase_item(phase, key):
    (item,) = [i for i in phase["items"] if i["key"] == key]
    return item


def check_dose(dose):
    assert set(dose) == DOSE_KEYS
    assert isinstance(dose["per_side"], bool)
    for key, (low, high) in BOUNDS.items():
        value = dose[key]
        assert value is None or (type(value) is int and low <= value <= high), (key, value)
    assert any(dose[k] is not None for k in BOUNDS), "a dose needs at least one amount"


# --- techniques ---------------------------------------------------------------------

def test_slugs_unique_and_kebab_case():
    slugs = [t["slug"] for t in TECHNIQUES]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug


def test_every_professional_technique_is_a_session():
    for slug, name in PROFESSIONAL.items():
        t = library.technique(slug)
        assert t["kind"] == "session"
        assert t["name"] == name


def test_every_self_care_item_present_with_its_kind():
    for slug, kind in SELF_CARE.items():
        assert library.technique(slug)["kind"] == kind


def test_nothing_beyond_the_domain_list():
    assert {t["slug"] for t in TECHNIQUES} == set(PROFESSIONAL) | set(SELF_CARE)


@pytest.mark.parametrize("t", TECHNIQUES, ids=lambda t: t["slug"])
def test_technique_shape(t):
    assert set(t) == {"slug", "name", "kind", "body_area", "areas", "summary",
                      "instructions", "dose", "cautions"}
    assert t["kind"] in KINDS
    assert t["name"] and t["body_area"]
    assert t["summary"].endswith(".") and t["summary"].count(". ") == 0
    assert isinstance(t["instructions"], tuple) and 3 <= len(t["instructions"]) <= 7
    assert all(isinstance(s, str) and s.strip() for s in t["instructions"])
    assert isinstance(t["cautions"], tuple) and t["cautions"]
    check_dose(t["dose"])
    # areas: a non-empty tuple of clinical.BODY_AREAS keys, no repeats
    assert isinstance(t["areas"], tuple) and t["areas"]
    assert set(t["areas"]) <= set(clinical.BODY_AREAS)
    assert len(set(t["areas"])) == len(t["areas"])


def test_technique_areas_map_every_slug_to_its_areas():
    assert {t["slug"]: t["areas"] for t in TECHNIQUES} == TECHNIQUE_AREAS
    assert library.technique("piriformis-stretch")["areas"] == ("glutes_hips",)
    assert library.technique("seated-forward-bend")["areas"] == ("thighs", "lower_back")
    assert library.technique("indian-head-massage")["areas"] == ("upper_body",)
    assert TECHNIQUE_AREAS["foam-roller"] == ("lower_back", "glutes_hips", "thighs")


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t["slug"])
def test_every_template_item_has_known_areas(tpl):
    # an item with unknown areas would pause on any treated-area problem: none should
    for item in _items(tpl):
        assert TECHNIQUE_AREAS[item["technique"]], item["key"]


def test_stretch_doses_follow_the_domain():
    for slug in ("piriformis-stretch", "knee-to-chest-stretch", "seated-forward-bend"):
        dose = library.technique(slug)["dose"]
        assert 15 <= dose["hold_seconds"] <= 30
        assert dose["repetitions"] == 3
    assert 30 <= library.technique("tennis-ball-trigger-point")["dose"]["hold_seconds"] <= 60


def test_ice_caution_and_time_limit():
    ice = library.technique("ice-after")
    assert ice["dose"]["minutes"] <= 20
    text = " ".join(ice["cautions"]).lower()
    assert "cloth" in text and "20 minutes" in text


def test_lookup_unknown_raises_key_error():
    with pytest.raises(KeyError, match="no-such-thing"):
        library.technique("no-such-thing")
    with pytest.raises(KeyError, match="no-such-thing"):
        library.template("no-such-thing")


def test_lookups_return_copies():
    library.technique("foam-roller")["dose"]["minutes"] = 99
    library.template("maintenance")["spec"]["phases"].clear()
    assert library.technique("foam-roller")["dose"]["minutes"] == 3
    assert library.template("maintenance")["spec"]["phases"]


# --- templates ----------------------------------------------------------------------

def test_template_slugs():
    assert [t["slug"] for t in TEMPLATES] == [
        "acute-therapist-led", "self-guided-relief", "maintenance"]
    for t in TEMPLATES:
        assert set(t) == {"slug", "name", "description", "self_guided", "spec"}
        assert isinstance(t["self_guided"], bool)


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t["slug"])
def test_template_items_match_library(tpl):
    for item in _items(tpl):
        t = library.technique(item["technique"])
        assert item["name"] == t["name"]
        assert item["kind"] == t["kind"]
        check_dose(item["dose"])
        assert item["time_of_day"] is None or re.fullmatch(
            r"([01]\d|2[0-3]):[0-5]\d", item["time_of_day"])
        assert isinstance(item["note"], str)


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t["slug"])
def test_template_keys_unique_and_stable(tpl):
    technique_by_key = {}
    for phase in tpl["spec"]["phases"]:
        keys = [i["key"] for i in phase["items"]]
        assert len(keys) == len(set(keys)), phase["name"]
        for item in phase["items"]:
            # the same key always means the same technique across phases
            assert technique_by_key.setdefault(item["key"], item["technique"]) == item["technique"]


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t["slug"])
def test_template_rules_well_formed(tpl):
    phases = tpl["spec"]["phases"]
    assert phases
    names = [p["name"] for p in phases]
    assert len(names) == len(set(names))
    assert phases[-1]["exit"] == {"kind": "manual"}
    for phase in phases:
        assert phase["exit"]["kind"] in EXIT_KINDS
        for item in phase["items"]:
            c = item["cadence"]
            extra = {"ordinal"} if c["kind"] == "monthly_weekday" else set()
            assert set(c) == {"kind", "interval", "weekdays", "anchor"} | extra
            assert c["kind"] in CADENCE_KINDS
            assert c["anchor"] in {"calendar", "after_done"}
            assert type(c["interval"]) is int and c["interval"] >= 1
            assert all(0 <= d <= 6 for d in c["weekdays"])
            if c["kind"] in ("every_n_days", "monthly"):
                assert c["weekdays"] == []
            elif c["kind"] == "weekly_days":
                assert c["interval"] == 1 and c["weekdays"]
            else:
                assert len(c["weekdays"]) == 1


def test_acute_template_tapers():
    tpl = library.template("acute-therapist-led")
    assert tpl["self_guided"] is False
    phases = tpl["spec"]["phases"]
    assert [p["name"] for p in phases] == ["Acute", "Improving", "Maintenance"]
    assert [p["exit"] for p in phases] == [
        {"kind": "after_weeks", "n": 4},
        {"kind": "after_weeks", "n": 6},
        {"kind": "manual"},
    ]
    sessions = [[i for i in p["items"] if i["kind"] == "session"] for p in phases]
    assert all(len(s) == 1 for s in sessions)
    cadences = [(s[0]["cadence"]["kind"], s[0]["cadence"]["interval"]) for s in sessions]
    assert cadences == [("every_n_weeks", 1), ("every_n_weeks", 2), ("monthly_weekday", 1)]
    # maintenance on the 4th Monday of each month, never a weekend
    assert sessions[2][0]["cadence"]["weekdays"] == [0]
    assert sessions[2][0]["cadence"]["ordinal"] == 4
    assert sessions[0][0]["cadence"]["weekdays"] == [0]
    assert sessions[0][0]["technique"] in {"deep-tissue-massage", "swedish-massage"}

    holds = [_phase_item(p, "piriformis")["dose"]["hold_seconds"] for p in phases]
    assert holds == [15, 30, 30]
    for phase in phases:
        for key in ("piriformis", "knee-to-chest", "forward-bend"):
            item = _phase_item(phase, key)
            assert item["dose"]["repetitions"] == 3
            assert item["cadence"]["kind"] == "every_n_days" and item["cadence"]["interval"] == 1

    # foam roller only from phase 2 on; heat and ice in every phase
    assert "foam-roller" not in {i["key"] for i in phases[0]["items"]}
    assert all("foam-roller" in {i["key"] for i in p["items"]} for p in phases[1:])
    for phase in phases:
        assert {"heat", "ice", "trigger-point"} <= {i["key"] for i in phase["items"]}


def test_self_guided_template_has_no_sessions():
    tpl = library.template("self-guided-relief")
    assert tpl["self_guided"] is True
    assert all(item["kind"] != "session" for item in _items(tpl))
    phases = tpl["spec"]["phases"]
    assert 2 <= len(phases) <= 3
    assert any(p["exit"] == {"kind": "symptoms", "threshold": 3.0, "drop_pct": 30}
               for p in phases)
    holds = [_phase_item(p, "piriformis")["dose"]["hold_seconds"] for p in phases]
    assert holds == sorted(holds) and holds[0] < holds[-1]


def test_maintenance_template():
    tpl = library.template("maintenance")
    items = _items(tpl)
    (session,) = [i for i in items if i["kind"] == "session"]
    assert session["cadence"] == {"kind": "monthly_weekday", "interval": 1, "weekdays": [0],
                                  "anchor": "calendar", "ordinal": 4}
    stretches = [i for i in items if i["kind"] == "stretch"]
    assert stretches and all(i["cadence"]["kind"] == "weekly_days" for i in stretches)
    assert all(len(i["cadence"]["weekdays"]) >= 3 for i in stretches)
    (roller,) = [i for i in items if i["technique"] == "foam-roller"]
    assert len(roller["cadence"]["weekdays"]) == 2


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t["slug"])
def test_template_spec_parses(tpl):
    from tracker.domain.plan_spec import PlanSpec

    PlanSpec.from_dict(tpl["spec"])


# --- safety -------------------------------------------------------------------------

def test_red_flags_cover_domain():
    text = {f["key"]: f["question"].lower() for f in RED_FLAGS}
    assert list(text) == ["bladder_bowel", "saddle_numbness", "both_legs",
                          "worsening_weakness", "fever", "trauma"]
    assert "bladder" in text["bladder_bowel"] and "bowel" in text["bladder_bowel"]
    assert "passing urine" in text["bladder_bowel"]
    assert "groin" in text["saddle_numbness"] and "inner thigh" in text["saddle_numbness"]
    assert "buttocks" in text["saddle_numbness"]
    assert "both legs" in text["both_legs"]
    assert "weakness" in text["worsening_weakness"] and "worse" in text["worsening_weakness"]
    assert "numbness" in text["worsening_weakness"]
    assert "fever" in text["fever"] and "unwell" in text["fever"]
    assert "fall" in text["trauma"] and "accident" in text["trauma"]
    for flag in RED_FLAGS:
        assert set(flag) == {"key", "question", "why"}
        assert flag["question"].endswith("?") and flag["why"]


def test_contraindications_cover_domain():
    keys = {c["key"] for c in CONTRAINDICATIONS}
    assert keys == {"severe_pain", "swelling", "infection", "fracture", "serious_condition"}
    for c in CONTRAINDICATIONS:
        assert set(c) == {"key", "question", "advice"}
        assert c["question"].endswith("?")
        assert "healthcare provider" in c["advice"]


def test_safety_texts_point_to_professional_care():
    emergency, same_day = EMERGENCY_TEXT.lower(), SAME_DAY_TEXT.lower()
    # Whether a therapist sees it depends on the plan, so the page says that part itself.
    assert "emergency department" in emergency and "emergency number" in emergency
    assert "see a doctor today" in same_day and "emergency number" in same_day
    assert "not a diagnosis" in emergency and "not a diagnosis" in same_day
    assert "paused" in WARNING_PAUSE_TEXT and "sessions" in WARNING_PAUSE_TEXT
    assert "whole plan" in WARNING_PAUSE_TEXT
    assert "paused" in AREA_PAUSE_TEXT and "sessions" in AREA_PAUSE_TEXT
    assert "healthcare provider" in SIDE_EFFECTS_TEXT
    assert "soreness" in SIDE_EFFECTS_TEXT or "sore" in SIDE_EFFECTS_TEXT
    assert "healthcare provider" in START_ADVICE and "not replace" in START_ADVICE
    for text in (EMERGENCY_TEXT, SAME_DAY_TEXT, SIDE_EFFECTS_TEXT, START_ADVICE):
        assert len(library.paragraphs(text)) >= 2


def test_no_diagnosis_wording():
    everything = repr((TECHNIQUES, TEMPLATES, RED_FLAGS, CONTRAINDICATIONS, EMERGENCY_TEXT,
                       SAME_DAY_TEXT, WARNING_PAUSE_TEXT, AREA_PAUSE_TEXT,
                       SIDE_EFFECTS_TEXT, START_ADVICE))
    for phrase in ("you have sciatica", "you have a herniated", "you have piriformis syndrome",
                   "you have cauda", "diagnosed with"):
        assert phrase not in everything.lower()
