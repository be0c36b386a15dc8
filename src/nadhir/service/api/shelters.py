"""``/api/v1/shelters``: displacement sites' latest figures and gaps, one site's history, updates.

Reading is for every reading role. Sending an update is for the ``health`` and ``admin`` roles: the
sites' figures are the record that sends help, kept by the coordinators and focal points who hold
health-room tokens; warning operators (``operator``) run the alerts and do not edit it, so a slip on
the warning desk can never rewrite a camp's figures.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from nadhir.domain import Impact
from nadhir.domain.displacement import Movement, SiteRecordError, SiteUpdate
from nadhir.domain.timefmt import format_time, parse_time
from nadhir.service.api.deps import API, Reader, Svc, by, err, requires
from nadhir.service.auth import HEALTH_ROLES, Principal
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.runtime import Service
from nadhir.shelters.origins import link_arrivals
from nadhir.shelters.sites import applied
from nadhir.shelters.sphere import as_json, gaps, ranked
from nadhir.store.shelters import ShelterBook

router = APIRouter(route_class=StrictJsonRoute)

Coordinator = Annotated[Principal, Depends(requires(HEALTH_ROLES))]
SiteId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")]


class MovementIn(BaseModel):
    """People who arrived at or left the site."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["arrival", "departure"]
    on: str = Field(description="When (ISO 8601 date or time)", max_length=40)
    individuals: int = Field(ge=0, le=2_000_000)
    place: str | None = Field(default=None, max_length=200, description="Where from (arrival) or to")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ShelterUpdateIn(BaseModel):
    """A site's new figures; what is not given stays as the last update had it."""

    model_config = ConfigDict(extra="forbid")
    updated: str | None = Field(default=None, max_length=40, description="As of (ISO 8601; default: now)")
    name: str | None = Field(default=None, max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    type: Literal["planned-camp", "self-settled-camp", "collective-centre", "reception-centre"] | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    managing_agency: str | None = Field(default=None, max_length=200)
    admin_area: str | None = Field(default=None, max_length=200)
    pcode: str | None = Field(default=None, max_length=40)
    households: int | None = Field(default=None, ge=0)
    individuals: int | None = Field(default=None, ge=0)
    tents: int | None = Field(default=None, ge=0)
    tents_flooded: int | None = Field(default=None, ge=0, description="Tents damaged or flooded")
    covered_area_m2: float | None = Field(default=None, ge=0)
    latrines_working: int | None = Field(default=None, ge=0)
    showers_working: int | None = Field(default=None, ge=0)
    water_litres_per_day: float | None = Field(default=None, ge=0)
    water_points: int | None = Field(default=None, ge=0)
    movements: list[MovementIn] | None = Field(default=None, max_length=100)


class MovementOut(BaseModel):
    """People who arrived at or left a site."""

    kind: Literal["arrival", "departure"]
    on: str
    individuals: int
    place: str | None
    lat: float | None
    lon: float | None


class GapsOut(BaseModel):
    """A site's figures against Sphere's minimum standards (null: not reported, or nobody to divide by)."""

    site_id: str
    individuals: int | None
    people_per_latrine: float | None = Field(description="Sphere: at most 20")
    water_litres_per_person_day: float | None = Field(description="Sphere: at least 15")
    covered_m2_per_person: float | None = Field(description="Sphere: at least 3.5")
    flooded_share: float | None = Field(description="Tents damaged or flooded, of all tents")
    misses: list[Literal["latrines", "water", "space", "flooding"]]
    worst: Literal["latrines", "water", "space", "flooding"] | None
    unknown: list[Literal["latrines", "water", "space", "flooding"]]


class ShelterOut(BaseModel):
    """A displacement site's figures as of one update, with its gaps."""

    site_id: str
    name: str
    name_ar: str | None
    type: str
    lat: float
    lon: float
    updated: str
    managing_agency: str | None
    admin_area: str | None
    pcode: str | None
    households: int | None
    individuals: int | None
    tents: int | None
    tents_flooded: int | None
    covered_area_m2: float | None
    latrines_working: int | None
    showers_working: int | None
    water_litres_per_day: float | None
    water_points: int | None
    source: str
    movements: list[MovementOut]
    gaps: GapsOut
    rank: int | None = Field(default=None, description="Place by need across sites (1: the neediest)")


class StrikeLinkOut(BaseModel):
    """A reported impact near an arrival's place of origin, before the arrival."""

    t: str
    reporter: str
    lat: float | None
    lon: float | None
    place: str | None
    distance_km: float | None = Field(description="From the place of origin (null: linked by name)")
    days_before: float


class ArrivalOut(BaseModel):
    """An arrival at the site, with the strikes in its place of origin before it."""

    site_id: str
    arrival: MovementOut
    strikes: list[StrikeLinkOut]


def book(svc: Service) -> ShelterBook:
    """The stored updates; 503 while the service is starting."""
    if svc.store is None:
        raise HTTPException(503, "the service is starting")
    return ShelterBook(svc.store.engine)


def update_out(u: SiteUpdate) -> dict[str, Any]:
    """An update as the API and the console read it."""
    return {
        "site_id": u.site_id, "name": u.name, "name_ar": u.name_ar, "type": u.type, "lat": u.lat,
        "lon": u.lon, "updated": format_time(u.updated), "managing_agency": u.managing_agency,
        "admin_area": u.admin_area, "pcode": u.pcode, "households": u.households,
        "individuals": u.individuals, "tents": u.tents, "tents_flooded": u.tents_flooded,
        "covered_area_m2": u.covered_area_m2, "latrines_working": u.latrines_working,
        "showers_working": u.showers_working, "water_litres_per_day": u.water_litres_per_day,
        "water_points": u.water_points, "source": u.source,
        "movements": [_movement_out(m) for m in u.movements],
    }  # fmt: skip


@router.get(
    f"{API}/shelters",
    tags=["shelters"],
    response_model=list[ShelterOut],
    responses=err(401, 403, 429, 503),
    summary="Displacement sites: latest figures and gaps against Sphere, the neediest first",
)
def shelters(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    latest = {u.site_id: u for u in book(svc).latest()}
    return [{**update_out(latest[g.site_id]), "gaps": as_json(g), "rank": rank}
            for rank, g in enumerate(ranked(latest.values()), start=1)]  # fmt: skip


@router.get(
    f"{API}/shelters/{{site_id}}/history",
    tags=["shelters"],
    response_model=list[ShelterOut],
    responses=err(401, 403, 404, 429, 503),
    summary="One displacement site's updates, oldest first",
)
def shelter_history(site_id: SiteId, _: Reader, svc: Svc) -> list[dict[str, Any]]:
    found = book(svc).history(site_id)
    if not found:
        raise HTTPException(404, f"no displacement site {site_id!r}")
    return [{**update_out(u), "gaps": as_json(gaps(u))} for u in found]


def _movement_out(m: Movement) -> dict[str, Any]:
    return {"kind": m.kind, "on": format_time(m.on), "individuals": m.individuals, "place": m.place,
            "lat": m.lat, "lon": m.lon}  # fmt: skip


@router.get(
    f"{API}/shelters/{{site_id}}/arrivals",
    tags=["shelters"],
    response_model=list[ArrivalOut],
    responses=err(401, 403, 404, 429, 503),
    summary="Arrivals at a displacement site, linked to the strikes in their places of origin",
)
def shelter_arrivals(
    site_id: SiteId,
    _: Reader,
    svc: Svc,
    radius_km: Annotated[float, Query(gt=0, le=100)] = 10.0,
    days: Annotated[float, Query(gt=0, le=90)] = 14.0,
) -> list[dict[str, Any]]:
    found = book(svc).history(site_id)
    if not found:
        raise HTTPException(404, f"no displacement site {site_id!r}")
    impacts: list[Impact] = []
    if svc.store is not None and svc.run_id is not None:  # the impacts this service's run has heard
        impacts = [e for e in svc.store.events(svc.run_id) if isinstance(e, Impact)]
    return [
        {"site_id": link.site_id, "arrival": _movement_out(link.arrival),
         "strikes": [{"t": format_time(s.impact.t), "reporter": s.impact.reporter, "lat": s.impact.lat,
                      "lon": s.impact.lon, "place": s.impact.place, "distance_km": s.distance_km,
                      "days_before": s.days_before} for s in link.strikes]}
        for link in link_arrivals(found, impacts, radius_km, days)
    ]  # fmt: skip


def _movements(items: list[MovementIn]) -> tuple[Movement, ...]:
    out = []
    for i, m in enumerate(items):
        try:
            out.append(Movement(m.kind, parse_time(m.on), m.individuals, m.place, m.lat, m.lon))
        except ValueError as exc:
            raise SiteRecordError(f"movements[{i}]: {exc}") from exc
    return tuple(out)


@router.post(
    f"{API}/shelters/{{site_id}}/updates",
    tags=["shelters"],
    status_code=201,
    response_model=ShelterOut,
    responses=err(401, 403, 409, 422, 429, 503),
    summary="A displacement site's new figures (health and admin roles)",
)
def post_update(site_id: SiteId, body: ShelterUpdateIn, principal: Coordinator, svc: Svc) -> dict[str, Any]:
    shelters_book = book(svc)
    changes = body.model_dump(exclude_unset=True, exclude={"updated", "movements"})
    try:
        when = time.time() if body.updated is None else parse_time(body.updated)
        if body.movements is not None:
            changes["movements"] = _movements(body.movements)
        update = applied(shelters_book.last_of(site_id), site_id, changes, when, f"api:{by(principal)}")
    except ValueError as exc:  # SiteRecordError, or a time that is not one
        raise HTTPException(422, str(exc)) from exc
    outcome = shelters_book.add([update])
    if outcome.conflicts:
        raise HTTPException(409, outcome.conflicts[0].reason)
    return {**update_out(update), "gaps": as_json(gaps(update))}
