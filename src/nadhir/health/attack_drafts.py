"""Attack records drafted from what the warning pipeline heard and said.

An impact reported (an observer's impact report, placed by coordinates or by the facility's own
name) within :data:`DRAFT_DISTANCE_M` of a health facility drafts an attack record for that
facility. An impact located by acoustic nodes (an explosion placed where two nodes' bearings
cross) within the distance joins that draft as a further source, but drafts none by itself: on
the public scenarios such crossings fall a median 1.1-1.5 km from the true strike, more than the
distance, and alone they drafted three records where no strike fell near a hospital for one they
caught (docs/health.md). All the impacts near one facility on one (UTC) day are one record with
several sources: aircraft make several passes over one target, and several people report each.
Each record is linked to the alert episodes that were open at the facility, the tracks behind
them and the reports themselves.

A draft says what the pipeline can know: that a strike fell by the facility (SSA's "violence
with heavy weapons" against the facility), when, and who said so. The health focal point who
reviews it completes the rest (casualties, damage, services) and confirms or rejects it.

Pure: events, sites and the pipeline's outputs in, drafts out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from nadhir.domain import AcousticDetection, Alert, Event, Impact, Place, Site, TrackState
from nadhir.domain.timefmt import format_time
from nadhir.geo.distance import haversine_m
from nadhir.geo.frame import LocalFrame
from nadhir.geo.gazetteer import Gazetteer, site_as_place
from nadhir.health.attacks import AttackRecord, Facility, Links, Source, day_of
from nadhir.threat.impacts import ExplosionBearing, ExplosionLocator

# 500 m: a hospital site's own footprint in the sites files (radius_m 500), and the distance
# within which an air-dropped bomb's blast and fragments still wound people and break windows
# and walls (the fragments of a general-purpose bomb carry several hundred metres). A strike on
# the road outside a hospital (issue 18) is an attack on it; one in the next district is not.
DRAFT_DISTANCE_M = 500.0
# How long before an impact a warning or a track still belongs to the attack.
LINK_BEFORE_S = 1800.0
LINK_AFTER_S = 600.0
# A track is behind an impact if it was this close to it in that window.
TRACK_LINK_M = 3000.0
# Site kinds that are health facilities.
HEALTH_KINDS: frozenset[str] = frozenset(
    {
        "hospital",
        "clinic",
        "health_centre",
        "health_center",
        "maternity",
        "primary_health_care",
        "field_hospital",
    }
)
# As the pipeline reads an acoustic bearing (nadhir.engine.pipeline): the node's own sigma,
# widened a little, or 10 degrees if it gave none.
_BEARING_SIGMA_FACTOR = 1.2
_DEFAULT_BEARING_SIGMA_DEG = 10.0


@dataclass(frozen=True, slots=True)
class ImpactPoint:
    """An impact placed on the map: reported by someone, or located by acoustic nodes.

    ``precision_m``: how far the strike may be from the point (a place named by a report:
    its radius; coordinates or a crossing of bearings: 0, taken as given).
    ``site``: the site the report named, if it named one.
    """

    t: float
    lat: float
    lon: float
    how: Literal["reported", "located"]
    ref: str
    precision_m: float = 0.0
    site: str | None = None


def is_health_facility(site: Site) -> bool:
    """Whether a site is a health facility."""
    return site.kind in HEALTH_KINDS


def impact_points(
    events: Iterable[Event], sites: Sequence[Site], places: Sequence[Place]
) -> list[ImpactPoint]:
    """Every impact the events report or the acoustic nodes locate, in time order.

    Places are named as the pipeline reads them (sites first, then the gazetteer); a report whose
    place is unknown is left out, as the pipeline leaves it out.
    """
    gazetteer = Gazetteer([*(site_as_place(s) for s in sites), *places])
    site_ids = {s.id for s in sites}
    n = max(len(sites), 1)
    # Bearings cross in the pipeline's frame, at the sites' centroid.
    locator = ExplosionLocator(LocalFrame(sum(s.lat for s in sites) / n, sum(s.lon for s in sites) / n))
    out: list[ImpactPoint] = []
    for event in events:
        if isinstance(event, Impact):
            point = _reported(event, gazetteer, site_ids)
            if point is not None:
                out.append(point)
        elif (
            isinstance(event, AcousticDetection)
            and event.sound_class == "explosion"
            and event.bearing_deg is not None
        ):
            sigma = event.bearing_sigma_deg or _DEFAULT_BEARING_SIGMA_DEG
            located = locator.add(
                ExplosionBearing(
                    event.t,
                    event.sensor,
                    event.lat,
                    event.lon,
                    math.radians(event.bearing_deg),
                    math.radians(sigma * _BEARING_SIGMA_FACTOR),
                )
            )
            if located is not None:
                ref = "acoustic:" + "+".join(sorted(located.witnesses)) + "@" + format_time(located.t)
                out.append(ImpactPoint(located.t, located.lat, located.lon, "located", ref))
    out.sort(key=lambda p: p.t)
    return out


def _reported(event: Impact, gazetteer: Gazetteer, site_ids: set[str]) -> ImpactPoint | None:
    ref = f"{event.reporter}@{format_time(event.t)}"
    if event.lat is not None and event.lon is not None:
        return ImpactPoint(event.t, event.lat, event.lon, "reported", ref)
    if not event.place:
        return None
    match = gazetteer.lookup(event.place)
    if match is None:
        return None
    place = match.place
    site = place.id if place.id in site_ids else None
    return ImpactPoint(event.t, place.lat, place.lon, "reported", ref, place.radius_m, site)


def near(point: ImpactPoint, facility: Site, distance_m: float) -> bool:
    """Whether an impact fell within ``distance_m`` of a facility.

    A report that named the facility itself counts. A report that named a larger place (a town)
    does not: the town's centre may be near the hospital, but the strike may have fallen
    anywhere in it.
    """
    if point.site == facility.id:
        return True
    if point.precision_m > distance_m:
        return False
    return haversine_m(point.lat, point.lon, facility.lat, facility.lon) <= distance_m


def admin_area(facility: Site, sites: Sequence[Site]) -> str | None:
    """The admin area a facility is published under: the town whose area holds it, if any."""
    best: tuple[float, str] | None = None
    for s in sites:
        if s.kind in HEALTH_KINDS or s.id == facility.id:
            continue
        d = haversine_m(s.lat, s.lon, facility.lat, facility.lon)
        if d <= s.radius_m and (best is None or d < best[0]):
            best = (d, s.name)
    return best[1] if best else None


def facility_of(site: Site, sites: Sequence[Site], country: str = "SYR") -> Facility:
    """The attack record's facility for a site."""
    return Facility(site.id, site.name, site.kind, site.lat, site.lon, country, admin_area(site, sites))


