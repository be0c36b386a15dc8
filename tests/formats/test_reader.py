"""The scenario reader reports and skips bad input, and reads everything else."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from nadhir.domain import AcousticDetection, Impact, Report
from nadhir.domain.formats.scenario import ScenarioError, load_scenario

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _copy_with_events(tmp_path: Path, lines: list[str], gz: bool = False) -> Path:
    root = tmp_path / "scn"
    root.mkdir()
    for name in ("sites.geojson", "gazetteer.json", "reporters.json"):
        shutil.copy(DATA / "idlib-basic" / name, root / name)
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(root / "events.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        (root / "events.jsonl").write_text(text, encoding="utf-8")
    return root


GOOD = [
    '{"t":"2025-05-02T03:05:44Z","kind":"report","reporter":"obs-1","place":"Saraqeb","aircraft":"jet"}',
    '{"t":"2025-05-02T03:06:00Z","kind":"acoustic","sensor":"ac-1","lat":35.8,"lon":36.6,"class":"jet",'
    '"confidence":0.8,"bearing_deg":370,"bearing_sigma_deg":6}',
    '{"t":"2025-05-02T03:07:00Z","kind":"impact","reporter":"cd-1","place":"Idlib","extra":1}',
]
BAD = [
    ('{"t": "2025-05-03T04:00:00Z", "kind": "report", "reporter": "obs-x", "text": "مروحي فوق', "not JSON"),
    ("<html><body>502 Bad Gateway</body></html>", "not JSON"),
    ("[1, 2, 3]", "not a JSON object"),
    ('{"t":"yesterday","kind":"report","reporter":"a","text":"jet"}', "isoformat"),
    ('{"t":"2025-05-02T03:08:00Z","kind":"radar","track":"x"}', "unknown kind"),
    ('{"t":"2025-05-02T03:08:00Z","kind":"acoustic","sensor":"ac-1","class":"jet"}', "missing lat/lon"),
    (
        '{"t":"2025-05-02T03:08:00Z","kind":"acoustic","sensor":"a","lat":"35.9N","lon":36,"class":"jet"}',
        "lat: must be a number, not str",
    ),
    ('{"kind":"report","reporter":"a","text":"jet"}', "time must be a string"),
    ('{"t":"2025-05-02T03:08:00Z","kind":"report","reporter":"a","count":2.5}', "whole number"),
    ('{"t":"2025-05-02T03:08:00Z","kind":"impact","reporter":"a"}', "without lat/lon or place"),
]


@pytest.mark.parametrize("gz", [False, True])
def test_bad_lines_are_reported_with_line_numbers_and_the_rest_is_read(tmp_path: Path, gz: bool) -> None:
    lines = [GOOD[0], *(b for b, _ in BAD[:5]), GOOD[1], *(b for b, _ in BAD[5:]), GOOD[2]]
    scenario = load_scenario(_copy_with_events(tmp_path, lines, gz))
    events = list(scenario.events())
    assert [type(e) for _, e in events] == [Report, AcousticDetection, Impact]
    assert [n for n, _ in events] == [1, 7, len(lines)]
    problems = scenario.problems.items
    assert len(problems) == len(BAD)
    bad_line_numbers = [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    for problem, line_no, (_, why) in zip(problems, bad_line_numbers, BAD, strict=True):
        assert problem.line == line_no
        assert why in problem.reason
    acoustic = events[1][1]
    assert isinstance(acoustic, AcousticDetection) and acoustic.bearing_deg == pytest.approx(10.0)


def test_public_scenario_malformed_lines_are_all_found() -> None:
    scenario = load_scenario(DATA / "idlib-twists")
    n = sum(1 for _ in scenario.events())
    assert n > 3000
    assert [p.line for p in scenario.problems.items] == [927, 1207, 2318, 2371, 2377, 2551, 3130, 3261, 3262]


def test_missing_folder_or_events_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a folder"):
        load_scenario(tmp_path / "nope")
    (tmp_path / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(ScenarioError, match="no events"):
        load_scenario(tmp_path)


def test_polygon_sites_and_bad_features(tmp_path: Path) -> None:
    root = _copy_with_events(tmp_path, GOOD)
    ring = [[36.60, 35.90], [36.62, 35.90], [36.62, 35.92], [36.60, 35.92], [36.60, 35.90]]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"id": "camp", "name": "Camp", "kind": "camp"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": ring},
            "properties": {"id": "road", "kind": "road"},
        },
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 35.9]}, "properties": {}},
    ]
    (root / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    scenario = load_scenario(root)
    assert [s.id for s in scenario.sites] == ["camp"]
    assert scenario.sites[0].polygon is not None
    assert 1000 < scenario.sites[0].radius_m < 2000
    assert len(scenario.problems) == 2
