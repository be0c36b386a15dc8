"""`nadhir serve` delivers alerts to people and partners: Telegram channel posts and direct messages,
SMS through a gateway, signed partner webhooks, targeted through the stored subscriptions.

Each outside party is a real HTTP server on 127.0.0.1 (the Telegram Bot API, the SMS gateway, a
partner), so what is checked is what goes over the wire: paths, bodies, signature headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_helpers import auth, make_settings, wait_for

from http_peer import Peer, Request, bot_api, http_peer
from nadhir.alerting.approach import approach_toward
from nadhir.alerting.cap import read_cap
from nadhir.alerting.text import sms_segments
from nadhir.bus.inprocess import InProcessBus
from nadhir.delivery.channels.sms import SmsChannel, SmsGatewayConfig
from nadhir.delivery.channels.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, ReplayGuard, verify_signature
from nadhir.delivery.outbox import Outbox
from nadhir.domain import Alert, Site, TrackState
from nadhir.domain.people import Subscription
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.delivery import AlertDelivery
from nadhir.service.feed import ALERTS
from nadhir.service.people import PeopleChannels
from nadhir.service.settings import PartnerSpec, Settings, sms_gateway_config
from nadhir.store import Store, default_url
from nadhir.store.outbox_models import OutboxDeliveryRow
from nadhir.store.people import SubscriptionBook

TOKEN = "4242:TEST-bot-token"
PARTNER_SECRET = "partner-secret-0123456789"
SUBSCRIBERS = [
    Subscription("tg-en", "telegram", "1001", "en", sites=("saraqeb",)),
    Subscription("sms-ar", "sms", "+963933000001", "ar", lat=35.87, lon=36.81, radius_m=3000),
    Subscription("sms-idlib", "sms", "+963933000002", "ar", sites=("idlib",)),  # not for Saraqeb
    Subscription("sms-far", "sms", "+963933000003", "en", lat=36.2, lon=36.5, radius_m=1000),
    Subscription("tg-blocked", "telegram", "666", "ar", sites=("saraqeb",)),  # blocked the bot
]


class Partner:
    """A partner's endpoint that checks every request as the docs tell partners to."""

    def __init__(self) -> None:
        self.guard = ReplayGuard()
        self.accepted: list[Request] = []
        self.refused: list[str] = []

    def __call__(self, req: Request) -> tuple[int, bytes]:
        try:
            verify_signature(PARTNER_SECRET.encode(), req.headers.get(SIGNATURE_HEADER.lower()), req.body,
                             guard=self.guard)  # fmt: skip
        except ValueError as exc:
            self.refused.append(str(exc))
            return 401, b'{"error":"bad signature"}'
        self.accepted.append(req)
        return 200, b"{}"


@pytest.fixture
def peers() -> Iterator[tuple[Peer, Peer, Peer, Partner]]:
    partner = Partner()
    with (
        http_peer(bot_api(TOKEN)) as telegram,
        http_peer(lambda req: (200, b'{"status":"queued"}')) as sms,
        http_peer(partner) as hook,
    ):
        yield telegram, sms, hook, partner


def delivery_settings(tmp_path: Path, telegram: Peer, sms: Peer, hook: Peer) -> Settings:
    settings = make_settings(tmp_path)
    return replace(
        settings,
        telegram_token=TOKEN,
        telegram_api=telegram.url,
        telegram_registry=tmp_path / "telegram.json",
        telegram_channels=("@nadhir_test",),
        sms_gateway=sms_gateway_config({"url": sms.url + "/send", "headers": {"Authorization": "Bearer gw"}}),
        partners=(PartnerSpec("civil-defence", hook.url + "/nadhir", PARTNER_SECRET),),
    )


def settled(outbox: Outbox, n: int) -> bool:
    """``n`` deliveries stored and every one to people and partners done (one reading of the table)."""
    stored = outbox.deliveries()
    return len(stored) == n and all(
        d.state not in ("pending", "sent") for d in stored if d.channel != "siren"
    )


def _raise(client: TestClient, level: str) -> None:
    r = client.post("/api/v1/operator/sites/saraqeb/alert", json={"level": level, "aircraft": "helicopter"},
                    headers=auth("operator"))  # fmt: skip
    assert r.status_code == 200, r.text


