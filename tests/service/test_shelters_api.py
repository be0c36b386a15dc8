"""The shelters API: sites ranked by need, one site's history, updates from the health role only."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from service_helpers import auth, make_settings

from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.settings import token_spec

HEALTH = {"Authorization": "Bearer health-token-0123456789abc"}
STADIUM = {
    "updated": "2026-12-01T08:00:00Z", "name": "Idlib Municipal Stadium", "name_ar": "الملعب البلدي في إدلب",
    "type": "collective-centre", "lat": 35.9306, "lon": 36.6339, "households": 180, "individuals": 900,
    "latrines_working": 3, "tents": 150, "tents_flooded": 20, "water_litres_per_day": 9000,
    "covered_area_m2": 1800,
}  # fmt: skip


def test_updates_are_posted_listed_and_refused_when_bad(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    health = token_spec("health", "hana", HEALTH["Authorization"].removeprefix("Bearer "))
    object.__setattr__(settings, "tokens", (*settings.tokens, health))
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        url = "/api/v1/shelters/idlib-stadium/updates"
        made = client.post(url, json=STADIUM, headers=HEALTH)
        assert made.status_code == 201, made.text
        assert made.json()["gaps"]["people_per_latrine"] == 300.0
        assert made.json()["source"] == "api:health:hana"
        # A later update changes a few figures; the others stay as they were.
        arrival = {"kind": "arrival", "on": "2026-12-04", "individuals": 100, "place": "Maarat al-Numan",
                   "lat": 35.6481, "lon": 36.6736}  # fmt: skip
        later = {"updated": "2026-12-05T08:00:00Z", "households": 212, "latrines_working": 4,
                 "tents_flooded": 30, "movements": [arrival]}  # fmt: skip
        assert client.post(url, json=later, headers=HEALTH).status_code == 201
        listed = client.get("/api/v1/shelters", headers=auth("viewer")).json()
        assert [s["site_id"] for s in listed] == ["idlib-stadium"]
        assert listed[0]["households"] == 212 and listed[0]["individuals"] == 900
        assert listed[0]["gaps"]["people_per_latrine"] == 225.0 and listed[0]["gaps"]["flooded_share"] == 0.2
        history = client.get("/api/v1/shelters/idlib-stadium/history", headers=auth("operator")).json()
        assert [h["households"] for h in history] == [180, 212]
        assert history[1]["movements"][0]["place"] == "Maarat al-Numan"

        # Refusals, each with its reason, and nothing kept.
        assert client.post(url, json=later, headers=auth("operator")).status_code == 403
        assert client.post(url, json=later, headers=auth("viewer")).status_code == 403
        new_site = client.post("/api/v1/shelters/sarmada-new/updates", json={"households": 3}, headers=HEALTH)
        assert new_site.status_code == 422 and "give its name, type, lat, lon" in new_site.json()["detail"]
        too_many = {"updated": "2026-12-06", "tents_flooded": 500}
        bad = client.post(url, json=too_many, headers=HEALTH)
        assert bad.status_code == 422 and "more than the 150 tents" in bad.json()["detail"]
        assert client.post(url, json={"latrines_working": -1}, headers=HEALTH).status_code == 422
        assert client.post(url, json={"toilets": 4}, headers=HEALTH).status_code == 422
        earlier = client.post(url, json={"updated": "2026-11-01", "households": 1}, headers=HEALTH)
        assert earlier.status_code == 422 and "earlier than" in earlier.json()["detail"]
        crowded = client.post(url, json={"updated": "2026-12-06", "households": 999}, headers=HEALTH)
        assert crowded.status_code == 422 and "cannot hold only 900" in crowded.json()["detail"]
        clash = client.post(url, json={**later, "households": 300}, headers=HEALTH)
        assert clash.status_code == 409 and "already has a different update" in clash.json()["detail"]
        kept = client.get("/api/v1/shelters/idlib-stadium/history", headers=auth("viewer")).json()
        assert [h["households"] for h in kept] == [180, 212]
        assert client.get("/api/v1/shelters/nowhere/history", headers=auth("viewer")).status_code == 404
        assert client.get("/api/v1/shelters").status_code == 401


def test_the_service_takes_site_figures_by_sms(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sms_secret="s3cret", sms_numbers={"+963900000001": "obs-field-16"})
    health = token_spec("health", "hana", HEALTH["Authorization"].removeprefix("Bearer "))
    object.__setattr__(settings, "tokens", (*settings.tokens, health))
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        assert (
            client.post("/api/v1/shelters/idlib-stadium/updates", json=STADIUM, headers=HEALTH).status_code
            == 201
        )
        svc = client.app.state.service  # type: ignore[attr-defined]
        reply = svc.field_reports.route(
            "obs-field-16", "site idlib-stadium: households 212, latrines 4", time.time()
        )
        assert reply is not None and reply.accepted, reply
        history = client.get("/api/v1/shelters/idlib-stadium/history", headers=auth("viewer")).json()
        assert [h["households"] for h in history] == [180, 212] and history[1][
            "source"
        ] == "field:obs-field-16"


def test_arrivals_are_linked_to_the_impacts_the_service_heard(tmp_path: Path) -> None:
    from nadhir.domain import Impact
    from nadhir.domain.timefmt import parse_time

    settings = make_settings(tmp_path)
    health = token_spec("health", "hana", HEALTH["Authorization"].removeprefix("Bearer "))
    object.__setattr__(settings, "tokens", (*settings.tokens, health))
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        arrival = {"kind": "arrival", "on": "2026-12-04", "individuals": 100, "place": "Maarat al-Numan",
                   "lat": 35.6481, "lon": 36.6736}  # fmt: skip
        body = {**STADIUM, "movements": [arrival]}
        assert (
            client.post("/api/v1/shelters/idlib-stadium/updates", json=body, headers=HEALTH).status_code
            == 201
        )
        svc = client.app.state.service  # type: ignore[attr-defined]
        struck = parse_time("2026-12-02T06:30:00Z")
        svc.store.add_events(svc.run_id, [Impact(struck, "obs-7", 35.6500, 36.6700, "Maarat al-Numan")])
        links = client.get("/api/v1/shelters/idlib-stadium/arrivals", headers=auth("viewer")).json()
        assert len(links) == 1 and links[0]["arrival"]["individuals"] == 100
        assert [s["reporter"] for s in links[0]["strikes"]] == ["obs-7"]
        assert links[0]["strikes"][0]["distance_km"] < 1.0
        narrow = client.get(
            "/api/v1/shelters/idlib-stadium/arrivals", params={"days": 1}, headers=auth("viewer")
        )
        assert narrow.json()[0]["strikes"] == []
        assert client.get("/api/v1/shelters/x/arrivals", headers=auth("viewer")).status_code == 404


def test_the_demo_shows_the_stadium_and_the_camps(tmp_path: Path) -> None:
    from nadhir.service.app import DemoOptions

    with TestClient(create_app(make_settings(tmp_path), demo=DemoOptions(speed=20))) as client:
        listed = client.get("/api/v1/shelters", headers=auth("viewer")).json()
        ids = [s["site_id"] for s in listed]
        assert ids[0] == "idlib-stadium"  # the neediest: 265 people a latrine, 8.5 L a day
        assert {"atmeh-olive-grove", "sarmada-al-karama", "kafr-lusin-rc", "dana-school"} <= set(ids)
        history = client.get("/api/v1/shelters/idlib-stadium/history", headers=auth("viewer")).json()
        assert [h["individuals"] for h in history] == [310, 720, 1060]
    # A second start keeps nothing twice.
    with TestClient(create_app(make_settings(tmp_path), demo=DemoOptions(speed=20))) as client:
        history = client.get("/api/v1/shelters/idlib-stadium/history", headers=auth("viewer")).json()
        assert len(history) == 3
