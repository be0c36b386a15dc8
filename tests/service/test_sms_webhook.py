"""The SMS-gateway webhook on a small app, driven with FastAPI's TestClient."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nadhir.domain import Report
from nadhir.service.api.sms import PATH, SIGNATURE_HEADER, normalise_number, sign, sms_router
from nadhir.service.live import EngineBusy

SECRET = "gateway-shared-secret-0123456789"
NUMBERS = {"+963 933 000 001": "obs-3", "00963933000002": "obs-4"}
NOW = 1_700_000_000.0


@pytest.fixture
def setup() -> tuple[TestClient, list[Report]]:
    got: list[Report] = []
    app = FastAPI()
    app.include_router(sms_router(got.append, SECRET, NUMBERS, clock=lambda: NOW))
    return TestClient(app), got


def post_json(
    client: TestClient, obj: object, secret: str = SECRET, prefix: str = ""
) -> tuple[int, dict[str, str]]:
    body = json.dumps(obj, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: prefix + sign(secret, body)}
    r = client.post(PATH, content=body, headers=headers)
    return r.status_code, r.json()


def test_good_signature_json_accepted(setup: tuple[TestClient, list[Report]]) -> None:
    client, got = setup
    status, body = post_json(
        client, {"from": "+963933000001", "text": " مروحية فوق أريحا ", "timestamp": NOW - 5}
    )
    assert status == 202, body
    assert body["reporter"] == "obs-3"
    assert got == [Report(t=NOW - 5, reporter="obs-3", channel="sms", text="مروحية فوق أريحا")]


def test_good_signature_form_accepted(setup: tuple[TestClient, list[Report]]) -> None:
    client, got = setup
    body = urlencode({"from": "+963933000002", "text": "jet over Saraqib heading north"}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: "sha256=" + sign(SECRET, body),
    }
    r = client.post(PATH, content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert got == [Report(t=NOW, reporter="obs-4", channel="sms", text="jet over Saraqib heading north")]


def test_iso_and_millisecond_timestamps(setup: tuple[TestClient, list[Report]]) -> None:
    client, got = setup
    assert (
        post_json(client, {"from": "+963933000001", "text": "a", "timestamp": "2023-11-14T22:13:10Z"})[0]
        == 202
    )
    assert (
        post_json(client, {"from": "+963933000001", "text": "b", "timestamp": int(NOW * 1000) - 1000})[0]
        == 202
    )
    assert [r.t for r in got] == [NOW - 10, NOW - 1]
    assert post_json(client, {"from": "+963933000001", "text": "c", "timestamp": "yesterday"})[0] == 422
    assert post_json(client, {"from": "+963933000001", "text": "d", "timestamp": NOW + 3600})[0] == 422
    assert len(got) == 2


def test_bad_signature_401(setup: tuple[TestClient, list[Report]]) -> None:
    client, got = setup
    status, body = post_json(client, {"from": "+963933000001", "text": "jet"}, secret="wrong-secret")
    assert status == 401
    assert SIGNATURE_HEADER in body["detail"]
    r = client.post(PATH, json={"from": "+963933000001", "text": "jet"})  # no signature at all
    assert r.status_code == 401
    # A signature over another body does not pass either.
    good = sign(SECRET, b'{"from": "+963933000001", "text": "jet"}')
    r = client.post(
        PATH, content=b'{"from": "+963933000001", "text": "jets"}', headers={SIGNATURE_HEADER: good}
    )
    assert r.status_code == 401
    assert got == []


def test_unknown_number_403(setup: tuple[TestClient, list[Report]]) -> None:
    client, got = setup
    status, body = post_json(client, {"from": "+963999999999", "text": "jet over Idlib"})
    assert status == 403
    assert "+963999999999" in body["detail"] and "not registered" in body["detail"]
    assert got == []


def test_empty_text_422(setup: tuple[TestClient, list[Report]]) -> None:
    client, got = setup
    assert post_json(client, {"from": "+963933000001", "text": "   "})[0] == 422
    assert post_json(client, {"from": "+963933000001"})[0] == 422
    assert post_json(client, {"text": "jet"})[0] == 422
    assert got == []


def test_busy_engine_503() -> None:
    def busy(report: Report) -> None:
        raise EngineBusy("full")

    app = FastAPI()
    app.include_router(sms_router(busy, SECRET, NUMBERS))
    status, _ = post_json(TestClient(app), {"from": "+963933000001", "text": "jet"})
    assert status == 503


def test_normalise_number() -> None:
    assert normalise_number("00963 933-000 001") == "+963933000001"
    assert normalise_number("+963 (933) 000001") == "+963933000001"
    assert normalise_number("0933000001") == "0933000001"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b'{"from": "+963933000001", "text": "jet", "timestamp": NaN}', 422, "NaN"),
        (b'{"from": "+963933000001", "text": "jet", "timestamp": 1e400}', 422, "1e400"),
        (b'{"from": "+963933000001", "text": "jet", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", 422, "nested"),
        (b'{"from": "+963933000001", "text": "jet"', 400, "not JSON"),
    ],
    ids=["nan", "1e400", "nested", "not-json"],
)
def test_signed_json_that_breaks_a_rule_gets_4xx(
    setup: tuple[TestClient, list[Report]], body: bytes, status: int, words: str
) -> None:
    client, got = setup
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(SECRET, body)}
    r = TestClient(client.app, raise_server_exceptions=False).post(PATH, content=body, headers=headers)
    assert r.status_code == status and words in r.json()["detail"], r.text
    assert got == []


def test_field_report_taken_by_its_reader_with_a_reply() -> None:
    from intake.fuel_reader import FuelReader
    from nadhir.intake.field_reports import FieldReports

    got: list[Report] = []
    reader = FuelReader({"obs-3": "hosp-idlib-maternity"})
    app = FastAPI()
    app.include_router(
        sms_router(got.append, SECRET, NUMBERS, clock=lambda: NOW, field_reports=FieldReports([reader]))
    )
    client = TestClient(app)
    status, body = post_json(client, {"from": "+963933000001", "text": "fuel 2 days"})
    assert status == 202, body
    assert body["kind"] == "fuel" and body["reply"] == "hosp-idlib-maternity: fuel 2 days recorded"
    status, body = post_json(client, {"from": "+963933000001", "text": "fuel lots"})
    assert status == 422 and "fuel <days>" in body["reply"]
    status, body = post_json(client, {"from": "+963933000001", "text": "jet over Saraqib heading north"})
    assert status == 202 and body["kind"] == "sighting"
    assert reader.kept == [("hosp-idlib-maternity", 2, NOW)]
    assert [r.text for r in got] == ["jet over Saraqib heading north"]
