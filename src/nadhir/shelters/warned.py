"""Displacement sites as warned sites: their kind, reach, shelter time, people, and advice.

A camp's people live in tents, a collective centre's (a stadium, a school) in a building with no
basement: neither can "go to the basement" as a town's advice says. Each displacement site becomes
a :class:`nadhir.domain.Site` of its own kind with the advice for tents and open ground
(``data/shelter/defaults.json``, kinds ``camp`` and ``collective-centre``), and a feature for a
region's ``sites.geojson`` carrying that advice as its own ``shelter_instructions``, so the alert
for the site, its kiosk and its feed say what to do there.

- kind: ``camp`` for planned and self-settled camps and reception centres (tents, open ground);
  ``collective-centre`` for collective centres;
- radius: the circle of the site's covered area at its density, at least 300 m for a camp and
  200 m for a centre (a tent line or a stadium's surroundings, where people are when the alert
  comes);
- shelter time: 240 s for a camp (out of the tents to trenches or solid buildings; the policy's
  camp default) and 180 s for a centre (down from the stands and pitch to inner corridors);
- population: the latest count of individuals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from nadhir.domain import Site
from nadhir.domain.displacement import SiteUpdate

SITE_KIND = {
    "planned-camp": "camp",
    "self-settled-camp": "camp",
    "reception-centre": "camp",
    "collective-centre": "collective-centre",
}
SHELTER_SECONDS = {"camp": 240.0, "collective-centre": 180.0}
MIN_RADIUS_M = {"camp": 300.0, "collective-centre": 200.0}
# A camp's ground is several times its covered area (paths, firebreaks, services): UNHCR plans
# 45 m² a person all told against 3.5 m² covered, so the ground is taken as 10 times the covered area.
GROUND_PER_COVERED = 10.0


@cache
def _defaults() -> dict[str, dict[str, list[str]]]:
    path = resources.files("nadhir") / "data" / "shelter" / "defaults.json"
    data: dict[str, dict[str, dict[str, list[str]]]] = json.loads(path.read_text(encoding="utf-8"))
    return data["defaults"]


def advice(kind: str) -> dict[str, list[str]]:
    """The shelter advice for a displacement site's kind (``camp`` or ``collective-centre``), en and ar."""
    found = _defaults().get(kind)
    if found is None:
        raise KeyError(f"no shelter advice for kind {kind!r}")
    return {"en": list(found["en"]), "ar": list(found["ar"])}


def radius_m(update: SiteUpdate) -> float:
    """How far from its point the site reaches (see the module docstring)."""
    kind = SITE_KIND[update.type]
    floor = MIN_RADIUS_M[kind]
    if not update.covered_area_m2:
        return floor
    ground = update.covered_area_m2 * (GROUND_PER_COVERED if kind == "camp" else 1.0)
    return max(floor, math.sqrt(ground / math.pi))


def warned_site(update: SiteUpdate) -> Site:
    """The displacement site as a site the warning pipeline can warn."""
    kind = SITE_KIND[update.type]
    return Site(
        id=update.site_id,
        name=update.name,
        kind=kind,
        lat=update.lat,
        lon=update.lon,
        radius_m=round(radius_m(update), 1),
        name_ar=update.name_ar,
        population=update.individuals,
        shelter_seconds=SHELTER_SECONDS[kind],
    )


def site_features(latest: Iterable[SiteUpdate]) -> list[dict[str, Any]]:
    """``sites.geojson`` features for the displacement sites, each with its own shelter advice."""
    out = []
    for u in latest:
        site = warned_site(u)
        words = advice(site.kind)
        props: dict[str, Any] = {
            "id": site.id, "name": site.name, "name_ar": site.name_ar, "kind": site.kind,
            "radius_m": site.radius_m, "shelter_seconds": site.shelter_seconds,
            "shelter_instructions": words["en"], "shelter_instructions_ar": words["ar"],
            "displacement_type": u.type,
        }  # fmt: skip
        if site.population is not None:
            props["population"] = site.population
        out.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [u.lon, u.lat]},
                    "properties": props})  # fmt: skip
    return out


def merged_sites(sites_geojson: dict[str, Any], latest: Iterable[SiteUpdate]) -> dict[str, Any]:
    """A region's ``sites.geojson`` with the displacement sites added (replacing those of the same id)."""
    added = site_features(latest)
    ids = {f["properties"]["id"] for f in added}
    kept = [f for f in sites_geojson.get("features", []) if (f.get("properties") or {}).get("id") not in ids]
    return {**sites_geojson, "type": "FeatureCollection", "features": kept + added}
