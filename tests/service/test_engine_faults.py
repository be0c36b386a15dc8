"""An engine that cannot die quietly: bad operator input is refused at the edge, a failing step is
quarantined, a stopped engine is said so everywhere and restarted, and no NaN reaches the wire."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from service_helpers import T0, auth, wait_for

from nadhir.service.live import ManualClock

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
