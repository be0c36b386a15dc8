"""``/api/v1/admin/quarantine``: the engine steps that raised, set aside with their input."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from nadhir.service import schemas
from nadhir.service.api.deps import API, Actor, Svc, err
from nadhir.service.bodies import StrictJsonRoute
from nadhir.store.quarantine import QuarantineBook

router = APIRouter(route_class=StrictJsonRoute)


@router.get(
    f"{API}/admin/quarantine",
    tags=["service"],
    response_model=list[schemas.QuarantinedOut],
    responses=err(401, 403, 429),
    summary="Engine steps that raised, newest first, with their input and traceback",
)
def quarantine(
    _: Actor,
    svc: Svc,
    run: Annotated[int | None, Query(description="Only this run's", ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    if svc.store is None:
        raise HTTPException(503, "the service is starting")
    return [dataclasses.asdict(q) for q in QuarantineBook(svc.store.engine).recent(limit, run)]
