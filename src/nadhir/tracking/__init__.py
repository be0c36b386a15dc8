"""Tracking: filters, association and the track life cycle."""
