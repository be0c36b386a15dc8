"""Writing alerts and track states in the shared format, byte-for-byte reproducibly."""

from __future__ import annotations

import json
from typing import Any

from nadhir.domain import Alert, TrackState
from nadhir.domain.timefmt import format_time


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """One ``alerts.jsonl`` object."""
    return {
        "t": format_time(alert.t),
        "action": alert.action,
        "site": alert.site,
        "level": alert.level,
        "threat": alert.threat,
        "eta": None if alert.eta is None else format_time(alert.eta),
        "confidence": round(alert.confidence, 3),
        "track": alert.track,
    }


def track_to_dict(state: TrackState) -> dict[str, Any]:
    """One ``tracks.jsonl`` object."""
    return {
        "t": format_time(state.t),
        "track": state.track,
        "lat": round(state.lat, 5),
        "lon": round(state.lon, 5),
        "speed_mps": round(state.speed_mps, 1),
        "heading_deg": round(state.heading_deg, 1),
        "aircraft": state.aircraft,
        "sigma_m": round(state.sigma_m),
    }


# json.dumps with any option builds a new encoder per call; one per process writes the same text
# (~1 µs less a line, and a replay writes a line per track state: ~4,000 an hour).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_line(obj: dict[str, Any]) -> str:
    """A compact JSON line, Arabic kept readable."""
    return _ENCODER.encode(obj) + "\n"
