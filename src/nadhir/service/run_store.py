"""The live run in the store: what the engine buffers for it, how it is written, and its summary.

The engine (:mod:`nadhir.service.live`) decides when to write and what to do
when a write fails; these say what is written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from nadhir.domain import Alert, Event, TrackState
from nadhir.engine.stepper import ReplaySummary
from nadhir.service.feed import kind_of
from nadhir.store import Store


@dataclass
class StoreBuffer:
    """What the core made since the last write: events taken in, track states and alerts sent."""

    events: list[Event] = field(default_factory=list)
    tracks: list[TrackState] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.events) + len(self.tracks) + len(self.alerts)


@dataclass
class EngineStats:
    """What the engine counts (health and stats show it; the run's summary keeps it)."""

    accepted: int = 0
    processed: int = 0
    stored_events: int = 0
    stored_alerts: int = 0
    stored_tracks: int = 0
    store_errors: int = 0
    steps: int = 0
    quarantined: int = 0  # steps that raised, set aside with their input
    quarantine_errors: int = 0  # quarantined steps that could not be written to the store
    audit_errors: int = 0  # operator actions whose audit row could not be written
    restarts: int = 0  # times the engine was started again after it stopped by an error


def write_outputs(store: Store, run_id: int, buffer: StoreBuffer, stats: EngineStats) -> None:
    """Write a buffer to the run: events, then track states, then alerts.

    Each part is emptied from ``buffer`` once written, so that when a write
    raises, ``buffer`` holds exactly what was not written.
    """
    store.add_events(run_id, buffer.events)
    stats.stored_events += len(buffer.events)
    buffer.events = []
    store.add_track_states(run_id, buffer.tracks)
    stats.stored_tracks += len(buffer.tracks)
    buffer.tracks = []
    store.add_alerts(run_id, buffer.alerts)
    stats.stored_alerts += len(buffer.alerts)
    buffer.alerts = []


def event_json(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict in the scenario format's terms (for the quarantine)."""
    return {"kind": kind_of(event), **dataclasses.asdict(event)}


def buffer_json(buffer: StoreBuffer) -> list[dict[str, Any]]:
    """A buffer as JSON-ready dicts, each with its ``kind`` (for the quarantine)."""
    return [
        *(event_json(e) for e in buffer.events),
        *({"kind": "track_state", **dataclasses.asdict(s)} for s in buffer.tracks),
        *({"kind": "alert", **dataclasses.asdict(a)} for a in buffer.alerts),
    ]


def run_summary(summary: ReplaySummary, stats: EngineStats) -> dict[str, Any]:
    """The summary a live run is closed with."""
    return {
        "events": summary.events,
        "rejected": dict(summary.rejected),
        "late_events": summary.late_events,
        "tracks": len(summary.tracks),
        "alert_lines": summary.alerts,
        "episodes": summary.episodes,
        "accepted": stats.accepted,
        "processed": stats.processed,
        "quarantined": stats.quarantined,
        "restarts": stats.restarts,
    }
