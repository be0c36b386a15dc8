"""Idempotency keys derive from the alert's episode and its number in it, not from what a takeover
can change: an alert re-derived by another engine (its time moved by a tick, its track numbered
anew) has the keys already stored and played, so nothing is stored or sounded twice."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from mqtt_kit import HOST, PORT, SirenProcess, require_mosquitto, unique, wait_for

from nadhir.alerting.policy import AlertPolicy
from nadhir.delivery.channels.mqtt_sirens import SirenNetwork
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.router import AlertRouter
from nadhir.delivery.siren_fleet import Siren, SirenFleet
from nadhir.delivery.states import alert_key
from nadhir.delivery.subscriptions import _key as people_key
from nadhir.domain import Alert, Site, Threat
from nadhir.store import Store, default_url
from nadhir_siren.protocol import SirenAck, SirenCommand, parse_line

T0 = 1_746_155_144.0
TOWN = Site("town", "Town", "town", 35.9, 36.6, 2000.0, sirens=("s-1", "s-2"))
TICK = 5.0


def threat(p: float, eta: float, track: str = "T1") -> Threat:
    return Threat(site="town", track=track, aircraft="jet", probability=p, eta=eta, distance_m=10_000,
                  cue="circling", witnesses=frozenset({"obs-a", "obs-b"}))  # fmt: skip


# An episode: early, raised to imminent, an arrival update, then quiet until the all-clear.
STEPS: list[tuple[float, float | None]] = [(0.0, 0.5), (60.0, 0.9), (200.0, 0.9)] + [
    (t, None) for t in range(300, 1200, 5)
]


def run(policy: AlertPolicy, steps: list[tuple[float, float | None]], *, shift: float = 0.0,
        track: str = "T1") -> list[Alert]:  # fmt: skip
    out: list[Alert] = []
    for t, p in steps:
        at = T0 + t + shift
        # A strong threat is close in time (sirens); the third step's arrival moves (an update).
        eta = T0 + t + (400.0 if p is None or p < 0.9 else 150.0 if t < 200 else 30.0)
        threats = {} if p is None else {"town": threat(p, eta, track)}
        out.extend(policy.decide(at, threats))
    return out


def keys(router: AlertRouter, alerts: list[Alert]) -> list[list[str]]:
    return [[d.key for d in router.plan(a).deliveries] for a in alerts]


def test_the_policy_numbers_each_alert_in_its_episode() -> None:
    alerts = run(AlertPolicy([TOWN]), STEPS)
    assert [(a.action, a.level) for a in alerts] == [
        ("alert", "early"),
        ("update", "imminent"),
        ("update", "imminent"),
        ("all_clear", "imminent"),
    ]
    assert [a.seq for a in alerts] == [1, 2, 3, 4]
    assert {a.episode for a in alerts} == {T0}
    # The next episode at the site starts its own count.
    policy = AlertPolicy([TOWN])
    again = run(policy, STEPS) + run(policy, STEPS, shift=5000.0)
    assert [(a.episode, a.seq) for a in again[4:]] == [(T0 + 5000.0, n) for n in (1, 2, 3, 4)]


def test_an_alert_re_derived_after_a_takeover_keeps_its_keys() -> None:
    """The first engine sends the opening alert and dies; the next one re-derives the rest of the
    episode from the stream, its ticks on another grid (a tick later) and its track renamed."""
    first = run(AlertPolicy([TOWN]), STEPS)
    taker = AlertPolicy([TOWN])
    taker.decide(T0, {"town": threat(0.5, T0 + 400.0)})  # the opening alert, as in the snapshot
    again = run(taker, STEPS[1:], shift=TICK, track="T7")
    assert [a.t for a in again] != [a.t for a in first[1:]]  # really moved
    assert [alert_key(a) for a in again] == [alert_key(a) for a in first[1:]]
    r1, r2 = AlertRouter([TOWN]), AlertRouter([TOWN])
    assert keys(r2, [first[0], *again]) == keys(r1, first)
    assert all(keys(r1, first)[1:])  # sirens sounded (and heard the all-clear): keys were compared
    # People and partners: their keys derive from the alert's.
    assert people_key("sms", again[0], "+963") == people_key("sms", first[1], "+963")


def test_a_different_decision_at_the_same_place_in_the_episode_is_a_new_message() -> None:
    [a] = AlertPolicy([TOWN]).decide(T0, {"town": threat(0.9, T0 + 120.0)})
    assert a.level == "imminent"
    early = replace(a, level="early")
    assert alert_key(early) != alert_key(a)
    assert keys(AlertRouter([TOWN]), [a]) != [[]]


def test_the_outbox_stores_a_re_derived_alert_once(tmp_path: Path) -> None:
    first = run(AlertPolicy([TOWN]), STEPS)
    taker = AlertPolicy([TOWN])
    taker.decide(T0, {"town": threat(0.5, T0 + 400.0)})
    again = run(taker, STEPS[1:], shift=TICK, track="T7")
    outbox = Outbox.open(default_url(tmp_path / "o.sqlite3"))
    try:
        r1, r2 = AlertRouter([TOWN]), AlertRouter([TOWN])
        for a in first:
            outbox.store_alert(a, r1.plan(a).deliveries)
        stored = len(outbox.deliveries())
        r2.plan(first[0])
        for a in again:
            outbox.store_alert(a, r2.plan(a).deliveries)
        assert stored > 0 and len(outbox.deliveries()) == stored
    finally:
        outbox.close()


def test_an_episode_restored_from_the_store_numbers_on(tmp_path: Path) -> None:
    """A restart restores the open episode from the store: its next alert is a new number (new keys,
    never mistaken for one already sent), the same number an uninterrupted engine gives it."""
    whole = run(AlertPolicy([TOWN]), STEPS)
    store = Store.open(default_url(tmp_path / "s.sqlite3"))
    try:
        run_id = store.start_run("svc", None, [TOWN], started_at=T0)
        store.add_alerts(run_id, whole[:2])
        [ep] = store.open_episodes([run_id])
        assert ep.alerts == 2
        policy = AlertPolicy([TOWN])
        policy.restore(T0 + 60.0 + TICK, ep.site, ep.level, ep.started, ep.eta, ep.threat, ep.track,
                       ep.confidence, ep.sirens, sent=ep.alerts)  # fmt: skip
        rest = run(policy, STEPS[3:], shift=TICK)
    finally:
        store.close()
    assert [(a.action, a.seq) for a in rest] == [("update", 3), ("all_clear", 4)]
    assert [alert_key(a) for a in rest] == [alert_key(a) for a in whole[2:]]
    assert not {alert_key(a) for a in rest} & {alert_key(a) for a in whole[:2]}


def test_a_siren_recognises_the_command_of_a_re_derived_alert(tmp_path: Path) -> None:
    """Both engines' commands reach a real siren (the siren program, on Mosquitto): the second, for
    the re-derived alert, carries the first one's key, so the siren answers ``dup`` and plays once."""
    require_mosquitto()
    root = f"{unique('keys')}/sirens"
    siren = SirenProcess("s-1", root, tmp_path, heartbeat=0.3).start()
    fleet = SirenFleet([Siren("s-1", "town", 35.9, 36.6)])
    acks: list[tuple[str, SirenAck]] = []
    net = SirenNetwork(HOST, PORT, fleet, root=root, on_ack=lambda s, ack: acks.append((s, ack)))
    try:
        net.start()
        wait_for(lambda: fleet.last_heard("s-1") is not None, 15, "the siren to be heard")
        first = run(AlertPolicy([TOWN]), STEPS)
        taker = AlertPolicy([TOWN])
        taker.decide(T0, {"town": threat(0.5, T0 + 400.0)})
        again = run(taker, STEPS[1:], shift=TICK, track="T7")
        now = time.time()
        r1, r2 = AlertRouter([TOWN]), AlertRouter([TOWN])
        r2.plan(first[0], at=now)
        sent = [r1.plan(first[0], at=now), r1.plan(first[1], at=now)][1].sirens[0]
        resent = r2.plan(again[0], at=now + TICK).sirens[0]
        assert resent.key == sent.key and resent.payload != sent.payload  # same key, issued a tick later
        for d in (sent, resent):
            cmd = parse_line(d.payload)
            assert isinstance(cmd, SirenCommand)
            net.send("s-1", cmd, d.payload)
        wait_for(lambda: [a.status for _, a in acks if a.key == sent.key] == ["ok", "dup"], 10, "ok then dup")
        assert [k for _, k in siren.plays()] == [sent.key]
    finally:
        net.stop()
        siren.kill()
