"""``/api/v1/operator/test-alarms``: scheduled, announced siren tests (operator+)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from nadhir.delivery.outbox import Outbox
from nadhir.service import schemas
from nadhir.service.api.deps import API, Actor, Reader, Svc, by, err
from nadhir.service.api.subscriptions import book
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.people import parse_when
from nadhir.service.runtime import Service
from nadhir.service.test_alarms import (
    TestAlarmError,
    TestAlarmRefused,
    cancel_test_alarm,
    schedule_test_alarm,
)
from nadhir.store.people import TestAlarmBook, TestAlarmInfo

router = APIRouter(route_class=StrictJsonRoute)


def outbox(svc: Service) -> Outbox:
    """The alert outbox; 409 when delivery is off."""
    if svc.delivery is None:
        raise HTTPException(409, "alert delivery is off (outbox = false in the settings)")
    return svc.delivery.outbox


def alarm_out(box: Outbox, info: TestAlarmInfo) -> dict[str, Any]:
    """A siren test as ``SirenTestOut``, with its deliveries counted by state."""
    counts: dict[str, int] = {}
    for d in box.deliveries(prefix=info.key + "-"):
        counts[d.state] = counts.get(d.state, 0) + 1
    return {"key": info.key, "at": info.at, "duration_s": info.duration_s, "sites": list(info.sites),
            "created_by": info.created_by, "sirens": info.sirens, "announcements": info.announcements,
            "cancelled_at": info.cancelled_at, "deliveries": counts}  # fmt: skip


@router.get(
    f"{API}/operator/test-alarms",
    tags=["operator"],
    response_model=list[schemas.SirenTestOut],
    responses=err(401, 403, 409, 429),
    summary="Scheduled siren tests (upcoming, or all)",
)
def test_alarms(_: Reader, svc: Svc, past: bool = False) -> list[dict[str, Any]]:
    box = outbox(svc)
    after = None if past else time.time() - 600
    return [alarm_out(box, a) for a in TestAlarmBook(box.engine).scheduled(upcoming_after=after)]


@router.post(
    f"{API}/operator/test-alarms",
    tags=["operator"],
    status_code=201,
    response_model=schemas.SirenTestOut,
    responses=err(401, 403, 404, 409, 422, 429),
    summary="Schedule a siren test; it is announced at once on the people channels (409: one asked for "
    "now at a site under a real alert; a later one is held back at its hour where an alert is open)",
)
def schedule(body: schemas.SirenTestIn, principal: Actor, svc: Svc) -> dict[str, Any]:
    box = outbox(svc)
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
        subs = book(svc).all() if people is not None and people.person_channels else []
        alerts_open = delivery.alerts_open() if delivery is not None else None
        info = schedule_test_alarm(box, chosen, when, duration_s=body.duration_s, people=people,
                                   subscriptions=subs, by=by(principal), now=now,
                                   alerts_open=alerts_open)  # fmt: skip
    except TestAlarmRefused as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if delivery is not None:
        delivery.wake()
    return alarm_out(box, info)


@router.post(
    f"{API}/operator/test-alarms/{{key}}/cancel",
    tags=["operator"],
    response_model=schemas.CancelledOut,
    responses=err(401, 403, 404, 409, 429),
    summary="Call off a scheduled siren test",
)
def cancel_alarm(key: Annotated[str, Path(max_length=200)], principal: Actor, svc: Svc) -> dict[str, Any]:
    try:
        n = cancel_test_alarm(outbox(svc), key, by=by(principal))
    except TestAlarmError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"key": key, "cancelled": n}
