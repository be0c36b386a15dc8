"""A small cluster for the tests of operator actions and region runs: engine processes (the drill's
:class:`~nadhir.service.drill.Cluster`), the console role as an app in the test's process, and the
region's stream, which the test feeds itself (as intake would), so that it knows the stream up to each
action and can compute what one process makes of the same stream (:func:`one_process`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cluster_helpers import NatsServer, free_port
from fastapi.testclient import TestClient

from nadhir.bus import InProcessBus
from nadhir.bus.jetstream import JetStreamBus
from nadhir.domain import Alert, Event, TrackState
from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.service.app import create_app
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.drill import Cluster, region_status, remove_names
from nadhir.service.feed import ALERTS, TRACKS
from nadhir.service.live import LiveCore
from nadhir.service.settings import RegionSpec, Settings, token_spec
from nadhir.service.stream_wire import clock_bytes, event_bytes, message_id
from nadhir.store import Store
from nadhir.store.audit import AuditBook
from nadhir.store.outbox_models import OutboxAlertRow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from service_helpers import TOKENS, auth

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-basic"
OPERATOR = dict(auth("operator"), **{"Content-Type": "application/json"})
SITE = "sarmada"  # its first alert (T8) opens 793 s into the scenario
OPEN_AT_S = 800.0
REGION = "all"


@dataclass
class Rig:
    """One cluster: engine processes, a console app in this process, the stream to feed."""

    nats: NatsServer
    db: str
    names: ClusterNames
    bus: JetStreamBus
    cluster: Cluster
    scenario: Scenario
    events: list[Event]
    settings: Settings

    def start_engine(self, name: str) -> int:
        return self.cluster.start(name, "engine", free_port()).pid

    def feed(self, events: list[Event]) -> int:
        """Publish events to the region's stream; the last sequence. (The outbox, in the order stored.)"""
        seq = 0
        for event in events:
            data = event_bytes(event)
            seq = self.bus.publish(self.names.events(REGION), data, msg_id=f"{REGION}:{message_id(data)}").seq
        return seq

    def clock(self, t: float) -> int:
        ack = self.bus.publish(self.names.events(REGION), clock_bytes(t), headers={KIND_HEADER: "clock"},
                               msg_id=f"test-clock-{t!r}")  # fmt: skip
        return ack.seq

    def status(self, region: str = REGION) -> dict[str, Any] | None:
        return region_status(self.bus, self.names, region)

    def wait_active(
        self, not_pid: int | None = None, timeout: float = 60.0, region: str = REGION
    ) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            status = self.status(region)
            if status is None or status.get("since") is None or status.get("pid") == not_pid:
                return None
            return status if time.time() - float(status["at"]) < 2.0 else None

        return wait(ready, timeout, "an active engine", self.cluster)

    def wait_processed(self, seq: int, timeout: float = 60.0) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            status = self.status()
            if status is None or int(status.get("seq", 0)) < seq or status.get("unstored_alerts"):
                return None
            return status if time.time() - float(status["at"]) < 2.0 else None

        return wait(done, timeout, f"the engine to process sequence {seq}", self.cluster)

    def console(self) -> TestClient:
        return TestClient(create_app(self.settings, roles=frozenset({"console"})))

    def outbox(self, site: str) -> list[tuple[float, str, str, str | None]]:
        engine = sa.create_engine(self.db, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                a = OutboxAlertRow
                rows = conn.execute(
                    sa.select(a.t, a.action, a.level, a.track).where(a.site == site).order_by(a.id)
                ).all()
        finally:
            engine.dispose()
        return [(_posix(t), action, level, track) for t, action, level, track in rows]

    def audit(self) -> list[Any]:
        engine = sa.create_engine(self.db, poolclass=sa.pool.NullPool)
        try:
            return list(reversed(AuditBook(engine).recent(100)))
        finally:
            engine.dispose()


def _posix(t: Any) -> float:
    return float((t if t.tzinfo is not None else t.replace(tzinfo=UTC)).timestamp())


def wait(check: Any, timeout: float, what: str, cluster: Cluster) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        for name, proc in cluster.procs.items():
            if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                pytest.fail(f"{name} exited ({proc.returncode}):\n{cluster.log_tail(name)}")
        out = check()
        if out:
            return out
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {n} ---\n{cluster.log_tail(n)}" for n in cluster.procs)
            pytest.fail(f"not in time: {what}\n{tails}")
        time.sleep(0.05)


@contextmanager
def make_rig(
    nats: NatsServer, pg_url: str, tmp_path: Path, regions: tuple[RegionSpec, ...] = (), extra_toml: str = ""
) -> Iterator[Rig]:
    """The rig of one test (see the module); its processes stopped and its NATS names removed after.
    ``extra_toml``: more settings for the processes (the in-process console's are the test's to add)."""
    names = ClusterNames(f"ops{uuid.uuid4().hex[:6]}")
    Store.open(pg_url).close()  # the tables, before the processes race to make them
    toml = tmp_path / "settings.toml"
    # Snapshots far apart: a successor must take the actions up from the stream, not a snapshot. No
    # clock records: the stream's time is the events', as the expected run below assumes.
    toml.write_text(
        f"scenario = {json.dumps(str(SCENARIO))}\ndb = {json.dumps(pg_url)}\nnats = {json.dumps(nats.url)}\n"
        f"nats_prefix = {json.dumps(names.prefix)}\n"
        "lease_s = 2.0\nsnapshot_s = 600.0\nidle_clock_s = 3600.0\n" + extra_toml
        + "".join(f"[[regions]]\nid = {json.dumps(r.id)}\nsites = {json.dumps(list(r.sites))}\n"
                  f"halo_km = {r.halo_km}\n" for r in regions)
    )  # fmt: skip
    env = dict(os.environ)
    env.pop("NADHIR_SETTINGS", None)
    env.pop("NADHIR_DB", None)
    tokens = tuple(token_spec(role, subject, secret) for role, (subject, secret) in TOKENS.items())
    settings = Settings(scenario=SCENARIO, db=pg_url, nats=nats.url, nats_prefix=names.prefix, tokens=tokens,
                        regions=regions)  # fmt: skip
    bus = JetStreamBus.connect(nats.url)
    names.ensure_streams(bus)
    cluster = Cluster(tmp_path, toml, env, bus, names)
    scenario = load_scenario(SCENARIO)
    events = [e for _, e in scenario.events()]
    try:
        yield Rig(nats, pg_url, names, bus, cluster, scenario, events, settings)
    finally:
        cluster.stop()
        remove_names(bus, names)
        bus.close()


def until(events: list[Event], seconds: float) -> tuple[list[Event], list[Event]]:
    t0 = events[0].t
    cut = next(i for i, e in enumerate(events) if e.t - t0 > seconds)
    return events[:cut], events[cut:]


def one_process(
    scenario: Scenario, before: list[Event], after: list[Event], end: float,
    action: str | Callable[[LiveCore], object] | None,
) -> tuple[list[Alert], list[TrackState]]:  # fmt: skip
    """What one engine makes of the same stream, the action (by the operator at SITE, or any done to
    the core) between the parts."""
    bus = InProcessBus()
    alerts = bus.subscribe(ALERTS, maxsize=100_000)
    tracks = bus.subscribe(TRACKS, maxsize=1_000_000)
    core = LiveCore(build_pipeline(scenario, None, sites=list(scenario.sites)), bus, scenario.reporters)
    core.feed_stream(before)
    if callable(action):
        action(core)
    elif action is not None:
        core.operator_action(action, SITE, "operator:olga", max(e.t for e in before))
    core.feed_stream(after)
    core.tick(end)
    return alerts.drain(), tracks.drain()


def view(alerts: list[Alert], site: str) -> list[tuple[float, str, str, str | None]]:
    return [(a.t, a.action, a.level, a.track) for a in alerts if a.site == site]
