"""Helpers for tests against the real Mosquitto broker: siren processes, an independent mosquitto_sub."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from services import require_service, skip_or_fail

HOST, PORT = "127.0.0.1", 1883

HOOK = """#!/bin/sh
echo "$(date +%s.%N) $1 $NADHIR_SIREN_PATTERN $NADHIR_SIREN_KEY" >> "{log}"
"""


def require_mosquitto() -> None:
    """The broker and the ``mosquitto_sub`` client (package mosquitto-clients) must be there."""
    require_service("mosquitto", HOST, PORT)
    if shutil.which("mosquitto_sub") is None:
        skip_or_fail("mosquitto_sub not installed (apt-get install mosquitto-clients)")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Subscriber:
    """``mosquitto_sub -v`` on a topic filter, as an independent client; lines are ``topic payload``."""

    def __init__(self, topic: str, path: Path) -> None:
        self.path = path
        self._fh = path.open("wb")
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", HOST, "-p", str(PORT), "-q", "1", "-v", "-t", topic],
            stdout=self._fh, stderr=subprocess.STDOUT,
        )  # fmt: skip
        time.sleep(0.3)  # let it subscribe

    def lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8", errors="replace").splitlines()

    def matching(self, topic_suffix: str) -> list[str]:
        return [
            line.split(" ", 1)[1] for line in self.lines() if line.split(" ", 1)[0].endswith(topic_suffix)
        ]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)
        self._fh.close()


class SirenProcess:
    """The siren program (``python -m nadhir_siren``, which ``nadhir siren`` runs) in a subprocess,
    with a relay hook that logs ``time on|off pattern key``."""

    def __init__(
        self, siren_id: str, root: str, workdir: Path, heartbeat: float = 0.5, port: int = PORT
    ) -> None:
        self.siren_id, self.root, self.heartbeat, self.port = siren_id, root, heartbeat, port
        self.dir = workdir / siren_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.relay_log = self.dir / "relay.log"
        self.relay_log.touch()
        self.hook = self.dir / "hook.sh"
        self.hook.write_text(HOOK.format(log=self.relay_log))
        self.hook.chmod(0o755)
        self.keys = self.dir / "keys"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SirenProcess:
        out = (self.dir / "stderr.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nadhir_siren", "--id", self.siren_id,
             "--broker", f"{HOST}:{self.port}", "--topic-root", self.root, "--gpio-command", str(self.hook),
             "--keys-file", str(self.keys), "--heartbeat", str(self.heartbeat), "-v"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        return self

    def kill(self) -> None:
        """SIGKILL: no clean goodbye, so the broker publishes the last will."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def plays(self) -> list[tuple[str, str]]:
        """``(pattern, key)`` of every time the relay was switched on."""
        out = []
        for line in self.relay_log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[1] == "on":
                out.append((parts[2], parts[3]))
        return out

    def stderr(self) -> str:
        return (self.dir / "stderr.log").read_text(errors="replace")


class CuttableProxy:
    """A TCP relay to the broker whose connections can be cut, to test reconnection without touching it."""

    def __init__(self, host: str = HOST, port: int = PORT) -> None:
        self._target = (host, port)
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._accepting = threading.Event()
        self._accepting.set()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._accepting.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: object, dst: object) -> None:
        assert isinstance(src, socket.socket) and isinstance(dst, socket.socket)
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every relayed connection and refuse new ones (the network is down)."""
        self._accepting.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self._accepting.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()


def free_port() -> int:
    """A TCP port nobody listens on now (the OS's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalBroker:
    """A Mosquitto of the test's own on a free port (the Debian ``mosquitto`` binary), stopped after.

    Skips when the binary is missing, or fails under ``NADHIR_REQUIRE_SERVICES=1``.
    """

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
        )
        if binary is None:
            skip_or_fail("mosquitto not installed (apt-get install mosquitto)")
        self.port = free_port()
        config = workdir / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.log = workdir / "mosquitto.log"
        self._fh = self.log.open("wb")
        self.proc = subprocess.Popen([binary, "-c", str(config)], stdout=self._fh, stderr=subprocess.STDOUT)

        def listening() -> bool:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return True
            except OSError:
                return self.proc.poll() is not None  # exited: stop waiting, say so below

        wait_for(listening, 10.0, f"mosquitto on port {self.port}")
        if self.proc.poll() is not None:
            raise AssertionError("mosquitto exited at start:\n" + self.log.read_text(errors="replace"))

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._fh.close()
