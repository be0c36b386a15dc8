"""The dispatcher: claims due deliveries from the outbox, sends them through their channels and
settles what comes back (at once, or later as an acknowledgement), in batches."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from nadhir.delivery.leases import LeaseKeeper
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import Delivery, Outcome, OutcomeKind
from nadhir_siren.protocol import SirenAck

log = logging.getLogger(__name__)


class Channel(Protocol):
    """Sends claimed deliveries. Returns the outcomes known at once (for example an HTTP answer);
    deliveries it returns nothing for wait for an acknowledgement that comes later (a siren ACK)."""

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]: ...


ACK_OUTCOMES: dict[str, OutcomeKind] = {
    "ok": "acked",
    "dup": "duplicate",
    "expired": "expired",
    "bad": "failed",
    "skipped": "cancelled",  # a test that came while the siren played a real pattern
}


class Dispatcher:
    """Claims due deliveries, sends them through their channels and settles the outcomes, in batches."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        batch: int = 500,
        window: int = 1000,
        max_rate: float | None = None,
        on_sent: Callable[[Delivery], None] | None = None,
        on_settled: Callable[[Sequence[Outcome]], None] | None = None,
        screen: Callable[[Delivery], str | None] | None = None,
    ) -> None:
        """``screen(delivery)`` gives a reason not to send a claimed delivery (it is then cancelled,
        with that reason in its audit trail), or None to send it."""
        self.outbox = outbox
        self.channels = dict(channels)
        self.batch = batch
        self.window = window
        self.max_rate = max_rate
        self.on_sent = on_sent
        # Told of the outcomes just committed (acks, failures), after each settle: latency metrics.
        self.on_settled = on_settled
        self.screen = screen
        # Only deliveries on these channels are claimed: others are left to the process that has
        # them (the siren worker and the service may share one outbox).
        self._names = sorted(self.channels)
        self._acks: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        # Deliveries sent and waiting for an acknowledgement, with when they were sent: at most
        # ``window`` of them, so that a slow receiver is never buried (a broker drops QoS 1 messages
        # beyond its per-client queue) and retries are not triggered by our own queueing.
        self._waiting: dict[str, tuple[Delivery, float]] = {}
        self._ack_timeout_s = max(1.0, 2 * outbox.backoff.initial_s)
        self.wake = threading.Event()
        self.sent = 0
        # Why the last step failed (the outbox unreachable), until a step succeeds again; and how many
        # steps failed in all. The loop goes on: a connection dropped is made again on the next step.
        self.failing: str | None = None
        self.errors = 0
        self.retry_s = 0.5
        # Claims are leased (see lease_s); sends waiting for an ack are marked in the next cycle.
        self.lease_min_s = 0.0
        self.lease_first_s = 5.0
        self.lease_max_s = 300.0
        self._send_s: float | None = None
        self._marks: list[tuple[Delivery, float]] = []
        # Renews the claim of a batch that takes longer to send than its lease expected.
        self.leases = LeaseKeeper(outbox)
        # How long after a send a worker that cannot commit its outcomes (its database connection
        # cut) keeps the batch held from the others; beyond that they may send it again.
        self.settle_s = 10.0
        self.checkpoint_s = 1.0
        self._last_checkpoint = time.monotonic()
        for channel in self.channels.values():
            bind = getattr(channel, "bind", None)
            if callable(bind):
                bind(self.acknowledge)

    def acknowledge(self, outcome: Outcome) -> None:
        """Hand in an outcome that arrived on its own (thread-safe)."""
        self._acks.put(outcome)
        self.wake.set()

    def on_siren_ack(self, siren: str, ack: SirenAck) -> None:
        """For :class:`SirenNetwork`'s ``on_ack``."""
        self.acknowledge(Outcome(ack.key, ACK_OUTCOMES[ack.status], f"siren {siren}: {ack.status}"))

    def _drain(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        while True:
            try:
                outcomes.append(self._acks.get_nowait())
            except queue.Empty:
                return outcomes

    def drain_acks(self) -> int:
        """Settle the outcomes handed in so far; returns how many deliveries they closed."""
        outcomes = self._drain()
        known = {o.key: self._waiting.pop(o.key)[0] for o in outcomes if o.key in self._waiting}
        closed = self.outbox.settle(outcomes, known=known) if outcomes else 0
        self._settled(outcomes)
        return closed

    def _settled(self, outcomes: Sequence[Outcome]) -> None:
        if outcomes and self.on_settled is not None:
            try:
                self.on_settled(outcomes)
            except Exception:  # a metric must never stop deliveries
                log.exception("on_settled failed")

    @property
    def waiting(self) -> int:
        """Deliveries sent by this dispatcher and not yet acknowledged."""
        return len(self._waiting)

    def step(self) -> int:
        """Settle the outcomes handed in and claim a batch (one transaction), send it; returns how many.

        Outcomes that channels give at once are settled in the next step.
        """
        outcomes = self._drain()
        known = {o.key: self._waiting.pop(o.key) for o in outcomes if o.key in self._waiting}
        now = time.monotonic()
        if self._waiting:
            old = now - self._ack_timeout_s
            for key in [k for k, (_, t) in self._waiting.items() if t < old]:
                del self._waiting[key]
        room = min(self.batch, self.window - len(self._waiting))
        marks, self._marks = self._marks, []
        lease = self.lease_s(max(room, 0))
        with self.leases.paused():
            try:
                claimed = self.outbox.cycle(
                    outcomes, max(room, 0), known={k: d for k, (d, _) in known.items()},
                    channels=self._names, lease_s=lease, sent=marks,
                )  # fmt: skip
            except Exception:
                # Nothing was committed: the outcomes wait for the next step (a lost ack would mean a
                # re-send), and so do the deliveries they settle and the send times; the last batch
                # stays held (renewed) meanwhile.
                self._waiting.update(known)
                self._marks = marks + self._marks
                for o in outcomes:
                    self._acks.put(o)
                raise
            self.leases.release()  # the last batch's outcomes and send times are committed
        self._settled(outcomes)
        if not claimed:
            return 0
        started = time.monotonic()
        for d in claimed:
            self._waiting[d.key] = (d, now)
        # Held at least this long from the claim: the lease, or the shortest backoff if longer; renewed
        # while the batch is sent and until the next step has committed its outcomes.
        held_s = max(lease, self._shortest_backoff(min(d.attempt for d in claimed)))
        self.leases.hold(claimed, held_s, now, self.lease_max_s)
        try:
            answers = self._send(claimed)
        finally:
            renewed = self.leases.sent(self.settle_s)
        took = time.monotonic() - started
        self._send_s = took if self._send_s is None else max(took, 0.8 * self._send_s)
        # Those with no answer yet wait for an acknowledgement: due again one backoff after they left.
        # Only those held longer than their backoff (by a lease, for a slow channel, or renewed while
        # the send was slow): the others are due one backoff after the claim already, a moment
        # before they left.
        if renewed or lease > self._shortest_backoff(1):
            answered = {o.key for o in answers}
            left = self.outbox.clock()
            self._marks.extend(
                (d, left)
                for d in claimed
                if d.key not in answered and (renewed or lease > self._shortest_backoff(d.attempt))
            )
        for o in answers:
            self.acknowledge(o)
        self.sent += len(claimed)
        return len(claimed)

    def _send(self, claimed: Sequence[Delivery]) -> list[Outcome]:
        """Send a claimed batch through its channels (screened first); the outcomes known at once."""
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        answers: list[Outcome] = []
        for d in claimed:
            reason = self._screened(d)
            if reason is not None:  # not sent: settled as cancelled, with the reason, in the next step
                answers.append(Outcome(d.key, "cancelled", reason))
                continue
            by_channel[d.channel].append(d)
        for name, batch in by_channel.items():
            channel = self.channels.get(name)
            if channel is None:
                answers.extend(Outcome(d.key, "failed", f"no channel {name!r} configured") for d in batch)
                continue
            try:
                if self.max_rate or self.on_sent:
                    start = time.monotonic()
                    for i, d in enumerate(batch):
                        if self.max_rate:
                            pause = start + i / self.max_rate - time.monotonic()
                            if pause > 0:
                                time.sleep(pause)
                        answers.extend(channel.send([d]))
                        if self.on_sent is not None:
                            self.on_sent(d)
                else:
                    answers.extend(channel.send(batch))
            except Exception as exc:  # a channel that breaks must not stop the others; retried later
                log.exception("channel %s failed", name)
                answers.extend(Outcome(d.key, "error", f"{type(exc).__name__}: {exc}") for d in batch)
        return answers

    def _shortest_backoff(self, attempt: int) -> float:
        b = self.outbox.backoff
        return min(b.max_s, b.initial_s * b.factor ** max(0, attempt - 1)) * (1.0 - b.jitter)

    def lease_s(self, n: int) -> float:
        """How long a claim of ``n`` deliveries is held from other workers: three times the longest
        recent batch took to send (and what ``max_rate`` makes it take), at least ``lease_min_s``
        (``lease_first_s`` before the first batch is measured), at most ``lease_max_s``. A worker
        that dies holding a claim delays those deliveries by that much; one whose lease ran out
        while still sending would see another worker send them again."""
        expected = self.lease_first_s if self._send_s is None else self._send_s
        if self.max_rate:
            expected = max(expected, n / self.max_rate)
        return min(self.lease_max_s, max(self.lease_min_s, 3.0 * expected))

    def _screened(self, delivery: Delivery) -> str | None:
        if self.screen is None:
            return None
        try:
            return self.screen(delivery)
        except Exception:  # a screen that breaks must not hold back warnings: the delivery goes
            log.exception("screening %s failed; it is sent", delivery.key)
            return None

    def maintain(self, *, busy: bool = False) -> None:
        """Housekeeping between sends: checkpoint the database log when due (every ``checkpoint_s``
        when idle, every ten times that when ``busy``). :meth:`run` calls it; a caller that drives
        :meth:`step` itself calls it after sending."""
        due = self.checkpoint_s * (10 if busy else 1)
        if time.monotonic() - self._last_checkpoint <= due:
            return
        self._last_checkpoint = time.monotonic()
        try:
            self.outbox.checkpoint()
        except Exception:  # a failed checkpoint is retried later; it must not stop deliveries
            log.exception("checkpoint failed")

    def run(self, stop: threading.Event, *, until_idle: bool = False, poll_s: float = 0.05,
            pump: Callable[[float], None] | None = None) -> None:  # fmt: skip
        """Work until ``stop`` is set (or, with ``until_idle``, until no delivery is open).

        ``pump(timeout)`` runs the network in this same thread (for example
        :meth:`SirenNetwork.pump` of a network started with ``background=False``);
        without it, this loop sleeps until an acknowledgement wakes it.
        """

        def wait(timeout: float) -> None:
            if pump is None:
                self.wake.wait(timeout)
            elif not self.wake.is_set():
                pump(timeout)

        try:
            while not stop.is_set():
                self.wake.clear()  # before draining acks, so that none is missed
                if pump is not None:
                    pump(0.0)
                try:
                    pause = self._turn(until_idle, poll_s)
                except Exception as exc:  # the database went away: say so, wait a little, try again
                    self.errors += 1
                    self.failing = f"{type(exc).__name__}: {exc}"[:300]
                    log.exception("a delivery step failed (%d so far); retrying in %.1f s", self.errors,
                                  self.retry_s)  # fmt: skip
                    stop.wait(self.retry_s)
                    continue
                self.failing = None
                if pause is None:
                    return
                if pause > 0:
                    wait(pause)
        finally:
            self.leases.release()  # a worker that stops holds nothing: the others take it over

    def _turn(self, until_idle: bool, poll_s: float) -> float | None:
        """One turn of :meth:`run`: how long to wait before the next (0: at once; None: idle, done)."""
        if self.step():
            self.maintain(busy=True)
            return 0.0
        self.maintain()
        if self._waiting:  # acknowledgements are on their way; retries are claimed by step()
            return poll_s
        if until_idle and self.outbox.open_count(self._names) == 0:
            return None
        due = self.outbox.next_due(self._names)
        pause = poll_s if due is None else min(max(0.0, due - self.outbox.clock()), poll_s * 10)
        return max(pause, 0.001)
