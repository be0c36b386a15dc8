"""The ``engine`` role: one active pipeline per region, standbys ready to take its place.

Every engine process runs one :class:`RegionEngine` per region it may serve. Each
is a standby until it takes the region's lease (:mod:`nadhir.service.lease`), then
the active engine until it loses it:

1. it loads the region's last snapshot (:mod:`nadhir.service.snapshots`), or starts
   fresh if there is none, and reads the region's stream through the durable consumer
   from the sequence after the snapshot's;
2. each read is processed in stream order: events through the pipeline's stepper on
   their own clock, clock records by letting the pipeline's time pass to theirs, operator
   actions (:mod:`nadhir.service.stream_actions`) and the health facilities' readiness
   (:mod:`nadhir.service.stream_readiness`) on the pipeline as the stream has made it;
3. the alerts made are planned and stored in the outbox (PostgreSQL) before the read
   is acknowledged, and the live feed goes out on the region's feed subject;
4. every ``snapshot_s`` (with every alert stored) it snapshots its state;
5. while the stream is quiet for ``idle_clock_s`` it publishes a clock record carrying
   the stream's time on by the wall time passed, so that all-clears come when they
   are due.

The engine's clock is the stream's: the events' own times and the clock records,
all in the stream, so that whoever processes the stream (this engine, the standby
that replaces it, or ``nadhir replay`` of the same events) steps the same pipeline
through the same times and makes the same alerts, with the same idempotency keys.
A takeover can make an alert later (by the lease's lapse and the catch-up), never
lose one (it is derived again from the stream) nor sound a siren twice (the outbox
stores each key once). See docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from nadhir.bus import InProcessBus
from nadhir.bus.jetstream import BusError, JetStreamBus, StreamMessage, StreamReader
from nadhir.domain import Event
from nadhir.domain.readiness import SiteReadiness
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.delivery import AlertDelivery
from nadhir.service.feed import ALERTS, FEED, FeedMessage
from nadhir.service.lease import KeptLease, Lease
from nadhir.service.live import DEGRADED_WINDOW_S, LiveCore
from nadhir.service.operator import OperatorActionError
from nadhir.service.partitions import Partition
from nadhir.service.region_run import RegionRun
from nadhir.service.snapshots import EngineSnapshot, SnapshotError, dumps, loads
from nadhir.service.stream_actions import (
    ACTION_KIND,
    NO_DEADLINE,
    OperatorAsk,
    alert_wire,
    answer,
    ask_bytes,
    ask_from_bytes,
    claim,
    reply_key,
)
from nadhir.service.stream_readiness import READINESS_KIND
from nadhir.service.stream_wire import (
    WireError,
    clock_bytes,
    clock_from_bytes,
    event_from_bytes,
    readiness_from_bytes,
)
from nadhir.store.audit import AuditBook, AuditResult

log = logging.getLogger(__name__)
T = TypeVar("T")

FETCH_BATCH = 250
FETCH_WAIT_S = 0.2
STATUS_EVERY_S = 0.5
# The lease is renewed by a thread of its own, so that a long read (a catch-up, a loaded machine)
# does not lose it; but only while the processing loop moves: one stuck this long lets it lapse.
STALL_S = 15.0


# How the audit trail names the cluster's actions, as the one-process service does (action, result).
_AUDITED: dict[str, tuple[str, AuditResult]] = {
    "hold_cancel_track": ("cancel_track", "held"),
    "apply_held": ("cancel_track", "applied"),
}


class RegionEngine:
    """One region's engine in one process: standby, or the region's active engine (see the module)."""

    def __init__(
        self,
        bus: JetStreamBus,
        names: ClusterNames,
        partition: Partition,
        make_core: Callable[[InProcessBus], LiveCore],
        delivery: AlertDelivery,
        holder: str,
        *,
        lease_s: float = 3.0,
        snapshot_s: float = 2.0,
        idle_clock_s: float = 5.0,
        speed: float = 1.0,
        audit: AuditBook | None = None,
        run: RegionRun | None = None,
    ) -> None:
        self.bus = bus
        self.names = names
        self.partition = partition
        self.region = partition.id
        self.own = frozenset(partition.sites)
        self.make_core = make_core
        self.delivery = delivery
        self.holder = holder
        self.lease = Lease(bus.kv(names.leases, ttl_s=lease_s), self.region, holder, lease_s)
        self.kept = KeptLease(self.lease, STALL_S, f"region {self.region}'s engine")
        self.status_kv = bus.kv(names.status)
        self.actions_kv = bus.kv(names.actions)
        self.audit_book = audit
        self.run = run  # the region's run in the store (None: the run tables are not written)
        self.run_errors = 0
        self.actions = 0  # operator actions applied (again, after a takeover, included)
        self.audit_errors = 0
        self.snapshot_s = snapshot_s
        self.idle_clock_s = idle_clock_s
        self.speed = speed
        self.core: LiveCore | None = None
        self.reader: StreamReader | None = None
        self.seq = 0  # the last stream sequence processed
        self.stream_time: float | None = None
        self.snapshot_seq = 0
        self.takeovers = 0
        self.failed_batches = 0
        self._failed_at: list[tuple[float, str]] = []  # (wall time, error) of the steps skipped lately
        self.bad_messages = 0
        self.failure: str | None = None
        self.active_since: float | None = None  # wall time this engine took the region
        self._local_bus = InProcessBus()
        self._last_input = 0.0  # monotonic time of the last message read (or of the takeover)
        self._last_snapshot = 0.0
        self._last_status = 0.0
        self._caught_up = False
        self.lag = 0  # messages of the region's subject not yet read by this engine (while active)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat: threading.Thread | None = None
        self._reread = False  # an operator action could not be claimed: the region is read again
        self._answers: list[tuple[OperatorAsk, str, float, dict[str, Any]]] = []  # to send once stored
        self._applies_put: set[str] = set()  # held cancels whose apply_held this leader has put
        self._spare: LiveCore | None = None

    # -- life ---------------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.core is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"nadhir-engine-{self.region}", daemon=True)
        self._heartbeat = threading.Thread(
            target=self.kept.keep, args=(self._stop, lambda: self.core is not None),
            name=f"nadhir-lease-{self.region}", daemon=True,
        )  # fmt: skip
        self._thread.start()
        self._heartbeat.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop; an active engine snapshots (if it can) and gives its lease up for a standby."""
        self._stop.set()
        for thread in (self._thread, self._heartbeat):
            if thread is not None:
                thread.join(timeout)
        if self.core is not None:
            with contextlib.suppress(Exception):
                self._snapshot()
            self._step_down("stopped")
            self.lease.release()

    def status(self) -> dict[str, Any]:
        """The region's engine as health shows it."""
        return {
            "region": self.region, "role": "active" if self.active else "standby", "seq": self.seq,
            "snapshot_seq": self.snapshot_seq, "takeovers": self.takeovers,
            "clock": self.core.now if self.core else None,
            "failed_batches": self.failed_batches, "bad_messages": self.bad_messages, "failure": self.failure,
            "failed_lately": [e for at, e in self._failed_at if at >= time.time() - DEGRADED_WINDOW_S],
            "unstored_alerts": self.delivery.unstored, "caught_up": self._caught_up, "lag": self.lag,
            "actions": self.actions, "run": self.run.run_id if self.run is not None else None,
            "run_written_seq": self.run.written_seq if self.run is not None else None,
        }  # fmt: skip

    def unready(self) -> str | None:
        """Why this region's engine does not serve it now (None: it does). A standby serves by
        standing by; an active engine must be alive and caught up with the stream."""
        if self._thread is None or not self._thread.is_alive():
            return f"region {self.region}: the engine thread is not running"
        if self.failure is not None:
            return f"region {self.region}: {self.failure}"
        if self.active and not self._caught_up:
            return f"region {self.region}: catching up ({self.lag} messages behind)"
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.kept.moved()
                if self.core is None:
                    if self._spare is None:  # a warm standby: the pipeline is built before it is needed
                        self._spare = self.make_core(self._local_bus)
                    if not self.kept.try_acquire():
                        self._stop.wait(self.lease.ttl_s / 6)
                        continue
                    self._take_over()
                self._step()
                self.failure = None
            except BusError as exc:  # NATS away: wait and go on; the lease says whether we still lead
                self.failure = f"NATS: {exc}"
                log.warning("region %s: %s", self.region, exc)
                self._stop.wait(0.5)
                if self.core is not None and self._reread:
                    # Past an action it could not decide on: whoever leads next (this engine too)
                    # reads the region again from the last snapshot.
                    self._reread = False
                    self._step_down("NATS away at an operator action")
                    self.lease.release()
                elif self.core is not None and not self.lease.held:
                    self._step_down("lease not renewed while NATS was away")
            except Exception as exc:  # a bug: never quietly, and the region goes to a standby
                self.failure = f"{type(exc).__name__}: {exc}"
                log.critical("REGION %s ENGINE FAILED; giving the region up", self.region, exc_info=True)
                if self.core is not None:
                    self._step_down("failed")
                    self.lease.release()
                self._stop.wait(self.lease.ttl_s)

    # -- leading ------------------------------------------------------------------------------------

    def _take_over(self) -> None:
        started = time.monotonic()
        core, self._spare = self._spare or self.make_core(self._local_bus), None
        snapshot = self._load_snapshot()
        self._alerts = self._local_bus.subscribe(ALERTS, maxsize=1_000_000)
        self._feed = self._local_bus.subscribe(FEED, maxsize=100_000)
        if snapshot is not None:
            core.restore_state(snapshot.pipeline, snapshot.clock, snapshot.summary, snapshot.held)
            core.held = dict(snapshot.held_cancels)
            self.delivery.router.set_sounding(snapshot.sounded)
            self.seq = self.snapshot_seq = snapshot.seq
            self.stream_time = snapshot.stream_time
        else:
            self.delivery.router.set_sounding({})
            self.seq = self.snapshot_seq = 0
            self.stream_time = None
        # Anything left over from an earlier time as leader was derived again or is in the outbox; an
        # action left unanswered is answered again when it is read again (its key says "taken").
        self._answers = []
        self._applies_put = set()
        self._alerts.drain()
        self._feed.drain()
        self._open_run()
        self.reader = self.bus.reader(self.names.events_stream, self.names.durable(self.region),
                                      self.names.events(self.region), start_seq=self.seq + 1)  # fmt: skip
        self.core = core
        self.takeovers += 1
        self.active_since = time.time()
        self._last_input = self._last_snapshot = time.monotonic()
        self._caught_up = False
        log.warning("region %s: this engine (%s) is active from stream sequence %d (snapshot %s, %.2f s)",
                    self.region, self.holder, self.seq + 1, "loaded" if snapshot else "none",
                    time.monotonic() - started)  # fmt: skip
        self._put_status(force=True)

    def _open_run(self) -> bool:
        """Find (or start) the region's run; False if the store or NATS cannot say now (tried again
        at the next read, the run's rows kept meanwhile)."""
        if self.run is None:
            return False
        if self.run.run_id is not None and self.core is not None:
            return True
        try:
            self.run.open(self.stream_time)
        except Exception:
            self.run_errors += 1
            self.run.run_id = None
            log.exception("region %s: the region's run cannot be opened now; its rows are kept", self.region)
            return False
        return True

    def _load_snapshot(self) -> EngineSnapshot | None:
        data = self.bus.get_object(self.names.snapshots, self.region)
        if data is None:
            return None
        try:
            snapshot = loads(data)
        except SnapshotError as exc:
            log.error("region %s: the last snapshot is not usable (%s); reading the stream from its start",
                      self.region, exc)  # fmt: skip
            return None
        if snapshot.region != self.region:
            log.error("region %s: the snapshot is region %s's; not used", self.region, snapshot.region)
            return None
        return snapshot

    def _step_down(self, why: str) -> None:
        log.warning("region %s: this engine (%s) is no longer active: %s", self.region, self.holder, why)
        if self.reader is not None:
            self.reader.close()
        self.reader = None
        self.core = None
        self.active_since = None
        self._alerts.close()
        self._feed.close()

    def _step(self) -> None:
        assert self.core is not None and self.reader is not None
        if self.kept.gone:
            self._step_down("lease lost")
            return
        messages = self.reader.fetch(FETCH_BATCH, FETCH_WAIT_S)
        if messages:
            self._process(messages)
            self._store_alerts()
            self._write_run()
            self._send_answers()
            self._publish_feed()
            self.reader.ack(messages[-1])
            self._last_input = time.monotonic()
            self._caught_up = messages[-1].pending == 0
            self.lag = messages[-1].pending
        else:
            self._caught_up = True
            self.lag = 0
            self.delivery.retry_unstored()
            self._write_run()
            self._send_answers()
        # Checked again after the read: an engine frozen (or cut off) past its lease while it waited
        # must not move the region's clock on, nor write a snapshot or status over its successor's.
        if self.kept.gone:
            self._step_down("lease lost")
            return
        if not messages:
            self._idle_clock()
        if self.core.held:
            self._put_due_cancels()
        wall = time.monotonic()
        if wall - self._last_snapshot >= self.snapshot_s and self.seq > self.snapshot_seq:
            self._snapshot()
        self._put_status()

    def _process(self, messages: list[StreamMessage]) -> None:
        assert self.core is not None
        events: list[Event] = []
        mark = self.run.written_seq if self.run is not None and self.run.run_id is not None else 0
        for msg in messages:
            self.kept.moved()
            if msg.seq <= self.seq:
                continue  # delivered again (an acknowledgement lost): already processed
            if self.seq <= mark < msg.seq:  # past what the run holds: what came before is written
                self._feed_events(events)
                events = []
                self.core.take_buffer()
            try:
                kind = msg.headers.get(KIND_HEADER)
                if kind == ACTION_KIND:
                    self._feed_events(events)
                    events = []
                    self._apply_action(ask_from_bytes(msg.data))
                elif kind == READINESS_KIND:
                    ready = readiness_from_bytes(msg.data)
                    self._feed_events(events)
                    events = []
                    self._set_readiness(ready)
                elif kind == "clock":
                    t = clock_from_bytes(msg.data)
                    self._feed_events(events)
                    events = []
                    self._guarded(self.core.tick, t)
                    self.stream_time = t if self.stream_time is None else max(self.stream_time, t)
                else:
                    event = event_from_bytes(msg.data)
                    events.append(event)
                    self.stream_time = event.t if self.stream_time is None else max(self.stream_time, event.t)
            except WireError:
                self.bad_messages += 1
                log.error("region %s: stream message %d is not readable; skipped", self.region, msg.seq,
                          exc_info=True)  # fmt: skip
            self.seq = msg.seq
        self._feed_events(events)
        if self.seq <= mark:
            self.core.take_buffer()

    def _set_readiness(self, ready: dict[str, SiteReadiness]) -> None:
        """The health facilities' terms for their warning, at their place in the stream
        (:mod:`nadhir.service.stream_readiness`); the policy keeps them, so snapshots do too."""
        assert self.core is not None
        with self.core.lock:
            for site_id, r in ready.items():
                if site_id in self.own:
                    self.core.policy.set_readiness(site_id, r)

    def _apply_action(self, ask: OperatorAsk) -> None:
        """An operator action at its place in the stream (see :mod:`nadhir.service.stream_actions`).

        It acts at the region's time (the stream's, so that every engine reading it again acts at the
        same), on the pipeline as the stream has made it. The claim decides whether it is applied:
        NATS away then, the engine cannot know, and steps down (whoever leads next reads it again).
        """
        assert self.core is not None
        key = reply_key(ask.id, self.region)
        try:
            decided = claim(self.actions_kv, key, ask.deadline)
        except BusError:
            self._reread = True
            raise
        if not decided.apply:
            return
        t = self.stream_time if self.stream_time is not None else ask.asked
        reply: dict[str, Any]
        try:
            reply = {"state": "done", "t": t, **self._carry_out(ask, t)}
        except OperatorActionError as exc:
            reply = {"state": "refused", "status": exc.status, "reason": str(exc)}
        except Exception as exc:  # the same on every engine that reads it: the policy was rolled back
            self.failed_batches += 1
            log.exception("region %s: operator %s at %s failed", self.region, ask.action, ask.site)
            reply = {"state": "refused", "status": 500, "reason": f"the engine failed: {type(exc).__name__}"}
        self.actions += 1
        if decided.answer:  # else answered (and audited) by the engine that took it first
            self._answers.append((ask, key, t, reply))

    def _carry_out(self, ask: OperatorAsk, t: float) -> dict[str, Any]:
        """The action on the core; what the answer says of it. OperatorActionError if refused."""
        core = self.core
        assert core is not None
        if ask.action == "hold_cancel_track":
            if ask.track is None or ask.wall is None:
                raise OperatorActionError("hold_cancel_track needs a track and a wall time", status=422)
            held = core.hold_cancel_track(ask.track, ask.by, t, ask.wall, held_id=ask.id)
            return {"held": held.view(ask.wall)}
        if ask.action == "undo":
            held = core.undo_held(ask.held or "", ask.by, t)
            return {"id": held.id, "track": held.track}
        if ask.action == "apply_held":
            return self._apply_held(ask.held or "", t)
        sent = core.operator_action(
            ask.action, ask.site, ask.by, t, level=ask.level, aircraft=ask.aircraft,  # type: ignore[arg-type]
            eta=ask.eta, note=ask.note,
        )  # fmt: skip
        return {"alerts": [alert_wire(a) for a in sent]}

    def _apply_held(self, held_id: str, t: float) -> dict[str, Any]:
        """A held cancel whose undo window has ended (the engine put this in its stream): its all-clears
        go out. Refused (404) if it was undone (or applied) first; 409 if its alerts ended meanwhile."""
        core = self.core
        assert core is not None
        with core.lock:
            held = core.held.pop(held_id, None)
            if held is None:
                raise OperatorActionError(
                    f"no held cancel {held_id!r} (applied or undone already)", status=404
                )
            end: dict[str, Any] = {"id": held.id}
            try:
                sent = core.operator_action("cancel_track", "*", held.by, t, track=held.track)
            except Exception as exc:
                end.update(outcome="lapsed", reason=str(exc))
                core.bus.publish(FEED, FeedMessage("held_end", end, "*"))
                raise
            end.update(outcome="applied", alerts=len(sent))
            core.bus.publish(FEED, FeedMessage("held_end", end, "*"))
        own = [a for a in sent if a.site in self.own]
        return {"held": held.id, "sites": [a.site for a in own], "alerts": [alert_wire(a) for a in own]}

    def _put_due_cancels(self) -> None:
        """Held cancels whose undo window has ended: an ``apply_held`` for each in the region's stream
        (once per cancel and leader; JetStream keeps one per message id), applied when read."""
        core = self.core
        assert core is not None
        now = time.time()
        for held in [h for h in core.held.values() if h.due <= now and h.id not in self._applies_put]:
            ask = OperatorAsk(
                id=f"apply-{held.id}", action="apply_held", site="*", by=held.by, asked=held.asked,
                deadline=NO_DEADLINE, track=held.track, held=held.id,
            )  # fmt: skip
            self.bus.publish(
                self.names.events(self.region), ask_bytes(ask), headers={KIND_HEADER: ACTION_KIND},
                msg_id=f"action-{ask.id}-{self.region}",
            )  # fmt: skip
            self._applies_put.add(held.id)

    def _send_answers(self) -> None:
        """Audit and answer the actions of the last read, once the alerts they made are stored (the
        console hears "done" only of what is in the outbox)."""
        if self.delivery.unstored:
            return
        answers, self._answers = self._answers, []
        for ask, key, t, reply in answers:
            self._audit(ask, t, reply)
            try:
                answer(self.actions_kv, key, reply)
            except BusError:
                log.error("region %s: the answer to operator action %s was not sent (NATS away)",
                          self.region, ask.id)  # fmt: skip

    def _audit(self, ask: OperatorAsk, t: float, reply: dict[str, Any]) -> None:
        """The action's row in the audit table, as the one-process service writes it."""
        if self.audit_book is None:
            return
        action, ok = _AUDITED.get(ask.action, (ask.action, "accepted"))
        if ask.action in ("hold_cancel_track", "apply_held"):
            target = f"track:{ask.track}"
        elif ask.action == "undo":
            target = f"held:{ask.held}"
        else:
            target = "all" if ask.site == "*" else ask.site
        asked = ask.params()
        try:
            if reply["state"] == "done":
                done = {**asked, **{k: v for k, v in reply.items() if k != "state"}, "region": self.region}
                self.audit_book.add(t, ask.by, action, target, ok, None, done)
            else:
                result: AuditResult = "refused" if reply["status"] < 500 else "failed"
                detail = {**asked, "status": reply["status"], "region": self.region}
                self.audit_book.add(t, ask.by, action, target, result, reply["reason"], detail)
        except Exception:
            self.audit_errors += 1
            log.exception("AUDIT NOT STORED: %s at %s by %s", ask.action, target, ask.by)

    def _feed_events(self, events: list[Event]) -> None:
        if events:
            assert self.core is not None
            self._guarded(self.core.feed_stream, events)

    def _guarded(self, fn: Callable[[T], object], arg: T) -> None:
        """A step that raises is logged and skipped: the same on every engine that replays the
        stream, so the region's engines stay in step (the events are in the stream for a look)."""
        try:
            fn(arg)
        except Exception as exc:
            self.failed_batches += 1
            since = time.time() - DEGRADED_WINDOW_S
            self._failed_at = [x for x in self._failed_at if x[0] >= since][-9:]  # the console shows a few
            self._failed_at.append((time.time(), f"{type(exc).__name__}: {exc}"[:300]))
            log.exception("region %s: a step failed at stream sequence %d; skipped", self.region, self.seq)

    def _store_alerts(self) -> None:
        """Plan and store the alerts made (in order); those that cannot be stored now are kept and
        retried, and no snapshot is taken past them."""
        # A neighbour's site is left to its own region's engine.
        alerts = [a for a in self._alerts.drain() if a.site in self.own]
        self.kept.moved()
        try:
            self.delivery.store_batch(alerts)
        except Exception:
            log.exception("region %s: %d alert(s) not stored yet; kept and retried", self.region,
                          self.delivery.unstored)  # fmt: skip

    def _write_run(self) -> None:
        """Write the run's rows of the reads processed (kept, and tried again, if it fails)."""
        core = self.core
        assert core is not None
        if self.run is None:
            core.take_buffer()  # nobody reads them: not kept
            return
        if not self._open_run():
            return
        buffer = core.take_buffer()
        if not len(buffer) and self.run.written_seq >= self.seq:
            return
        try:
            self.run.write(buffer, self.seq)
        except Exception:
            self.run_errors += 1
            log.exception("region %s: the run's rows were not written; kept and tried again", self.region)
            with core.lock:  # put back what was not written, ahead of what came since
                core.buffer.events[:0] = buffer.events
                core.buffer.tracks[:0] = buffer.tracks
                core.buffer.alerts[:0] = buffer.alerts

    def _publish_feed(self) -> None:
        own = self.own
        batch = []
        for message in self._feed.drain():
            if message.site is not None and message.site != "*" and message.site not in own:
                continue
            wire = {"type": message.type, "data": message.data, "site": message.site}
            try:
                batch.append(json.dumps(wire, separators=(",", ":"), allow_nan=False, default=str).encode())
            except ValueError:
                log.warning("region %s: a feed message cannot be sent as JSON", self.region, exc_info=True)
        if batch and self.core is not None and self.core.now is not None:  # the console's clock
            batch.append(json.dumps({"type": "clock", "data": {"now": self.core.now, "speed": 1.0},
                                     "site": "*"}).encode())  # fmt: skip
        if batch:
            try:
                self.bus.publish_core(self.names.feed(self.region), batch)
            except BusError:
                log.warning("region %s: %d feed messages were not sent", self.region, len(batch))

    def _idle_clock(self) -> None:
        """The stream has been quiet: put a clock record in it, the stream's time moved on by the wall
        time passed (scaled by ``speed``), so that the pipeline's time passes as it would live."""
        quiet = time.monotonic() - self._last_input
        if quiet < self.idle_clock_s or self.stream_time is None:
            return
        t = self.stream_time + quiet * self.speed
        self.bus.publish(self.names.events(self.region), clock_bytes(t), headers={KIND_HEADER: "clock"},
                         msg_id=f"clock-{self.region}-{t!r}")  # fmt: skip
        self._last_input = time.monotonic()

    def _snapshot(self) -> None:
        """Write the state, if every alert it made is stored (else the next try)."""
        core = self.core
        if core is None or self.delivery.unstored:
            return
        if self.run is not None and self.run.written_seq < self.seq:
            return  # never past the run's rows (a successor would not write them)
        with core.lock:
            snapshot = EngineSnapshot(
                self.region, self.seq, core.pipeline, core.stepper.clock, core.stepper.summary,
                list(core.stepper.held), self.delivery.router.sounding(), self.stream_time, time.time(),
                dict(core.held),
            )  # fmt: skip
            data = dumps(snapshot)
        self.bus.put_object(self.names.snapshots, self.region, data)
        self.snapshot_seq = snapshot.seq
        self._last_snapshot = time.monotonic()

    def _put_status(self, force: bool = False) -> None:
        wall = time.monotonic()
        if not force and wall - self._last_status < STATUS_EVERY_S:
            return
        self._last_status = wall
        status = {"holder": self.holder, "pid": os.getpid(), "since": self.active_since, "at": time.time(),
                  **self.status()}  # fmt: skip
        self.status_kv.put(self.region, json.dumps(status, default=str).encode())
