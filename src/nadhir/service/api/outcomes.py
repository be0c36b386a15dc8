"""``/api/v1/outcomes``: mothers' and newborns' outcome reports, rates, series, alarms (health role).

Reports come in one or many at a time and are checked whole: one bad report refuses the request
(422 naming it) and keeps nothing. A facility-period reported again replaces the last report
(kept in history). Alarms are found by ``POST .../scan`` (the detectors over every facility's
series) and reviewed by a coordinator: investigated, explained or dismissed.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from nadhir.health.alarm_cap import alarm_cap_xml
from nadhir.health.alarms import check_review, detect_series
from nadhir.health.completeness import last_ended
from nadhir.health.outcomes import OutcomeError, OutcomeRecord, record_from_fields
from nadhir.health.plot import series_svg
from nadhir.health.rates import INDICATORS, RATE_INDICATORS, rate
from nadhir.service.api.deps import API, Svc, by, err, requires
from nadhir.service.auth import HEALTH_ROLES, Principal
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.outcomes import RECENT_WEEKS, WATCHED, OutcomeDesk, alarm_of, recipients
from nadhir.service.runtime import Service
from nadhir.store.outcomes import AlarmNotFound, StoredAlarm

router = APIRouter(route_class=StrictJsonRoute)
HealthUser = Annotated[Principal, Depends(requires(HEALTH_ROLES))]
Count = Annotated[int, Field(ge=0, le=50_000)]
RATES_WEEKS = 13
CAP_MEDIA_TYPE = "application/cap+xml"
AlarmId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]


def day_of(text: str | None, name: str) -> dt.date | None:
    """A date query parameter, strictly ``YYYY-MM-DD``; 422 for a day that does not exist."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(422, f"{name} is not a date: {text!r}") from exc


class OutcomeReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    facility_id: str = Field(max_length=100, description="The facility (a hospital site id)")
    period: Literal["week", "day"] = "week"
    period_start: str = Field(
        max_length=20, description="The week's Monday (YYYY-MM-DD or YYYY-Www), or the day"
    )
    live_births: Count
    stillbirths_fresh: Count
    stillbirths_macerated: Count
    miscarriages: Count
    preterm_births: Count
    low_birth_weight: Count
    neonatal_deaths: Count
    maternal_deaths: Count
    caesarean_sections: Count | None = None
    referrals_out: Count | None = None


class OutcomeReportsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 100 reports of the longest allowed fields fit in the service's 64 kB body limit; a bigger
    # batch is a CSV import's job.
    reports: list[OutcomeReportIn] = Field(min_length=1, max_length=100)


class OutcomeReportOut(BaseModel):
    facility_id: str
    period: str
    period_start: str
    label: str
    live_births: int
    stillbirths_fresh: int
    stillbirths_macerated: int
    miscarriages: int
    preterm_births: int
    low_birth_weight: int
    neonatal_deaths: int
    maternal_deaths: int
    caesarean_sections: int | None
    referrals_out: int | None
    received_at: float | None = None


class OutcomesKeptOut(BaseModel):
    added: int
    replaced: int
    unchanged: int
    confirmation: str


class RateOut(BaseModel):
    indicator: str
    label: str
    events: int
    total: int
    per: int
    value: float | None
    low: float | None
    high: float | None


class FacilityOutcomesOut(BaseModel):
    facility_id: str
    name: str
    name_ar: str | None
    expected: int
    reported: int
    on_time: int
    late: int
    completeness: float | None
    timeliness: float | None
    complete_enough: bool
    last_period: str | None
    rates: list[RateOut]
    open_alarms: int


class SeriesPointOut(BaseModel):
    period_start: str
    observed: float
    expected: float | None = Field(description="None where the method has no baseline yet")
    threshold: float | None
    alarm: bool
    method: str


class SeriesOut(BaseModel):
    facility_id: str
    indicator: str
    method: str
    points: list[SeriesPointOut]
    svg: str


class NearbyOut(BaseModel):
    kind: str
    t: float
    lat: float
    lon: float
    distance_km: float
    description: str


class OutcomeAlarmOut(BaseModel):
    id: int
    facility_id: str
    facility_name: str
    indicator: str
    period: str
    period_start: str
    method: str
    observed: float
    expected: float
    threshold: float
    completeness: float | None
    flagged: bool
    nearby: list[NearbyOut]
    created_at: float
    status: str
    status_by: str | None
    status_at: float | None
    note: str | None
    notified_at: float | None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["investigated", "explained", "dismissed"]
    note: str | None = Field(default=None, max_length=2000)


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str = Field(default="auto", max_length=40)
    indicators: list[str] = Field(
        default_factory=lambda: list(WATCHED), min_length=1, max_length=len(INDICATORS)
    )
    suppress_incomplete: bool = False


class ScanOut(BaseModel):
    found: int
    new: list[OutcomeAlarmOut]
    deliveries: int


def recent_since(d: OutcomeDesk, now: float) -> dt.date:
    """The first week a scan keeps alarms of (the last twelve weeks up to the desk's week)."""
    return (d.as_of or last_ended("week", now)) - dt.timedelta(weeks=RECENT_WEEKS)


