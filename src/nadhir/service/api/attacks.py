"""``/api/v1/health/attacks``: the register of attacks on health care.

Any reader gets the public fields (SSA's: date, country and admin area, types, resources,
facility type, total killed and injured, certainty, review state) of the records not rejected;
the ``health`` role (and admin) gets every record and the private fields too: the facility's
name and coordinates, the sources and their reporters, the narrative, casualties by group.
Only the health role writes: a new record, a draft completed, a draft confirmed or rejected.
Bad input is refused whole with a 4xx that says why, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from nadhir.domain.timefmt import parse_time
from nadhir.health.attack_views import private_view, public_view, shown_to_public
from nadhir.health.attacks import AttackError, AttackRecord, NotDraft, record_from_json
from nadhir.service.api.deps import API, Reader, Svc, by, err, requires
from nadhir.service.attack_register import AttackRegister, UnknownAttack, UnknownFacility
from nadhir.service.auth import HEALTH_ROLES, Principal
from nadhir.service.bodies import StrictJsonRoute
from nadhir.store.attacks import AttackBook

router = APIRouter(route_class=StrictJsonRoute)

HealthRole = Annotated[Principal, Depends(requires(HEALTH_ROLES))]
AttackId = Annotated[int, Path(ge=1, le=2**62, description="The attack's id")]


class SourceIn(BaseModel):
    """A source of the record: its kind (see docs/health.md), who or what it is, when received."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=40)
    ref: str = Field(max_length=200)
    time: str | None = Field(None, description="ISO 8601 UTC")
    note: str | None = Field(None, max_length=4000)


class CasualtiesIn(BaseModel):
    """Killed and injured in one group (staff, patients, others); null: not known."""

    model_config = ConfigDict(extra="forbid")
    killed: int | None = None
    injured: int | None = None


class AttackFieldsIn(BaseModel):
    """The fields a health focal point fills in (all optional when completing a draft)."""

    model_config = ConfigDict(extra="forbid")
    attack_types: list[str] | None = Field(None, max_length=20)
    resources: list[str] | None = Field(None, max_length=10)
    sources: list[SourceIn] | None = Field(None, max_length=200)
    weapon: str | None = Field(None, max_length=200)
    perpetrator: str | None = Field(None, max_length=200)
    casualties: dict[str, CasualtiesIn] | None = None
    damage: str | None = Field(None, max_length=40)
    services_interrupted: list[str] | None = Field(None, max_length=50)
    interruption_days: float | None = None
    narrative: str | None = Field(None, max_length=4000)


class AttackIn(AttackFieldsIn):
    """A new record: the facility, when, and at least the types, resources and sources."""

    facility: str = Field(max_length=200, description="A health facility's site id")
    time: str = Field(description="When the attack happened, ISO 8601 UTC")


class ReviewIn(BaseModel):
    """A health focal point's decision on a draft."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["confirmed", "rejected"]
    note: str | None = Field(None, max_length=4000)


class AttackOut(BaseModel):
    """One attack. Readers get the public fields; the health role also gets the private ones."""

    id: int
    date: str
    country: str
    admin_area: str | None
    pcode: str | None
    facility_type: str
    attack_types: list[str]
    resources: list[str]
    killed: int | None = Field(description="Total killed; null: not known yet")
    injured: int | None = Field(description="Total injured; null: not known yet")
    certainty: Literal["rumour", "possible", "probable", "confirmed"]
    review: Literal["draft", "confirmed", "rejected"]
    # Private: the health role only.
    facility_id: str | None = None
    facility: dict[str, Any] | None = None
    t: float | None = None
    sources: list[dict[str, Any]] | None = None
    weapon: str | None = None
    perpetrator: str | None = None
    casualties: dict[str, Any] | None = None
    damage: str | None = None
    services_interrupted: list[str] | None = None
    interruption_days: float | None = None
    narrative: str | None = None
    reviewed_by: str | None = None
    review_note: str | None = None
    links: dict[str, Any] | None = None


def _register(svc: Svc) -> AttackRegister:
    if svc.store is None:
        raise HTTPException(503, "the service is starting")
    return AttackRegister(AttackBook(svc.store.engine), list(svc.sites.values()))


def _view(principal: Principal, record: AttackRecord) -> dict[str, Any]:
    return private_view(record) if principal.role in HEALTH_ROLES else public_view(record)


def _time(value: str, what: str) -> float:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise HTTPException(422, f"{what}: {exc}") from None


def _json_fields(body: AttackFieldsIn) -> dict[str, Any]:
    """The fields given, in the record's JSON form."""
    data: dict[str, Any] = {}
    for name in body.model_fields_set & set(AttackFieldsIn.model_fields):  # not a new record's facility, time
        value = getattr(body, name)
        if name == "sources" and value is not None:
            value = [
                {
                    "kind": s.kind,
                    "ref": s.ref,
                    "t": None if s.time is None else _time(s.time, "source time"),
                    "note": s.note,
                }
                for s in value
            ]
        elif name == "casualties" and value is not None:
            value = {g: {"killed": c.killed, "injured": c.injured} for g, c in value.items()}
        data[name] = value
    return data


