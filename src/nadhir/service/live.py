"""The pipeline, live: events as they arrive, time as it passes, outputs on the bus and in the store.

:class:`LiveCore` drives the pipeline with the stepper replay uses
(:class:`~nadhir.engine.stepper.Stepper`), from outside: :meth:`LiveCore.submit`
feeds it the events that arrived, :meth:`LiveCore.tick` lets its clock tick on
to the time. Fed the same events at the same times, it makes exactly the alerts
``nadhir replay`` makes (``tests/service/test_live.py`` checks this on the
bundled scenario). It is synchronous and single-threaded, like the pipeline.

:class:`LiveEngine` runs one core in a thread of its own against a clock (the
wall clock, or a scaled one for the demo): intake puts events on its queue
and returns at once, the thread processes them, ticks every few (simulated)
seconds, publishes on the bus and writes the run to the store in batches.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from nadhir.alerting.approach import approach_toward
from nadhir.alerting.policy import plausible_eta
from nadhir.bus import InProcessBus
from nadhir.domain import (
    AcousticDetection,
    AircraftType,
    Alert,
    AlertLevel,
    Event,
    Report,
    Reporter,
    Site,
    TrackState,
)
from nadhir.domain.timefmt import format_time
from nadhir.engine.pipeline import Pipeline
from nadhir.engine.stepper import TICK_S, ReplaySummary, Stepper
from nadhir.service.clock import Clock
from nadhir.service.feed import (
    ALERTS,
    EVENTS,
    FEED,
    TRACKS,
    FeedMessage,
    SourceHealth,
    alert_message,
    source_of,
)
from nadhir.service.inputs import FIRST_INPUT_WINDOW_S, Reading, ReadingInterpreter, input_view
from nadhir.service.operator import UNDO_WINDOW_S, HeldCancel, OperatorActionError, OperatorPolicy
from nadhir.service.run_store import (
    EngineStats,
    StoreBuffer,
    buffer_json,
    event_json,
    run_summary,
    write_outputs,
)
from nadhir.store import OpenEpisode, Store
from nadhir.store.audit import AuditBook, AuditResult
from nadhir.store.quarantine import QuarantineBook
from nadhir.threat.cone import prediction_cone
from nadhir.tracking.track import Track

log = logging.getLogger(__name__)

T = TypeVar("T")

TRAIL_POINTS = 90
RECENT_ALERTS = 500
RECENT_INPUTS = 200  # the inputs a newly connected console is shown
# A core that fails this many steps (batches, ticks, jobs) running is broken, not fed a bad input: the
# engine stops, says so, and the supervisor starts it again with a fresh core built from the store.
MAX_FAILED_STEPS_IN_A_ROW = 10
# An engine that set a batch or tick aside this recently is "degraded": it runs, but some input was not
# processed (a bad track state can fail every batch near it while the ticks between succeed, so the
# in-a-row count never stops the engine). Health, the feed and the console say so.
DEGRADED_WINDOW_S = 300.0
# A store write that fails this many times running is set aside in the quarantine if the quarantine
# can be written (the database works; what it was given does not), so that it does not block the rest.
STORE_FAILURES_BEFORE_QUARANTINE = 5


# -- what goes on the bus --------------------------------------------------------------


def _round(value: float | None, digits: int = 0) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits) if digits else float(round(value))


# -- the core ----------------------------------------------------------------------------


class LiveCore:
    """The replay's stepper, stepped from outside, with the live edges attached (bus, store, state)."""

    def __init__(
        self, pipeline: Pipeline, bus: InProcessBus, reporters: list[Reporter], speed: float = 1.0
    ) -> None:
        policy = pipeline.policy
        if not isinstance(policy, OperatorPolicy):
            # The pipeline's siren model goes with it (``nadhir serve --siren-model``).
            policy = OperatorPolicy(pipeline.sites, policy.config, siren_model=policy.siren_model)
            pipeline.use_policy(policy)
        # Each report's reading is passed on to the inputs panel as the pipeline makes it.
        pipeline.interpreter = ReadingInterpreter(pipeline.interpreter, self._read)
        self.pipeline = pipeline
        self.stepper = Stepper(
            pipeline, self._on_alert, self._on_track, on_rejected=self._on_rejected, on_event=self._heard
        )
        self.summary = self.stepper.summary
        self.policy: OperatorPolicy = policy
        self.bus = bus
        self.speed = speed
        self.sites: dict[str, Site] = {s.id: s for s in pipeline.sites}
        self.lock = threading.RLock()
        self.sources: dict[str, SourceHealth] = {
            r.id: SourceHealth(r.id, r.kind, r.lat, r.lon) for r in reporters
        }
        self.trails: dict[str, deque[tuple[float, float, float]]] = {}
        self.track_views: dict[str, dict[str, Any]] = {}
        self.site_views: dict[str, dict[str, Any]] = {}
        self.recent_alerts: deque[dict[str, Any]] = deque(maxlen=RECENT_ALERTS)
        self.operator_log: deque[dict[str, Any]] = deque(maxlen=RECENT_ALERTS)
        self.recent_inputs: deque[dict[str, Any]] = deque(maxlen=RECENT_INPUTS)
        self._heard_now: list[Event] = []  # heard in the step under way, shown when it is done
        self._readings: dict[int, Reading] = {}  # id(report) -> its reading, in the step under way
        self._rejections: dict[int, str] = {}
        self._input_times: dict[str, deque[float]] = {}  # source -> times of its latest inputs
        self._source_health: dict[str, str] = {}  # source -> ok | silent | never, as last published
        self._track_first: dict[str, dict[str, Any]] = {}  # track -> when first shown, first word of it
        self._arrived: dict[str, float] = {}  # site -> when its open alert's threat arrived
        # Cancels of a track everywhere, waiting out their undo window (see HeldCancel).
        self.held: dict[str, HeldCancel] = {}
        self._held_seq = 0
        self.buffer = StoreBuffer()
        # Operator actions whose policy decision was rolled back because its alerts could not be
        # sent on (each logged at error level); and alerts that reached the outbox but not the feed.
        self.rolled_back = 0
        self.feed_errors = 0
        for site in pipeline.sites:
            self.site_views[site.id] = self._site_view(site)

    @property
    def now(self) -> float | None:
        """The pipeline's time: the last event or tick processed."""
        return self.stepper.clock

    # -- stepping (the stepper's loop, one piece at a time) ----------------------------

    def submit(self, events: list[Event], now: float) -> None:
        """Process events that arrived by ``now``, in arrival order (simultaneous ones together).

        As in replay, an event stamped before the last step is processed at
        the last step's time (a late arrival); an event stamped after ``now``
        (a fast clock at the source) is processed at ``now``.
        """
        with self.lock:
            try:
                self.stepper.feed(events, now)
            finally:
                self._publish_inputs()
            self.buffer.events.extend(events)
            self._after_step()

    def tick(self, now: float) -> None:
        """Let time pass up to ``now``: the clock ticks every 5 s, as in replay."""
        with self.lock:
            self.stepper.advance(now)
            self._after_step()

    def feed_stream(self, events: list[Event]) -> None:
        """Process events read from a region's stream, in its order, on their own clock.

        Unlike :meth:`submit` nothing is held to a wall clock (intake refused events from the
        future), and the last time stamp's events are held until the stream shows a later time
        (:meth:`Stepper.feed` with ``hold``): the stream may bring more of that instant in its next
        read, and replay would batch them together.
        """
        with self.lock:
            self.stepper.feed(events, hold=True)
            self.buffer.events.extend(events)
            self._after_step()

    def restore_state(
        self, pipeline: Pipeline, clock: float | None, summary: ReplaySummary, held: list[Event]
    ) -> None:
        """Take up the state of a snapshot (:mod:`nadhir.service.snapshots`): its pipeline, the
        stepper's clock, counts and held events. The views follow at the next step."""
        with self.lock:
            policy = pipeline.policy
            if not isinstance(policy, OperatorPolicy):
                policy = OperatorPolicy(pipeline.sites, policy.config, siren_model=policy.siren_model)
                pipeline.use_policy(policy)
            if not isinstance(pipeline.interpreter, ReadingInterpreter):  # the inputs panel hears it
                pipeline.interpreter = ReadingInterpreter(pipeline.interpreter, self._read)
            self.pipeline = pipeline
            self.policy = policy
            self.stepper.pipeline = pipeline
            self.stepper.clock = clock
            self.stepper.summary = self.summary = summary
            self.stepper.held = list(held)
            self._after_step()

    def _on_rejected(self, event: Event, reason: str) -> None:
        self._rejections[id(event)] = reason
        health = self.sources.get(source_of(event))
        if health is not None:
            health.rejected += 1
            health.last_reason = reason

    def _heard(self, event: Event) -> None:
        source = source_of(event)
        health = self.sources.get(source)
        if health is None:
            kind = "sensor" if isinstance(event, AcousticDetection) else "observer"
            health = self.sources[source] = SourceHealth(source, kind)
        if isinstance(event, AcousticDetection):
            health.lat, health.lon = event.lat, event.lon
        health.last_heard = event.t if health.last_heard is None else max(health.last_heard, event.t)
        health.events += 1
        self._input_times.setdefault(source, deque(maxlen=50)).append(event.t)
        self._heard_now.append(event)
        self.bus.publish(EVENTS, event)

    def _read(self, report: Report, reading: Reading) -> None:
        self._readings[id(report)] = reading

    def _publish_inputs(self) -> None:
        """The inputs heard in the step just done, with how each was read, and their sources' health."""
        heard, self._heard_now = self._heard_now, []
        readings, self._readings = self._readings, {}
        rejections, self._rejections = self._rejections, {}
        for event in heard:
            source = source_of(event)
            health = self.sources[source]
            trust = self.pipeline.trust.trust(source)
            view = input_view(
                event, source, health.kind, trust, readings.get(id(event)), rejections.get(id(event))
            )
            self.recent_inputs.append(view)
            self.bus.publish(FEED, FeedMessage("input", view))
        for source in dict.fromkeys(source_of(e) for e in heard):
            self._publish_source(source)

    def _publish_source(self, source: str) -> None:
        health = self.sources[source]
        view = health.as_dict(self.now, self.pipeline.trust.trust(source))
        self._source_health[source] = view["health"]
        self.bus.publish(FEED, FeedMessage("source", view))

    def _first_input(self, track: Track) -> tuple[float | None, str | None]:
        """The earliest input from the track's sources in the window before it began, and its source."""
        best: tuple[float | None, str | None] = (None, None)
        for source in track.evidence:
            for t in self._input_times.get(source, ()):
                if track.created - FIRST_INPUT_WINDOW_S <= t <= track.created and (
                    best[0] is None or t < best[0]
                ):
                    best = (t, source)
        return best

    # -- outputs -----------------------------------------------------------------------

    def _on_alert(self, alert: Alert, message: dict[str, Any] | None = None) -> None:
        # To the store and the outbox first: the feed's view of an alert must not stand in its way.
        self.buffer.alerts.append(alert)
        self.bus.publish(ALERTS, alert)
        try:
            message = alert_message(alert) if message is None else message
        except Exception:
            self.feed_errors += 1
            log.exception("alert %r cannot be shown on the feed; it was stored and delivered", alert)
            return
        site = self.sites.get(alert.site)
        if site is not None:
            message["site_name"] = site.name
            message["site_name_ar"] = site.name_ar
        self.recent_alerts.append(message)
        self.bus.publish(FEED, FeedMessage("alert", message, alert.site))

    def _on_track(self, state: TrackState) -> None:
        trail = self.trails.setdefault(state.track, deque(maxlen=TRAIL_POINTS))
        trail.append((state.t, round(state.lat, 5), round(state.lon, 5)))
        track = self.pipeline.tracker.tracks.get(state.track)
        view = {
            "track": state.track,
            "t": state.t,
            "lat": round(state.lat, 5),
            "lon": round(state.lon, 5),
            "speed_mps": round(state.speed_mps, 1),
            "heading_deg": round(state.heading_deg, 1),
            "aircraft": state.aircraft,
            "sigma_m": round(state.sigma_m),
            "speed_sigma_mps": round(speed_sigma_mps(track, state), 1) if track is not None else None,
            "confirmed": state.confirmed,
            "trail": [[p[1], p[2]] for p in trail],
            "prediction": self.predict(track, state) if track is not None else [],
        }
        first = self._track_first.get(state.track)
        if first is None and track is not None:
            t0, source = self._first_input(track)
            first = {"started_s": track.created, "shown_s": state.t, "first_input_s": t0,
                     "first_input_source": source}  # fmt: skip
            self._track_first[state.track] = first
        if first is not None:
            view.update(first)
        self.track_views[state.track] = view
        self.buffer.tracks.append(state)
        self.bus.publish(TRACKS, state)
        self.bus.publish(FEED, FeedMessage("track", view))

    def predict(self, track: Track, state: TrackState) -> list[list[float]]:
        """Where the track is expected next (:func:`~nadhir.threat.cone.prediction_cone`)."""
        return prediction_cone(self.pipeline.frame, track, state)

    def _site_view(self, site: Site) -> dict[str, Any]:
        threat = self.pipeline.threats.get(site.id)
        episode = self.policy.episode(site.id)
        # The arrival time is the threat's now, as the threat assessor computes it each step. The
        # episode's is the one its last alert carried: the policy refreshes it only when it sends an
        # update (a move of 90 s or more, at most so often), so between updates it goes stale, and
        # shown as a countdown it read "arrival now" for nearly every open alert.
        eta = plausible_eta(threat.eta, self.now) if threat is not None and self.now is not None else None
        if eta is None and episode is not None:
            eta = episode.eta
        # When the threat reached the site, while it is there (overhead, or a strike): the console's
        # "overhead since 02:10". An arrival time later than now again (it circled away) clears it.
        arrived: float | None = None
        if episode is None or eta is None or self.now is None:
            self._arrived.pop(site.id, None)
        elif eta <= self.now:
            arrived = self._arrived.setdefault(site.id, eta)
        else:
            self._arrived.pop(site.id, None)
        aircraft = episode.aircraft if episode is not None else (threat.aircraft if threat else None)
        track_id = threat.track if threat is not None else (episode.track if episode is not None else None)
        # The direction as an alert decided now would carry it: the same rule on the same state
        # (the track's last published one, where the map draws it), so card, SMS and CAP agree.
        shown = self.pipeline.shown.get(track_id) if track_id is not None else None
        approach = approach_toward(shown, site) if shown is not None else None
        return {
            "id": site.id,
            "level": episode.level if episode is not None else None,
            "probability": _round(threat.probability, 3) if threat is not None else None,
            "eta_s": _round(eta),
            "aircraft": aircraft,
            "track": track_id,
            "from": approach.from_point if approach is not None else None,
            "from_deg": _round(approach.from_deg) if approach is not None else None,
            "cue": getattr(threat, "cue", None),
            "since_s": episode.started if episode is not None else None,
            "arrived_s": arrived,
            "confirmed": site.id in self.policy.confirmed,
            "manual": site.id in self.policy.manual,
        }

    def _after_step(self) -> None:
        """Publish what changed: site statuses, tracks that ended."""
        for site in self.sites.values():
            view = self._site_view(site)
            if view != self.site_views.get(site.id):
                self.site_views[site.id] = view
                self.bus.publish(FEED, FeedMessage("site", view, site.id))
        live = self.pipeline.tracker.tracks
        for track_id in [k for k in self.track_views if k not in live]:
            del self.track_views[track_id]
            self.trails.pop(track_id, None)
            self._track_first.pop(track_id, None)
            self.bus.publish(FEED, FeedMessage("track_lost", {"track": track_id}))
        # Sources fall silent as time passes, with nothing heard: say so when it happens.
        for source, health in self.sources.items():
            shown = self._source_health.get(source)
            if shown is not None and health.as_dict(self.now, 0.0)["health"] != shown:
                self._publish_source(source)

    # -- views for the API (call with the lock held or accept a torn read) ----------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a newly connected console needs."""
        with self.lock:
            return {
                "now": self.now,
                "speed": self.speed,
                "sites": list(self.site_views.values()),
                "tracks": list(self.track_views.values()),
                "alerts": list(self.recent_alerts)[-200:],
                "sources": self.source_list(),
                "inputs": list(self.recent_inputs),
                "operator_log": list(self.operator_log)[-100:],
            }

    def source_list(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                s.as_dict(self.now, self.pipeline.trust.trust(s.id))
                for s in self.sources.values()
                if kind is None or s.kind == kind
            ]

    # -- operator actions (run in the engine's thread) ---------------------------------------

    def operator_action(
        self,
        action: str,
        site_id: str,
        by: str,
        now: float,
        level: AlertLevel = "imminent",
        aircraft: AircraftType = "unknown",
        eta: float | None = None,
        note: str | None = None,
        track: str | None = None,
    ) -> list[Alert]:
        """Carry out an operator action at ``now``; returns the alerts it sent.

        ``cancel_track`` (site ``"*"``, ``track`` given) cancels a track everywhere at once; the
        service asks for it through :meth:`hold_cancel_track`, which waits out the undo window.
        """
        with self.lock:
            everywhere = action in ("test_alarm", "cancel_track") and site_id == "*"
            if site_id not in self.sites and not everywhere:
                raise OperatorActionError(f"unknown site {site_id!r}", status=404)
            # Bring the pipeline up to now first, so the action acts on the current threats.
            self.stepper.advance(now)
            t = max(now, self.now or now)
            if action == "test_alarm":
                self._refuse_test_under_alert(site_id)
            # The action's decision stands only if its alerts can go on to the outbox and the feed:
            # otherwise the policy is put back as it was and the error is raised (a retry then does
            # the work, rather than finding the episode open and sending nothing).
            saved = self.policy.snapshot()
            try:
                sent = self._operator_decision(action, site_id, by, t, level, aircraft, eta, track)
                messages = [alert_message(a) for a in sent]
            except Exception as exc:
                self.policy.roll_back(saved)
                if not isinstance(exc, OperatorActionError):
                    self.rolled_back += 1
                    log.error("operator %s at %s by %s failed; the policy's decision is rolled back",
                              action, site_id, by, exc_info=True)  # fmt: skip
                raise
            if action != "test_alarm":
                self.stepper.set_clock(t)
                for alert, message in zip(sent, messages, strict=True):
                    self.stepper.count_alert(alert)
                    self._on_alert(alert, dict(message))
            entry = {
                "t": t,
                "action": action,
                "site": site_id,
                "by": by,
                "note": note,
                "alerts": messages,
            }
            if action == "alert":
                entry.update(level=level, aircraft=aircraft, eta_s=eta)
            if track is not None:
                entry["track"] = track
            self.operator_log.append(entry)
            self.bus.publish(FEED, FeedMessage("operator", entry, site_id))
            if action == "test_alarm":
                alarm = {"t": t, "site": site_id, "by": by}
                self.bus.publish(FEED, FeedMessage("test_alarm", alarm, site_id))
            self._after_step()
            return sent

    def _refuse_test_under_alert(self, site_id: str) -> None:
        """A test alarm never plays where a real alert is open: it would tell people "no danger"
        (the kiosk's test screen and tone) over a warning that is real."""
        active = self.policy.active()
        under = sorted(active) if site_id == "*" else [site_id] if site_id in active else []
        if under:
            named = ", ".join(f"{s} ({active[s]})" for s in under)
            raise OperatorActionError(f"no test alarm while a real alert is open: {named}", status=409)

    def restore_episodes(self, episodes: Sequence[OpenEpisode], t: float) -> list[str]:
        """Reopen episodes left open by an earlier run (or an earlier core), at ``t``; their sites.

        See :meth:`~nadhir.alerting.policy.AlertPolicy.restore` for what becomes of them. The
        pipeline's clock starts at ``t`` if it has not started, so that they are decided on (and
        cleared) even if no event comes. Each is in the operator log as ``restore``.
        """
        restored: list[str] = []
        with self.lock:
            if self.now is None:
                self.stepper.set_clock(t)
            for ep in episodes:
                if ep.site not in self.sites:
                    log.warning("open episode at %r not restored: no such site in this region", ep.site)
                    continue
                self.policy.restore(t, ep.site, ep.level, ep.started, ep.eta, ep.threat, ep.track,
                                    ep.confidence, ep.sirens, sent=ep.alerts)  # fmt: skip
                restored.append(ep.site)
                entry = {"t": t, "action": "restore", "site": ep.site, "by": "service", "alerts": [],
                         "note": f"{ep.level} episode open since {format_time(ep.started)} (run {ep.run_id}) "
                                 "restored after a restart"}  # fmt: skip
                self.operator_log.append(entry)
                self.bus.publish(FEED, FeedMessage("operator", entry, ep.site))
            self._after_step()
        return restored

    def _operator_decision(
        self, action: str, site_id: str, by: str, t: float, level: AlertLevel, aircraft: AircraftType,
        eta: float | None, track: str | None = None,
    ) -> list[Alert]:  # fmt: skip
        """The policy's decision on an operator action: the alerts it makes (not yet sent)."""
        sent: list[Alert] = []
        if action == "cancel_track":
            if track is None:
                raise OperatorActionError("cancel_track needs a track", status=422)
            sent.extend(self.policy.cancel_track(t, track, by, self.pipeline.threats))
        elif action == "confirm":
            sent.append(self.policy.confirm(t, site_id, by))
        elif action == "cancel":
            sent.append(self.policy.cancel(t, site_id, by, self.pipeline.threats))
        elif action == "alert":
            self.policy.raise_manual(t, site_id, level, aircraft, eta, by)
        elif action != "test_alarm":
            raise OperatorActionError(f"unknown action {action!r}", status=422)
        if action != "test_alarm":
            # Let the policy act on the change at once (a manual alert opens its episode now).
            sent.extend(self.policy.decide(t, self.pipeline.threats))
        return sent

    # -- a cancel everywhere, held for its undo window ----------------------------------------

    def hold_cancel_track(
        self, track: str, by: str, now: float, wall: float, window_s: float = UNDO_WINDOW_S,
        held_id: str | None = None,
    ) -> HeldCancel:  # fmt: skip
        """Ask to cancel ``track`` everywhere: held until ``wall + window_s``, then applied.

        Until then the alerts stand and :meth:`undo_held` drops it. Refused (409) if the track
        alerts no site now, or a cancel of it is already held. ``held_id``: the id the cluster gave
        it (the same in every region's engine); else the next of this core's.
        """
        with self.lock:
            self.stepper.advance(now)
            t = max(now, self.now or now)
            sites = self.policy.sites_alerted_by(track, self.pipeline.threats)
            if not sites:
                known = track in self.pipeline.tracker.tracks
                raise OperatorActionError(
                    f"track {track!r} has no open alert to cancel" if known else f"no track {track!r}",
                    status=409 if known else 404,
                )
            if any(h.track == track for h in self.held.values()):
                raise OperatorActionError(
                    f"a cancel of track {track!r} is already waiting for its undo window"
                )
            self._held_seq += 1
            held_id = held_id or f"h{self._held_seq}"
            held = HeldCancel(held_id, track, by, t, wall + window_s, window_s, tuple(sites))
            self.held[held.id] = held
            names = ", ".join(sites)
            self._log(
                t, "cancel_track", "*", by, f"held {window_s:.0f} s for undo: {track} at {names}", track=track
            )
            self.bus.publish(FEED, FeedMessage("held", held.view(wall), "*"))
            return held

    def undo_held(self, held_id: str, by: str, now: float) -> HeldCancel:
        """Drop a held cancel before its window ends: nothing is sent. 404 once applied or undone."""
        with self.lock:
            held = self.held.pop(held_id, None)
            if held is None:
                raise OperatorActionError(
                    f"no held cancel {held_id!r} (applied or undone already)", status=404
                )
            t = max(now, self.now or now)
            self._log(
                t, "undo", "*", by, f"undid the cancel of {held.track} asked by {held.by}", track=held.track
            )
            self.bus.publish(
                FEED, FeedMessage("held_end", {"id": held.id, "outcome": "undone", "by": by}, "*")
            )
            return held

    def apply_due(self, now: float, wall: float) -> list[tuple[HeldCancel, list[Alert] | Exception]]:
        """Apply the held cancels whose window has ended by ``wall``: each with its alerts sent, or
        why none were (an :class:`OperatorActionError`: the track's alerts had ended meanwhile; any
        other error: the cancel failed, was rolled back and is logged, and the alerts stand)."""
        out: list[tuple[HeldCancel, list[Alert] | Exception]] = []
        with self.lock:
            for held in [h for h in self.held.values() if h.due <= wall]:
                del self.held[held.id]
                end: dict[str, Any] = {"id": held.id}
                try:
                    sent = self.operator_action("cancel_track", "*", held.by, now, track=held.track)
                except Exception as exc:
                    end.update(outcome="lapsed", reason=str(exc))
                    self.bus.publish(FEED, FeedMessage("held_end", end, "*"))
                    out.append((held, exc))
                    continue
                end.update(outcome="applied", alerts=len(sent))
                self.bus.publish(FEED, FeedMessage("held_end", end, "*"))
                out.append((held, sent))
        return out

    def held_views(self, wall: float) -> list[dict[str, Any]]:
        with self.lock:
            return [h.view(wall) for h in self.held.values()]

    def _log(self, t: float, action: str, site: str, by: str, note: str, **extra: Any) -> None:
        entry = {"t": t, "action": action, "site": site, "by": by, "note": note, "alerts": [], **extra}
        self.operator_log.append(entry)
        self.bus.publish(FEED, FeedMessage("operator", entry, site))

    # -- the store ---------------------------------------------------------------------------

    def take_buffer(self) -> StoreBuffer:
        with self.lock:
            buffer, self.buffer = self.buffer, StoreBuffer()
            return buffer


