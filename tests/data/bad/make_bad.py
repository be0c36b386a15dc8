"""Build the bad replay inputs in this folder from the bundled demo scenario (run from anywhere).

    python tests/data/bad/make_bad.py

``base/`` is a small good scenario: the bundled demo's sites, gazetteer and
reporters and its first 300 event lines. Every other folder is one bad input,
laid over ``base/`` by the tests (``tests/formats/test_bad_inputs.py``):

- ``insert-before-line-N.jsonl``: these lines go into base's events before its line N
  (so the first of them is line N of the events file the replay reads);
- ``sites-extra.json``: a list of features added to base's sites;
- any other file replaces base's file of that name (``events.jsonl.gz`` replaces
  ``events.jsonl``).

The files are committed; this script says how they were made.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[2] / "src" / "nadhir" / "data" / "scenarios" / "demo-idlib"
BASE_LINES = 300
MIDDLE = 151  # bad lines go in the middle of base's events, among alerts being raised

ACOUSTIC = {
    "t": "2025-05-02T03:18:02Z",
    "kind": "acoustic",
    "sensor": "ac-0013",
    "lat": 35.78572,
    "lon": 36.69623,
    "class": "jet",
    "confidence": 0.9,
    "bearing_deg": 170.0,
    "bearing_sigma_deg": 8.0,
}
REPORT = {
    "t": "2025-05-02T03:18:02Z",
    "kind": "report",
    "reporter": "obs-hmeimim-3",
    "aircraft": "jet",
    "count": 2,
    "lat": 35.9,
    "lon": 36.6,
}
# A town's ring (lon, lat) near Idlib, to build the bad polygons from.
RING = [[36.60, 35.90], [36.62, 35.90], [36.62, 35.92], [36.60, 35.92], [36.60, 35.90]]


def _line(obj: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**obj, **changes}, ensure_ascii=False)


def _site(site_id: str, geometry: Any, **props: Any) -> dict[str, Any]:
    properties = {"id": site_id, "name": site_id, "kind": "town", **props}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


INSERTS: dict[str, tuple[int, list[str]]] = {
    "sigma-huge": (MIDDLE, [_line(ACOUSTIC, bearing_sigma_deg=1e308)]),
    "sigma-zero": (MIDDLE, [_line(ACOUSTIC, bearing_sigma_deg=0)]),
    "sigma-negative": (MIDDLE, [_line(ACOUSTIC, bearing_sigma_deg=-5)]),
    "count-infinity": (MIDDLE, [_line(REPORT).replace('"count": 2', '"count": Infinity')]),
    "count-huge": (MIDDLE, [_line(REPORT, count=1e308)]),
    "count-negative": (MIDDLE, [_line(REPORT, count=-5)]),
    "integer-5000-digits": (MIDDLE, [_line(REPORT).replace('"count": 2', '"count": ' + "9" * 5000)]),
    "deeply-nested": (MIDDLE, [_line(REPORT)[:-1] + ', "extra": ' + "[" * 5_000 + "]" * 5_000 + "}"]),
    "latitude-string": (MIDDLE, [_line(REPORT, lat="35.9")]),
    "year-9999": (MIDDLE, [_line(REPORT, t="9999-12-31T23:00:00Z")]),
    "year-1": (1, [_line(REPORT, t="0001-01-01T00:00:00Z")]),
    "year-ahead": (MIDDLE, [_line(REPORT, t="2026-05-02T03:18:02Z")]),
}

SITES_EXTRA: dict[str, list[Any]] = {
    "feature-string": ["a feature that is a string"],
    "geometry-string": [_site("bad-geometry", "POINT (36.6 35.9)")],
    "polygon-bowtie": [
        _site(
            "bowtie",
            _polygon([[36.60, 35.90], [36.62, 35.92], [36.62, 35.90], [36.60, 35.92], [36.60, 35.90]]),
        )
    ],
    "polygon-unclosed": [_site("unclosed", _polygon(RING[:-1]))],
    "polygon-latitude-200": [
        _site("lat-200", _polygon([[36.60, 35.90], [36.62, 35.90], [36.62, 200.0], [36.60, 35.90]]))
    ],
    "sirens-string": [_site("sirens-abc", {"type": "Point", "coordinates": [36.61, 35.91]}, sirens="abc")],
}

REPLACE_TEXT: dict[str, dict[str, str]] = {
    "sites-no-features": {"sites.geojson": '{"type": "FeatureCollection", "features": []}\n'},
    "sites-not-json": {"sites.geojson": "<html><body>404 Not Found</body></html>\n"},
    "gazetteer-not-json": {"gazetteer.json": '[{"id": "x", "name": "X", "lat": 35.9, "lon": 36.6},\n'},
    "reporters-not-json": {"reporters.json": "id,kind,trust\nobs-1,observer,0.5\n"},
}
# A few bytes of a PNG and a gzip header: what a mis-saved or mis-named file holds.
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\xff\xfe\x00\x1f\x8b\x08\x00\xc3\x28\xde"
REPLACE_BINARY = {
    "sites-binary": "sites.geojson",
    "gazetteer-binary": "gazetteer.json",
    "reporters-binary": "reporters.json",
}


def _fresh(name: str) -> Path:
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return folder


def main() -> None:
    base = _fresh("base")
    for name in ("sites.geojson", "gazetteer.json", "reporters.json"):
        shutil.copy(DEMO / name, base / name)
    lines = (DEMO / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:BASE_LINES]
    events = "".join(lines)
    (base / "events.jsonl").write_text(events, encoding="utf-8")

    for name, (before, bad) in INSERTS.items():
        (_fresh(name) / f"insert-before-line-{before}.jsonl").write_text("\n".join(bad) + "\n", "utf-8")
    # A gap of ten years inside a sorted file: the first 120 lines again, ten years on.
    later = [line.replace('"t":"2025-', '"t":"2035-') for line in lines[:120]]
    (_fresh("gap-ten-years") / f"insert-before-line-{BASE_LINES + 1}.jsonl").write_text(
        "".join(later), "utf-8"
    )
    for name, features in SITES_EXTRA.items():
        (_fresh(name) / "sites-extra.json").write_text(json.dumps(features, indent=1) + "\n", "utf-8")
    for name, files in REPLACE_TEXT.items():
        folder = _fresh(name)
        for file_name, text in files.items():
            (folder / file_name).write_text(text, "utf-8")
    for name, file_name in REPLACE_BINARY.items():
        (_fresh(name) / file_name).write_bytes(BINARY)

    packed = gzip.compress(events.encode("utf-8"), mtime=0)
    # Cut off in the middle: the stream ends before its end-of-stream marker.
    (_fresh("gz-truncated") / "events.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    # Bytes overwritten in the middle: the deflate stream breaks there.
    middle = len(packed) // 2
    corrupt = packed[:middle] + bytes(b ^ 0x5A for b in packed[middle : middle + 64]) + packed[middle + 64 :]
    (_fresh("gz-corrupt") / "events.jsonl.gz").write_bytes(corrupt)


if __name__ == "__main__":
    main()
