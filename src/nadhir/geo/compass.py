"""Compass points: the eight directions spotters use."""

from __future__ import annotations

COMPASS_DEG: dict[str, float] = {
    "N": 0.0, "NE": 45.0, "E": 90.0, "SE": 135.0,
    "S": 180.0, "SW": 225.0, "W": 270.0, "NW": 315.0,
}


def compass_to_deg(point: str) -> float | None:
    """Degrees for a compass point such as ``NE`` (case-insensitive); None if unknown."""
    return COMPASS_DEG.get(point.strip().upper())
