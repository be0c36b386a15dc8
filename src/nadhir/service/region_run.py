"""A region's run in the store: the events, track states and alerts its active engines process.

In the one-process service the engine writes its run (the tables ``GET /api/v1/runs`` and the
replay viewer read). In the cluster each region is one run, named ``<run name> <region>``, written
by whichever engine leads the region, and continued by the next after a takeover.

The run is found through the key-value bucket ``<P>_runs``: key ``<region>`` holds the run's id and
``written_seq``, the region's stream sequence through which the run is written. An engine writes
its buffer after each read it processed, then moves the mark on. A successor (which reads the
stream again from its snapshot, that is from a sequence at or before the mark) throws away what it
makes of the stream up to the mark, so that a takeover writes no row twice; the cost is the
engine's death between a write and the mark's move (rows of one read written again). An engine
never snapshots past the mark, so that no row is left unwritten by a takeover either.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from nadhir.bus.jetstream import KvBucket
from nadhir.domain import Site
from nadhir.service.run_store import EngineStats, StoreBuffer, write_outputs
from nadhir.store import Store

log = logging.getLogger(__name__)


class RegionRun:
    """One region's run, as its engine writes it (see the module docstring)."""

    def __init__(
        self, store: Store, kv: KvBucket, region: str, name: str, scenario: str | None, sites: Iterable[Site]
    ) -> None:
        self.store = store
        self.kv = kv
        self.region = region
        self.name = name
        self.scenario = scenario
        self.sites = list(sites)
        self.own = frozenset(s.id for s in self.sites)
        self.run_id: int | None = None
        self.written_seq = 0
        self.stats = EngineStats()

    def open(self, started_at: float | None) -> int:
        """The region's run: the one the bucket names (its mark with it), or a new one. Raises
        (BusError, a database error) when it cannot tell; the caller tries again."""
        entry = self.kv.get(self.region)
        if entry is not None:
            value = json.loads(entry.value)
            run_id = int(value["run_id"])
            try:
                self.store.run(run_id)
            except KeyError:
                log.error(
                    "region %s: run %d of the bucket is not in the store; a new run", self.region, run_id
                )
            else:
                self.run_id, self.written_seq = run_id, int(value.get("written_seq", 0))
                return run_id
        run_id = self.store.start_run(self.name, self.scenario, self.sites, started_at=started_at)
        self.run_id, self.written_seq = run_id, 0
        self._put_mark()
        log.warning("region %s: run %d (%s) started", self.region, run_id, self.name)
        return run_id

    def write(self, buffer: StoreBuffer, seq: int) -> None:
        """Write ``buffer`` (what the stream made through ``seq``) and move the mark to ``seq``.

        Alerts of a neighbour's site are left to its region's run. Raises if the store or NATS fails,
        ``buffer`` then holding what was not written.
        """
        assert self.run_id is not None
        buffer.alerts = [a for a in buffer.alerts if a.site in self.own]
        write_outputs(self.store, self.run_id, buffer, self.stats)
        self.written_seq = max(self.written_seq, seq)
        self._put_mark()

    def _put_mark(self) -> None:
        value = {"run_id": self.run_id, "written_seq": self.written_seq}
        self.kv.put(self.region, json.dumps(value).encode())
