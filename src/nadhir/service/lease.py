"""A lease: one holder at a time (a region's active engine, the cluster's Telegram poller), standbys
wait for it to lapse; :class:`KeptLease` is the heartbeat that keeps it while the holder works.

The lease is a key in a JetStream key-value bucket whose entries live
``ttl_s``: the holder writes it again every third of that, each write
conditional on the revision it last wrote. A holder that stops (killed, frozen,
cut off from NATS) stops writing, the entry expires, and a standby's
``create`` succeeds. A holder that comes back after that finds its revision
gone: its next renewal fails and it steps down. For the moments both may run
(a frozen holder that wakes before it tries to renew), nothing breaks: both
derive the same alerts from the same stream, with the same keys, and the outbox
stores each once (docs/scaling.md, "Failover").
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable

from nadhir.bus.jetstream import BusError, KeyExists, KvBucket, WrongRevision

log = logging.getLogger(__name__)


class Lease:
    """One region's lease, as seen by one engine (``holder``)."""

    def __init__(
        self, kv: KvBucket, region: str, holder: str, ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.kv = kv
        self.region = region
        self.holder = holder
        self.ttl_s = ttl_s
        self.clock = clock
        self.revision: int | None = None
        self._renewed = 0.0

    @property
    def held(self) -> bool:
        """This engine holds the lease (as far as it knows: it renewed it within ``ttl_s``)."""
        return self.revision is not None and self.clock() - self._renewed < self.ttl_s

    def _value(self) -> bytes:
        return json.dumps({"holder": self.holder, "at": time.time()}).encode()

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True if this engine now does."""
        try:
            started = self.clock()
            self.revision = self.kv.create(self.region, self._value())
            self._renewed = started
            return True
        except (KeyExists, BusError):
            self.revision = None
            return False

    def renew(self) -> bool:
        """Write the lease again; False once it is lost (taken, or not renewed in time)."""
        if self.revision is None:
            return False
        started = self.clock()
        try:
            self.revision = self.kv.update(self.region, self._value(), last=self.revision)
            self._renewed = started
            return True
        except WrongRevision:
            self.revision = None
            return False
        except BusError:  # NATS away: still ours until the entry would have expired
            if not self.held:
                self.revision = None
            return self.held

    def due(self) -> bool:
        """Time to renew: a third of the lease has passed since the last renewal."""
        return self.clock() - self._renewed >= self.ttl_s / 3

    def release(self) -> None:
        """Give the lease up now (a clean stop), so that a standby need not wait for it to lapse."""
        if self.revision is None:
            return
        with contextlib.suppress(BusError):
            self.kv.delete(self.region, last=self.revision)
        self.revision = None

    def holder_now(self) -> str | None:
        """Who holds the lease now, by the bucket."""
        entry = self.kv.get(self.region)
        if entry is None:
            return None
        try:
            return str(json.loads(entry.value)["holder"])
        except (ValueError, KeyError, TypeError):
            return None


class KeptLease:
    """A lease held by one working loop, and the heartbeat that keeps it (a region's engine, the
    cluster's Telegram poller).

    The loop says when it moves (:meth:`moved`); the heartbeat (:meth:`keep`, on a thread of its
    own) renews the lease every sixth of its life while the holder leads, and lets it lapse once
    the loop has not moved for ``stall_s``: a stuck leader then hands the work to a standby rather
    than hold it while doing nothing. Acquiring, renewing and releasing share one lock, so that a
    renewal never races a release.
    """

    def __init__(self, lease: Lease, stall_s: float, name: str) -> None:
        self.lease = lease
        self.stall_s = stall_s
        self.name = name  # who holds it, for the log ("region north's engine", "telegram poller")
        self.lost = False  # a renewal found the lease gone: the holder must step down
        self._lock = threading.Lock()
        self._progress = time.monotonic()

    @property
    def gone(self) -> bool:
        """The holder no longer holds the lease (a renewal failed, or it was not renewed in time)."""
        return self.lost or not self.lease.held

    def moved(self) -> None:
        """The holder's loop moved: the heartbeat may go on renewing."""
        self._progress = time.monotonic()

    def try_acquire(self) -> bool:
        """Take the lease if it is free; True if the holder now has it."""
        with self._lock:
            acquired = self.lease.try_acquire()
            self.lost = False
        return acquired

    def release(self) -> None:
        """Give the lease up now, so that a standby need not wait for it to lapse."""
        with self._lock:
            self.lease.release()

    def keep(self, stop: threading.Event, leading: Callable[[], bool]) -> None:
        """The heartbeat: renew while ``leading()`` and the loop moves, until ``stop`` is set."""
        while not stop.wait(self.lease.ttl_s / 6):
            if not leading() or self.lost:
                continue
            stalled = time.monotonic() - self._progress
            if stalled > self.stall_s:
                log.critical("%s: the loop has not moved for %.0f s; letting the lease lapse",
                             self.name, stalled)  # fmt: skip
                continue
            with self._lock:
                if self.lease.revision is None or not self.lease.due():
                    continue
                try:
                    if not self.lease.renew():
                        self.lost = True
                except Exception:
                    log.exception("%s: renewing the lease failed", self.name)
