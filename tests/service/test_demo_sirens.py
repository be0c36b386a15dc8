"""``nadhir serve --demo --sirens HOST:PORT`` sounds real sirens.

The demo's alerts carry the scenario's time (the scaled clock starts in May 2025 and runs 300 times
fast); siren commands and their expiry must be in wall time, which sirens and the dispatcher keep.
A Mosquitto of the test's own on a free port, real ``nadhir siren`` processes, the real command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from nadhir.delivery.outbox import Outbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))  # the MQTT test kit lives there
from mqtt_kit import LocalBroker, SirenProcess, wait_for
from service_helpers import interrupt

# Sites whose sirens sound in the first simulated hour of the bundled scenario (dana from 03:19).
SIRENS = ("siren-dana-1", "siren-binnish-1", "siren-sarmada-1")


def test_demo_sirens_sound_and_none_expires_before_delivery(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path)
    sirens = [SirenProcess(s, "nadhir/sirens", tmp_path, port=broker.port).start() for s in SIRENS]
    db = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    out = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-c", "from nadhir.service.cli import main; main()", "serve", "--demo",
         "--port", "0", "--speed", "300", "--db", db, "--sirens", broker.address],
        stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    try:
        wait_for(lambda: any(s.plays() for s in sirens), 60.0, "a siren to sound")
        time.sleep(3.0)  # let more commands come
        # Every command a siren played is acknowledged in the outbox while the service runs. (A
        # command played in the last instant before the stop below may not have its ack written
        # yet; the outbox sends it again at the next start, and the siren knows its key.)
        wait_for(lambda: {key for s in sirens for _, key in s.plays()} <= _acked(db), 20.0, "the acks")
    finally:
        interrupt(serve, wait_s=30.0)
        out.close()
        for s in sirens:
            s.terminate()
        broker.close()
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "sirens over MQTT at " + broker.address in log, log
    plays = [p for s in sirens for p in s.plays()]
    assert any(pattern == "imminent" for pattern, _ in plays), plays
    outbox = Outbox.open(db)
    try:
        sirens_out = outbox.deliveries(channel="siren")
        expired = [e for e in outbox.audit() if e.event == "expired"]
        acked = {d.key for d in sirens_out if d.state == "acked"}
    finally:
        outbox.close()
    assert sirens_out, "no siren command in the outbox"
    # None (for any siren) expired unsent; every command played before the wait above was acked.
    assert acked
    assert not expired, expired[:5]
    for s in sirens:
        assert not re.search(r"\bexpired\b", s.stderr()), s.stderr()


def _acked(db: str) -> set[str]:
    """The keys of the siren commands the outbox holds as acknowledged."""
    outbox = Outbox.open(db)
    try:
        return {d.key for d in outbox.deliveries(channel="siren") if d.state == "acked"}
    finally:
        outbox.close()
