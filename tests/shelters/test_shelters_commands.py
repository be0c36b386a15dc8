"""`nadhir shelters import` then `gaps --json`, checked by hand on a small file; the exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nadhir.service import cli
from nadhir.shelters.exports import check_hxl
from nadhir.store import default_url

DATA = Path(__file__).parent / "data"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as people run it: a process of its own (what it prints, and its status)."""
    return subprocess.run([sys.executable, "-m", "nadhir.service.cli", "shelters", *args],
                          capture_output=True, text=True, timeout=120, check=False, env=None)  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> str:
    return default_url(tmp_path / "shelters.sqlite3")


def test_import_then_gaps_gives_the_figures_worked_by_hand(db: str) -> None:
    imported = run("import", str(DATA / "small.csv"), "--db", db)
    assert imported.returncode == 0, imported.stderr
    err = " ".join(imported.stderr.split())  # rich wraps long lines
    assert "small.csv:7: type: must be one of" in err and "(got 'hotel')" in err
    assert "small.csv:8: lat: not a number ('north')" in err
    assert "imported 5 update(s) of 4 site(s); 2 row(s) skipped" in err

    shown = run("gaps", "--db", db, "--json")
    assert shown.returncode == 0, shown.stderr
    sites = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [s["site_id"] for s in sites] == ["idlib-stadium", "sarmada-new", "atmeh-olive", "kafr-lusin-rc"]
    by_id = {s["site_id"]: s for s in sites}
    # The stadium's later row (5 December) counts: 1000 people, 4 latrines, 9000 L, 2000 m², 30 of 200 tents.
    stadium = by_id["idlib-stadium"]
    assert stadium["individuals"] == 1000
    assert stadium["people_per_latrine"] == 250.0  # 1000 / 4
    assert stadium["water_litres_per_person_day"] == 9.0  # 9000 / 1000
    assert stadium["covered_m2_per_person"] == 2.0  # 2000 / 1000
    assert stadium["flooded_share"] == 0.15  # 30 / 200
    assert stadium["misses"] == ["latrines", "water", "space", "flooding"]
    # Sarmada: 250 people and no working latrine (no figure, a miss), 5 of 50 tents flooded.
    sarmada = by_id["sarmada-new"]
    assert (sarmada["people_per_latrine"], sarmada["water_litres_per_person_day"]) == (None, 20.0)
    assert (sarmada["covered_m2_per_person"], sarmada["flooded_share"]) == (4.0, 0.1)
    assert sarmada["misses"] == ["latrines", "flooding"]
    # Atmeh meets every standard exactly or better: 2000 / 100 = 20 per latrine, 20 L, 4 m², none flooded.
    atmeh = by_id["atmeh-olive"]
    assert (atmeh["people_per_latrine"], atmeh["water_litres_per_person_day"]) == (20.0, 20.0)
    assert (atmeh["covered_m2_per_person"], atmeh["flooded_share"], atmeh["misses"]) == (4.0, 0.0, [])
    # Kafr Lusin is empty: no per-person figure, no tents, nothing missed, nothing divided by zero.
    empty = by_id["kafr-lusin-rc"]
    assert empty["individuals"] == 0 and empty["people_per_latrine"] == 0.0
    assert (empty["water_litres_per_person_day"], empty["covered_m2_per_person"], empty["flooded_share"]) == (
        None, None, None,
    )  # fmt: skip
    assert empty["misses"] == []


def test_importing_the_same_file_twice_keeps_nothing_twice(db: str) -> None:
    run("import", str(DATA / "small.csv"), "--db", db)
    again = run("import", str(DATA / "small.csv"), "--db", db)
    assert "5 update(s) were already kept" in again.stderr and "imported 0 update(s)" in again.stderr
    history = run("history", "idlib-stadium", "--db", db)
    assert [line.split(",")[6] for line in history.stdout.splitlines()[1:]] == ["180", "212"]


def test_a_file_with_a_wrong_header_changes_nothing(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("site,people\nstadium,1000\n", encoding="utf-8")
    result = CliRunner().invoke(cli.build_app("shelters"), ["shelters", "import", str(bad), "--db", db])
    assert result.exit_code == 2 and "nothing imported" in " ".join(result.output.split())
    shown = CliRunner().invoke(cli.build_app("shelters"), ["shelters", "gaps", "--db", db, "--json"])
    assert shown.exit_code == 0 and shown.stdout == ""


def test_exports_hxl_that_libhxl_reads_and_geojson(db: str, tmp_path: Path) -> None:
    run("import", str(DATA / "small.csv"), "--db", db)
    app = cli.build_app("shelters")
    hxl_out, geo_out = tmp_path / "sites-hxl.csv", tmp_path / "sites.geojson"
    assert (
        CliRunner()
        .invoke(app, ["shelters", "export", "--format", "hxl", "--out", str(hxl_out), "--db", db])
        .exit_code
        == 0
    )
    assert (
        CliRunner()
        .invoke(app, ["shelters", "export", "--format", "geojson", "--out", str(geo_out), "--db", db])
        .exit_code
        == 0
    )
    text = hxl_out.read_text(encoding="utf-8")
    assert check_hxl(text) == []
    assert text.splitlines()[1].startswith(
        "#loc+code,#loc+name+i_en,#loc+name+i_ar,#loc+type,#geo+lat,#geo+lon"
    )
    geo = json.loads(geo_out.read_text(encoding="utf-8"))
    first = geo["features"][0]
    assert first["properties"]["id"] == "idlib-stadium" and first["properties"]["worst"] == "latrines"
    assert first["geometry"]["coordinates"] == [36.6339, 35.9306]


def test_warn_adds_the_sites_to_a_regions_sites_with_their_advice(db: str, tmp_path: Path) -> None:
    run("import", str(DATA / "small.csv"), "--db", db)
    sites = tmp_path / "sites.geojson"
    town = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6339, 35.9306]},
            "properties": {"id": "idlib", "name": "Idlib", "kind": "town"}}  # fmt: skip
    sites.write_text(json.dumps({"type": "FeatureCollection", "features": [town]}), encoding="utf-8")
    done = CliRunner().invoke(
        cli.build_app("shelters"), ["shelters", "warn", "--into", str(sites), "--db", db]
    )
    assert done.exit_code == 0, done.output
    features = json.loads(sites.read_text(encoding="utf-8"))["features"]
    props = {f["properties"]["id"]: f["properties"] for f in features}
    assert set(props) == {"idlib", "idlib-stadium", "atmeh-olive", "kafr-lusin-rc", "sarmada-new"}
    assert (
        props["idlib-stadium"]["kind"] == "collective-centre" and props["idlib-stadium"]["population"] == 1000
    )
    assert props["atmeh-olive"]["shelter_instructions"][0].startswith("Leave the tents now")
