"""The Telegram intake in the cluster: one intake replica polls the bot at a time; killed, another takes
over from the offset kept in NATS; every observer's message is published once and answered once, even
when the takeover comes after JetStream's duplicate window; of two pollers overlapping, one takes a
registration code (against real servers: NATS, PostgreSQL, two intake processes and a Telegram Bot
API of the test's own)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import NatsServer, free_port
from cluster_rig import REGION, make_rig, wait
from fastapi.testclient import TestClient

from http_peer import Request, http_peer
from nadhir.bus.jetstream import BusError, JetStreamBus
from nadhir.domain import Report
from nadhir.intake.telegram import Registry, TelegramIntake
from nadhir.service.app import create_app
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.partitions import ALL, Partition
from nadhir.service.settings import Settings
from nadhir.service.stream_intake import StreamSink
from nadhir.service.stream_telegram import KvRegistryStore
from nadhir.service.stream_wire import event_from_bytes

BOT = "123456:cluster-intake"
CODES = {"K7Q2": "obs-ariha-5", "Z9X1": "obs-hmeimim-0"}  # observers of the idlib-basic scenario
LONG_POLL_S = 0.5  # the fake's long poll: short, so that a replica stops quickly
# The events stream's duplicate window in the failover test, in place of the two minutes: a takeover
# (the lease, 2 s, lapsing) comes after it, as a takeover after a long NATS outage would.
SHORT_WINDOW_S = 0.5


class BotUpdates:
    """Telegram's side of one bot: updates are kept until a getUpdates names an offset past them (then
    confirmed, forgotten); a getUpdates with nothing new waits up to LONG_POLL_S. ``hold_received``:
    the next "Received." to that chat is not answered until ``release`` is set (a poller caught after
    it published a report, before it stored its offset)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.updates: list[dict[str, Any]] = []
        self.next_id = 5000
        self.handed: Counter[int] = Counter()  # how often each update was handed to a poller
        self.confirmed = 0  # the highest offset a getUpdates named
        self.sent: list[dict[str, Any]] = []
        self.hold_received: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    def message(self, chat: int, text: str) -> int:
        with self.lock:
            self.next_id += 1
            date = int(time.time())
            msg = {"message_id": self.next_id, "date": date, "chat": {"id": chat, "type": "private"},
                   "from": {"id": chat, "is_bot": False, "first_name": "Spotter"}, "text": text}  # fmt: skip
            self.updates.append({"update_id": self.next_id, "message": msg})
            self.lock.notify_all()
            return self.next_id

    def answer(self, req: Request) -> tuple[int, bytes]:
        if not req.path.startswith(f"/bot{BOT}/"):
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        body = req.json()
        if req.path.endswith("/getUpdates"):
            with self.lock:
                offset = body.get("offset")
                if offset is not None:
                    self.confirmed = max(self.confirmed, offset)
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if not self.updates:
                    self.lock.wait(LONG_POLL_S)
                result = list(self.updates)
                self.handed.update(u["update_id"] for u in result)
            return 200, json.dumps({"ok": True, "result": result}).encode()
        if req.path.endswith("/sendMessage"):
            with self.lock:
                self.sent.append(body)
                hold = self.hold_received == body["chat_id"] and body["text"] == "Received."
                if hold:
                    self.hold_received = None
            if hold:
                self.holding.set()
                self.release.wait(60)
                return 502, b'{"ok":false,"error_code":502,"description":"Bad Gateway"}'
            return 200, json.dumps({"ok": True, "result": {"message_id": len(self.sent)}}).encode()
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'

    def replies(self, chat: int, text: str) -> int:
        with self.lock:
            return sum(1 for m in self.sent if m["chat_id"] == chat and m["text"].startswith(text))


