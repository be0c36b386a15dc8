"""SMS and Telegram intake wired into the live service: their reports reach the same engine."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from service_helpers import make_settings, wait_for

from nadhir.service.api.sms import sign
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock


def test_signed_sms_from_a_registered_number_reaches_the_engine(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path, sms_secret="s3cret", sms_numbers={"+963933000001": "obs-saraqeb-1"})
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        engine = app.state.service.engine
        before = engine.stats.accepted
        body = json.dumps({"from": "+963933000001", "text": "طيران حربي فوق سراقب متجه شمالا"}).encode()
        ok = client.post(
            "/api/v1/intake/sms",
            content=body,
            headers={"Content-Type": "application/json", "X-Nadhir-Signature": sign("s3cret", body)},
        )
        assert ok.status_code == 202, ok.text
        assert ok.json()["reporter"] == "obs-saraqeb-1"
        wait_for(lambda: engine.stats.accepted == before + 1)
        forged = client.post(
            "/api/v1/intake/sms",
            content=body,
            headers={"Content-Type": "application/json", "X-Nadhir-Signature": "0" * 64},
        )
        assert forged.status_code == 401
        assert engine.stats.accepted == before + 1


def test_without_an_sms_secret_there_is_no_sms_endpoint(tmp_path: Path, clock: ManualClock) -> None:
    with TestClient(create_app(make_settings(tmp_path), clock=clock)) as client:
        assert client.post("/api/v1/intake/sms", json={"from": "+1", "text": "x"}).status_code == 404