@router.get(
    f"{API}/health/attacks",
    tags=["health"],
    response_model=list[AttackOut],
    response_model_exclude_unset=True,
    responses=err(401, 403, 404, 429),
    summary="Attacks on health care, newest first (public fields; private ones for the health role)",
)
def list_attacks(
    principal: Reader,
    svc: Svc,
    facility: Annotated[str | None, Query(max_length=200, description="Only this facility's")] = None,
) -> list[dict[str, Any]]:
    try:
        records = _register(svc).records(facility)
    except UnknownFacility as exc:
        raise HTTPException(404, str(exc)) from None
    if principal.role not in HEALTH_ROLES:
        records = [r for r in records if shown_to_public(r)]
    return [_view(principal, r) for r in records]


@router.get(
    f"{API}/health/attacks/{{attack_id}}",
    tags=["health"],
    response_model=AttackOut,
    response_model_exclude_unset=True,
    responses=err(401, 403, 404, 422, 429),
    summary="One attack on health care",
)
def get_attack(principal: Reader, svc: Svc, attack_id: AttackId) -> dict[str, Any]:
    try:
        record = _register(svc).get(attack_id)
    except UnknownAttack:
        raise HTTPException(404, f"no attack {attack_id}") from None
    if principal.role not in HEALTH_ROLES and not shown_to_public(record):
        raise HTTPException(404, f"no attack {attack_id}")
    return _view(principal, record)


@router.post(
    f"{API}/health/attacks",
    tags=["health"],
    status_code=201,
    response_model=AttackOut,
    response_model_exclude_unset=True,
    responses=err(400, 401, 403, 413, 422, 429),
    summary="Record an attack on health care (health role)",
)
def create_attack(principal: HealthRole, svc: Svc, body: AttackIn) -> dict[str, Any]:
    register = _register(svc)
    data = _json_fields(body)
    data.update(
        facility={"id": body.facility, "lat": 0.0, "lon": 0.0},  # filled in from the sites
        t=_time(body.time, "time"),
        review="draft",
    )
    for name in ("attack_types", "resources", "sources"):
        data.setdefault(name, [])
    try:
        record = register.create(record_from_json(data), svc.clock().now())
    except AttackError as exc:
        raise HTTPException(422, str(exc)) from None
    return private_view(record)


@router.patch(
    f"{API}/health/attacks/{{attack_id}}",
    tags=["health"],
    response_model=AttackOut,
    response_model_exclude_unset=True,
    responses=err(400, 401, 403, 404, 409, 413, 422, 429),
    summary="Complete a drafted attack (health role)",
)
def complete_attack(
    principal: HealthRole, svc: Svc, attack_id: AttackId, body: AttackFieldsIn
) -> dict[str, Any]:
    with _refusals(attack_id):
        record = _register(svc).complete(attack_id, _json_fields(body), svc.clock().now())
    return private_view(record)


@router.post(
    f"{API}/health/attacks/{{attack_id}}/review",
    tags=["health"],
    response_model=AttackOut,
    response_model_exclude_unset=True,
    responses=err(400, 401, 403, 404, 409, 413, 422, 429),
    summary="Confirm or reject a drafted attack (health role)",
)
def review_attack(principal: HealthRole, svc: Svc, attack_id: AttackId, body: ReviewIn) -> dict[str, Any]:
    with _refusals(attack_id):
        record = _register(svc).review(attack_id, body.decision, by(principal), body.note, svc.clock().now())
    return private_view(record)


@contextmanager
def _refusals(attack_id: int) -> Iterator[None]:
    """A change to one record refused as HTTP says why: unknown (404), no longer a draft (409),
    or not a valid record (422)."""
    try:
        yield
    except UnknownAttack:
        raise HTTPException(404, f"no attack {attack_id}") from None
    except NotDraft as exc:
        raise HTTPException(409, str(exc)) from None
    except AttackError as exc:
        raise HTTPException(422, str(exc)) from None
