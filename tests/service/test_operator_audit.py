"""Every operator action in the audit table, over the API; cancel a track everywhere with its undo."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import TOKENS, auth, make_settings, wait_for

from nadhir.domain import Event
from nadhir.domain.formats.scenario import load_scenario
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.live import LiveEngine
from nadhir.service.operator import UNDO_WINDOW_S
from nadhir.service.region import bundled_scenario

OPERATOR = f"operator:{TOKENS['operator'][0]}"


class Wall:
    """The engine's wall clock for undo windows, moved by the test."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _events() -> list[Event]:
    return [event for _, event in load_scenario(bundled_scenario()).events()]


@pytest.fixture
def scenario_client(tmp_path: Path) -> Iterator[tuple[TestClient, ManualClock, Wall]]:
    events = _events()
    clock = ManualClock(events[0].t - 1)
    app = create_app(make_settings(tmp_path), clock=clock)
    wall = Wall()
    with TestClient(app) as client:
        engine: LiveEngine = app.state.service.engine
        engine.wall = wall
        yield client, clock, wall


def _feed_until_a_track_alerts_two_sites(client: TestClient, clock: ManualClock) -> tuple[str, list[str]]:
    engine: LiveEngine = client.app.state.service.engine  # type: ignore[attr-defined]
    core = engine.core
    for t, group in groupby(_events(), key=lambda e: e.t):
        clock.t = t
        batch = list(group)
        engine.call(lambda b=batch, now=t: core.submit(b, now)).result(10)  # type: ignore[misc]

        def two() -> tuple[str, list[str]] | None:
            with core.lock:
                for site in core.policy.active():
                    ep = core.policy.episode(site)
                    if ep is not None and ep.track is not None:
                        sites = core.policy.sites_alerted_by(ep.track, core.pipeline.threats)
                        if len(sites) >= 2:
                            return ep.track, sites
            return None

        found = engine.call(two).result(10)
        if found is not None:
            return found
    raise AssertionError("no track alerted two sites")


def _audit(client: TestClient, **params: object) -> list[dict[str, object]]:
    answer = client.get("/api/v1/operator/audit", params=params, headers=auth("operator"))
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, object]] = answer.json()
    return rows


def test_every_action_accepted_or_refused_is_audited_and_kept_across_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    clock = ManualClock(1746158400.0)
    with TestClient(create_app(settings, clock=clock)) as client:
        site = "saraqeb-hospital"
        ok = client.post(f"/api/v1/operator/sites/{site}/alert", json={"level": "early", "aircraft": "drone"},
                         headers=auth("operator"))  # fmt: skip
        assert ok.status_code == 200
        assert (
            client.post("/api/v1/operator/sites/atlantis/cancel", headers=auth("operator")).status_code == 404
        )
        test = client.post(f"/api/v1/operator/sites/{site}/test-alarm", headers=auth("operator"))
        assert test.status_code == 409  # a real alert is open there
        past = client.post(f"/api/v1/operator/sites/{site}/alert", json={"level": "imminent", "eta_s": 1.0},
                           headers=auth("admin"))  # fmt: skip
        assert past.status_code == 422
        assert (
            client.post(f"/api/v1/operator/sites/{site}/cancel", headers=auth("operator")).status_code == 200
        )
        # Viewers read the operator log but not the audit trail; without a token, nothing.
        assert client.get("/api/v1/operator/audit", headers=auth("viewer")).status_code == 403
        assert client.get("/api/v1/operator/audit").status_code == 401
        rows = _audit(client)
        stats = client.get("/api/v1/admin/stats", headers=auth("admin")).json()
        assert stats["audit_errors"] == 0
    expected = [
        ("cancel", site, "accepted", OPERATOR),
        ("alert", site, "refused", "admin:adam"),
        ("test_alarm", site, "refused", OPERATOR),
        ("cancel", "atlantis", "refused", OPERATOR),
        ("alert", site, "accepted", OPERATOR),
    ]
    assert [(r["action"], r["target"], r["result"], r["who"]) for r in rows] == expected
    by_action = {(r["action"], r["result"]): r for r in rows}
    accepted = by_action[("alert", "accepted")]
    assert accepted["detail"]["level"] == "early" and accepted["detail"]["aircraft"] == "drone"  # type: ignore[index]
    assert [a["action"] for a in accepted["detail"]["alerts"]] == ["alert"]  # type: ignore[index]
    assert "no test alarm while a real alert is open" in str(by_action[("test_alarm", "refused")]["reason"])
    assert by_action[("cancel", "refused")]["reason"] == "no site 'atlantis'"
    assert "in the past" in str(by_action[("alert", "refused")]["reason"])
    assert all(r["at"] == 1746158400.0 for r in rows)
    # A new service on the same store: the trail is still there.
    with TestClient(create_app(settings, clock=ManualClock(1746158500.0))) as client:
        again = _audit(client)
        assert [(r["action"], r["target"], r["result"]) for r in again][-5:] == [e[:3] for e in expected]
        assert [r["action"] for r in _audit(client, who="admin:adam")] == ["alert"]


