"""The engine's supervisor: a small thread that restarts the live engine if its thread stops.

The engine quarantines a step that fails and goes on; it stops only when its
core is broken (it failed many steps running) or on an error outside any step.
Then the supervisor waits ``delay_s`` (doubling, up to ``max_delay_s``, while
restarts keep failing soon after), builds a fresh core with ``rebuild`` (the
service's: the same sites, the open episodes restored from the store) and
restarts the engine with it. While the engine is stopped, health says
``stopped`` and intake answers 503 with Retry-After (see :mod:`nadhir.service.app`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from nadhir.service.live import LiveCore, LiveEngine

log = logging.getLogger(__name__)

RESTART_DELAY_S = 2.0  # long enough to read the error in the log, short enough not to miss much
MAX_RESTART_DELAY_S = 60.0
STABLE_AFTER_S = 120.0  # a core that ran this long before it stopped resets the delay
POLL_S = 0.25


class Supervisor:
    """Watches one engine; restarts it with a rebuilt core when it stops by an error."""

    def __init__(
        self,
        engine: LiveEngine,
        rebuild: Callable[[], LiveCore],
        delay_s: float = RESTART_DELAY_S,
        max_delay_s: float = MAX_RESTART_DELAY_S,
    ) -> None:
        self.engine = engine
        self.rebuild = rebuild
        self.delay_s = delay_s
        self.max_delay_s = max_delay_s
        self.failed_restarts = 0  # rebuilds that raised
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._streak = 0  # restarts that each stopped again soon after

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="nadhir-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def wake(self) -> None:
        """Look now (and restart now if the delay has passed)."""
        self._wake.set()

    def _run(self) -> None:
        stopped_since: float | None = None
        started = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not self.engine.failed:
                stopped_since = None
                continue
            now = time.monotonic()
            if stopped_since is None:
                stopped_since = now
                self._streak = 0 if now - started >= STABLE_AFTER_S else self._streak + 1
                log.error("the live engine has stopped (%s); restarting it", self.engine.failure)
            delay = min(self.max_delay_s, self.delay_s * 2 ** max(0, self._streak - 1))
            if now - stopped_since < delay:
                continue
            try:
                self.engine.restart(self.rebuild())
            except Exception:
                self.failed_restarts += 1
                stopped_since = now  # try again after another delay
                log.exception("the live engine could not be restarted; will try again")
                continue
            stopped_since = None
            started = time.monotonic()
