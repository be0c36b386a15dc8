"""The health facilities' readiness in the cluster: from the health room to the regions' engines.

In the one-process service the facility status room sets each facility's readiness (closed: no
siren; slow to move: warned earlier) on the live alert policy directly. In the cluster no process
that keeps the status holds a pipeline, and the active engine of a region may die at any moment.
So the readiness travels **in the region's input stream**, as a ``readiness`` record between the
events, and the engine applies it at its place there (:mod:`nadhir.service.stream_engine`): a
standby that takes over re-derives it from the snapshot (the policy keeps it) plus the stream, and
every engine reading the stream again applies it at the same point.

A record holds every facility of the region, so the last one read is the whole truth. The room
publishes after each update and every minute (a status grows stale), but a region's record only
when it differs from what this publisher last put there: several processes may keep status (the
console, intake replicas), each publishing what the shared store says at that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from nadhir.bus.jetstream import JetStreamBus
from nadhir.domain.readiness import SiteReadiness
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.partitions import Partition
from nadhir.service.stream_wire import readiness_bytes

READINESS_KIND = "readiness"
PUBLISH_TIMEOUT_S = 2.0


class ReadinessPublisher:
    """Put each region's facilities' readiness in its stream when it changed (see the module)."""

    def __init__(self, bus: JetStreamBus, names: ClusterNames, regions: Iterable[Partition]) -> None:
        self.bus = bus
        self.names = names
        self.regions = list(regions)
        self._last: dict[str, bytes] = {}

    def __call__(self, ready: Mapping[str, SiteReadiness]) -> None:
        """Publish to every region whose facilities' readiness changed; BusError if NATS refused
        one (what was not published is tried again at the next call)."""
        for region in self.regions:
            own = set(region.sites)
            data = readiness_bytes({k: r for k, r in ready.items() if k in own})
            if self._last.get(region.id) == data:
                continue
            # A fresh id per record: the same terms again after a change are a new record, not a
            # duplicate for JetStream to drop. One stored twice (its acknowledgement lost, then
            # published again) is applied twice, which changes nothing.
            msg_id = f"readiness-{uuid.uuid4().hex}"
            self.bus.publish(self.names.events(region.id), data, headers={KIND_HEADER: READINESS_KIND},
                             msg_id=msg_id, timeout=PUBLISH_TIMEOUT_S)  # fmt: skip
            self._last[region.id] = data
