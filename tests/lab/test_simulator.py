"""The project's own scenario simulator: format, determinism, physics, sensors, twists, CLI."""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from nadhir.domain.formats.scenario import load_scenario
from nadhir.domain.timefmt import parse_time
from nadhir.geo.distance import angle_diff_deg, bearing_deg, haversine_m
from nadhir_lab import simulator
from nadhir_lab.commands import simulate as simulate_command
from nadhir_lab.scoring import score, site_contains
from nadhir_lab.simulator import (
    TWISTS,
    Region,
    RegionError,
    SimulatedScenario,
    list_regions,
    load_region,
    simulate,
    write_scenario,
)

REGIONS = ("wadi-karam", "jabal-nur")
DATA = Path(__file__).resolve().parent.parent / "data" / "scenarios"
SOUND_MPS = 343.0


@pytest.fixture(scope="module", params=REGIONS)
def plain(request: pytest.FixtureRequest) -> SimulatedScenario:
    return simulate(load_region(request.param), seed=3, hours=3.0)


@pytest.fixture(scope="module", params=REGIONS)
def twisted(request: pytest.FixtureRequest) -> SimulatedScenario:
    return simulate(load_region(request.param), seed=5, hours=3.0, twists=TWISTS)


def _events(sim: SimulatedScenario) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sim.event_lines() if line.startswith('{"t"')]


def _truth(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    return data


def _read_events(root: Path) -> list[str]:
    if (root / "events.jsonl.gz").exists():
        return gzip.decompress((root / "events.jsonl.gz").read_bytes()).decode("utf-8").splitlines()
    return (root / "events.jsonl").read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- regions


def test_bundled_regions_are_rich_enough() -> None:
    assert set(REGIONS) <= set(list_regions())
    package = Path(simulator.__file__).parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py")))
    assert "def simulate" in source  # the whole package, not only its __init__
    for name in REGIONS:
        region = load_region(name)
        kinds = Counter(s.kind for s in region.sites)
        assert 15 <= kinds["town"] <= 30
        assert kinds["hospital"] >= 3 and kinds["school"] >= 1 and kinds["camp"] >= 1
        assert 2 <= len(region.airbases) <= 4
        assert any(not p.listed for p in region.places), "hidden villages for the unknown_places twist"
        assert any(s.aliases for s in region.sites) and all(s.name_ar for s in region.sites)
        # Names are data: none appears in the simulator's code (any of its modules).
        for item in (*region.sites, *region.places, *region.airbases):
            assert item.name not in source, item.name


def test_load_region_by_path_and_errors(tmp_path: Path) -> None:
    bundled = load_region("jabal-nur")
    path = tmp_path / "copy.json"
    path.write_text(bundled.model_dump_json(), encoding="utf-8")
    assert load_region(path) == bundled
    assert load_region(str(path)).name == "jabal-nur"
    with pytest.raises(RegionError, match="no region"):
        load_region("atlantis")
    broken = json.loads(bundled.model_dump_json())
    broken["sites"].append(dict(broken["sites"][0]))  # duplicate id
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(RegionError, match="duplicate id"):
        load_region(path)


def test_a_minimal_region_file_is_enough(tmp_path: Path) -> None:
    """Other regions are just data: two towns and a base simulate and load."""
    region = Region.model_validate(
        {
            "name": "tiny",
            "airbases": [{"id": "b", "name": "Base", "lat": 10.0, "lon": 20.0}],
            "sites": [
                {"id": "t1", "name": "One", "lat": 10.5, "lon": 20.3, "population": 20000},
                {"id": "t2", "name": "Two", "lat": 10.6, "lon": 20.5},
                {
                    "id": "c",
                    "name": "Camp",
                    "kind": "camp",
                    "lat": 10.55,
                    "lon": 20.45,
                    "polygon": [[20.44, 10.54], [20.46, 10.54], [20.46, 10.56], [20.44, 10.56]],
                },
            ],
            "sensors": {"count": 6, "layout": "scattered"},
            "observers": 5,
        }
    )
    sim = simulate(region, seed=0, hours=1.0)
    write_scenario(sim, tmp_path)
    scenario = load_scenario(tmp_path)
    assert [s.id for s in scenario.sites] == ["t1", "t2", "c"]
    assert scenario.sites[2].polygon is not None
    assert sum(1 for _ in scenario.events()) > 0 and not scenario.problems.items


# --------------------------------------------------------------------------- format


def test_written_scenario_loads_and_scores(plain: SimulatedScenario, tmp_path: Path) -> None:
    write_scenario(plain, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.jsonl",
        "gazetteer.json",
        "reporters.json",
        "sites.geojson",
        "truth.json",
    ]
    scenario = load_scenario(tmp_path)
    assert len(scenario.sites) == len(plain.region.sites)
    assert len(scenario.places) == len(plain.gazetteer) > 0
    assert {r.kind for r in scenario.reporters} == {"observer", "sensor"}
    events = [event for _, event in scenario.events()]
    assert not scenario.problems.items
    assert len(events) == len(_read_events(tmp_path)) > 500
    times = [e.t for e in events]
    assert times == sorted(times)
    truth = _truth(tmp_path)
    meta = truth["meta"]
    assert {"start", "end", "seed", "region", "twists", "sorties"} <= set(meta)
    assert meta["region"] == plain.region.name and meta["seed"] == 3 and meta["twists"] == []
    start, end = parse_time(meta["start"]), parse_time(meta["end"])
    assert end - start == 3 * 3600 and start <= times[0] and times[-1] <= end
    assert len(meta["sorties"]) == len(plain.sorties) >= 2
    assert truth["strikes"], "three hours with no strike is not a useful scenario"
    alerts = tmp_path / "alerts.jsonl"
    alerts.write_text("", encoding="utf-8")
    report = score(tmp_path, alerts)
    assert report.strike_site_pairs > 0
    assert report.warned_share == 0.0
    assert report.oracle_alert_minutes_per_site_hour is not None
    assert report.oracle_alert_minutes_per_site_hour > 0


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    region = load_region("wadi-karam")
    for packed in (False, True):
        a, b = tmp_path / f"a{packed}", tmp_path / f"b{packed}"
        write_scenario(simulate(region, 42, 1.5, TWISTS), a, gzip_events=packed)
        write_scenario(simulate(region, 42, 1.5, TWISTS), b, gzip_events=packed)
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir())
        assert ("events.jsonl.gz" in names) is packed
        for name in names:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = tmp_path / "other"
    write_scenario(simulate(region, 43, 1.5, TWISTS), other)
    assert (other / "truth.json").read_bytes() != (tmp_path / "aFalse" / "truth.json").read_bytes()


