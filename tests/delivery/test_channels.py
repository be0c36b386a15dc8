"""People and partner channels against local HTTP servers: signed webhooks, SMS gateway, Telegram Bot API;
subscriptions and geotargeting; the whole path from an alert to acknowledged deliveries."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from http_peer import Peer, Request, bot_api, http_peer
from nadhir.alerting.cap import CapComposer, read_cap
from nadhir.alerting.text import sms_segments
from nadhir.delivery.channels.sms import SmsChannel, SmsGatewayConfig
from nadhir.delivery.channels.telegram import TelegramChannel
from nadhir.delivery.channels.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    Partner,
    ReplayGuard,
    SignatureError,
    WebhookChannel,
    sign,
    signature_header,
    verify_signature,
)
from nadhir.delivery.dispatcher import Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.router import AlertRouter
from nadhir.delivery.states import Delivery, NewDelivery
from nadhir.delivery.subscriptions import PeopleRouter, SubscriberIndex, load_subscriptions
from nadhir.domain import Alert, Problems, Site
from nadhir.domain.people import Subscription, subscription_from_json
from nadhir.store import default_url

T0 = 1_746_155_144.0
SECRET = b"s3cret-partner-key"

# ---- local HTTP servers for the tests (tests/http_peer.py) ----------------------------


@pytest.fixture
def http_server() -> Iterator[Callable[[Callable[[Request], tuple[int, bytes]]], Peer]]:
    """Start servers with ``http_server(answer)``; all are stopped after the test."""
    with ExitStack() as stack:
        yield lambda answer: stack.enter_context(http_peer(answer))


def deliveries(channel: str, *pairs: tuple[str, str]) -> list[Delivery]:
    return [
        Delivery(i, f"{channel}-{i}", channel, target, payload, 1, T0 + 600)
        for i, (target, payload) in enumerate(pairs)
    ]


# ---- webhook signatures ---------------------------------------------------------------


def test_signature_round_trip_and_every_way_it_can_fail() -> None:
    body = b'{"alert":{"site":"idlib"}}'
    header = signature_header(SECRET, 1_746_155_144, body)
    assert header == f"t=1746155144,v1={sign(SECRET, 1_746_155_144, body)}"
    assert verify_signature(SECRET, header, body, now=T0 + 10) == 1_746_155_144
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET, header, body + b" ", now=T0)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(b"other secret", header, body, now=T0)
    with pytest.raises(SignatureError, match="beyond"):
        verify_signature(SECRET, header, body, now=T0 + 301)
    with pytest.raises(SignatureError, match="beyond"):
        verify_signature(SECRET, header, body, now=T0 - 301)  # from the future
    with pytest.raises(SignatureError, match="missing"):
        verify_signature(SECRET, None, body, now=T0)
    with pytest.raises(SignatureError, match="malformed"):
        verify_signature(SECRET, "garbage", body, now=T0)
    with pytest.raises(SignatureError, match="no valid t="):
        verify_signature(SECRET, "t=yesterday,v1=00", body, now=T0)
    with pytest.raises(SignatureError, match="no v1="):
        verify_signature(SECRET, "t=1746155144", body, now=T0)
    # A changed timestamp breaks the signature too.
    forged = header.replace("t=1746155144", "t=1746155200")
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET, forged, body, now=T0)
    # Rotation: the old and the new secret are both accepted while it lasts.
    assert verify_signature([b"new", SECRET], header, body, now=T0) == 1_746_155_144


def test_replays_are_refused_within_the_window() -> None:
    guard = ReplayGuard()
    body = b"{}"
    header = signature_header(SECRET, int(T0), body)
    verify_signature(SECRET, header, body, now=T0, guard=guard)
    with pytest.raises(SignatureError, match="replayed"):
        verify_signature(SECRET, header, body, now=T0 + 5, guard=guard)
    # A retry is a new request: new timestamp, new signature, accepted.
    verify_signature(SECRET, signature_header(SECRET, int(T0) + 30, body), body, now=T0 + 30, guard=guard)
    # After the window the old request is refused for its age anyway.
    with pytest.raises(SignatureError, match="beyond"):
        verify_signature(SECRET, header, body, now=T0 + 400, guard=guard)


def test_webhook_channel_signs_and_the_partner_verifies(http_server: Callable[..., Peer]) -> None:
    guard = ReplayGuard()

    def partner(req: Request) -> tuple[int, bytes]:
        try:
            verify_signature(SECRET, req.headers.get(SIGNATURE_HEADER.lower()), req.body, guard=guard)
        except SignatureError as exc:
            return 401, json.dumps({"error": str(exc)}).encode()
        if json.loads(req.body).get("fail") == "permanent":
            return 422, b'{"error":"unknown site"}'
        if json.loads(req.body).get("fail") == "busy":
            return 503, b"{}"
        return 204, b""

    server = http_server(partner)
    channel = WebhookChannel(
        {
            "civil-defence": Partner(server.url + "/hook", SECRET),
            "impostor": Partner(server.url + "/hook", b"wrong secret"),
        }
    )
    batch = deliveries(
        "webhook",
        ("civil-defence", '{"alert":1}'),
        ("impostor", '{"alert":2}'),
        ("civil-defence", '{"fail":"permanent"}'),
        ("civil-defence", '{"fail":"busy"}'),
        ("nobody", "{}"),
    )
    outcomes = channel.send(batch)
    assert [(o.kind, (o.detail or "")[:8]) for o in outcomes] == [
        ("acked", "HTTP 204"),
        ("failed", "HTTP 401"),
        ("failed", "HTTP 422"),
        ("error", "HTTP 503"),
        ("failed", "no webho"),
    ]
    assert server.requests[0].headers[DELIVERY_HEADER.lower()] == "webhook-0"
    assert server.requests[0].headers["content-type"].startswith("application/json")
    channel.close()


# ---- SMS gateway -----------------------------------------------------------------------


def test_sms_gateway_json_and_form(http_server: Callable[..., Peer]) -> None:
    def gateway(req: Request) -> tuple[int, bytes]:
        if req.headers.get("authorization") != "Bearer tok":
            return 401, b'{"error":"unauthorized"}'
        if req.headers["content-type"].startswith("application/json"):
            fields = json.loads(req.body)
        else:
            fields = dict(urllib.parse.parse_qsl(req.body.decode()))
        if not fields.get("to", "").startswith("+"):
            return 400, b'{"error":"invalid number"}'
        if fields["to"] == "+963000000503":
            return 503, b'{"error":"try later"}'
        return 200, b'{"status":"queued"}'

    server = http_server(gateway)
    text = "نذير: احتموا الآن. طيران حربي يقترب من إدلب"
    cfg = SmsGatewayConfig(server.url + "/send", headers={"Authorization": "Bearer tok"})
    sms = SmsChannel(cfg)
    payload = json.dumps({"text": text}, ensure_ascii=False)
    out = sms.send(
        deliveries("sms", ("+963933000001", payload), ("0933", payload), ("+963000000503", payload))
    )
    assert [o.kind for o in out] == ["acked", "failed", "error"]
    assert json.loads(server.requests[0].body) == {"to": "+963933000001", "text": text, "id": "sms-0"}
    form = SmsChannel(
        SmsGatewayConfig(
            server.url + "/send",
            body="form",
            headers={"Authorization": "Bearer tok"},
            fields={"msisdn": "{to}", "to": "{to}", "msg": "[{sender}] {text}"},
        )
    )
    assert [o.kind for o in form.send(deliveries("sms", ("+963933000002", payload)))] == ["acked"]
    sent = dict(urllib.parse.parse_qsl(server.requests[-1].body.decode()))
    assert sent == {"msisdn": "+963933000002", "to": "+963933000002", "msg": f"[NADHIR] {text}"}
    assert [o.kind for o in sms.send(deliveries("sms", ("+9639", "not json")))] == ["failed"]
    with pytest.raises(ValueError, match="bad template"):
        SmsGatewayConfig(server.url, fields={"x": "{nope}"})
    with pytest.raises(ValueError, match="http"):
        SmsGatewayConfig("ftp://gateway")


# ---- Telegram Bot API -----------------------------------------------------------------------


def test_telegram_channel_posts_and_direct_messages(http_server: Callable[..., Peer]) -> None:
    server = http_server(bot_api("123:ABC"))
    tg = TelegramChannel("123:ABC", api_base=server.url)
    text = json.dumps({"text": "نذير: تحذير\n\nNADHIR warning"}, ensure_ascii=False)
    out = tg.send(
        deliveries("telegram", ("@nadhir_idlib", text), ("424242", text), ("666", text), ("@busy", text))
    )
    assert [(o.kind, o.detail) for o in out] == [
        ("acked", "message 1"),
        ("acked", "message 2"),
        ("failed", "HTTP 403: Telegram: Forbidden: bot was blocked by the user"),
        ("error", "Telegram 429: retry after 1 s"),
    ]
    assert json.loads(server.requests[0].body)["text"] == "نذير: تحذير\n\nNADHIR warning"
    assert [o.kind for o in tg.send(deliveries("telegram", ("@busy", text)))] == ["acked"]
    wrong = TelegramChannel("999:XYZ", api_base=server.url)
    assert [o.kind for o in wrong.send(deliveries("telegram", ("@x", text)))] == ["failed"]
    with pytest.raises(ValueError, match="token"):
        TelegramChannel("")


# ---- subscriptions and geotargeting ------------------------------------------------------------

IDLIB = Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0, name_ar="إدلب", sirens=("s1",))
SARAQEB = Site("saraqeb", "Saraqeb", "town", 35.8622, 36.8006, 2000.0, name_ar="سراقب")
SUBS = [
    Subscription("a", "sms", "+963933000001", "ar", sites=("idlib",)),
    Subscription("b", "telegram", "1001", "en", lat=35.95, lon=36.65, radius_m=1000.0),  # 2.6 km: touches
    Subscription("c", "sms", "+963933000003", "en", lat=36.05, lon=36.63, radius_m=5000.0),  # 13 km: no
    Subscription(
        "d", "sms", "+963933000004", "ar", sites=("saraqeb",), lat=35.93, lon=36.63, radius_m=20_000
    ),
    Subscription("e", "telegram", "1005", "ar", sites=("saraqeb",)),
]


def test_targeting_by_site_and_by_point_and_radius() -> None:
    index = SubscriberIndex.build(SUBS)
    assert [s.id for s in index.recipients([IDLIB])] == ["a", "b", "d"]
    assert [s.id for s in index.recipients([SARAQEB])] == ["d", "e"]
    assert index.targets([IDLIB, SARAQEB]).tolist() == [0, 1, 3, 4]  # each subscriber once
    far = Site("far", "Far", "town", 33.5, 36.3, 1000.0)
    assert index.targets([far]).tolist() == []


def test_index_agrees_with_brute_force_on_random_subscribers() -> None:
    rng = np.random.default_rng(7)
    subs = [
        Subscription(
            str(i),
            "sms",
            f"+9639{i:08d}",
            "ar",
            lat=float(rng.uniform(35, 36.5)),
            lon=float(rng.uniform(36, 37.5)),
            radius_m=float(np.exp(rng.uniform(np.log(200), np.log(200_000)))),
        )
        for i in range(3000)
    ]
    index = SubscriberIndex.build(subs)
    sites = [
        Site(f"s{k}", "x", "town", float(rng.uniform(35, 36.5)), float(rng.uniform(36, 37.5)), 2000.0)
        for k in range(5)
    ]
    from nadhir.geo.distance import haversine_m

    expected = sorted(
        i
        for i, s in enumerate(subs)
        if any(
            haversine_m(s.lat or 0, s.lon or 0, x.lat, x.lon) <= (s.radius_m or 0) + x.radius_m for x in sites
        )
    )
    assert index.targets(sites).tolist() == expected


def test_subscriptions_file_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "subs.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "u1", "channel": "sms", "address": "+963933000001", "sites": ["idlib"]}),
                json.dumps(
                    {
                        "id": "u2",
                        "channel": "telegram",
                        "address": 123,
                        "lang": "en",
                        "lat": 35.9,
                        "lon": 36.6,
                        "radius_m": 5000,
                    }
                ),
                "{not json",
                json.dumps({"id": "u3", "channel": "fax", "address": "1", "sites": ["idlib"]}),
                json.dumps({"id": "u4", "channel": "sms", "address": "+9639", "lat": 35.9}),
                json.dumps({"id": "u5", "channel": "sms", "address": "+9639"}),
                json.dumps(
                    {"id": "u6", "channel": "sms", "address": "+9639", "lat": 95, "lon": 0, "radius_m": 1}
                ),
                json.dumps({"id": "u7", "channel": "sms", "address": "+9639", "sites": ["x"], "lang": "fr"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    problems = Problems()
    subs = load_subscriptions(path, problems)
    assert [s.id for s in subs] == ["u1", "u2"] and subs[1].address == "123"
    assert [(p.line, p.reason.split(":")[0]) for p in problems.items] == [
        (3, "Expecting property name enclosed in double quotes"),
        (4, "channel must be one of sms, telegram, not 'fax'"),
        (5, "a point subscription needs lat, lon and radius_m"),
        (6, "subscribe to sites, or to a point and a radius"),
        (7, "position 95.0,0.0 out of range"),
        (8, "lang must be one of ar, en, not 'fr'"),
    ]
    with pytest.raises(ValueError, match="sites must be"):
        subscription_from_json({"id": "x", "channel": "sms", "address": "1", "sites": [1]})


# ---- the whole people path -------------------------------------------------------------------


def test_alert_to_acknowledged_deliveries_on_every_people_channel(
    tmp_path: Path, http_server: Callable[..., Peer]
) -> None:
    tg_server = http_server(bot_api("42:TOKEN"))
    sms_server = http_server(lambda req: (200, b'{"status":"queued"}'))
    guard = ReplayGuard()
    received: list[dict[str, Any]] = []

    def partner(req: Request) -> tuple[int, bytes]:
        verify_signature(SECRET, req.headers.get(SIGNATURE_HEADER.lower()), req.body, guard=guard)
        received.append(json.loads(req.body))
        return 200, b"{}"

    hook_server = http_server(partner)
    index = SubscriberIndex.build(SUBS)
    people = PeopleRouter(index, telegram_channels=["@nadhir_idlib"], partners=["civil-defence"])
    router = AlertRouter([IDLIB, SARAQEB], recipients=people, cap=CapComposer([IDLIB, SARAQEB]))
    outbox = Outbox.open(default_url(tmp_path / "outbox.sqlite3"))
    now = float(int(time.time()))
    alerts = [
        Alert(now - 60, "alert", "idlib", "early", "jet", now + 540, 0.5, "T1"),
        Alert(now, "update", "idlib", "imminent", "jet", now + 240, 0.8, "T1"),
    ]
    for a in alerts:
        plan = router.plan(a)
        assert plan.cap is not None
        outbox.store_alert(a, plan.sirens, cap=plan.cap.decode())  # sirens first, then the fan-out
        outbox.store_alert(a, plan.others)
        assert len(plan.sirens) + len(plan.others) == len(plan.deliveries)
    kinds = [d.channel for d in outbox.deliveries()]
    # early: channel post, 3 subscribers, 1 partner; imminent: also the site's siren
    assert kinds == [
        "telegram",
        "sms",
        "telegram",
        "sms",
        "webhook",
        "siren",
        "telegram",
        "sms",
        "telegram",
        "sms",
        "webhook",
    ]
    dispatcher = Dispatcher(
        outbox,
        {
            "telegram": TelegramChannel("42:TOKEN", api_base=tg_server.url),
            "sms": SmsChannel(SmsGatewayConfig(sms_server.url + "/sms")),
            "webhook": WebhookChannel({"civil-defence": Partner(hook_server.url, SECRET)}),
        },
    )
    while dispatcher.step() or dispatcher.drain_acks():
        pass
    counts = outbox.counts()
    # No siren channel here: the siren command is left for the process that has one.
    assert counts == {"acked": 10, "pending": 1}, counts
    assert [d.channel for d in outbox.deliveries("pending")] == ["siren"]
    sms_bodies = [json.loads(r.body) for r in sms_server.requests]
    assert {b["to"] for b in sms_bodies} == {"+963933000001", "+963933000004"}
    for b in sms_bodies:
        assert sms_segments(b["text"]) <= 2 and "إدلب" in b["text"]
    posts = [json.loads(r.body) for r in tg_server.requests]
    assert (
        posts[0]["chat_id"] == "@nadhir_idlib" and "Idlib" in posts[0]["text"] and "إدلب" in posts[0]["text"]
    )
    dm = next(p for p in posts if p["chat_id"] == "1001")
    assert dm["text"].startswith("NADHIR warning: Warplane may approach Idlib")
    assert len(received) == 2 and received[1]["alert"]["level"] == "imminent"
    cap = read_cap(received[1]["cap"])
    assert (
        cap.msg_type == "Update" and cap.references[0].identifier == read_cap(received[0]["cap"]).identifier
    )
    audit = outbox.audit()
    assert sum(1 for e in audit if e.event == "acked") == 10
    outbox.close()


def test_people_router_needs_a_built_index() -> None:
    arrays = SubscriberIndex(
        1, {"idlib": np.array([0])}, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0)
    )
    assert arrays.targets([IDLIB]).tolist() == [0]
    with pytest.raises(ValueError, match="build"):
        PeopleRouter(arrays)
    with pytest.raises(ValueError, match="use targets"):
        arrays.recipients([IDLIB])
    assert isinstance(NewDelivery("sms", "x", "k", "{}", T0), NewDelivery)


def test_http_channels_send_several_requests_at_once_and_keep_the_batch_order(
    http_server: Callable[..., Peer],
) -> None:
    def slow(req: Request) -> tuple[int, bytes]:
        time.sleep(0.3)
        to = json.loads(req.body)["to"]
        return (500, b"{}") if to == "+963933000003" else (200, b"{}")

    server = http_server(slow)
    batch = deliveries("sms", *[(f"+96393300000{i}", '{"text": "hi"}') for i in range(8)])
    start = time.monotonic()
    out = SmsChannel(SmsGatewayConfig(server.url), workers=8).send(batch)
    took = time.monotonic() - start
    assert took < 1.5, took  # eight requests of 0.3 s each, in parallel (one at a time: 2.4 s)
    assert [o.key for o in out] == [d.key for d in batch]
    assert [o.kind for o in out] == ["acked"] * 3 + ["error"] + ["acked"] * 4
    assert len(server.requests) == 8
