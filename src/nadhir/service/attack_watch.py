"""Attacks on health care drafted while the service runs, from the live run's stored impacts.

Every :data:`PERIOD_S` seconds (wall time) the watch reads the events the live engine stored
since it last looked (less :data:`OVERLAP_S`, for events stored late and for acoustic bearings
that cross one read in the next), the alerts and track states of the half hour before, and
drafts as a replay does (:func:`nadhir.health.attack_drafts.draft_attacks`). What it drafts is
kept by :meth:`AttackRegister.keep_drafts`: a report already joined to a record is not added
twice, so reading some events again changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from nadhir.domain import Impact
from nadhir.domain.formats.scenario import Scenario
from nadhir.health.attack_drafts import DRAFT_DISTANCE_M, LINK_BEFORE_S, draft_attacks, impact_points
from nadhir.service.attack_register import AttackRegister, DraftOutcome
from nadhir.store import Store
from nadhir.store.attacks import AttackBook

log = logging.getLogger(__name__)

PERIOD_S = 30.0
OVERLAP_S = 120.0


class AttackWatch:
    """Drafts attacks from the live run in ``live()`` (the store and run id, once the engine runs)."""

    def __init__(
        self,
        live: Callable[[], tuple[Store | None, int | None]],
        scenario: Scenario,
        period_s: float = PERIOD_S,
        distance_m: float = DRAFT_DISTANCE_M,
    ) -> None:
        self._live = live
        self._scenario = scenario
        self._period_s = period_s
        self._distance_m = distance_m
        self._seen_until: float | None = None  # the latest event time read
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> DraftOutcome:
        """Read what was stored since the last step and keep the drafts."""
        store, run_id = self._live()
        if store is None or run_id is None:
            return DraftOutcome((), ())
        since = None if self._seen_until is None else self._seen_until - OVERLAP_S
        events = store.events(run_id, since=since)
        if not events:
            return DraftOutcome((), ())
        self._seen_until = max(e.t for e in events)
        impacts = [e for e in events if isinstance(e, Impact)]
        if not impacts:  # acoustic locations only join reports' drafts
            return DraftOutcome((), ())
        sites = self._scenario.sites
        points = impact_points(events, sites, self._scenario.places)
        linked_since = min(e.t for e in impacts) - LINK_BEFORE_S
        drafts = draft_attacks(
            sites,
            points,
            store.alerts(run_id, since=linked_since),
            store.track_states(run_id, since=linked_since),
            self._distance_m,
            run_id=run_id,
        )
        if not drafts:
            return DraftOutcome((), ())
        return AttackRegister(AttackBook(store.engine), sites).keep_drafts(drafts, time.time())

    def start(self) -> None:
        """Step every period in a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="attack-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop stepping (after one last step, so that nothing stored goes undrafted)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._step_logged()

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            self._step_logged()

    def _step_logged(self) -> None:
        try:
            outcome = self.step()
        except Exception:  # a failed read or write is tried again at the next step
            log.exception("drafting attacks on health care failed; trying again in %.0f s", self._period_s)
            return
        if outcome.added or outcome.merged:
            log.info("attacks on health care: %d drafted, %d joined", len(outcome.added), len(outcome.merged))