def test_twists_leave_the_flights_alone() -> None:
    region = load_region("jabal-nur")
    calm, busy = simulate(region, 8, 2.0), simulate(region, 8, 2.0, TWISTS)
    assert calm.truth()["aircraft"] == busy.truth()["aircraft"]
    assert calm.truth()["strikes"] == busy.truth()["strikes"]


def test_sensor_count_changes_the_listeners_only() -> None:
    """--sensors: a region's sky heard by more nodes (issue 16's country), the same flights and people."""
    region = load_region("wadi-karam")
    base, dense = simulate(region, 8, 1.0), simulate(region, 8, 1.0, sensor_count=300)
    assert dense.truth() == base.truth()
    sensors = [r for r in dense.reporters if r["kind"] == "sensor"]
    assert len(sensors) == 300 and len({r["id"] for r in sensors}) == 300
    assert len([r for r in base.reporters if r["kind"] == "sensor"]) == region.sensors.count
    heard = {
        e.payload["sensor"] for e in dense.events if isinstance(e.payload, dict) and "sensor" in e.payload
    }
    assert len(heard) > 200  # the field is laid out over the whole region, not piled in a corner

    def reports(sim: SimulatedScenario) -> list[Any]:
        return [
            e.payload for e in sim.events if isinstance(e.payload, dict) and e.payload["kind"] != "acoustic"
        ]

    assert reports(dense) == reports(base)
    assert (
        simulate(region, 8, 0.25, sensor_count=0).events
        == simulate(
            region.model_copy(update={"sensors": region.sensors.model_copy(update={"count": 0})}), 8, 0.25
        ).events
    )


def test_bad_arguments() -> None:
    region = load_region("wadi-karam")
    with pytest.raises(ValueError, match="sensor_count"):
        simulate(region, 1, sensor_count=simulator.MAX_SENSORS + 1)
    with pytest.raises(ValueError, match="sensor_count"):
        simulate(region, 1, sensor_count=-1)
    with pytest.raises(ValueError, match="unknown twist"):
        simulate(region, 1, twists=["earthquake"])
    with pytest.raises(ValueError, match="seed"):
        simulate(region, -1)


