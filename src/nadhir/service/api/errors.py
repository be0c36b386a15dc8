"""The one error shape, ``{"detail": "..."}``: the handlers, and the OpenAPI document that says so."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from nadhir.service import schemas
from nadhir.service.api.deps import ERRORS


def add_error_handlers(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """HTTP errors and invalid requests answer ``{"detail": "..."}``; a 405 names every allowed method.

    ``routers`` are all the routers the app includes: a 405's ``Allow`` lists the methods of every
    route of theirs that matches the path.
    """
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path may have several routes (GET, POST).
            matching = [r for r in routes if r.matches(request.scope)[0] != Match.NONE]
            allowed = sorted({m for r in matching for m in r.methods or ()})
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)


def use_uniform_openapi(app: FastAPI) -> None:
    """The app's generated document, with the service's one error shape everywhere."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            uniform_errors(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def uniform_errors(doc: dict[str, Any]) -> None:
    """Every 4xx is ``{"detail": "..."}`` (validation errors too); a body may be unreadable (400)."""
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    error = {"$ref": "#/components/schemas/ErrorOut"}
    components.setdefault("ErrorOut", schemas.ErrorOut.model_json_schema())
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "422" in responses or operation.get("parameters") or "requestBody" in operation:
                responses["422"] = {
                    "description": ERRORS[422]["description"],
                    "content": {"application/json": {"schema": error}},
                }
            if "requestBody" in operation:
                responses.setdefault(
                    "400",
                    {
                        "description": ERRORS[400]["description"],
                        "content": {"application/json": {"schema": error}},
                    },
                )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
