"""Read a scenario folder in the shared format (see ``docs/scenario-format.md``).

Reading is tolerant: a malformed line, a missing field or an unknown kind is
recorded in :class:`~nadhir.domain.Problems` with its line number and skipped;
everything else goes on.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from nadhir.domain import AcousticDetection, Event, Impact, Place, Problems, Report, Reporter, Site
from nadhir.domain.timefmt import parse_time

DEFAULT_RADIUS_M = {"town": 2000.0}
OTHER_RADIUS_M = 500.0


class ScenarioError(Exception):
    """The scenario folder cannot be used at all (no sites, unreadable sites file)."""


@dataclass
class Scenario:
    """A scenario's static inputs and the path to its events."""

    root: Path
    sites: list[Site]
    places: list[Place]
    reporters: list[Reporter]
    events_path: Path
    problems: Problems = field(default_factory=Problems)

    def events(self) -> Iterator[tuple[int, Event]]:
        """Yield ``(line_no, event)`` in file order; bad lines go to ``problems``."""
        with _open_text(self.events_path) as fh:
            yield from parse_events(fh, self.problems, self.events_path.name)


def load_scenario(root: str | Path) -> Scenario:
    """Load sites, gazetteer and reporters, and locate the events of a scenario folder."""
    root = Path(root)
    if not root.is_dir():
        raise ScenarioError(f"{root}: not a folder")
    problems = Problems()
    sites = load_sites(root / "sites.geojson", problems)
    places = load_gazetteer(root / "gazetteer.json", problems)
    reporters = load_reporters(root / "reporters.json", problems)
    for name in ("events.jsonl", "events.jsonl.gz"):
        if (root / name).exists():
            events_path = root / name
            break
    else:
        raise ScenarioError(f"{root}: no events.jsonl or events.jsonl.gz")
    return Scenario(root, sites, places, reporters, events_path, problems)


def _open_text(path: Path) -> TextIO:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _polygon_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(lat, lon, radius_m) of a ring's vertex mean and the farthest vertex from it."""
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    k = 111_320.0
    radius = max(math.hypot((p[0] - lon) * k * math.cos(math.radians(lat)), (p[1] - lat) * k) for p in ring)
    return lat, lon, radius