# --------------------------------------------------------------------------- flights and strikes


def _speeds(path: list[dict[str, Any]]) -> list[float]:
    out = []
    for p, q in itertools.pairwise(path):
        dt = parse_time(q["t"]) - parse_time(p["t"])
        if dt > 0:
            out.append(haversine_m(p["lat"], p["lon"], q["lat"], q["lon"]) / dt)
    return out


def test_paths_are_sampled_every_5_s_and_fly_like_their_type(plain: SimulatedScenario) -> None:
    truth = plain.truth()
    bases = plain.region.airbases
    cruise = {"jet": (180, 250), "helicopter": (50, 70), "drone": (25, 40)}
    for ac in truth["aircraft"]:
        path = ac["path"]
        steps = {parse_time(q["t"]) - parse_time(p["t"]) for p, q in itertools.pairwise(path)}
        assert steps <= {1.0, 2.0, 3.0, 4.0, 5.0} and 5.0 in steps
        first = path[0]
        assert first["alt_m"] == 0
        assert min(haversine_m(first["lat"], first["lon"], b.lat, b.lon) for b in bases) < 50
        speeds = sorted(_speeds(path))
        lo, hi = cruise[ac["type"]]
        assert lo * 0.9 <= speeds[int(0.75 * len(speeds))] <= hi * 1.1, ac["id"]
        assert speeds[-1] <= 1.25 * hi, ac["id"]
        assert max(p["alt_m"] for p in path) > 500
    # Not straight lines: every aircraft turns, and its track is longer than the way out and back.
    for ac in plain.aircraft:
        turned = np.abs(np.diff(np.unwrap(np.radians(ac.heading)))).sum()
        assert math.degrees(turned) > 180, ac.id


def test_no_aircraft_is_stuck_circling_a_waypoint() -> None:
    """Every flight gets through its program: nothing loiters within 1 km of one spot for long.

    Hovers last under a minute and orbits are wider than 1 km across; a helicopter that closed on
    its hover spot faster than it could turn once circled it for an hour and a half (jabal-nur,
    seed 4).
    """
    for region_name, seed in (("jabal-nur", 4), ("jabal-nur", 7), ("wadi-karam", 2)):
        sim = simulate(load_region(region_name), seed, 3.0)
        for ac in sim.truth()["aircraft"]:
            path = [p for p in ac["path"] if p["alt_m"] > 0]
            start = longest = 0
            for end in range(len(path)):
                while (
                    haversine_m(path[start]["lat"], path[start]["lon"], path[end]["lat"], path[end]["lon"])
                    > 1000
                ):
                    start += 1
                longest = max(longest, parse_time(path[end]["t"]) - parse_time(path[start]["t"]))
            assert longest <= 600, (region_name, seed, ac["id"], longest)


def test_kinds_of_sorties() -> None:
    """Across seeds: every type, formations, recon flights that never strike, 2-4 jet passes."""
    region = load_region("wadi-karam")
    sorties, passes = [], []
    for seed in range(6):
        sim = simulate(region, seed, 3.0)
        sorties += sim.sorties
        by_aircraft = Counter(s.aircraft for s in sim.strikes)
        for s in sim.sorties:
            struck = sum(by_aircraft[a] for a in s.aircraft)
            if s.recon:
                assert struck == 0
            elif s.type == "jet" and by_aircraft[s.aircraft[0]]:
                passes.append(by_aircraft[s.aircraft[0]])
    assert {s.type for s in sorties} == {"jet", "helicopter", "drone"}
    assert {s.count for s in sorties} >= {1, 2}
    assert any(s.recon for s in sorties) and not all(s.recon for s in sorties)
    assert passes and min(passes) >= 1 and max(passes) <= 4 and max(passes) >= 3


def test_strikes_fall_in_sites(plain: SimulatedScenario, tmp_path: Path) -> None:
    write_scenario(plain, tmp_path)
    scenario = load_scenario(tmp_path)
    sites = {s.id: s for s in scenario.sites}
    paths = {ac.id: ac for ac in plain.aircraft}
    inside = 0
    for st in plain.strikes:
        aim = sites[st.aim]
        assert haversine_m(st.lat, st.lon, aim.lat, aim.lon) < aim.radius_m + 3500
        inside += any(site_contains(s, st.lat, st.lon) for s in scenario.sites)
        ac = paths[st.aircraft]
        assert ac.t[0] < st.t <= ac.t[-1] + 60
        i = int(np.searchsorted(ac.t, st.t))
        i = min(i, len(ac.t) - 1)
        assert haversine_m(float(ac.lat[i]), float(ac.lon[i]), st.lat, st.lon) < 8000
    assert inside >= 0.75 * len(plain.strikes)


