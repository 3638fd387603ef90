"""The domain: pure rules and data. No Flask, no peewee, no clock: callers pass the day,
the time and the time zone (tests/test_architecture.py holds every module to it)."""
