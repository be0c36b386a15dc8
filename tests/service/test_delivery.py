"""The live service's alerts reach the durable outbox, and with a broker the sirens (real Mosquitto)."""

from __future__ import annotations

import logging
import math
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_helpers import T0, auth, make_settings, wait_for

from nadhir.alerting.cap import CapArea, CapInfo, CapMessage, to_xml
from nadhir.bus.inprocess import InProcessBus
from nadhir.delivery.outbox import Outbox
from nadhir.domain import Alert, Site
from nadhir.service import live
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock, ScaledClock
from nadhir.service.delivery import AlertDelivery
from nadhir.service.feed import ALERTS
from nadhir.store import default_url
from nadhir_siren.protocol import SirenCommand, parse_line
from services import require_service, skip_or_fail

SITE, SIREN = "saraqeb", "siren-saraqeb-1"


def _raise_imminent(client: TestClient) -> None:
    raised = client.post(
        f"/api/v1/operator/sites/{SITE}/alert",
        json={"level": "imminent", "aircraft": "jet", "note": "test"},
        headers=auth("operator"),
    )
    assert raised.status_code == 200, raised.text


def test_every_alert_is_stored_with_its_siren_deliveries_before_any_send(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, clock=clock)) as client:
        _raise_imminent(client)
        outbox = Outbox.open(str(settings.db))
        try:
            wait_for(lambda: any(d.target == SIREN for d in outbox.deliveries()))
            sirens = [d for d in outbox.deliveries() if d.channel == "siren"]
        finally:
            outbox.close()
    assert [d.target for d in sirens] == [SIREN]
    assert sirens[0].attempts == 0  # stored; no broker configured, so nothing was sent


def test_imminent_alert_reaches_the_sirens_command_topic(tmp_path: Path) -> None:
    require_service("mqtt", "127.0.0.1", 1883)
    if shutil.which("mosquitto_sub") is None:
        skip_or_fail("mosquitto_sub not installed (apt-get install mosquitto-clients)")
    topic = f"nadhir/sirens/{SIREN}/cmd"
    listener = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            "1883",
            "-q",
            "1",
            "-v",
            "-t",
            topic,
            "-C",
            "1",
            "-W",
            "30",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)  # let the independent client subscribe
        settings = make_settings(tmp_path, sirens_broker="127.0.0.1:1883")
        # A manual clock at today's time, so that the alert's time is a real one.
        with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
            _raise_imminent(client)
            out, _ = listener.communicate(timeout=30)
    finally:
        listener.kill()
    assert out.startswith(topic + " CMD"), out
    assert "imminent" in out


# ---- nothing lost between the policy and the outbox ------------------------------------------

SITES = [Site("saraqeb", "Saraqeb", "town", 35.8622, 36.8006, 2000.0, sirens=(SIREN,))]


def _sirens_stored(outbox: Outbox) -> list[str]:
    return [d.key for d in outbox.deliveries(channel="siren")]


def test_alerts_with_arrival_times_out_of_range_reach_the_outbox_with_their_sirens(tmp_path: Path) -> None:
    # The policy opens these alerts (the arrival times came from an operator or another system);
    # CAP, texts and the outbox's rows raised on them, and the alerts were stored nowhere.
    bus = InProcessBus()
    delivery = AlertDelivery(bus, ALERTS, SITES, default_url(tmp_path / "d.sqlite3"))
    delivery.start()
    try:
        now = time.time()
        etas = [253_402_300_799.0, 1e20, math.inf, math.nan, 1.7e12]  # year 9999 .. eta_s in ms
        for k, eta in enumerate(etas):
            bus.publish(ALERTS, Alert(now + k, "alert", "saraqeb", "imminent", "jet", eta, 0.9, None))
        wait_for(lambda: len(_sirens_stored(delivery.outbox)) == len(etas))
        health = delivery.health()
    finally:
        delivery.stop()
    assert health["stored"] == len(etas)
    assert health["unstored"] == health["store_failures"] == health["plan_failures"] == 0
    assert health["cap_failures"] == 0  # each went with its CAP message too


def test_an_alert_the_store_refuses_is_kept_and_stored_when_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bus = InProcessBus()
    delivery = AlertDelivery(bus, ALERTS, SITES, default_url(tmp_path / "d.sqlite3"), retry_s=0.2)
    real = delivery.outbox.store_alert
    failures = iter(range(3))

    def flaky(*args: Any, **kwargs: Any) -> int:
        if next(failures, None) is not None:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(delivery.outbox, "store_alert", flaky)
    delivery.start()
    try:
        now = time.time()
        with caplog.at_level(logging.ERROR):
            bus.publish(ALERTS, Alert(now, "alert", "saraqeb", "imminent", "jet", now + 60, 0.9, None))
            bus.publish(ALERTS, Alert(now + 5, "all_clear", "saraqeb", "imminent", "jet", None, 0.9, None))
            wait_for(lambda: len(_sirens_stored(delivery.outbox)) == 2)
        keys = _sirens_stored(delivery.outbox)
        health = delivery.health()
    finally:
        delivery.stop()
    # Stored in order, the all-clear's command planned from the first attempt (the episode had
    # sounded the sirens): a retry does the work the failed attempt did not.
    assert [k[:3] for k in keys] == ["ale", "all"]
    assert health["store_failures"] == 3 and health["unstored"] == 0 and health["stored"] == 2
    assert sum("could not store" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR) == 3


