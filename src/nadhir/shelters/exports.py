"""Exports for partners: HXL-tagged CSV (checked with libhxl) and GeoJSON, one row per site.

Each site's latest figures and its gaps against Sphere, the neediest first. HXL hashtags follow the
HXL standard's core schema (``#loc``, ``#geo``, ``#adm2``, ``#org``, ``#population``, ``#date``)
and ``#indicator+num+<figure>`` for figures the core has no hashtag of its own for; the ``misses``
are a ``#indicator+text+misses`` list. The export is read back with ``libhxl`` (import name
``hxl``) and checked against a schema before anyone gets it: :func:`check_hxl`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import hxl

from nadhir.domain.displacement import SiteUpdate
from nadhir.domain.timefmt import format_time
from nadhir.shelters.sphere import SPHERE, Gaps, Thresholds, ranked

# (header, hashtag, value) per column, in order.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "#loc+code"),
    ("name", "#loc+name+i_en"),
    ("name_ar", "#loc+name+i_ar"),
    ("type", "#loc+type"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("admin_area", "#adm2+name"),
    ("pcode", "#adm2+code"),
    ("managing_agency", "#org+name+manager"),
    ("households", "#population+idps+hh"),
    ("individuals", "#population+idps+ind"),
    ("latrines_working", "#indicator+num+latrines_working"),
    ("showers_working", "#indicator+num+showers_working"),
    ("water_litres_per_day", "#indicator+num+water_litres_per_day"),
    ("water_points", "#indicator+num+water_points"),
    ("tents", "#indicator+num+tents"),
    ("tents_flooded", "#indicator+num+tents_flooded"),
    ("covered_area_m2", "#indicator+num+covered_area_m2"),
    ("people_per_latrine", "#indicator+num+people_per_latrine"),
    ("water_litres_per_person_day", "#indicator+num+water_litres_per_person_day"),
    ("covered_m2_per_person", "#indicator+num+covered_m2_per_person"),
    ("flooded_share", "#indicator+num+flooded_share"),
    ("misses", "#indicator+text+misses"),
    ("updated", "#date+reported"),
)
_TEXTS = ("site_id", "name", "name_ar", "type", "admin_area", "pcode", "managing_agency", "misses", "updated")
_NUMBERS = {tag for name, tag in _COLUMNS if name not in _TEXTS}
_REQUIRED = ("#loc+code", "#loc+name+i_en", "#loc+type", "#geo+lat", "#geo+lon", "#date+reported")


def _figure(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _row(u: SiteUpdate, g: Gaps) -> list[str]:
    values: dict[str, Any] = {
        "site_id": u.site_id, "name": u.name, "name_ar": u.name_ar or "", "type": u.type,
        "lat": f"{u.lat:.6f}", "lon": f"{u.lon:.6f}", "admin_area": u.admin_area or "",
        "pcode": u.pcode or "", "managing_agency": u.managing_agency or "", "misses": " ".join(g.misses),
        "updated": format_time(u.updated),
    }  # fmt: skip
    for name in ("households", "individuals", "latrines_working", "showers_working", "water_litres_per_day",
                 "water_points", "tents", "tents_flooded", "covered_area_m2"):  # fmt: skip
        values[name] = _figure(getattr(u, name))
    values["people_per_latrine"] = _figure(g.people_per_latrine)
    values["water_litres_per_person_day"] = _figure(g.water_litres_per_person_day)
    values["covered_m2_per_person"] = _figure(g.covered_m2_per_person)
    values["flooded_share"] = _figure(g.flooded_share)
    return [str(values[name]) for name, _ in _COLUMNS]


def _with_gaps(latest: Sequence[SiteUpdate], thresholds: Thresholds) -> list[tuple[SiteUpdate, Gaps]]:
    by_id = {u.site_id: u for u in latest}
    return [(by_id[g.site_id], g) for g in ranked(latest, thresholds)]


def hxl_csv(latest: Sequence[SiteUpdate], thresholds: Thresholds = SPHERE) -> str:
    """Each site's latest figures and gaps as HXL-tagged CSV (header row, hashtag row, data)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in _COLUMNS])
    writer.writerow([tag for _, tag in _COLUMNS])
    for u, g in _with_gaps(latest, thresholds):
        writer.writerow(_row(u, g))
    return out.getvalue()


def _schema_rows() -> list[list[str]]:
    rows = [["#valid_tag", "#valid_required", "#valid_datatype", "#valid_value+min"]]
    for _, tag in _COLUMNS:
        number = tag in _NUMBERS
        rows.append(
            [tag, "true" if tag in _REQUIRED else "", "number" if number else "", "0" if number else ""]
        )
    rows.append(["#geo+lat", "", "number", "-90"])
    rows.append(["#geo+lon", "", "number", "-180"])
    return rows


def check_hxl(text: str) -> list[str]:
    """What is wrong with an HXL shelters export, read with libhxl (empty when it is valid).

    Every hashtag this module writes must be there, required cells filled, numbers numbers (at
    least 0; coordinates in range).
    """
    errors: list[str] = []
    try:
        data = hxl.data(io.BytesIO(text.encode("utf-8")), hxl.InputOptions(allow_local=True))
        tags = [c.display_tag for c in data.columns]
    except Exception as exc:  # libhxl raises its own several kinds for a file it cannot read
        return [f"not HXL: {exc}"]
    missing = [tag for _, tag in _COLUMNS if tag not in tags]
    if missing:
        errors.append(f"hashtags missing: {', '.join(missing)}")

    def note(e: Any) -> None:
        row = getattr(e.row, "row_number", None)
        errors.append(f"row {row}: {e.message} ({getattr(e, 'value', '')!r})")

    hxl.schema(_schema_rows(), callback=note).validate(data)
    return errors


def geojson(latest: Sequence[SiteUpdate], thresholds: Thresholds = SPHERE) -> dict[str, Any]:
    """Each site as a GeoJSON point with its latest figures, gaps and worst gap, the neediest first."""
    features = []
    for rank, (u, g) in enumerate(_with_gaps(latest, thresholds), start=1):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [u.lon, u.lat]},
            "properties": {
                "id": u.site_id, "name": u.name, "name_ar": u.name_ar, "type": u.type,
                "admin_area": u.admin_area, "pcode": u.pcode, "managing_agency": u.managing_agency,
                "households": u.households, "individuals": u.individuals,
                "latrines_working": u.latrines_working, "showers_working": u.showers_working,
                "water_litres_per_day": u.water_litres_per_day, "water_points": u.water_points,
                "tents": u.tents, "tents_flooded": u.tents_flooded, "covered_area_m2": u.covered_area_m2,
                "people_per_latrine": g.people_per_latrine,
                "water_litres_per_person_day": g.water_litres_per_person_day,
                "covered_m2_per_person": g.covered_m2_per_person, "flooded_share": g.flooded_share,
                "misses": list(g.misses), "worst": g.worst, "unknown": list(g.unknown), "rank": rank,
                "updated": format_time(u.updated),
            },
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
