"""``/api/v1/health/attacks``: viewers see public fields only, the health role sees and writes the
private ones, and bad input is refused with a clear 4xx that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, TOKENS, auth, make_settings

from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.settings import token_spec

URL = "/api/v1/health/attacks"
HEALTH = {"Authorization": "Bearer health-token-0123456789ab"}
PRIVATE_KEYS = {
    "facility",
    "facility_id",
    "sources",
    "narrative",
    "t",
    "links",
    "casualties",
    "weapon",
    "perpetrator",
}
PUBLIC_KEYS = {"id", "date", "country", "admin_area", "pcode", "facility_type", "attack_types", "resources",
               "killed", "injured", "certainty", "review"}  # fmt: skip
BODY: dict[str, Any] = {
    "facility": "idlib-maternity-hospital",
    "time": "2025-05-02T04:20:00Z",
    "attack_types": ["violence_with_heavy_weapons"],
    "resources": ["facility", "personnel"],
    "sources": [
        {"kind": "eyewitness", "ref": "midwife-rana", "time": "2025-05-02T05:00:00Z"},
        {"kind": "photo_video", "ref": "photo-0042"},
    ],
    "weapon": "missile",
    "casualties": {"staff": {"killed": 0, "injured": 4}, "patients": {"killed": 1, "injured": None}},
    "damage": "partially_damaged",
    "services_interrupted": ["caesarean section"],
    "interruption_days": 2,
    "narrative": "A missile hit the road outside; four of the surgeon's staff were wounded.",
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    tokens = (*(token_spec(role, subject, secret) for role, (subject, secret) in TOKENS.items()),
              token_spec("health", "hala", "health-token-0123456789ab"))  # fmt: skip
    app = create_app(make_settings(tmp_path, tokens=tokens), clock=ManualClock(T0))
    with TestClient(app) as c:
        yield c


def _create(client: TestClient, **changes: Any) -> dict[str, Any]:
    r = client.post(URL, json=BODY | changes, headers=HEALTH)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_health_role_records_an_attack_and_sees_it_whole(client: TestClient) -> None:
    made = _create(client)
    assert made["certainty"] == "confirmed"  # an eyewitness and a photograph
    assert made["review"] == "draft"
    assert (made["killed"], made["injured"]) == (1, 4)
    assert made["facility"]["name"] == "Idlib Maternity Hospital"
    assert made["sources"][0]["ref"] == "midwife-rana"
    got = client.get(f"{URL}/{made['id']}", headers=HEALTH).json()
    assert got == made
    assert set(client.get(URL, headers=HEALTH).json()[0]) >= PRIVATE_KEYS


def test_a_viewer_gets_the_public_fields_only(client: TestClient) -> None:
    made = _create(client)
    for r in (
        client.get(URL, headers=auth("viewer")),
        client.get(f"{URL}/{made['id']}", headers=auth("viewer")),
    ):
        assert r.status_code == 200
        body = r.json()
        item = body[0] if isinstance(body, list) else body
        assert set(item) == PUBLIC_KEYS
        text = r.text
        for secret in ("midwife-rana", "photo-0042", "Maternity", "missile", "surgeon", "35.93", "36.63"):
            assert secret not in text
        assert {"id", "date", "attack_types", "certainty", "killed", "injured", "review"} <= set(item)
    assert client.get(URL, headers=auth("operator")).json()[0].keys() == PUBLIC_KEYS


@pytest.mark.parametrize("role", ["viewer", "operator", "observer"])
def test_only_the_health_role_writes(client: TestClient, role: str) -> None:
    made = _create(client)
    assert client.post(URL, json=BODY, headers=auth(role)).status_code == 403
    assert (
        client.patch(f"{URL}/{made['id']}", json={"damage": "fully_damaged"}, headers=auth(role)).status_code
        == 403
    )
    review = client.post(f"{URL}/{made['id']}/review", json={"decision": "confirmed"}, headers=auth(role))
    assert review.status_code == 403
    assert client.post(URL, json=BODY).status_code == 401
    assert len(client.get(URL, headers=HEALTH).json()) == 1


@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [
        ({"facility": "nowhere-hospital"}, 422, "unknown health facility 'nowhere-hospital'"),
        ({"facility": "idlib"}, 422, "unknown health facility 'idlib'"),
        ({"casualties": {"staff": {"killed": -1, "injured": 0}}}, 422, "staff killed must be between 0"),
        ({"casualties": {"staff": {"killed": 0, "injured": 20000}}}, 422, "staff injured must be between 0"),
        ({"attack_types": ["bombing"]}, 422, "unknown attack type 'bombing'"),
        ({"attack_types": []}, 422, "at least one attack type"),
        ({"sources": []}, 422, "at least one source"),
        ({"sources": [{"kind": "gossip", "ref": "x"}]}, 422, "unknown source kind 'gossip'"),
        ({"damage": "destroyed"}, 422, "unknown damage"),
        ({"time": "yesterday"}, 422, "time"),
        ({"colour": "red"}, 422, ""),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, changes: dict[str, Any], status: int, says: str
) -> None:
    r = client.post(URL, json=BODY | changes, headers=HEALTH)
    assert r.status_code == status, r.text
    assert says in r.text
    assert client.get(URL, headers=HEALTH).json() == []


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    r = client.post(
        URL, content=b"doctors 3, incubators 4 of 6", headers=HEALTH | {"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert client.get(URL, headers=HEALTH).json() == []


def test_a_draft_is_completed_and_confirmed_once(client: TestClient) -> None:
    made = _create(client, sources=[{"kind": "report", "ref": "obs-idlib-3"}], casualties={})
    assert made["certainty"] == "possible" and made["killed"] is None
    url = f"{URL}/{made['id']}"
    sources = [{"kind": "report", "ref": "obs-idlib-3"}, {"kind": "eyewitness", "ref": "dr-k"}]
    casualties = {"others": {"killed": 2, "injured": 5}}
    done = client.patch(url, json={"sources": sources, "casualties": casualties}, headers=HEALTH)
    assert done.status_code == 200, done.text
    assert (done.json()["certainty"], done.json()["killed"]) == ("probable", 2)
    bad = client.patch(url, json={"casualties": {"others": {"killed": -2}}}, headers=HEALTH)
    assert bad.status_code == 422
    assert (
        client.patch(url, json={"review": "confirmed"}, headers=HEALTH).status_code == 422
    )  # not a field to complete
    assert client.get(url, headers=HEALTH).json() == done.json()
    ok = client.post(f"{url}/review", json={"decision": "confirmed", "note": "visited"}, headers=HEALTH)
    assert ok.status_code == 200
    assert (ok.json()["review"], ok.json()["reviewed_by"]) == ("confirmed", "health:hala")
    again = client.post(f"{url}/review", json={"decision": "rejected"}, headers=HEALTH)
    assert again.status_code == 409 and "already confirmed" in again.text
    assert client.patch(url, json={"damage": "fully_damaged"}, headers=HEALTH).status_code == 409
    assert client.post(f"{url}/review", json={"decision": "maybe"}, headers=HEALTH).status_code == 422
    assert client.get(url, headers=HEALTH).json()["review"] == "confirmed"


def test_filters_and_unknown_ids(client: TestClient) -> None:
    made = _create(client)
    assert [
        a["id"]
        for a in client.get(URL, params={"facility": "idlib-maternity-hospital"}, headers=HEALTH).json()
    ] == [made["id"]]
    assert client.get(URL, params={"facility": "idlib-national-hospital"}, headers=HEALTH).json() == []
    assert client.get(URL, params={"facility": "nowhere"}, headers=HEALTH).status_code == 404
    assert client.get(f"{URL}/999999", headers=HEALTH).status_code == 404
    assert (
        client.post(f"{URL}/999999/review", json={"decision": "confirmed"}, headers=HEALTH).status_code == 404
    )
    assert client.get(f"{URL}/0", headers=HEALTH).status_code == 422


def test_the_console_carries_the_attacks_pane(client: TestClient) -> None:
    page = client.get("/console/").text
    assert 'src="/static/attacks.js"' in page and 'id="attacks-pane"' in page
    script = client.get("/static/attacks.js")
    assert script.status_code == 200
    assert "/api/v1/health/attacks" in script.text
    assert "innerHTML" not in script.text  # records carry reporters' text: set as text only


def test_a_rejected_record_is_shown_to_the_health_role_only(client: TestClient) -> None:
    kept = _create(client)
    rejected = _create(client, time="2025-05-03T10:00:00Z")
    r = client.post(
        f"{URL}/{rejected['id']}/review", json={"decision": "rejected", "note": "no strike"}, headers=HEALTH
    )
    assert r.status_code == 200
    assert [a["id"] for a in client.get(URL, headers=auth("viewer")).json()] == [kept["id"]]
    assert client.get(f"{URL}/{rejected['id']}", headers=auth("viewer")).status_code == 404
    assert [a["id"] for a in client.get(URL, headers=HEALTH).json()] == [rejected["id"], kept["id"]]
    assert client.get(f"{URL}/{rejected['id']}", headers=HEALTH).json()["review"] == "rejected"
