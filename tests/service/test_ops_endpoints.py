"""``/healthz``, ``/readyz`` (the checks the started workers contribute) and ``/metrics`` (scraped
and parsed: the values move with what the service does; a real siren on Mosquitto acknowledges)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from service_helpers import auth, make_settings, wait_for

from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.metrics import Metrics

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from mqtt_kit import PORT, SirenProcess, require_mosquitto, unique

SITE, SIREN = "saraqeb", "siren-saraqeb-1"


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(answer.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def report(t: float) -> dict[str, object]:
    return {"kind": "report", "text": "طيران حربي فوق سراقب"}


def test_healthz_and_readyz_list_the_checks_of_the_started_workers(
    client: TestClient, clock: ManualClock
) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert {c["name"]: c["ok"] for c in ready.json()["checks"]} == {
        "service": True, "store": True, "delivery": True, "engine": True, "facility status": True,
    }  # fmt: skip
    assert client.get("/api/v1/health").json()["status"] == "ok"  # the existing one still answers
    svc = client.app.state.service  # type: ignore[attr-defined]
    svc.supervisor.delay_s = 3600.0  # hold the restart: the engine stays stopped while looked at
    svc.engine.stop()
    wait_for(lambda: client.get("/readyz").status_code == 503)
    checks = {c["name"]: c for c in client.get("/readyz").json()["checks"]}
    assert checks["engine"]["ok"] is False and "stopped" in checks["engine"]["reason"]
    assert checks["store"]["ok"] and checks["delivery"]["ok"]
    assert client.get("/healthz").status_code == 200  # alive, not ready


def test_a_process_without_delivery_reports_no_delivery_check(tmp_path: Path, clock: ManualClock) -> None:
    with TestClient(create_app(make_settings(tmp_path, outbox=False), clock=clock)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        names = [c["name"] for c in ready.json()["checks"]]
        assert names == ["service", "store", "engine", "facility status"]
        scraped = scrape(client)
        assert ("nadhir_outbox_deliveries", (("state", "pending"),)) not in scraped
        # Every check of /readyz is a metric too, so an alert rule sees a stopped part.
        for name in names:
            assert value(scraped, "nadhir_worker_ready", worker=name) == 1


def test_metrics_move_with_intake_alerts_deliveries_and_sirens(tmp_path: Path, clock: ManualClock) -> None:
    require_mosquitto()
    root = f"{unique('ops')}/sirens"
    siren = SirenProcess(SIREN, root, tmp_path, heartbeat=0.3, port=PORT).start()
    settings = make_settings(tmp_path, sirens_broker=f"127.0.0.1:{PORT}", sirens_topic_root=root,
                             siren_silent_after_s=2.0)  # fmt: skip
    try:
        with TestClient(create_app(settings, clock=clock)) as client:
            before = scrape(client)
            assert value(before, "nadhir_events_accepted_total") == 0
            assert value(before, "nadhir_outbox_deliveries", state="pending") == 0
            assert value(before, "nadhir_engine_queue_depth") == 0
            ok = client.post("/api/v1/intake/reports", json=report(clock.t), headers=auth("observer"))
            assert ok.status_code == 202, ok.text
            bad = client.post("/api/v1/intake/reports", json={"kind": "acoustic"}, headers=auth("observer"))
            assert bad.status_code == 422
            raised = client.post(f"/api/v1/operator/sites/{SITE}/alert",
                                 json={"level": "imminent", "aircraft": "jet", "note": "test"},
                                 headers=auth("operator"))  # fmt: skip
            assert raised.status_code == 200, raised.text

            def acked() -> bool:
                s = scrape(client)
                return value(s, "nadhir_outbox_deliveries", state="acked") >= 1 and value(
                    s, "nadhir_alert_latency_seconds_count", stage="delivered") >= 1  # fmt: skip

            wait_for(acked, timeout=30)
            wait_for(lambda: value(scrape(client), "nadhir_sirens", state="faulty") > 0, timeout=30)
            after = scrape(client)
            assert value(after, "nadhir_events_accepted_total") == 1
            assert value(after, "nadhir_events_rejected_total", reason="intake_422") == 1
            assert value(after, "nadhir_alert_latency_seconds_count", stage="stored") >= 1
            assert value(after, "nadhir_sirens", state="online") == 1  # the one siren that runs
            assert value(after, "nadhir_sirens", state="offline") == 0
            # Every other siren of the region was never heard: connected as far as we know, silent.
            svc = client.app.state.service  # type: ignore[attr-defined]
            assert value(after, "nadhir_sirens", state="faulty") == len(svc.delivery.fleet.sirens) - 1
            assert all(v == 1 for (n, _), v in after.items() if n == "nadhir_metrics_source_up")
            # The engine role's hook: the consumer's lag, as it sets it.
            svc.metrics.set_consumer_lag(42, stream="EVENTS", consumer="engine-a")
            lag = value(scrape(client), "nadhir_consumer_lag_messages", stream="EVENTS", consumer="engine-a")
            assert lag == 42
    finally:
        siren.kill()


def test_a_failing_source_is_shown_down_and_the_scrape_still_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()

    def broken() -> dict[str, int]:
        raise ConnectionError("database gone")

    metrics.watch_outbox(broken)
    metrics.watch_sirens(lambda: {"online": 3, "offline": 1, "faulty": 0})
    metrics.watch_readiness(lambda: {"engine": True, "telegram": False})
    text = metrics.render().decode()
    assert 'nadhir_worker_ready{worker="telegram"} 0.0' in text
    assert 'nadhir_worker_ready{worker="engine"} 1.0' in text
    assert 'nadhir_metrics_source_up{source="outbox"} 0.0' in text
    assert 'nadhir_metrics_source_up{source="sirens"} 1.0' in text
    assert 'nadhir_sirens{state="online"} 3.0' in text
    assert "nadhir_outbox_deliveries" not in text  # no made-up zero
    assert "database gone" in caplog.text
