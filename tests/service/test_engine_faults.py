"""An engine that cannot die quietly: bad operator input is refused at the edge, a failing step is
quarantined, a stopped engine is said so everywhere and restarted, and no NaN reaches the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, TOKENS, auth, wait_for

from nadhir.domain import Event, Report
from nadhir.engine.pipeline import StepOutput
from nadhir.service import live
from nadhir.service.clock import ManualClock
from nadhir.service.feed import FEED, FeedMessage

ALERT = "/api/v1/operator/sites/{}/alert"


def health(client: TestClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/api/v1/health").json()
    return data


def raw_alert(client: TestClient, site: str, body: str) -> Any:
    headers = {**auth("operator"), "Content-Type": "application/json"}
    return client.post(ALERT.format(site), content=body.encode(), headers=headers)


def test_bad_manual_arrival_times_are_refused_and_the_engine_goes_on(
    client: TestClient, clock: ManualClock
) -> None:
    # A report starts the engine's clock (the pipeline's time begins with its first input).
    report = {"text": "helicopter over Saraqeb heading north", "aircraft": "helicopter", "place": "Saraqeb"}
    assert client.post("/api/v1/intake/reports", json=report, headers=auth("observer")).status_code == 202
    wait_for(lambda: health(client)["now"] is not None)
    # Milliseconds (JavaScript's Date.now()), NaN, infinities, seconds from now, a year ahead.
    bad = [
        f'{{"eta_s": {T0 * 1000 + 120_000:.0f}}}',
        '{"eta_s": NaN}',
        '{"eta_s": Infinity}',
        '{"eta_s": -Infinity}',
        '{"eta_s": 1e400}',
        '{"eta_s": 300}',
        f'{{"eta_s": {T0 + 366 * 86400:.0f}}}',
        f'{{"eta_s": {T0 - 3600:.0f}}}',
    ]
    for body in bad:
        response = raw_alert(client, "saraqeb", body)
        assert response.status_code == 422, (body, response.text)
        assert "eta_s" in response.json()["detail"], response.text
    # Nothing was raised, and the engine's clock keeps moving as time passes.
    assert client.get("/api/v1/sites/saraqeb", headers=auth("viewer")).json()["status"]["level"] is None
    before = health(client)
    assert before["status"] == "ok"
    for _ in range(4):
        clock.t += 10.0
        wait_for(lambda: (health(client)["now"] or 0.0) >= clock.t - 5.0)
    after = health(client)
    assert after["status"] == "ok" and after["now"] > before["now"]
    # A good arrival time (a little in the past is fine: the form took a moment) still raises the alert.
    good = client.post(ALERT.format("saraqeb"), json={"eta_s": clock.t - 20}, headers=auth("operator"))
    assert good.status_code == 200, good.text
    assert [a["level"] for a in good.json()["alerts"]] == ["imminent"]


def report(text: str) -> dict[str, Any]:
    return {"text": text, "aircraft": "helicopter", "place": "Saraqeb"}


def test_a_batch_that_raises_is_quarantined_and_the_engine_goes_on(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    pipeline = svc.engine.core.pipeline
    process = pipeline.process

    def fragile(batch: list[Event]) -> StepOutput:
        if any(isinstance(e, Report) and e.text == "poison" for e in batch):
            raise RuntimeError("the pipeline choked")
        return process(batch)

    monkeypatch.setattr(pipeline, "process", fragile)
    monkeypatch.setattr(live, "DEGRADED_WINDOW_S", 2.0)
    feed = svc.bus.subscribe(FEED, maxsize=10_000)
    told: list[str] = []

    def said(status: str) -> bool:
        told.extend(m.data["status"] for m in feed.drain() if m.type == "engine")
        return status in told

    assert (
        client.post("/api/v1/intake/reports", json=report("poison"), headers=auth("observer")).status_code
        == 202
    )
    wait_for(lambda: stats(client)["quarantined"] == 1)
    # The engine goes on: the next report is processed and stored, nothing restarted. Health and the
    # feed say it is degraded (some input was not processed), and which step was set aside.
    assert (
        client.post("/api/v1/intake/reports", json=report("helicopter"), headers=auth("observer")).status_code
        == 202
    )
    wait_for(lambda: stats(client)["stored_events"] == 1)
    state = health(client)
    assert state["status"] == "degraded" and state["quarantined"] == 1, state
    assert "1 step(s) set aside" in state["reason"] and "the pipeline choked" in state["reason"]
    assert stats(client)["restarts"] == 0
    assert client.get("/readyz").status_code == 200  # it still serves
    # None set aside in the window: ok again, and the feed is told both.
    wait_for(lambda: health(client)["status"] == "ok", timeout=10.0)
    wait_for(lambda: said("ok"))
    assert told == ["degraded", "ok"]
    # The operator finds the batch, its event and the traceback.
    assert client.get("/api/v1/admin/quarantine", headers=auth("viewer")).status_code == 403
    [row] = client.get("/api/v1/admin/quarantine", headers=auth("operator")).json()
    assert row["kind"] == "batch" and row["run_id"] == svc.run_id
    assert "RuntimeError: the pipeline choked" in row["error"] and "fragile" in row["traceback"]
    assert [(i["kind"], i["text"]) for i in row["items"]] == [("report", "poison")]


def stats(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/admin/stats", headers=auth("admin"))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_a_stopped_engine_is_said_so_refuses_intake_and_is_restarted(
    client: TestClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    monkeypatch.setattr(live, "MAX_FAILED_STEPS_IN_A_ROW", 2)
    svc.supervisor.delay_s = 3600.0  # hold the restart while the stopped state is looked at
    broken = svc.engine.core

    def tick(now: float) -> None:
        raise MemoryError("the core is broken")

    monkeypatch.setattr(broken, "tick", tick)
    with client.websocket_connect("/api/v1/live") as ws:
        ws.send_text(json.dumps({"token": TOKENS["viewer"][1]}))
        assert ws.receive_json()["data"]["engine"]["status"] == "ok"
        statuses = []
        message = ws.receive_json()
        while message["type"] != "engine" or message["data"]["status"] != "stopped":
            if message["type"] == "engine":
                statuses.append(message["data"]["status"])
            message = ws.receive_json()
        assert statuses == ["degraded"]  # the first failed tick; the second stops it
        assert "MemoryError" in message["data"]["reason"]
        state = health(client)
        assert state["status"] == "stopped" and "the core is broken" in state["reason"]
        refused = client.post("/api/v1/intake/reports", json=report("helicopter"), headers=auth("observer"))
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1, refused.text
        assert "stopped" in refused.json()["detail"]
        busy = client.post("/api/v1/operator/sites/dana/alert", headers=auth("operator"))
        assert busy.status_code == 503 and "Retry-After" in busy.headers
        # The supervisor restarts it with a fresh core; the feed says so and sends the new state.
        svc.supervisor.delay_s = 0.0
        svc.supervisor.wake()
        message = ws.receive_json()
        while message["type"] != "engine":
            message = ws.receive_json()
        assert message["data"] == {"status": "ok", "reason": None, "restarts": 1, "quarantined": 2}
        assert ws.receive_json()["type"] == "snapshot"
    assert svc.engine.core is not broken
    assert health(client)["status"] == "ok" and health(client)["restarts"] == 1
    assert (
        client.post("/api/v1/intake/reports", json=report("helicopter"), headers=auth("observer")).status_code
        == 202
    )
    wait_for(lambda: stats(client)["stored_events"] == 1)
    clock.t += 30.0
    wait_for(lambda: (health(client)["now"] or 0.0) >= clock.t - 5.0)
    assert len(client.get("/api/v1/admin/quarantine", headers=auth("admin")).json()) == 2


def test_feed_messages_that_are_not_json_are_not_sent(client: TestClient) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    with client.websocket_connect("/api/v1/live") as ws:
        ws.send_text(json.dumps({"token": TOKENS["viewer"][1]}))
        assert ws.receive_json()["type"] == "snapshot"
        svc.bus.publish(FEED, FeedMessage("operator", {"eta_s": float("nan")}, "*"))
        svc.bus.publish(FEED, FeedMessage("operator", {"eta_s": 1.0}, "*"))
        text = ws.receive_text()
        assert "NaN" not in text and json.loads(text)["data"] == {"eta_s": 1.0}
    assert stats(client)["wire_errors"] == 1
