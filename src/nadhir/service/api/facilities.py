"""``/api/v1/health/facilities``: health facilities' status (issue 18, HeRAMS' codes).

* ``GET /health/facilities``: every facility of the region with its latest status, its age and
  how it is warned (any reader; the reporter's identity only to the health role).
* ``GET /health/facilities/{id}``: one facility's latest status (as the kiosk is reached).
* ``GET /health/facilities/{id}/history``: its updates, newest first (health role).
* ``POST /health/facilities/{id}/status``: an update (health role), laid over the last status
  and answered with a confirmation; a bad one gets 404/422 with the reason and keeps nothing.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from nadhir.domain.timefmt import format_time, parse_time
from nadhir.health.facilities import UnknownFacility
from nadhir.health.status import StatusError, status_from_json, status_to_json
from nadhir.health.status_desk import confirmation
from nadhir.service.api.deps import API, Credentials, Reader, Svc, by, err, kiosk_access, requires
from nadhir.service.auth import HEALTH_ROLES, Principal
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.facility_status import FacilityStatusRoom
from nadhir.service.runtime import Service
from nadhir.store.facilities import StatusEntry

router = APIRouter(route_class=StrictJsonRoute)


class ReadinessOut(BaseModel):
    """How the facility is warned now, from its status."""

    sirens: bool = Field(description="False: phones only (closed or evacuated)")
    extra_lead_s: float = Field(description="Seconds its people need beyond its kind's shelter time")
    reason: str


class FacilityOut(BaseModel):
    """A health facility with its latest status (HeRAMS' codes; docs/health.md)."""

    id: str
    name: str
    name_ar: str | None
    kind: str
    lat: float
    lon: float
    status: dict[str, Any] | None = Field(description="The whole status after the latest update")
    functionality: str | None
    at: str | None = Field(description="When the latest status holds (ISO 8601)")
    age_s: float | None
    channel: str | None
    not_available: list[str] = Field(description="Services said to be not available")
    who: str | None = Field(None, description="Who sent the latest update (health role only)")
    readiness: ReadinessOut


class StatusEntryOut(BaseModel):
    """One update of a facility's status."""

    id: int
    at: str
    received: str
    who: str
    channel: str
    reported: dict[str, Any] = Field(description="What the update said")
    status: dict[str, Any] = Field(description="The whole status after it")


class StatusUpdateIn(BaseModel):
    """An update: what it does not say stays as the facility last said (docs/health.md)."""

    model_config = ConfigDict(extra="forbid")
    status: dict[str, Any] = Field(
        description="HeRAMS fields, e.g. {'staff': {'doctors': 3}, 'fuel_days': 2}"
    )
    at: str | None = Field(None, max_length=40, description="When it holds (ISO 8601; default now)")
    channel: Literal["api", "console"] = "api"
    lang: Literal["en", "ar"] = Field("en", description="The confirmation's language")


class StatusRecordedOut(BaseModel):
    """An update kept."""

    id: int
    facility: str
    at: str
    status: dict[str, Any]
    confirmation: str


Health = Annotated[Principal, Depends(requires(HEALTH_ROLES))]
PATH = f"{API}/health/facilities"


def _room(svc: Service) -> FacilityStatusRoom:
    if svc.facility_status is None:
        raise HTTPException(503, "the service is starting")
    return svc.facility_status


def _facility_out(room: FacilityStatusRoom, site_id: str, entry: StatusEntry | None, now: float,
                  private: bool) -> dict[str, Any]:  # fmt: skip
    site = room.facilities[site_id]
    status = None if entry is None else status_from_json(entry.status)
    out: dict[str, Any] = {
        "id": site.id, "name": site.name, "name_ar": site.name_ar, "kind": site.kind, "lat": site.lat,
        "lon": site.lon, "status": None if entry is None else entry.status,
        "functionality": None if entry is None else entry.functionality,
        "at": None if entry is None else format_time(entry.at),
        "age_s": None if entry is None else max(0.0, now - entry.at),
        "channel": None if entry is None else entry.channel,
        "not_available": [] if status is None else status.not_available(),
    }  # fmt: skip
    if private and entry is not None:
        out["who"] = entry.who
    return out


def _readiness_out(room: FacilityStatusRoom) -> dict[str, dict[str, Any]]:
    return {k: {"sirens": r.sirens, "extra_lead_s": r.extra_lead_s, "reason": r.reason}
            for k, r in room.readiness().items()}  # fmt: skip


@router.get(PATH, tags=["health"], response_model=list[FacilityOut], responses=err(401, 403, 429, 503),
            summary="Every health facility: its latest status, its age, how it is warned")  # fmt: skip
def facilities(principal: Reader, svc: Svc) -> list[dict[str, Any]]:
    room = _room(svc)
    latest, now, ready = room.book.latest(), room.now(), _readiness_out(room)
    private = principal.role in HEALTH_ROLES
    return [
        _facility_out(room, site_id, latest.get(site_id), now, private) | {"readiness": ready[site_id]}
        for site_id in room.facilities
    ]


@router.get(f"{PATH}/{{facility}}", tags=["health"], response_model=FacilityOut,
            responses=err(401, 404, 429, 503),
            summary="One facility's latest status (reached as its kiosk is)")  # fmt: skip
def facility(facility: str, request: Request, creds: Credentials, svc: Svc) -> dict[str, Any]:
    kiosk_access(svc, request, creds.credentials if creds else None)
    room = _room(svc)
    if facility not in room.facilities:
        raise HTTPException(404, f"no health facility {facility!r}")
    entry = room.book.latest().get(facility)
    return _facility_out(room, facility, entry, room.now(), False) | {
        "readiness": _readiness_out(room)[facility]
    }


@router.get(f"{PATH}/{{facility}}/history", tags=["health"], response_model=list[StatusEntryOut],
            responses=err(401, 403, 404, 429, 503),
            summary="One facility's status updates, newest first (health role)")  # fmt: skip
def history(
    facility: str, _: Health, svc: Svc, limit: Annotated[int, Query(ge=1, le=5000)] = 500
) -> list[dict[str, Any]]:
    room = _room(svc)
    if facility not in room.facilities:
        raise HTTPException(404, f"no health facility {facility!r}")
    return [
        {"id": e.id, "at": format_time(e.at), "received": format_time(e.received), "who": e.who,
         "channel": e.channel, "reported": e.reported, "status": e.status}
        for e in room.book.history(facility, limit)
    ]  # fmt: skip


@router.post(f"{PATH}/{{facility}}/status", tags=["health"], status_code=201,
             response_model=StatusRecordedOut,
             responses=err(400, 401, 403, 404, 422, 429, 503),
             summary="Update a facility's status (health role); answered with a confirmation")  # fmt: skip
async def update_status(facility: str, body: StatusUpdateIn, principal: Health, svc: Svc) -> dict[str, Any]:
    """Lay the update over the facility's last status and keep it; 404 (unknown facility) or 422
    (an impossible status, a time in the future) with the reason, and nothing kept."""
    room = _room(svc)
    now = room.now()
    try:
        at = now if body.at is None else parse_time(body.at)
    except ValueError as exc:
        raise HTTPException(422, f"at: {exc}") from exc
    if at > now + svc.settings.max_future_s:
        raise HTTPException(422, f"at: {format_time(at)} is in the future")
    try:
        update = status_from_json(body.status)
        recorded = await asyncio.to_thread(
            room.desk.update, facility, update, at, by(principal), body.channel
        )
    except UnknownFacility as exc:
        raise HTTPException(404, str(exc)) from exc
    except StatusError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {
        "id": recorded.id, "facility": recorded.facility.id, "at": format_time(recorded.at),
        "status": status_to_json(recorded.status),
        "confirmation": confirmation(recorded, arabic=body.lang == "ar"),
    }  # fmt: skip