# --------------------------------------------------------------------------- sensors and reports


def _track(path: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([parse_time(p["t"]) for p in path]),
        np.array([p["lat"] for p in path]),
        np.array([p["lon"] for p in path]),
        np.array([p["alt_m"] for p in path], dtype=float),
    )


def _position_at(
    track: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], t: float
) -> tuple[float, float, float] | None:
    times, lat, lon, alt = track
    if not times[0] <= t <= times[-1]:
        return None
    return float(np.interp(t, times, lat)), float(np.interp(t, times, lon)), float(np.interp(t, times, alt))


def test_acoustic_bearings_point_at_the_aircraft_within_noise(plain: SimulatedScenario) -> None:
    """Solve each detection's emission time from the written truth; the bearing points there."""
    truth = plain.truth()
    paths = {ac["id"]: _track(ac["path"]) for ac in truth["aircraft"]}
    lines = plain.event_lines()
    ordered = sorted(plain.events, key=lambda e: (e.t, e.seq))
    errors, sigmas = [], []
    for line, ev in zip(lines, ordered, strict=True):
        if not ev.source.startswith("aircraft:") or not isinstance(ev.payload, dict):
            continue
        if ev.payload.get("kind") != "acoustic":
            continue
        det = json.loads(line)
        path = paths[ev.source.split(":")[1].split("@")[0]]
        t_heard = parse_time(det["t"])
        t_emit = t_heard
        for _ in range(6):  # fixed point: t_emit = t_heard - slant range / c
            pos = _position_at(path, t_emit)
            if pos is None:
                break
            lat, lon, alt = pos
            slant = math.hypot(haversine_m(det["lat"], det["lon"], lat, lon), alt)
            t_emit = t_heard - slant / SOUND_MPS
        if pos is None or haversine_m(det["lat"], det["lon"], lat, lon) < 1500:
            continue  # too close for a 1 s time stamp to give a sharp bearing
        expected = bearing_deg(det["lat"], det["lon"], lat, lon)
        errors.append(abs(angle_diff_deg(det["bearing_deg"], expected)) / det["bearing_sigma_deg"])
        sigmas.append(det["bearing_sigma_deg"])
    assert len(errors) > 100
    errs = np.array(errors)
    assert float(np.median(errs)) < 1.0  # a Gaussian's median |error| is 0.67 sigma
    assert float(np.mean(errs < 3.0)) > 0.93
    assert min(sigmas) >= 3.0 and max(sigmas) <= 15.0


def test_acoustic_classes_clutter_and_explosions(plain: SimulatedScenario) -> None:
    acoustic = [e for e in plain.events if isinstance(e.payload, dict) and e.payload["kind"] == "acoustic"]
    classes = Counter(str(e.payload["class"]) for e in acoustic if isinstance(e.payload, dict))
    assert classes["explosion"] > 0 and classes["propeller"] > 0
    sources = Counter(e.source.split(":")[0] for e in acoustic)
    assert sources["clutter"] > 0 and sources["strike"] > 0 and sources["aircraft"] > sources["clutter"]
    confused = 0
    by_id = {ac.id: ac.type for ac in plain.aircraft}
    for e in acoustic:
        assert isinstance(e.payload, dict)
        if e.source.startswith("aircraft:"):
            confused += e.payload["class"] != by_id[e.source[9:].split("@")[0]]
            assert 0 < e.payload["confidence"] <= 1
    assert confused > 0


