"""Scenarios: reading the shared format, writing its outputs, replaying it (scoring is in nadhir_lab)."""
