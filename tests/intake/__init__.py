"""Intake tests (a package, so that test_text.py does not clash with tests/alerting/test_text.py)."""
