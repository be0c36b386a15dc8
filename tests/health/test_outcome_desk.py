"""The outcomes desk over a real store: the events near a facility from the run tables, and new
alarms handed to the outbox for the health coordinators (text) and the partners (CAP)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import stand_in_detector

from nadhir.alerting.cap.document import validate
from nadhir.delivery.outbox import Outbox
from nadhir.domain import Alert, Impact, Site
from nadhir.domain.people import Subscription
from nadhir.health.outcomes import OutcomeRecord
from nadhir.service.outcomes import OutcomeDesk, StoreNearby
from nadhir.store import Store

MONDAY = dt.date(2026, 1, 5)
HOSPITAL = Site("idlib-maternity-hospital", "Idlib Maternity Hospital", "hospital", 35.9346, 36.6309, 300.0)
TOWN = Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0)
FAR = Site("khan-shaykhun", "Khan Shaykhun", "town", 35.4411, 36.6475, 3000.0)
STILLBIRTHS = [4, 5, 3, 4, 6, 4, 5, 3, 4, 5, 4, 5, 4, 12, 14, 13]


def t_of(day: dt.date, hour: int = 9) -> float:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC).timestamp()


def test_events_near_a_facility_come_from_every_run_in_the_store(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        run = store.start_run("live", None, [HOSPITAL, TOWN, FAR], started_at=t_of(MONDAY))
        when = t_of(MONDAY + dt.timedelta(days=3))
        store.add_events(run, [
            Impact(when, "obs-1", 35.93, 36.64, "Idlib east"),  # ~0.9 km away
            Impact(when + 60, "obs-2", 35.44, 36.65, "Khan Shaykhun"),  # ~55 km away
            Impact(when + 120, "obs-3", None, None, "somewhere"),  # no place: cannot be placed
        ])  # fmt: skip
        store.add_alerts(run, [
            Alert(when - 600, "alert", "idlib", "imminent", "jet", None, 0.8, "T1"),
            Alert(when - 300, "update", "idlib", "imminent", "jet", None, 0.9, "T1"),  # not a new alert
            Alert(when - 200, "alert", "khan-shaykhun", "early", "helicopter", None, 0.6, "T2"),
        ])  # fmt: skip
        nearby = StoreNearby(store.engine)
        found = nearby.events_near(
            HOSPITAL.lat, HOSPITAL.lon, 15, t_of(MONDAY), t_of(MONDAY + dt.timedelta(weeks=1))
        )
        assert [(e.kind, e.description) for e in found] == [
            ("alert", "imminent alert at Idlib (jet)"), ("impact", "impact reported at Idlib east"),
        ]  # fmt: skip
        assert found[1].distance_km < 1.5
        assert (
            nearby.events_near(
                HOSPITAL.lat, HOSPITAL.lon, 15, t_of(MONDAY) + 7 * 86400, t_of(MONDAY) + 14 * 86400
            )
            == []
        )


def test_new_alarms_go_to_the_coordinators_and_partners_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    with Store.open(url) as store:
        desk = OutcomeDesk(store.engine, [HOSPITAL, TOWN], detect=stand_in_detector.detect)
        assert list(desk.facilities) == [HOSPITAL.id]  # hospitals only
        week = dt.timedelta(weeks=1)
        records = [OutcomeRecord(HOSPITAL.id, "week", MONDAY + i * week, 200, n // 2, n - n // 2, 10,
                                 20, 24, 3, 0) for i, n in enumerate(STILLBIRTHS)]  # fmt: skip
        desk.submit(records, t_of(MONDAY), "csv", "test")
        coordinators = [
            Subscription("health-huda", "sms", "+963933000001", "ar", lat=35.93, lon=36.63, radius_m=20_000),
            Subscription("health-omar", "telegram", "12345", "en", sites=(HOSPITAL.id,)),
            Subscription(
                "health-sara", "sms", "+963933000002", "en", sites=("sarmada-hospital",)
            ),  # not hers
            Subscription(
                "resident-1", "sms", "+963933000003", "ar", sites=(HOSPITAL.id,)
            ),  # not a coordinator
        ]
        outbox = Outbox.open(url)
        now = time.time()  # the outbox keeps real time: deliveries expire a week after the scan
        first = desk.scan(now, indicators=["stillbirths"], method="stand-in", outbox=outbox,
                          coordinators=coordinators, partners=["civil-defence"])  # fmt: skip
        assert (first.found, len(first.new)) == (3, 3)
        assert first.deliveries == 3 * 3  # per alarm: two coordinators and one partner
        sent = outbox.claim(100)  # as the dispatcher would take them, payloads and all
        assert {(d.channel, d.target) for d in sent} == {
            ("sms", "+963933000001"), ("telegram", "12345"), ("webhook", "civil-defence"),
        }  # fmt: skip
        sms = json.loads(next(d for d in sent if d.channel == "sms").payload)
        assert sms["text"].startswith("إنذار صحي") and sms["outcome_alarm"].startswith(HOSPITAL.id)
        hook = json.loads(next(d for d in sent if d.channel == "webhook").payload)
        validate(hook["cap"].encode())
        assert "<category>Health</category>" in hook["cap"]
        assert all(a.notified_at is not None for a in desk.book.alarms())
        again = desk.scan(now + 3600, indicators=["stillbirths"], method="stand-in", outbox=outbox,
                          coordinators=coordinators, partners=["civil-defence"])  # fmt: skip
        assert (again.found, again.new, again.deliveries) == (3, [], 0)
        assert len(outbox.deliveries()) == 9
        outbox.close()
