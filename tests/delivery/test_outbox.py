"""The durable outbox: store before send, backoff retries, idempotency, expiry, audit, crash and restart."""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from mqtt_kit import HOST, PORT, SirenProcess, Subscriber, require_mosquitto, unique, wait_for
from sqlalchemy.engine import make_url

from nadhir.alerting.cap import CapComposer, CapMessage, read_cap, validate
from nadhir.delivery.alarm_tests import plan_test_alarm
from nadhir.delivery.dispatcher import Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.router import AlertRouter, takeover_deliveries
from nadhir.delivery.siren_fleet import Siren, SirenFleet
from nadhir.delivery.states import Backoff, Delivery, NewDelivery, Outcome, alert_key
from nadhir.domain import Alert, Site
from nadhir.store import default_url
from nadhir_siren.protocol import SirenCommand, parse_line
from services import postgres_schema, require_service

PG_URL = os.environ.get("NADHIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = 1_746_155_144.0


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield default_url(tmp_path / "outbox.sqlite3")
        return
    url = make_url(PG_URL)
    require_service("postgresql", url.host or "127.0.0.1", url.port or 5432)
    with postgres_schema(url, "nadhir_outbox") as (_, schema_url):
        yield schema_url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(db_url: str, clock: Clock) -> Iterator[Outbox]:
    ob = Outbox.open(db_url, backoff=Backoff(initial_s=2.0, factor=2.0, max_s=10.0, jitter=0.0), clock=clock)
    try:
        yield ob
    finally:
        ob.close()


def alert(t: float = 0.0, action: str = "alert", level: str = "imminent", site: str = "idlib") -> Alert:
    return Alert(T0 + t, action, site, level, "jet", T0 + t + 300, 0.8, "T1")  # type: ignore[arg-type]


def delivery(
    key: str, channel: str = "sms", expires_in: float = 600.0, target: str = "+963000"
) -> NewDelivery:
    return NewDelivery(channel, target, key, f"payload of {key}", T0 + expires_in)


def events(ob: Outbox, key: str) -> list[str]:
    return [(a.event if a.event != "attempt" else f"attempt{a.attempt}") for a in ob.audit(key)]


# ---- the outbox on its own ------------------------------------------------------


def test_alert_is_stored_before_any_send_and_only_once(outbox: Outbox) -> None:
    a = alert()
    first = outbox.store_alert(a, [delivery("d1"), delivery("d2")], cap="<alert/>")
    again = outbox.store_alert(a, [delivery("d2"), delivery("d3")])
    assert first == again
    assert [d.key for d in outbox.deliveries()] == ["d1", "d2", "d3"]
    assert {d.state for d in outbox.deliveries()} == {"pending"}
    assert events(outbox, "d1") == ["stored"]
    assert alert_key(a) == alert_key(alert()) != alert_key(alert(1.0))
    with outbox.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*), max(cap) FROM outbox_alerts")).one() == (1, "<alert/>")


def test_retries_back_off_exponentially_until_acknowledged(outbox: Outbox, clock: Clock) -> None:
    outbox.add_deliveries([delivery("k")])
    times = []
    for _ in range(5):
        claimed = outbox.claim()
        assert [d.key for d in claimed] == ["k"]
        times.append(clock.t)
        assert outbox.claim() == []  # not due again before its backoff
        nxt = outbox.next_due()
        assert nxt is not None
        clock.t = nxt
    assert [round(b - a, 6) for a, b in itertools.pairwise(times)] == [2.0, 4.0, 8.0, 10.0]
    assert outbox.settle([Outcome("k", "acked", "200 OK")]) == 1
    clock.t += 100
    assert outbox.claim() == []
    assert outbox.deliveries()[0].state == "acked" and outbox.deliveries()[0].attempts == 5
    assert events(outbox, "k") == [
        "stored",
        "attempt1",
        "attempt2",
        "attempt3",
        "attempt4",
        "attempt5",
        "acked",
    ]
    # A late second acknowledgement changes nothing.
    assert outbox.settle([Outcome("k", "duplicate")]) == 0
    assert events(outbox, "k")[-1] == "acked"


