"""The live service and real sirens on Mosquitto: a scheduled test alarm is announced, then sounds at its
hour, acknowledged and audited; a siren that goes silent mid-alert is replaced by the nearest other.

The sirens are real `nadhir siren` processes; an independent `mosquitto_sub` records the commands. Each
test uses its own topic root and siren ids, so it cannot meet other runs on the shared broker.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import auth, make_settings

from http_peer import Peer, Request, bot_api, http_peer
from nadhir.delivery.outbox import Outbox
from nadhir.domain.people import Subscription
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.feed import FEED
from nadhir.service.region import bundled_scenario
from nadhir.service.settings import Settings, sms_gateway_config
from nadhir.store import Store
from nadhir.store.people import SubscriptionBook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))  # the MQTT test kit lives there
from mqtt_kit import SirenProcess, Subscriber, require_mosquitto, unique, wait_for

TOKEN = "4242:TEST-bot-token"


def region_with_sirens(folder: Path, site: str, sirens: list[str]) -> Path:
    """The bundled region with ``site``'s sirens renamed (ids no other run uses), and no events."""
    folder.mkdir()
    src = bundled_scenario()
    for name in ("gazetteer.json", "reporters.json"):
        shutil.copy(src / name, folder / name)
    collection = json.loads((src / "sites.geojson").read_text(encoding="utf-8"))
    for feature in collection["features"]:
        if feature["properties"]["id"] == site:
            feature["properties"]["sirens"] = sirens
    (folder / "sites.geojson").write_text(json.dumps(collection), encoding="utf-8")
    (folder / "events.jsonl").write_text("", encoding="utf-8")
    return folder


@pytest.fixture
def telegram() -> Iterator[Peer]:
    with http_peer(bot_api(TOKEN)) as peer:
        yield peer


def service_settings(tmp_path: Path, root: str, sirens: list[str], telegram: Peer) -> Settings:
    return replace(
        make_settings(tmp_path),
        scenario=region_with_sirens(tmp_path / "region", "saraqeb", sirens),
        sirens_broker="127.0.0.1:1883",
        sirens_topic_root=root,
        siren_silent_after_s=2.0,
        telegram_token=TOKEN,
        telegram_api=telegram.url,
        telegram_registry=tmp_path / "telegram.json",
        telegram_channels=("@nadhir_test",),
    )


def test_scheduled_test_alarm_is_announced_then_sounds_once_at_its_hour(
    tmp_path: Path, telegram: Peer
) -> None:
    require_mosquitto()
    root, siren_id = f"{unique('nadhir-test')}/sirens", unique("siren-sq")
    settings = service_settings(tmp_path, root, [siren_id], telegram)
    siren = SirenProcess(siren_id, root, tmp_path).start()
    watcher = Subscriber(f"{root}/#", tmp_path / "watch.log")
    try:
        wait_for(lambda: any("ONLINE" in line for line in watcher.lines()), 15, "the siren to come online")
        with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
            at = time.time() + 4.0
            made = client.post("/api/v1/operator/test-alarms", headers=auth("operator"),
                               json={"sites": ["saraqeb"], "at": str(at), "duration_s": 2})  # fmt: skip
            assert made.status_code == 201, made.text
            key = made.json()["key"]
            wait_for(lambda: len(telegram.received("/sendMessage")) == 1, 10, "the announcement")
            announced = time.time()
            wait_for(lambda: siren.plays() != [], 20, "the test to sound")
            outbox = Outbox.open(str(settings.db))
            try:
                wait_for(
                    lambda: {d.state for d in outbox.deliveries(prefix=key + "-")} == {"acked"}, 10, "acks"
                )
                audit = {
                    d.channel: [e.event for e in outbox.audit(d.key)] for d in outbox.deliveries(prefix=key)
                }
            finally:
                outbox.close()
        time.sleep(2.5)  # the pattern's two seconds, and any retry that would have come
    finally:
        siren.terminate()
        watcher.close()
    assert announced < at  # announced beforehand
    (post,) = (r.json() for r in telegram.received("/sendMessage"))
    assert post["chat_id"] == "@nadhir_test" and "TEST" in post["text"] and "تجربة" in post["text"]
    assert siren.plays() == [("test", f"{key}-{siren_id}")]  # once
    commands = watcher.matching(f"{siren_id}/cmd")
    assert (
        len(commands) == 1
        and " p=test d=2 " in commands[0]
        and int(commands[0].split("t=")[1].split()[0]) >= int(at)
    )
    assert audit == {"siren": ["stored", "attempt", "acked"], "telegram": ["stored", "attempt", "acked"]}


