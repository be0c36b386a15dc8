"""The register of displacement sites: updates kept in time order, the latest per site, changes.

Records are :class:`nadhir.domain.displacement.SiteUpdate` (DTM's fields, valid by construction);
this module answers what coordinators ask of a list of them: each site's latest figures, one site's
history, and a new update made from the last one and a few changed figures (what a field message
or a form sends).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from nadhir.domain.displacement import SiteRecordError, SiteUpdate

# Figures a partial update (a field message, a form) may change; the others stay as they were.
FIGURES: tuple[str, ...] = (
    "households", "individuals", "tents", "tents_flooded", "covered_area_m2", "latrines_working",
    "showers_working", "water_litres_per_day", "water_points",
)  # fmt: skip
DESCRIPTIVE: tuple[str, ...] = (
    "name", "name_ar", "type", "lat", "lon", "managing_agency", "admin_area", "pcode",
)  # fmt: skip


def order_key(u: SiteUpdate) -> tuple[float, str]:
    """Updates in the order they describe the site (time, then source for a stable tie)."""
    return (u.updated, u.source)


def latest(updates: Iterable[SiteUpdate]) -> dict[str, SiteUpdate]:
    """Each site's latest update, by site id (a tie in time keeps the one given last)."""
    out: dict[str, SiteUpdate] = {}
    for u in updates:
        held = out.get(u.site_id)
        if held is None or u.updated >= held.updated:
            out[u.site_id] = u
    return out


def history(updates: Iterable[SiteUpdate], site_id: str) -> list[SiteUpdate]:
    """One site's updates, oldest first."""
    return sorted((u for u in updates if u.site_id == site_id), key=order_key)


def changed(previous: SiteUpdate, changes: Mapping[str, Any], updated: float, source: str) -> SiteUpdate:
    """A new update: ``previous`` with ``changes`` applied, as of ``updated``.

    Only figures and descriptive fields may change (not the site id); an unknown field or a value
    that breaks a rule raises :class:`SiteRecordError`, and nothing is made.
    """
    allowed = set(FIGURES) | set(DESCRIPTIVE) | {"movements"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise SiteRecordError(f"cannot change {', '.join(unknown)} (fields: {', '.join(sorted(allowed))})")
    if updated < previous.updated:
        raise SiteRecordError("updated: earlier than the site's last update")
    try:
        return dataclasses.replace(previous, **dict(changes), updated=updated, source=source)
    except TypeError as exc:  # a wrong type for a field the record checks only by value
        raise SiteRecordError(str(exc)) from exc


def applied(
    previous: SiteUpdate | None, site_id: str, changes: Mapping[str, Any], updated: float, source: str
) -> SiteUpdate:
    """The update that ``changes`` make: to the site's last update, or a new site's first.

    A new site needs its ``name``, ``type``, ``lat`` and ``lon``; :class:`SiteRecordError` says
    what is missing or wrong.
    """
    if previous is not None:
        return changed(previous, changes, updated, source)
    needed = [n for n in ("name", "type", "lat", "lon") if changes.get(n) is None]
    if needed:
        raise SiteRecordError(f"site {site_id} is new: give its {', '.join(needed)}")
    unknown = sorted(set(changes) - set(FIGURES) - set(DESCRIPTIVE) - {"movements"})
    if unknown:
        raise SiteRecordError(f"cannot set {', '.join(unknown)}")
    try:
        return SiteUpdate(site_id=site_id, updated=updated, source=source, **dict(changes))
    except TypeError as exc:
        raise SiteRecordError(str(exc)) from exc