def desk(svc: Service) -> OutcomeDesk:
    """The outcomes desk; 503 while the service starts."""
    if svc.outcomes is None:
        raise HTTPException(503, "the service is starting")
    return svc.outcomes


def report_out(r: OutcomeRecord, received_at: float | None = None) -> dict[str, Any]:
    return {"facility_id": r.facility_id, "period": r.period, "period_start": r.period_start.isoformat(),
            "label": r.label, **r.counts(), "received_at": received_at}  # fmt: skip


def alarm_out(d: OutcomeDesk, a: StoredAlarm) -> dict[str, Any]:
    place = d.facilities.get(a.facility_id)
    return {"id": a.id, "facility_id": a.facility_id, "facility_name": place.name if place else a.facility_id,
            "indicator": a.indicator, "period": a.period, "period_start": a.period_start.isoformat(),
            "method": a.method, "observed": a.observed, "expected": a.expected, "threshold": a.threshold,
            "completeness": a.completeness, "flagged": a.flagged, "nearby": a.nearby,
            "created_at": a.created_at,
            "status": a.status, "status_by": a.status_by, "status_at": a.status_at, "note": a.note,
            "notified_at": a.notified_at}  # fmt: skip


@router.post(
    f"{API}/outcomes/reports",
    tags=["outcomes"],
    status_code=201,
    response_model=OutcomesKeptOut,
    responses=err(401, 403, 404, 413, 422, 429),
    summary="Keep outcome reports (all or none); a facility-period reported again replaces the last",
)
def keep_reports(body: OutcomeReportsIn, principal: HealthUser, svc: Svc) -> dict[str, Any]:
    d = desk(svc)
    records: list[OutcomeRecord] = []
    problems: list[str] = []
    for i, rep in enumerate(body.reports):
        if rep.facility_id not in d.facilities:
            problems.append(f"report {i + 1}: no facility {rep.facility_id!r}")
            continue
        try:
            records.append(record_from_fields(rep.model_dump()))
        except OutcomeError as exc:
            problems.append(f"report {i + 1}: {exc}")
    keys = [(r.facility_id, r.period, r.period_start) for r in records]
    if len(set(keys)) != len(keys):
        problems.append("the same facility-period is given twice")
    if problems:
        raise HTTPException(422, "nothing kept: " + "; ".join(problems[:20]))
    kept = d.submit(records, time.time(), "api", by(principal))
    confirmation = (f"kept {len(records)} report(s): {kept.added} new, {kept.replaced} replacing an earlier "
                    f"report, {kept.unchanged} unchanged")  # fmt: skip
    return {
        "added": kept.added,
        "replaced": kept.replaced,
        "unchanged": kept.unchanged,
        "confirmation": confirmation,
    }


@router.get(
    f"{API}/outcomes/reports",
    tags=["outcomes"],
    response_model=list[OutcomeReportOut],
    responses=err(401, 403, 422, 429),
    summary="The current outcome reports (optionally of one facility, between two dates)",
)
def reports(
    _: HealthUser, svc: Svc, facility_id: Annotated[str | None, Query(max_length=100)] = None,
    since: Day = None, until: Day = None, period: Literal["week", "day"] = "week",
) -> list[dict[str, Any]]:  # fmt: skip
    first, last = day_of(since, "since"), day_of(until, "until")
    return [report_out(r.record, r.received_at) for r in desk(svc).received(facility_id, period, first, last)]


@router.get(
    f"{API}/outcomes/facilities",
    tags=["outcomes"],
    response_model=list[FacilityOutcomesOut],
    responses=err(401, 403, 429),
    summary="Each facility's reporting completeness and timeliness, and its rates over the last 13 weeks",
)
def facilities(_: HealthUser, svc: Svc) -> list[dict[str, Any]]:
    d = desk(svc)
    now = time.time()
    received = d.received()
    reporting = d.reporting(now, received=received)
    open_alarms: dict[str, int] = {}
    for a in d.book.alarms(status="new"):
        open_alarms[a.facility_id] = open_alarms.get(a.facility_id, 0) + 1
    by_facility: dict[str, list[OutcomeRecord]] = {}
    for r in received:
        by_facility.setdefault(r.record.facility_id, []).append(r.record)
    out = []
    for fid, rep in reporting.items():
        mine = by_facility.get(fid, [])
        last = max((r.period_start for r in mine), default=None)
        recent = [
            r for r in mine if last is not None and r.period_start > last - dt.timedelta(weeks=RATES_WEEKS)
        ]
        place = d.facilities.get(fid)
        rates = []
        for name in RATE_INDICATORS:
            rt = rate(name, recent)
            rates.append({"indicator": name, "label": INDICATORS[name].label, "events": rt.events,
                          "total": rt.total,
                          "per": rt.per, "value": rt.value, "low": rt.low, "high": rt.high})  # fmt: skip
        out.append({"facility_id": fid, "name": place.name if place else fid,
                    "name_ar": place.name_ar if place else None, "expected": rep.expected,
                    "reported": rep.reported, "on_time": rep.on_time, "late": rep.late,
                    "completeness": rep.completeness, "timeliness": rep.timeliness,
                    "complete_enough": rep.complete_enough,
                    "last_period": None if last is None else last.isoformat(), "rates": rates,
                    "open_alarms": open_alarms.get(fid, 0)})  # fmt: skip
    return out


