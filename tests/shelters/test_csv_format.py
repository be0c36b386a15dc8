"""The shelters CSV: exact columns, later rows are updates, bad rows reported by line and skipped."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nadhir.shelters.csv_format import COLUMNS, CsvFormatError, read_csv, write_csv
from nadhir.shelters.sites import history, latest

DATA = Path(__file__).parent / "data"
ROW = "idlib-stadium,Stadium,,collective-centre,35.93,36.63,212,1000,4,0,9000,200,30,2000,2026-12-05"


def test_the_small_file_reads_with_its_two_bad_rows_reported() -> None:
    read = read_csv((DATA / "small.csv").read_text(encoding="utf-8"), "small.csv")
    assert [u.site_id for u in read.updates] == [
        "idlib-stadium", "atmeh-olive", "idlib-stadium", "kafr-lusin-rc", "sarmada-new",
    ]  # fmt: skip
    assert [(p.line, p.reason.split(":")[0]) for p in read.problems] == [(7, "type"), (8, "lat")]
    stadium = history(read.updates, "idlib-stadium")
    assert [u.households for u in stadium] == [180, 212]  # a later row is a new update
    assert latest(read.updates)["idlib-stadium"].individuals == 1000
    assert read.updates[0].type == "collective-centre" and read.updates[4].type == "planned-camp"
    assert read.updates[0].source == "small.csv:2"
    assert read.updates[4].name_ar is None


def test_export_then_import_gives_the_same_updates() -> None:
    read = read_csv((DATA / "small.csv").read_text(encoding="utf-8"))
    text = write_csv(read.updates)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    again = read_csv(text)
    assert again.problems == []
    assert [replace(u, source="") for u in read.updates] == [replace(u, source="") for u in again.updates]


def test_a_wrong_header_refuses_the_whole_file() -> None:
    with pytest.raises(CsvFormatError, match="latrines_working"):
        read_csv("site_id,name,name_ar,type,lat,lon\n")


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"households": "2.5"}, "households: must be a whole number"),
        ({"individuals": "-4"}, "individuals: must be between 0"),
        ({"tents_flooded": "300"}, "tents_flooded: 300 is more than the 200 tents"),
        ({"updated": "yesterday"}, "updated:"),
        ({"updated": ""}, "updated: required"),
        ({"site_id": "idlib stadium"}, "site_id:"),
        ({"water_litres_per_day": "nan"}, "water_litres_per_day: must be a finite number"),
    ],
)
def test_each_bad_cell_is_named(cells: dict[str, str], reason: str) -> None:
    row = dict(zip(COLUMNS, ROW.split(","), strict=True))
    row.update(cells)
    text = ",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n"
    read = read_csv(text)
    assert read.updates == [] and len(read.problems) == 1
    assert read.problems[0].line == 2 and reason in read.problems[0].reason


def test_the_same_site_twice_at_the_same_time_is_reported() -> None:
    row = "idlib-stadium,Stadium,,collective-centre,35.93,36.63,212,1000,4,0,9000,200,30,2000,2026-12-05\n"
    read = read_csv(",".join(COLUMNS) + "\n" + row + row)
    assert len(read.updates) == 1 and read.problems[0].line == 3


def test_the_demo_sites_read_whole() -> None:
    from nadhir.service.region import DATA

    read = read_csv((DATA / "shelters" / "demo-idlib.csv").read_text(encoding="utf-8"))
    assert read.problems == [] and len(latest(read.updates)) == 5
