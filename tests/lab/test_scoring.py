"""`nadhir score`: episode rules on small hand-made files, and agreement with the shared reference scorer."""

from __future__ import annotations

import importlib.util
import json
import math
import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from nadhir.domain.timefmt import parse_time
from nadhir.geo.distance import haversine_m
from nadhir_lab.commands import score as score_command
from nadhir_lab.scoring import (
    REPORT_KEYS,
    ScoreInputError,
    ScoreReport,
    combine,
    format_summary,
    score,
    to_json,
)

REPO = Path(__file__).resolve().parents[2]
PUBLIC_SCENARIOS = REPO / "tests" / "data" / "scenarios"
REFERENCE = REPO / ".." / "shared" / "tools" / "score_scenario.py"

# ---------------------------------------------------------------- a tiny scenario

BASE = parse_time("2025-01-01T00:00:00Z")
STRIKE_T = BASE + 3600.0  # the strike on the town
CAMP_STRIKE_T = BASE + 7200.0  # a strike 1 km outside the camp's polygon
END = BASE + 3 * 3600.0
TOWN = (35.0, 36.0)
M_PER_DEG_LON = 111_194.9 * math.cos(math.radians(TOWN[0]))


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


def point_site(site_id: str, kind: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"id": site_id, "name": site_id.title(), "kind": kind},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def square_site(site_id: str, lat: float, lon: float, half_deg: float) -> dict[str, Any]:
    ring = [
        [lon - half_deg, lat - half_deg],
        [lon + half_deg, lat - half_deg],
        [lon + half_deg, lat + half_deg],
        [lon - half_deg, lat + half_deg],
        [lon - half_deg, lat - half_deg],
    ]
    return {
        "type": "Feature",
        "properties": {"id": site_id, "name": site_id.title(), "kind": "camp"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """Town (2 km) struck at STRIKE_T; schools 1.8 km and 2.3 km from that strike; a camp polygon
    with a strike 1 km outside it at CAMP_STRIKE_T; an aircraft taking off an hour before the town strike."""
    root = tmp_path / "tiny"
    root.mkdir()
    lat, lon = TOWN
    sites = [
        point_site("town", "town", lat, lon),
        point_site("near-school", "school", lat, lon + 1800 / M_PER_DEG_LON),
        point_site("far-school", "school", lat, lon + 2300 / M_PER_DEG_LON),
        square_site("camp", 35.2, 36.0, 0.01),
    ]
    (root / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": sites}))
    truth = {
        "aircraft": [
            {
                "id": "a1",
                "type": "jet",
                "path": [
                    {"t": iso(BASE), "lat": 34.5, "lon": 36.0},
                    {"t": iso(STRIKE_T), "lat": lat, "lon": lon},
                ],
            }
        ],
        "strikes": [
            {"t": iso(STRIKE_T), "lat": lat, "lon": lon, "aircraft": "a1"},
            {"t": iso(CAMP_STRIKE_T), "lat": 35.21 + 1000 / 111_195.0, "lon": 36.0},
        ],
        "meta": {"start": iso(BASE), "end": iso(END)},
    }
    (root / "truth.json").write_text(json.dumps(truth))
    return root


def write_lines(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def line(t: float, action: str, site: str = "town", level: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"t": iso(t), "action": action, "site": site}
    if level is not None:
        row["level"] = level
    return row


def score_rows(scenario: Path, rows: list[dict[str, Any] | str]) -> ScoreReport:
    return score(scenario, write_lines(scenario.parent / "alerts.jsonl", rows))


# ---------------------------------------------------------------- episode rules


def test_schools_sit_where_the_margin_tests_need_them() -> None:
    assert haversine_m(*TOWN, TOWN[0], TOWN[1] + 1800 / M_PER_DEG_LON) == pytest.approx(1800, abs=5)
    assert haversine_m(*TOWN, TOWN[0], TOWN[1] + 2300 / M_PER_DEG_LON) == pytest.approx(2300, abs=5)


def test_no_alerts(scenario: Path) -> None:
    r = score_rows(scenario, [])
    assert (r.strikes, r.strike_site_pairs, r.episodes) == (2, 1, 0)
    assert r.warned_share == 0.0
    assert r.lead_time_p50_s == 0.0
    assert r.oracle_lead_p50_s == 1800.0  # take-off an hour before, capped
    assert r.lead_vs_oracle == 0.0
    assert r.false_alarm_share is None
    assert r.alert_minutes_per_site_hour == 0.0
    assert r.oracle_alert_minutes_per_site_hour == pytest.approx(30 / (4 * 3))
    assert r.ospa_m is None
    assert r.malformed_lines == 0


def test_open_episode_warns_with_its_lead(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 600, "alert")])
    assert r.warned_share == 1.0
    assert r.lead_time_p50_s == 600.0
    assert r.siren_lead_p50_s == 600.0  # no level means imminent
    assert r.siren_warned_60s_share == 1.0
    assert r.lead_vs_oracle == pytest.approx(600 / 1800)
    assert r.false_alarm_share == 0.0
    assert r.sites["town"].warned == 1


def test_stray_update_starts_an_episode(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 300, "update")])
    assert r.episodes == 1
    assert r.lead_time_p50_s == 300.0


