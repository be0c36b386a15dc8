"""A worker's hold on a batch it claimed, renewed until what became of the batch is committed.

A claim holds its deliveries from other workers for a while (the lease: a few times what recent
batches took to send, and at least one backoff). A batch usually goes out in a fraction of that,
but one that stalls (a partner whose connections take a second to open, a slow gateway) can
outlast it; and a worker whose database connection was cut just after a send needs a moment to
reconnect before it can commit the answers. Either way, once the hold ran out, another worker
would claim the deliveries and send them again. A :class:`LeaseKeeper` renews the hold from a
thread of its own, every half hold, from the claim until the dispatcher's next transaction has
committed the batch's outcomes (at most ``settle_s`` after the send returned).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence

from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import Delivery

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews the hold on the deliveries one worker claimed, until it releases them. Thread-safe.

    The renewing thread is started on the first :meth:`hold` and ends after ``linger_s`` without
    anything held (a busy worker keeps one thread; an idle one has none).
    """

    def __init__(self, outbox: Outbox, *, linger_s: float = 5.0) -> None:
        self.outbox = outbox
        self.linger_s = linger_s
        self.renewals = 0  # renewals committed, in all
        self.failures = 0  # renewals that failed (the database unreachable); retried soon after
        self._cond = threading.Condition()
        self._held: Sequence[Delivery] = ()
        self._hold_s = 0.0
        self._due = math.inf  # monotonic time of the next renewal
        self._until = math.inf  # monotonic time after which the hold is no longer renewed
        self._generation = 0
        self._renewed = False
        self._warned = False
        # Held while a renewal is written, and by paused(): no renewal commits while the dispatcher's
        # own transaction sets retry times (it would move them).
        self._renewing = threading.RLock()  # re-entered: release() inside paused()
        self._thread: threading.Thread | None = None
        # When the thread next looks at what is held (-inf while it is awake): a step that holds a
        # batch wakes it only if the batch is due sooner, so that a busy worker does not pay two
        # thread switches a step.
        self._wake_at = -math.inf

    def hold(self, claims: Sequence[Delivery], hold_s: float, since: float, limit_s: float) -> None:
        """Renew the hold on ``claims`` (instead of what was held) until :meth:`release`: they were
        claimed at ``since`` (``time.monotonic()``), held for at least ``hold_s`` from then; each
        renewal holds them ``hold_s`` from its own time. Not beyond ``limit_s`` after ``since``: a
        send that hangs for that long gives its deliveries back to the other workers."""
        if not claims or hold_s <= 0:
            return
        with self._cond:
            self._held = list(claims)
            self._hold_s = hold_s
            self._due = since + hold_s / 2
            self._until = since + limit_s
            self._generation += 1
            self._renewed = False
            self._warned = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nadhir-lease-keeper", daemon=True)
                self._thread.start()
            elif self._due < self._wake_at:  # woken only when it must renew sooner than it would look
                self._cond.notify()

    def sent(self, settle_s: float) -> bool:
        """The send returned: renew at most ``settle_s`` longer (the time the worker may need to commit
        the outcomes). Whether the hold was renewed while it was being sent."""
        with self._cond:
            self._until = min(self._until, time.monotonic() + settle_s)
            return self._renewed

    def release(self) -> None:
        """Stop renewing: what became of the held deliveries is committed (or the worker stops)."""
        with self._renewing, self._cond:
            self._held = ()
            self._due = math.inf
            self._generation += 1  # the thread finds nothing held when it next looks

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No renewal is written inside this block (the dispatcher's transaction)."""
        with self._renewing:
            yield

    def _run(self) -> None:
        while True:
            with self._cond:
                idle_until: float | None = None
                while True:
                    now = time.monotonic()
                    if self._held and now >= self._until:
                        self._held = ()  # hung for too long: no longer held
                    if self._held:
                        idle_until = None
                        if now >= self._due:
                            break
                        self._wait(self._due)
                        continue
                    if idle_until is None:
                        idle_until = now + self.linger_s
                    if now >= idle_until:
                        self._thread = None
                        return
                    self._wait(idle_until)
                claims, hold_s, generation = self._held, self._hold_s, self._generation
            with self._renewing:
                with self._cond:
                    if generation != self._generation:  # released (or replaced) meanwhile
                        continue
                try:
                    self.outbox.renew(claims, self.outbox.clock() + hold_s)
                    ok = True
                except Exception:  # the database unreachable for a moment: try again soon
                    with self._cond:
                        first, self._warned = not self._warned, True
                    level = logging.WARNING if first else logging.DEBUG  # once per batch, not every try
                    log.log(level, "renewing the hold on %d deliveries failed", len(claims), exc_info=True)
                    ok = False
                with self._cond:
                    if ok:
                        self.renewals += 1
                    else:
                        self.failures += 1
                    if generation == self._generation:
                        self._renewed = self._renewed or ok
                        self._due = time.monotonic() + (hold_s / 2 if ok else hold_s / 10)

    def _wait(self, until: float) -> None:
        """Sleep (holding the condition) until ``until`` or a notify."""
        self._wake_at = until
        self._cond.wait(max(0.0, until - time.monotonic()))
        self._wake_at = -math.inf
