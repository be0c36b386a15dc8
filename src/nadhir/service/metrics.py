"""Prometheus metrics of one service process, in its own registry (no global default registry).

::

    metrics = Metrics()
    metrics.set_consumer_lag(1234, stream="EVENTS", consumer="engine-north")   # the engine role's hook
    metrics.observe_latency("stored", 0.08)                                     # event time -> stored
    metrics.watch_outbox(outbox.counts)                                         # read at each scrape
    body = metrics.render()                                                     # what /metrics serves

Two kinds of value. Those that happen (an alert stored, a delivery acknowledged, the consumer's lag
read from JetStream) are pushed in by whoever sees them: :meth:`Metrics.observe_latency`,
:meth:`Metrics.set_consumer_lag`. Those that are state somewhere else (the outbox's depth, the
siren fleet, the engine's queue and counts) are read from it at each scrape, through the sources
the running workers register (:meth:`Metrics.watch_outbox` and the like), so that a number on the
page is never a stale copy. A source that fails is logged and shown as
``nadhir_metrics_source_up{source=...} 0``: the scrape itself never fails, and a broken source
never looks like a zero.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from nadhir.delivery.states import DeliveryState

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

DELIVERY_STATES: tuple[DeliveryState, ...] = ("pending", "sent", "acked", "failed", "expired", "cancelled")
SIREN_STATES = ("online", "offline", "faulty")
# Seconds from an alert's time to its being stored, and to a delivery's acknowledgement: a siren
# should sound within seconds; a bucket up to ten minutes shows a backlog for what it is.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

Counts = Callable[[], Mapping[str, int]]
Number = Callable[[], float]


class Metrics:
    """The metrics of one process: its registry, the values pushed in, and the sources read at scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.consumer_lag = Gauge(
            "nadhir_consumer_lag_messages",
            "Messages the engine's durable consumer has not yet processed (set by the engine role).",
            ["stream", "consumer"],
            registry=self.registry,
        )
        self.alert_latency = Histogram(
            "nadhir_alert_latency_seconds",
            "Seconds from an alert's time (the event that caused it) to a stage: 'stored' in the "
            "outbox (siren commands), 'delivered' (a delivery acknowledged).",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self._outbox: Counts | None = None
        self._sirens: Counts | None = None
        self._queue: Number | None = None
        self._accepted: Number | None = None
        self._rejected: Counts | None = None
        self._lag: Callable[[], Mapping[str, float]] | None = None
        self._lag_stream = "events"
        self._ready: Callable[[], Mapping[str, bool]] | None = None
        self.registry.register(_Sources(self))

    # ---- pushed in ----------------------------------------------------------------------------

    def set_consumer_lag(self, lag: float, *, stream: str = "events", consumer: str = "engine") -> None:
        """The engine role's hook: how far its consumer is behind the stream (messages)."""
        self.consumer_lag.labels(stream=stream, consumer=consumer).set(lag)

    def observe_latency(self, stage: str, seconds: float) -> None:
        """One alert reached ``stage`` (``stored`` or ``delivered``) ``seconds`` after its time."""
        self.alert_latency.labels(stage=stage).observe(max(0.0, seconds))

    # ---- read at each scrape ------------------------------------------------------------------

    def watch_outbox(self, counts: Counts | None) -> None:
        """Deliveries by state (for example :meth:`Outbox.counts`); None: no outbox in this process."""
        with self._lock:
            self._outbox = counts

    def watch_sirens(self, counts: Counts | None) -> None:
        """Sirens by health: online, offline, faulty (:meth:`SirenFleet.health`)."""
        with self._lock:
            self._sirens = counts

    def watch_engine(self, *, queue: Number | None, accepted: Number | None, rejected: Counts | None) -> None:
        """The engine's queue depth, events accepted, and events rejected by reason (intake and pipeline)."""
        with self._lock:
            self._queue, self._accepted, self._rejected = queue, accepted, rejected

    def watch_consumer_lag(
        self, lag: Callable[[], Mapping[str, float]] | None, *, stream: str = "events"
    ) -> None:
        """The engine role's regions and their consumers' lag, read at each scrape (one consumer per
        region, labelled ``engine-<region>``); None: no engine in this process."""
        with self._lock:
            self._lag, self._lag_stream = lag, stream

    def watch_readiness(self, ready: Callable[[], Mapping[str, bool]] | None) -> None:
        """Each worker's readiness as ``/readyz`` lists it (name: serves its part), so that an alert
        rule sees a stopped part (a Telegram poller, the facility status room) as health does."""
        with self._lock:
            self._ready = ready

    def render(self) -> bytes:
        """The text exposition format, as ``/metrics`` serves it (:data:`CONTENT_TYPE`)."""
        with self._lock:
            lag, stream = self._lag, self._lag_stream
        if lag is not None:
            for region, behind in lag().items():
                self.set_consumer_lag(behind, stream=stream, consumer=f"engine-{region}")
        return generate_latest(self.registry)


class _Sources(Collector):
    """Reads the registered sources at each scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Any]:
        return []  # the families vary with the sources registered; collected at each scrape

    def collect(self) -> Iterator[Any]:
        m = self.metrics
        with m._lock:
            outbox, sirens, queue = m._outbox, m._sirens, m._queue
            accepted, rejected, ready = m._accepted, m._rejected, m._ready
        up = GaugeMetricFamily("nadhir_metrics_source_up", "1 if a source of metrics answered at this "
                               "scrape, 0 if it failed (see the log).", labels=["source"])  # fmt: skip
        if outbox is not None:
            counts = _read("outbox", outbox, up)
            if counts is not None:
                g = GaugeMetricFamily("nadhir_outbox_deliveries", "Outbox deliveries by state.",
                                      labels=["state"])  # fmt: skip
                for state in sorted({*DELIVERY_STATES, *counts}):
                    g.add_metric([state], counts.get(state, 0))
                yield g
        if sirens is not None:
            counts = _read("sirens", sirens, up)
            if counts is not None:
                g = GaugeMetricFamily("nadhir_sirens", "Sirens by health: online (heard lately), offline "
                                      "(the broker delivered its last will), faulty (connected but silent).",
                                      labels=["state"])  # fmt: skip
                for state in SIREN_STATES:
                    g.add_metric([state], counts.get(state, 0))
                yield g
        if queue is not None:
            value = _read("engine_queue", queue, up)
            if value is not None:
                yield GaugeMetricFamily("nadhir_engine_queue_depth", "Events accepted and waiting for the "
                                        "engine.", value=value)  # fmt: skip
        if accepted is not None:
            value = _read("events_accepted", accepted, up)
            if value is not None:
                yield CounterMetricFamily("nadhir_events_accepted", "Events accepted for the engine.",
                                          value=value)  # fmt: skip
        if rejected is not None:
            counts = _read("events_rejected", rejected, up)
            if counts is not None:
                c = CounterMetricFamily(
                    "nadhir_events_rejected",
                    "Events refused, by where and why (intake: HTTP status; pipeline: reason).",
                    labels=["reason"],
                )
                for reason, n in sorted(counts.items()):
                    c.add_metric([reason], n)
                yield c
        if ready is not None:
            checks = _read("readiness", ready, up)
            if checks is not None:
                g = GaugeMetricFamily("nadhir_worker_ready", "1 if a worker of this process serves "
                                      "its part, 0 if not (the checks of /readyz).",
                                      labels=["worker"])  # fmt: skip
                for name, ok in sorted(checks.items()):
                    g.add_metric([name], 1.0 if ok else 0.0)
                yield g
        yield up


def _read(name: str, source: Callable[[], Any], up: GaugeMetricFamily) -> Any:
    try:
        value = source()
    except Exception:  # a scrape must answer; the failure is logged and shown as source_up 0
        log.exception("metrics source %s failed", name)
        up.add_metric([name], 0)
        return None
    up.add_metric([name], 1)
    return value
