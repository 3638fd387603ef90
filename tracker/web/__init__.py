"""The web: one package per feature (routes.py, the blueprint, and forms.py side by side)
and the page helpers they share. It uses the store and the domain; only the app factory
imports it (tests/test_architecture.py)."""
