"""The ``console`` role: the engines' live feed from JetStream, mirrored into the console's process.

Each region's active engine publishes its feed on ``<prefix>.feed.<region>``
(:mod:`nadhir.service.stream_engine`). The console role reads every region's
(an ordered consumer from the newest message on), keeps the state a newly
connected page starts from (site statuses, tracks, recent alerts, the clock) in
a :class:`~nadhir.service.live.LiveCore` that is never stepped, and passes each
message on to the local bus, where the pages' feeds (WebSocket, SSE, kiosks)
take it as in the one-process service.

The console's engine, :class:`MirrorEngine`, takes no input: intake is the
intake role's, and operator actions go to the regions' engines through their
streams (:mod:`nadhir.service.stream_actions`), not through this engine. Its
status is the NATS connection's, the age of the last feed message and the regions'
status keys; the mirror's watch tells the open pages when it changes (a page that
connects later reads it in its snapshot). Given the cluster's store, it writes
the audit rows of the actions the console refuses.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from nadhir.bus import InProcessBus
from nadhir.bus.jetstream import JetStreamBus, StreamMessage
from nadhir.service.clock import Clock
from nadhir.service.cluster_names import ClusterNames
from nadhir.service.feed import FEED, FeedMessage
from nadhir.service.live import EngineStopped, LiveCore, LiveEngine
from nadhir.service.operator import HeldCancel
from nadhir.store import Store

log = logging.getLogger(__name__)

QUIET_AFTER_S = 30.0  # no feed message for this long: the console says the engines are silent


class MirroredClock:
    """The engines' time, as their feed last said it."""

    speed = 1.0

    def __init__(self) -> None:
        self.t = time.time()

    def now(self) -> float:
        return self.t


