"""What the routers share: the service, the error answers, authentication, roles and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nadhir.service import schemas
from nadhir.service.auth import ACT_ROLES, READ_ROLES, Principal
from nadhir.service.intake import ENGINE_STOPPED_RETRY_S
from nadhir.service.live import EngineBusy, EngineStopped
from nadhir.service.runtime import Service
from nadhir.service.settings import Role

API = "/api/v1"

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


def err(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers for these status codes."""
    return {c: ERRORS[c] for c in codes}


def retry_headers(seconds: float | None) -> dict[str, str] | None:
    """A ``Retry-After`` header of whole seconds (at least 1), or none."""
    return None if seconds is None else {"Retry-After": str(max(1, round(seconds + 0.5)))}


def engine_unavailable(exc: EngineBusy) -> HTTPException:
    """503 for an engine that is stopped (being restarted) or whose queue is full."""
    if isinstance(exc, EngineStopped):
        return HTTPException(503, str(exc), headers=retry_headers(ENGINE_STOPPED_RETRY_S))
    return HTTPException(503, str(exc), headers=retry_headers(1.0))


# -- the service ---------------------------------------------------------------------------------


def get_service(request: Request) -> Service:
    """The service the app was built around."""
    svc: Service = request.app.state.service
    return svc


Svc = Annotated[Service, Depends(get_service)]


def client(request: Request | WebSocket) -> str:
    """The caller's address, the key of its anonymous and kiosk rate limits."""
    return request.client.host if request.client else "unknown"


# -- authentication ------------------------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="An API token (see docs/service.md)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def authenticate(svc: Service, token: str | None, address: str) -> Principal:
    """The caller behind a token; 401 (or 429 for a client that keeps trying) otherwise."""
    principal = svc.tokens.lookup(token)
    if principal is None:
        wait = svc.limiter.allow("anonymous", address)
        if wait > 0:
            raise HTTPException(429, "too many requests without a valid token", headers=retry_headers(wait))
        raise HTTPException(
            401,
            "a valid API token is required" if token else "no API token given",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def requires(roles: frozenset[Role], limited: bool = True) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold one of ``roles`` (and, if ``limited``, be in its rate)."""

    def dependency(request: Request, creds: Credentials) -> Principal:
        svc = get_service(request)
        principal = authenticate(svc, creds.credentials if creds else None, client(request))
        if principal.role not in roles:
            raise HTTPException(403, f"role {principal.role} may not do this")
        if limited:
            wait = svc.limiter.allow(principal.role, principal.subject)
            if wait > 0:
                raise HTTPException(429, "rate limit exceeded", headers=retry_headers(wait))
        return principal

    return dependency


def any_token(request: Request, creds: Credentials) -> Principal:
    """A dependency: the caller behind any valid token."""
    return authenticate(get_service(request), creds.credentials if creds else None, client(request))


Reader = Annotated[Principal, Depends(requires(READ_ROLES))]
Actor = Annotated[Principal, Depends(requires(ACT_ROLES))]
Admin = Annotated[Principal, Depends(requires(frozenset({"admin"})))]
Submitter = Annotated[Principal, Depends(any_token)]  # intake checks roles and limits itself


def kiosk_access(svc: Service, request: Request, token: str | None) -> None:
    """Kiosks are public unless the settings say otherwise; either way they are rate limited.

    Public kiosk reads have their own bucket per address (``kiosk``), apart from the ``anonymous``
    one that requests with a bad or missing token drain: the kiosks of a hospital share its one
    address, and bad-token spam from that address must not silence them.
    """
    if svc.settings.public_kiosk:
        wait = svc.limiter.allow("kiosk", client(request))
        if wait > 0:
            raise HTTPException(429, "too many requests", headers=retry_headers(wait))
        return
    principal = authenticate(svc, token, client(request))
    if principal.role not in READ_ROLES:
        raise HTTPException(403, f"role {principal.role} may not do this")


def by(principal: Principal) -> str:
    """How an action names who took it: ``role:subject``."""
    return f"{principal.role}:{principal.subject}"