def test_all_clear_ends_the_episode(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 900, "alert"), line(STRIKE_T - 60, "all_clear")])
    assert r.episodes == 1
    assert r.warned_share == 0.0
    assert r.false_alarm_share == 0.0  # the strike came within 10 min of the end
    assert r.alert_minutes_per_site_hour == pytest.approx(14 / (4 * 3))
    assert r.sites["town"].alert_minutes == 14.0


def test_stray_all_clear_is_ignored(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 900, "all_clear")])
    assert r.episodes == 0
    assert r.malformed_lines == 0


def test_episode_goes_stale_20_minutes_after_its_last_line(scenario: Path) -> None:
    stale = score_rows(scenario, [line(STRIKE_T - 1300, "alert")])
    assert stale.warned_share == 0.0
    assert stale.alert_minutes_per_site_hour == pytest.approx(20 / (4 * 3))

    kept = score_rows(scenario, [line(STRIKE_T - 1300, "alert"), line(STRIKE_T - 200, "update")])
    assert kept.warned_share == 1.0
    assert kept.lead_time_p50_s == 1300.0


def test_line_after_staleness_starts_a_new_episode(scenario: Path) -> None:
    r = score_rows(
        scenario,
        [
            line(STRIKE_T - 3000, "alert"),
            line(STRIKE_T - 1700, "all_clear"),  # 21:40 after the alert: already stale, ignored
            line(STRIKE_T - 500, "update"),
        ],
    )
    assert r.episodes == 2
    assert r.lead_time_p50_s == 500.0
    assert r.false_alarm_share == 0.5


def test_lead_is_capped_at_30_minutes(scenario: Path) -> None:
    rows = [line(STRIKE_T - 2400 + k * 600, "alert" if k == 0 else "update") for k in range(4)]
    r = score_rows(scenario, rows)
    assert r.warned_share == 1.0
    assert r.lead_time_p50_s == 1800.0
    assert r.lead_vs_oracle == 1.0


def test_imminent_part_starts_at_first_imminent_line(scenario: Path) -> None:
    r = score_rows(
        scenario,
        [
            line(STRIKE_T - 900, "alert", level="early"),
            line(STRIKE_T - 120, "update", level="imminent"),
            line(STRIKE_T - 60, "update", level="early"),  # lowering does not move the siren start
            line(STRIKE_T + 60, "all_clear"),
        ],
    )
    assert r.lead_time_p50_s == 900.0
    assert r.siren_lead_p50_s == 120.0
    assert r.siren_warned_60s_share == 1.0
    assert r.imminent_episodes == 1
    assert r.imminent_false_alarm_share == 0.0
    assert r.imminent_minutes_per_site_hour == pytest.approx(3 / (4 * 3))
    assert r.alert_minutes_per_site_hour == pytest.approx(16 / (4 * 3))


def test_late_siren_is_not_a_60s_warning(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 900, "alert", level="early"), line(STRIKE_T - 30, "update")])
    assert r.siren_lead_p50_s == 30.0
    assert r.siren_warned_60s_share == 0.0


def test_early_only_episode_has_no_imminent_part(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 900, "alert", level="early")])
    assert r.warned_share == 1.0
    assert r.siren_lead_p50_s == 0.0
    assert r.imminent_episodes == 0
    assert r.imminent_false_alarm_share is None
    assert r.imminent_minutes_per_site_hour == 0.0


