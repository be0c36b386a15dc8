"""``/api/v1/subscriptions``: who gets alerts by SMS or Telegram (operator+)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from nadhir.delivery.subscriptions import SubscriberIndex
from nadhir.domain.people import Subscription
from nadhir.service import schemas
from nadhir.service.api.deps import API, Actor, Svc, by, err
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.people import make_subscription
from nadhir.service.runtime import Service
from nadhir.store.people import SubscriptionBook, SubscriptionExists

router = APIRouter(route_class=StrictJsonRoute)


def book(svc: Service) -> SubscriptionBook:
    """The stored subscriptions; 503 while the service is starting."""
    if svc.store is None:
        raise HTTPException(503, "the service is starting")
    return SubscriptionBook(svc.store.engine)


def sub_out(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id, "channel": sub.channel, "address": sub.address, "lang": sub.lang,
        "sites": list(sub.sites), "lat": sub.lat, "lon": sub.lon, "radius_m": sub.radius_m,
    }  # fmt: skip


@router.get(
    f"{API}/subscriptions",
    tags=["people"],
    response_model=list[schemas.SubscriptionOut],
    responses=err(401, 403, 404, 429),
    summary="Subscriptions (with site: whom an alert there reaches)",
)
def subscriptions(
    _: Actor,
    svc: Svc,
    site: str | None = None,
    channel: Literal["sms", "telegram"] | None = None,
    address: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    found = book(svc).find(channel=channel, address=address, limit=None if site else limit)
    if site is not None:
        if site not in svc.sites:
            raise HTTPException(404, f"no site {site!r}")
        found = SubscriberIndex.build(found).recipients([svc.sites[site]])[:limit]
    return [sub_out(s) for s in found]


@router.post(
    f"{API}/subscriptions",
    tags=["people"],
    status_code=201,
    response_model=schemas.SubscriptionOut,
    responses=err(401, 403, 409, 422, 429),
    summary="Subscribe a phone or chat to sites or an area",
)
def subscribe(body: schemas.SubscriptionIn, principal: Actor, svc: Svc) -> dict[str, Any]:
    try:
        sub = make_subscription(
            channel=body.channel, address=body.address, sites=body.sites, lat=body.lat, lon=body.lon,
            radius_m=body.radius_m, lang=body.lang, known_sites=svc.sites, sub_id=body.id,
        )  # fmt: skip
        book(svc).add(sub, by=by(principal))
    except SubscriptionExists as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return sub_out(sub)


@router.delete(
    f"{API}/subscriptions/{{sub_id}}",
    tags=["people"],
    status_code=204,
    responses=err(401, 403, 404, 429),
    summary="Remove a subscription",
)
def unsubscribe(sub_id: str, _: Actor, svc: Svc) -> Response:
    if not book(svc).remove(sub_id):
        raise HTTPException(404, f"no subscription {sub_id!r}")
    return Response(status_code=204)
