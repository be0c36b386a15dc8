"""The one way events get into the live pipeline: HTTP intake and the demo feeder both use it.

An event is a JSON object in the scenario format (``docs/scenario-format.md``),
read by the same :func:`~nadhir.domain.formats.scenario.event_from_dict` as replay.
Live, ``t`` may be left out: the server stamps the time of arrival. Observer
and sensor tokens submit as themselves (``reporter``/``sensor`` may be left
out; if given it must be the token's own id); admins may submit for anyone.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from nadhir.domain import Event
from nadhir.domain.formats.events import event_from_dict
from nadhir.service.auth import INPUT_ROLES, Principal, RateLimiter
from nadhir.service.clock import Clock
from nadhir.service.feed import kind_of, source_of
from nadhir.service.live import EngineBusy, EngineStopped

KINDS = ("report", "acoustic", "impact")
# What each kind of source may send.
ALLOWED_KINDS: dict[str, frozenset[str]] = {
    "observer": frozenset({"report", "impact"}),
    "sensor": frozenset({"acoustic", "impact"}),
    "admin": frozenset(KINDS),
}
SOURCE_FIELD = {"report": "reporter", "impact": "reporter", "acoustic": "sensor"}
# A stopped engine is restarted within seconds (nadhir.service.supervisor); retry after about that.
ENGINE_STOPPED_RETRY_S = 5.0


class IntakeError(Exception):
    """A refused submission, with the HTTP status that says why."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Accepted:
    """A submission taken in: its sequence number, kind, source and time (POSIX seconds)."""

    id: int
    kind: str
    source: str
    t: float
    received: float


class EventSink(Protocol):
    """Where accepted events go: the live engine's queue, or the cluster's stream
    (:class:`~nadhir.service.stream_intake.StreamSink`)."""

    @property
    def clock(self) -> Clock: ...

    def submit(self, event: Event) -> int: ...


class Intake:
    """Checks who may send what, how often, and that it is a valid event; then queues it."""

    def __init__(self, engine: EventSink, limiter: RateLimiter, max_future_s: float = 30.0) -> None:
        self.engine = engine
        self.limiter = limiter
        self.max_future_s = max_future_s
        self._refused_lock = threading.Lock()
        self.refused: Counter[int] = Counter()  # submissions refused, by HTTP status (the metrics)

    def submit(self, obj: Any, principal: Principal, kind: str | None = None) -> Accepted:
        """Take one event object from ``principal``; ``kind`` is the endpoint's kind, if any."""
        try:
            return self._submit(obj, principal, kind)
        except IntakeError as exc:
            with self._refused_lock:
                self.refused[exc.status] += 1
            raise

    def _submit(self, obj: Any, principal: Principal, kind: str | None) -> Accepted:
        if principal.role not in INPUT_ROLES:
            raise IntakeError(403, f"role {principal.role} may not submit input")
        wait = self.limiter.allow(principal.role, principal.subject)
        if wait > 0:
            raise IntakeError(429, f"rate limit for {principal.subject} exceeded", retry_after=wait)
        if not isinstance(obj, dict):
            raise IntakeError(422, "the body must be a JSON object (one event)")
        obj = dict(obj)
        if kind is not None:
            if obj.get("kind") is None:
                obj["kind"] = kind
            given = obj["kind"]
            if given != kind:
                raise IntakeError(422, f"kind {given!r} sent to the {kind} endpoint")
        event_kind = obj.get("kind")
        if event_kind not in KINDS:
            raise IntakeError(422, f"unknown kind {event_kind!r} (one of {', '.join(KINDS)})")
        if event_kind not in ALLOWED_KINDS[principal.role]:
            raise IntakeError(403, f"a {principal.role} may not send {event_kind} events")
        field = SOURCE_FIELD[event_kind]
        if principal.role != "admin":
            if obj.get(field) is None:
                obj[field] = principal.subject
            source = obj[field]
            if source != principal.subject:
                raise IntakeError(403, f"{field} {source!r} is not this token's source ({principal.subject})")
        elif not isinstance(obj.get(field), str) or not obj[field]:
            raise IntakeError(422, f"{field} is required")
        now = self.engine.clock.now()
        if obj.get("t") is None:
            obj["t"] = datetime.fromtimestamp(now, UTC).isoformat()
        try:
            event = event_from_dict(obj)
        except (ValueError, KeyError, TypeError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise IntakeError(422, f"invalid {event_kind}: {detail}") from exc
        if event.t > now + self.max_future_s:
            raise IntakeError(422, f"t is {event.t - now:.0f} s in the future (clock at the source wrong?)")
        try:
            seq = self.engine.submit(event)
        except EngineStopped as exc:
            raise IntakeError(503, "the live engine has stopped and is being restarted; retry shortly",
                              retry_after=ENGINE_STOPPED_RETRY_S) from exc  # fmt: skip
        except EngineBusy as exc:
            raise IntakeError(503, "intake is overloaded; retry shortly", retry_after=1.0) from exc
        return Accepted(seq, kind_of(event), source_of(event), event.t, now)