def load_sites(path: Path, problems: Problems) -> list[Site]:
    """Sites from a GeoJSON FeatureCollection (Point + ``radius_m``, or Polygon)."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read sites ({exc})") from exc
    sites: list[Site] = []
    seen: set[str] = set()
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise ScenarioError(f"{path}: not a GeoJSON FeatureCollection")
    for i, feature in enumerate(features, 1):
        try:
            site = _site_from_feature(feature)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            problems.add(path.name, i, f"feature {i} skipped: {exc}")
            continue
        if site.id in seen:
            problems.add(path.name, i, f"duplicate site id {site.id!r} skipped")
            continue
        seen.add(site.id)
        sites.append(site)
    return sites


def _site_from_feature(feature: dict[str, Any]) -> Site:
    props = feature.get("properties") or {}
    geom = feature.get("geometry") or {}
    site_id = str(props["id"])
    kind = str(props.get("kind") or "town")
    polygon: tuple[tuple[float, float], ...] | None = None
    if geom.get("type") == "Point":
        lon, lat = (float(v) for v in geom["coordinates"][:2])
        radius = float(props.get("radius_m") or DEFAULT_RADIUS_M.get(kind, OTHER_RADIUS_M))
    elif geom.get("type") == "Polygon":
        ring = [(float(p[0]), float(p[1])) for p in geom["coordinates"][0]]
        if len(ring) < 3:
            raise ValueError("polygon ring has fewer than 3 points")
        polygon = tuple(ring)
        lat, lon, radius = _polygon_centroid(ring)
    else:
        raise ValueError(f"unsupported geometry {geom.get('type')!r}")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("coordinates out of range")
    shelter = props.get("shelter_seconds")
    return Site(
        id=site_id,
        name=str(props.get("name") or site_id),
        kind=kind,
        lat=lat,
        lon=lon,
        radius_m=radius,
        name_ar=props.get("name_ar"),
        polygon=polygon,
        sirens=tuple(str(s) for s in props.get("sirens") or ()),
        population=int(props["population"]) if props.get("population") is not None else None,
        shelter_seconds=float(shelter) if shelter is not None else None,
    )


T = TypeVar("T")


def _load_rows(path: Path, problems: Problems, what: str, build: Callable[[dict[str, Any]], T]) -> list[T]:
    """Rows of an optional JSON list file, each built by ``build``; bad rows are reported and skipped."""
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.add(path.name, 0, f"{what} unreadable, ignored: {exc}")
        return []
    out: list[T] = []
    for i, row in enumerate(rows if isinstance(rows, list) else [], 1):
        try:
            out.append(build(row))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.add(path.name, i, f"entry {i} skipped: {exc}")
    return out


def _place(row: dict[str, Any]) -> Place:
    return Place(
        id=str(row["id"]),
        name=str(row.get("name") or row["id"]),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        kind=str(row.get("kind") or "place"),
        name_ar=row.get("name_ar"),
        aliases=tuple(str(a) for a in row.get("aliases") or ()),
    )


def _reporter(row: dict[str, Any]) -> Reporter:
    kind = row.get("kind", "observer")
    if kind not in ("observer", "sensor"):
        raise ValueError(f"unknown kind {kind!r}")
    return Reporter(
        id=str(row["id"]),
        kind=kind,
        lat=_opt_float(row.get("lat")),
        lon=_opt_float(row.get("lon")),
        trust=min(1.0, max(0.0, float(row.get("trust", 0.5)))),
    )


def load_gazetteer(path: Path, problems: Problems) -> list[Place]:
    """Places from ``gazetteer.json`` (optional: a missing file gives none)."""
    return _load_rows(path, problems, "gazetteer", _place)


def load_reporters(path: Path, problems: Problems) -> list[Reporter]:
    """Known observers and sensors from ``reporters.json`` (optional)."""
    return _load_rows(path, problems, "reporters", _reporter)


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    if not math.isfinite(out):
        raise ValueError("not a finite number")
    return out


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError("count must be a whole number")
    return int(value)


def _lat_lon(obj: dict[str, Any], required: bool) -> tuple[float | None, float | None]:
    lat, lon = _opt_float(obj.get("lat")), _opt_float(obj.get("lon"))
    if (lat is None) != (lon is None):
        raise ValueError("lat and lon must come together")
    if lat is None:
        if required:
            raise ValueError("missing lat/lon")
        return None, None
    assert lon is not None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("lat/lon out of range")
    return lat, lon


def event_from_dict(obj: dict[str, Any]) -> Event:
    """Build one event from a decoded JSON object; raises ValueError/KeyError/TypeError on bad input."""
    kind = obj.get("kind")
    t = parse_time(obj.get("t"))
    if kind == "report":
        lat, lon = _lat_lon(obj, required=False)
        heading_deg = _opt_float(obj.get("heading_deg"))
        return Report(
            t=t,
            reporter=str(obj.get("reporter") or "unknown"),
            channel=_opt_str(obj.get("channel")),
            text=_opt_str(obj.get("text")),
            aircraft=_opt_str(obj.get("aircraft")),
            count=_opt_int(obj.get("count")),
            lat=lat,
            lon=lon,
            place=_opt_str(obj.get("place")),
            heading_deg=None if heading_deg is None else heading_deg % 360.0,
            heading=_opt_str(obj.get("heading")),
            origin=_opt_str(obj.get("origin")),
        )
    if kind == "acoustic":
        lat, lon = _lat_lon(obj, required=True)
        assert lat is not None and lon is not None
        bearing = _opt_float(obj.get("bearing_deg"))
        confidence = _opt_float(obj.get("confidence"))
        return AcousticDetection(
            t=t,
            sensor=str(obj["sensor"]),
            lat=lat,
            lon=lon,
            sound_class=str(obj.get("class") or "unknown"),
            confidence=1.0 if confidence is None else min(1.0, max(0.0, confidence)),
            bearing_deg=None if bearing is None else bearing % 360.0,
            bearing_sigma_deg=_opt_float(obj.get("bearing_sigma_deg")),
        )
    if kind == "impact":
        lat, lon = _lat_lon(obj, required=False)
        place = _opt_str(obj.get("place"))
        if lat is None and place is None:
            raise ValueError("impact without lat/lon or place")
        return Impact(t=t, reporter=str(obj.get("reporter") or "unknown"), lat=lat, lon=lon, place=place)
    raise ValueError(f"unknown kind {kind!r}")


def parse_events(lines: TextIO, problems: Problems, label: str = "events") -> Iterator[tuple[int, Event]]:
    """Parse JSON lines into events; every bad line is recorded and skipped."""
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add(label, line_no, f"not JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            problems.add(label, line_no, "not a JSON object")
            continue
        try:
            yield line_no, event_from_dict(obj)
        except (KeyError, TypeError, ValueError) as exc:
            problems.add(label, line_no, f"{type(exc).__name__}: {exc}")
