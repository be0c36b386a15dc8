"""Sirens: the line protocol, the fleet's silence detection, outputs, and end to end against Mosquitto."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from mqtt_kit import HOST, PORT, CuttableProxy, SirenProcess, Subscriber, require_mosquitto, unique, wait_for

from nadhir.delivery.channels.mqtt_sirens import SirenNetwork
from nadhir.delivery.siren_fleet import (
    Siren,
    SirenFleet,
    command_for,
    command_key,
    pattern_for,
    sirens_for_sites,
)
from nadhir.domain import Alert, Site
from nadhir_siren.outputs import AudioOutput, RelayOutput, pattern_wave
from nadhir_siren.protocol import (
    Heartbeat,
    LineError,
    SirenAck,
    SirenCommand,
    SirenStatus,
    SirenTopics,
    parse_broker,
    parse_line,
    split_topic,
)

T0 = 1_746_155_144.0

# ---- line protocol ----------------------------------------------------------


def test_lines_round_trip() -> None:
    lines = [
        SirenCommand("k-1", "imminent", 180, 1746155144, 1746155444),
        SirenAck("k-1", "ok", 1746155145),
        SirenAck("k-2", "bad", 1746155145, "unknown_pattern"),
        Heartbeat(7, 1746155146, "idle", 3600),
        SirenStatus(True, 1746155100),
        SirenStatus(False),
    ]
    for line in lines:
        text = line.encode()
        assert text.isascii() and len(text) < 256
        assert parse_line(text) == line
        assert parse_line(text.encode() + b"\n") == line
    assert lines[0].encode() == "CMD k=k-1 p=imminent d=180 t=1746155144 x=1746155444"
    # Unknown fields are ignored (newer servers may add some).
    assert parse_line("CMD k=a p=test d=5 t=1 x=9 prio=high") == SirenCommand("a", "test", 5, 1, 9)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "empty"),
        ("FOO k=1", "unknown line type"),
        ("CMD p=test d=5 t=1 x=9", "needs k="),
        ("CMD k=a p=boom d=5 t=1 x=9", "unknown pattern"),
        ("CMD k=a p=test d=five t=1 x=9", "not an integer"),
        ("CMD k=a p=test d=5 t=1", "without x="),
        ("CMD k=a p=test d=99999 t=1 x=9", "out of range"),
        ("CMD k=a p=test d=5 t=10 x=9", "expires before"),
        ("CMD k=a/b p=test d=5 t=1 x=9", "bad command key"),
        ("CMD k=a p=test d=5 t=1 x", "name=value"),
        ("ACK k=a s=maybe t=1", "unknown ack status"),
        ("CMD " + "k=a " * 80, "longer than"),
    ],
)
def test_bad_lines_say_why(line: str, says: str) -> None:
    with pytest.raises(LineError, match=says):
        parse_line(line)
    with pytest.raises(LineError, match="ASCII"):
        parse_line("CMD k=ب".encode())


def test_topics() -> None:
    t = SirenTopics("nadhir/sirens", "siren-idlib-1")
    assert (t.cmd, t.ack, t.heartbeat, t.status) == (
        "nadhir/sirens/siren-idlib-1/cmd",
        "nadhir/sirens/siren-idlib-1/ack",
        "nadhir/sirens/siren-idlib-1/heartbeat",
        "nadhir/sirens/siren-idlib-1/status",
    )
    assert split_topic("nadhir/sirens", t.ack) == ("siren-idlib-1", "ack")
    assert split_topic("nadhir/sirens", "nadhir/other/x/ack") is None
    assert split_topic("nadhir/sirens", "nadhir/sirens/x/y/z") is None
    assert parse_broker("10.0.0.5:1884") == ("10.0.0.5", 1884)
    assert parse_broker("broker.local") == ("broker.local", 1883)
    with pytest.raises(ValueError, match="host:port"):
        parse_broker("host:99999")
    with pytest.raises(ValueError, match="bad siren id"):
        sirens_for_sites([Site("x", "X", "town", 0, 0, 1, sirens=("a/b",))])


def test_alerts_to_commands() -> None:
    imminent = Alert(T0, "update", "idlib", "imminent", "jet", T0 + 400, 0.8, "T1")
    early = Alert(T0, "alert", "idlib", "early", "jet", T0 + 900, 0.5, "T1")
    clear = Alert(T0 + 900, "all_clear", "idlib", "imminent", "jet", None, 0.1, "T1")
    assert pattern_for(imminent, False) == "imminent"
    assert pattern_for(early, False) is None  # early goes to phones, not sirens
    assert pattern_for(early, True) == "stop"  # a downgrade silences the wail
    assert pattern_for(clear, True) == "all_clear" and pattern_for(clear, False) is None
    cmd = command_for(imminent, "s1", "imminent")
    assert cmd.duration_s == 460 and cmd.issued == int(T0) and cmd.expires == int(T0) + 300
    assert cmd.key == command_key(imminent, "s1") == command_for(imminent, "s1", "imminent").key
    assert command_key(imminent, "s2") != cmd.key and command_key(clear, "s1") != cmd.key


# ---- the fleet ---------------------------------------------------------------


def fleet_of_three(now: float) -> SirenFleet:
    sirens = [
        Siren("a", "idlib", 35.930, 36.630),
        Siren("b", "idlib", 35.935, 36.640),  # ~1 km from a
        Siren("c", "saraqeb", 35.862, 36.800),  # ~17 km away
    ]
    return SirenFleet(sirens, silent_after_s=10.0, max_takeover_m=15_000.0, now=now)


def test_silent_siren_is_noticed_and_the_nearest_takes_over() -> None:
    fleet = fleet_of_three(0.0)
    for s in "abc":
        fleet.heard(s, 1.0)
    cmd = SirenCommand("k1", "imminent", 120, 5, 300)
    fleet.commanded("a", cmd)
    assert fleet.check(10.0) == []
    fleet.heard("b", 9.0)
    fleet.heard("c", 9.0)
    notices = fleet.check(12.0)
    assert [(n.kind, n.siren, n.substitute) for n in notices] == [("silent", "a", "b")]
    ((target, takeover),) = notices[0].takeovers
    assert target == "b" and takeover.key == "k1@b" and takeover.pattern == "imminent"
    assert takeover.duration_s == 5 + 120 - 12
    assert "a (idlib) silent for 11 s; b takes over" in notices[0].message()
    assert json.loads(notices[0].to_json())["takeovers"][0]["command"].startswith("CMD k=k1@b ")
    assert fleet.check(13.0) == []  # noticed once
    assert fleet.targets("a", 13.0) == ["a", "b"]
    fleet.heard("a", 14.0)
    assert [(n.kind, n.siren) for n in fleet.check(14.5)] == [("recovered", "a")]
    assert fleet.targets("a", 14.5) == ["a"]


def test_last_will_makes_a_siren_silent_at_once_and_far_sirens_do_not_take_over() -> None:
    fleet = fleet_of_three(0.0)
    for s in "abc":
        fleet.heard(s, 1.0)
    fleet.offline("c")
    (notice,) = fleet.check(2.0)
    assert notice.siren == "c" and notice.substitute is None  # a and b are 17 km away
    assert "no other siren in reach" in notice.message()


def test_never_heard_sirens_fall_silent_after_the_grace_time() -> None:
    fleet = fleet_of_three(100.0)
    assert fleet.check(105.0) == []
    assert sorted(n.siren for n in fleet.check(111.0)) == ["a", "b", "c"]
    assert fleet.substitute("a", 111.0) is None


def test_expired_and_stopped_commands_are_not_taken_over() -> None:
    fleet = fleet_of_three(0.0)
    for s in "ab":
        fleet.heard(s, 1.0)
    fleet.commanded("a", SirenCommand("short", "test", 2, 1, 60))
    fleet.commanded("a", SirenCommand("long", "alert", 100, 1, 60))
    fleet.commanded("a", SirenCommand("halt", "stop", 0, 3, 60))
    fleet.heard("b", 11.0)
    (notice,) = [n for n in fleet.check(12.0) if n.siren == "a"]
    assert notice.takeovers == ()


# ---- outputs -------------------------------------------------------------------


def test_relay_output_follows_the_cadence(tmp_path: Path) -> None:
    log = tmp_path / "relay.log"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'#!/bin/sh\necho "$1 $NADHIR_SIREN_PATTERN $NADHIR_SIREN_KEY" >> {log}\n')
    hook.chmod(0o755)
    relay = RelayOutput(str(hook))
    relay.play(SirenCommand("k", "imminent", 2, 0, 0), threading.Event())
    states = log.read_text().split("\n")[:-1]
    assert states[0] == "on imminent k" and states[-1] == "off imminent k"
    assert states.count("on imminent k") == 2  # 1 s on, 0.5 s off, within 2 s
    log.unlink()
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    relay.play(SirenCommand("k2", "all_clear", 30, 0, 0), stop)
    assert log.read_text().split("\n")[:-1] == ["on all_clear k2", "off all_clear k2"]
    templ = RelayOutput("echo gpiochip0 17={value}")  # as for: gpioset gpiochip0 17={value}
    assert templ._argv(True) == ["echo", "gpiochip0", "17=1"]
    assert templ._argv(False) == ["echo", "gpiochip0", "17=0"]
    with pytest.raises(ValueError, match="not found"):
        RelayOutput("/nonexistent/relay-hook")
    with pytest.raises(ValueError, match="not found"):
        AudioOutput("no-such-player {file}", cache_dir=tmp_path / "c")


def test_audio_output_writes_tones_and_runs_the_player(tmp_path: Path) -> None:
    for pattern, seconds in (("alert", 8.0), ("imminent", 1.5), ("all_clear", 1.0), ("test", 4.0)):
        samples = pattern_wave(pattern)  # type: ignore[arg-type]
        assert len(samples) == int(16000 * seconds) and max(samples) > 20000
    copy = tmp_path / "played.wav"
    # The player is looped and cut when the duration ends: copy then rename, so no cut copy shows.
    player = f"sh -c 'cp \"$0\" {copy}.part && mv {copy}.part {copy}' {{file}}"
    audio = AudioOutput(player, cache_dir=tmp_path / "cache")
    audio.play(SirenCommand("k", "test", 1, 0, 0), threading.Event())
    with wave.open(str(copy)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (16000, 1, 64000)


# ---- end to end against the real broker ------------------------------------------------


@pytest.fixture
def mqtt_root() -> str:
    require_mosquitto()
    return unique("nadhir-test") + "/sirens"


@pytest.fixture
def sirens(tmp_path: Path, mqtt_root: str) -> Iterator[dict[str, SirenProcess]]:
    procs = {
        name: SirenProcess(unique(name), mqtt_root, tmp_path)
        for name in ("near", "nearer", "far")
    }  # fmt: skip
    yield procs
    for proc in procs.values():
        proc.terminate()


def test_sirens_end_to_end_against_mosquitto(tmp_path: Path, mqtt_root: str,
                                             sirens: dict[str, SirenProcess]) -> None:  # fmt: skip
    notice_topic = mqtt_root.replace("/sirens", "/notices")
    watcher = Subscriber(f"{mqtt_root.split('/')[0]}/#", tmp_path / "sub.log")
    a, b, c = sirens["near"], sirens["nearer"], sirens["far"]
    fleet = SirenFleet(
        [Siren(a.siren_id, "idlib", 35.930, 36.630), Siren(b.siren_id, "idlib", 35.935, 36.640),
         Siren(c.siren_id, "saraqeb", 35.862, 36.800)],
        silent_after_s=2.0,
    )  # fmt: skip
    acks: list[tuple[str, SirenAck]] = []
    notices = []
    net = SirenNetwork(HOST, PORT, fleet, root=mqtt_root, notice_topic=notice_topic,
                       on_ack=lambda s, ack: acks.append((s, ack)), on_notice=notices.append,
                       check_every_s=0.2)  # fmt: skip
    try:
        for proc in (a, b, c):
            proc.start()
        net.start()
        wait_for(lambda: all(fleet.last_heard(p.siren_id) is not None and
                             len(watcher.matching(f"{p.siren_id}/heartbeat")) >= 2 for p in (a, b, c)),
                 15, "the server and the watcher to hear all three sirens")  # fmt: skip
        now = int(time.time())

        # A command sounds once; the same key again is acknowledged as a duplicate and stays silent.
        cmd = SirenCommand("e2e-1", "test", 1, now, now + 60)
        net.sound(a.siren_id, cmd)
        wait_for(lambda: ("test", "e2e-1") in a.plays(), 10, "siren a to play e2e-1")
        net.send(a.siren_id, cmd)
        wait_for(lambda: [k.status for s, k in acks if k.key == "e2e-1"] == ["ok", "dup"], 10, "ok then dup")
        stale = SirenCommand("e2e-old", "test", 1, now - 600, now - 300)
        net.send(a.siren_id, stale)
        wait_for(
            lambda: any(k.key == "e2e-old" and k.status == "expired" for _, k in acks), 10, "expired ack"
        )

        # The independent client saw the command go out at QoS 1 and both answers come back.
        line = f"CMD k=e2e-1 p=test d=1 t={now} x={now + 60}"
        wait_for(
            lambda: line in watcher.matching(f"{a.siren_id}/cmd"), 10, "the command seen by mosquitto_sub"
        )
        wait_for(lambda: [x.split()[2] for x in watcher.matching(f"{a.siren_id}/ack") if "k=e2e-1" in x]
                 == ["s=ok", "s=dup"], 10, "both answers seen by mosquitto_sub")  # fmt: skip
        assert any(x.startswith("ONLINE") for x in watcher.matching(f"{b.siren_id}/status"))

        # Siren b is playing a long alert when it dies: the broker sends its last will, operators
        # are told, and the nearest live siren (a) plays what remains of b's alert.
        net.sound(b.siren_id, SirenCommand("e2e-long", "alert", 30, now, now + 60))
        wait_for(lambda: ("alert", "e2e-long") in b.plays(), 10, "siren b to start e2e-long")
        seen = len(notices)  # (a siren slow to start may already have had a notice)
        b.kill()
        wait_for(lambda: "OFFLINE" in watcher.matching(f"{b.siren_id}/status"), 10, "b's last will")
        wait_for(
            lambda: any(n.siren == b.siren_id and n.kind == "silent" for n in notices[seen:]), 10, "notice"
        )
        notice = next(n for n in notices[seen:] if n.siren == b.siren_id)
        assert notice.substitute == a.siren_id
        wait_for(lambda: ("alert", "e2e-long@" + a.siren_id) in a.plays(), 10, "a to take over")

        def operators_told() -> bool:
            published = [json.loads(x) for x in watcher.matching("/notices")]
            return any(p["siren"] == b.siren_id and p["kind"] == "silent" and p["substitute"] == a.siren_id
                       and p["last_heard"] is not None for p in published)  # fmt: skip

        wait_for(operators_told, 10, "the notice on the operators' topic")
        # A new command for the silent siren goes to its substitute too.
        assert net.sound(b.siren_id, SirenCommand("e2e-3", "test", 1, now, now + 60)) == [
            b.siren_id,
            a.siren_id,
        ]

        # Siren c is killed, a command is queued for it at the broker, and it comes back with the
        # same keys file: it plays the queued command once and refuses the replay of an old one.
        c_cmd = SirenCommand("e2e-c1", "test", 1, now, now + 120)
        net.send(c.siren_id, c_cmd)
        wait_for(lambda: ("test", "e2e-c1") in c.plays(), 10, "c to play e2e-c1")
        c.kill()
        queued = SirenCommand("e2e-c2", "test", 1, now, now + 120)
        net.send(c.siren_id, queued)
        net.send(c.siren_id, c_cmd)
        time.sleep(0.5)
        assert ("test", "e2e-c2") not in c.plays()
        c.start()
        wait_for(lambda: ("test", "e2e-c2") in c.plays(), 15, "c to play the queued command after restart")
        wait_for(lambda: any(k.key == "e2e-c1" and k.status == "dup" for s, k in acks if s == c.siren_id),
                 10, "dup for the replayed key")  # fmt: skip
        wait_for(lambda: any(n.siren == c.siren_id and n.kind == "recovered" for n in notices)
                 or fleet.live(c.siren_id, time.time()), 10, "c heard again")  # fmt: skip

        # Whatever happened, no siren ever played a key twice.
        time.sleep(1.2)
        for proc in (a, b, c):
            keys = [k for _, k in proc.plays()]
            assert len(keys) == len(set(keys)), (proc.siren_id, keys)
        assert c.plays() == [("test", "e2e-c1"), ("test", "e2e-c2")]
    finally:
        net.stop()
        watcher.close()


def _publish(topic: str, line: str) -> None:
    subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-q", "1", "-t", topic, "-m", line],
                   check=True, timeout=10)  # fmt: skip


def test_siren_keeps_working_through_a_lost_connection(tmp_path: Path, mqtt_root: str) -> None:
    proxy = CuttableProxy()
    siren = SirenProcess(unique("flaky"), mqtt_root, tmp_path, port=proxy.port)
    watcher = Subscriber(f"{mqtt_root}/#", tmp_path / "sub.log")
    topics = SirenTopics(mqtt_root, siren.siren_id)
    try:
        siren.start()
        wait_for(lambda: any(x.startswith("ONLINE") for x in watcher.matching("/status")), 15, "ONLINE")
        now = int(time.time())
        _publish(topics.cmd, SirenCommand("net-1", "test", 1, now, now + 120).encode())
        wait_for(lambda: ("test", "net-1") in siren.plays(), 10, "the first command")

        proxy.cut()  # the network goes down: the broker publishes the siren's last will
        wait_for(lambda: "OFFLINE" in watcher.matching("/status"), 10, "the last will")
        _publish(topics.cmd, SirenCommand("net-2", "test", 1, now, now + 120).encode())  # kept by the broker
        time.sleep(1.0)
        assert ("test", "net-2") not in siren.plays()

        proxy.restore()  # the controller reconnects by itself and gets what was sent meanwhile
        wait_for(lambda: ("test", "net-2") in siren.plays(), 20, "the command sent while away")
        wait_for(lambda: watcher.matching("/status")[-1].startswith("ONLINE"), 10, "ONLINE again")
        assert siren.plays() == [("test", "net-1"), ("test", "net-2")]
        assert siren.proc is not None and siren.proc.poll() is None  # the same process all along
        assert "lost the broker" in siren.stderr()
    finally:
        siren.terminate()
        watcher.close()
        proxy.close()


# The device program, and the product's ``nadhir siren``, which hands the process over to it.
LAUNCHERS = {
    "nadhir-siren": [sys.executable, "-m", "nadhir_siren"],
    "nadhir siren": [sys.executable, "-c", "from nadhir.service.cli import main; main()", "siren"],
}


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_siren_program_refuses_bad_options(tmp_path: Path, launcher: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*LAUNCHERS[launcher], *args], capture_output=True, text=True, timeout=60)

    usage = run("--help")
    assert usage.returncode == 0 and "--gpio-command" in usage.stdout and "--keys-file" in usage.stdout

    nothing = run("--id", "s1")
    assert nothing.returncode == 2 and "--gpio-command and/or --audio" in nothing.stderr
    hook = run("--id", "s1", "--gpio-command", str(tmp_path / "missing.sh"))
    assert hook.returncode == 2 and "not found" in hook.stderr
    bad_id = run("--id", "a/b", "--gpio-command", "true")
    assert bad_id.returncode == 2 and "bad siren id" in bad_id.stderr
    broker = run("--id", "s1", "--gpio-command", "true", "--broker", "host:notaport")
    assert broker.returncode == 2 and "host:port" in broker.stderr
