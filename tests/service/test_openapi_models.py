"""The OpenAPI document after the split of the app into routers: the same operations, each typed.

``OPERATIONS`` was captured from the app as it stood before the split (one ``app.py`` that
registered every route through closures): the split must neither add nor lose nor rename one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_helpers import make_settings

from nadhir.service.app import create_app

# (method, path, operationId, success status), from the app before the split, SMS intake on.
OPERATIONS = {
    ("GET", "/api/v1/admin/quarantine", "quarantine_api_v1_admin_quarantine_get", 200),
    ("GET", "/api/v1/admin/stats", "stats_api_v1_admin_stats_get", 200),
    ("GET", "/api/v1/alerts", "alerts_api_v1_alerts_get", 200),
    ("GET", "/api/v1/basemap", "basemap_api_v1_basemap_get", 200),
    ("GET", "/api/v1/health", "health_api_v1_health_get", 200),
    ("POST", "/api/v1/intake/acoustic", "intake_api_v1_intake_acoustic_post", 202),
    ("POST", "/api/v1/intake/cap", "cap_intake_api_v1_intake_cap_post", 200),
    ("POST", "/api/v1/intake/impacts", "intake_api_v1_intake_impacts_post", 202),
    ("POST", "/api/v1/intake/reports", "intake_api_v1_intake_reports_post", 202),
    ("POST", "/api/v1/intake/sms", "intake_sms_api_v1_intake_sms_post", 202),
    ("GET", "/api/v1/kiosk/{site}", "kiosk_api_v1_kiosk__site__get", 200),
    ("GET", "/api/v1/kiosk/{site}/sse", "kiosk_sse_api_v1_kiosk__site__sse_get", 200),
    ("GET", "/api/v1/live/sse", "live_sse_api_v1_live_sse_get", 200),
    ("GET", "/api/v1/observers", "observers_api_v1_observers_get", 200),
    ("GET", "/api/v1/operator/log", "operator_log_api_v1_operator_log_get", 200),
    (
        "POST",
        "/api/v1/operator/sites/{site}/alert",
        "manual_alert_api_v1_operator_sites__site__alert_post",
        200,
    ),
    ("POST", "/api/v1/operator/sites/{site}/cancel", "cancel_api_v1_operator_sites__site__cancel_post", 200),
    (
        "POST",
        "/api/v1/operator/sites/{site}/confirm",
        "confirm_api_v1_operator_sites__site__confirm_post",
        200,
    ),
    (
        "POST",
        "/api/v1/operator/sites/{site}/test-alarm",
        "test_alarm_api_v1_operator_sites__site__test_alarm_post",
        200,
    ),
    ("GET", "/api/v1/operator/test-alarms", "test_alarms_api_v1_operator_test_alarms_get", 200),
    ("POST", "/api/v1/operator/test-alarms", "schedule_api_v1_operator_test_alarms_post", 201),
    (
        "POST",
        "/api/v1/operator/test-alarms/{key}/cancel",
        "cancel_alarm_api_v1_operator_test_alarms__key__cancel_post",
        200,
    ),
    ("GET", "/api/v1/runs", "runs_api_v1_runs_get", 200),
    ("GET", "/api/v1/runs/{run_id}", "run_detail_api_v1_runs__run_id__get", 200),
    ("GET", "/api/v1/sensors", "sensors_api_v1_sensors_get", 200),
    ("GET", "/api/v1/sites", "sites_api_v1_sites_get", 200),
    ("GET", "/api/v1/sites/{site}", "site_api_v1_sites__site__get", 200),
    ("GET", "/api/v1/subscriptions", "subscriptions_api_v1_subscriptions_get", 200),
    ("POST", "/api/v1/subscriptions", "subscribe_api_v1_subscriptions_post", 201),
    ("DELETE", "/api/v1/subscriptions/{sub_id}", "unsubscribe_api_v1_subscriptions__sub_id__delete", 204),
    ("GET", "/api/v1/tracks", "tracks_api_v1_tracks_get", 200),
}
# Added since, each on purpose (issue 15: cancel a track everywhere with an undo window, the audit trail).
OPERATIONS |= {
    (
        "POST",
        "/api/v1/operator/tracks/{track}/cancel",
        "cancel_track_api_v1_operator_tracks__track__cancel_post",
        202,
    ),
    ("POST", "/api/v1/operator/held/{held_id}/undo", "undo_api_v1_operator_held__held_id__undo_post", 200),
    ("GET", "/api/v1/operator/held", "held_api_v1_operator_held_get", 200),
    ("GET", "/api/v1/operator/audit", "audit_api_v1_operator_audit_get", 200),
}
# Issue 18: health facilities' status.
OPERATIONS |= {
    ("GET", "/api/v1/health/facilities", "facilities_api_v1_health_facilities_get", 200),
    ("GET", "/api/v1/health/facilities/{facility}", "facility_api_v1_health_facilities__facility__get", 200),
    (
        "GET",
        "/api/v1/health/facilities/{facility}/history",
        "history_api_v1_health_facilities__facility__history_get",
        200,
    ),
    (
        "POST",
        "/api/v1/health/facilities/{facility}/status",
        "update_status_api_v1_health_facilities__facility__status_post",
        201,
    ),
}
# Issue 18: the register of attacks on health care.
OPERATIONS |= {
    ("GET", "/api/v1/health/attacks", "list_attacks_api_v1_health_attacks_get", 200),
    ("POST", "/api/v1/health/attacks", "create_attack_api_v1_health_attacks_post", 201),
    ("GET", "/api/v1/health/attacks/{attack_id}", "get_attack_api_v1_health_attacks__attack_id__get", 200),
    (
        "PATCH",
        "/api/v1/health/attacks/{attack_id}",
        "complete_attack_api_v1_health_attacks__attack_id__patch",
        200,
    ),
    (
        "POST",
        "/api/v1/health/attacks/{attack_id}/review",
        "review_attack_api_v1_health_attacks__attack_id__review_post",
        200,
    ),
}

# Issue 19: mothers' and newborns' outcomes (health role).
OPERATIONS |= {
    ("POST", "/api/v1/outcomes/reports", "keep_reports_api_v1_outcomes_reports_post", 201),
    ("GET", "/api/v1/outcomes/reports", "reports_api_v1_outcomes_reports_get", 200),
    ("GET", "/api/v1/outcomes/facilities", "facilities_api_v1_outcomes_facilities_get", 200),
    (
        "GET",
        "/api/v1/outcomes/series/{facility_id}",
        "facility_series_api_v1_outcomes_series__facility_id__get",
        200,
    ),
    ("GET", "/api/v1/outcomes/alarms", "alarms_api_v1_outcomes_alarms_get", 200),
    (
        "POST",
        "/api/v1/outcomes/alarms/{alarm_id}/review",
        "review_api_v1_outcomes_alarms__alarm_id__review_post",
        200,
    ),
    (
        "GET",
        "/api/v1/outcomes/alarms/{alarm_id}/cap",
        "alarm_cap_api_v1_outcomes_alarms__alarm_id__cap_get",
        200,
    ),
    ("POST", "/api/v1/outcomes/scan", "scan_api_v1_outcomes_scan_post", 200),
}
# Issue 20: displacement sites' figures and gaps.
OPERATIONS |= {
    ("GET", "/api/v1/shelters", "shelters_api_v1_shelters_get", 200),
    (
        "GET",
        "/api/v1/shelters/{site_id}/history",
        "shelter_history_api_v1_shelters__site_id__history_get",
        200,
    ),
    ("POST", "/api/v1/shelters/{site_id}/updates", "post_update_api_v1_shelters__site_id__updates_post", 201),
    (
        "GET",
        "/api/v1/shelters/{site_id}/arrivals",
        "shelter_arrivals_api_v1_shelters__site_id__arrivals_get",
        200,
    ),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    tmp = tmp_path_factory.mktemp("openapi")
    return create_app(make_settings(tmp, sms_secret="s3cret", sms_numbers={"+963900000001": "obs-field-16"}))


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m.upper(), p): op for p, ops in doc["paths"].items() for m, op in ops.items()}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.removeprefix("#/components/schemas/")
    resolved: dict[str, Any] = doc["components"]["schemas"][name]
    return resolved


def test_the_operations_are_those_of_the_app_before_the_split(app: FastAPI) -> None:
    doc = app.openapi()
    found = set()
    for (method, path), op in _operations(doc).items():
        success = [int(code) for code in op["responses"] if code.startswith("2")]
        assert len(success) == 1, (method, path, success)
        found.add((method, path, op["operationId"], success[0]))
    assert found == OPERATIONS


def test_every_json_answer_has_a_model_with_properties(app: FastAPI) -> None:
    doc = app.openapi()
    untyped = []
    for (method, path), op in _operations(doc).items():
        for code, response in op["responses"].items():
            if not code.startswith("2"):
                continue
            content = response.get("content", {})
            if code == "204" or "text/event-stream" in content or "application/cap+xml" in content:
                assert "application/json" not in content, (method, path)
                continue
            schema = content.get("application/json", {}).get("schema", {})
            if schema.get("type") == "array":
                schema = schema.get("items", {})
            if "$ref" not in schema or not _resolve(doc, schema).get("properties"):
                untyped.append(f"{method} {path}")
    assert untyped == []


def test_a_wrong_method_names_every_method_of_the_path(tmp_path: Path) -> None:
    # The routes live in routers now; the 405 must still see all of them (GET and POST here).
    with TestClient(create_app(make_settings(tmp_path))) as client:
        answer = client.put("/api/v1/subscriptions")
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET, POST"
        assert answer.json() == {"detail": "Method Not Allowed"}


def test_the_base_map_is_sent_as_the_file_has_it(tmp_path: Path) -> None:
    # Typed in the document, but the answer keeps every member of the GeoJSON, in its order.
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as client:
        answer = client.get("/api/v1/basemap")
    assert answer.status_code == 200
    assert list(answer.json()) == list(app.state.service.region.basemap)
    assert answer.json() == app.state.service.region.basemap
