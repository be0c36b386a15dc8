"""Alarms a coordinator can act on: a rise in one facility's outcome counts, with its context.

An alarm names the facility, the indicator, the observed and expected counts, the threshold and
the method (from the detectors of :mod:`nadhir.health.detectors`, passed in as ``detect``); it
lists the strikes, impacts and attacks on health care within ``radius_km`` of the facility in
the ``weeks_before`` before the period (read through :class:`NearbySource`, so that this module
knows no table); and it carries the facility's reporting completeness: under 80 % the alarm is
*flagged* (kept, marked as resting on incomplete data) or, when asked, *suppressed* (dropped).

A coordinator then marks it ``investigated``, ``explained`` or ``dismissed``. Pure: no clock, no
I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from nadhir.health.completeness import MIN_COMPLETENESS, Completeness
from nadhir.health.outcomes import OutcomeRecord, Period, period_label
from nadhir.health.rates import INDICATORS

AlarmStatus = Literal["new", "investigated", "explained", "dismissed"]
ALARM_STATUSES: tuple[AlarmStatus, ...] = ("new", "investigated", "explained", "dismissed")
# What a coordinator may set (an alarm is born new).
REVIEW_STATUSES: tuple[AlarmStatus, ...] = ("investigated", "explained", "dismissed")

DEFAULT_RADIUS_KM = 15.0
DEFAULT_WEEKS_BEFORE = 8


class DetectionLike(Protocol):
    """What the detectors return for one period (``nadhir.health.detectors.Detection``)."""

    @property
    def index(self) -> int: ...
    @property
    def method(self) -> str: ...
    @property
    def observed(self) -> float: ...
    @property
    def expected(self) -> float: ...
    @property
    def threshold(self) -> float: ...
    @property
    def alarm(self) -> bool: ...


class Detect(Protocol):
    """``nadhir.health.detectors.detect``: one detection per period of ``counts``."""

    def __call__(
        self,
        counts: Sequence[float],
        *,
        method: str,
        totals: Sequence[float] | None = None,
        period: str = "week",
    ) -> Sequence[DetectionLike]: ...


@dataclass(frozen=True, slots=True)
class NearbyEvent:
    """A strike, an impact or an attack on health care near a facility."""

    kind: str  # "strike" (an alert's episode at a site), "impact", "attack"
    t: float  # POSIX seconds
    lat: float
    lon: float
    distance_km: float
    description: str


class NearbySource(Protocol):
    """Where the events near a facility are read from (the store's run tables, the attacks register)."""

    def events_near(
        self, lat: float, lon: float, radius_km: float, since: float, until: float
    ) -> list[NearbyEvent]:
        """Events within ``radius_km`` of (lat, lon) with ``since <= t < until``, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class Facility:
    """Where a facility is and what it is called (a hospital site)."""

    id: str
    name: str
    lat: float
    lon: float
    name_ar: str | None = None


@dataclass(frozen=True, slots=True)
class OutcomeAlarm:
    """One alarm: a facility's indicator above its threshold in one period."""

    facility_id: str
    indicator: str
    period: Period
    period_start: dt.date
    method: str
    observed: float
    expected: float
    threshold: float
    completeness: float | None
    flagged: bool  # completeness under 80 %: read with care
    nearby: tuple[NearbyEvent, ...]

    @property
    def key(self) -> str:
        """The alarm's identity: the same rise found again is the same alarm, whichever method found
        it (``auto`` may pick another as the history grows; a coordinator is told once)."""
        return f"{self.facility_id}|{self.indicator}|{self.period}|{self.period_start.isoformat()}"

    @property
    def label(self) -> str:
        return period_label(self.period, self.period_start)


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One period of a facility's series as a detector read it (for pictures and the bulletin)."""

    period_start: dt.date
    observed: float
    expected: float | None  # None where the method has no baseline yet
    threshold: float | None
    alarm: bool
    method: str = ""  # the method that read it (``auto`` resolved)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def series(
    records: Sequence[OutcomeRecord], indicator: str
) -> tuple[list[OutcomeRecord], list[float], list[float] | None]:
    """One facility's records in period order, the indicator's counts and (for a rate) its totals."""
    ind = INDICATORS[indicator]
    ordered = sorted(records, key=lambda r: r.period_start)
    counts = [float(ind.count(r)) for r in ordered]
    totals = None if ind.total is None else [float(ind.total(r)) for r in ordered]
    return ordered, counts, totals


def detect_series(
    records: Sequence[OutcomeRecord], indicator: str, detect: Detect, method: str
) -> list[SeriesPoint]:
    """The detector's reading of every period of one facility's series (its reported periods, in order)."""
    ordered, counts, totals = series(records, indicator)
    if not ordered:
        return []
    found = detect(counts, method=method, totals=totals, period=ordered[0].period)
    return [
        SeriesPoint(ordered[d.index].period_start, d.observed, _finite(d.expected), _finite(d.threshold),
                    d.alarm, d.method)
        for d in found
    ]  # fmt: skip


