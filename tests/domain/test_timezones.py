import pytest

from tracker.domain import timezones


def test_choices_are_sorted_region_zones_with_utc_first():
    names = timezones.choices()
    assert names[0] == "UTC"
    assert list(names[1:]) == sorted(names[1:])
    assert "Europe/London" in names and "America/New_York" in names


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", "Etc/GMT+5", "x" * 500])
def test_rejects_unknown_zones(name):
    assert not timezones.is_valid(name)
