"""The HXL export is checked with libhxl: a good one passes, a broken one is refused with reasons."""

from __future__ import annotations

from pathlib import Path

from nadhir.shelters.csv_format import read_csv
from nadhir.shelters.exports import check_hxl, geojson, hxl_csv
from nadhir.shelters.sites import latest

DATA = Path(__file__).parent / "data"


def sites_hxl() -> str:
    read = read_csv((DATA / "small.csv").read_text(encoding="utf-8"))
    return hxl_csv(list(latest(read.updates).values()))


def test_the_export_validates_and_ranks_the_neediest_first() -> None:
    text = sites_hxl()
    assert check_hxl(text) == []
    rows = text.splitlines()
    assert [r.split(",")[0] for r in rows[2:]] == [
        "idlib-stadium",
        "sarmada-new",
        "atmeh-olive",
        "kafr-lusin-rc",
    ]
    assert rows[2].endswith(",250,9,2,0.15,latrines water space flooding,2026-12-05T08:00:00Z")


def test_a_broken_export_is_refused_with_its_reasons() -> None:
    text = sites_hxl()
    assert any("Expected a number" in e for e in check_hxl(text.replace("35.930600", "north")))
    assert any("hashtags missing: #geo+lat" in e for e in check_hxl(text.replace("#geo+lat", "#geo+x")))
    assert any("less than" in e for e in check_hxl(text.replace(",1000,", ",-1000,")))
    assert check_hxl("") != []


def test_geojson_has_each_site_once_with_its_rank() -> None:
    read = read_csv((DATA / "small.csv").read_text(encoding="utf-8"))
    geo = geojson(list(latest(read.updates).values()))
    assert [f["properties"]["rank"] for f in geo["features"]] == [1, 2, 3, 4]
    assert geo["features"][1]["properties"]["people_per_latrine"] is None
