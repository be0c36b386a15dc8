"""Exports: the public one parses with libhxl, has a hashtag on every column, and gives away
nothing private; the private one carries it all."""

from __future__ import annotations

import csv
import io
import json
import re

import hxl
import pytest
from attack_samples import FACILITY, sample_record

from nadhir.health.attack_export import ExportError, check_hxl, columns, to_hxl_csv, to_json
from nadhir.health.attack_views import PUBLIC_FIELDS, private_view, public_view
from nadhir.health.attacks import AttackRecord, Links, Source

RECORDS: list[AttackRecord] = [
    sample_record(id=1),
    sample_record(
        id=2,
        sources=(
            Source("report", "obs-idlib-11@2025-05-02T04:21:00Z"),
            Source("sensor", "acoustic:ac-0007+ac-0010@x"),
        ),
        narrative="Second strike, the generator room; نقل المرضى إلى سرمدا",
        links=Links(
            (("idlib-national-hospital", 1746159000.0),), ("T43",), ("obs-idlib-11@2025-05-02T04:21:00Z",), 1
        ),
    ),
]
# What must never be in a public export.
PRIVATE = [
    FACILITY.name,
    FACILITY.id,
    "dr-samer-khalil",
    "enab-baladi-article",
    "obs-idlib-11",
    "ac-0007",
    "T43",
    "missile",  # the weapon and the rest of the narrative's details are private too
    "A missile hit the road",
    "generator room",
    "نقل المرضى",
    str(FACILITY.lat),
    str(FACILITY.lon),
]
COORDINATE = re.compile(r"\b\d{1,3}\.\d{3,}\b")


def test_the_public_hxl_export_parses_with_libhxl_and_tags_every_column() -> None:
    text = to_hxl_csv(RECORDS, "public")
    data = hxl.data(list(csv.reader(io.StringIO(text))))
    tags = [c.display_tag for c in data.columns]
    headers = next(csv.reader(io.StringIO(text)))
    assert len(tags) == len(headers) and all(t.startswith("#") for t in tags)
    rows = list(data)
    assert len(rows) == 2
    assert rows[0].get("#date+occurred") == "2025-05-02"
    assert rows[0].get("#adm2+name") == "Idlib"
    assert rows[0].get("#adm2+code") == "SY070000"
    assert rows[0].get("#affected+injured") == "6"
    assert rows[0].get("#status+certainty") == "probable"
    assert rows[1].get("#status+certainty") == "possible"
    assert rows[0].get("#loc+type") == "hospital"


@pytest.mark.parametrize("secret", PRIVATE)
def test_the_public_exports_carry_nothing_private(secret: str) -> None:
    for text in (to_hxl_csv(RECORDS, "public"), to_json(RECORDS, "public")):
        assert secret not in text


def test_the_public_exports_carry_no_coordinates() -> None:
    for text in (to_hxl_csv(RECORDS, "public"), to_json(RECORDS, "public")):
        assert not COORDINATE.search(text), COORDINATE.search(text)
        assert "lat" not in text.lower() and "lon" not in text.lower() and "#geo" not in text


@pytest.mark.parametrize("secret", PRIVATE)
def test_the_private_exports_carry_it(secret: str) -> None:
    for text in (to_hxl_csv(RECORDS, "private"), to_json(RECORDS, "private")):
        assert secret in text


def test_the_private_hxl_export_parses_with_libhxl_and_tags_every_column() -> None:
    text = to_hxl_csv(RECORDS, "private")
    data = hxl.data(list(csv.reader(io.StringIO(text))))
    assert [c.display_tag for c in data.columns] == [c[1] for c in columns("private")]
    row = next(iter(data))
    assert row.get("#geo+lat") == str(FACILITY.lat)
    assert row.get("#affected+injured+staff") == "4"
    assert "eyewitness:dr-samer-khalil" in row.get("#meta+source")


def test_the_json_export_has_the_views() -> None:
    public = json.loads(to_json(RECORDS, "public"))
    assert public["scope"] == "public"
    assert [list(a) for a in public["attacks"]] == [list(PUBLIC_FIELDS)] * 2
    private = json.loads(to_json(RECORDS, "private"))
    assert private["attacks"][0]["facility"]["name"] == FACILITY.name
    assert private["attacks"][1]["links"]["tracks"] == ["T43"]


def test_views() -> None:
    assert set(public_view(RECORDS[0])) == set(PUBLIC_FIELDS)
    assert set(PUBLIC_FIELDS) < set(private_view(RECORDS[0]))


def test_an_export_that_reads_back_wrong_is_refused() -> None:
    text = to_hxl_csv(RECORDS, "public")
    with pytest.raises(ExportError, match="hashtags"):
        check_hxl(text.replace("#status+review", "status review"), [c[1] for c in columns("public")], 2)
    with pytest.raises(ExportError, match="rows"):
        check_hxl(text, [c[1] for c in columns("public")], 3)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (",probable,", ",likely,", "Value not allowed"),
        (",6,", ",six,", "Expected a number"),
        ("2025-05-02,SYR", "soon,SYR", "Expected a date"),
    ],
)
def test_libhxl_validates_the_values(old: str, new: str, says: str) -> None:
    text = to_hxl_csv(RECORDS, "public")
    assert old in text
    with pytest.raises(ExportError, match=says):
        check_hxl(text.replace(old, new, 1), [c[1] for c in columns("public")], 2)
