"""A real warning always wins over a siren test: on the siren (a test never cuts a real pattern), and in
the dispatcher (a test command for a site under alert is cancelled, with the reason, not sent)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from nadhir.delivery.alarm_tests import TestsUnderAlert, plan_test_alarm
from nadhir.delivery.dispatcher import ACK_OUTCOMES, Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import Delivery, NewDelivery, Outcome
from nadhir.domain import Site
from nadhir_siren.controller import SirenController
from nadhir_siren.outputs import Output, Sounder
from nadhir_siren.protocol import SirenAck, SirenCommand, parse_line

SITES = [
    Site("saraqeb", "Saraqeb", "town", 35.86, 36.80, 2000.0, sirens=("sq-1", "both")),
    Site("binnish", "Binnish", "town", 35.95, 36.71, 2000.0, sirens=("bn-1", "both")),
]


class Recorder(Output):
    """An output that notes what it played and plays until told to stop or its time is up."""

    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        self.played.append(command.pattern)
        stop.wait(command.duration_s)


def _cmd(key: str, pattern: str, duration: int = 30) -> SirenCommand:
    now = int(time.time())
    return SirenCommand(key, pattern, duration, now, now + 300)  # type: ignore[arg-type]


def test_a_test_never_cuts_a_real_pattern_and_a_real_pattern_always_cuts_a_test() -> None:
    out = Recorder()
    sounder = Sounder([out])
    try:
        for real in ("imminent", "alert", "all_clear"):
            assert sounder.start(_cmd(f"{real}-1", real))
            assert not sounder.start(_cmd(f"test-{real}", "test"))  # the warning goes on
            assert sounder.state == real
        assert sounder.start(_cmd("stop-1", "stop", 0)) and sounder.state == "idle"
        assert sounder.start(_cmd("test-2", "test"))
        assert sounder.state == "test"
        assert sounder.start(_cmd("imminent-2", "imminent"))  # the test is cut at once
        assert sounder.state == "imminent"
        time.sleep(0.1)
        assert out.played == ["imminent", "alert", "all_clear", "test", "imminent"]
    finally:
        sounder.stop()


def test_the_siren_acks_a_test_it_skips_and_never_plays_it_later(tmp_path: Path) -> None:
    out = Recorder()
    # Not connected to any broker: acks are queued by the client, and read here from what it publishes.
    siren = SirenController("sq-1", "127.0.0.1", 9, [out], keys_path=tmp_path / "keys")
    acks: list[SirenAck] = []
    siren._ack = lambda key, status, detail=None: acks.append(SirenAck(key, status, 0, detail))  # type: ignore[method-assign]
    try:
        assert siren.handle(_cmd("alert-1", "imminent", 1)) == "ok"
        test = _cmd("test-20261207T100000Z-abc-sq-1", "test", 2)
        assert siren.handle(test) == "skipped"
        assert acks[-1] == SirenAck(test.key, "skipped", 0, "imminent_playing")
        siren.sounder.wait(5)
        assert siren.handle(test) == "dup"  # after the warning: still not played, it was for its hour
        assert out.played == ["imminent"]
        assert parse_line(SirenAck(test.key, "skipped", 5, "imminent_playing").encode()) == SirenAck(
            test.key, "skipped", 5, "imminent_playing"
        )
        assert ACK_OUTCOMES["skipped"] == "cancelled"
    finally:
        siren.sounder.stop()
        siren.keys.close()


class Sent:
    """A siren channel that records what it was asked to send and answers nothing (acks come later)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        self.keys.extend(d.key for d in batch)
        return []


def test_the_dispatcher_cancels_a_test_at_a_site_under_alert_and_sends_the_rest(tmp_path: Path) -> None:
    outbox = Outbox.open(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    try:
        now = time.time()
        planned = plan_test_alarm(SITES, now, duration_s=5, now=now)
        alert = SirenCommand("alert-sq", "imminent", 180, int(now), int(now) + 300)
        outbox.add_deliveries([*planned, NewDelivery("siren", "sq-1", alert.key, alert.encode(), now + 300)])
        alerts_open = {"saraqeb": "imminent"}
        rule = TestsUnderAlert(SITES, lambda: alerts_open)
        channel = Sent()
        dispatcher = Dispatcher(outbox, {"siren": channel}, screen=rule.reason)
        dispatcher.step()
        dispatcher.drain_acks()
        by_target = {d.target: d for d in outbox.deliveries(channel="siren") if d.key.startswith("test-")}
        # Saraqeb's own siren and the one it shares with Binnish: not sounded, and why.
        for siren in ("sq-1", "both"):
            assert by_target[siren].state == "cancelled"
            assert (
                by_target[siren].last_error == "test not sounded: a real alert is open at saraqeb (imminent)"
            )
            assert [e.event for e in outbox.audit(by_target[siren].key)] == ["stored", "attempt", "cancelled"]
        # Binnish's own siren tests as planned; the warning itself is never held back.
        assert set(channel.keys) == {by_target["bn-1"].key, "alert-sq"}
        assert rule.reason(_delivery("bn-1", _cmd("t", "test").encode())) is None
        alerts_open.clear()
        assert rule.reason(_delivery("sq-1", _cmd("t", "test").encode())) is None
    finally:
        outbox.close()


def test_a_screen_that_breaks_holds_back_nothing(tmp_path: Path) -> None:
    outbox = Outbox.open(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    try:
        now = time.time()
        alert = SirenCommand("alert-sq", "imminent", 180, int(now), int(now) + 300)
        outbox.add_deliveries([NewDelivery("siren", "sq-1", alert.key, alert.encode(), now + 300)])

        def broken(_: Delivery) -> str | None:
            raise RuntimeError("screen broken by the test")

        channel = Sent()
        Dispatcher(outbox, {"siren": channel}, screen=broken).step()
        assert channel.keys == ["alert-sq"]
    finally:
        outbox.close()


def _delivery(target: str, payload: str) -> Delivery:
    return Delivery(1, "k", "siren", target, payload, 1, time.time() + 60)
