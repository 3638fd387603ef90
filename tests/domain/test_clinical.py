"""tracker.domain.clinical: every clinical rule and threshold, with the value its source gives."""
import ast
from pathlib import Path

import pytest

from tracker.domain import clinical, library, safety, schedule, symptoms


@pytest.mark.parametrize(("name", "value"), [
    ("MEANINGFUL_DROP_POINTS", 2),  # IMMPACT: 2 points on 0-10 ...
    ("MEANINGFUL_DROP_PCT", 30),  # ... or 30% is clinically meaningful
    ("FLARE_UP_POINTS", 2),  # a flare-up is a meaningful change upwards
    ("RESCREEN_DAYS", 7),  # NICE NG59 1.1.1: ask again at least weekly
    ("SORENESS_DAYS_AFTER_SESSION", 3),
    ("WINDOW_DAYS", 7),
    ("MIN_CHECK_INS", 3),
    ("SYMPTOM_PHASE_MIN_DAYS", 7),
    ("EMERGENCY", "emergency"),
    ("SAME_DAY", "same_day"),
])
def test_constant_values(name, value):
    assert getattr(clinical, name) == value
    assert type(getattr(clinical, name)) is type(value)


def test_red_flag_urgency():
    assert dict(clinical.RED_FLAG_URGENCY) == {
        "bladder_bowel": "emergency",
        "saddle_numbness": "emergency",
        "both_legs": "emergency",
        "worsening_weakness": "emergency",
        "fever": "same_day",
        "trauma": "same_day",
    }


def test_treated_area_problems_and_body_areas():
    assert clinical.TREATED_AREA_PROBLEMS == (
        "severe_pain", "swelling", "infection", "fracture", "serious_condition")
    assert clinical.BODY_AREAS == (
        "lower_back", "glutes_hips", "thighs", "lower_legs", "upper_body")
    assert tuple(clinical.AREA_LABELS) == clinical.BODY_AREAS
    assert all(label and label[0].isupper() for label in clinical.AREA_LABELS.values())


def test_the_other_modules_read_their_numbers_from_here():
    assert schedule.SYMPTOM_PHASE_MIN_DAYS == clinical.SYMPTOM_PHASE_MIN_DAYS
    assert symptoms.WINDOW_DAYS == clinical.WINDOW_DAYS
    assert symptoms.MIN_CHECK_INS == clinical.MIN_CHECK_INS


def test_the_keys_agree_with_the_library_and_safety():
    red_flags = [flag["key"] for flag in library.RED_FLAGS]
    assert red_flags == list(clinical.RED_FLAG_URGENCY) == list(safety.RED_FLAG_LABELS)
    problems = tuple(item["key"] for item in library.CONTRAINDICATIONS)
    assert problems == clinical.TREATED_AREA_PROBLEMS == tuple(safety.CONTRAINDICATION_LABELS)


def test_every_export_exists():
    assert sorted(clinical.__all__) == sorted(set(clinical.__all__))
    for name in clinical.__all__:
        assert hasattr(clinical, name), name


def test_the_module_is_pure():
    tree = ast.parse(Path(clinical.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"flask", "peewee"}
    # relative imports (from . import x) would pull the app in: none
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.level]
    assert imported <= {"__future__", "collections"}
    assert ".now(" not in ast.unparse(tree) and ".today(" not in ast.unparse(tree)
