"""``nadhir serve``: the pipeline live behind HTTP, with an operator console and hospital kiosks.

::

    app = create_app(load_settings())           # then run it with uvicorn
    app = create_app(settings, demo=DemoOptions(speed=20))

The routes live in :mod:`nadhir.service.api`, one router per resource (the OpenAPI document at
``/openapi.json`` and ``/docs`` has them all, each answer with its model):

- ``POST /api/v1/intake/{reports,acoustic,impacts}``: one event in the scenario format
  (observer and sensor tokens, or admin); ``POST /api/v1/intake/cap`` (operator+).
- ``WS /api/v1/live`` (first message ``{"token": "..."}``) and ``GET /api/v1/live/sse``:
  the live feed of tracks, site threats, alerts, operator actions, clock.
- ``GET /api/v1/{sites,sensors,observers,tracks,alerts,runs}``: the state and history (viewer+).
- ``POST /api/v1/operator/sites/{site}/{confirm,cancel,alert,test-alarm}`` (operator+).
- ``GET /api/v1/kiosk/{site}`` and ``/api/v1/kiosk/{site}/sse``: one site, public.
- ``/console/``, ``/kiosk/{site}``, ``/replay/``, ``/docs``: the pages, all files served from the
  packages (Swagger UI's from fastapi-offline's).

The :class:`~nadhir.service.runtime.Service` the routes share, and its workers, are in
:mod:`nadhir.service.runtime`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from nadhir.alerting.policy import PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.bus import InProcessBus
from nadhir.service.api import (
    alerts,
    attacks,
    cap,
    facilities,
    feeds,
    health,
    intake,
    kiosk,
    operator,
    outcomes,
    pages,
    quarantine,
    runs,
    shelters,
    state,
    subscriptions,
    test_alarms,
)
from nadhir.service.api.deps import err
from nadhir.service.api.errors import add_error_handlers, use_uniform_openapi
from nadhir.service.api.headers import SecurityHeaders
from nadhir.service.api.sms import sms_router
from nadhir.service.auth import RateLimiter, TokenBook
from nadhir.service.bodies import BodyLimit, StrictJsonRoute
from nadhir.service.clock import Clock
from nadhir.service.region import Region, load_region
from nadhir.service.runtime import DemoOptions, Service, Worker
from nadhir.service.settings import Settings, load_settings

__all__ = ["ROUTERS", "DemoOptions", "Service", "Worker", "app_from_env", "create_app"]

# In the order their paths appear in the OpenAPI document.
ROUTERS = (pages, health, intake, state, alerts, runs, quarantine, kiosk, operator, cap, subscriptions,
           test_alarms, feeds, facilities, attacks, outcomes, shelters)  # fmt: skip


def create_app(
    settings: Settings,
    *,
    demo: DemoOptions | None = None,
    region: Region | None = None,
    clock: Clock | None = None,
    policy: PolicyConfig | None = None,
    roles: frozenset[str] = frozenset(),
    engine_regions: tuple[str, ...] = (),
    siren_model: SirenModel | None = None,
) -> FastAPI:
    """The service as an ASGI app. Nothing starts until its lifespan does (uvicorn, or a TestClient).

    With ``roles``, only those parts of the cluster run (:meth:`Service.role_workers`). With a
    ``siren_model`` every engine's policy weighs the rules' calls for sirens with it, as
    ``nadhir replay --siren-model`` does (the engine factory is the same).
    """
    region = region or load_region(settings.scenario)
    svc = Service(
        settings=settings,
        region=region,
        bus=InProcessBus(),
        tokens=TokenBook(settings),
        limiter=RateLimiter(settings.rate_limit),
        demo=demo,
        policy=policy,
        siren_model=siren_model,
        clock_override=clock,
        sites={s.id: s for s in region.scenario.sites},
        roles=roles,
        engine_regions=engine_regions,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(svc.start)
        try:
            yield
        finally:
            await asyncio.to_thread(svc.stop)

    app = FastAPI(
        title="Nadhir",
        version="1",
        summary="Early warning of air attacks: live intake, tracks, threats, alerts, operator actions.",
        lifespan=lifespan,
        responses=err(503),
        # /docs is the pages' own (Swagger UI from the package, not a CDN); no ReDoc (its styles
        # are injected inline, which the pages' policy forbids).
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = svc
    # JSON bodies FastAPI reads for its models follow the same rules as the intake's.
    app.router.route_class = StrictJsonRoute
    # Innermost of the middleware, so a 413 still carries the CORS and security headers.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(SecurityHeaders)
    routers = [module.router for module in ROUTERS]
    if settings.sms_secret:
        # The SMS gateway signs its posts (no bearer token); reports go to the same engine.
        sms = sms_router(
            lambda report: svc.live()[0].submit(report),
            settings.sms_secret,
            settings.sms_numbers,
            field_reports=svc.field_reports,
        )
        routers.insert(0, sms)
    add_error_handlers(app, routers)
    use_uniform_openapi(app)
    pages.mount_static(app)
    for router in routers:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """The app as settings and environment say (``uvicorn --factory nadhir.service.app:app_from_env``)."""
    return create_app(load_settings())