def test_reports_are_varied_and_delayed(plain: SimulatedScenario) -> None:
    events = _events(plain)
    reports = [e for e in events if e["kind"] == "report"]
    texts = [str(e["text"]) for e in reports if "text" in e]
    arabic = [t for t in texts if re.search("[\u0600-\u06ff]", t)]
    english = [t for t in texts if not re.search("[\u0600-\u06ff]", t)]
    assert len(arabic) > 20 and len(english) >= 2
    structured = [e for e in reports if "aircraft" in e and "text" not in e]
    assert structured and any("lat" in e for e in structured) and any("place" in e for e in structured)
    assert {e.get("channel") for e in reports} >= {"telegram", "app"}
    relays = [e for e in reports if str(e["reporter"]).startswith("tg-ch-")]
    originals = {str(e["text"]) for e in reports if str(e["reporter"]).startswith("obs-") and "text" in e}
    assert relays and any(any(str(r["text"]).endswith(o) for o in originals) for r in relays)
    impacts = [e for e in events if e["kind"] == "impact"]
    assert impacts and any("place" in e for e in impacts) and any("lat" in e for e in impacts)
    # Every sighting arrives after the aircraft was there: 20 s at the least.
    paths = {ac.id: ac for ac in plain.aircraft}
    for ev in plain.events:
        if (
            isinstance(ev.payload, dict)
            and ev.source.startswith("aircraft:")
            and ev.payload["kind"] == "report"
        ):
            assert ev.t >= paths[ev.source[9:]].t[0] + 19


def test_dual_forms_and_compass_words_across_seeds() -> None:
    region = load_region("wadi-karam")
    texts = []
    for seed in range(4):
        texts += [str(e.get("text", "")) for e in _events(simulate(region, seed, 3.0))]
    blob = "\n".join(texts)
    assert re.search("(تان|تين) ", blob), "Arabic dual forms"
    headings = {"الشمال", "الجنوب", "الشرق", "الغرب", "الشمال الشرقي", "الجنوب الغربي"}
    assert sum(h in blob for h in headings) >= 5
    assert re.search(r"\b(two|2) \w+", blob)
    assert re.search(r"\b(north|south|east|west)(-?(east|west))? of\b", blob), "relative, English"
    assert re.search(" (شمالي|جنوبي|شرقي|غربي|شمال شرق|جنوب غرب) ", blob), "relative, Arabic"
    assert re.search(r"\d+ km (north|south|east|west)", blob) or re.search(r"على بعد \d+ كم", blob)


# --------------------------------------------------------------------------- twists


def test_twists_appear_when_asked(twisted: SimulatedScenario, tmp_path: Path) -> None:
    meta = twisted.meta()
    assert meta["twists"] == sorted(TWISTS)
    write_scenario(twisted, tmp_path)
    scenario = load_scenario(tmp_path)
    events = [e for _, e in scenario.events()]
    # malformed: every bad line is reported by the tolerant reader, nothing else is
    assert meta["malformed_lines"] >= 6
    assert len(scenario.problems.items) == meta["malformed_lines"]
    # spoofer: an unlisted source with a steady stream of sightings
    spoofer = meta["spoofer"]
    assert spoofer and spoofer not in {r.id for r in scenario.reporters}
    assert sum(getattr(e, "reporter", None) == spoofer for e in events) >= 10
    # silent sensors: nothing from a dead node after its death
    dead = {sid: parse_time(t) for sid, t in meta["dead_sensors"].items()}
    assert len(dead) >= 3
    for e in events:
        sensor = getattr(e, "sensor", None)
        if sensor in dead:
            assert e.t <= dead[sensor] + 1
    # burst: the window is far busier than the rest of the scenario
    burst = meta["burst"]
    b0, b1 = parse_time(burst["start"]), parse_time(burst["end"])
    reports = [e.t for e in events if type(e).__name__ == "Report"]
    inside = sum(b0 <= t <= b1 for t in reports)
    rate_in = inside / (b1 - b0)
    rate_out = (len(reports) - inside) / (3 * 3600 - (b1 - b0))
    assert burst["messages"] >= 30 and rate_in > 3 * rate_out
    # unknown places: reports name villages that neither the gazetteer nor the sites know
    hidden = [p for p in twisted.region.places if not p.listed]
    known = {p.name for p in scenario.places} | {s.name for s in scenario.sites}
    used = [p for p in hidden if p.id in meta["unknown_places"]]
    assert used and all(p.name not in known for p in used)
    blob = "\n".join(f"{getattr(e, 'text', '')} {getattr(e, 'place', '')}" for e in events)
    assert any(n in blob for p in used for n in (p.name, p.name_ar or "-", *p.aliases))
    # unlisted teams: civil-defence teams report strikes, and reporters.json does not know them
    teams = set(meta["unlisted_teams"])
    assert teams and not teams & {r.id for r in scenario.reporters}
    assert {getattr(e, "reporter", None) for e in events if type(e).__name__ == "Impact"} & teams


