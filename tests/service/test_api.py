"""The HTTP API: intake, authentication and roles, rate limits, state, history, operator actions, feeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, TOKENS, auth, make_settings, wait_for
from starlette.websockets import WebSocketDisconnect

from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.settings import RateLimit, Settings, token_spec

REPORT = {
    "kind": "report",
    "text": "helicopter over Saraqeb heading north",
    "aircraft": "helicopter",
    "place": "Saraqeb",
    "heading": "N",
}


def stats(client: TestClient) -> dict[str, int]:
    response = client.get("/api/v1/admin/stats", headers=auth("admin"))
    assert response.status_code == 200
    data: dict[str, int] = response.json()
    return data


def test_health_and_openapi(client: TestClient) -> None:
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["run_id"] == 1 and health["demo"] is False
    doc = client.get("/openapi.json").json()
    for path in (
        "/api/v1/intake/reports",
        "/api/v1/intake/acoustic",
        "/api/v1/intake/impacts",
        "/api/v1/sites",
        "/api/v1/sensors",
        "/api/v1/observers",
        "/api/v1/alerts",
        "/api/v1/operator/sites/{site}/cancel",
        "/api/v1/live/sse",
    ):
        assert path in doc["paths"], path
    body = doc["paths"]["/api/v1/intake/acoustic"]["post"]["requestBody"]["content"]["application/json"]
    assert "class" in body["schema"]["properties"]


def test_observer_report_is_accepted_processed_and_stored(client: TestClient) -> None:
    response = client.post("/api/v1/intake/reports", json=REPORT, headers=auth("observer"))
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["kind"] == "report" and accepted["source"] == TOKENS["observer"][0]
    assert accepted["t"] == pytest.approx(T0)  # no t given: stamped on arrival
    wait_for(lambda: stats(client)["stored_events"] == 1)
    observers = {o["id"]: o for o in client.get("/api/v1/observers", headers=auth("viewer")).json()}
    assert observers[TOKENS["observer"][0]]["events"] == 1
    assert observers[TOKENS["observer"][0]]["health"] == "ok"


def test_sensor_detection_with_its_own_time(client: TestClient) -> None:
    event = {
        "t": "2025-05-02T03:59:50Z",
        "lat": 35.78572,
        "lon": 36.69623,
        "class": "jet",
        "confidence": 0.8,
        "bearing_deg": 170.0,
        "bearing_sigma_deg": 8.0,
    }
    response = client.post("/api/v1/intake/acoustic", json=event, headers=auth("sensor"))
    assert response.status_code == 202, response.text
    assert response.json()["t"] == pytest.approx(T0 - 10)
    wait_for(lambda: stats(client)["processed"] == 1)
    sensors = {s["id"]: s for s in client.get("/api/v1/sensors", headers=auth("viewer")).json()}
    assert sensors["ac-0013"]["lat"] == pytest.approx(35.78572)


@pytest.mark.parametrize(
    ("role", "path", "body", "status", "words"),
    [
        ("observer", "reports", {**REPORT, "reporter": "someone-else"}, 403, "not this token's source"),
        ("observer", "acoustic", {"lat": 35.0, "lon": 36.0, "class": "jet"}, 403, "may not send acoustic"),
        ("sensor", "reports", REPORT, 403, "may not send report"),
        ("viewer", "reports", REPORT, 403, "may not submit"),
        ("operator", "reports", REPORT, 403, "may not submit"),
        ("observer", "reports", {**REPORT, "kind": "impact"}, 422, "sent to the report endpoint"),
        ("observer", "reports", {**REPORT, "lat": 95.0, "lon": 36.0}, 422, "out of range"),
        ("observer", "reports", {**REPORT, "lat": 35.0}, 422, "lat and lon must come together"),
        ("observer", "reports", {**REPORT, "count": 1.5}, 422, "whole number"),
        ("observer", "reports", {**REPORT, "t": "yesterday"}, 422, "invalid report"),
        ("observer", "reports", {**REPORT, "t": "2025-05-02T05:00:00Z"}, 422, "in the future"),
        ("observer", "reports", [REPORT], 422, "JSON object"),
        ("observer", "impacts", {"kind": "impact"}, 422, "without lat/lon or place"),
        ("sensor", "acoustic", {"lon": 36.0, "class": "jet"}, 422, "lat"),
        ("admin", "acoustic", {"lat": 35.0, "lon": 36.0, "class": "jet"}, 422, "sensor is required"),
    ],
)
def test_bad_submissions_get_clear_4xx(
    client: TestClient, role: str, path: str, body: object, status: int, words: str
) -> None:
    response = client.post(f"/api/v1/intake/{path}", json=body, headers=auth(role))
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    # ... and the service goes on.
    assert client.post("/api/v1/intake/reports", json=REPORT, headers=auth("admin") | {}).status_code == 422
    ok = client.post("/api/v1/intake/impacts", json={"place": "Saraqeb"}, headers=auth("observer"))
    assert ok.status_code in (202, 429)


def test_not_json_and_too_large(client: TestClient) -> None:
    bad = client.post("/api/v1/intake/reports", content=b"{oops", headers=auth("observer"))
    assert bad.status_code == 400 and "not JSON" in bad.json()["detail"]
    huge = {**REPORT, "text": "x" * 70_000}
    big = client.post("/api/v1/intake/reports", json=huge, headers=auth("observer"))
    assert big.status_code == 413


def test_authentication_and_roles(client: TestClient) -> None:
    none = client.get("/api/v1/sites")
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/api/v1/sites", headers={"Authorization": "Bearer not-a-real-token-at-all"})
    assert wrong.status_code == 401
    assert client.get("/api/v1/sites", headers=auth("observer")).status_code == 403
    assert client.get("/api/v1/sites", headers=auth("viewer")).status_code == 200
    assert client.post("/api/v1/operator/sites/saraqeb/alert", headers=auth("viewer")).status_code == 403
    assert client.get("/api/v1/admin/stats", headers=auth("operator")).status_code == 403
    assert client.post("/api/v1/intake/reports", json=REPORT).status_code == 401


def test_rate_limit_per_source(client: TestClient) -> None:
    # The observer's bucket holds 5 (see conftest); the sixth at once is refused, others are not.
    codes = [
        client.post("/api/v1/intake/reports", json=REPORT, headers=auth("observer")).status_code
        for _ in range(6)
    ]
    assert codes == [202] * 5 + [429]
    refused = client.post("/api/v1/intake/reports", json=REPORT, headers=auth("observer"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    other = {"lat": 35.0, "lon": 36.0, "class": "jet"}
    assert client.post("/api/v1/intake/acoustic", json=other, headers=auth("sensor")).status_code == 202
    assert stats(client)["rate_limited"] == {TOKENS["observer"][0]: 2}


def test_anonymous_clients_are_slowed_down(tmp_path: Path) -> None:
    # A slow refill (one request in 10 s) so that a loaded machine's slow requests cannot earn back
    # the 10 requests past the burst: with the default 5/s, 40 requests taking 2 s never saw a 429.
    settings = make_settings(tmp_path)
    limits = dict(settings.rate_limits)
    limits["anonymous"] = RateLimit(0.1, 30)
    app = create_app(make_settings(tmp_path, rate_limits=limits), clock=ManualClock(T0))
    with TestClient(app) as client:
        codes = [client.get("/api/v1/sites").status_code for _ in range(40)]
    assert codes[0] == 401 and codes[-1] == 429


def test_sites_and_kiosk(client: TestClient) -> None:
    sites = client.get("/api/v1/sites", headers=auth("viewer")).json()
    assert len(sites) == 27
    hospital = next(s for s in sites if s["id"] == "idlib-maternity-hospital")
    assert hospital["kind"] == "hospital" and hospital["shelter_seconds"] == 300.0
    assert hospital["status"]["level"] is None
    assert client.get("/api/v1/sites/nowhere", headers=auth("viewer")).status_code == 404
    kiosk = client.get("/api/v1/kiosk/idlib-maternity-hospital")  # public
    assert kiosk.status_code == 200
    instructions = kiosk.json()["instructions"]
    assert any("Incubators" in line for line in instructions["en"])
    assert any("الحواضن" in line for line in instructions["ar"])
    town = client.get("/api/v1/kiosk/saraqeb").json()["instructions"]
    assert town["en"][0].startswith("Go to the nearest shelter")
    assert client.get("/api/v1/kiosk/nowhere").status_code == 404
    assert client.get("/kiosk/nowhere").status_code == 404


def test_operator_alert_then_cancel_sends_all_clear_and_is_in_history(client: TestClient) -> None:
    site = "saraqeb-hospital"
    raised = client.post(
        f"/api/v1/operator/sites/{site}/alert",
        json={"level": "imminent", "aircraft": "jet", "note": "seen from the roof"},
        headers=auth("operator"),
    )
    assert raised.status_code == 200, raised.text
    assert [(a["action"], a["level"]) for a in raised.json()["alerts"]] == [("alert", "imminent")]
    status = client.get(f"/api/v1/sites/{site}", headers=auth("viewer")).json()["status"]
    assert status["level"] == "imminent" and status["manual"] is True
    confirmed = client.post(f"/api/v1/operator/sites/{site}/confirm", headers=auth("operator"))
    assert confirmed.status_code == 200 and confirmed.json()["alerts"][0]["confidence"] == 1.0
    cancelled = client.post(
        f"/api/v1/operator/sites/{site}/cancel", json={"note": "false alarm"}, headers=auth("operator")
    )
    assert cancelled.status_code == 200
    assert [a["action"] for a in cancelled.json()["alerts"]] == ["all_clear"]
    again = client.post(f"/api/v1/operator/sites/{site}/cancel", headers=auth("operator"))
    assert again.status_code == 409 and "no alert" in again.json()["detail"]
    wait_for(lambda: len(client.get("/api/v1/alerts", headers=auth("viewer")).json()) == 3)
    history = client.get("/api/v1/alerts", params={"site": site}, headers=auth("viewer")).json()
    assert [a["action"] for a in history] == ["alert", "update", "all_clear"]
    log = client.get("/api/v1/operator/log", headers=auth("viewer")).json()
    assert [e["action"] for e in log] == ["alert", "confirm", "cancel"]
    assert log[0]["by"] == f"operator:{TOKENS['operator'][0]}" and log[2]["note"] == "false alarm"


def test_operator_errors(client: TestClient) -> None:
    assert client.post("/api/v1/operator/sites/atlantis/cancel", headers=auth("operator")).status_code == 404
    bad = client.post(
        "/api/v1/operator/sites/saraqeb/alert", json={"level": "panic"}, headers=auth("operator")
    )
    assert bad.status_code == 422 and "level" in bad.json()["detail"]
    past = client.post(
        "/api/v1/operator/sites/saraqeb/alert", json={"eta_s": T0 - 100}, headers=auth("operator")
    )
    assert past.status_code == 422
    extra = client.post("/api/v1/operator/sites/saraqeb/confirm", json={"what": 1}, headers=auth("operator"))
    assert extra.status_code == 422
    alarm = client.post("/api/v1/operator/sites/all/test-alarm", headers=auth("operator"))
    assert alarm.status_code == 200 and alarm.json()["alerts"] == []


def test_runs_and_history_queries(client: TestClient) -> None:
    client.post("/api/v1/operator/sites/ariha/alert", json={"level": "early"}, headers=auth("operator"))
    wait_for(lambda: len(client.get("/api/v1/alerts", headers=auth("viewer")).json()) == 1)
    runs = client.get("/api/v1/runs", headers=auth("viewer")).json()
    assert runs[-1]["live"] is True
    detail = client.get(f"/api/v1/runs/{runs[-1]['id']}", headers=auth("viewer")).json()
    assert len(detail["sites"]) == 27 and detail["alerts"][0]["site"] == "ariha"
    assert client.get("/api/v1/runs/999", headers=auth("viewer")).status_code == 404
    assert client.get("/api/v1/alerts", params={"run": 999}, headers=auth("viewer")).status_code == 404
    assert client.get("/api/v1/alerts", params={"limit": 0}, headers=auth("viewer")).status_code == 422
    assert client.get("/api/v1/alerts", params={"since": T0 + 1}, headers=auth("viewer")).json() == []


def test_websocket_feed_needs_a_token_then_streams(client: TestClient, clock: ManualClock) -> None:
    with client.websocket_connect("/api/v1/live") as ws:
        ws.send_text(json.dumps({"token": "wrong-wrong-wrong-wrong"}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4401
    with client.websocket_connect("/api/v1/live") as ws:
        ws.send_text(json.dumps({"token": TOKENS["observer"][1]}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4403
    with client.websocket_connect("/api/v1/live") as ws:
        ws.send_text(json.dumps({"token": TOKENS["viewer"][1]}))
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and len(snapshot["data"]["sites"]) == 27
        client.post("/api/v1/operator/sites/binnish/alert", json={"level": "early"}, headers=auth("operator"))
        seen = []
        while "alert" not in seen:
            message = ws.receive_json()
            seen.append(message["type"])
            if message["type"] == "alert":
                assert message["data"]["site"] == "binnish" and message["data"]["site_name_ar"] == "بنش"


def test_kiosk_sse_streams_only_its_site(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path), clock=ManualClock(T0))
    with TestClient(app) as client, client.stream("GET", "/api/v1/kiosk/dana/sse") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "event: snapshot"
        snapshot = json.loads(next(lines).removeprefix("data: "))
        assert snapshot["site"]["id"] == "dana" and snapshot["instructions"]["en"]
        client.post("/api/v1/operator/sites/ariha/alert", headers=auth("operator"))
        client.post("/api/v1/operator/sites/dana/alert", headers=auth("operator"))
        events = []
        for line in lines:
            if line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
                events.append(data)
                if data.get("action") == "alert":
                    break
        assert all(e.get("site", "dana") in ("dana", None) or e.get("id") == "dana" for e in events)
        assert events[-1]["site"] == "dana"


def test_cors_is_off_by_default_and_on_when_configured(tmp_path: Path) -> None:
    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(T0))) as client:
        response = client.options("/api/v1/sites", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    configured = make_settings(tmp_path, cors_origins=("https://example.org",))
    with TestClient(create_app(configured, clock=ManualClock(T0))) as client:
        response = client.options("/api/v1/sites", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://example.org"


def test_private_kiosk_needs_a_reader_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_kiosk=False)
    with TestClient(create_app(settings, clock=ManualClock(T0))) as client:
        assert client.get("/api/v1/kiosk/dana").status_code == 401
        assert client.get("/api/v1/kiosk/dana", headers=auth("sensor")).status_code == 403
        assert client.get("/api/v1/kiosk/dana", headers=auth("viewer")).status_code == 200
        with client.stream("GET", "/api/v1/kiosk/dana/sse", params={"token": TOKENS["viewer"][1]}) as stream:
            assert stream.status_code == 200 and next(stream.iter_lines()) == "event: snapshot"
        assert (
            client.get("/api/v1/kiosk/dana/sse", params={"token": "not-a-valid-token-x"}).status_code == 401
        )


def test_pages_are_served_from_the_package_with_a_strict_policy(client: TestClient) -> None:
    for path in ("/console/", "/kiosk/dana", "/replay/"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "http://" not in page.text and "https://" not in page.text
    basemap = client.get("/api/v1/basemap").json()
    layers = {f["properties"]["layer"] for f in basemap["features"]}
    assert {"boundary", "road", "place", "border"} <= layers


def test_nothing_lost_under_a_burst(client: TestClient) -> None:
    n = 300
    for i in range(n):
        event = {
            "sensor": f"ac-{i % 40:04d}",
            "lat": 35.9,
            "lon": 36.6,
            "class": "jet",
            "confidence": 0.5,
            "bearing_deg": (i * 7) % 360,
        }
        assert client.post("/api/v1/intake/acoustic", json=event, headers=auth("admin")).status_code == 202
    wait_for(lambda: stats(client)["stored_events"] == n)
    s = stats(client)
    assert s["accepted"] == s["processed"] == n and s["store_errors"] == 0


def test_settings_token_must_be_long(tmp_path: Path) -> None:
    from nadhir.service.settings import SettingsError

    with pytest.raises(SettingsError):
        token_spec("operator", "x", "short")
    assert Settings().cors_origins == ()
