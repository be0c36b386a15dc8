"""Attacks on health care drafted while the service runs: from a stored live run, and end to end."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from service_helpers import T0, auth, make_settings

from nadhir.domain.formats.scenario import load_scenario
from nadhir.domain.timefmt import format_time
from nadhir.engine.replay import persist_replay, replay_scenario
from nadhir.service.app import create_app
from nadhir.service.attack_watch import AttackWatch
from nadhir.service.clock import ManualClock
from nadhir.service.region import bundled_scenario
from nadhir.store import Store, default_url
from nadhir.store.attacks import AttackBook

TWISTS = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-twists"


def test_the_watch_drafts_what_the_run_stored_and_reading_again_changes_nothing(tmp_path: Path) -> None:
    scenario = load_scenario(TWISTS)
    with Store.open(default_url(tmp_path / "live.sqlite3")) as store:
        run_id = persist_replay(store, replay_scenario(scenario, keep=True))
        watch = AttackWatch(lambda: (store, run_id), scenario)
        first = watch.step()
        assert len(first.added) == 2  # as the replay drafts (tests/health/test_attack_drafts.py)
        assert watch.step().added == ()  # nothing new stored: the overlap is read again, joins nothing new
        stored = AttackBook(store.engine).recent()
        assert sorted(s.facility_id for s in stored) == ["ariha-surgical-hospital", "saraqeb-hospital"]
        assert all(s.record["links"]["run_id"] == run_id for s in stored)


def test_the_watch_waits_for_the_engine() -> None:
    assert AttackWatch(lambda: (None, None), load_scenario(bundled_scenario())).step().added == ()


def test_an_impact_reported_by_a_hospital_while_the_service_runs_is_drafted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, clock=ManualClock(T0))
    with TestClient(app) as client:
        # The road outside Idlib National Hospital, 150 m north; an admin submits for its source.
        impact = {"kind": "impact", "t": format_time(T0 - 5), "reporter": "obs-field-16",
                  "lat": 35.9269, "lon": 36.6379}  # fmt: skip
        r = client.post("/api/v1/intake/impacts", json=impact, headers=auth("admin"))
        assert r.status_code == 202, r.text
        far = impact | {"lat": 36.2, "lon": 36.9, "reporter": "obs-field-18"}  # nowhere near a hospital
        assert client.post("/api/v1/intake/impacts", json=far, headers=auth("admin")).status_code == 202
    # Stopping the service runs the watch once more, after the engine's last write.
    assert settings.db is not None
    with Store.open(settings.db) as store:
        [stored] = AttackBook(store.engine).recent()
    assert stored.facility_id == "idlib-national-hospital"
    assert [s["ref"] for s in stored.record["sources"]] == [f"obs-field-16@{format_time(T0 - 5)}"]
