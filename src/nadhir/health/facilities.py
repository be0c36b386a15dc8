"""Which of the region's sites are health facilities, and finding one by its id or name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nadhir.domain import Site
from nadhir.health.status import StatusError
from nadhir.health.status_message import normalise

# Site kinds that are health facilities (the region's sites.geojson ``kind``).
HEALTH_KINDS = frozenset({"hospital", "clinic", "health_centre", "health-centre", "phc", "maternity",
                          "field_hospital", "dispensary"})  # fmt: skip


class UnknownFacility(StatusError):
    """An id or name that names no health facility of the region."""


def health_facilities(sites: Iterable[Site]) -> dict[str, Site]:
    """The region's health facilities by id, in the sites' order."""
    return {s.id: s for s in sites if s.kind in HEALTH_KINDS}


def find_facility(facilities: Mapping[str, Site], ref: str) -> Site:
    """The facility ``ref`` names (its id, English or Arabic name), or :class:`UnknownFacility`."""
    if ref in facilities:
        return facilities[ref]
    key = normalise(ref)
    for site in facilities.values():
        if key in (normalise(site.id), normalise(site.name), normalise(site.name_ar or "")):
            return site
    examples = ", ".join(list(facilities)[:4]) or "none in this region"
    raise UnknownFacility(f"no health facility {ref!r} (ids: {examples}, ...)")
