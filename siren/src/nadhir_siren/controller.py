"""The program on a siren (``nadhir-siren``, ``nadhir siren``): hears commands over MQTT, sounds each
key once, acknowledges every command, sends heartbeats, and keeps going through broker restarts and
network loss. Standard library and paho-mqtt only."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from nadhir_siren.outputs import Output, Sounder
from nadhir_siren.protocol import (
    DEFAULT_ROOT,
    TOKEN,
    AckStatus,
    Heartbeat,
    LineError,
    SirenAck,
    SirenCommand,
    SirenStatus,
    SirenTopics,
    check_siren_id,
    mqtt_client,
    no_delay,
    parse_line,
)

log = logging.getLogger(__name__)


class KeyLog:
    """Keys a siren has accepted, kept in a file so that a restart never plays a key again.

    One line per key: ``KEY EXPIRES``. Keys whose command expired more than a
    day ago are dropped when the file is opened.
    """

    KEEP_S = 86400.0

    def __init__(self, path: Path | None, now: float | None = None) -> None:
        self.path = path
        self._keys: dict[str, int] = {}
        now = time.time() if now is None else now
        if path is not None and path.exists():
            for raw in path.read_text(encoding="ascii", errors="replace").splitlines():
                parts = raw.split()
                if len(parts) == 2 and parts[1].isdigit():
                    self._keys[parts[0]] = int(parts[1])
            self._keys = {k: x for k, x in self._keys.items() if x + self.KEEP_S >= now}
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text("".join(f"{k} {x}\n" for k, x in self._keys.items()), encoding="ascii")
            os.replace(tmp, path)
        self._fh = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="ascii")

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def add(self, key: str, expires: int) -> None:
        """Record a key durably (written and synced before the siren sounds it)."""
        self._keys[key] = expires
        if self._fh is not None:
            self._fh.write(f"{key} {expires}\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class SirenController:
    """``nadhir siren``: a siren's program. Hears commands, sounds them once each, acks, sends heartbeats.

    The MQTT session is persistent (clean session off, fixed client id), so
    QoS 1 commands sent while the siren was away are delivered when it comes
    back; the client reconnects by itself after any loss.
    """

    def __init__(
        self,
        siren_id: str,
        host: str,
        port: int,
        outputs: Sequence[Output],
        *,
        root: str = DEFAULT_ROOT,
        keys_path: Path | None = None,
        heartbeat_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.siren = check_siren_id(siren_id)
        self.host, self.port = host, port
        self.topics = SirenTopics(root, siren_id)
        self.sounder = Sounder(outputs)
        self.keys = KeyLog(keys_path)
        self.heartbeat_s = heartbeat_s
        self.clock = clock
        self.started = time.monotonic()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._seq = 0
        self._lock = threading.Lock()
        self.client = mqtt_client(f"nadhir-siren-{siren_id}", clean=False)
        self.client.will_set(self.topics.status, SirenStatus(False).encode(), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("siren %s: broker refused the connection: %s", self.siren, reason)
            return
        no_delay(client)
        client.subscribe(self.topics.cmd, qos=1)
        client.publish(self.topics.status, SirenStatus(True, int(self.clock())).encode(), qos=1, retain=True)
        self.connected.set()
        log.info("siren %s connected to %s:%s", self.siren, self.host, self.port)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("siren %s lost the broker (%s); reconnecting", self.siren, reason)

    def _ack(self, key: str, status: AckStatus, detail: str | None = None) -> None:
        ack = SirenAck(key if TOKEN.match(key) else "invalid", status, int(self.clock()), detail)
        self.client.publish(self.topics.ack, ack.encode(), qos=1)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            line = parse_line(msg.payload)
            if not isinstance(line, SirenCommand):
                raise LineError("not a CMD line")
        except LineError as exc:
            log.warning("siren %s: bad command %r: %s", self.siren, msg.payload[:80], exc)
            key = re.search(rb"\bk=(\S+)", msg.payload)
            self._ack(key.group(1).decode("ascii", "replace") if key else "invalid", "bad",
                      re.sub(r"[^A-Za-z0-9._-]+", "_", str(exc))[:60])  # fmt: skip
            return
        self.handle(line)

    def handle(self, command: SirenCommand) -> AckStatus:
        """Sound a command unless its key was seen or it expired, or it is a test while a real pattern
        plays (``skipped``: a real warning always wins); acknowledge either way."""
        with self._lock:
            if command.key in self.keys:
                status: AckStatus = "dup"
            elif self.clock() > command.expires:
                status = "expired"
            else:
                # Recorded even when skipped: a test held back is never played later, after the warning.
                self.keys.add(command.key, command.expires)
                status = "skipped" if self.sounder.would_cut_a_real_pattern(command) else "ok"
        if status == "skipped":
            log.warning("siren %s: test %s not sounded: %s is playing", self.siren, command.key,
                        self.sounder.state)  # fmt: skip
            self._ack(command.key, status, f"{self.sounder.state}_playing")
            return status
        self._ack(command.key, status)
        if status == "ok":
            log.info(
                "siren %s: %s for %d s (%s)", self.siren, command.pattern, command.duration_s, command.key
            )
            if not self.sounder.start(command):  # a real pattern began in between: it goes on
                log.warning("siren %s: test %s not sounded: %s began first", self.siren, command.key,
                            self.sounder.state)  # fmt: skip
        return status

    def _heartbeats(self) -> None:
        while not self._stop.is_set():
            if self.connected.is_set():
                self._seq += 1
                hb = Heartbeat(self._seq, int(self.clock()), self.sounder.state,
                               int(time.monotonic() - self.started))  # fmt: skip
                self.client.publish(self.topics.heartbeat, hb.encode(), qos=0)
            self._stop.wait(self.heartbeat_s)

    def run(self) -> None:
        """Run until :meth:`stop` (or Ctrl-C)."""
        self.client.connect_async(self.host, self.port, keepalive=max(5, int(self.heartbeat_s * 3)))
        beat = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        beat.start()
        try:
            self.client.loop_forever(retry_first_connection=True)
        finally:
            self._stop.set()
            self.sounder.stop()
            self.keys.close()

    def stop(self) -> None:
        """Leave cleanly: say OFFLINE (as the will would) and disconnect."""
        self._stop.set()
        if self.connected.is_set():
            info = self.client.publish(self.topics.status, SirenStatus(False).encode(), qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2)
        self.client.disconnect()