def test_cancel_a_track_everywhere_then_its_all_clears_go_out_after_the_undo_window(
    scenario_client: tuple[TestClient, ManualClock, Wall],
) -> None:
    client, clock, wall = scenario_client
    track, sites = _feed_until_a_track_alerts_two_sites(client, clock)
    asked = client.post(f"/api/v1/operator/tracks/{track}/cancel", headers=auth("operator"))
    assert asked.status_code == 202, asked.text
    held = asked.json()
    assert held["track"] == track and held["sites"] == sites and held["window_s"] == UNDO_WINDOW_S
    assert held["remaining_s"] == UNDO_WINDOW_S and held["by"] == OPERATOR
    assert client.get("/api/v1/operator/held", headers=auth("viewer")).json() == [held]
    again = client.post(f"/api/v1/operator/tracks/{track}/cancel", headers=auth("operator"))
    assert again.status_code == 409
    # The alerts stand while the window is open...
    for site in sites:
        assert client.get(f"/api/v1/sites/{site}", headers=auth("viewer")).json()["status"]["level"]
    # ... and clear everywhere once it has passed.
    wall.t += UNDO_WINDOW_S + 0.5

    def cleared() -> bool:
        return all(
            client.get(f"/api/v1/sites/{s}", headers=auth("viewer")).json()["status"]["level"] is None
            for s in sites
        )

    wait_for(cleared, timeout=20)
    assert client.get("/api/v1/operator/held", headers=auth("viewer")).json() == []
    wait_for(lambda: _audit(client)[0]["result"] == "applied")
    rows = _audit(client)
    assert [(r["action"], r["target"], r["result"]) for r in rows[:3]] == [
        ("cancel_track", f"track:{track}", "applied"),
        ("cancel_track", f"track:{track}", "refused"),
        ("cancel_track", f"track:{track}", "held"),
    ]
    assert sorted(rows[0]["detail"]["sites"]) == sorted(sites)  # type: ignore[index]
    history = client.get("/api/v1/alerts", headers=auth("viewer")).json()
    assert {a["site"] for a in history if a["action"] == "all_clear"} >= set(sites)


def test_an_undo_in_time_keeps_the_alerts(scenario_client: tuple[TestClient, ManualClock, Wall]) -> None:
    client, clock, wall = scenario_client
    track, sites = _feed_until_a_track_alerts_two_sites(client, clock)
    held = client.post(f"/api/v1/operator/tracks/{track}/cancel", headers=auth("operator")).json()
    wall.t += UNDO_WINDOW_S - 1
    undone = client.post(f"/api/v1/operator/held/{held['id']}/undo", headers=auth("admin"))
    assert undone.status_code == 200 and undone.json() == {
        "id": held["id"],
        "track": track,
        "undone_by": "admin:adam",
    }
    wall.t += 60
    engine: LiveEngine = client.app.state.service.engine  # type: ignore[attr-defined]
    engine.call(lambda: None).result(10)  # one more wake-up of the engine, after the window
    for site in sites:
        assert client.get(f"/api/v1/sites/{site}", headers=auth("viewer")).json()["status"]["level"]
    late = client.post(f"/api/v1/operator/held/{held['id']}/undo", headers=auth("operator"))
    assert late.status_code == 404
    assert [(r["action"], r["result"]) for r in _audit(client)[:3]] == [
        ("undo", "refused"), ("undo", "accepted"), ("cancel_track", "held"),
    ]  # fmt: skip
    assert client.post("/api/v1/operator/tracks/T999/cancel", headers=auth("operator")).status_code == 404
    assert client.post(f"/api/v1/operator/tracks/{track}/cancel", headers=auth("viewer")).status_code == 403
