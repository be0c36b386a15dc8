"""``POST /api/v1/intake/{reports,acoustic,impacts}``: one event in the scenario format."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from nadhir.service import schemas
from nadhir.service.api.deps import API, Submitter, Svc, err, retry_headers
from nadhir.service.bodies import StrictJsonRoute, json_body
from nadhir.service.intake import IntakeError

router = APIRouter(route_class=StrictJsonRoute)

PATHS = {"report": "reports", "acoustic": "acoustic", "impact": "impacts"}


def _add(kind: str, model: type[BaseModel], summary: str) -> None:
    """One intake route; the body is read by the intake's own rules, the model only documents it."""

    @router.post(
        f"{API}/intake/{PATHS[kind]}",
        tags=["intake"],
        summary=summary,
        status_code=202,
        response_model=schemas.IntakeAccepted,
        responses=err(400, 401, 403, 413, 422, 429, 503),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": model.model_json_schema(by_alias=True)}},
            }
        },
    )
    async def intake(request: Request, principal: Submitter, svc: Svc) -> Response:
        intake_ = svc.intake_point()
        obj = json_body(await request.body())  # at most max_body_bytes (BodyLimit)
        try:
            accepted = intake_.submit(obj, principal, kind)
        except IntakeError as exc:
            raise HTTPException(exc.status, exc.message, headers=retry_headers(exc.retry_after)) from exc
        # Built directly (the schema above documents it): intake is the hot path.
        answer: dict[str, Any] = {"id": accepted.id, "kind": accepted.kind, "source": accepted.source,
                                  "t": accepted.t, "received": accepted.received}  # fmt: skip
        return JSONResponse(answer, status_code=202)


_add("report", schemas.ReportIn, "Submit an observer's report")
_add("acoustic", schemas.AcousticIn, "Submit an acoustic detection")
_add("impact", schemas.ImpactIn, "Submit a reported impact")
