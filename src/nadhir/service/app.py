"""``nadhir serve``: the pipeline live behind HTTP, with an operator console and hospital kiosks.

::

    app = create_app(load_settings())           # then run it with uvicorn
    app = create_app(settings, demo=DemoOptions(speed=20))

Routes (the OpenAPI document at ``/openapi.json`` and ``/docs`` has them all):

- ``POST /api/v1/intake/{reports,acoustic,impacts}``: one event in the scenario format
  (observer and sensor tokens, or admin).
- ``WS /api/v1/live`` (first message ``{"token": "..."}``) and ``GET /api/v1/live/sse``:
  the live feed of tracks, site threats, alerts, operator actions, clock.
- ``GET /api/v1/{sites,sensors,observers,tracks,alerts,runs}``: the state and history (viewer+).
- ``POST /api/v1/operator/sites/{site}/{confirm,cancel,alert,test-alarm}`` (operator+).
- ``GET /api/v1/kiosk/{site}`` and ``/api/v1/kiosk/{site}/sse``: one site, public.
- ``/console/``, ``/kiosk/{site}``, ``/replay/``: the pages, all files served from the package.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import pathlib
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nadhir.alerting.cap import CapError, read_cap
from nadhir.alerting.policy import PolicyConfig
from nadhir.bus import InProcessBus, Subscription
from nadhir.bus.inprocess import SubscriptionClosed
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.subscriptions import SubscriberIndex
from nadhir.delivery.subscriptions import Subscription as PersonSubscription
from nadhir.domain import Site
from nadhir.domain.formats.output import alert_to_dict
from nadhir.domain.validation import InvalidInput
from nadhir.engine.factory import build_pipeline
from nadhir.intake.sms_webhook import sms_router
from nadhir.intake.telegram import TelegramIntake
from nadhir.service import schemas
from nadhir.service.auth import ACT_ROLES, READ_ROLES, Principal, RateLimiter, TokenBook
from nadhir.service.bodies import BodyLimit, StrictJsonRoute, json_body
from nadhir.service.cap_intake import CapLedger, plan_from_cap
from nadhir.service.delivery import AlertDelivery
from nadhir.service.demo_feed import DemoFeeder, demo_clock
from nadhir.service.intake import ENGINE_STOPPED_RETRY_S, Intake, IntakeError
from nadhir.service.live import (
    ALERTS,
    FEED,
    TRACKS,
    Clock,
    EngineBusy,
    EngineStopped,
    FeedMessage,
    LiveCore,
    LiveEngine,
    ScaledClock,
    WallClock,
)
from nadhir.service.operator import OperatorActionError, manual_eta_problem
from nadhir.service.people import make_subscription, parse_when, people_channels
from nadhir.service.region import Region, load_region
from nadhir.service.settings import Role, Settings, load_settings
from nadhir.service.supervisor import Supervisor
from nadhir.service.test_alarms import TestAlarmError, cancel_test_alarm, schedule_test_alarm
from nadhir.service.wire import Wire
from nadhir.store import Store, default_url
from nadhir.store.people import SubscriptionBook, SubscriptionExists, TestAlarmBook, TestAlarmInfo
from nadhir.store.quarantine import QuarantineBook

log = logging.getLogger(__name__)

CONSOLE_DIR = pathlib.Path(str(resources.files("nadhir") / "console"))
API = "/api/v1"
FEED_BUFFER = 5000
SSE_KEEPALIVE_S = 15.0
WS_AUTH_TIMEOUT_S = 10.0
ACTION_TIMEOUT_S = 10.0
SWITCH_INTERVAL_S = 0.001


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """Replay the region's events through live intake, ``speed`` times faster than real time."""

    speed: float = 20.0


