"""The outcomes desk: the health room's outcome records, alarms and their delivery, over the store.

It joins what the layers below keep apart: the records and rules (:mod:`nadhir.health`), their
tables (:mod:`nadhir.store.outcomes`), the events near a facility (the run tables) and the outbox
that carries an alarm to the health coordinators (:mod:`nadhir.delivery`). Every entry point (the
CSV import, the API, the SMS/Telegram message, the console form) keeps records through
:meth:`OutcomeDesk.submit`, so they all answer alike.

Health coordinators are the subscriptions whose id begins with ``health-``: an alarm goes to
those who list its facility among their sites, or whose area (point and radius) holds it, in
their language; the partners' webhooks get it as CAP (category ``Health``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Engine

from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import NewDelivery
from nadhir.domain import Site
from nadhir.domain.people import Subscription
from nadhir.geo.distance import haversine_m
from nadhir.health.alarm_cap import alarm_cap_xml
from nadhir.health.alarms import (
    DEFAULT_RADIUS_KM,
    Detect,
    Facility,
    NearbyEvent,
    NearbySource,
    OutcomeAlarm,
    alarm_text,
    find_alarms,
)
from nadhir.health.completeness import Completeness, Received, completeness
from nadhir.health.detectors import detect
from nadhir.health.outcome_messages import OutcomesMessageReader
from nadhir.health.outcomes import OutcomeRecord, Period, check
from nadhir.health.outcomes_csv import read_outcomes_csv
from nadhir.intake.field_reports import FieldReportError, FieldReports, Mandates
from nadhir.store.models import AlertRow, ImpactRow, SiteRow
from nadhir.store.outcomes import OutcomeBook, PutResult, StoredAlarm, StoredReport
from nadhir.store.people import SubscriptionBook

if TYPE_CHECKING:
    from nadhir.service.people import PeopleChannels

COORDINATOR_PREFIX = "health-"
ALARM_EXPIRES_S = 7 * 86400  # an alarm not delivered within a week is stale; the console still has it
WATCHED: tuple[str, ...] = ("stillbirths", "miscarriages", "preterm_births")  # what a scan looks at
RECENT_WEEKS = 12  # a scan keeps alarms of the last twelve weeks (older rises are history, not news)
DEMO_CSV = resources.files("nadhir") / "data" / "health" / "outcomes-demo.csv"

log = logging.getLogger(__name__)


def default_detect() -> Detect:
    """The project's detectors (:func:`nadhir.health.detectors.detect`)."""
    return detect


def record_fields(record: OutcomeRecord) -> dict[str, object]:
    """A record as the store keeps it."""
    return {"facility_id": record.facility_id, "period": record.period, "period_start": record.period_start,
            **record.counts()}  # fmt: skip


def record_of(stored: StoredReport) -> OutcomeRecord:
    """A stored report as a record (what was kept passed the same checks; they are cheap to run
    again, and a row edited by hand in the database is caught here rather than trusted)."""
    f = stored.fields
    period: Period = "day" if f["period"] == "day" else "week"
    return check(OutcomeRecord(
        f["facility_id"], period, f["period_start"], f["live_births"], f["stillbirths_fresh"],
        f["stillbirths_macerated"], f["miscarriages"], f["preterm_births"], f["low_birth_weight"],
        f["neonatal_deaths"], f["maternal_deaths"], f["caesarean_sections"], f["referrals_out"],
    ))  # fmt: skip


def facilities_of(sites: Iterable[Site]) -> dict[str, Facility]:
    """The sites that are health facilities (kind ``hospital``, ``clinic`` or ``health``)."""
    return {s.id: Facility(s.id, s.name, s.lat, s.lon, s.name_ar) for s in sites
            if s.kind in ("hospital", "clinic", "health")}  # fmt: skip


