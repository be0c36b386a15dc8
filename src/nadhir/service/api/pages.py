"""The pages: ``/console/``, ``/health/``, ``/outcomes/``, ``/shelters/``, ``/kiosk/{site}``,
``/replay/``, ``/docs`` and ``/static``, all served from the packages (no page loads anything from
another machine).
"""

from __future__ import annotations

import pathlib
import re
from importlib import resources

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from nadhir.service.api.deps import Svc
from nadhir.service.api.headers import page_policy
from nadhir.service.bodies import StrictJsonRoute

CONSOLE_DIR = pathlib.Path(str(resources.files("nadhir") / "console"))
# Swagger UI's files (5.x) as the pinned fastapi-offline package ships them: FastAPI's own /docs
# loads them from a CDN, which the pages' policy blocks and an offline site cannot reach.
DOCS_FILES_DIR = pathlib.Path(str(resources.files("fastapi_offline") / "static"))
DOCS_FILES = "/static-docs"
NO_CACHE = {"Cache-Control": "no-cache"}
# A script element with no attributes: the inline start-up script get_swagger_ui_html writes.
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(route_class=StrictJsonRoute, include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    """The console's files under ``/static``, Swagger UI's under ``/static-docs`` (mounts, which a
    router cannot carry)."""
    app.mount("/static", StaticFiles(directory=CONSOLE_DIR), name="static")
    app.mount(DOCS_FILES, StaticFiles(directory=DOCS_FILES_DIR), name="static-docs")


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console/")
def console() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "console.html", headers=NO_CACHE)


@router.get("/health/")
def health_view() -> FileResponse:
    """The health view: facility cards, the map by functioning, the offline status form."""
    return FileResponse(CONSOLE_DIR / "health.html", headers=NO_CACHE)


@router.get("/outcomes/")
def outcomes() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "outcomes.html", headers=NO_CACHE)


@router.get("/shelters/")
def shelters() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "shelters.html", headers=NO_CACHE)


@router.get("/replay/")
def replay() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "replay.html", headers=NO_CACHE)


@router.get("/kiosk/{site}")
def kiosk(site: str, svc: Svc) -> FileResponse:
    if site not in svc.sites:
        raise HTTPException(404, f"no site {site!r}")
    return FileResponse(CONSOLE_DIR / "kiosk.html", headers=NO_CACHE)


@router.get("/docs")
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI on the OpenAPI document, every file from this server.

    Its start-up script is inline (FastAPI writes it); the answer's policy allows that one script
    by its hash, so the pages' policy stays as strict as everywhere else (no CDN, no eval).
    """
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{DOCS_FILES}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{DOCS_FILES}/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/icon.svg",
        # No online validator: Swagger UI's default is validator.swagger.io, another machine.
        swagger_ui_parameters={"validatorUrl": None},
    )
    # FastAPI's page names no language (screen readers then guess); the API's words are English.
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    return HTMLResponse(
        html,
        headers={**NO_CACHE, "Content-Security-Policy": page_policy(INLINE_SCRIPT.findall(html)).decode()},
    )
