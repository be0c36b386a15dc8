"""The facility status part of the live service: the desk, the message reader, and the warning.

Every update (message, API, console form) goes through one :class:`StatusDesk` into the store's
``facility_status`` table. After each, and every minute (a status grows stale, see
:mod:`nadhir.health.readiness`), each facility's readiness is handed on by the room's ``hand``:
in the one-process service to the live alert policy (:func:`hand_to_policy`; a core rebuilt by the
supervisor gets them too, :meth:`FacilityStatusRoom.apply`), in the cluster to the regions' streams
(:class:`nadhir.service.stream_readiness.ReadinessPublisher`), whose engines apply it at its place.
The health room never reaches the warning itself.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
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

# Where the facilities' readiness goes: every facility's, each time (an ordinary one included, so
# that a restriction lifted is lifted there too).
Hand = Callable[[Mapping[str, SiteReadiness]], None]


def hand_to_policy(live_policy: Callable[[], tuple[AlertPolicy, threading.RLock] | None]) -> Hand:
    """A hand that sets the readiness on the live policy, under its lock, if an engine runs now."""

    def hand(ready: Mapping[str, SiteReadiness]) -> None:
        live = live_policy()
        if live is None:
            return
        policy, lock = live
        with lock:
            for site_id, r in ready.items():
                policy.set_readiness(site_id, r)

    return hand


DEMO_HISTORY = Path(__file__).resolve().parent.parent / "data" / "health" / "demo-status.json"


class FacilityStatusRoom:
    """Facility status in the live service: where updates go and how they reach the warning."""

    def __init__(
        self,
        engine: Engine,
        sites: Iterable[Site],
        mandates: Mandates,
        now: Callable[[], float],
        hand: Hand,
        channel: str = "message",
    ) -> None:
        self.now = now
        self.hand = hand
        self.book = FacilityStatusBook(engine, now)
        self.facilities = health_facilities(sites)
        self.desk = StatusDesk(self.facilities, self.book, on_status=lambda site, status: self.push())
        self.reader = FacilityStatusReader(self.desk, mandates, channel)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: str | None = None  # why the last push failed, until one succeeds

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
        """Hand every facility's readiness on (to the live policy, or the regions' streams).

        A failure (the database or NATS away) is logged, not raised: the update that set it off is
        kept already, the minute's push tries again, and :attr:`failure` says so meanwhile (the
        service's readiness check shows it).
        """
        try:
            self.hand(self.readiness())
        except Exception as exc:
            log.exception("could not hand the facilities' readiness to the warning")
            self.failure = f"the facilities' readiness did not reach the warning: {type(exc).__name__}: {exc}"
            return
        self.failure = None

    def start(self) -> None:
        """Push now, then every minute until :meth:`stop`."""
        self.push()
        self._thread = threading.Thread(target=self._run, name="nadhir-facility-status", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(REAPPLY_S):
            self.push()

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
