"""Regions as engine partitions: which sites each engine warns, and which events it hears.

A region is a set of sites and the ground around them: the box that holds its
sites, widened by ``halo_km`` on every side. Halos overlap on purpose (see
docs/scaling.md, "Partitions"): an event located inside two regions' halos
goes to both, so an aircraft that crosses from one region into the next is
tracked by both engines while it is near either's sites, and each warns its own
sites; nothing has to be handed over between engines when it crosses.

An acoustic detection is located at its sensor, an impact at its coordinates.
A report (free text, a place name) and an impact given by place name are
located only by the pipeline's gazetteer, so they go to every region: they are
few (observers, not sensors), and a region's engine ignores what threatens no
site of its own. So does an event that no region's box holds (a halo drawn too
small costs engines time, never a warning).

With no regions in the settings there is one, ``all``, with every site and no
bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nadhir.domain import AcousticDetection, Event, Impact, Site
from nadhir.domain.formats.scenario import Scenario
from nadhir.service.settings import RegionSpec

KM_PER_DEG_LAT = 111.32
ALL = "all"


@dataclass(frozen=True, slots=True)
class Partition:
    """One region: its sites, and the box (sites + halo) whose events its engine takes."""

    id: str
    sites: tuple[str, ...]
    south: float = -90.0
    north: float = 90.0
    west: float = -180.0
    east: float = 180.0

    def covers(self, lat: float, lon: float) -> bool:
        """The point is inside the region's box."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def own_sites(self, scenario: Scenario) -> list[Site]:
        """The sites this region warns."""
        keep = set(self.sites)
        return [s for s in scenario.sites if s.id in keep]

    def context_sites(self, scenario: Scenario) -> list[Site]:
        """The sites its engine's pipeline weighs threats against: its own, and its neighbours' inside
        its box. A threat's probability is shared among the sites an aircraft may reach, so a pipeline
        that knew only its own would judge them more threatened than the one-process pipeline does;
        the engine warns only its own (see docs/scaling.md)."""
        keep = set(self.sites)
        return [s for s in scenario.sites if s.id in keep or self.covers(s.lat, s.lon)]


def partition_for(spec: RegionSpec, sites: dict[str, Site]) -> Partition:
    """The partition of a configured region; ValueError for a site the scenario does not have."""
    missing = [s for s in spec.sites if s not in sites]
    if missing:
        raise ValueError(f"region {spec.id}: no such site(s): {', '.join(missing)}")
    members = [sites[s] for s in spec.sites]
    lat_pad = spec.halo_km / KM_PER_DEG_LAT
    south = min(s.lat for s in members) - lat_pad
    north = max(s.lat for s in members) + lat_pad
    widest = max(abs(south), abs(north))
    lon_pad = spec.halo_km / (KM_PER_DEG_LAT * max(math.cos(math.radians(min(widest, 89.0))), 1e-6))
    west = min(s.lon for s in members) - lon_pad
    east = max(s.lon for s in members) + lon_pad
    return Partition(spec.id, spec.sites, south, north, west, east)


def partitions(specs: tuple[RegionSpec, ...], sites: list[Site]) -> list[Partition]:
    """The partitions the settings give (every site in one, ``all``, when they give none)."""
    if not specs:
        return [Partition(ALL, tuple(s.id for s in sites))]
    by_id = {s.id: s for s in sites}
    return [partition_for(spec, by_id) for spec in specs]


def position_of(event: Event) -> tuple[float, float] | None:
    """Where an event is, if the event itself says (reports are placed by the pipeline)."""
    if isinstance(event, AcousticDetection):
        return event.lat, event.lon
    if isinstance(event, Impact) and event.lat is not None and event.lon is not None:
        return event.lat, event.lon
    return None


def regions_of(event: Event, parts: list[Partition]) -> list[str]:
    """The regions an event goes to: those whose box holds it; every one if it has no position, or
    if no box holds it (a halo drawn too small must not silence a sensor: it costs engines time)."""
    where = position_of(event)
    if where is None:
        return [p.id for p in parts]
    inside = [p.id for p in parts if p.covers(*where)]
    return inside or [p.id for p in parts]