def _telegram_check(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            body = json.loads(answer.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return next((c for c in body["checks"] if c["name"] == "telegram"), None)


def _polling(port: int) -> bool:
    check = _telegram_check(port)
    return check is not None and check["ok"] and str(check["state"]).startswith("polling")


def _published_reports(bus: JetStreamBus, names: ClusterNames, region: str = REGION) -> list[tuple[str, str]]:
    reader = bus.reader(names.events_stream, "telegram-test", names.events(region), start_seq=1)
    out = []
    try:
        while batch := reader.fetch(100, 1.0):
            for msg in batch:
                if msg.headers.get(KIND_HEADER, "event") != "event":  # the health rooms' readiness
                    continue
                event = event_from_bytes(msg.data)
                if isinstance(event, Report) and event.channel == "telegram":
                    out.append((event.reporter, event.text or ""))
    finally:
        reader.close()
    return out


def test_one_intake_replica_polls_and_a_killed_poller_is_taken_over_without_loss_or_duplicate(
    nats: NatsServer, pg_url: str, tmp_path: Path
) -> None:
    bot = BotUpdates()
    with http_peer(bot.answer) as api:
        extra = f"telegram_token = {json.dumps(BOT)}\ntelegram_api = {json.dumps(api.url)}\n" + (
            "telegram_codes = {" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in CODES.items()) + "}\n"
        )
        with make_rig(nats, pg_url, tmp_path, extra_toml=extra) as rig:
            # Nothing is published yet: the events stream is made again with a short duplicate window
            # (the processes leave an existing stream as it is), and shown to be short.
            rig.bus.delete_stream(rig.names.events_stream)
            rig.bus.ensure_stream(rig.names.events_stream, [f"{rig.names.prefix}.events.>"],
                                  duplicate_window_s=SHORT_WINDOW_S)  # fmt: skip
            probe = rig.names.events("probe")
            assert not rig.bus.publish(probe, b"probe", msg_id="probe").duplicate
            time.sleep(SHORT_WINDOW_S * 3)  # ages the id out of the window (no assertion on time)
            assert not rig.bus.publish(probe, b"probe", msg_id="probe").duplicate
            ports = {"intake-a": free_port(), "intake-b": free_port()}
            procs = {name: rig.cluster.start(name, "intake", port) for name, port in ports.items()}

            def one_polls() -> str | None:
                polling = [name for name, port in ports.items() if _polling(port)]
                standing = [name for name, port in ports.items() if (c := _telegram_check(port)) and c["ok"]]
                return polling[0] if len(polling) == 1 and len(standing) == 2 else None

            first = wait(one_polls, 60.0, "one intake replica polling the bot", rig.cluster)
            standby = next(n for n in ports if n != first)
            assert str(_telegram_check(ports[standby])["state"]).startswith("standby")  # type: ignore[index]

            expected: list[tuple[str, str]] = []

            def report(chat: int, observer: str, text: str) -> None:
                bot.message(chat, text)
                expected.append((observer, text))

            bot.message(42, "/register K7Q2")
            bot.message(43, "/register Z9X1")
            wait(lambda: bot.replies(42, "Registered") and bot.replies(43, "Registered"), 30.0,
                 "both observers registered", rig.cluster)  # fmt: skip
            for text in ("طائرة حربية فوق أريحا", "two jets heading north over Ariha", "مروحية شرق أريحا"):
                report(42, CODES["K7Q2"], text)
            wait(lambda: bot.replies(42, "Received.") == 3, 30.0, "the first reports", rig.cluster)

            # The poller publishes the next report of chat 43 and is killed while it answers it; its successor
            # takes over after the lease lapses (2 s), beyond the stream's duplicate window: it must not
            # read that report again, as it did when the offset was stored only after the whole batch.
            bot.hold_received = 43
            report(42, CODES["K7Q2"], "drone circling Ariha, low")
            report(43, CODES["Z9X1"], "طائرة استطلاع فوق جبلة")
            held_update = bot.next_id
            held = bot.holding.wait(30.0)
            assert held, rig.cluster.log_tail(first)
            os.kill(procs[first].pid, signal.SIGKILL)
            procs[first].wait(10)
            bot.release.set()
            report(42, CODES["K7Q2"], "jet heard to the south-west, heading to Idlib")  # while nobody polls
            wait(lambda: _polling(ports[standby]), 30.0, "the standby to take the bot over", rig.cluster)
            report(43, CODES["Z9X1"], "انفجار قرب جبلة")  # registered before the takeover
            # A facility's status is the health room's (this observer does not speak for the hospital, and
            # is told so), never a sighting on the stream.
            bot.message(42, "status idlib-maternity-hospital: doctors 3, incubators 4 of 6, generator")
            last = bot.message(42, "/start")

            wait(lambda: bot.confirmed > last, 30.0, "every update confirmed", rig.cluster)
            published = _published_reports(rig.bus, rig.names)
            assert Counter(published) == Counter(expected)  # every report once, none lost
            # Each report answered once: the held answer (the killed poller's) is not repeated.
            assert bot.replies(43, "Received.") == 2
            assert bot.replies(42, "Received.") == 5
            assert bot.handed[held_update] == 1  # recorded before its answer: never read again
            assert bot.replies(42, "You are registered as observer obs-ariha-5") == 1
            with bot.lock:
                to_42 = [m["text"] for m in bot.sent if m["chat_id"] == 42]
            assert any("does not report for idlib-maternity-hospital" in t for t in to_42), to_42


def test_the_intake_role_shows_its_telegram_poller_in_readyz(nats: NatsServer, tmp_path: Path) -> None:
    bot = BotUpdates()
    with http_peer(bot.answer) as api:
        settings = Settings(nats=nats.url, nats_prefix="tg", telegram_token=BOT, telegram_api=api.url,
                            telegram_codes=CODES, lease_s=1.0)  # fmt: skip
        with TestClient(create_app(settings, roles=frozenset({"intake"}))) as client:

            def telegram() -> dict[str, Any]:
                checks = client.get("/readyz").json()["checks"]
                return next(c for c in checks if c["name"] == "telegram")  # type: ignore[no-any-return]

            deadline = time.monotonic() + 20.0
            while not str(telegram()["state"]).startswith("polling"):  # the only replica: it takes the lease
                assert time.monotonic() < deadline, telegram()
                time.sleep(0.05)
            assert client.get("/readyz").status_code == 200
            client.app.state.service.telegram_poller.stop()  # type: ignore[attr-defined]
            answer = client.get("/readyz")
            check = next(c for c in answer.json()["checks"] if c["name"] == "telegram")
            assert answer.status_code == 503
            assert (check["ok"], check["reason"], check["state"]) == (
                False, "the Telegram poller has stopped", "stopped",
            )  # fmt: skip
            # The metrics say it too, for an alert rule.
            assert 'nadhir_worker_ready{worker="telegram"} 0.0' in client.get("/metrics").text


def test_two_pollers_overlapping_for_a_moment_let_one_chat_take_a_code(nats: NatsServer) -> None:
    # Two replicas' bots on one registry entry, as when a poller that lost its lease a moment ago still
    # handles the batch it had read while its successor handles the next: each gets one chat's
    # /register with the same code. The code's use is a conditional write: one chat is bound.
    names = ClusterNames("tgcode")
    bus = JetStreamBus.connect(nats.url)
    old, new = BotUpdates(), BotUpdates()
    got: list[Report] = []
    try:
        with http_peer(old.answer) as old_api, http_peer(new.answer) as new_api:
            bots = [TelegramIntake(api.url, BOT, CODES, KvRegistryStore(bus.kv(names.telegram)), got.append,
                                   poll_timeout_s=0) for api in (old_api, new_api)]  # fmt: skip
            # Both have read the registry (the successor when it took over; the other before) ...
            old.message(42, "/register K7Q2")
            new.message(77, "/register K7Q2")
            new.message(78, "/register Z9X1")
            assert bots[1].poll_once() == 2  # ... the successor's write lands first,
            assert bots[0].poll_once() == 1  # the old poller's is refused, merged, and finds the code used.
            for bot in bots:
                bot.close()
        assert new.replies(77, "Registered as observer obs-ariha-5") == 1
        assert old.replies(42, "That code is not valid or has already been used") == 1
        assert old.replies(42, "Registered") == 0
        stored = Registry(KvRegistryStore(bus.kv(names.telegram)))
        assert stored.observers == {77: "obs-ariha-5", 78: "obs-hmeimim-0"}
        assert stored.used_codes == {"K7Q2", "Z9X1"}
        assert got == []
    finally:
        bus.close()


class AwayStore:
    """A replica's registry entry whose writes fail while ``away`` is set (NATS gone from that replica
    just after it published a report, or the replica killed in that moment)."""

    def __init__(self, store: KvRegistryStore) -> None:
        self.store = store
        self.away = False

    def read(self) -> bytes | None:
        return self.store.read()

    def write(self, data: bytes) -> bool:
        if self.away:
            raise BusError("nats: connection closed")
        return self.store.write(data)


def test_a_report_published_but_not_recorded_is_stored_once_and_answered_once(nats: NatsServer) -> None:
    names = ClusterNames("tgrec")
    bus = JetStreamBus.connect(nats.url)
    names.ensure_streams(bus)  # the two-minute duplicate window
    sink = StreamSink(bus, names, [Partition(ALL, ())])
    telegram = BotUpdates()
    try:
        with http_peer(telegram.answer) as api:
            first_store = AwayStore(KvRegistryStore(bus.kv(names.telegram)))
            first = TelegramIntake(api.url, BOT, CODES, first_store, sink.submit, poll_timeout_s=0)
            telegram.message(42, "/register K7Q2")
            assert first.poll_once() == 1

            # The first poller publishes a report and its record does not land; a successor takes over
            # within the window, reads the update again, and JetStream drops the copy by its id.
            first_store.away = True
            telegram.message(42, "two jets over Ariha, heading north")
            with pytest.raises(BusError):
                first.poll_once()
            successor = TelegramIntake(api.url, BOT, CODES, KvRegistryStore(bus.kv(names.telegram)),
                                       sink.submit, poll_timeout_s=0)  # fmt: skip
            successor.resume()
            assert successor.poll_once() == 1
            assert sink.duplicates == 1  # read again, published again, stored once
            # The first poller, given the lease again, finds the update handled since: it drops its answer.
            first_store.away = False
            first.resume()
            assert first.registry.offset == successor.registry.offset

            # Its record fails again, and this time it is the one to poll again: it makes the record it
            # still holds, answers, and does not read the update again.
            first_store.away = True
            again = telegram.message(42, "helicopter east of Ariha")
            with pytest.raises(BusError):
                first.poll_once()
            first_store.away = False
            first.resume()
            assert first.poll_once() == 0
            for bot in (first, successor):
                bot.close()
        assert telegram.handed[again] == 1
        assert Counter(_published_reports(bus, names, ALL)) == Counter(
            {
                ("obs-ariha-5", "two jets over Ariha, heading north"): 1,
                ("obs-ariha-5", "helicopter east of Ariha"): 1,
            }
        )
        assert telegram.replies(42, "Received.") == 2  # one answer per report
    finally:
        bus.close()
