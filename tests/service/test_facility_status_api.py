"""Facility status through the service: the API (health role), the SMS-style field report, the
readiness handed to the live alert policy, and the demo's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, TOKENS, auth, make_settings

from nadhir.domain.timefmt import format_time
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.settings import token_spec

HEALTH = ("huda", "health-token-0123456789abcd")
H = {"Authorization": f"Bearer {HEALTH[1]}"}
URL = "/api/v1/health/facilities"
MATERNITY = "idlib-maternity-hospital"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    tokens = tuple(token_spec(role, s, secret) for role, (s, secret) in TOKENS.items())
    settings = make_settings(tmp_path, tokens=(*tokens, token_spec("health", *HEALTH)))
    with TestClient(create_app(settings, clock=ManualClock(T0))) as c:
        yield c


def _count(client: TestClient) -> int:
    svc = client.app.state.service  # type: ignore[attr-defined]
    return int(svc.facility_status.book.count())


def test_a_health_token_updates_and_everyone_reads(client: TestClient) -> None:
    body = {
        "status": {
            "functionality": "partially",
            "causes": ["staff"],
            "staff": {"doctors": 3},
            "incubators_total": 6,
            "incubators_working": 4,
            "power": "generator",
            "fuel_days": 2,
        }
    }
    r = client.post(f"{URL}/{MATERNITY}/status", json=body, headers=H)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["facility"] == MATERNITY and out["at"] == format_time(T0)
    assert "Idlib Maternity Hospital" in out["confirmation"] and "incubators 4 of 6" in out["confirmation"]
    r = client.post(f"{URL}/{MATERNITY}/status", json={"status": {"fuel_days": 1}, "lang": "ar"}, headers=H)
    assert r.status_code == 201 and "مشفى التوليد في إدلب" in r.json()["confirmation"]
    assert r.json()["status"]["staff"] == {"doctors": 3}  # carried forward

    listed = {f["id"]: f for f in client.get(URL, headers=auth("viewer")).json()}
    assert (
        listed[MATERNITY]["status"]["fuel_days"] == 1.0 and listed[MATERNITY]["functionality"] == "partially"
    )
    assert "who" not in listed[MATERNITY] or listed[MATERNITY]["who"] is None  # a viewer sees no reporter
    assert listed["sarmada-hospital"]["status"] is None
    assert "idlib" not in listed  # a town is not a health facility
    mine = {f["id"]: f for f in client.get(URL, headers=H).json()}
    assert mine[MATERNITY]["who"] == "health:huda"
    history = client.get(f"{URL}/{MATERNITY}/history", headers=H).json()
    assert [h["reported"] for h in history] == [{"fuel_days": 1.0}, body["status"] | {"fuel_days": 2.0}]
    assert client.get(f"{URL}/{MATERNITY}/history", headers=auth("viewer")).status_code == 403
    assert client.get(f"{URL}/{MATERNITY}").json()["status"]["fuel_days"] == 1.0  # public, as the kiosk


@pytest.mark.parametrize(
    ("facility", "body", "status", "reason"),
    [
        ("atlantis", {"status": {"fuel_days": 1}}, 404, "no health facility 'atlantis'"),
        ("idlib", {"status": {"fuel_days": 1}}, 404, "no health facility"),
        (
            MATERNITY,
            {"status": {"incubators_total": 4, "incubators_working": 5}},
            422,
            "5 incubators working of 4",
        ),
        (MATERNITY, {"status": {"staff": {"nurses": -2}}}, 422, "nurses on duty"),
        (MATERNITY, {"status": {"fuel_days": 10_000}}, 422, "days of fuel"),
        (MATERNITY, {"status": {"colour": "red"}}, 422, "unknown field"),
        (MATERNITY, {"status": {}}, 422, "says nothing"),
        (MATERNITY, {"status": {"fuel_days": 1}, "at": "2030-01-01T00:00:00Z"}, 422, "in the future"),
        (MATERNITY, {"status": {"fuel_days": 1}, "at": "yesterday"}, 422, "at:"),
        (MATERNITY, {"status": {"fuel_days": 1}, "extra": 1}, 422, "extra"),
    ],
)
def test_bad_input_gets_a_reason_and_keeps_nothing(
    client: TestClient, facility: str, body: dict[str, object], status: int, reason: str
) -> None:
    r = client.post(f"{URL}/{facility}/status", json=body, headers=H)
    assert r.status_code == status and reason in r.text
    assert _count(client) == 0


@pytest.mark.parametrize("role", ["viewer", "operator", "observer"])
def test_only_the_health_role_updates(client: TestClient, role: str) -> None:
    r = client.post(f"{URL}/{MATERNITY}/status", json={"status": {"fuel_days": 1}}, headers=auth(role))
    assert r.status_code == 403 and _count(client) == 0


def test_status_reaches_the_live_policy_and_messages_are_read(client: TestClient) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    r = client.post(
        f"{URL}/jisr-hospital/status", json={"status": {"functionality": "not", "evacuated": True}}, headers=H
    )
    assert r.status_code == 201
    client.post(
        f"{URL}/{MATERNITY}/status",
        json={"status": {"incubators_working": 4, "incubators_occupied": 2}},
        headers=H,
    )
    ready = svc.engine.core.policy.readiness()
    assert not ready["jisr-hospital"].sirens and ready[MATERNITY].extra_lead_s > 0
    listed = {f["id"]: f for f in client.get(URL, headers=H).json()}
    assert listed["jisr-hospital"]["readiness"]["sirens"] is False
    # The same desk takes a short message from a registered reporter (the SMS and Telegram channels)
    # who speaks for the facility; another registered reporter may not change it.
    reporters = svc.region.scenario.reporters
    observer = next(r.id for r in reporters if "jisr-hospital" in r.speaks_for)
    other = next(r.id for r in reporters if r.speaks_for and "jisr-hospital" not in r.speaks_for)
    not_theirs = svc.field_reports.route(other, "status jisr-hospital: closed", T0 + 30)
    assert not_theirs is not None and not not_theirs.accepted
    assert f"{other} does not report for jisr-hospital" in not_theirs.text
    reply = svc.field_reports.route(observer, "status jisr-hospital: open, doctors 2", T0 + 60)
    assert reply is not None and reply.accepted, reply
    assert svc.engine.core.policy.readiness().get("jisr-hospital") is None  # open again: sirens as ever
    refused = svc.field_reports.route("nobody", "status jisr-hospital: closed", T0 + 90)
    assert refused is not None and not refused.accepted and "not a registered reporter" in refused.text


def test_the_demo_loads_its_history_once(tmp_path: Path) -> None:
    from nadhir.service.app import DemoOptions

    settings = make_settings(tmp_path)
    for _ in range(2):
        with TestClient(create_app(settings, demo=DemoOptions(speed=1.0), clock=ManualClock(T0))) as c:
            svc = c.app.state.service  # type: ignore[attr-defined]
            room = svc.facility_status
            assert room.book.count("demo") == 66
            ready = room.readiness()
            assert not ready["jisr-hospital"].sirens  # evacuated on 28 April
            assert not ready[
                "maarat-central-hospital"
            ].sirens  # closed since 20 April, said again on the 30th
            assert ready[MATERNITY].extra_lead_s > 0 and ready["kafr-nabl-surgical-hospital"].extra_lead_s > 0
            assert ready["sarmada-hospital"].ordinary


def test_a_push_that_fails_is_shown_until_one_succeeds(tmp_path: Path) -> None:
    """The warning does not get the readiness (NATS or the database away): the room says why, for the
    service's readiness check, and the next push that succeeds clears it."""
    from nadhir.intake.field_reports import Mandates
    from nadhir.service.facility_status import FacilityStatusRoom
    from nadhir.service.region import load_region
    from nadhir.store import Store

    away = [True]
    handed: list[int] = []

    def hand(ready: object) -> None:
        if away[0]:
            raise ConnectionError("nats: no servers available")
        handed.append(len(ready))  # type: ignore[arg-type]

    with Store.open(f"sqlite:///{tmp_path / 'room.sqlite3'}") as store:
        sites = load_region(None).scenario.sites
        room = FacilityStatusRoom(store.engine, sites, Mandates(()), lambda: T0, hand)
        room.push()
        assert room.failure is not None and "no servers available" in room.failure
        away[0] = False
        room.push()
        assert room.failure is None and handed == [9]
