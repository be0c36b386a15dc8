"""Outcome alarms in the cluster: found by a console without the delivery role, queued in the shared
PostgreSQL outbox, sent by the delivery replicas once each (against real servers: NATS, PostgreSQL,
two delivery processes and a Telegram Bot API of the test's own)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from cluster_helpers import NatsServer, free_port
from cluster_rig import make_rig, wait
from fastapi.testclient import TestClient

from http_peer import bot_api, http_peer
from nadhir.domain.people import Subscription
from nadhir.health.completeness import last_ended
from nadhir.service.app import create_app
from nadhir.service.settings import token_spec
from nadhir.store.outbox_models import OutboxDeliveryRow
from nadhir.store.people import SubscriptionBook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "health"))
import stand_in_detector

BOT = "123456:cluster-alarms"
HEALTH = {"Authorization": "Bearer health-token-0123456789ab"}
MATERNITY = "idlib-maternity-hospital"
CHAT = "424242"  # the coordinator's Telegram chat


def _week(n: int) -> dt.date:
    return last_ended("week", time.time()) - dt.timedelta(weeks=n)


def _report(start: dt.date, stillbirths: int) -> dict[str, object]:
    return {"facility_id": MATERNITY, "period_start": start.isoformat(), "live_births": 200,
            "stillbirths_fresh": stillbirths // 2, "stillbirths_macerated": stillbirths - stillbirths // 2,
            "miscarriages": 10, "preterm_births": 20, "low_birth_weight": 24, "neonatal_deaths": 3,
            "maternal_deaths": 0, "caesarean_sections": 60}  # fmt: skip


def _deliveries(db: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(db, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            d = OutboxDeliveryRow
            rows = conn.execute(sa.select(d.key, d.target, d.state).order_by(d.id)).all()
    finally:
        engine.dispose()
    return [(k, t, s) for k, t, s in rows]


def test_an_alarm_found_by_a_console_is_sent_once_by_a_delivery_replica(
    nats: NatsServer, pg_url: str, tmp_path: Path
) -> None:
    with http_peer(bot_api(BOT)) as telegram:
        extra = f"telegram_token = {json.dumps(BOT)}\ntelegram_api = {json.dumps(telegram.url)}\n"
        with make_rig(nats, pg_url, tmp_path, extra_toml=extra) as rig:
            engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
            coordinator = Subscription("health-omar", "telegram", CHAT, "en", sites=(MATERNITY,))
            SubscriptionBook(engine).add(coordinator)
            engine.dispose()
            for name in ("delivery-a", "delivery-b"):  # two replicas share the outbox
                rig.cluster.start(name, "delivery", free_port())
            settings = dataclasses.replace(
                rig.settings, telegram_token=BOT, telegram_api=telegram.url,
                tokens=(*rig.settings.tokens, token_spec("health", "huda", "health-token-0123456789ab")),
            )  # fmt: skip
            # The console alone: no delivery role in this process.
            with TestClient(create_app(settings, roles=frozenset({"console"}))) as console:
                svc = console.app.state.service  # type: ignore[attr-defined]
                assert svc.delivery is None and svc.outcomes is not None
                svc.outcomes.use_detector(stand_in_detector.detect)
                quiet = [4, 5, 3, 4, 6, 4, 5, 3, 4, 5, 4, 5, 4, 12, 14, 13]
                reports = [_report(_week(len(quiet) - 1 - i), n) for i, n in enumerate(quiet)]
                kept = console.post("/api/v1/outcomes/reports", json={"reports": reports}, headers=HEALTH)
                assert kept.status_code == 201, kept.text
                scan = {"method": "stand-in", "indicators": ["stillbirths"]}
                found = console.post("/api/v1/outcomes/scan", json=scan, headers=HEALTH).json()
                assert len(found["new"]) == 3 and found["deliveries"] == 3  # one coordinator, three weeks
                again = console.post("/api/v1/outcomes/scan", json=scan, headers=HEALTH).json()
                assert again["new"] == [] and again["deliveries"] == 0

            def all_acked() -> bool:
                rows = _deliveries(pg_url)
                return len(rows) == 3 and all(state == "acked" for _, _, state in rows)

            wait(all_acked, 60.0, "the delivery replicas to send the three alarms", rig.cluster)
            sent = [r.json() for r in telegram.received("/sendMessage")]
            to_coordinator = [m for m in sent if str(m["chat_id"]) == CHAT]
            assert len(to_coordinator) == 3  # each alarm once, whichever replica claimed it
            assert all("Idlib Maternity Hospital" in m["text"] for m in to_coordinator)
            keys = [key for key, _, _ in _deliveries(pg_url)]
            assert len(set(keys)) == 3 and all(k.startswith("outcome-alarm-") for k in keys)