def test_an_operator_alert_that_fails_is_rolled_back_and_the_retry_sends_it(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    real = live.alert_message
    failures = iter(range(1))

    def fails_once(alert: Alert) -> dict[str, Any]:
        if next(failures, None) is not None:
            raise ValueError("the feed could not write this alert")
        return real(alert)

    monkeypatch.setattr(live, "alert_message", fails_once)
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        body = {"level": "imminent", "aircraft": "jet"}
        first = client.post(f"/api/v1/operator/sites/{SITE}/alert", json=body, headers=auth("operator"))
        assert first.status_code == 500
        # The policy's decision was undone: the retry opens the episode and its alert goes out.
        retry = client.post(f"/api/v1/operator/sites/{SITE}/alert", json=body, headers=auth("operator"))
        assert retry.status_code == 200, retry.text
        assert [(a["action"], a["level"]) for a in retry.json()["alerts"]] == [("alert", "imminent")]
        outbox = Outbox.open(str(settings.db))
        try:
            wait_for(lambda: [d.target for d in outbox.deliveries(channel="siren")] == [SIREN])
        finally:
            outbox.close()
        delivery = client.get("/api/v1/health").json()["delivery"]
    assert delivery["rolled_back"] == 1 and delivery["stored"] == 1 and delivery["unstored"] == 0


def _foreign_cap(ident: str) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    box = ((35.84, 36.78), (35.84, 36.82), (35.88, 36.82), (35.88, 36.78), (35.84, 36.78))
    info = CapInfo(
        language="en-US", categories=("Security",), event="Air raid", urgency="Immediate", severity="Extreme",
        certainty="Likely", onset=now + timedelta(minutes=4), expires=now + timedelta(minutes=30),
        headline="Air raid warning", areas=(CapArea("Saraqeb", polygons=(box,)),),
    )  # fmt: skip
    return to_xml(CapMessage(identifier=ident, sender="warnings@civdef.example", sent=now, status="Actual",
                             msg_type="Alert", scope="Public", infos=(info,)))  # fmt: skip


def test_a_cap_message_resent_after_a_failure_is_read_in_not_called_a_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, clock=ManualClock(time.time()))
    with TestClient(app, raise_server_exceptions=False) as client:
        core = app.state.service.engine.core
        real = core.operator_action
        failures = iter(range(1))

        def fails_once(*args: Any, **kwargs: Any) -> list[Alert]:
            if next(failures, None) is not None:
                raise RuntimeError("the engine failed on this one")
            return real(*args, **kwargs)

        monkeypatch.setattr(core, "operator_action", fails_once)
        body = _foreign_cap("civdef-2026-0042")
        headers = {**auth("operator"), "Content-Type": "application/cap+xml"}
        assert client.post("/api/v1/intake/cap", content=body, headers=headers).status_code == 500
        again = client.post("/api/v1/intake/cap", content=body, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json()["duplicate"] is False and again.json()["alerts"]
        # Now it has been read in: a third copy is the duplicate.
        third = client.post("/api/v1/intake/cap", content=body, headers=headers)
        assert third.json()["duplicate"] is True


def test_demo_deliveries_are_valid_in_wall_time(tmp_path: Path) -> None:
    # The demo's alerts carry the scenario's scaled time (May 2025); sirens and the dispatcher keep
    # wall time. Commands were stamped in the one and checked in the other: all expired unsent.
    scenario_t = T0 + 3600.0
    bus = InProcessBus()
    delivery = AlertDelivery(
        bus, ALERTS, SITES, default_url(tmp_path / "d.sqlite3"), service_clock=ScaledClock(scenario_t, 300.0)
    )
    try:
        delivery.store(Alert(scenario_t, "alert", "saraqeb", "imminent", "jet", scenario_t + 120, 0.9, None))
        claimed = delivery.outbox.claim(channels=["siren"])
    finally:
        delivery.stop()
    assert [d.target for d in claimed] == [SIREN]  # due, not "expired before delivery"
    cmd = parse_line(claimed[0].payload)
    assert isinstance(cmd, SirenCommand) and abs(cmd.issued - time.time()) < 60 and cmd.expires > time.time()
