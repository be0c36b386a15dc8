"""Operator actions in the cluster: the console role asks, the region's active engine (a process of
its own) carries them out at their place in the stream and answers; a standby that takes over after
a kill -9 derives them again; with no engine, the console answers 503 and audits the failure.

Against a nats-server of the test's own and a fresh PostgreSQL database (see conftest.py). Events
are published straight into the region's stream (as intake does), so that the test knows the stream
up to each action, and can compute what one process would have done with the same stream.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cluster_helpers import NatsServer, free_port
from fastapi.testclient import TestClient

from nadhir.bus import InProcessBus
from nadhir.bus.jetstream import JetStreamBus
from nadhir.domain import Alert, Event
from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.service.app import create_app
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.drill import Cluster, region_status, remove_names
from nadhir.service.feed import ALERTS
from nadhir.service.live import LiveCore
from nadhir.service.settings import Settings, token_spec
from nadhir.service.stream_actions import read_reply
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

    def status(self) -> dict[str, Any] | None:
        return region_status(self.bus, self.names, REGION)

    def wait_active(self, not_pid: int | None = None, timeout: float = 60.0) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            status = self.status()
            if status is None or status.get("since") is None or status.get("pid") == not_pid:
                return None
            return status if time.time() - float(status["at"]) < 2.0 else None

        return _wait(ready, timeout, "an active engine", self.cluster)

    def wait_processed(self, seq: int, timeout: float = 60.0) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            status = self.status()
            if status is None or int(status.get("seq", 0)) < seq or status.get("unstored_alerts"):
                return None
            return status if time.time() - float(status["at"]) < 2.0 else None

        return _wait(done, timeout, f"the engine to process sequence {seq}", self.cluster)

    def console(self) -> TestClient:
        return TestClient(create_app(self.settings, roles=frozenset({"console"})))

    def outbox(self, site: str) -> list[tuple[float, str, str, str | None]]:
        engine = sa.create_engine(self.db, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                a = OutboxAlertRow
                rows = conn.execute(select_alerts(a).where(a.site == site).order_by(a.id)).all()
        finally:
            engine.dispose()
        return [(_posix(t), action, level, track) for t, action, level, track in rows]

    def audit(self) -> list[Any]:
        engine = sa.create_engine(self.db, poolclass=sa.pool.NullPool)
        try:
            return list(reversed(AuditBook(engine).recent(100)))
        finally:
            engine.dispose()


def select_alerts(a: type[OutboxAlertRow]) -> sa.Select[Any]:
    return sa.select(a.t, a.action, a.level, a.track)


def _posix(t: Any) -> float:
    from datetime import UTC

    return float((t if t.tzinfo is not None else t.replace(tzinfo=UTC)).timestamp())


def _wait(check: Any, timeout: float, what: str, cluster: Cluster) -> Any:
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


@pytest.fixture
def rig(nats: NatsServer, pg_url: str, tmp_path: Path) -> Iterator[Rig]:
    names = ClusterNames(f"ops{uuid.uuid4().hex[:6]}")
    Store.open(pg_url).close()  # the tables, before the processes race to make them
    toml = tmp_path / "settings.toml"
    # Snapshots far apart: a successor must take the actions up from the stream, not a snapshot. No
    # clock records: the stream's time is the events', as the expected run below assumes.
    toml.write_text(
        f"scenario = {json.dumps(str(SCENARIO))}\ndb = {json.dumps(pg_url)}\nnats = {json.dumps(nats.url)}\n"
        f"nats_prefix = {json.dumps(names.prefix)}\n"
        "lease_s = 2.0\nsnapshot_s = 600.0\nidle_clock_s = 3600.0\n"
    )  # fmt: skip
    env = dict(os.environ)
    env.pop("NADHIR_SETTINGS", None)
    env.pop("NADHIR_DB", None)
    tokens = tuple(token_spec(role, subject, secret) for role, (subject, secret) in TOKENS.items())
    settings = Settings(scenario=SCENARIO, db=pg_url, nats=nats.url, nats_prefix=names.prefix, tokens=tokens)
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


def _until(events: list[Event], seconds: float) -> tuple[list[Event], list[Event]]:
    t0 = events[0].t
    cut = next(i for i, e in enumerate(events) if e.t - t0 > seconds)
    return events[:cut], events[cut:]


def _one_process(scenario: Scenario, before: list[Event], after: list[Event], end: float,
                 action: str | None) -> list[Alert]:  # fmt: skip
    """What one engine makes of the same stream, the action (by the operator) between the parts."""
    bus = InProcessBus()
    alerts = bus.subscribe(ALERTS, maxsize=100_000)
    core = LiveCore(build_pipeline(scenario, None, sites=list(scenario.sites)), bus, scenario.reporters)
    core.feed_stream(before)
    if action is not None:
        core.operator_action(action, SITE, "operator:olga", max(e.t for e in before))
    core.feed_stream(after)
    core.tick(end)
    return alerts.drain()


def _view(alerts: list[Alert], site: str) -> list[tuple[float, str, str, str | None]]:
    return [(a.t, a.action, a.level, a.track) for a in alerts if a.site == site]


def test_confirm_and_cancel_through_the_console_reach_the_engine(rig: Rig) -> None:
    rig.start_engine("engine-0")
    rig.wait_active()
    before, _ = _until(rig.events, OPEN_AT_S)
    rig.wait_processed(rig.feed(before))
    with rig.console() as client:
        confirmed = client.post(f"/api/v1/operator/sites/{SITE}/confirm", headers=OPERATOR,
                                content=json.dumps({"note": "seen from the roof"}))  # fmt: skip
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        assert (body["action"], body["site"], body["by"]) == ("confirm", SITE, "operator:olga")
        assert body["t"] == max(e.t for e in before)  # the region's time: the stream's
        (update,) = body["alerts"]
        assert (update["action"], update["site"], update["confidence"]) == ("update", SITE, 1.0)
        assert update["site_name"] == "Sarmada"

        cancelled = client.post(f"/api/v1/operator/sites/{SITE}/cancel", headers=OPERATOR)
        assert cancelled.status_code == 200, cancelled.text
        assert [(a["action"], a["site"]) for a in cancelled.json()["alerts"]] == [("all_clear", SITE)]

        again = client.post(f"/api/v1/operator/sites/{SITE}/cancel", headers=OPERATOR)
        assert again.status_code == 409 and "no alert" in again.json()["detail"]
        unknown = client.post("/api/v1/operator/sites/atlantis/confirm", headers=OPERATOR)
        assert unknown.status_code == 404

        # The console mirrors the engine's operator log from the feed.
        def logged() -> bool:
            log = client.get("/api/v1/operator/log", headers=auth("viewer")).json()
            return [e["action"] for e in log if e["site"] == SITE] == ["confirm", "cancel"]

        _wait(logged, 10.0, "the operator log on the console", rig.cluster)

    stored = rig.outbox(SITE)
    assert [(action, level) for _, action, level, _ in stored] == [
        ("alert", "early"), ("update", "early"), ("all_clear", "early")
    ]  # fmt: skip
    rows = [(r.action, r.target, r.result) for r in rig.audit()]
    assert rows == [("confirm", SITE, "accepted"), ("cancel", SITE, "accepted"), ("cancel", SITE, "refused"),
                    ("confirm", "atlantis", "refused")]  # fmt: skip
    accepted = rig.audit()[0]
    assert accepted.who == "operator:olga" and accepted.detail["note"] == "seen from the roof"
    assert accepted.detail["alerts"][0]["action"] == "update"


def test_a_cancel_survives_a_kill_9_of_the_active_engine(rig: Rig) -> None:
    first = rig.start_engine("engine-0")
    rig.wait_active()
    rig.start_engine("engine-1")
    before, after = _until(rig.events, OPEN_AT_S)
    rig.wait_processed(rig.feed(before))
    with rig.console() as client:
        cancelled = client.post(f"/api/v1/operator/sites/{SITE}/cancel", headers=OPERATOR)
        assert cancelled.status_code == 200, cancelled.text
    assert int(rig.status()["snapshot_seq"]) < len(before)  # type: ignore[index]  # not in a snapshot
    os.kill(first, signal.SIGKILL)
    successor = rig.wait_active(not_pid=first)
    assert successor["pid"] != first
    end = rig.events[-1].t + 1800.0
    rig.feed(after)
    rig.wait_processed(rig.clock(end), timeout=120.0)

    expected = _view(_one_process(rig.scenario, before, after, end, "cancel"), SITE)
    without = _view(_one_process(rig.scenario, before, after, end, None), SITE)
    assert expected != without  # the cancel changes what follows at the site: the test can fail
    assert rig.outbox(SITE) == expected
    # The successor applied the action again without answering it again, nor auditing it twice.
    assert [(r.action, r.result) for r in rig.audit()] == [("cancel", "accepted")]


def test_an_action_no_engine_answers_is_refused_503_audited_and_never_applied_later(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nadhir.service.api.operator as operator_api

    monkeypatch.setattr(operator_api, "ACTION_TIMEOUT_S", 1.0)
    with rig.console() as client:
        started = time.monotonic()
        answer = client.post(f"/api/v1/operator/sites/{SITE}/alert", headers=OPERATOR,
                             content=json.dumps({"level": "imminent", "note": "drill"}))  # fmt: skip
        waited = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert "no engine" in answer.json()["detail"] and "retry-after" in {k.lower() for k in answer.headers}
    assert waited < 5.0
    (row,) = rig.audit()
    assert (row.action, row.target, row.result, row.detail["status"]) == ("alert", SITE, "failed", 503)
    # An engine that comes later reads the action in the stream, finds it expired, and skips it.
    rig.start_engine("engine-0")
    rig.wait_active()
    rig.wait_processed(rig.bus.last_seq(rig.names.events_stream))
    assert rig.outbox(SITE) == []
    assert int(rig.status()["actions"]) == 0  # type: ignore[index]
    keys = rig.bus.kv(rig.names.actions)
    (state,) = {read_reply(keys, k)["state"] for k in _keys(rig)}  # type: ignore[index]
    assert state == "expired"


def _keys(rig: Rig) -> list[str]:
    """The keys of the actions bucket (one action here)."""
    import asyncio

    import nats

    async def go() -> list[str]:
        nc = await nats.connect(rig.nats.url)
        try:
            kv = await nc.jetstream().key_value(rig.names.actions)
            return list(await kv.keys())
        finally:
            await nc.close()

    return asyncio.run(go())