@router.get(
    f"{API}/outcomes/series/{{facility_id}}",
    tags=["outcomes"],
    response_model=SeriesOut,
    responses=err(401, 403, 404, 409, 422, 429),
    summary="A facility's series as the detector reads it (counts, expected, threshold, alarms) and as SVG",
)
def facility_series(
    facility_id: Annotated[str, Path(max_length=100)], _: HealthUser, svc: Svc,
    indicator: Annotated[str, Query(max_length=40)] = "stillbirths",
    method: Annotated[str, Query(max_length=40)] = "auto",
    weeks: Annotated[int, Query(ge=4, le=520)] = 104,
) -> dict[str, Any]:  # fmt: skip
    d = desk(svc)
    if indicator not in INDICATORS:
        raise HTTPException(422, f"unknown indicator {indicator!r} (known: {', '.join(INDICATORS)})")
    records = [r.record for r in d.received(facility_id)]
    if not records:
        raise HTTPException(404, f"no reports of {facility_id!r}")
    try:
        points = detect_series(records, indicator, d.detect, method)
    except LookupError as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    points = points[-weeks:]
    place = d.facilities.get(facility_id)
    title = f"{place.name if place else facility_id}: {indicator.replace('_', ' ')} per week ({method})"
    return {"facility_id": facility_id, "indicator": indicator, "method": method,
            "points": [{"period_start": p.period_start.isoformat(), "observed": p.observed,
                        "expected": p.expected,
                        "threshold": p.threshold, "alarm": p.alarm, "method": p.method} for p in points],
            "svg": series_svg(title, points, last=None)}  # fmt: skip


@router.get(
    f"{API}/outcomes/alarms",
    tags=["outcomes"],
    response_model=list[OutcomeAlarmOut],
    responses=err(401, 403, 422, 429),
    summary="Outcome alarms, the latest period first",
)
def alarms(
    _: HealthUser, svc: Svc, status: Literal["new", "investigated", "explained", "dismissed"] | None = None,
    facility_id: Annotated[str | None, Query(max_length=100)] = None,
) -> list[dict[str, Any]]:  # fmt: skip
    d = desk(svc)
    return [alarm_out(d, a) for a in d.book.alarms(status=status, facility_id=facility_id)]


@router.post(
    f"{API}/outcomes/alarms/{{alarm_id}}/review",
    tags=["outcomes"],
    response_model=OutcomeAlarmOut,
    responses=err(401, 403, 404, 422, 429),
    summary="Mark an alarm investigated, explained or dismissed (explained and dismissed need a note)",
)
def review(alarm_id: AlarmId, body: ReviewIn, principal: HealthUser, svc: Svc) -> dict[str, Any]:
    d = desk(svc)
    try:
        status = check_review(body.status, body.note)
        stored = d.book.review(alarm_id, status, by(principal), time.time(), body.note)
    except AlarmNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return alarm_out(d, stored)


@router.get(
    f"{API}/outcomes/alarms/{{alarm_id}}/cap",
    tags=["outcomes"],
    response_class=Response,
    responses={
        **err(401, 403, 404, 422, 429),
        200: {
            "description": "The alarm as a CAP 1.2 message",
            "content": {CAP_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
    },
    summary="An alarm as CAP 1.2 (category Health)",
)
def alarm_cap(alarm_id: AlarmId, _: HealthUser, svc: Svc) -> Response:
    d = desk(svc)
    try:
        stored = d.book.alarm(alarm_id)
    except AlarmNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    xml = alarm_cap_xml(alarm_of(stored), d.facilities.get(stored.facility_id), stored.created_at,
                        radius_km=d.radius_km)  # fmt: skip
    return Response(xml, media_type=CAP_MEDIA_TYPE)


@router.post(
    f"{API}/outcomes/scan",
    tags=["outcomes"],
    response_model=ScanOut,
    responses=err(401, 403, 409, 422, 429),
    summary="Run the detectors over every facility's series; new alarms go to the health coordinators",
)
def scan(body: ScanIn, _: HealthUser, svc: Svc) -> dict[str, Any]:
    d = desk(svc)
    unknown = [i for i in body.indicators if i not in INDICATORS]
    if unknown:
        raise HTTPException(422, f"unknown indicator(s): {', '.join(unknown)}")
    now = time.time()
    queue = svc.alarm_queue()  # in a cluster's console: the shared outbox, sent by a delivery replica
    coordinators, partners = recipients(queue)
    try:
        result = d.scan(now, indicators=body.indicators, method=body.method,
                        outbox=None if queue is None else queue.outbox, coordinators=coordinators,
                        partners=partners, suppress_incomplete=body.suppress_incomplete,
                        since=recent_since(d, now))  # fmt: skip
    except LookupError as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if queue is not None and result.deliveries:
        queue.wake()
    return {
        "found": result.found,
        "new": [alarm_out(d, a) for a in result.new],
        "deliveries": result.deliveries,
    }