def test_a_silent_siren_is_noticed_and_the_nearest_other_takes_over(tmp_path: Path, telegram: Peer) -> None:
    require_mosquitto()
    root = f"{unique('nadhir-test')}/sirens"
    a, b = unique("siren-sqa"), unique("siren-sqb")
    settings = service_settings(tmp_path, root, [a, b], telegram)
    sirens = {s: SirenProcess(s, root, tmp_path).start() for s in (a, b)}
    watcher = Subscriber(f"{root}/#", tmp_path / "watch.log")
    try:
        wait_for(lambda: sum("ONLINE" in line for line in watcher.lines()) == 2, 15, "both sirens online")
        with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
            raised = client.post("/api/v1/operator/sites/saraqeb/alert", json={"level": "imminent"},
                                 headers=auth("operator"))  # fmt: skip
            assert raised.status_code == 200, raised.text
            wait_for(lambda: all(p.plays() for p in sirens.values()), 20, "both sirens to sound")
            ((_, key_b),) = sirens[b].plays()
            feed = client.app.state.service.bus.subscribe(FEED)  # type: ignore[attr-defined]
            sirens[b].kill()  # no goodbye: the broker publishes its last will
            delivery = client.app.state.service.delivery  # type: ignore[attr-defined]
            wait_for(lambda: any(n.siren == b for n in delivery.notices), 15, "the notice")
            wait_for(lambda: len(sirens[a].plays()) == 2, 15, "the takeover")
            console = [m for m in feed.drain() if m.type == "siren"]
            outbox = Outbox.open(str(settings.db))
            try:
                taken = f"{key_b}@{a}"
                wait_for(lambda: tuple(d.state for d in outbox.deliveries() if d.key == taken) == ("acked",),
                         10, "the takeover's ack")  # fmt: skip
                trail = [e.event for e in outbox.audit(f"{key_b}@{a}")]
            finally:
                outbox.close()
    finally:
        for p in sirens.values():
            p.terminate()
        watcher.close()
    notice = next(n for n in delivery.notices if n.siren == b)
    assert (notice.kind, notice.site, notice.substitute) == ("silent", "saraqeb", a)
    assert sirens[a].plays()[1] == ("imminent", f"{key_b}@{a}")
    assert trail == ["stored", "attempt", "acked"]  # through the outbox like any delivery
    # The console's live feed tells the operators too.
    shown = next(m.data for m in console if m.data["siren"] == b)
    assert (
        shown["substitute"] == a and f"{b} (saraqeb)" in shown["message"] and "takes over" in shown["message"]
    )


def test_sirens_do_not_wait_behind_a_slow_fan_out_to_phones(tmp_path: Path, telegram: Peer) -> None:
    require_mosquitto()
    root, siren_id = f"{unique('nadhir-test')}/sirens", unique("siren-sq")
    settings = service_settings(tmp_path, root, [siren_id], telegram)

    def slow_gateway(req: Request) -> tuple[int, bytes]:
        time.sleep(1.0)  # a gateway that takes a second per message
        return 200, b'{"status":"queued"}'

    with http_peer(slow_gateway) as gateway:
        settings = replace(settings, sms_gateway=sms_gateway_config({"url": gateway.url}))
        people = [
            Subscription(f"p{i}", "sms", f"+9639330001{i:02d}", "ar", sites=("saraqeb",)) for i in range(24)
        ]
        with Store.open(str(settings.db)) as store:
            SubscriptionBook(store.engine).add_many(people)
        watcher = Subscriber(f"{root}/+/cmd", tmp_path / "cmd.log")
        try:
            with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
                # An early alert first: 24 slow SMS (and a channel post) keep the people's sender busy.
                _raise(client, "early")
                wait_for(lambda: len(gateway.received()) >= 1, 10, "the SMS fan-out to start")
                raised = time.monotonic()
                _raise(client, "imminent")
                wait_for(lambda: watcher.lines() != [], 10, "the siren command at the broker")
                to_broker = time.monotonic() - raised
                busy = len(gateway.received())
                outbox = Outbox.open(str(settings.db))
                try:

                    def all_sent() -> bool:
                        return [d.state for d in outbox.deliveries(channel="sms")] == ["acked"] * 48

                    wait_for(all_sent, 30, "every SMS sent")
                finally:
                    outbox.close()
        finally:
            watcher.close()
    assert " p=imminent " in watcher.lines()[0]
    assert to_broker < 1.0, to_broker  # not behind the 24 s of SMS that one sender would have needed
    assert busy < 48, busy  # the SMS of the two alerts were still going out when the siren got its command
    assert len(gateway.received()) == 48


def _raise(client: TestClient, level: str) -> None:
    r = client.post("/api/v1/operator/sites/saraqeb/alert", json={"level": level}, headers=auth("operator"))
    assert r.status_code == 200, r.text
