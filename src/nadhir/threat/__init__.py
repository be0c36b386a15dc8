"""Threat: project tracks forward onto the sites they may reach."""
