"""The facility status part of the live service: the desk, the message reader, and the warning.

Every update (message, API, console form) goes through one :class:`StatusDesk` into the store's
``facility_status`` table. After each, and every minute (a status grows stale, see
:mod:`nadhir.health.readiness`), each facility's readiness is handed to the live alert policy,
which the health room must not reach itself. A core rebuilt by the supervisor gets them too
(:meth:`FacilityStatusRoom.apply`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.engine import Engine

from nadhir.alerting.policy import AlertPolicy
from nadhir.domain import Site
from nadhir.domain.readiness import SiteReadiness
from nadhir.domain.timefmt import parse_time
from nadhir.health.facilities import health_facilities
from nadhir.health.readiness import readiness
from nadhir.health.status import FacilityStatus, status_from_json
from nadhir.health.status_desk import StatusDesk
from nadhir.health.status_reader import FacilityStatusReader
from nadhir.intake.field_reports import Mandates
from nadhir.store.facilities import FacilityStatusBook

log = logging.getLogger(__name__)

REAPPLY_S = 60.0
DEMO_HISTORY = Path(__file__).resolve().parent.parent / "data" / "health" / "demo-status.json"


class FacilityStatusRoom:
    """Facility status in the live service: where updates go and how they reach the warning."""

    def __init__(
        self,
        engine: Engine,
        sites: Iterable[Site],
        mandates: Mandates,
        now: Callable[[], float],
        live_policy: Callable[[], tuple[AlertPolicy, threading.RLock] | None],
        channel: str = "message",
    ) -> None:
        self.now = now
        self.live_policy = live_policy
        self.book = FacilityStatusBook(engine, now)
        self.facilities = health_facilities(sites)
        self.desk = StatusDesk(self.facilities, self.book, on_status=lambda site, status: self.push())
        self.reader = FacilityStatusReader(self.desk, mandates, channel)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def readiness(self) -> dict[str, SiteReadiness]:
        """Every facility's readiness now, from its latest status and its age."""
        t = self.now()
        latest = self.book.latest()
        out = {}
        for site_id in self.facilities:
            entry = latest.get(site_id)
            status = None if entry is None else status_from_json(entry.status)
            out[site_id] = readiness(status, 0.0 if entry is None else max(0.0, t - entry.at))
        return out

    def apply(self, policy: AlertPolicy) -> None:
        """Hand every facility's readiness to ``policy`` (a fresh core's, or the live one's)."""
        for site_id, ready in self.readiness().items():
            policy.set_readiness(site_id, ready)

    def push(self) -> None:
        """Hand the readiness to the live policy, if the engine runs."""
        live = self.live_policy()
        if live is None:
            return
        policy, lock = live
        ready = self.readiness()
        with lock:
            for site_id, r in ready.items():
                policy.set_readiness(site_id, r)

    def start(self) -> None:
        """Push now, then every minute until :meth:`stop`."""
        self.push()
        self._thread = threading.Thread(target=self._run, name="nadhir-facility-status", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(REAPPLY_S):
            try:
                self.push()
            except Exception:  # a database hiccup: the next minute tries again
                log.exception("could not hand the facilities' readiness to the alert policy")

    def stop(self) -> None:
        """Stop the minute's push."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def load_demo_history(self, path: Path = DEMO_HISTORY) -> int:
        """Keep the demo's status history (once: not when the store already holds demo rows)."""
        if self.book.count("demo"):
            return 0
        rows = json.loads(path.read_text(encoding="utf-8"))
        n = 0
        for row in sorted(rows, key=lambda r: parse_time(r["at"])):
            if row["facility"] not in self.facilities:
                continue  # a region without that hospital
            update: FacilityStatus = status_from_json(row["status"])
            self.desk.update(row["facility"], update, parse_time(row["at"]), row.get("who", "demo"), "demo")
            n += 1
        return n