def test_errors_failures_duplicates_and_expiry(outbox: Outbox, clock: Clock) -> None:
    outbox.add_deliveries([delivery("err"), delivery("fail"), delivery("dup"), delivery("old", expires_in=5)])
    assert {d.key for d in outbox.claim()} == {"err", "fail", "dup", "old"}
    outbox.settle([Outcome("err", "error", "HTTP 503"), Outcome("fail", "failed", "HTTP 400: bad number"),
                   Outcome("dup", "duplicate", "siren s1: dup")])  # fmt: skip
    clock.t += 3
    assert {d.key for d in outbox.claim()} == {"err", "old"}  # old has not expired yet at T0+3
    clock.t += 10
    assert [d.key for d in outbox.claim()] == ["err"]  # old expired: not sent any more
    states = {d.key: (d.state, d.last_error) for d in outbox.deliveries()}
    assert states == {
        "err": ("sent", "HTTP 503"),
        "fail": ("failed", "HTTP 400: bad number"),
        "dup": ("acked", None),
        "old": ("expired", "expired before delivery"),
    }
    assert events(outbox, "old") == ["stored", "attempt1", "attempt2", "expired"]
    assert events(outbox, "err") == ["stored", "attempt1", "error", "attempt2", "attempt3"]
    assert outbox.counts() == {"sent": 1, "failed": 1, "acked": 1, "expired": 1}
    assert outbox.open_count() == 1


def test_claims_are_batched_in_due_order(outbox: Outbox, clock: Clock) -> None:
    outbox.add_deliveries([delivery(f"k{i:03d}") for i in range(1200)])
    first = outbox.claim(limit=500)
    assert len(first) == 500 and first[0].key == "k000" and all(d.attempt == 1 for d in first)
    assert len(outbox.claim(limit=1000)) == 700
    assert outbox.claim() == []
    outbox.settle([Outcome(d.key, "acked") for d in first])
    assert outbox.counts() == {"acked": 500, "sent": 700}


class Recorder:
    """A channel that keeps what it was given (no network), answering per a rule."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.got: list[Delivery] = []

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        self.got.extend(batch)
        if self.answer is None:
            return []
        if self.answer == "raise":
            raise ConnectionError("gateway down")
        return [Outcome(d.key, self.answer) for d in batch]  # type: ignore[arg-type]


def test_dispatcher_routes_by_channel_and_keeps_a_window(outbox: Outbox, clock: Clock) -> None:
    outbox.add_deliveries([delivery("s1", "sms"), delivery("w1", "webhook"), delivery("x1", "pigeon"),
                           *[delivery(f"m{i}", "siren") for i in range(5)]])  # fmt: skip
    sms, hook, siren = Recorder("acked"), Recorder("raise"), Recorder(None)
    disp = Dispatcher(outbox, {"sms": sms, "webhook": hook, "siren": siren}, batch=10, window=5)
    assert disp.step() == 5  # s1, w1, m0, m1, m2; the answers known at once are settled next step
    assert disp.waiting == 5 and {d.state for d in outbox.deliveries()} == {"sent", "pending"}
    assert disp.step() == 2  # settles s1 (acked) and w1 (error); room for m3, m4
    states = {d.key: d.state for d in outbox.deliveries()}
    assert states["s1"] == "acked" and states["w1"] == "sent"
    assert states["x1"] == "pending"  # no such channel here: left for a process that has it
    assert disp.waiting == 5 and disp.step() == 0  # m0..m4 wait for acks: the window is full
    for d in siren.got:
        disp.acknowledge(Outcome(d.key, "acked"))
    assert disp.step() == 0 and disp.waiting == 0  # acks settled; nothing else due yet
    assert [d.key for d in siren.got] == [f"m{i}" for i in range(5)]
    clock.t += 2.0
    assert disp.step() == 1 and len(hook.got) == 2  # the webhook's retry
    disp.drain_acks()
    w1 = next(d for d in outbox.deliveries() if d.key == "w1")
    assert (w1.attempts, w1.last_error) == (2, "ConnectionError: gateway down")
    assert outbox.counts() == {"acked": 6, "pending": 1, "sent": 1}
    assert outbox.open_count(["sms", "webhook", "siren"]) == 1 and outbox.open_count() == 2
    assert [e.event for e in outbox.audit("w1")] == ["stored", "attempt", "error", "attempt", "error"]


def test_a_renewal_extends_only_the_claim_it_was_given(outbox: Outbox, clock: Clock) -> None:
    outbox.add_deliveries([delivery("r")])
    [first] = outbox.claim()  # attempt 1, due again at T0 + 2
    outbox.renew([first], T0 + 1)
    assert outbox.next_due() == T0 + 2  # a renewal never shortens a hold
    outbox.renew([first], T0 + 5)
    assert outbox.next_due() == T0 + 5
    clock.t = T0 + 5
    [second] = outbox.claim()  # the hold ran out: claimed again (attempt 2), due at T0 + 9
    assert second.attempt == 2
    # The first claim's worker, late, neither renews nor reschedules the second claim.
    outbox.renew([first], T0 + 60)
    outbox.mark_sent([(first, T0 + 5)])
    outbox.settle([Outcome("r", "error", "late")], known={"r": first})
    assert outbox.next_due() == T0 + 9
    outbox.renew([second], T0 + 30)
    assert outbox.next_due() == T0 + 30


class Stalled:
    """A channel whose send waits until it is let go (a partner that stalls), then answers acked."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.go = threading.Event()
        self.got: list[Delivery] = []

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        self.entered.set()
        self.go.wait(30)
        self.got.extend(batch)
        return [Outcome(d.key, "acked") for d in batch]