# -- the engine: one core, one thread, one clock --------------------------------------------------


class EngineBusy(Exception):
    """The engine's queue is full; the caller should retry later."""


class EngineStopped(EngineBusy):
    """The engine's thread has stopped by an error; the supervisor is restarting it."""


class EngineFailure(RuntimeError):
    """The core failed too many steps in a row: it is broken, and the engine stops."""


class LiveEngine:
    """Runs a :class:`LiveCore` in its own thread against a clock, and keeps the run in the store.

    A step that raises (a batch of events, a clock tick, an operator job) is quarantined: its input
    and traceback go to the store's quarantine table, the error to the log, and the engine goes on.
    Should the thread stop all the same (``MAX_FAILED_STEPS_IN_A_ROW``, or an error outside a step),
    :attr:`failed` is true, :meth:`submit` refuses with :class:`EngineStopped`, the feed says so
    (an ``engine`` message), and :meth:`restart` starts it again with a new core, keeping the queue.
    """

    def __init__(
        self,
        core: LiveCore,
        clock: Clock,
        store: Store | None = None,
        run_id: int | None = None,
        max_queue: int = 20_000,
        flush_every_s: float = 0.2,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self.core = core
        self.wall = wall  # the clock undo windows are kept on: the operator's time, not the service's
        self.clock = clock
        self.store = store
        self.run_id = run_id
        self.stats = EngineStats()
        self.quarantine = QuarantineBook(store.engine) if store is not None else None
        self.audit_book = AuditBook(store.engine) if store is not None else None
        self.failure: str | None = None  # why the thread stopped, while it is stopped
        self._queue: queue.Queue[Event | Callable[[], None] | None] = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._flush_every = flush_every_s
        self._last_flush = 0.0
        self._last_clock_msg = 0.0
        self._count_lock = threading.Lock()
        self._failed_in_a_row = 0
        self._store_failures = 0
        self._set_aside: list[tuple[float, str]] = []  # (wall time, error) of steps set aside lately
        self._announced = "ok"  # the running state the feed was last told (a snapshot tells the first)

    @property
    def tick_wall_s(self) -> float:
        """How often (wall seconds) the engine wakes to let time pass."""
        return min(1.0, max(0.02, TICK_S / self.clock.speed))

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("engine already started")
        self._thread = threading.Thread(target=self._run, name="nadhir-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Process what is queued, write everything to the store, and stop."""
        self._stop.set()
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)
        self._thread = None

    def restart(self, core: LiveCore) -> None:
        """Start again with ``core`` after the thread stopped by an error.

        What was queued stays queued (the new core processes it); what the old core had not yet
        written to the store is written with the new one's.
        """
        if not self.failed:
            raise RuntimeError("the engine has not stopped by an error")
        if self._thread is not None:
            self._thread.join(10.0)  # it may still be writing the store on its way out
            if self._thread.is_alive():
                raise RuntimeError("the stopped engine's thread has not ended")
        leftover = self.core.take_buffer()
        with core.lock:
            core.buffer.events[:0] = leftover.events
            core.buffer.tracks[:0] = leftover.tracks
            core.buffer.alerts[:0] = leftover.alerts
        self.core = core
        self.failure = None
        self._failed_in_a_row = 0
        self._set_aside = []  # what failed led to the stop; the fresh core starts clean
        self.stats.restarts += 1
        self._thread = None
        self.start()
        log.warning("live engine restarted (%d restarts so far)", self.stats.restarts)
        self._announce()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def failed(self) -> bool:
        """The thread has stopped (or is on its way out) by an error, not because it was told to."""
        if self.failure is not None:
            return True
        return self._thread is not None and not self._thread.is_alive() and not self._stop.is_set()

    def status(self) -> dict[str, Any]:
        """The engine's state as health, the feed and the pages show it: ``degraded`` while steps
        were set aside in the last ``DEGRADED_WINDOW_S`` (it runs, but some input was not processed)."""
        stopped = self.failed or self._stop.is_set()
        state = "stopped" if stopped else ("ok" if self.running else "starting")
        reason = self.failure
        recent = self._recently_set_aside()
        if state == "ok" and recent:
            state = "degraded"
            minutes = DEGRADED_WINDOW_S / 60
            reason = f"{len(recent)} step(s) set aside in the last {minutes:.0f} min; last: {recent[-1][1]}"
            reason = reason[:500]
        return {"status": state, "reason": reason, "restarts": self.stats.restarts,
                "quarantined": self.stats.quarantined}  # fmt: skip

    def _recently_set_aside(self) -> list[tuple[float, str]]:
        since = time.monotonic() - DEGRADED_WINDOW_S
        return [x for x in list(self._set_aside) if x[0] >= since]

    def _announce(self) -> None:
        with contextlib.suppress(Exception):  # the bus never raises; this is the last word of a thread
            status = self.status()
            self._announced = status["status"]
            self.core.bus.publish(FEED, FeedMessage("engine", status, "*"))

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def submit(self, event: Event) -> int:
        """Queue one event; returns its sequence number among accepted events."""
        if self.failed:
            raise EngineStopped("the live engine has stopped; it is being restarted")
        try:
            self._queue.put_nowait(event)
        except queue.Full as exc:
            raise EngineBusy("intake queue full") from exc
        with self._count_lock:
            self.stats.accepted += 1
            return self.stats.accepted

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` in the engine's thread (between steps); its result comes in the future.

        An :class:`OperatorActionError` is the caller's answer; any other error is also the
        engine's: the job is quarantined as a failed step.
        """
        if self.failed:
            raise EngineStopped("the live engine has stopped; it is being restarted")
        future: Future[T] = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except OperatorActionError as exc:
                future.set_exception(exc)
            except BaseException as exc:
                future.set_exception(exc)
                raise

        try:
            self._queue.put_nowait(job)
        except queue.Full as exc:
            raise EngineBusy("engine queue full") from exc
        return future

    # -- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    first = self._queue.get(timeout=self.tick_wall_s)
                except queue.Empty:
                    first = None if self._stop.is_set() else _NOTHING
                items = [first] if first is not _NOTHING else []
                while len(items) < 5000:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                self._process(items)
                if self._stop.is_set() and self._queue.empty():
                    break
        except BaseException as exc:  # the service keeps answering, and says the engine stopped
            self.failure = f"{type(exc).__name__}: {exc}"[:500]
            log.critical("LIVE ENGINE STOPPED by an error; nothing is processed till restarted", exc_info=exc)
        finally:
            self._write_store(force=True)
            if self.failure is not None:
                self._announce()

    def _process(self, items: list[Any]) -> None:
        """One wake-up: what was queued, in order, then time up to now.

        Events go to the core's stepper as they arrived (it batches them by
        time stamp, as in replay); a job runs between the events queued
        before and after it. Then the stepper's clock is advanced to now.
        """
        events: list[Event] = []
        for item in items:
            if item is None:
                continue
            if callable(item):
                self._step_events(events)
                events = []
                self._step("job", [], item)
            else:
                events.append(item)
        self._step_events(events)
        now = self.clock.now()
        self._step("tick", [], lambda: self.core.tick(now))
        if self.core.held:
            self._step("job", [], lambda: self._apply_held(now))
        self.stats.steps += 1
        self._write_store(force=False)
        self._set_aside = self._recently_set_aside()
        state = self.status()["status"]
        if state in ("ok", "degraded") and state != self._announced:
            self._announce()  # degraded by a step set aside, or ok again once none is recent
        wall = time.monotonic()
        if wall - self._last_clock_msg >= 1.0:
            self._last_clock_msg = wall
            self.core.bus.publish(FEED, FeedMessage("clock", {"now": now, "speed": self.clock.speed}, "*"))

    def _step_events(self, events: list[Event]) -> None:
        if not events:
            return
        self._step("batch", events, lambda: self.core.submit(events, self.clock.now()))
        self.stats.processed += len(events)

    def _step(self, kind: str, items: Sequence[Event], fn: Callable[[], object]) -> None:
        """Run one step; if it raises, quarantine it and go on (unless the core keeps failing)."""
        try:
            fn()
        except Exception as exc:
            self._quarantine(kind, [event_json(e) for e in items], exc)
            if kind != "job":  # a job's failure is answered to its caller (or audited): not unseen input
                self._set_aside.append((time.monotonic(), f"{kind}: {type(exc).__name__}: {exc}"[:300]))
            self._failed_in_a_row += 1
            if self._failed_in_a_row >= MAX_FAILED_STEPS_IN_A_ROW:
                raise EngineFailure(f"{self._failed_in_a_row} steps failed in a row; last {exc!r}") from exc
            return
        self._failed_in_a_row = 0

    def _apply_held(self, now: float) -> None:
        """Apply the held cancels whose undo window has ended, and put each outcome in the audit."""
        for held, outcome in self.core.apply_due(now, self.wall()):
            if isinstance(outcome, Exception):
                result: AuditResult = "refused" if isinstance(outcome, OperatorActionError) else "failed"
                self.audit(now, held.by, "cancel_track", f"track:{held.track}", result, str(outcome),
                           {"held": held.id, "sites": list(held.sites)})  # fmt: skip
            else:
                self.audit(now, held.by, "cancel_track", f"track:{held.track}", "applied", None,
                           {"held": held.id, "sites": [a.site for a in outcome],
                            "alerts": [alert_message(a) for a in outcome]})  # fmt: skip

    def audit(
        self,
        at: float,
        who: str,
        action: str,
        target: str,
        result: AuditResult,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Put one operator action's outcome in the audit table; True if stored.

        Never raises: the action has been answered already. A row that cannot be written is logged
        as an error and counted (``audit_errors`` in ``/api/v1/admin/stats``).
        """
        if self.audit_book is None:
            return False
        try:
            self.audit_book.add(at, who, action, target, result, reason, detail, run_id=self.run_id)
        except Exception:
            self.stats.audit_errors += 1
            log.exception("AUDIT NOT STORED: %s %s at %s by %s (%s)", action, result, target, who, reason)
            return False
        return True

    def _quarantine(self, kind: str, items: list[Any], exc: BaseException) -> bool:
        """Set a failed step aside for an operator; True if it reached the store."""
        text = "".join(traceback.format_exception(exc))
        error = f"{type(exc).__name__}: {exc}"
        self.stats.quarantined += 1
        log.error("QUARANTINED a failed %s (%d items): %s\n%s", kind, len(items), error, text)
        if self.quarantine is None:
            return False
        try:
            self.quarantine.add(kind, error, text, items, run_id=self.run_id, engine_t=self.core.now)
        except Exception:
            self.stats.quarantine_errors += 1
            log.exception("the failed %s could not be written to the quarantine table", kind)
            return False
        return True

    def _write_store(self, force: bool) -> None:
        if self.store is None or self.run_id is None:
            self.core.take_buffer()
            return
        wall = time.monotonic()
        if not force and wall - self._last_flush < self._flush_every:
            return
        self._last_flush = wall
        buffer = self.core.take_buffer()
        if not len(buffer):
            return
        try:
            write_outputs(self.store, self.run_id, buffer, self.stats)
        except Exception as exc:
            self.stats.store_errors += 1
            self._store_failures += 1
            log.exception("store write failed; will retry")
            if self._store_failures >= STORE_FAILURES_BEFORE_QUARANTINE and self._quarantine(
                "store", buffer_json(buffer), exc
            ):
                self._store_failures = 0
                return
            with self.core.lock:  # put back what was not written, ahead of what came since
                self.core.buffer.events[:0] = buffer.events
                self.core.buffer.tracks[:0] = buffer.tracks
                self.core.buffer.alerts[:0] = buffer.alerts
        else:
            self._store_failures = 0

    def finish_run(self) -> None:
        """Close the run in the store with its summary."""
        if self.store is None or self.run_id is None:
            return
        self.store.finish_run(
            self.run_id, run_summary(self.core.summary, self.stats), finished_at=self.core.now
        )


_NOTHING: Any = object()  # a wake-up with nothing queued


def speed_sigma_mps(track: Track, state: TrackState) -> float:
    """How well the published speed is known: the 1-sigma of the track's velocity along its heading.

    From the filter's velocity covariance (delta method: the speed's variance is ``u' P u`` for
    the unit vector ``u`` of the heading). With no speed to speak of there is no heading, and the
    velocity's spread in any one direction (half the trace) is what the speed could be. The map
    shows a speed known to worse than a share of itself as uncertain, not as a fact.
    """
    p = track.p
    pxx, pxy, pyy = p.item(2, 2), p.item(2, 3), p.item(3, 3)
    if state.speed_mps < 1.0:
        return math.sqrt(max(0.0, (pxx + pyy) / 2.0))
    heading = math.radians(state.heading_deg)
    ux, uy = math.sin(heading), math.cos(heading)  # x east, y north; heading clockwise from north
    return math.sqrt(max(0.0, ux * ux * pxx + 2.0 * ux * uy * pxy + uy * uy * pyy))
