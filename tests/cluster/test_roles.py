"""The intake and console roles as apps, against a nats-server of the test's own."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path

from cluster_helpers import NatsServer
from fastapi.testclient import TestClient

from nadhir.bus.jetstream import JetStreamBus
from nadhir.service.app import create_app
from nadhir.service.cluster_names import ClusterNames
from nadhir.service.settings import Settings, token_spec
from nadhir.service.stream_wire import event_from_bytes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from service_helpers import TOKENS, auth

ADMIN = dict(auth("admin"), **{"Content-Type": "application/json"})
DETECTION = {"t": "2025-05-02T03:02:36Z", "kind": "acoustic", "sensor": "ac-0013", "lat": 35.78572,
             "lon": 36.69623, "class": "propeller", "confidence": 0.39, "bearing_deg": 169.5,
             "bearing_sigma_deg": 8.9}  # fmt: skip


def _settings(nats: NatsServer) -> Settings:
    tokens = tuple(token_spec(role, subject, secret) for role, (subject, secret) in TOKENS.items())
    return Settings(tokens=tokens, nats=nats.url, nats_prefix="roles")


def _site_list(body: object) -> list[dict[str, object]]:
    items = body.get("sites", []) if isinstance(body, dict) else body
    assert isinstance(items, list)
    return [i.get("status", i) if isinstance(i, dict) else {} for i in items]


def _wait(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


def test_the_intake_role_stores_each_accepted_event_once_in_the_stream(nats: NatsServer) -> None:
    names = ClusterNames("roles")
    with TestClient(create_app(_settings(nats), roles=frozenset({"intake"}))) as client:
        first = client.post("/api/v1/intake/acoustic", content=json.dumps(DETECTION), headers=ADMIN)
        again = client.post("/api/v1/intake/acoustic", content=json.dumps(DETECTION), headers=ADMIN)
        bad = client.post(
            "/api/v1/intake/acoustic", content=json.dumps({**DETECTION, "lat": 95}), headers=ADMIN
        )
        assert (first.status_code, again.status_code, bad.status_code) == (202, 202, 422)
    bus = JetStreamBus.connect(nats.url)
    try:
        assert bus.last_seq(names.events_stream) == 1  # the retried post was stored once
        (msg,) = bus.reader(names.events_stream, "t", names.events("all"), start_seq=1).fetch(10, 1.0)
        event = event_from_bytes(msg.data)
        assert (event.sensor, event.bearing_deg, event.t) == ("ac-0013", 169.5, 1746154956.0)  # type: ignore[union-attr]
    finally:
        bus.close()


def test_the_intake_role_refuses_while_nats_is_away_and_takes_posts_again_after(nats: NatsServer) -> None:
    with TestClient(create_app(_settings(nats), roles=frozenset({"intake"}))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert {c["name"] for c in ready.json()["checks"]} == {"service", "nats"}  # its own workers only
        nats.kill()
        down = client.post("/api/v1/intake/acoustic", content=json.dumps(DETECTION), headers=ADMIN)
        assert down.status_code == 503 and "retry-after" in {k.lower() for k in down.headers}
        _wait(lambda: client.get("/readyz").status_code == 503)  # the role says it cannot serve
        assert "not connected to NATS" in client.get("/readyz").text
        nats.start()

        def taken() -> bool:
            answer = client.post("/api/v1/intake/acoustic", content=json.dumps(DETECTION), headers=ADMIN)
            return answer.status_code == 202

        _wait(taken, 20.0)


def test_the_console_role_shows_what_the_engines_publish(nats: NatsServer) -> None:
    names = ClusterNames("roles")
    with TestClient(create_app(_settings(nats), roles=frozenset({"console"}))) as client:
        bus = JetStreamBus.connect(nats.url)
        try:
            svc = client.app.state.service  # type: ignore[attr-defined]
            view = {**svc.engine.core.site_views["idlib"], "level": "imminent", "probability": 0.9}
            message = {"type": "site", "data": view, "site": "idlib"}
            clock = {"type": "clock", "data": {"now": 1746158400.0, "speed": 1.0}, "site": "*"}
            bus.publish_core(names.feed("north"), [json.dumps(message).encode(), json.dumps(clock).encode()])
            _wait(lambda: svc.mirror.received >= 2)
            answer = client.get("/api/v1/sites", headers=auth("viewer"))
            assert answer.status_code == 200, answer.text
            assert "imminent" in {s.get("level") for s in _site_list(answer.json())}
            assert svc.engine.core.now == 1746158400.0
            assert svc.engine.status()["status"] == "ok"
            refused = client.post("/api/v1/intake/acoustic", content=json.dumps(DETECTION), headers=ADMIN)
            assert refused.status_code == 503
        finally:
            bus.close()


def test_the_console_says_degraded_while_a_regions_active_engine_skips_steps(nats: NatsServer) -> None:
    names = ClusterNames("roles")
    with TestClient(create_app(_settings(nats), roles=frozenset({"console"}))) as client:
        bus = JetStreamBus.connect(nats.url)
        try:
            status = bus.kv(names.status)
            active = {"region": "all", "role": "active", "failed_batches": 3, "at": time.time()}
            status.put(
                "all", json.dumps({**active, "failed_lately": ["TypeError: broken by a test"]}).encode()
            )
            _wait(lambda: client.get("/api/v1/health").json()["status"] == "degraded")
            reason = client.get("/api/v1/health").json()["reason"]
            assert "region all" in reason and "broken by a test" in reason
            assert client.get("/readyz").status_code == 200  # it still serves
            with client.websocket_connect("/api/v1/live") as ws:
                ws.send_text(json.dumps({"token": TOKENS["viewer"][1]}))
                snapshot = ws.receive_json()
                assert snapshot["type"] == "snapshot"
                assert snapshot["data"]["engine"]["status"] == "degraded"
                # The active engine's record, clear again: ok, and an open page is told at once
                # (not at its next snapshot).
                status.put("all", json.dumps({**active, "failed_lately": []}).encode())
                told = _next_engine_message(ws)
                assert told["status"] == "ok"
                status.put("all", json.dumps({**active, "failed_lately": ["KeyError: again"]}).encode())
                told = _next_engine_message(ws)
                assert told["status"] == "degraded" and "again" in told["reason"]
            status.put("all", json.dumps({**active, "failed_lately": []}).encode())
            _wait(lambda: client.get("/api/v1/health").json()["status"] == "ok")
        finally:
            bus.close()


def _next_engine_message(ws: object, timeout: float = 10.0) -> dict[str, object]:
    """The next ``engine`` message on a page's feed (the feed's other messages are skipped); fails,
    rather than waits for ever, when none comes within ``timeout``."""

    def read() -> dict[str, object]:
        while True:
            message = ws.receive_json()  # type: ignore[attr-defined]
            if message["type"] == "engine":
                data: dict[str, object] = message["data"]
                return data

    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(read).result(timeout)
    except FuturesTimeout:
        ws.close()  # type: ignore[attr-defined]  # ends the blocked read
        raise AssertionError(f"no engine message on the feed within {timeout} s") from None
    finally:
        pool.shutdown(wait=False)


def test_serve_refuses_unknown_roles_and_engines_without_postgresql() -> None:
    from typer.testing import CliRunner

    from nadhir.service.cli import build_app

    runner = CliRunner()
    app = build_app("serve")
    unknown = runner.invoke(app, ["serve", "--role", "oracle"])
    assert unknown.exit_code == 2 and "unknown role" in unknown.output
    sqlite = runner.invoke(app, ["serve", "--role", "engine", "--db", "sqlite:///x.sqlite3"])
    assert sqlite.exit_code == 2 and "PostgreSQL" in sqlite.output
    demo = runner.invoke(app, ["serve", "--role", "intake", "--demo"])
    assert demo.exit_code == 2 and "--demo" in demo.output
