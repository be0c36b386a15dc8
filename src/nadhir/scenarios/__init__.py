"""Scenarios: reading the shared format, replaying it, scoring the result."""