@dataclass
class Service:
    """Everything the routes share; built by :func:`create_app`, started by its lifespan."""

    settings: Settings
    region: Region
    bus: InProcessBus
    tokens: TokenBook
    limiter: RateLimiter
    demo: DemoOptions | None
    policy: PolicyConfig | None = None
    clock_override: Clock | None = None
    engine: LiveEngine | None = None
    intake: Intake | None = None
    store: Store | None = None
    run_id: int | None = None
    feeder: DemoFeeder | None = None
    delivery: AlertDelivery | None = None
    telegram: TelegramIntake | None = None
    telegram_thread: threading.Thread | None = None
    telegram_stop: threading.Event = field(default_factory=threading.Event)
    feeds: set[Subscription[FeedMessage]] = field(default_factory=set)
    sites: dict[str, Site] = field(default_factory=dict)
    cap_ledger: CapLedger = field(default_factory=CapLedger)  # foreign CAP messages read in
    supervisor: Supervisor | None = None
    wire: Wire = field(default_factory=Wire)
    run_name: str = ""

    def new_core(self, clock: Clock) -> LiveCore:
        """A fresh core for the region, with the alert episodes the store shows open restored.

        Open episodes are read from every run of this service's name (this one included, for a
        restart of the engine): a service stopped or killed with episodes open hands them on, so
        that they can be cancelled and end in all-clears (:meth:`AlertPolicy.restore`).
        """
        scenario = self.region.scenario
        pipeline = build_pipeline(scenario, self.policy)
        core = LiveCore(pipeline, self.bus, scenario.reporters, speed=clock.speed)
        if self.store is not None:
            runs = [r.id for r in self.store.list_runs() if r.name == self.run_name]
            episodes = self.store.open_episodes(runs)
            if episodes:
                if self.delivery is not None:  # sirens that sound hear the all-clear when it comes
                    for ep in episodes:
                        self.delivery.router.restore(ep.site, ep.level == "imminent")
                sites = core.restore_episodes(episodes, clock.now())
                log.warning("restored %d open alert episodes from the store: %s", len(sites), " ".join(sites))
        return core

    def start(self) -> None:
        scenario = self.region.scenario
        if self.clock_override is not None:
            clock: Clock = self.clock_override
        elif self.demo is not None:
            clock = demo_clock(scenario.events_path, self.demo.speed)
        else:
            clock = WallClock()
        db_url = self.settings.db or default_url("nadhir.sqlite3")
        self.store = Store.open(db_url)
        if self.settings.outbox:
            # Subscribed before the engine starts, so no alert is missed: each is stored with its
            # deliveries before anything is sent.
            self.delivery = AlertDelivery(
                self.bus, ALERTS, scenario.sites, db_url, self.settings.sirens_broker,
                people=people_channels(self.settings), tracks=TRACKS,
                silent_after_s=self.settings.siren_silent_after_s,
                topic_root=self.settings.sirens_topic_root, service_clock=clock,
            )  # fmt: skip
            self.delivery.start()
        name = f"{self.settings.run_name} demo" if self.demo is not None else self.settings.run_name
        self.run_name = name
        self.run_id = self.store.start_run(name, str(scenario.root), scenario.sites, started_at=clock.now())
        self.engine = LiveEngine(self.new_core(clock), clock, self.store, self.run_id)
        self.intake = Intake(self.engine, self.limiter, self.settings.max_future_s)
        # The engine thread computes while the event loop answers requests: hand the interpreter
        # over more often than the default 5 ms, so an answer never waits long behind a step.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.engine.start()
        self.supervisor = Supervisor(self.engine, lambda: self.new_core(clock))
        self.supervisor.start()
        if self.settings.telegram_token:
            registry = self.settings.telegram_registry or pathlib.Path("nadhir-telegram.json")
            self.telegram = TelegramIntake(self.settings.telegram_api, self.settings.telegram_token,
                                           self.settings.telegram_codes, registry, self.engine.submit,
                                           clock.now)  # fmt: skip
            self.telegram_thread = threading.Thread(
                target=self.telegram.run, args=(self.telegram_stop,), name="nadhir-telegram", daemon=True
            )
            self.telegram_thread.start()
        if self.demo is not None and isinstance(clock, ScaledClock):
            self.feeder = DemoFeeder(scenario.events_path, self.intake, clock)
            self.feeder.start()

    def stop(self) -> None:
        self.telegram_stop.set()
        if self.telegram_thread is not None:
            self.telegram_thread.join(30)
        if self.telegram is not None:
            self.telegram.close()
        for sub in list(self.feeds):
            sub.close()
        if self.feeder is not None:
            self.feeder.stop()
        if self.supervisor is not None:
            self.supervisor.stop()
        if self.engine is not None:
            self.engine.stop()
            try:
                self.engine.finish_run()
            except Exception:
                log.exception("could not close the run in the store")
        if self.delivery is not None:
            self.delivery.stop()
        if self.store is not None:
            self.store.close()

    def live(self) -> tuple[LiveEngine, Intake]:
        if self.engine is None or self.intake is None:
            raise HTTPException(503, "the service is starting")
        return self.engine, self.intake


# -- errors: always {"detail": "..."} ------------------------------------------------------------

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorOut, "description": text}
    for code, text in {
        400: "The body is not JSON",
        401: "No valid token",
        403: "The token's role may not do this",
        404: "No such thing",
        409: "Not possible in the current state",
        413: "The body is too large",
        422: "The request is not valid",
        429: "Too many requests from this source (see Retry-After)",
        503: "Overloaded or starting",
    }.items()
}


def _err(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: ERRORS[c] for c in codes}


def _retry_headers(seconds: float | None) -> dict[str, str] | None:
    return None if seconds is None else {"Retry-After": str(max(1, round(seconds + 0.5)))}


def _engine_unavailable(exc: EngineBusy) -> HTTPException:
    """503 for an engine that is stopped (being restarted) or whose queue is full."""
    if isinstance(exc, EngineStopped):
        return HTTPException(503, str(exc), headers=_retry_headers(ENGINE_STOPPED_RETRY_S))
    return HTTPException(503, str(exc), headers=_retry_headers(1.0))


# -- authentication ------------------------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="An API token (see docs/service.md)")


