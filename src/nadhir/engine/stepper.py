"""The stepper: drives the pipeline in time, for replay and live alike.

Events that share a timestamp are processed together (they arrived at the
same instant, so nothing waits). Opt-in, a window (``window_s``, ``nadhir replay --window S``)
processes the events of a few seconds as one batch at its latest time: fewer steps, each event a
few seconds later (docs/benchmarks.md, "Twelfth session, speed"). Between events the simulated clock ticks
every few seconds, so all-clears and coasting tracks come out when they
would have live, and after the last event the clock runs on until every
alert episode has ended.

A gap between events longer than that run-on (:data:`RUN_ON_S`) is not
ticked through: the clock ticks for the run-on, by when every episode has
cleared and every track has been dropped, then jumps to the next event. A
gap of years (two runs of events, or a clock that was wrong) then costs
what half an hour does, not hours of ticking, and writes the same lines.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from nadhir.domain import Alert, Event, TrackState
from nadhir.engine.pipeline import Pipeline, StepOutput

TICK_S = 5.0
RUN_ON_S = 30 * 60.0  # after the last event, long enough for every episode to clear


@dataclass
class ReplaySummary:
    """What a replay read and produced."""

    events: int = 0
    events_by_kind: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    late_events: int = 0
    suspect_events: int = 0  # set aside as far out of time order (see nadhir.domain.formats.timeline)
    gaps_jumped: int = 0  # quiet stretches longer than RUN_ON_S that the clock jumped
    alerts: int = 0
    episodes: int = 0
    tracks: set[str] = field(default_factory=set)
    start: float | None = None
    end: float | None = None


AlertSink = Callable[[Alert], None]
TrackSink = Callable[[TrackState], None]
RejectSink = Callable[[Event, str], None]
EventSink = Callable[[Event], None]


class Stepper:
    """Drives a pipeline with a clock: batches of events at their time, and ticks in between.

    The one loop that both ``nadhir replay`` and the live engine run:
    :meth:`feed` processes events in arrival order, those that share a
    timestamp together, first ticking the clock on up to (not onto) their
    time; :meth:`advance` lets time pass up to a given time. :meth:`run`
    is a whole replay: every event, then the run-on.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        on_alert: AlertSink,
        on_track: TrackSink | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_rejected: RejectSink | None = None,
        on_event: EventSink | None = None,
        window_s: float = 0.0,
    ) -> None:
        if not (math.isfinite(window_s) and window_s >= 0.0):
            raise ValueError(f"window_s must be a finite number of seconds >= 0, not {window_s}")
        self.pipeline = pipeline
        # Opt-in (0: off, the default): events less than this many seconds after the first of a
        # batch join it, processed at the batch's latest time (docs/benchmarks.md, "Twelfth
        # session, speed"): fewer, larger steps, each measurement kept at its own time.
        self.window_s = window_s
        self.on_alert = on_alert
        self.on_track = on_track
        self.on_progress = on_progress
        self.on_rejected = on_rejected
        self.on_event = on_event
        self.summary = ReplaySummary()
        self.clock: float | None = None  # the time of the last batch or tick processed
        # Events fed with ``hold``, that share the time of the last one fed: not processed yet.
        self.held: list[Event] = []

    def run(self, events: Iterable[Event]) -> ReplaySummary:
        """Replay every event, then run the clock on until alerts clear."""
        self.feed(events)
        if self.clock is not None:
            self.advance(self.clock + RUN_ON_S)
        self.summary.end = self.clock
        return self.summary

    def feed(self, events: Iterable[Event], now: float | None = None, *, hold: bool = False) -> None:
        """Process events in arrival order, runs of equal timestamps as one batch (with
        :attr:`window_s`, runs of events less than that after the batch's first).

        An event stamped before the clock (a late arrival) is processed at
        the clock's time, as a live system does; with ``now``, an event
        stamped after it (a fast clock at the source) is processed at ``now``.

        With ``hold``, the last run of equal timestamps is kept (:attr:`held`)
        rather than processed: the next call may bring more events of that
        time, which belong in the same batch. Fed in pieces with ``hold``, the
        stepper then makes exactly the batches (and the alerts) one call with
        every event makes; :meth:`flush`, :meth:`advance` and an event of
        another time process what is held.
        """
        batch: list[Event] = self.held
        self.held = []
        for event in events:
            if now is not None and event.t > now:
                event = replace(event, t=now)
            self.summary.events += 1
            self.summary.events_by_kind[type(event).__name__] += 1
            if self.on_progress is not None:
                self.on_progress(1)
            if batch and event.t != batch[0].t and not event.t < batch[0].t + self.window_s:
                self._flush(batch)
                batch = []
            if self.clock is not None and event.t < self.clock:
                self.summary.late_events += 1
                event = replace(event, t=self.clock)
            batch.append(event)
            if self.on_event is not None:
                self.on_event(event)
        if hold:
            self.held = batch
        elif batch:
            self._flush(batch)

    def flush(self) -> None:
        """Process the events held by :meth:`feed` with ``hold``."""
        if self.held:
            batch, self.held = self.held, []
            self._flush(batch)

    def advance(self, t: float) -> None:
        """Let time pass up to ``t``: the clock ticks every :data:`TICK_S` on its grid, onto ``t`` at most."""
        self.flush()
        self._tick_until(t, inclusive=True)

    def set_clock(self, t: float) -> None:
        """Move the clock to ``t`` without ticking (it never goes back): restored state, operator actions."""
        if self.clock is None or t > self.clock:
            self.clock = t

    def emit(self, out: StepOutput) -> None:
        """Send a step's outputs to the sinks, counting them in the summary."""
        for event, reason in out.rejected:
            self.summary.rejected[reason.split(":")[0]] += 1
            if self.on_rejected is not None:
                self.on_rejected(event, reason)
        for alert in out.alerts:
            self.count_alert(alert)
            self.on_alert(alert)
        for state in out.tracks:
            self.summary.tracks.add(state.track)
            if self.on_track is not None:
                self.on_track(state)

    def count_alert(self, alert: Alert) -> None:
        """Count an alert sent (by the pipeline, or by an operator between steps)."""
        self.summary.alerts += 1
        if alert.action == "alert":
            self.summary.episodes += 1

    def _flush(self, batch: list[Event]) -> None:
        t = batch[0].t
        if self.summary.start is None:
            self.summary.start = t
        self._tick_until(t, inclusive=False)
        self.emit(self.pipeline.process(batch))
        # A window's batch is processed at its latest time (Pipeline.process); so the clock.
        self.clock = max(e.t for e in batch) if self.window_s else t

    def _tick_until(self, t: float, inclusive: bool) -> None:
        """Tick the clock on towards ``t`` (up to it, or onto it when ``inclusive``).

        At most :data:`RUN_ON_S` of ticks: past that nothing is left to clear
        or drop, and the clock jumps to ``t`` (the next event sets it there;
        when ``inclusive``, a last tick on the grid just before ``t`` does).
        """
        if self.clock is None:
            return
        tick = self.clock + TICK_S
        last = self.clock + RUN_ON_S
        while tick < t or (inclusive and tick <= t):
            if tick > last:
                self.summary.gaps_jumped += 1
                if inclusive:
                    tick += TICK_S * math.floor((t - tick) / TICK_S)
                    self.emit(self.pipeline.advance(tick))
                    self.clock = tick
                return
            self.emit(self.pipeline.advance(tick))
            self.clock = tick
            tick += TICK_S
