"""The pages: ``/console/``, ``/kiosk/{site}``, ``/replay/`` and ``/static``, all served from the package."""

from __future__ import annotations

import pathlib
from importlib import resources

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from nadhir.service.api.deps import Svc
from nadhir.service.bodies import StrictJsonRoute

CONSOLE_DIR = pathlib.Path(str(resources.files("nadhir") / "console"))
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(route_class=StrictJsonRoute, include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    """The console's files under ``/static`` (a mount, which a router cannot carry)."""
    app.mount("/static", StaticFiles(directory=CONSOLE_DIR), name="static")


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console/")
def console() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "console.html", headers=NO_CACHE)


@router.get("/replay/")
def replay() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "replay.html", headers=NO_CACHE)


@router.get("/kiosk/{site}")
def kiosk(site: str, svc: Svc) -> FileResponse:
    if site not in svc.sites:
        raise HTTPException(404, f"no site {site!r}")
    return FileResponse(CONSOLE_DIR / "kiosk.html", headers=NO_CACHE)