@pytest.fixture
def shared(db_url: str) -> Iterator[tuple[Outbox, Outbox]]:
    """Two workers' outboxes (real clock) on one database holding five webhooks; the backoff is 1 s."""
    a, b = (Outbox.open(db_url, backoff=Backoff(initial_s=1.0, jitter=0.0)) for _ in range(2))
    a.add_deliveries([NewDelivery("webhook", "p", f"w{i}", "{}", time.time() + 600) for i in range(5)])
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_a_batch_sent_for_longer_than_its_lease_is_not_claimed_by_another_worker(
    shared: tuple[Outbox, Outbox],
) -> None:
    ob_a, ob_b = shared
    slow, other = Stalled(), Recorder("acked")
    a, b = Dispatcher(ob_a, {"webhook": slow}), Dispatcher(ob_b, {"webhook": other})
    a.lease_first_s = 0.1  # recent batches were quick: the claim is held one backoff (1 s)
    sending = threading.Thread(target=a.step)
    sending.start()
    try:
        assert slow.entered.wait(10)
        time.sleep(2.5)  # the send outlasts the claim's first hold more than twice
        assert b.step() == 0  # still held: renewed while the batch is on its way
    finally:
        slow.go.set()
        sending.join(10)
    assert a.leases.renewals > 0
    assert a.step() == 0  # commits the answers
    assert ob_a.counts() == {"acked": 5}
    assert sorted(d.key for d in slow.got) == [f"w{i}" for i in range(5)] and other.got == []


