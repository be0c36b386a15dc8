"""A scheduled siren test does not sound where a real alert is open: the service holds it back, says so
in its health, its log and the delivery's audit trail, and does not tell that site's kiosks; the other
sites of the same test sound as planned. With real sirens on Mosquitto, and without a broker (the case
of a separate siren worker, which knows nothing of the alerts)."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import auth, make_settings
from test_sirens_service import (  # the MQTT test kit, which that module puts on the path
    SirenProcess,
    Subscriber,
    region_with_sirens,
    require_mosquitto,
    unique,
    wait_for,
)

from nadhir.delivery.outbox import Outbox
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.feed import FEED

UNDER, QUIET = "saraqeb", "binnish"


def _schedule_then_alert(client: TestClient, at: float) -> str:
    """A test scheduled while all is quiet; then a real alert opens at one of its sites before its hour."""
    made = client.post("/api/v1/operator/test-alarms", headers=auth("operator"),
                       json={"sites": [UNDER, QUIET], "at": str(at), "duration_s": 2})  # fmt: skip
    assert made.status_code == 201, made.text
    body = {"level": "imminent", "aircraft": "jet"}
    raised = client.post(f"/api/v1/operator/sites/{UNDER}/alert", json=body, headers=auth("operator"))
    assert raised.status_code == 200, raised.text
    return str(made.json()["key"])


def test_a_scheduled_test_is_held_back_where_a_real_alert_is_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)  # no broker: the siren commands wait in the outbox for a worker
    caplog.set_level(logging.WARNING, logger="nadhir.service.delivery")
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        feed = client.app.state.service.bus.subscribe(FEED, maxsize=10_000)  # type: ignore[attr-defined]
        at = time.time() + 3.0
        key = _schedule_then_alert(client, at)
        outbox = Outbox.open(str(settings.db))
        try:
            under_sirens = {d.target for d in outbox.deliveries(prefix=key + "-", channel="siren")
                            if d.target.startswith("siren-saraqeb")}  # fmt: skip
            assert under_sirens
            wait_for(lambda: {d.state for d in outbox.deliveries(prefix=key + "-", channel="siren")
                              if d.target in under_sirens} == {"cancelled"})  # fmt: skip
            sirens = outbox.deliveries(prefix=key + "-", channel="siren")
            wait_for(lambda: time.time() > at + 1.5)  # its hour has come and gone
            health = client.get("/api/v1/health").json()["delivery"]
            tests = [m for m in feed.drain() if m.type == "test_alarm"]
        finally:
            outbox.close()
    held = [d for d in sirens if d.target in under_sirens]
    assert all(d.last_error == f"test not sounded: a real alert is open at {UNDER} (imminent)" for d in held)
    # Binnish's sirens keep their test (a worker would send it), and only its kiosks are told.
    assert {d.state for d in sirens if d.target not in under_sirens} == {"pending"}
    assert [m.site for m in tests] == [QUIET]
    assert health["tests_held"] == len(held)
    said = [r.getMessage() for r in caplog.records]
    assert any(f"test alarm {key} not sounded at {UNDER}: a real imminent alert is open" in m for m in said)
    assert sum("held back" in m for m in said) == len(held)


def test_a_real_siren_plays_the_warning_and_never_the_test(tmp_path: Path) -> None:
    require_mosquitto()
    root, siren_id = f"{unique('nadhir-test')}/sirens", unique("siren-sq")
    settings = replace(
        make_settings(tmp_path),
        scenario=region_with_sirens(tmp_path / "region", UNDER, [siren_id]),
        sirens_broker="127.0.0.1:1883",
        sirens_topic_root=root,
    )
    siren = SirenProcess(siren_id, root, tmp_path).start()
    watcher = Subscriber(f"{root}/#", tmp_path / "watch.log")
    try:
        wait_for(lambda: any("ONLINE" in line for line in watcher.lines()), 15, "the siren to come online")
        with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
            at = time.time() + 3.0
            key = _schedule_then_alert(client, at)
            wait_for(lambda: siren.plays() != [], 20, "the warning to sound")
            outbox = Outbox.open(str(settings.db))
            try:
                held = f"{key}-{siren_id}"
                wait_for(lambda: [d.state for d in outbox.deliveries(prefix=held)] == ["cancelled"], 10,
                         "the test to be held back")  # fmt: skip
            finally:
                outbox.close()
            time.sleep(max(0.0, at + 2.0 - time.time()))
            health = client.get("/api/v1/health").json()["delivery"]
    finally:
        siren.terminate()
        watcher.close()
    assert {pattern for pattern, _ in siren.plays()} == {"imminent"}
    assert not any(" p=test " in line for line in watcher.matching(f"{siren_id}/cmd"))
    assert health["tests_held"] == 1


def test_a_test_asked_for_now_at_a_site_under_alert_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(time.time()))) as client:
        body = {"level": "imminent", "aircraft": "jet"}
        raised = client.post(f"/api/v1/operator/sites/{UNDER}/alert", json=body, headers=auth("operator"))
        assert raised.status_code == 200, raised.text
        now = {"sites": [UNDER, QUIET], "at": str(time.time() + 5), "duration_s": 2}
        refused = client.post("/api/v1/operator/test-alarms", headers=auth("operator"), json=now)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == f"no test alarm while a real alert is open: {UNDER} (imminent)"
        # Elsewhere, or later (it is held back at its hour if the alert is still open then): scheduled.
        quiet = {"sites": [QUIET], "at": str(time.time() + 5), "duration_s": 2}
        assert (
            client.post("/api/v1/operator/test-alarms", headers=auth("operator"), json=quiet).status_code
            == 201
        )
        later = {"sites": [UNDER], "at": str(time.time() + 3600), "duration_s": 2}
        assert (
            client.post("/api/v1/operator/test-alarms", headers=auth("operator"), json=later).status_code
            == 201
        )
