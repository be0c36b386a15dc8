"""Arrivals after strikes: which strikes, in the places people came from, came before they arrived.

People who arrive at a camp days after their town was struck are the strike's displaced; linking
the two tells coordinators where the next arrivals will come from, and the record of attacks who
was driven out by them. An arrival (a :class:`Movement` of kind ``arrival``) is linked to every
reported impact (:class:`nadhir.domain.Impact`):

- **where**: within ``radius_km`` (default 10 km, a town and its farms) of the arrival's place of
  origin when both have coordinates; otherwise when both name the place and the names' consonant
  skeletons match (:func:`nadhir.geo.names.skeleton`: "Maarat al-Numan" is "Ma'arrat an-Nu'man").
  A name in Arabic against one in Latin letters does not match by itself: the caller resolves
  places with the gazetteer to coordinates first;
- **when**: from ``days`` (default 14) before the arrival to the end of the arrival's day (people
  who fled a morning strike can arrive that afternoon).

Pure: the impacts come from the caller (the store's events of a run, or a scenario's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nadhir.domain import Impact
from nadhir.domain.displacement import Movement, SiteUpdate
from nadhir.geo.distance import haversine_m
from nadhir.geo.names import skeleton

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class StrikeLink:
    """One impact linked to an arrival, and how."""

    impact: Impact
    distance_km: float | None  # None when linked by the place's name
    days_before: float  # days from the impact to the arrival (negative: the same day, later)


@dataclass(frozen=True, slots=True)
class ArrivalLink:
    """An arrival at a site, with the strikes in its place of origin before it."""

    site_id: str
    arrival: Movement
    strikes: tuple[StrikeLink, ...]


def _same_place(a: str | None, b: str | None) -> bool:
    return bool(a and b) and skeleton(a or "") == skeleton(b or "") != ""


def strikes_before(
    arrival: Movement, impacts: Sequence[Impact], radius_km: float, days: float
) -> list[StrikeLink]:
    """The impacts near the arrival's origin in the ``days`` before it (see the module docstring)."""
    out = []
    start, end = arrival.on - days * DAY_S, arrival.on + DAY_S
    for impact in impacts:
        if not start <= impact.t < end:
            continue
        distance: float | None = None
        if (
            arrival.lat is not None
            and arrival.lon is not None
            and impact.lat is not None
            and impact.lon is not None
        ):
            distance = haversine_m(arrival.lat, arrival.lon, impact.lat, impact.lon) / 1000.0
            if distance > radius_km:
                continue
        elif not _same_place(arrival.place, impact.place):
            continue
        out.append(StrikeLink(impact, distance, (arrival.on - impact.t) / DAY_S))
    out.sort(key=lambda link: link.impact.t)
    return out


def link_arrivals(
    updates: Iterable[SiteUpdate], impacts: Sequence[Impact], radius_km: float = 10.0, days: float = 14.0
) -> list[ArrivalLink]:
    """Every arrival in the updates, oldest first, with the strikes it followed (possibly none)."""
    if radius_km <= 0 or days <= 0:
        raise ValueError("radius_km and days must be above 0")
    seen: set[tuple[str, Movement]] = set()
    out = []
    for u in updates:
        for m in u.movements:
            if m.kind != "arrival" or (u.site_id, m) in seen:
                continue  # an arrival repeated in a later update is the same arrival
            seen.add((u.site_id, m))
            out.append(ArrivalLink(u.site_id, m, tuple(strikes_before(m, impacts, radius_km, days))))
    out.sort(key=lambda link: (link.arrival.on, link.site_id))
    return out