def _client(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


def _service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def authenticate(svc: Service, token: str | None, client: str) -> Principal:
    """The caller behind a token; 401 (or 429 for a client that keeps trying) otherwise."""
    principal = svc.tokens.lookup(token)
    if principal is None:
        wait = svc.limiter.allow("anonymous", client)
        if wait > 0:
            raise HTTPException(429, "too many requests without a valid token", headers=_retry_headers(wait))
        raise HTTPException(
            401,
            "a valid API token is required" if token else "no API token given",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def requires(roles: frozenset[Role], limited: bool = True) -> Callable[..., Principal]:
    def dependency(
        request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Principal:
        svc = _service(request)
        principal = authenticate(svc, creds.credentials if creds else None, _client(request))
        if principal.role not in roles:
            raise HTTPException(403, f"role {principal.role} may not do this")
        if limited:
            wait = svc.limiter.allow(principal.role, principal.subject)
            if wait > 0:
                raise HTTPException(429, "rate limit exceeded", headers=_retry_headers(wait))
        return principal

    return dependency


def any_token(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    return authenticate(_service(request), creds.credentials if creds else None, _client(request))


Reader = Annotated[Principal, Depends(requires(READ_ROLES))]
Actor = Annotated[Principal, Depends(requires(ACT_ROLES))]
Admin = Annotated[Principal, Depends(requires(frozenset({"admin"})))]
Submitter = Annotated[Principal, Depends(any_token)]  # intake checks roles and limits itself


# -- views ----------------------------------------------------------------------------------------


def site_out(svc: Service, site: Site, status: dict[str, Any]) -> dict[str, Any]:
    policy = svc.engine.core.policy if svc.engine is not None else None
    shelter = policy.shelter_s(site) if policy is not None else (site.shelter_seconds or 0.0)
    return {
        "id": site.id,
        "name": site.name,
        "name_ar": site.name_ar,
        "kind": site.kind,
        "lat": site.lat,
        "lon": site.lon,
        "radius_m": site.radius_m,
        "population": site.population,
        "sirens": list(site.sirens),
        "shelter_seconds": shelter,
        "status": status,
    }


def _empty_status(site_id: str) -> dict[str, Any]:
    return {
        "id": site_id,
        "level": None,
        "probability": None,
        "eta_s": None,
        "aircraft": None,
        "track": None,
        "from": None,
        "cue": None,
        "since_s": None,
        "confirmed": False,
        "manual": False,
    }


def _status(svc: Service, site_id: str) -> dict[str, Any]:
    if svc.engine is None:
        return _empty_status(site_id)
    with svc.engine.core.lock:
        return dict(svc.engine.core.site_views.get(site_id) or _empty_status(site_id))


def _sse(wire: Wire, message: dict[str, Any]) -> str | None:
    data = wire.dumps(message["data"], str(message["type"]))
    return None if data is None else f"event: {message['type']}\ndata: {data}\n\n"


# -- the app --------------------------------------------------------------------------------------


def create_app(
    settings: Settings,
    *,
    demo: DemoOptions | None = None,
    region: Region | None = None,
    clock: Clock | None = None,
    policy: PolicyConfig | None = None,
) -> FastAPI:
    """The service as an ASGI app. Nothing starts until its lifespan does (uvicorn, or a TestClient)."""
    region = region or load_region(settings.scenario)
    svc = Service(
        settings=settings,
        region=region,
        bus=InProcessBus(),
        tokens=TokenBook(settings),
        limiter=RateLimiter(settings.rate_limit),
        demo=demo,
        policy=policy,
        clock_override=clock,
        sites={s.id: s for s in region.scenario.sites},
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
        responses=_err(503),
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
    if settings.sms_secret:
        # The SMS gateway signs its posts (no bearer token); reports go to the same engine.
        app.include_router(
            sms_router(lambda report: svc.live()[0].submit(report), settings.sms_secret, settings.sms_numbers)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path may have several routes (GET, POST).
            matching = [r for r in app.router.routes
                        if isinstance(r, APIRoute) and r.matches(request.scope)[0] != Match.NONE]  # fmt: skip
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

    def openapi() -> dict[str, Any]:
        """The generated document, with the service's one error shape everywhere."""
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            _uniform_errors(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _add_pages(app, svc)
    _add_intake(app, svc)
    _add_reads(app, svc)
    _add_operator(app, svc)
    _add_people(app, svc)
    _add_feeds(app, svc)
    return app


PAGE_POLICY = (
    b"default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    b"style-src 'self'; script-src 'self'; media-src 'self' data: blob:"
)


class SecurityHeaders:
    """Pages may load nothing from anywhere but this server; no response is sniffed for its type.

    A plain ASGI middleware: it only adds headers, and costs next to nothing per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = not str(scope.get("path", "")).startswith(API)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if page and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_POLICY))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def app_from_env() -> FastAPI:
    """The app as settings and environment say (``uvicorn --factory nadhir.service.app:app_from_env``)."""
    return create_app(load_settings())


def _uniform_errors(doc: dict[str, Any]) -> None:
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


def _add_pages(app: FastAPI, svc: Service) -> None:
    app.mount("/static", StaticFiles(directory=CONSOLE_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/console/", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(CONSOLE_DIR / "console.html", headers={"Cache-Control": "no-cache"})

    @app.get("/replay/", include_in_schema=False)
    def replay() -> FileResponse:
        return FileResponse(CONSOLE_DIR / "replay.html", headers={"Cache-Control": "no-cache"})

    @app.get("/kiosk/{site}", include_in_schema=False)
    def kiosk(site: str) -> FileResponse:
        if site not in svc.sites:
            raise HTTPException(404, f"no site {site!r}")
        return FileResponse(CONSOLE_DIR / "kiosk.html", headers={"Cache-Control": "no-cache"})

    @app.get(f"{API}/basemap", tags=["map"], summary="The region's base map (GeoJSON)")
    def basemap() -> dict[str, Any]:
        return svc.region.basemap

    @app.get(f"{API}/health", tags=["service"], response_model=schemas.HealthOut)
    def health() -> dict[str, Any]:
        engine = svc.engine
        state = engine.status() if engine is not None else {"status": "starting"}
        return {
            **state,
            "now": engine.core.now if engine is not None else None,
            "clock": engine.clock.now() if engine is not None else 0.0,
            "speed": engine.clock.speed if engine is not None else 1.0,
            "run_id": svc.run_id,
            "demo": svc.demo is not None,
            "delivery": _delivery_health(svc),
        }


def _delivery_health(svc: Service) -> dict[str, Any] | None:
    """The outbox's counts, and the operator decisions rolled back because they could not be sent."""
    if svc.delivery is None:
        return None
    rolled_back = svc.engine.core.rolled_back if svc.engine is not None else 0
    return {**svc.delivery.health(), "rolled_back": rolled_back}


def _add_intake(app: FastAPI, svc: Service) -> None:
    def endpoint(kind: str, model: type[BaseModel], summary: str) -> None:
        path = {"report": "reports", "acoustic": "acoustic", "impact": "impacts"}[kind]

        @app.post(
            f"{API}/intake/{path}",
            tags=["intake"],
            summary=summary,
            status_code=202,
            response_model=schemas.IntakeAccepted,
            responses=_err(400, 401, 403, 413, 422, 429, 503),
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": model.model_json_schema(by_alias=True)}},
                }
            },
        )
        async def intake(request: Request, principal: Submitter) -> Response:
            _, intake_ = svc.live()
            obj = json_body(await request.body())  # at most max_body_bytes (BodyLimit)
            try:
                accepted = intake_.submit(obj, principal, kind)
            except IntakeError as exc:
                raise HTTPException(exc.status, exc.message, headers=_retry_headers(exc.retry_after)) from exc
            # Built directly (the schema above documents it): intake is the hot path.
            answer = {"id": accepted.id, "kind": accepted.kind, "source": accepted.source, "t": accepted.t,
                      "received": accepted.received}  # fmt: skip
            return JSONResponse(answer, status_code=202)

        intake.__name__ = f"intake_{path}"

    endpoint("report", schemas.ReportIn, "Submit an observer's report")
    endpoint("acoustic", schemas.AcousticIn, "Submit an acoustic detection")
    endpoint("impact", schemas.ImpactIn, "Submit a reported impact")


def _add_reads(app: FastAPI, svc: Service) -> None:
    read_errors = _err(401, 403, 429)

    @app.get(f"{API}/sites", tags=["state"], response_model=list[schemas.SiteOut], responses=read_errors)
    def sites(_: Reader) -> list[dict[str, Any]]:
        return [site_out(svc, s, _status(svc, s.id)) for s in svc.sites.values()]

    @app.get(
        f"{API}/sites/{{site}}",
        tags=["state"],
        response_model=schemas.SiteOut,
        responses=_err(401, 403, 404, 429),
    )
    def site(site: str, _: Reader) -> dict[str, Any]:
        if site not in svc.sites:
            raise HTTPException(404, f"no site {site!r}")
        return site_out(svc, svc.sites[site], _status(svc, site))

    def sources(kind: str) -> list[dict[str, Any]]:
        engine, _ = svc.live()
        return engine.core.source_list(kind)

    @app.get(f"{API}/sensors", tags=["state"], response_model=list[schemas.SourceOut], responses=read_errors)
    def sensors(_: Reader) -> list[dict[str, Any]]:
        return sources("sensor")

    @app.get(
        f"{API}/observers", tags=["state"], response_model=list[schemas.SourceOut], responses=read_errors
    )
    def observers(_: Reader) -> list[dict[str, Any]]:
        return sources("observer")

    @app.get(f"{API}/tracks", tags=["state"], response_model=list[schemas.TrackOut], responses=read_errors)
    def tracks(_: Reader) -> list[dict[str, Any]]:
        engine, _i = svc.live()
        with engine.core.lock:
            return list(engine.core.track_views.values())

    @app.get(
        f"{API}/alerts",
        tags=["history"],
        response_model=list[schemas.AlertOut],
        responses=_err(401, 403, 404, 429),
        summary="Alert history from the store",
    )
    def alerts(
        _: Reader,
        run: Annotated[
            int | None, Query(description="Run id; the live run if absent", ge=1, le=2**62)
        ] = None,
        site: Annotated[str | None, Query(max_length=200)] = None,
        since: Annotated[float | None, Query(description="POSIX seconds", ge=0, le=1e11)] = None,
        until: Annotated[float | None, Query(description="POSIX seconds", ge=0, le=1e11)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[dict[str, Any]]:
        store = svc.store
        run_id = run if run is not None else svc.run_id
        if store is None or run_id is None:
            raise HTTPException(503, "the service is starting")
        try:
            store.run(run_id)
        except KeyError as exc:
            raise HTTPException(404, f"no run {run_id}") from exc
        out = []
        for alert in store.alerts(run_id, since, until):
            if site is not None and alert.site != site:
                continue
            out.append(_alert_out(svc, alert))
        return out[-limit:]

    @app.get(f"{API}/runs", tags=["history"], response_model=list[schemas.RunOut], responses=read_errors)
    def runs(_: Reader) -> list[dict[str, Any]]:
        if svc.store is None:
            raise HTTPException(503, "the service is starting")
        return [_run_out(svc, r) for r in svc.store.list_runs()]

    @app.get(
        f"{API}/runs/{{run_id}}",
        tags=["history"],
        response_model=schemas.RunReplayOut,
        responses=_err(401, 403, 404, 429),
        summary="A stored run: its sites, track states and alerts",
    )
    def run_detail(run_id: Annotated[int, Path(ge=1, le=2**62)], _: Reader) -> dict[str, Any]:
        store = svc.store
        if store is None:
            raise HTTPException(503, "the service is starting")
        try:
            info = store.run(run_id)
        except KeyError as exc:
            raise HTTPException(404, f"no run {run_id}") from exc
        states = store.track_states(run_id)
        alerts = store.alerts(run_id)
        times = [s.t for s in states] + [a.t for a in alerts]
        return {
            "run": _run_out(svc, info),
            "start": min(times) if times else info.started_at,
            "end": max(times) if times else info.finished_at,
            "sites": [
                {
                    "id": s.id,
                    "name": s.name,
                    "name_ar": s.name_ar,
                    "kind": s.kind,
                    "lat": s.lat,
                    "lon": s.lon,
                    "radius_m": s.radius_m,
                }
                for s in store.sites(run_id)
            ],
            "tracks": [
                {
                    "t": s.t,
                    "track": s.track,
                    "lat": s.lat,
                    "lon": s.lon,
                    "speed_mps": s.speed_mps,
                    "heading_deg": s.heading_deg,
                    "aircraft": s.aircraft,
                    "sigma_m": s.sigma_m,
                    "confirmed": s.confirmed,
                }
                for s in states
            ],
            "alerts": [_alert_out(svc, a) for a in alerts],
        }

    @app.get(f"{API}/admin/stats", tags=["service"], response_model=schemas.StatsOut, responses=read_errors)
    def stats(_: Admin) -> dict[str, Any]:
        engine, _i = svc.live()
        s = engine.core.summary
        return {
            "accepted": engine.stats.accepted,
            "processed": engine.stats.processed,
            "queue": engine.queue_depth(),
            "stored_events": engine.stats.stored_events,
            "stored_tracks": engine.stats.stored_tracks,
            "stored_alerts": engine.stats.stored_alerts,
            "store_errors": engine.stats.store_errors,
            "rate_limited": dict(svc.limiter.refused),
            "feed_subscribers": svc.bus.subscribers(FEED),
            "events_by_kind": dict(s.events_by_kind),
            "rejected": dict(s.rejected),
            "late_events": s.late_events,
            "alerts": s.alerts,
            "episodes": s.episodes,
            "quarantined": engine.stats.quarantined,
            "quarantine_errors": engine.stats.quarantine_errors,
            "restarts": engine.stats.restarts,
            "wire_errors": svc.wire.errors,
            "feed_errors": engine.core.feed_errors,
        }

    @app.get(
        f"{API}/admin/quarantine",
        tags=["service"],
        response_model=list[schemas.QuarantinedOut],
        responses=read_errors,
        summary="Engine steps that raised, newest first, with their input and traceback",
    )
    def quarantine(
        _: Actor,
        run: Annotated[int | None, Query(description="Only this run's", ge=1, le=2**62)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        if svc.store is None:
            raise HTTPException(503, "the service is starting")
        return [dataclasses.asdict(q) for q in QuarantineBook(svc.store.engine).recent(limit, run)]

    @app.get(
        f"{API}/kiosk/{{site}}",
        tags=["kiosk"],
        response_model=schemas.KioskOut,
        responses=_err(401, 404, 429),
        summary="One site's status and its shelter instructions",
    )
    def kiosk(
        site: str, request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> dict[str, Any]:
        _kiosk_access(svc, request, creds.credentials if creds else None)
        if site not in svc.sites:
            raise HTTPException(404, f"no site {site!r}")
        engine = svc.engine
        return {
            "site": site_out(svc, svc.sites[site], _status(svc, site)),
            "instructions": svc.region.instructions(site),
            "now": engine.core.now if engine is not None else None,
            "clock": engine.clock.now() if engine is not None else 0.0,
            "speed": engine.clock.speed if engine is not None else 1.0,
        }


def _kiosk_access(svc: Service, request: Request, token: str | None) -> None:
    """Kiosks are public unless the settings say otherwise; either way they are rate limited.

    Public kiosk reads have their own bucket per address (``kiosk``), apart from the ``anonymous``
    one that requests with a bad or missing token drain: the kiosks of a hospital share its one
    address, and bad-token spam from that address must not silence them.
    """
    if svc.settings.public_kiosk:
        wait = svc.limiter.allow("kiosk", _client(request))
        if wait > 0:
            raise HTTPException(429, "too many requests", headers=_retry_headers(wait))
        return
    principal = authenticate(svc, token, _client(request))
    if principal.role not in READ_ROLES:
        raise HTTPException(403, f"role {principal.role} may not do this")


def _alert_out(svc: Service, alert: Any) -> dict[str, Any]:
    site = svc.sites.get(alert.site)
    return {
        **alert_to_dict(alert),
        "t_s": alert.t,
        "eta_s": alert.eta,
        "site_name": site.name if site else None,
        "site_name_ar": site.name_ar if site else None,
    }


def _run_out(svc: Service, info: Any) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "scenario": info.scenario,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "stats": info.stats,
        "live": info.id == svc.run_id,
    }


def _add_operator(app: FastAPI, svc: Service) -> None:
    async def act(
        action: Literal["confirm", "cancel", "alert", "test_alarm"],
        site: str,
        principal: Principal,
        **kwargs: Any,
    ) -> dict[str, Any]:
        engine, _ = svc.live()
        if site not in svc.sites and not (action == "test_alarm" and site == "all"):
            raise HTTPException(404, f"no site {site!r}")
        site_id = "*" if site == "all" else site
        by = f"{principal.role}:{principal.subject}"
        holder: dict[str, float] = {}

        def run() -> list[Any]:
            now = engine.clock.now()
            holder["t"] = now
            return engine.core.operator_action(action, site_id, by, now, **kwargs)

        try:
            sent = await asyncio.wait_for(asyncio.wrap_future(engine.call(run)), ACTION_TIMEOUT_S)
        except OperatorActionError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        except EngineBusy as exc:
            raise _engine_unavailable(exc) from exc
        except TimeoutError as exc:
            raise HTTPException(503, "the engine did not answer in time") from exc
        return {
            "action": action,
            "site": site,
            "by": by,
            "t": holder.get("t", 0.0),
            "alerts": [_alert_out(svc, a) for a in sent],
        }

    errors = _err(401, 403, 404, 409, 422, 429)
    result = schemas.OperatorResult

    @app.post(
        f"{API}/operator/sites/{{site}}/confirm",
        tags=["operator"],
        response_model=result,
        responses=errors,
        summary="Confirm the alert at a site",
    )
    async def confirm(
        site: str, principal: Actor, body: schemas.OperatorNoteIn | None = None
    ) -> dict[str, Any]:
        return await act("confirm", site, principal, note=body.note if body else None)

    @app.post(
        f"{API}/operator/sites/{{site}}/cancel",
        tags=["operator"],
        response_model=result,
        responses=errors,
        summary="Cancel the alert at a site: an all-clear goes out",
    )
    async def cancel(
        site: str, principal: Actor, body: schemas.OperatorNoteIn | None = None
    ) -> dict[str, Any]:
        return await act("cancel", site, principal, note=body.note if body else None)

    @app.post(
        f"{API}/operator/sites/{{site}}/alert",
        tags=["operator"],
        response_model=result,
        responses=errors,
        summary="Raise an alert for a site by hand",
    )
    async def manual_alert(
        site: str, principal: Actor, body: schemas.OperatorAlertIn | None = None
    ) -> dict[str, Any]:
        body = body or schemas.OperatorAlertIn()
        engine, _ = svc.live()
        # Checked here against the clock as well as in the engine: a bad time is a 422 at once.
        problem = manual_eta_problem(body.eta_s, engine.clock.now())
        if problem is not None:
            raise HTTPException(422, problem)
        return await act(
            "alert", site, principal, level=body.level, aircraft=body.aircraft, eta=body.eta_s, note=body.note
        )

    @app.post(
        f"{API}/operator/sites/{{site}}/test-alarm",
        tags=["operator"],
        response_model=result,
        responses=errors,
        summary="Sound a test alarm at a site's kiosks (site 'all': every site)",
    )
    async def test_alarm(
        site: str, principal: Actor, body: schemas.OperatorNoteIn | None = None
    ) -> dict[str, Any]:
        return await act("test_alarm", site, principal, note=body.note if body else None)

    @app.post(
        f"{API}/intake/cap",
        tags=["intake"],
        response_model=schemas.CapIntakeOut,
        responses=_err(401, 403, 409, 413, 422, 429, 503),
        summary="Read in a CAP 1.2 alert from another system: alerts for the sites its area covers",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}}
        },
    )
    async def cap_intake(request: Request, principal: Actor) -> dict[str, Any]:
        engine, _ = svc.live()
        body = await request.body()
        if len(body) > svc.settings.max_body_bytes:
            raise HTTPException(413, f"body larger than {svc.settings.max_body_bytes} bytes")
        try:
            message = read_cap(body)
            plan = plan_from_cap(message, list(svc.sites.values()), engine.clock.now())
        except (CapError, InvalidInput) as exc:
            raise HTTPException(422, str(exc)) from exc
        seen = (message.sender, message.identifier)
        if svc.cap_ledger.pending(seen):
            raise HTTPException(409, "this message is being read in now; send it again shortly")
        duplicate = svc.cap_ledger.done(seen)
        out: dict[str, Any] = {"identifier": message.identifier, "sender": message.sender,
                               "duplicate": duplicate, "ignored": plan.ignored, "alerts": []}  # fmt: skip
        if duplicate or not plan.actions:
            return out
        by = f"{principal.role}:{principal.subject}"
        note = f"CAP {message.identifier} from {message.sender}"[:500]

        def run() -> list[Any]:
            now = engine.clock.now()
            sent: list[Any] = []
            for a in plan.actions:
                sent += engine.core.operator_action("alert", a.site, by, now, level=a.level,
                                                    aircraft=a.aircraft, eta=a.eta, note=note)  # fmt: skip
            return sent

        try:
            future = engine.call(run)
        except EngineBusy as exc:
            raise _engine_unavailable(exc) from exc
        # Recorded as read in only when the alerts were raised, whenever that is (even after a timeout).
        svc.cap_ledger.begin(seen)
        loop = asyncio.get_running_loop()

        def settle(done: Future[list[Any]]) -> None:
            ok = not done.cancelled() and done.exception() is None
            with contextlib.suppress(RuntimeError):  # the loop is closed: the service is stopping
                loop.call_soon_threadsafe(svc.cap_ledger.end, seen, ok)

        future.add_done_callback(settle)
        try:
            sent = await asyncio.wait_for(asyncio.wrap_future(future), ACTION_TIMEOUT_S)
        except OperatorActionError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        except TimeoutError as exc:
            future.cancel()  # if it has not started, it never will, and a resend is read in afresh
            raise HTTPException(503, "the engine did not answer in time") from exc
        out["alerts"] = [_alert_out(svc, a) for a in sent]
        out["raised"] = [{"site": a.site, "level": a.level} for a in plan.actions]
        return out

    @app.get(
        f"{API}/operator/log",
        tags=["operator"],
        response_model=list[schemas.OperatorLogEntry],
        responses=_err(401, 403, 429),
        summary="Operator actions since the service started",
    )
    def operator_log(_: Reader) -> list[dict[str, Any]]:
        engine, _i = svc.live()
        with engine.core.lock:
            return list(engine.core.operator_log)


def _add_people(app: FastAPI, svc: Service) -> None:
    """Subscriptions (who gets alerts by SMS / Telegram) and scheduled, announced siren tests."""

    def book() -> SubscriptionBook:
        if svc.store is None:
            raise HTTPException(503, "the service is starting")
        return SubscriptionBook(svc.store.engine)

    def outbox() -> Outbox:
        if svc.delivery is None:
            raise HTTPException(409, "alert delivery is off (outbox = false in the settings)")
        return svc.delivery.outbox

    def sub_out(sub: PersonSubscription) -> dict[str, Any]:
        return {
            "id": sub.id, "channel": sub.channel, "address": sub.address, "lang": sub.lang,
            "sites": list(sub.sites), "lat": sub.lat, "lon": sub.lon, "radius_m": sub.radius_m,
        }  # fmt: skip

    @app.get(
        f"{API}/subscriptions",
        tags=["people"],
        response_model=list[schemas.SubscriptionOut],
        responses=_err(401, 403, 404, 429),
        summary="Subscriptions (with site: whom an alert there reaches)",
    )
    def subscriptions(
        _: Actor,
        site: str | None = None,
        channel: Literal["sms", "telegram"] | None = None,
        address: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[dict[str, Any]]:
        found = book().find(channel=channel, address=address, limit=None if site else limit)
        if site is not None:
            if site not in svc.sites:
                raise HTTPException(404, f"no site {site!r}")
            found = SubscriberIndex.build(found).recipients([svc.sites[site]])[:limit]
        return [sub_out(s) for s in found]

    @app.post(
        f"{API}/subscriptions",
        tags=["people"],
        status_code=201,
        response_model=schemas.SubscriptionOut,
        responses=_err(401, 403, 409, 422, 429),
        summary="Subscribe a phone or chat to sites or an area",
    )
    def subscribe(body: schemas.SubscriptionIn, principal: Actor) -> dict[str, Any]:
        try:
            sub = make_subscription(
                channel=body.channel, address=body.address, sites=body.sites, lat=body.lat, lon=body.lon,
                radius_m=body.radius_m, lang=body.lang, known_sites=svc.sites, sub_id=body.id,
            )  # fmt: skip
            book().add(sub, by=f"{principal.role}:{principal.subject}")
        except SubscriptionExists as exc:
            raise HTTPException(409, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return sub_out(sub)

    @app.delete(
        f"{API}/subscriptions/{{sub_id}}",
        tags=["people"],
        status_code=204,
        responses=_err(401, 403, 404, 429),
        summary="Remove a subscription",
    )
    def unsubscribe(sub_id: str, _: Actor) -> Response:
        if not book().remove(sub_id):
            raise HTTPException(404, f"no subscription {sub_id!r}")
        return Response(status_code=204)

    def alarm_out(box: Outbox, info: TestAlarmInfo) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for d in box.deliveries(prefix=info.key + "-"):
            counts[d.state] = counts.get(d.state, 0) + 1
        return {"key": info.key, "at": info.at, "duration_s": info.duration_s, "sites": list(info.sites),
                "created_by": info.created_by, "sirens": info.sirens, "announcements": info.announcements,
                "cancelled_at": info.cancelled_at, "deliveries": counts}  # fmt: skip

    @app.get(
        f"{API}/operator/test-alarms",
        tags=["operator"],
        response_model=list[schemas.SirenTestOut],
        responses=_err(401, 403, 409, 429),
        summary="Scheduled siren tests (upcoming, or all)",
    )
    def test_alarms(_: Reader, past: bool = False) -> list[dict[str, Any]]:
        box = outbox()
        after = None if past else time.time() - 600
        return [alarm_out(box, a) for a in TestAlarmBook(box.engine).scheduled(upcoming_after=after)]

    @app.post(
        f"{API}/operator/test-alarms",
        tags=["operator"],
        status_code=201,
        response_model=schemas.SirenTestOut,
        responses=_err(401, 403, 404, 409, 422, 429),
        summary="Schedule a siren test; it is announced at once on the people channels",
    )
    def schedule(body: schemas.SirenTestIn, principal: Actor) -> dict[str, Any]:
        box = outbox()
        if body.sites == ["all"]:
            chosen = list(svc.sites.values())
        else:
            unknown = [s for s in body.sites if s not in svc.sites]
            if unknown:
                raise HTTPException(404, f"no site {unknown[0]!r}")
            chosen = [svc.sites[s] for s in dict.fromkeys(body.sites)]
        delivery = svc.delivery
        people = delivery.people if delivery is not None else None
        now = time.time()  # sirens keep real time, whatever the demo's clock says
        try:
            when = parse_when(body.at, now, svc.settings.alert_tz)
            subs = book().all() if people is not None and people.person_channels else []
            info = schedule_test_alarm(box, chosen, when, duration_s=body.duration_s, people=people,
                                       subscriptions=subs, by=f"{principal.role}:{principal.subject}",
                                       now=now)  # fmt: skip
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        if delivery is not None:
            delivery.wake()
        return alarm_out(box, info)

    @app.post(
        f"{API}/operator/test-alarms/{{key}}/cancel",
        tags=["operator"],
        response_model=schemas.CancelledOut,
        responses=_err(401, 403, 404, 409, 429),
        summary="Call off a scheduled siren test",
    )
    def cancel_alarm(key: Annotated[str, Path(max_length=200)], principal: Actor) -> dict[str, Any]:
        try:
            n = cancel_test_alarm(outbox(), key, by=f"{principal.role}:{principal.subject}")
        except TestAlarmError as exc:
            raise HTTPException(404, str(exc)) from exc
        return {"key": key, "cancelled": n}


def _add_feeds(app: FastAPI, svc: Service) -> None:
    def snapshot(site: str | None) -> dict[str, Any]:
        engine, _ = svc.live()
        if site is None:
            snap = engine.core.snapshot()
            snap["clock"] = engine.clock.now()
            snap["engine"] = engine.status()
            return {"type": "snapshot", "data": snap}
        return {
            "type": "snapshot",
            "data": {
                "site": site_out(svc, svc.sites[site], _status(svc, site)),
                "instructions": svc.region.instructions(site),
                "now": engine.core.now,
                "clock": engine.clock.now(),
                "speed": engine.clock.speed,
                "engine": engine.status(),
            },
        }

    async def messages(site: str | None) -> AsyncIterator[dict[str, Any]]:
        sub = svc.bus.subscribe(FEED, maxsize=FEED_BUFFER)
        svc.feeds.add(sub)
        try:
            yield snapshot(site)
            dropped = 0
            while True:
                try:
                    message = await sub.next()
                except SubscriptionClosed:
                    return
                if sub.dropped != dropped:  # fell behind: start again from the current state
                    dropped = sub.dropped
                    sub.drain()
                    yield snapshot(site)
                    continue
                if site is not None and message.site not in (site, "*"):
                    continue
                yield message.as_json()
                if message.type == "engine" and message.data.get("status") == "ok":
                    yield snapshot(site)  # restarted with a fresh core: its state, from the start
        finally:
            svc.feeds.discard(sub)
            sub.close()

    async def sse(site: str | None) -> AsyncIterator[str]:
        stream = messages(site).__aiter__()
        pending: asyncio.Task[dict[str, Any]] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(stream.__anext__())
                done, _ = await asyncio.wait({pending}, timeout=SSE_KEEPALIVE_S)
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                try:
                    message = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                text = _sse(svc.wire, message)
                if text is not None:
                    yield text
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            await stream.aclose()  # type: ignore[attr-defined]

    sse_response: dict[int | str, dict[str, Any]] = {
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: snapshot, then track, site, alert, ...",
        }
    }

    @app.get(
        f"{API}/live/sse",
        tags=["feed"],
        response_class=StreamingResponse,
        responses=sse_response | _err(401, 403, 429),
        summary="The live feed as server-sent events (token in the header, or ?token= for EventSource)",
    )
    async def live_sse(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        token: Annotated[str | None, Query(max_length=200)] = None,
    ) -> StreamingResponse:
        principal = authenticate(svc, creds.credentials if creds else token, _client(request))
        if principal.role not in READ_ROLES:
            raise HTTPException(403, f"role {principal.role} may not read the feed")
        svc.live()
        return StreamingResponse(
            sse(None),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get(
        f"{API}/kiosk/{{site}}/sse",
        tags=["kiosk"],
        response_class=StreamingResponse,
        responses=sse_response | _err(401, 404, 429),
        summary="One site's feed as server-sent events",
    )
    async def kiosk_sse(
        site: str,
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        token: Annotated[str | None, Query(max_length=200, description="For EventSource")] = None,
    ) -> StreamingResponse:
        _kiosk_access(svc, request, creds.credentials if creds else token)
        if site not in svc.sites:
            raise HTTPException(404, f"no site {site!r}")
        svc.live()
        return StreamingResponse(
            sse(site),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.websocket(f"{API}/live")
    async def live_ws(websocket: WebSocket) -> None:
        """The live feed. Send ``{"token": "..."}`` first; then JSON messages ``{"type", "data"}`` come."""
        await websocket.accept()
        try:
            first = await asyncio.wait_for(websocket.receive_text(), WS_AUTH_TIMEOUT_S)
            token = json.loads(first).get("token")
        except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
            await _close(websocket, 4401, 'send {"token": ...} first')
            return
        principal = svc.tokens.lookup(token if isinstance(token, str) else None)
        if principal is None:
            await _close(websocket, 4401, "invalid token")
            return
        if principal.role not in READ_ROLES:
            await _close(websocket, 4403, f"role {principal.role} may not read the feed")
            return
        if svc.engine is None:
            await _close(websocket, 1013, "the service is starting")
            return

        async def send_all() -> None:
            async for message in messages(None):
                text = svc.wire.dumps(message, str(message["type"]))
                if text is not None:
                    await websocket.send_text(text)

        async def watch() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await websocket.receive_text()  # nothing is expected; this notices the client leaving

        sender, watcher = asyncio.ensure_future(send_all()), asyncio.ensure_future(watch())
        done, pending = await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                log.warning("live feed ended by %r", exc)
        await _close(websocket, 1000, "bye")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code, reason)
