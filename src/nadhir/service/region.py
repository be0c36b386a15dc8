"""The region a service watches: its scenario data, base map and shelter instructions.

- Base map: ``data/basemap/<scenario folder name>.geojson`` shipped in the
  package if there is one, else ``basemap.geojson`` in the scenario folder,
  else one drawn from the data itself (the outline around every site and
  place, and the gazetteer's places) so that any region has a map offline.
- Shelter instructions, per site, first found wins: the site's own
  ``shelter_instructions`` / ``shelter_instructions_ar`` properties in
  ``sites.geojson``; ``shelter.json`` in the scenario folder; the package's
  ``data/shelter/<scenario folder name>.json``; then defaults by site kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from nadhir.domain.formats.scenario import Scenario, load_scenario

DATA = Path(str(resources.files("nadhir") / "data"))


def bundled_scenario() -> Path:
    """The demo scenario shipped inside the package."""
    return DATA / "scenarios" / "demo-idlib"


@dataclass
class Region:
    """A loaded scenario plus what the console and kiosks need to draw it."""

    scenario: Scenario
    basemap: dict[str, Any]
    shelter: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # site -> {"en": [..], "ar": [..]}

    def instructions(self, site_id: str) -> dict[str, list[str]]:
        return self.shelter.get(site_id, {"en": [], "ar": []})


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return []


def load_shelter(scenario: Scenario) -> dict[str, dict[str, list[str]]]:
    """Shelter instructions for every site of the scenario (see the module docstring)."""
    defaults: dict[str, dict[str, Any]] = _read_json(DATA / "shelter" / "defaults.json")["defaults"]
    per_site: dict[str, dict[str, Any]] = {}
    for path in (DATA / "shelter" / f"{scenario.root.name}.json", scenario.root / "shelter.json"):
        if path.is_file():
            try:
                per_site.update(_read_json(path).get("sites", {}))
            except (OSError, ValueError, AttributeError) as exc:
                scenario.problems.add(path.name, 0, f"shelter instructions unreadable, ignored: {exc}")
    own: dict[str, dict[str, Any]] = {}
    try:
        for feature in _read_json(scenario.root / "sites.geojson").get("features", []):
            props = feature.get("properties") or {}
            if "shelter_instructions" in props or "shelter_instructions_ar" in props:
                own[str(props.get("id"))] = {
                    "en": props.get("shelter_instructions"),
                    "ar": props.get("shelter_instructions_ar"),
                }
    except (OSError, ValueError, AttributeError):
        pass  # the scenario reader has already reported an unreadable sites file
    out: dict[str, dict[str, list[str]]] = {}
    for site in scenario.sites:
        fallback = defaults.get(site.kind) or defaults["town"]
        chosen = own.get(site.id) or per_site.get(site.id) or {}
        out[site.id] = {lang: _lines(chosen.get(lang)) or _lines(fallback.get(lang)) for lang in ("en", "ar")}
    return out


def drawn_basemap(scenario: Scenario) -> dict[str, Any]:
    """A base map made from the scenario itself: an outline around it and its places."""
    points = [(s.lon, s.lat) for s in scenario.sites] + [(p.lon, p.lat) for p in scenario.places]
    hull = _convex_hull(points)
    cx = sum(p[0] for p in hull) / len(hull)
    cy = sum(p[1] for p in hull) / len(hull)
    ring = [[round(cx + (x - cx) * 1.1, 4), round(cy + (y - cy) * 1.1, 4)] for x, y in hull]
    ring.append(ring[0])
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"layer": "boundary", "name": "Area watched", "name_ar": "المنطقة المراقبة"},
        }
    ]
    for place in scenario.places:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": {
                    "layer": "place",
                    "id": place.id,
                    "name": place.name,
                    "name_ar": place.name_ar,
                    "kind": place.kind,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "name": f"{scenario.root.name} (drawn from its data)",
        "features": features,
    }


def _convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = sorted(set(points))
    if len(pts) < 3:  # a point or a segment: a small box around it
        x0, y0 = pts[0]
        x1, y1 = pts[-1]
        pad = 0.05
        return [
            (min(x0, x1) - pad, min(y0, y1) - pad),
            (max(x0, x1) + pad, min(y0, y1) - pad),
            (max(x0, x1) + pad, max(y0, y1) + pad),
            (min(x0, x1) - pad, max(y0, y1) + pad),
        ]

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    if len(hull) < 3:  # every point on one line
        return _convex_hull([pts[0], pts[-1]])
    return hull


def load_basemap(scenario: Scenario) -> dict[str, Any]:
    """The base map for a scenario (see the module docstring)."""
    for path in (DATA / "basemap" / f"{scenario.root.name}.geojson", scenario.root / "basemap.geojson"):
        if path.is_file():
            try:
                data = _read_json(path)
            except (OSError, ValueError) as exc:
                scenario.problems.add(path.name, 0, f"base map unreadable, drawn from data instead: {exc}")
                continue
            if isinstance(data, dict) and isinstance(data.get("features"), list):
                return data
    return drawn_basemap(scenario)


def load_region(path: Path | None = None) -> Region:
    """Load a scenario folder (default: the bundled demo) with its map and instructions."""
    scenario = load_scenario(path if path is not None else bundled_scenario())
    return Region(scenario, load_basemap(scenario), load_shelter(scenario))
