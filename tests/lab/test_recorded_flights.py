"""Simulated days whose aircraft fly real recorded flights (issue 17)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nadhir.domain.formats.scenario import load_scenario
from nadhir.service.cli import build_app
from nadhir_lab.simulator import RECORDED_SETS, load_region, recorded_flights, simulate, write_scenario


def test_the_two_sets_share_no_recording_and_name_their_sources() -> None:
    tuning, report = recorded_flights("tuning"), recorded_flights("report")
    assert tuning and report
    assert not {f.name for f in tuning} & {f.name for f in report}
    # Each set has every kind the warning treats differently, but report has no ambulance
    # helicopter of tuning's, and the split is by sample, never inside one.
    for flights in (tuning, report):
        assert {f.kind for f in flights} == {"jet", "helicopter", "drone"}
    assert not {f.source.split(":")[0] for f in tuning} & {f.source.split(":")[0] for f in report}
    with pytest.raises(ValueError, match="unknown set"):
        recorded_flights("everything")
    assert RECORDED_SETS == ("tuning", "report")


def test_recordings_are_real_kinematics_not_programmes() -> None:
    # The real flights fly outside the simulator's programmed envelopes: jets slower than its
    # 180 m/s floor, drones faster than its 40 m/s ceiling.
    speeds = {
        f.name: (f.kind, float(np.median(np.hypot(np.diff(f.x), np.diff(f.y)))))
        for f in recorded_flights("tuning") + recorded_flights("report")
    }
    assert any(kind == "jet" and v < 150.0 for kind, v in speeds.values())
    assert any(kind == "drone" and v > 45.0 for kind, v in speeds.values())


@pytest.mark.parametrize("set_name", RECORDED_SETS)
def test_every_sortie_flies_a_recording_moved_but_not_reshaped(set_name: str) -> None:
    region = load_region("wadi-karam")
    region = region.model_copy(update={"sorties_per_hour": 5.0})
    sim = simulate(region, seed=11, hours=2.0, recorded=set_name)
    library = {f.source: f for f in recorded_flights(set_name)}
    assert sim.sorties
    for sortie in sim.sorties:
        assert sortie.source in library
        assert sortie.count == 1 and not sortie.expendable
        rec = library[sortie.source]
        assert sortie.type == rec.kind
        ac = next(a for a in sim.aircraft if a.sortie == sortie.id)
        assert ac.t[0] == sortie.takeoff
        # A rotation and a shift keep every step's length and the altitudes.
        n = len(ac.t)
        steps = np.hypot(np.diff(ac.x), np.diff(ac.y))
        rec_steps = np.hypot(np.diff(rec.x[:n]), np.diff(rec.y[:n]))
        np.testing.assert_allclose(steps, rec_steps, atol=1e-6)
        np.testing.assert_allclose(ac.alt, rec.alt[:n])
    # An attacking sortie releases once, over its aim; a reconnaissance sortie never does.
    for strike in sim.strikes:
        sortie = sim.sorties[next(a.sortie for a in sim.aircraft if a.id == strike.aircraft)]
        assert not sortie.recon
        ax, ay = _site_xy(sim, sortie.aim)
        assert math.hypot(strike.x - ax, strike.y - ay) < 3500.0
    attacking = [s for s in sim.sorties if not s.recon]
    assert len(sim.strikes) <= len(attacking)


def _site_xy(sim: object, site_id: str) -> tuple[float, float]:
    from nadhir_lab.simulator.world import _World

    world = _World(sim.region)  # type: ignore[attr-defined]
    return world.site_xy(site_id)


def test_a_recorded_day_is_a_scenario_the_replay_reads(tmp_path: Path) -> None:
    sim = simulate(load_region("jabal-nur"), seed=5, hours=1.0, recorded="report")
    write_scenario(sim, tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert all("source" in s for s in truth["meta"]["sorties"])
    scenario = load_scenario(tmp_path)
    assert list(scenario.events())
    # Nobody reports a take-off: the aircraft appear in the air.
    texts = [e.get("text", "") for e in map(json.loads, (tmp_path / "events.jsonl").read_text().splitlines())]
    assert not any("took off" in t or "أقلع" in t for t in texts)


def test_a_programmed_day_names_no_recording() -> None:
    sim = simulate(load_region("jabal-nur"), seed=5, hours=1.0)
    assert all(s.source is None for s in sim.sorties)
    assert all("source" not in s for s in sim.meta()["sorties"])


def test_the_command_takes_a_set_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    ok = runner.invoke(app, ["simulate", str(tmp_path / "a"), "--hours", "1", "--recorded", "tuning"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "a" / "truth.json").is_file()
    bad = runner.invoke(app, ["simulate", str(tmp_path / "b"), "--hours", "1", "--recorded", "all"])
    assert bad.exit_code != 0
    assert "unknown set" in bad.output
    assert not (tmp_path / "b").exists()