def find_alarms(
    records: Sequence[OutcomeRecord],
    facilities: Mapping[str, Facility],
    indicator: str,
    detect: Detect,
    *,
    method: str = "auto",
    reporting: Mapping[str, Completeness] | None = None,
    nearby: NearbySource | None = None,
    radius_km: float = DEFAULT_RADIUS_KM,
    weeks_before: int = DEFAULT_WEEKS_BEFORE,
    suppress_incomplete: bool = False,
    since: dt.date | None = None,
) -> list[OutcomeAlarm]:
    """The alarms of ``indicator`` in every facility's series (periods from ``since`` on, if given).

    A facility whose completeness (``reporting``) is under 80 % gets its alarms flagged, or none at
    all with ``suppress_incomplete``. Events near a facility are looked up for facilities whose
    place is known (``facilities``).
    """
    if indicator not in INDICATORS:
        raise ValueError(f"unknown indicator {indicator!r} (known: {', '.join(INDICATORS)})")
    by_facility: dict[tuple[str, str], list[OutcomeRecord]] = {}
    for r in records:
        by_facility.setdefault((r.facility_id, r.period), []).append(r)
    out: list[OutcomeAlarm] = []
    for (facility_id, period), mine in sorted(by_facility.items()):
        rep = (reporting or {}).get(facility_id)
        share = None if rep is None else rep.completeness
        flagged = share is None or share < MIN_COMPLETENESS
        if flagged and suppress_incomplete:
            continue
        place = facilities.get(facility_id)
        for point in detect_series(mine, indicator, detect, method):
            if not point.alarm or (since is not None and point.period_start < since):
                continue
            if point.expected is None or point.threshold is None:
                continue  # an alarm a coordinator cannot weigh (no baseline) is not raised
            events: tuple[NearbyEvent, ...] = ()
            if nearby is not None and place is not None:
                start = dt.datetime.combine(point.period_start, dt.time(), dt.UTC)
                end = start + (dt.timedelta(days=7) if period == "week" else dt.timedelta(days=1))
                begin = start - dt.timedelta(weeks=weeks_before)
                events = tuple(
                    nearby.events_near(place.lat, place.lon, radius_km, begin.timestamp(), end.timestamp())
                )
            p: Period = "day" if period == "day" else "week"
            out.append(OutcomeAlarm(facility_id, indicator, p, point.period_start, point.method or method,
                                    point.observed, point.expected, point.threshold, share, flagged,
                                    events))  # fmt: skip
    return out


def alarm_text(alarm: OutcomeAlarm, facility: Facility | None, lang: str) -> str:
    """What a health coordinator reads: the facility, the rise, the context, in Arabic or English."""
    label = INDICATORS[alarm.indicator].name.replace("_", " ")
    near = len(alarm.nearby)
    share = "?" if alarm.completeness is None else f"{alarm.completeness:.0%}"
    if lang == "ar":
        name = (facility.name_ar or facility.name) if facility else alarm.facility_id
        text = (f"إنذار صحي: ارتفاع {ARABIC_INDICATORS.get(alarm.indicator, label)} في {name}، "
                f"الفترة {alarm.label}: المرصود {alarm.observed:g}، المتوقع {alarm.expected:.1f}، "
                f"العتبة {alarm.threshold:.1f} (طريقة {alarm.method}). "
                f"أحداث قريبة في الأسابيع السابقة: {near}. اكتمال التبليغ: {share}.")  # fmt: skip
        if alarm.flagged:
            text += " تنبيه: التبليغ غير مكتمل، اقرأ الإنذار بحذر."
        return text
    name = facility.name if facility else alarm.facility_id
    text = (f"Health alarm: {label} up at {name}, {alarm.label}: observed {alarm.observed:g}, "
            f"expected {alarm.expected:.1f}, threshold {alarm.threshold:.1f} ({alarm.method}). "
            f"Strikes, impacts or attacks nearby in the weeks before: {near}. "
            f"Reporting completeness: {share}.")  # fmt: skip
    if alarm.flagged:
        text += " Caution: reporting is incomplete (under 80 %)."
    return text


ARABIC_INDICATORS: dict[str, str] = {
    "stillbirths": "الإملاص (ولادة جنين ميت)",
    "stillbirths_fresh": "الإملاص الحديث",
    "stillbirths_macerated": "الإملاص المتعطن",
    "miscarriages": "الإجهاض",
    "preterm_births": "الولادات المبكرة",
    "low_birth_weight": "نقص وزن الولادة",
    "neonatal_deaths": "وفيات حديثي الولادة",
    "maternal_deaths": "وفيات الأمهات",
    "caesarean_sections": "العمليات القيصرية",
}


def check_review(status: str, note: str | None) -> AlarmStatus:
    """A coordinator's review as a status; :class:`ValueError` for anything but the three allowed."""
    for s in REVIEW_STATUSES:
        if s == status:
            if s in ("explained", "dismissed") and not (note or "").strip():
                raise ValueError(f"say why the alarm is {s} (a note is required)")
            return s
    raise ValueError(f"status must be one of {', '.join(REVIEW_STATUSES)}, not {status!r}")
