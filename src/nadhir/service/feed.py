"""What the live engine puts on the bus: the topics, and the feed's messages built from pipeline outputs.

Plain functions of their arguments; the engine (:mod:`nadhir.service.live`)
decides when to send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nadhir.bus import Topic
from nadhir.domain import AcousticDetection, Alert, Event, Report, TrackState
from nadhir.domain.formats.output import alert_to_dict

SILENT_AFTER_S = 15 * 60.0  # a source not heard from for this long is shown as silent


@dataclass(frozen=True, slots=True)
class FeedMessage:
    """One message of the live feed, ready to be sent as JSON: ``{"type": ..., "data": ...}``.

    ``site`` is set on messages about one site (kiosks follow only theirs);
    ``"*"`` means every site.
    """

    type: str
    data: dict[str, Any]
    site: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data}


FEED: Topic[FeedMessage] = Topic("feed")
ALERTS: Topic[Alert] = Topic("alerts")
TRACKS: Topic[TrackState] = Topic("tracks")
EVENTS: Topic[Event] = Topic("events")


def source_of(event: Event) -> str:
    """The reporter or sensor an event came from."""
    return event.sensor if isinstance(event, AcousticDetection) else event.reporter


def kind_of(event: Event) -> str:
    """The scenario-format ``kind`` of an event."""
    if isinstance(event, Report):
        return "report"
    if isinstance(event, AcousticDetection):
        return "acoustic"
    return "impact"


def alert_message(alert: Alert) -> dict[str, Any]:
    """An alert as the feed and the API show it: the alerts.jsonl fields plus POSIX times."""
    return {**alert_to_dict(alert), "t_s": alert.t, "eta_s": alert.eta}


@dataclass
class SourceHealth:
    """What the engine has heard from one observer or sensor."""

    id: str
    kind: str  # observer or sensor
    lat: float | None = None
    lon: float | None = None
    last_heard: float | None = None
    events: int = 0
    rejected: int = 0
    last_reason: str | None = None

    def as_dict(self, now: float | None, trust: float) -> dict[str, Any]:
        if self.last_heard is None:
            health = "never"
        elif now is not None and now - self.last_heard > SILENT_AFTER_S:
            health = "silent"
        else:
            health = "ok"
        return {
            "id": self.id,
            "kind": self.kind,
            "lat": self.lat,
            "lon": self.lon,
            "last_heard": self.last_heard,
            "events": self.events,
            "rejected": self.rejected,
            "last_reason": self.last_reason,
            "trust": round(trust, 3),
            "health": health,
        }
