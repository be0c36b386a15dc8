"""Intake's side of the cluster: accepted events go to JetStream, under their regions' subjects.

The ``intake`` role is stateless: :class:`~nadhir.service.intake.Intake` checks
each post as in the one-process service and hands the event to a
:class:`StreamSink` instead of the engine's queue. The sink publishes it to
each region whose box holds it (:func:`~nadhir.service.partitions.regions_of`)
with a message id made from the event's bytes, so that a post retried within
JetStream's duplicate window (two minutes) is stored once. The post is
answered only once every region's stream has stored it; if NATS cannot be
reached it is refused (503, retry), never dropped.
"""

from __future__ import annotations

import threading

from nadhir.bus.jetstream import BusError, JetStreamBus
from nadhir.domain import Event
from nadhir.service.clock import Clock, WallClock
from nadhir.service.cluster_names import ClusterNames
from nadhir.service.live import EngineBusy
from nadhir.service.partitions import Partition, regions_of
from nadhir.service.stream_wire import event_bytes, message_id

PUBLISH_TIMEOUT_S = 2.0


class StreamSink:
    """Where intake puts events in the cluster: the regions' subjects (see the module docstring)."""

    def __init__(
        self, bus: JetStreamBus, names: ClusterNames, parts: list[Partition], clock: Clock | None = None
    ) -> None:
        self.bus = bus
        self.names = names
        self.parts = parts
        self.clock: Clock = clock or WallClock()
        self._lock = threading.Lock()
        self.accepted = 0
        self.duplicates = 0  # posts JetStream had already stored (a retry)
        self.refused = 0  # posts refused because NATS did not store them

    def submit(self, event: Event) -> int:
        """Publish one event to its regions; its number among accepted events. EngineBusy (503) if a
        region's stream did not store it."""
        data = event_bytes(event)
        msg_id = message_id(data)
        duplicate = True
        try:
            for region in regions_of(event, self.parts):
                # One id per region: JetStream's window is the stream's, and every region keeps a copy.
                region_id = f"{region}:{msg_id}"
                ack = self.bus.publish(
                    self.names.events(region), data, msg_id=region_id, timeout=PUBLISH_TIMEOUT_S
                )
                duplicate = duplicate and ack.duplicate
        except BusError as exc:
            with self._lock:
                self.refused += 1
            raise EngineBusy(f"the event stream did not take the event: {exc}") from exc
        with self._lock:
            self.accepted += 1
            self.duplicates += duplicate
            return self.accepted

    @property
    def failed(self) -> bool:
        """Never stopped for good: while NATS is away each post is refused, and it comes back by itself."""
        return False