def draft_attacks(
    sites: Sequence[Site],
    impacts: Sequence[ImpactPoint],
    alerts: Sequence[Alert] = (),
    tracks: Sequence[TrackState] = (),
    distance_m: float = DRAFT_DISTANCE_M,
    country: str = "SYR",
    run_id: int | None = None,
) -> list[AttackRecord]:
    """One draft per health facility and day with impacts within ``distance_m``, in time order."""
    if not math.isfinite(distance_m) or distance_m <= 0:
        raise ValueError(f"the drafting distance must be a positive number of metres, not {distance_m!r}")
    facilities = [s for s in sites if is_health_facility(s)]
    groups: dict[tuple[str, str], list[ImpactPoint]] = {}
    # Reports draft; acoustic locations only join a draft a report began (see the module's notes).
    for how in ("reported", "located"):
        for point in impacts:
            if point.how != how:
                continue
            for facility in facilities:
                key = (facility.id, day_of(point.t))
                if near(point, facility, distance_m) and (how == "reported" or key in groups):
                    groups.setdefault(key, []).append(point)
    by_id = {s.id: s for s in facilities}
    drafts = [
        _draft(by_id[fid], points, sites, alerts, tracks, country, run_id)
        for (fid, _), points in groups.items()
    ]
    drafts.sort(key=lambda r: (r.t, r.facility.id))
    return drafts


def _draft(
    facility: Site,
    points: list[ImpactPoint],
    sites: Sequence[Site],
    alerts: Sequence[Alert],
    tracks: Sequence[TrackState],
    country: str,
    run_id: int | None,
) -> AttackRecord:
    first = min(p.t for p in points)
    last = max(p.t for p in points)
    episodes: list[tuple[str, float]] = []
    linked_tracks: list[str] = []
    for a in alerts:
        if a.site == facility.id and first - LINK_BEFORE_S <= a.t <= last + LINK_AFTER_S:
            start = a.episode if a.episode is not None else a.t
            if (a.site, start) not in episodes:
                episodes.append((a.site, start))
            if a.track and a.track not in linked_tracks:
                linked_tracks.append(a.track)
    for s in tracks:
        if s.track in linked_tracks:
            continue
        if any(
            p.t - LINK_BEFORE_S <= s.t <= p.t and haversine_m(s.lat, s.lon, p.lat, p.lon) <= TRACK_LINK_M
            for p in points
        ):
            linked_tracks.append(s.track)
    sources = tuple(Source("report" if p.how == "reported" else "sensor", p.ref, p.t) for p in points)
    weapon = _weapon(linked_tracks, tracks)
    return AttackRecord(
        facility=facility_of(facility, sites, country),
        t=first,
        attack_types=("violence_with_heavy_weapons",),
        resources=("facility",),
        sources=_distinct(sources),
        weapon=weapon,
        links=Links(
            tuple(episodes), tuple(linked_tracks), tuple(dict.fromkeys(p.ref for p in points)), run_id
        ),
    )


def _distinct(sources: tuple[Source, ...]) -> tuple[Source, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[Source] = []
    for s in sources:
        if (s.kind, s.ref) not in seen:
            seen.add((s.kind, s.ref))
            out.append(s)
    return tuple(out)


def _weapon(linked: list[str], tracks: Sequence[TrackState]) -> str:
    """What delivered it, as far as the tracks say: the aircraft type of the linked tracks."""
    kinds = sorted({s.aircraft for s in tracks if s.track in linked and s.aircraft != "unknown"})
    return "air strike (" + ", ".join(kinds) + ")" if kinds else "air strike"