class FeedMirror:
    """Reads every region's feed subject and keeps the console's state (see the module docstring)."""

    def __init__(self, bus: JetStreamBus, names: ClusterNames, core: LiveCore, local: InProcessBus,
                 clock: MirroredClock) -> None:  # fmt: skip
        self.bus = bus
        self.names = names
        self.core = core
        self.local = local
        self.clock = clock
        self.received = 0
        self.bad = 0
        self.last_message = 0.0  # monotonic
        self._stop: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._watching = threading.Event()  # set: the watch is to end
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        self._stop = self.bus.subscribe_new(
            self.names.feed_stream, f"{self.names.prefix}.feed.>", self.on_message
        )

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
        self._watching.set()
        if self._watch is not None:
            self._watch.join(5.0)
            self._watch = None

    def watch(self, status: Callable[[], dict[str, Any]], every_s: float = 1.0) -> None:
        """Tell the open pages (an ``engine`` message on the local bus) whenever ``status`` changes
        between ok, degraded and stopped. No engine announces this to the console: a region's
        engine knows only its own region, and silence (no feed at all) is seen only here."""
        said = status()["status"]  # what a page's snapshot says now

        def run() -> None:
            nonlocal said
            while not self._watching.wait(every_s):
                try:
                    now = status()
                except Exception:  # never let the watch die: the next second tries again
                    log.exception("the engines' status could not be read")
                    continue
                if now["status"] != said:
                    said = now["status"]
                    self.local.publish(FEED, FeedMessage("engine", now, "*"))

        self._watching.clear()
        self._watch = threading.Thread(target=run, name="nadhir-feed-watch", daemon=True)
        self._watch.start()

    def on_message(self, msg: StreamMessage) -> None:
        """One feed message: into the mirrored state, then onto the local bus."""
        try:
            raw = json.loads(msg.data)
            message = FeedMessage(str(raw["type"]), dict(raw["data"]), raw.get("site"))
        except (ValueError, KeyError, TypeError):
            self.bad += 1
            log.warning("a feed message on %s is not readable; skipped", msg.subject)
            return
        with self._lock:
            self.received += 1
            self.last_message = time.monotonic()
            self.apply(message)
        self.local.publish(FEED, message)

    def apply(self, message: FeedMessage) -> None:
        """Keep what a newly connected page starts from."""
        core, data = self.core, message.data
        with core.lock:
            if message.type == "site" and "id" in data:
                core.site_views[str(data["id"])] = data
            elif message.type == "track" and "track" in data:
                core.track_views[str(data["track"])] = data
            elif message.type == "track_lost":
                core.track_views.pop(str(data.get("track")), None)
            elif message.type == "alert":
                core.recent_alerts.append(data)
            elif message.type == "operator":
                core.operator_log.append(data)
            elif message.type == "held" and "id" in data:
                self._hold(data)
            elif message.type == "held_end":
                core.held.pop(str(data.get("id")), None)
            elif message.type == "clock" and isinstance(data.get("now"), int | float):
                core.stepper.set_clock(float(data["now"]))
                self.clock.t = float(data["now"])

    def _hold(self, data: dict[str, Any]) -> None:
        """A cancel held for its undo window, as a region's engine announced it; every region that
        holds it announces it, each with the sites it weighs: the console shows them together. Its
        window ends (on the console's wall clock) as the engine's does."""
        held_id = str(data["id"])
        before = self.core.held.get(held_id)
        sites = tuple(dict.fromkeys([*(before.sites if before else ()), *map(str, data.get("sites", []))]))
        try:
            due = time.time() + float(data.get("remaining_s", 0.0))
            self.core.held[held_id] = HeldCancel(
                held_id, str(data["track"]), str(data["by"]), float(data["asked_s"]),
                before.due if before else due, float(data["window_s"]), sites,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            self.bad += 1

    def quiet_for(self) -> float | None:
        """Seconds since the last feed message (None: none yet)."""
        return None if not self.last_message else time.monotonic() - self.last_message


class MirrorEngine(LiveEngine):
    """The console role's stand-in for the engine: the mirrored core, no input (see the module)."""

    def __init__(
        self, core: LiveCore, clock: Clock, mirror: FeedMirror, store: Store | None = None,
        regions: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        super().__init__(core, clock, store, wall=time.time)  # held cancels' windows, as the engines
        self.mirror = mirror
        self.regions = regions  # whose engines' status keys say whether they skip steps
        self._failed_read: tuple[float, list[tuple[str, list[str]]]] = (-1e9, [])

    def status(self) -> dict[str, Any]:
        """The engines as the console sees them: stopped (no NATS, or no feed), degraded (a region's
        active engine skipped steps in the last ``DEGRADED_WINDOW_S``, from its status key), or ok."""
        if not self.mirror.bus.connected:
            return {"status": "stopped", "reason": "no connection to NATS", "restarts": 0, "quarantined": 0}
        quiet = self.mirror.quiet_for()
        if quiet is not None and quiet > QUIET_AFTER_S:
            reason = f"no feed from the engines for {quiet:.0f} s"
            return {"status": "stopped", "reason": reason, "restarts": 0, "quarantined": 0}
        failed = self._failed_lately()
        if failed:
            parts = [f"region {r}: {len(e)} step(s) skipped lately, last {e[-1]}" for r, e in failed]
            reason = "; ".join(parts)
            return {"status": "degraded", "reason": reason[:500], "restarts": 0, "quarantined": 0}
        return {"status": "ok", "reason": None, "restarts": 0, "quarantined": 0}

    def _failed_lately(self) -> list[tuple[str, list[str]]]:
        """Each region whose active engine's status lists steps skipped lately (read once a second)."""
        now = time.monotonic()
        if now - self._failed_read[0] >= 1.0:
            out = []
            try:
                kv = self.mirror.bus.kv(self.mirror.names.status)
                for region in self.regions:
                    entry = kv.get(region)
                    status = {} if entry is None else json.loads(entry.value)
                    if status.get("role") == "active" and status.get("failed_lately"):
                        out.append((region, [str(e) for e in status["failed_lately"]]))
            except Exception:  # NATS away for a moment: connected says so next time; keep what was read
                log.debug("could not read the regions' status", exc_info=True)
            else:
                self._failed_read = (now, out)
        return self._failed_read[1]

    @property
    def failed(self) -> bool:
        return False

    def submit(self, event: object) -> int:
        raise EngineStopped("the console role takes no input: post events to an intake")

    def call(self, fn: Callable[[], Any]) -> Any:
        raise EngineStopped("the console role runs no pipeline: this action is not carried to the engines")
