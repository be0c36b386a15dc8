"""Intake: observer reports (free text and structured), source trust."""
