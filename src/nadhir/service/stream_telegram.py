"""The Telegram intake in the cluster: one intake replica at a time polls the bot, any may.

Telegram hands a bot's updates to one ``getUpdates`` caller, and an update is confirmed (forgotten
by Telegram) when a later call names an offset past it. So among the intake replicas exactly one
polls: the one holding the lease ``intake.telegram`` in the engines' lease bucket, taken and kept
by the same :class:`~nadhir.service.lease.Lease` as a region's active engine (renewed by a thread
of its own every sixth of ``lease_s`` while the poll loop moves; the others try to take it as often).

The offset and the registrations (:class:`~nadhir.intake.telegram.Registry`) are kept in the
key-value bucket ``<P>_telegram``, written only over the revision last seen (a conflict is merged,
see the registry). The offset past an update is stored as soon as that update is handled (its
report published), before the bot answers it and before the next is taken
(:meth:`~nadhir.intake.telegram.TelegramIntake.poll_once`). A poller that dies leaves the offset
before the updates it had not finished: its successor reads the registry when it takes the lease
and asks Telegram from there. Nothing is lost, and what was recorded is never read again, however
long the takeover takes: the stored offset is the highest update published, written right after
the publication, so the re-read is idempotent beyond JetStream's two-minute duplicate window.

Why this and not a longer duplicate window: the window is the events stream's, shared with every
sensor's event, and JetStream keeps each message id of the window in the server's memory (the id,
its sequence and time in a map and a list: an estimate of 100-150 bytes each, not measured). At
10,000 sensors at 1 Hz a one-hour window holds 36 M ids, 4-5 GB per server, a day 24 times that, to
cover a case the record per update closes for one key-value write per Telegram update (an
acknowledged publish: 470 µs measured for the events stream, docs/scaling.md, Capacity).

What is left: an update whose report was published and whose record did not land (the process killed
in that millisecond, or NATS gone away in it). Its successor reads it again and publishes it again
with the same bytes and message id; JetStream drops the copy if that is within the window, as it is
after a kill (a takeover takes ``lease_s``). Only a NATS outage longer than the window, begun in
that millisecond and ending with another replica holding the lease, stores the report twice (the
engines take it as a second report from that observer). If the same replica polls again, it makes
the record it still holds instead (:meth:`~nadhir.intake.telegram.TelegramIntake.resume`). The bot's
answer ("Received.") is sent only after the record, so an update read again was never answered: each
is answered once. A field report (a facility's status) read again is kept again, which changes
nothing.

A registration code is used by a conditional write of the registry entry
(:meth:`~nadhir.intake.telegram.Registry.register`): of two pollers overlapping for a moment that
each take one code from a different chat, one write lands; the other finds the code used on
merging and answers as to a used code.

A report is published to its regions' subjects by the intake role's
:class:`~nadhir.service.stream_intake.StreamSink`, as an HTTP post's is; field reports go to the
health rooms through the process's readers, as an SMS posted to the intake does.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from nadhir.bus.jetstream import BusError, KeyExists, KvBucket, WrongRevision
from nadhir.intake.telegram import (
    BACKOFF_MAX_S,
    BACKOFF_START_S,
    RegistryConflict,
    TelegramError,
    TelegramIntake,
)
from nadhir.service.lease import KeptLease, Lease

log = logging.getLogger(__name__)

LEASE_KEY = "intake.telegram"  # a region id cannot hold a dot: no region's lease is named so
REGISTRY_KEY = "registry"
# Beyond the longest getUpdates (the long poll plus the client's read margin) or the handling of one
# update: a loop that has not moved this long is stuck, and lets the lease lapse for another replica.
STALL_MARGIN_S = 25.0


class KvRegistryStore:
    """The Telegram registry in one key-value entry, written only over the revision last seen."""

    def __init__(self, kv: KvBucket, key: str = REGISTRY_KEY) -> None:
        self.kv = kv
        self.key = key
        self.revision: int | None = None

    def read(self) -> bytes | None:
        """The stored registry (None: none yet); BusError if NATS does not answer."""
        entry = self.kv.get(self.key)
        self.revision = None if entry is None else entry.revision
        return None if entry is None else entry.value

    def write(self, data: bytes) -> bool:
        """Store ``data`` over the revision last seen; False if another writer stored since."""
        try:
            if self.revision is None:
                self.revision = self.kv.create(self.key, data)
            else:
                self.revision = self.kv.update(self.key, data, last=self.revision)
        except (KeyExists, WrongRevision):
            return False
        return True


class TelegramPoller:
    """Polls ``bot`` while this replica holds ``lease``; stands by while another does (see the module)."""

    def __init__(self, bot: TelegramIntake, lease: Lease) -> None:
        self.bot = bot
        self.lease = lease
        self.stall_s = bot.poll_timeout_s + STALL_MARGIN_S
        self.leading = False
        self.takeovers = 0
        self.polls = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self.kept = KeptLease(lease, self.stall_s, "telegram poller")
        bot.on_update = self.kept.moved  # each update handled is the loop moving (a slow batch too)
        # A poller that lost the lease mid-batch leaves the rest to its successor at once, rather than
        # overlap it for the rest of the batch (what it handled is recorded update by update).
        bot.keep_going = lambda: not (self._stop.is_set() or self.kept.gone)
        self._thread: threading.Thread | None = None
        self._heartbeat: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="nadhir-telegram", daemon=True)
        self._heartbeat = threading.Thread(target=self.kept.keep, args=(self._stop, lambda: self.leading),
                                           name="nadhir-telegram-lease", daemon=True)  # fmt: skip
        self._thread.start()
        self._heartbeat.start()

    def stop(self) -> None:
        """Stop polling and give the lease up, so that another replica takes over at once."""
        self._stop.set()
        for thread in (self._thread, self._heartbeat):
            if thread is not None:
                thread.join(self.stall_s)
        self._step_down("stopped")
        self.bot.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def state(self) -> str:
        """What this replica's poller does now, as ``/readyz`` shows it."""
        if not self.running:
            return "stopped"
        if not self.leading:
            standby = "standby: another intake replica polls the bot (or none yet: this one tries)"
            return standby if self.last_error is None else f"{standby}; last try: {self.last_error}"
        if self.last_error is not None:
            return f"polling; the last getUpdates failed: {self.last_error}"
        return f"polling (offset {self.bot.registry.offset}, {self.polls} polls)"

    def unready(self) -> str | None:
        """Why this replica's Telegram intake does not serve (None: it polls, or stands by to)."""
        return None if self.running else "the Telegram poller has stopped"

    # -- the loop -----------------------------------------------------------------------------------

    def _run(self) -> None:
        delay = BACKOFF_START_S
        while not self._stop.is_set():
            self.kept.moved()
            if not self.leading:
                if not self._take_over():
                    self._stop.wait(self.lease.ttl_s / 6)
                continue
            if self.kept.gone:
                self._step_down("lease lost")
                continue
            try:
                self.bot.poll_once()
            except (httpx.HTTPError, TelegramError, BusError, RegistryConflict, OSError) as exc:
                self.last_error = self._redact(exc)
                log.warning("telegram: %s; retrying in %.0f s", self.last_error, delay)
                self._pause(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            except Exception as exc:
                self.last_error = self._redact(exc)
                log.exception("telegram: unexpected error; retrying in %.0f s", delay)
                self._pause(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            else:
                self.polls += 1
                self.last_error = None
                delay = BACKOFF_START_S

    def _take_over(self) -> bool:
        """Take the lease if it is free, and read the registry its last holder stored."""
        if not self.kept.try_acquire():
            return False
        try:
            self.bot.resume()  # the offset and registrations the last poller stored
        except (BusError, ValueError, RegistryConflict) as exc:
            log.error("telegram: cannot read the registry (%s); giving the poll up", exc)
            self.last_error = self._redact(exc)
            self.lease.release()
            return False
        self.leading = True
        self.last_error = None
        self.takeovers += 1
        log.warning("telegram: this intake replica polls the bot now (offset %s)", self.bot.registry.offset)
        return True

    def _step_down(self, why: str) -> None:
        if self.leading:
            log.warning("telegram: this intake replica stops polling the bot (%s)", why)
        self.leading = False
        self.kept.release()

    def _pause(self, seconds: float) -> None:
        """Wait out a backoff, the loop still counted as moving (a Telegram outage is not a stuck loop)."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self.kept.moved()
            self._stop.wait(min(left, self.lease.ttl_s / 6))

    def _redact(self, exc: BaseException) -> str:
        return f"{type(exc).__name__}: {self.bot.redact(exc)}"