def test_a_worker_that_cannot_commit_what_it_sent_keeps_the_batch_held(
    shared: tuple[Outbox, Outbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    ob_a, ob_b = shared
    sent, other = Recorder("acked"), Recorder("acked")
    a, b = Dispatcher(ob_a, {"webhook": sent}), Dispatcher(ob_b, {"webhook": other})
    a.lease_first_s = 0.1
    assert a.step() == 5
    cut = sa.exc.OperationalError("UPDATE", {}, ConnectionError("server closed the connection"))

    def refused(*_args: object, **_kwargs: object) -> list[Delivery]:
        raise cut

    with monkeypatch.context() as m:  # its connection is cut: the answers cannot be committed
        m.setattr(ob_a, "cycle", refused)
        for _ in range(5):
            with pytest.raises(sa.exc.OperationalError):
                a.step()
            time.sleep(0.5)
        assert b.step() == 0  # 2.5 s after the claim, still held by the worker that sent it
    assert a.step() == 0  # reconnected: the answers are committed
    assert ob_a.counts() == {"acked": 5}
    assert len(sent.got) == 5 and other.got == []
    # Held no longer than settle_s after the send: a worker that stays cut off gives it back.
    ob_a.add_deliveries([NewDelivery("webhook", "p", "late", "{}", time.time() + 600)])
    a.settle_s = 0.2
    assert a.step() == 1
    with monkeypatch.context() as m:
        m.setattr(ob_a, "cycle", refused)
        time.sleep(2.5)
    assert b.step() == 1 and [d.key for d in other.got] == ["late"]


# ---- routing alerts -------------------------------------------------------------------


SITES = [
    Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0, sirens=("s1", "s2")),
    Site("saraqeb", "Saraqeb", "town", 35.8622, 36.8006, 2000.0, sirens=("s3",)),
]


def test_levels_decide_the_channel() -> None:
    def people(a: Alert, s: Site, cap: bytes | None) -> list[NewDelivery]:
        assert cap is None
        return [NewDelivery("sms", "+963", f"sms-{alert_key(a)}", "text", a.t + 600)]

    router = AlertRouter(SITES, recipients=people)
    early = router.route(alert(0, "alert", "early"))
    assert [d.channel for d in early] == ["sms"]  # early: phones only
    imminent = router.route(alert(60, "update", "imminent"))
    assert [(d.channel, d.target) for d in imminent] == [("siren", "s1"), ("siren", "s2"), ("sms", "+963")]
    cmd = parse_line(imminent[0].payload)
    assert isinstance(cmd, SirenCommand) and cmd.pattern == "imminent" and cmd.key == imminent[0].key
    lowered = router.route(alert(200, "update", "early"))
    assert [parse_line(d.payload).encode().split()[2] for d in lowered if d.channel == "siren"] == [
        "p=stop"
    ] * 2
    again = router.route(alert(300, "update", "imminent"))
    clear = router.route(alert(600, "all_clear", "imminent"))
    assert (
        len(again) == 3
        and [parse_line(d.payload).encode().split()[2] for d in clear[:2]] == ["p=all_clear"] * 2
    )
    # An episode that never sounded the sirens ends without them.
    assert [d.channel for d in router.route(alert(0, "all_clear", "early", site="saraqeb"))] == ["sms"]
    with pytest.raises(ValueError, match="unknown site"):
        router.route(alert(0, site="atlantis"))


def test_a_silent_sirens_command_also_goes_to_its_substitute() -> None:
    fleet = SirenFleet([Siren("s1", "idlib", 35.930, 36.630), Siren("s2", "idlib", 35.935, 36.64),
                        Siren("s3", "saraqeb", 35.86, 36.80)], silent_after_s=10, max_takeover_m=25_000,
                       now=T0)  # fmt: skip
    fleet.heard("s2", T0 + 5)
    fleet.heard("s3", T0 + 5)
    router = AlertRouter(SITES, fleet=fleet, clock=lambda: T0 + 12)
    out = router.route(alert(12, "alert", "imminent"))
    assert [d.target for d in out] == ["s1", "s2"]  # s1 is silent, s2 (its substitute) sounds once
    # Later s1 and s2 are both silent: their commands go to s3 (17 km away), which sounds once.
    fleet.heard("s2", T0 + 30)
    fleet.heard("s3", T0 + 44)
    late = AlertRouter(SITES, fleet=fleet, clock=lambda: T0 + 45)
    out = late.route(alert(45, "alert", "imminent"))
    assert [d.target for d in out] == ["s1", "s3", "s2"]
    assert len({d.key for d in out}) == 3


# ---- out-of-range times and the clock of deliveries ----------------------------------------


@pytest.mark.parametrize(
    "eta", [253_402_300_799.0, 1e20, 1e308, math.inf, -1e20, math.nan],
    ids=["9999-12-31T23:59:59", "1e20", "1e308", "inf", "-1e20", "nan"],
)  # fmt: skip
def test_an_alert_whose_arrival_time_is_out_of_range_is_stored_with_its_deliveries(
    outbox: Outbox, eta: float
) -> None:
    # An arrival in year 9999 (or beyond what a date can hold) made CAP, text and the outbox's own
    # rows raise: the policy had opened the alert, and it was stored nowhere.
    router = AlertRouter(SITES, cap=CapComposer(SITES))
    bad = Alert(T0, "alert", "idlib", "imminent", "jet", eta, 0.9, "T1")
    plan = router.plan(bad)
    assert [d.target for d in plan.sirens] == ["s1", "s2"] and plan.cap is not None
    validate(plan.cap)
    onset = read_cap(plan.cap).infos[0].onset
    assert (onset is None) == math.isnan(eta)
    outbox.store_alert(bad, plan.deliveries, cap=plan.cap.decode())
    assert [d.target for d in outbox.deliveries(channel="siren")] == ["s1", "s2"]
    assert router.cap_failures == 0


def test_a_cap_or_people_failure_does_not_hold_back_the_sirens(caplog: pytest.LogCaptureFixture) -> None:
    def people(a: Alert, s: Site, cap: bytes | None) -> list[NewDelivery]:
        raise RuntimeError("gateway template broken")

    class BrokenCap(CapComposer):
        def compose(self, alert: Alert, *, seq: int | None = None) -> CapMessage:
            raise RuntimeError("composer broken")

    router = AlertRouter(SITES, recipients=people, cap=BrokenCap(SITES))
    with caplog.at_level(logging.ERROR):
        plan = router.plan(alert(0, "alert", "imminent"))
    assert [d.target for d in plan.sirens] == ["s1", "s2"] and plan.cap is None and plan.others == []
    assert router.cap_failures == 1 and router.recipient_failures == 1
    assert sum(r.levelno == logging.ERROR for r in caplog.records) == 2  # loud, both


def test_deliveries_keep_the_clock_they_are_given() -> None:
    # An alert on a simulated clock (the demo's, in May 2025) planned at wall time: the siren
    # command and the people deliveries are valid from the wall time, which sirens and the
    # dispatcher check them against; before, they had expired an hour before they were made.
    def people(a: Alert, s: Site, cap: bytes | None) -> list[NewDelivery]:
        return [NewDelivery("sms", "+963", "sms-1", "text", a.t + 600)]

    wall = T0 + 400 * 86_400.0
    router = AlertRouter(SITES, recipients=people)
    plan = router.plan(alert(0, "alert", "imminent"), at=wall)
    cmd = parse_line(plan.sirens[0].payload)
    assert isinstance(cmd, SirenCommand)
    assert cmd.issued == math.floor(wall) and cmd.expires == math.floor(wall) + 300
    assert plan.sirens[0].expires == cmd.expires
    assert [d.expires for d in plan.others] == [wall + 600]
    # Without a clock of their own, deliveries count from the alert's time, as before.
    same = AlertRouter(SITES, recipients=people).plan(alert(0, "alert", "imminent"))
    assert parse_line(same.sirens[0].payload).encode().endswith(f"t={int(T0)} x={int(T0) + 300}")


# ---- crash and restart against the real broker ------------------------------------------


def _worker(db: str, root: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "nadhir.service.commands.send_sirens", "--db", db,
         "--broker", f"{HOST}:{PORT}",
         "--topic-root", root, "--progress", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_crash_mid_send_loses_nothing_and_no_siren_sounds_twice(tmp_path: Path) -> None:
    require_mosquitto()
    root = unique("nadhir-crash") + "/sirens"
    db = default_url(tmp_path / "outbox.sqlite3")
    sirens = [SirenProcess(unique(f"s{i}"), root, tmp_path) for i in range(3)]
    watcher = Subscriber(f"{root}/#", tmp_path / "sub.log")
    try:
        for s in sirens:
            s.start()
        wait_for(lambda: all(any(x.startswith("ONLINE") for x in watcher.matching(f"{s.siren_id}/status"))
                             for s in sirens), 15, "sirens online")  # fmt: skip
        now = int(time.time())
        outbox = Outbox.open(db)
        expected: dict[str, set[str]] = {s.siren_id: set() for s in sirens}
        for i in range(20):
            items = []
            for s in sirens:
                cmd = SirenCommand(f"crash-{i:02d}-{s.siren_id[-4:]}", "test", 1, now, now + 600)
                items.append(NewDelivery("siren", s.siren_id, cmd.key, cmd.encode(), cmd.expires))
                expected[s.siren_id].add(cmd.key)
            outbox.store_alert(alert(float(i)), items)
        outbox.close()

        # First worker: slow, in batches of 10; killed with SIGKILL in the middle of a batch.
        first = _worker(db, root, "--batch", "10", "--max-rate", "20")
        assert first.stdout is not None
        sent_lines = []
        for line in first.stdout:
            if line.startswith("sent "):
                sent_lines.append(line.split()[1])
            if len(sent_lines) == 25:
                first.kill()
                break
        first.wait(10)
        assert first.returncode == -9

        outbox = Outbox.open(db)
        before = outbox.counts()
        assert before.get("pending", 0) + before.get("sent", 0) > 0 and sum(before.values()) == 60
        outbox.close()

        # Second worker: finishes the job and exits when nothing is left open.
        second = _worker(db, root, "--until-idle")
        out, _ = second.communicate(timeout=120)
        assert second.returncode == 0, out
        time.sleep(1.5)  # let the last patterns finish

        outbox = Outbox.open(db)
        assert outbox.counts() == {"acked": 60}, outbox.counts()
        audit = outbox.audit()
        by_key: dict[str, list[str]] = {}
        for entry in audit:
            by_key.setdefault(entry.key, []).append(entry.event)
        assert len(by_key) == 60
        for key, evs in by_key.items():
            assert evs[0] == "stored" and "attempt" in evs and evs[-1] in ("acked", "duplicate"), (key, evs)
        retried = [k for k, evs in by_key.items() if evs.count("attempt") > 1]
        assert retried, "the kill should have left claimed deliveries to retry"
        outbox.close()

        # At each siren: every command played exactly once, nothing lost, nothing twice.
        for s in sirens:
            keys = [k for _, k in s.plays()]
            dupes = [k for k, n in Counter(keys).items() if n > 1]
            assert not dupes, (s.siren_id, dupes)
            assert set(keys) == expected[s.siren_id], s.siren_id
        # The independent client saw every command on the wire; keys sent twice were answered "dup".
        cmds = Counter(parse_line(x).key for s in sirens for x in watcher.matching(f"{s.siren_id}/cmd"))  # type: ignore[union-attr]
        assert set(cmds) == set().union(*expected.values())
        acks = [x for s in sirens for x in watcher.matching(f"{s.siren_id}/ack")]
        for key, n in cmds.items():
            statuses = [a.split()[2] for a in acks if a.split()[1] == f"k={key}"]
            assert statuses.count("s=ok") == 1 and len(statuses) == n, (key, statuses)
    finally:
        for s in sirens:
            s.terminate()
        watcher.close()


def test_scheduled_and_announced_test_alarm(outbox: Outbox, clock: Clock) -> None:
    at = T0 + 3600
    plan = plan_test_alarm(SITES, at, duration_s=10, announce_to=[("telegram", "@nadhir_idlib")], now=T0)
    assert [(d.channel, d.target) for d in plan] == [
        ("siren", "s1"),
        ("siren", "s2"),
        ("siren", "s3"),
        ("telegram", "@nadhir_idlib"),
    ]
    cmd = parse_line(plan[0].payload)
    assert isinstance(cmd, SirenCommand) and (cmd.pattern, cmd.duration_s, cmd.issued) == (
        "test",
        10,
        int(at),
    )
    text = json.loads(plan[-1].payload)["text"]
    assert "تجربة صفارات الإنذار" in text and "siren TEST in Idlib, Saraqeb on 2025-05-02 07:05" in text
    assert outbox.add_deliveries(plan) == 4
    assert outbox.add_deliveries(plan_test_alarm(SITES, at, duration_s=10, now=T0)) == 0  # same test
    assert [d.key for d in outbox.claim()] == [plan[-1].key]  # the announcement goes out now
    outbox.settle([Outcome(plan[-1].key, "acked", "message 7")])
    clock.t = at - 1
    assert outbox.claim() == []  # the sirens wait for the hour
    clock.t = at
    assert sorted(d.target for d in outbox.claim()) == ["s1", "s2", "s3"]
    with pytest.raises(ValueError, match="past"):
        plan_test_alarm(SITES, T0 - 1, now=T0)
    with pytest.raises(ValueError, match="1 to 300"):
        plan_test_alarm(SITES, at, duration_s=0, now=T0)


def test_takeovers_of_a_silent_siren_go_through_the_outbox(outbox: Outbox, clock: Clock) -> None:
    fleet = SirenFleet([Siren("s1", "idlib", 35.930, 36.630), Siren("s2", "idlib", 35.935, 36.64)],
                       silent_after_s=10, now=T0)  # fmt: skip
    fleet.heard("s1", T0 + 1)
    fleet.heard("s2", T0 + 1)
    fleet.commanded("s1", SirenCommand("k-imm", "imminent", 180, int(T0), int(T0) + 300))
    fleet.heard("s2", T0 + 11)
    (notice,) = fleet.check(T0 + 12)
    planned = takeover_deliveries(notice)
    assert [(d.channel, d.target, d.key) for d in planned] == [("siren", "s2", "k-imm@s2")]
    assert outbox.add_deliveries(planned) == 1 and outbox.add_deliveries(planned) == 0
    cmd = parse_line(outbox.claim()[0].payload)
    assert isinstance(cmd, SirenCommand) and cmd.pattern == "imminent" and cmd.duration_s == 180 - 12