def test_imminent_part_can_be_a_false_alarm_alone(scenario: Path) -> None:
    r = score_rows(
        scenario,
        [
            line(STRIKE_T - 900, "alert", level="early"),
            line(STRIKE_T + 30, "update", level="imminent"),  # sirens after the strike
            line(STRIKE_T + 60, "all_clear"),
        ],
    )
    assert r.false_alarm_share == 0.0
    assert r.imminent_false_alarm_share == 1.0


def test_false_alarm_margin_is_1500_m_around_the_area(scenario: Path) -> None:
    r = score_rows(
        scenario,
        [
            line(STRIKE_T - 300, "alert", site="near-school"),  # strike 1.3 km outside its 500 m
            line(STRIKE_T - 300, "alert", site="far-school"),  # strike 1.8 km outside
            line(CAMP_STRIKE_T - 300, "alert", site="camp"),  # strike 1 km outside the polygon
            line(STRIKE_T - 300, "alert", site="camp"),  # nothing near the camp then
        ],
    )
    assert r.strike_site_pairs == 1  # neither school nor camp contains a strike
    assert {k: s.false_alarms for k, s in r.sites.items()} == {
        "town": 0,
        "near-school": 0,
        "far-school": 1,
        "camp": 1,
    }
    assert r.false_alarm_share == pytest.approx(2 / 4)


def test_false_alarm_grace_is_10_minutes(scenario: Path) -> None:
    in_grace = score_rows(scenario, [line(STRIKE_T - 900, "alert"), line(STRIKE_T - 500, "all_clear")])
    assert in_grace.false_alarm_share == 0.0
    too_early = score_rows(scenario, [line(STRIKE_T - 900, "alert"), line(STRIKE_T - 700, "all_clear")])
    assert too_early.false_alarm_share == 1.0


def test_episodes_are_cut_at_the_scenario_end(scenario: Path) -> None:
    r = score_rows(
        scenario,
        [
            line(END - 60, "alert", site="far-school", level="early"),
            line(END + 30, "update", site="far-school"),  # sirens only after the end: never sounded
            line(END + 600, "alert"),  # starts after the end: an empty episode
        ],
    )
    assert r.episodes == 2
    assert r.sites["far-school"].alert_minutes == 1.0
    assert r.sites["town"].alert_minutes == 0.0
    assert r.imminent_episodes == 1  # the town's, of zero length
    assert r.imminent_minutes_per_site_hour == 0.0


def test_lines_are_scored_in_time_order(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 60, "update"), line(STRIKE_T - 600, "alert")])
    assert r.episodes == 1
    assert r.lead_time_p50_s == 600.0


def test_malformed_lines_are_counted_never_fatal(scenario: Path) -> None:
    bad: list[dict[str, Any] | str] = [
        "not json at all",
        "[1, 2]",
        {"action": "alert", "site": "town"},
        {"t": "yesterday", "action": "alert", "site": "town"},
        line(STRIKE_T - 400, "alert", site="atlantis"),
        line(STRIKE_T - 400, "warn"),
        line(STRIKE_T - 400, "alert", level="loud"),
        {"t": iso(STRIKE_T - 400), "action": "alert", "site": ["town"]},
        {"t": 12345, "action": "alert", "site": "town"},
    ]
    r = score_rows(scenario, [*bad, "", line(STRIKE_T - 300, "alert")])
    assert r.malformed_lines == len(bad)
    assert r.warned_share == 1.0
    assert r.lead_time_p50_s == 300.0
    listed = r.as_dict()["problems"]
    assert listed[0] == "alerts:1: not JSON"
    assert any("atlantis" in p for p in listed)
    assert "skipped lines:         9" in format_summary(r)


def test_only_20_problems_are_listed(scenario: Path) -> None:
    r = score_rows(scenario, ["oops"] * 25)
    assert r.malformed_lines == 25
    assert len(r.as_dict()["problems"]) == 20