def test_early_alert_reaches_telegram_sms_and_partners_and_imminent_also_the_sirens(
    tmp_path: Path, peers: tuple[Peer, Peer, Peer, Partner]
) -> None:
    telegram, sms, hook, partner = peers
    settings = delivery_settings(tmp_path, telegram, sms, hook)
    with Store.open(str(settings.db)) as store:
        SubscriptionBook(store.engine).add_many(SUBSCRIBERS, by="test")
    # Deliveries expire minutes after their alert: the service's clock must be today's.
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        _raise(client, "early")
        outbox = Outbox.open(str(settings.db))
        try:
            wait_for(lambda: settled(outbox, 5))
            early = {(d.channel, d.target): d for d in outbox.deliveries()}
            assert set(early) == {
                ("telegram", "@nadhir_test"), ("telegram", "1001"), ("telegram", "666"),
                ("sms", "+963933000001"), ("webhook", "civil-defence"),
            }  # fmt: skip  # early: no siren; the Idlib and far-away subscribers are not targeted
            assert {k: d.state for k, d in early.items() if d.state != "acked"} == {
                ("telegram", "666"): "failed"
            }
            assert "blocked" in (early[("telegram", "666")].last_error or "")

            _raise(client, "imminent")
            # The siren command is stored first, on its own; the people's deliveries right after.
            wait_for(lambda: settled(outbox, 11))
            sirens = [d for d in outbox.deliveries() if d.channel == "siren"]
            assert [(d.target, d.state) for d in sirens] == [("siren-saraqeb-1", "pending")]  # no broker here
            audit = outbox.audit()
        finally:
            outbox.close()

    # Telegram: the public channel gets both languages, the subscriber his own; the blocked one fails.
    sends = [r.json() for r in telegram.received("/sendMessage")]
    assert all(r.path == f"/bot{TOKEN}/sendMessage" for r in telegram.received("/sendMessage"))
    post = next(b for b in sends if b["chat_id"] == "@nadhir_test")
    assert "Saraqeb" in post["text"] and "سراقب" in post["text"]
    dm = [b for b in sends if b["chat_id"] == "1001"]
    assert len(dm) == 2 and "Helicopter" in dm[0]["text"] and "TAKE SHELTER" in dm[1]["text"]
    # SMS: the gateway's configured body and header; Arabic within two UCS-2 segments.
    texts = [r.json() for r in sms.received("/send")]
    assert [t["to"] for t in texts] == ["+963933000001", "+963933000001"]
    assert all(r.headers["authorization"] == "Bearer gw" for r in sms.received("/send"))
    for t in texts:
        assert "سراقب" in t["text"] and sms_segments(t["text"]) <= 2 and t["id"].startswith("sms-")
    # Partners: every request signed and fresh; the body carries the alert and its CAP message.
    assert partner.refused == [] and len(partner.accepted) == 2
    first, second = (r.json() for r in partner.accepted)
    assert [first["alert"]["level"], second["alert"]["level"]] == ["early", "imminent"]
    assert all(r.headers[DELIVERY_HEADER.lower()].startswith("hook-") for r in partner.accepted)
    cap_early, cap_imminent = read_cap(first["cap"]), read_cap(second["cap"])
    assert cap_imminent.msg_type == "Update" and cap_imminent.references[0].identifier == cap_early.identifier
    # Audit: every delivery stored, attempted and settled.
    events: dict[str, list[str]] = {}
    for e in audit:
        events.setdefault(e.key, []).append(e.event)
    assert len(events) == 11  # 5 for the early alert, 5 for the imminent one, and its siren command
    for key, seen in events.items():
        assert seen[0] == "stored", (key, seen)
        if seen != ["stored"]:
            assert seen[1] == "attempt" and seen[-1] in ("acked", "failed"), (key, seen)


def test_a_partner_refusing_the_signature_is_not_acknowledged(
    tmp_path: Path, peers: tuple[Peer, Peer, Peer, Partner]
) -> None:
    telegram, sms, hook, partner = peers
    settings = delivery_settings(tmp_path, telegram, sms, hook)
    wrong = replace(settings, partners=(PartnerSpec("civil-defence", hook.url, "not-the-partners-secret"),))
    with TestClient(create_app(wrong, clock=ManualClock(time.time()))) as client:
        _raise(client, "early")
        outbox = Outbox.open(str(settings.db))
        try:
            wait_for(lambda: any(d.channel == "webhook" and d.state == "failed" for d in outbox.deliveries()))
            (hook_delivery,) = [d for d in outbox.deliveries() if d.channel == "webhook"]
        finally:
            outbox.close()
    assert partner.accepted == [] and "does not match" in partner.refused[0]
    assert hook_delivery.state == "failed" and "HTTP 401" in (hook_delivery.last_error or "")


def test_the_text_gives_the_direction_the_alert_carries(tmp_path: Path) -> None:
    site = Site("saraqeb", "Saraqeb", "town", 35.8622, 36.8006, 2000.0, name_ar="سراقب", sirens=("s1",))
    url = default_url(tmp_path / "d.sqlite3")
    with Store.open(url) as store:
        SubscriptionBook(store.engine).add(
            Subscription("e", "sms", "+963933000001", "en", sites=("saraqeb",))
        )
    bus = InProcessBus()
    people = PeopleChannels(channels={"sms": SmsChannel(SmsGatewayConfig("http://127.0.0.1:9/"))})
    delivery = AlertDelivery(bus, ALERTS, [site], url, people=people)
    try:
        delivery.refresh_subscriptions()
        now = time.time()
        # 20 km south-west of Saraqeb, flying north-east at 200 m/s: the approach is decided with the
        # alert (in the pipeline) and carried on it; delivery only reads it.
        state = TrackState(now - 5, "T7", 35.735, 36.645, 200.0, 45.0, "jet", 500.0)
        approach = approach_toward(state, site)
        delivery.store(
            Alert(now, "alert", "saraqeb", "early", "jet", now + 100, 0.6, "T7", approach=approach)
        )
        with delivery.outbox.engine.connect() as conn:
            payload = conn.execute(
                sa.select(OutboxDeliveryRow.payload).where(OutboxDeliveryRow.channel == "sms")
            ).scalar_one()
    finally:
        delivery.stop()
    text = json.loads(payload)["text"]
    assert "from the south-west, heading north-east" in text and "Warplane" in text, text
