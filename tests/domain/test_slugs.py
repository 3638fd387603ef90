"""Slug bases from names (tracker.domain.slugs): pure, no app."""
import pytest

from tracker.domain.slugs import SLUG_BASE_MAX, slug_base


@pytest.mark.parametrize("name, slug", [
    ("Seated glute release", "seated-glute-release"),
    ("  Cat / Cow Stretch!  ", "cat-cow-stretch"),
    ("Crème brûlée massage", "creme-brulee-massage"),
    ("Hip 90/90", "hip-90-90"),
])
def test_words_become_lower_case_ascii_joined_by_hyphens(name, slug):
    assert slug_base(name, "technique") == slug


@pytest.mark.parametrize("name", ["", "!!!", "温熱療法"])
def test_nothing_left_gives_the_fallback(name):
    assert slug_base(name, "technique") == "technique"


def test_long_names_are_cut():
    slug = slug_base("stretch " * 20, "technique")
    assert len(slug) <= SLUG_BASE_MAX and slug.startswith("stretch-stretch")