def test_missing_inputs_raise(scenario: Path, tmp_path: Path) -> None:
    alerts = write_lines(tmp_path / "a.jsonl", [])
    with pytest.raises(ScoreInputError, match="no such scenario folder"):
        score(tmp_path / "nope", alerts)
    with pytest.raises(ScoreInputError, match="no such alerts file"):
        score(scenario, tmp_path / "missing.jsonl")
    (scenario / "truth.json").unlink()
    with pytest.raises(ScoreInputError, match="truth"):
        score(scenario, alerts)
    (scenario / "sites.geojson").unlink()
    with pytest.raises(ScoreInputError, match="sites"):
        score(scenario, alerts)


def test_span_comes_from_events_without_meta(scenario: Path) -> None:
    truth = json.loads((scenario / "truth.json").read_text())
    del truth["meta"]
    (scenario / "truth.json").write_text(json.dumps(truth))
    write_lines(scenario / "events.jsonl", [{"t": iso(BASE - 1800), "kind": "report"}, "junk"])
    r = score_rows(scenario, [])
    assert r.scenario_hours == 2.5  # from the first event to the camp strike


# ---------------------------------------------------------------- tracks and OSPA


def truth_track_rows(track: str = "t1") -> list[dict[str, Any] | str]:
    """Fixes exactly on the aircraft's path at every 10 s grid time (speed 0: no dead reckoning)."""
    rows: list[dict[str, Any] | str] = []
    for k in range(0, 361):
        f = k / 360
        rows.append({"t": iso(BASE + 10 * k), "track": track, "lat": 34.5 + f * 0.5, "lon": 36.0})
    return rows


def test_tracks_on_the_truth_give_zero_ospa(scenario: Path) -> None:
    tracks = write_lines(scenario.parent / "tracks.jsonl", truth_track_rows())
    r = score(scenario, write_lines(scenario.parent / "alerts.jsonl", []), tracks)
    # Exact on all 361 grid times of the flight; at BASE + 3610 s the last fix is still
    # fresh (10 s) but the aircraft is gone, which costs c once.
    assert r.totals.ospa_samples == 362
    assert r.ospa_m == pytest.approx(10_000 / 362, rel=1e-9)


def test_ghost_track_costs_c_over_root_two(scenario: Path) -> None:
    ghost = [{"t": iso(BASE + 10 * k), "track": "ghost", "lat": 30.0, "lon": 30.0} for k in range(361)]
    rows = truth_track_rows() + ghost + ["{bad", {"t": iso(BASE), "track": "x", "lat": "north", "lon": 1}]
    tracks = write_lines(scenario.parent / "tracks.jsonl", rows)
    r = score(scenario, write_lines(scenario.parent / "alerts.jsonl", []), tracks)
    # c / sqrt(2) with one true and two estimated positions; c once after the landing.
    assert r.ospa_m == pytest.approx((361 * 10_000 / math.sqrt(2) + 10_000) / 362, rel=1e-9)
    assert r.malformed_lines == 2


def test_stale_track_state_is_not_counted(scenario: Path) -> None:
    rows: list[dict[str, Any] | str] = [{"t": iso(BASE), "track": "t1", "lat": 34.5, "lon": 36.0}]
    tracks = write_lines(scenario.parent / "tracks.jsonl", rows)
    r = score(scenario, write_lines(scenario.parent / "alerts.jsonl", []), tracks)
    # Only t=BASE and BASE+10 see the track (<= 10 s old): 0 m, then the aircraft's 10 s of
    # flight; the other 359 samples miss the aircraft entirely (c each).
    flown = haversine_m(34.5, 36.0, 34.5 + 0.5 / 360, 36.0)
    assert r.totals.ospa_samples == 361
    assert r.ospa_m == pytest.approx((flown + 359 * 10_000) / 361, rel=1e-9)


def test_missing_tracks_file_is_a_problem(scenario: Path) -> None:
    r = score(scenario, write_lines(scenario.parent / "a.jsonl", []), scenario.parent / "no-tracks.jsonl")
    assert r.ospa_m is None
    assert r.malformed_lines == 1


# ---------------------------------------------------------------- output and combining