class StoreNearby:
    """Impacts reported and alerts raised near a facility, from every run in the store.

    ``also`` adds other sources (the register of attacks on health care, when it exists).
    """

    def __init__(self, engine: Engine, also: Sequence[NearbySource] = ()) -> None:
        self.engine = engine
        self.also = tuple(also)

    def events_near(
        self, lat: float, lon: float, radius_km: float, since: float, until: float
    ) -> list[NearbyEvent]:
        """Impacts (with a place) and alerts at sites within ``radius_km``, ``since <= t < until``."""
        lo, hi = dt.datetime.fromtimestamp(since, dt.UTC), dt.datetime.fromtimestamp(until, dt.UTC)
        # A box around the point narrows the rows first; the great circle decides.
        dlat = radius_km / 111.0
        out: list[NearbyEvent] = []
        with self.engine.connect() as conn:
            impacts = conn.execute(
                select(ImpactRow.t, ImpactRow.lat, ImpactRow.lon, ImpactRow.place, ImpactRow.reporter)
                .where(ImpactRow.t >= lo, ImpactRow.t < hi, ImpactRow.lat.is_not(None),
                       ImpactRow.lat.between(lat - dlat, lat + dlat))
            ).all()  # fmt: skip
            alerts = conn.execute(
                select(AlertRow.t, AlertRow.site, AlertRow.level, AlertRow.threat, SiteRow.lat, SiteRow.lon,
                       SiteRow.name)
                .join(SiteRow, (SiteRow.run_id == AlertRow.run_id) & (SiteRow.site_id == AlertRow.site))
                .where(AlertRow.t >= lo, AlertRow.t < hi, AlertRow.action == "alert",
                       SiteRow.lat.between(lat - dlat, lat + dlat))
            ).all()  # fmt: skip
        for t, ilat, ilon, place, reporter in impacts:
            d = haversine_m(lat, lon, ilat, ilon) / 1000
            if d <= radius_km:
                what = f"impact reported at {place}" if place else f"impact reported by {reporter}"
                out.append(NearbyEvent("impact", t.timestamp(), ilat, ilon, round(d, 2), what))
        seen: set[tuple[str, float]] = set()
        for t, site, level, threat, slat, slon, name in alerts:
            d = haversine_m(lat, lon, slat, slon) / 1000
            if d <= radius_km and (site, t.timestamp()) not in seen:  # one per site and time over runs
                seen.add((site, t.timestamp()))
                out.append(NearbyEvent("alert", t.timestamp(), slat, slon, round(d, 2),
                                       f"{level} alert at {name} ({threat})"))  # fmt: skip
        for source in self.also:
            out.extend(source.events_near(lat, lon, radius_km, since, until))
        return sorted(out, key=lambda e: e.t)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one scan for alarms found and did."""

    found: int  # alarms found in the series (new or known)
    new: list[StoredAlarm]
    deliveries: int  # messages queued in the outbox


class OutcomeDesk:
    """Outcome records, completeness, alarms and their delivery, for one store."""

    def __init__(
        self,
        engine: Engine,
        sites: Iterable[Site],
        *,
        detect: Detect | None = None,
        nearby: NearbySource | None = None,
        radius_km: float = DEFAULT_RADIUS_KM,
    ) -> None:
        self.book = OutcomeBook(engine)
        self.facilities = facilities_of(sites)
        self._detect = detect
        self.nearby: NearbySource = nearby if nearby is not None else StoreNearby(engine)
        self.radius_km = radius_km
        # The last period the desk reads up to, when not the last one ended (the demo's bundled series
        # end on a fixed week: its completeness must not fall as the calendar moves on).
        self.as_of: dt.date | None = None

    @property
    def detect(self) -> Detect:
        """The detector (the given one, or the project's)."""
        if self._detect is None:
            self._detect = default_detect()
        return self._detect

    def use_detector(self, detect: Detect) -> None:
        """Read the series with ``detect`` from now on (another method set, a test's own)."""
        self._detect = detect

    def submit(
        self, records: Sequence[OutcomeRecord], now: float, source: str, reporter: str | None
    ) -> PutResult:
        """Keep checked records (all or none); a facility-period reported again replaces the last."""
        return self.book.put([record_fields(r) for r in records], now, source, reporter)

    def received(
        self, facility_id: str | None = None, period: Period = "week", since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[Received]:  # fmt: skip
        """The current records with when each facility-period was first received."""
        return [Received(record_of(s), s.first_received_at)
                for s in self.book.current(facility_id, period, since, until)]  # fmt: skip

    def reporting(self, now: float, period: Period = "week", received: Sequence[Received] | None = None,
                  until: dt.date | None = None) -> dict[str, Completeness]:  # fmt: skip
        """Completeness and timeliness of every facility that has reported (or is a known facility)."""
        got = list(received) if received is not None else self.received(period=period)
        by_facility: dict[str, list[Received]] = {f: [] for f in self.facilities}
        for r in got:
            by_facility.setdefault(r.record.facility_id, []).append(r)
        until = until if until is not None else self.as_of
        return {
            f: completeness(f, by_facility[f], now, period=period, until=until) for f in sorted(by_facility)
        }

    def scan(
        self,
        now: float,
        *,
        indicators: Sequence[str] = WATCHED,
        method: str = "auto",
        period: Period = "week",
        suppress_incomplete: bool = False,
        outbox: Outbox | None = None,
        coordinators: Sequence[Subscription] = (),
        partners: Sequence[str] = (),
        since: dt.date | None = None,
    ) -> ScanResult:
        """Run the detectors over every facility's series, keep the alarms not kept before, and
        (with an ``outbox``) queue each new one for the coordinators and partners."""
        received = self.received(period=period)
        reporting = self.reporting(now, period, received)
        records = [r.record for r in received]
        found: list[OutcomeAlarm] = []
        for indicator in indicators:
            found += find_alarms(records, self.facilities, indicator, self.detect, method=method,
                                 reporting=reporting, nearby=self.nearby, radius_km=self.radius_km,
                                 suppress_incomplete=suppress_incomplete, since=since)  # fmt: skip
        new = self.book.add_alarms([alarm_fields(a) for a in found], now)
        queued = 0
        if outbox is not None and new:
            by_key = {a.key: a for a in found}
            planned = [d for s in new for d in self.plan(by_key[s.key], now, coordinators, partners)]
            if planned:  # marked only when someone is told (no coordinator, no partner: nobody was)
                queued = outbox.add_deliveries(planned)
                self.book.mark_notified([s.id for s in new], now)
        return ScanResult(len(found), new, queued)

    def plan(self, alarm: OutcomeAlarm, now: float, coordinators: Sequence[Subscription],
             partners: Sequence[str]) -> list[NewDelivery]:  # fmt: skip
        """The messages of one alarm: text to each coordinator of its facility, CAP to each partner."""
        facility = self.facilities.get(alarm.facility_id)
        # Short and the same on every run: sending the same alarm twice is one delivery.
        base = "outcome-alarm-" + hashlib.sha256(alarm.key.encode()).hexdigest()[:16]
        out = []
        for sub in coordinators:
            if not sub.id.startswith(COORDINATOR_PREFIX) or not covers(sub, alarm.facility_id, facility):
                continue
            text = alarm_text(alarm, facility, sub.lang)
            payload = json.dumps({"text": text, "outcome_alarm": alarm.key}, ensure_ascii=False)
            key = f"{base}-{sub.channel}-{sub.address}"[:96]
            out.append(NewDelivery(sub.channel, sub.address, key, payload, now + ALARM_EXPIRES_S))
        if partners:
            cap = alarm_cap_xml(alarm, facility, now, radius_km=self.radius_km).decode()
            text = alarm_text(alarm, facility, "en")
            payload = json.dumps({"text": text, "outcome_alarm": alarm.key, "cap": cap}, ensure_ascii=False)
            for partner in partners:
                out.append(NewDelivery("webhook", partner, f"{base}-webhook-{partner}"[:96], payload,
                                       now + ALARM_EXPIRES_S))  # fmt: skip
        return out


def covers(sub: Subscription, facility_id: str, facility: Facility | None) -> bool:
    """Whether a coordinator's subscription covers the facility: by its id, or by its area."""
    if facility_id in sub.sites:
        return True
    if facility is None or sub.lat is None or sub.lon is None or sub.radius_m is None:
        return False
    return haversine_m(sub.lat, sub.lon, facility.lat, facility.lon) <= sub.radius_m


def alarm_fields(alarm: OutcomeAlarm) -> dict[str, object]:
    """An alarm as the store keeps it."""
    return {"key": alarm.key, "facility_id": alarm.facility_id, "indicator": alarm.indicator,
            "period": alarm.period, "period_start": alarm.period_start, "method": alarm.method,
            "observed": alarm.observed, "expected": alarm.expected, "threshold": alarm.threshold,
            "completeness": alarm.completeness, "flagged": alarm.flagged,
            "nearby": [{"kind": e.kind, "t": e.t, "lat": e.lat, "lon": e.lon, "distance_km": e.distance_km,
                        "description": e.description} for e in alarm.nearby]}  # fmt: skip


def alarm_of(stored: StoredAlarm) -> OutcomeAlarm:
    """A stored alarm back as the health room's record."""
    nearby = tuple(
        NearbyEvent(str(e["kind"]), float(e["t"]), float(e["lat"]), float(e["lon"]), float(e["distance_km"]),
                    str(e["description"]))
        for e in stored.nearby
    )  # fmt: skip
    period: Period = "day" if stored.period == "day" else "week"
    s = stored
    return OutcomeAlarm(s.facility_id, s.indicator, period, s.period_start, s.method, s.observed, s.expected,
                        s.threshold, s.completeness, s.flagged, nearby)  # fmt: skip


def _nothing() -> None:
    pass


@dataclass(frozen=True, slots=True)
class AlarmQueue:
    """Where the desk queues an alarm's messages: the outbox a delivery worker sends from, the people
    and partner channels configured (None: none is, nobody can be told), and ``wake``, which hurries
    a sender in this process (in a cluster's console or intake, none: a delivery replica finds the
    rows at its next claim)."""

    outbox: Outbox
    people: PeopleChannels | None
    wake: Callable[[], None] = _nothing


def recipients(queue: AlarmQueue | None) -> tuple[list[Subscription], tuple[str, ...]]:
    """The health coordinators (subscriptions ``health-...`` on a configured channel) and partners."""
    if queue is None or queue.people is None:
        return [], ()
    people = queue.people
    subs: list[Subscription] = []
    if people.person_channels:
        every = SubscriptionBook(queue.outbox.engine).all()
        subs = [s for s in people.usable(every) if s.id.startswith(COORDINATOR_PREFIX)]
    return subs, tuple(people.partners)


def open_desk(
    engine: Engine,
    sites: Iterable[Site],
    field_reports: FieldReports,
    mandates: Mandates,
    current: Callable[[], OutcomeDesk | None],
    *,
    demo: bool = False,
    queue: AlarmQueue | None = None,
    now: float | None = None,
) -> OutcomeDesk:
    """The service's desk; its message reader joins ``field_reports`` (once: the reader keeps
    through ``current()``, the desk of the service as it runs now). With ``demo``, the bundled
    two years of weekly series are loaded and scanned, so that the console shows an alarm."""
    desk = OutcomeDesk(engine, sites)
    if not any(r.kind == OutcomesMessageReader.kind for r in field_reports.readers):
        field_reports.add(OutcomesMessageReader(
            lambda record, reporter, t: _keep_message(current(), record, reporter, t),
            mandates,
            known=lambda facility: (d := current()) is not None and facility in d.facilities,
        ))  # fmt: skip
    if demo:
        t = time.time() if now is None else now
        records = read_outcomes_csv(DEMO_CSV.read_text(encoding="utf-8"))
        # Each week as if sent the morning after it ended, so the demo's timeliness is a figure too.
        by_week: dict[dt.date, list[OutcomeRecord]] = {}
        for r in records:
            by_week.setdefault(r.period_start, []).append(r)
        for start, week in sorted(by_week.items()):
            sent = dt.datetime.combine(start + dt.timedelta(days=7), dt.time(9), dt.UTC).timestamp()
            desk.submit(week, min(sent, t), "demo", "nadhir serve --demo")
        desk.as_of = max(r.period_start for r in records)
        coordinators, partners = recipients(queue)
        try:
            outbox = None if queue is None else queue.outbox
            since = desk.as_of - dt.timedelta(weeks=RECENT_WEEKS)
            found = desk.scan(t, outbox=outbox, coordinators=coordinators, partners=partners, since=since)
            log.info(
                "demo outcomes: %d reports, %d alarms (%d new)", len(records), found.found, len(found.new)
            )
        except LookupError as exc:  # no detectors installed: the series are there, the alarms are not
            log.warning("demo outcomes loaded without alarms: %s", exc)
    return desk


def _keep_message(desk: OutcomeDesk | None, record: OutcomeRecord, reporter: str, t: float) -> str:
    if desk is None:
        raise FieldReportError("the service is starting; send again in a minute")
    kept = desk.submit([record], t, "message", reporter)
    return "replaced" if kept.replaced else "added"