def test_without_twists_nothing_twisted(plain: SimulatedScenario) -> None:
    meta = plain.meta()
    assert meta["spoofer"] is None and meta["dead_sensors"] == {} and meta["burst"] is None
    assert meta["unknown_places"] == [] and meta["malformed_lines"] == 0 and meta["unlisted_teams"] == []
    assert any(str(r["id"]).startswith("civdef-") for r in plain.reporters)  # the teams are listed
    hidden = [p for p in plain.region.places if not p.listed]
    blob = "\n".join(str(e.payload) for e in plain.events)
    assert not any(p.name in blob or (p.name_ar and p.name_ar in blob) for p in hidden)


# --------------------------------------------------------------------------- command line


def _app() -> typer.Typer:
    app = typer.Typer()
    simulate_command.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command so that typer keeps sub-command names
        """Nothing."""

    return app


def test_cli_simulate(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "sim"
    common = ["--region", "jabal-nur", "--seed", "9", "--hours", "1", "--gzip"]
    result = runner.invoke(
        _app(), ["simulate", str(out), *common, "--twist", "spoofer", "--twist", "malformed"]
    )
    assert result.exit_code == 0, result.output
    assert "jabal-nur" in result.output and "strikes" in result.output
    assert (out / "events.jsonl.gz").exists() and not (out / "events.jsonl").exists()
    meta = _truth(out)["meta"]
    assert meta["seed"] == 9 and meta["twists"] == ["malformed", "spoofer"] and meta["hours"] == 1.0
    # the same command writes the same bytes
    again = tmp_path / "again"
    runner.invoke(_app(), ["simulate", str(again), *common, "--twist", "malformed", "--twist", "spoofer"])
    assert (again / "events.jsonl.gz").read_bytes() == (out / "events.jsonl.gz").read_bytes()
    # a region file by path, all twists
    region_file = tmp_path / "r.json"
    region_file.write_text(load_region("wadi-karam").model_dump_json(), encoding="utf-8")
    result = runner.invoke(
        _app(),
        ["simulate", str(tmp_path / "p"), "--region", str(region_file), "--hours", "0.5", "--twist", "all"],
    )
    assert result.exit_code == 0, result.output
    assert _truth(tmp_path / "p")["meta"]["twists"] == sorted(TWISTS)
    # --sensors: that many nodes, past the region file's cap of 1,000
    result = runner.invoke(_app(), ["simulate", str(tmp_path / "s"), "--hours", "0.25", "--sensors", "1200"])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "s" / "reporters.json").read_text(encoding="utf-8"))
    assert len([r for r in rows if r["kind"] == "sensor"]) == 1200


def test_cli_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_twist = runner.invoke(_app(), ["simulate", str(tmp_path / "x"), "--twist", "earthquake"])
    assert bad_twist.exit_code != 0 and "earthquake" in bad_twist.output
    bad_region = runner.invoke(_app(), ["simulate", str(tmp_path / "y"), "--region", "atlantis"])
    assert bad_region.exit_code != 0 and "atlantis" in bad_region.output
    listed = runner.invoke(_app(), ["simulate", str(tmp_path / "z"), "--list-regions"])
    assert listed.exit_code == 0 and set(REGIONS) <= set(listed.output.split())
    assert not (tmp_path / "x").exists() and not (tmp_path / "z").exists()


# --------------------------------------------------------------------------- the checked-in scenarios


GENERATED = sorted(DATA.glob("sim-*"))


def test_generated_scenarios_are_present() -> None:
    regions = {_truth(root)["meta"]["region"] for root in GENERATED}
    assert set(REGIONS) <= regions
    assert any(_truth(root)["meta"]["twists"] for root in GENERATED)


@pytest.mark.parametrize("root", GENERATED, ids=[p.name for p in GENERATED])
def test_generated_scenario_loads_and_is_small(root: Path, tmp_path: Path) -> None:
    assert sum(p.stat().st_size for p in root.iterdir()) < 1_100_000
    meta = _truth(root)["meta"]
    assert root.name == f"sim-{meta['region']}-{meta['seed']}"
    scenario = load_scenario(root)
    count = sum(1 for _ in scenario.events())
    assert count > 500
    assert len(scenario.problems.items) == meta["malformed_lines"]
    alerts = tmp_path / "alerts.jsonl"
    alerts.write_text("", encoding="utf-8")
    assert score(root, alerts).warned_share == 0.0