def test_dict_and_json_have_the_reference_keys(scenario: Path) -> None:
    r = score_rows(scenario, [line(STRIKE_T - 600, "alert")])
    assert list(r.as_dict()) == list(REPORT_KEYS)
    assert json.loads(to_json(r)) == r.as_dict()
    assert set(r.as_dict()["sites"]["town"]) == {
        "name",
        "kind",
        "strike_site_pairs",
        "warned",
        "episodes",
        "false_alarms",
        "alert_minutes",
    }
    text = format_summary(r)
    assert "warned share:          100.0 %" in text
    assert "town" in text


def test_combine_adds_counts_then_divides(scenario: Path) -> None:
    a = score_rows(
        scenario, [line(STRIKE_T - 600, "alert"), line(STRIKE_T - 600, "alert", site="far-school")]
    )
    b = score_rows(scenario, [line(STRIKE_T - 1300, "alert")])  # stale before the strike
    both = combine([a, b])
    assert both["scenarios"] == 2
    assert both["strike_site_pairs"] == 2
    assert both["episodes"] == 3
    assert both["warned_share"] == 0.5
    assert both["false_alarm_share"] == pytest.approx(1 / 3)  # far-school
    assert both["lead_vs_oracle"] == pytest.approx(600 / 3600)
    assert both["siren_warned_60s_share"] == 0.5
    assert both["site_hours"] == pytest.approx(24.0)
    assert a.totals.alert_s == 2 * 20 * 60.0  # both open until stale, 20 min after the alert
    assert both["alert_minutes_per_site_hour"] == pytest.approx((40 + 20) / 24)
    assert both["imminent_minutes_per_site_hour"] == pytest.approx((40 + 20) / 24)
    assert "warned share:          50.0 %" in format_summary(both)
    same = combine([a, a])
    for key in ("warned_share", "lead_vs_oracle", "false_alarm_share", "alert_minutes_per_site_hour"):
        assert same[key] == pytest.approx(a.as_dict()[key])


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Group, so that `score` stays a sub-command."""

    score_command.register(app)
    return app


def test_cli_prints_summary_and_json(cli: typer.Typer, scenario: Path) -> None:
    alerts = write_lines(scenario.parent / "alerts.jsonl", [line(STRIKE_T - 600, "alert")])
    runner = CliRunner()
    text = runner.invoke(cli, ["score", str(scenario), str(alerts)])
    assert text.exit_code == 0, text.output
    assert "warned share" in text.output
    as_json = runner.invoke(cli, ["score", str(scenario), str(alerts), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["warned_share"] == 1.0
    both = runner.invoke(cli, ["score", str(scenario), str(alerts), str(scenario), str(alerts), "--json"])
    assert both.exit_code == 0, both.output
    assert json.loads(both.output)["combined"]["strike_site_pairs"] == 2


def test_cli_exits_2_on_missing_inputs(cli: typer.Typer, scenario: Path, tmp_path: Path) -> None:
    alerts = write_lines(tmp_path / "a.jsonl", [])
    runner = CliRunner()
    missing = runner.invoke(cli, ["score", str(tmp_path / "nope"), str(alerts)])
    assert missing.exit_code == 2
    assert "no such scenario folder" in missing.output
    (scenario / "truth.json").unlink()
    no_truth = runner.invoke(cli, ["score", str(scenario), str(alerts)])
    assert no_truth.exit_code == 2
    assert "truth" in no_truth.output
    odd = runner.invoke(cli, ["score", str(scenario)])
    assert odd.exit_code == 2


# ---------------------------------------------------------------- cross-check with the reference


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    if not REFERENCE.is_file():
        pytest.skip(
            "../shared/tools/score_scenario.py not found: cross-check needs the shared tools beside the repo"
        )
    spec = importlib.util.spec_from_file_location("shared_score_scenario", REFERENCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            yield obj


def site_points(scenario: Path) -> list[tuple[str, float, float, float]]:
    """(id, lat, lon, radius_m) per site; a polygon counts by its first vertex with no radius."""
    out = []
    for feature in json.loads((scenario / "sites.geojson").read_text())["features"]:
        props, geom = feature["properties"], feature["geometry"]
        if geom["type"] == "Point":
            lon, lat = geom["coordinates"][:2]
            radius = float(props.get("radius_m") or (2000.0 if props.get("kind") == "town" else 500.0))
        else:
            lon, lat = geom["coordinates"][0][0]
            radius = 0.0
        out.append((str(props["id"]), lat, lon, radius))
    return out


def naive_alerts(scenario: Path) -> list[dict[str, Any] | str]:
    """Warn every site within 15 km of a located report or impact, for 10 minutes."""
    sites = site_points(scenario)
    rows: list[tuple[float, dict[str, Any]]] = []
    for k, event in enumerate(read_jsonl(scenario / "events.jsonl")):
        located = all(isinstance(event.get(k), float | int) for k in ("lat", "lon"))
        if event.get("kind") not in ("report", "impact") or not located:
            continue
        t = parse_time(event["t"])
        for site_id, lat, lon, _ in sites:
            d = haversine_m(lat, lon, event["lat"], event["lon"])
            if d <= 15_000:
                level = "imminent" if d <= 5_000 else "early"
                rows.append((t, {"t": event["t"], "action": "alert", "site": site_id, "level": level}))
                if k % 2 == 0:  # the others go stale
                    rows.append((t + 600, {"t": iso(t + 600), "action": "all_clear", "site": site_id}))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def strike_aimed_alerts(scenario: Path, seed: int) -> list[dict[str, Any] | str]:
    """Alerts around every strike for the sites near it, with random leads, sirens and all-clears."""
    rng = random.Random(seed)
    sites = site_points(scenario)
    rows: list[dict[str, Any] | str] = []
    for strike in json.loads((scenario / "truth.json").read_text())["strikes"]:
        t = parse_time(strike["t"])
        for site_id, lat, lon, radius in sites:
            if haversine_m(lat, lon, strike["lat"], strike["lon"]) > radius + 3000 or rng.random() < 0.2:
                continue
            rows.append(
                line(t - rng.uniform(-120, 2800), "alert", site_id, rng.choice(["early", "early", None]))
            )
            rows.append(line(t - rng.uniform(-60, 240), "update", site_id, rng.choice(["imminent", "early"])))
            if rng.random() < 0.6:
                rows.append(line(t + rng.uniform(-300, 900), "all_clear", site_id))
    return rows


def random_alerts(scenario: Path, seed: int) -> list[dict[str, Any] | str]:
    """Random lines over the scenario and beyond it, with malformed ones, in shuffled order."""
    rng = random.Random(seed)
    truth = json.loads((scenario / "truth.json").read_text())
    meta = truth.get("meta") or {}
    start = parse_time(meta.get("start", "2025-05-02T03:00:00Z"))
    end = parse_time(meta.get("end", "2025-05-02T06:00:00Z"))
    site_ids = [s[0] for s in site_points(scenario)] + ["atlantis"]
    rows: list[dict[str, Any] | str] = []
    for _ in range(600):
        roll = rng.random()
        if roll < 0.03:
            rows.append(rng.choice(["{not json", "[]", '"text"', "42"]))
            continue
        t = start + rng.uniform(-900, end - start + 1800)
        row: dict[str, Any] = {
            "t": iso(round(t, rng.choice([0, 0, 3]))),
            "action": rng.choices(["alert", "update", "all_clear", "bogus"], [5, 4, 3, 0.2])[0],
            "site": rng.choice(site_ids),
        }
        level = rng.choices(["early", "imminent", None, "", "loud", "absent"], [4, 4, 1, 1, 0.2, 4])[0]
        if level != "absent":
            row["level"] = level
        if roll < 0.05:
            del row[rng.choice(["t", "action", "site"])]
        elif roll < 0.06:
            row["t"] = rng.choice(["soon", 1234, None])
        rows.append(row)
    rng.shuffle(rows)
    return rows


def noisy_tracks(scenario: Path, seed: int) -> list[dict[str, Any] | str]:
    """Fixes every 7 s along each true path with noise, gaps, a ghost and malformed lines."""
    rng = random.Random(seed)
    rows: list[dict[str, Any] | str] = []
    for n, ac in enumerate(json.loads((scenario / "truth.json").read_text())["aircraft"]):
        path = ac["path"]
        times = [parse_time(p["t"]) for p in path]
        t, i = times[0] + rng.uniform(0, 7), 0
        while t < times[-1]:
            while times[i + 1] < t:
                i += 1
            a, b = path[i], path[i + 1]
            f = (t - times[i]) / (times[i + 1] - times[i])
            lat = a["lat"] + f * (b["lat"] - a["lat"]) + rng.gauss(0, 0.003)
            lon = a["lon"] + f * (b["lon"] - a["lon"]) + rng.gauss(0, 0.003)
            dy = (b["lat"] - a["lat"]) * 111_195.0
            dx = (b["lon"] - a["lon"]) * 111_195.0 * math.cos(math.radians(a["lat"]))
            speed = math.hypot(dx, dy) / (times[i + 1] - times[i])
            heading = math.degrees(math.atan2(dx, dy)) % 360
            if rng.random() > 0.1:  # some fixes are lost: the track goes stale for a while
                fix: dict[str, Any] = {"t": iso(round(t, 3)), "track": f"T{n}", "lat": lat, "lon": lon}
                if rng.random() > 0.05:
                    fix |= {
                        "speed_mps": speed * rng.uniform(0.8, 1.2),
                        "heading_deg": heading + rng.gauss(0, 5),
                    }
                rows.append(fix)
            t += 7
    ghost_t = parse_time(json.loads((scenario / "truth.json").read_text())["strikes"][0]["t"])
    for k in range(120):
        rows.append(
            {
                "t": iso(ghost_t + 5 * k),
                "track": 99,
                "lat": 35.9,
                "lon": 36.6,
                "speed_mps": 50.0,
                "heading_deg": 90,
            }
        )
    rows += ["{oops", {"t": iso(ghost_t), "track": "bad"}, {"t": iso(ghost_t), "lat": 1, "lon": 2}]
    rng.shuffle(rows)
    return rows


def polygon_variant(source: Path, target: Path) -> Path:
    """The scenario with every third site a polygon and no meta span (it comes from the events)."""
    shutil.copytree(source, target)
    collection = json.loads((source / "sites.geojson").read_text())
    for k, feature in enumerate(collection["features"]):
        if k % 3 == 0:
            lon, lat = feature["geometry"]["coordinates"][:2]
            d = 0.015
            ring = [
                [lon - d, lat - d],
                [lon + d, lat - 0.5 * d],
                [lon + 0.7 * d, lat + d],
                [lon - d, lat + d],
            ]
            feature["geometry"] = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    (target / "sites.geojson").write_text(json.dumps(collection))
    truth = json.loads((source / "truth.json").read_text())
    truth.pop("meta", None)
    (target / "truth.json").write_text(json.dumps(truth))
    return target


def assert_agrees(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert list(ours) == list(theirs)
    for key, want in theirs.items():
        got = ours[key]
        if key == "problems":
            assert got == want
        elif key == "sites":
            assert list(got) == list(want)
            for site_id, row in want.items():
                for field, value in row.items():
                    assert got[site_id][field] == pytest.approx(value, rel=1e-6, abs=1e-9), (site_id, field)
        elif want is None:
            assert got is None, key
        else:
            assert got == pytest.approx(want, rel=1e-6, abs=1e-9), key


@pytest.mark.parametrize("name", ["idlib-basic", "idlib-twists", "idlib-basic+polygons"])
def test_agrees_with_reference_scorer(reference: ModuleType, name: str, tmp_path: Path) -> None:
    base, _, variant = name.partition("+")
    scenario = PUBLIC_SCENARIOS / base
    if not scenario.is_dir():
        pytest.skip(f"public scenario {base} missing")
    if variant:
        scenario = polygon_variant(scenario, tmp_path / name)
    tracks = write_lines(tmp_path / "tracks.jsonl", noisy_tracks(scenario, seed=7))
    streams = {
        "naive": naive_alerts(scenario),
        "aimed": strike_aimed_alerts(scenario, seed=3),
        "random": random_alerts(scenario, seed=11),
        "empty": [],
    }
    warned_some = False
    for label, rows in streams.items():
        alerts = write_lines(tmp_path / f"{label}.jsonl", rows)
        with_tracks = tracks if label in ("aimed", "random") else None
        ours = score(scenario, alerts, with_tracks).as_dict()
        theirs = reference.score(
            str(scenario), str(alerts), None if with_tracks is None else str(with_tracks)
        )
        assert_agrees(ours, theirs)
        warned_some = warned_some or bool(theirs["warned_share"])
    assert warned_some  # the streams exercise warned pairs, not only misses
