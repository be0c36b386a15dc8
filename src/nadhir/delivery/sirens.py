"""Sirens over MQTT: the line protocol, the operator side and the controller on the siren.

The topic layout and the line protocol are documented in ``docs/sirens.md``;
in short, for a siren ``ID`` under the root ``nadhir/sirens``::

    nadhir/sirens/ID/cmd        server -> siren   QoS 1    CMD k=KEY p=imminent d=180 t=UNIX x=UNIX
    nadhir/sirens/ID/ack        siren -> server   QoS 1    ACK k=KEY s=ok|dup|expired|bad t=UNIX
    nadhir/sirens/ID/heartbeat  siren -> server   QoS 0    HB n=SEQ t=UNIX st=idle|PATTERN up=SECONDS
    nadhir/sirens/ID/status     siren -> server   QoS 1, retained: ONLINE t=UNIX; last will OFFLINE
    nadhir/operators/notices    server -> people  QoS 1    JSON: a siren fell silent or came back

Each command carries an idempotency key: a siren sounds a key at most once,
however often the command is delivered (QoS 1 redelivery, outbox retries,
restarts: the controller keeps the keys it has accepted in a file).

Operator side: :class:`SirenFleet` is the pure bookkeeping (who was heard
when, which commands are in force, which siren takes over for a silent one);
:class:`SirenNetwork` connects it to the broker. Siren side:
:class:`SirenController` (``nadhir siren``) plays patterns through a relay
hook command or the audio output and keeps going through broker restarts and
network loss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from nadhir.domain import Alert, Site
from nadhir.geo.distance import haversine_m

log = logging.getLogger(__name__)

DEFAULT_ROOT = "nadhir/sirens"
DEFAULT_NOTICE_TOPIC = "nadhir/operators/notices"

Pattern = Literal["alert", "imminent", "all_clear", "test", "stop"]
PATTERNS: tuple[Pattern, ...] = ("alert", "imminent", "all_clear", "test", "stop")
DEFAULT_DURATION_S: dict[Pattern, int] = {
    "alert": 120,
    "imminent": 180,
    "all_clear": 60,
    "test": 15,
    "stop": 0,
}
MAX_DURATION_S = 3600
# Relay cadence of each pattern: (seconds on, seconds off), repeated until the duration ends.
# An off time of zero means a steady tone.
CADENCE: dict[Pattern, tuple[float, float]] = {
    "alert": (4.0, 4.0),  # slow on/off: warning
    "imminent": (1.0, 0.5),  # fast on/off: take shelter now
    "all_clear": (1.0, 0.0),  # steady tone
    "test": (2.0, 2.0),
    "stop": (0.0, 0.0),
}
AckStatus = Literal["ok", "dup", "expired", "bad"]
ACK_STATUSES: tuple[AckStatus, ...] = ("ok", "dup", "expired", "bad")
MAX_LINE = 256
_TOKEN = re.compile(r"^[A-Za-z0-9._:@~+-]{1,96}$")
_SIREN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class LineError(ValueError):
    """A line of the siren protocol that cannot be understood."""


# ---- the line protocol -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class SirenCommand:
    """Sound ``pattern`` for ``duration_s`` s; never twice for one ``key``; never after ``expires``."""

    key: str
    pattern: Pattern
    duration_s: int
    issued: int  # POSIX seconds
    expires: int  # POSIX seconds: do not start after this

    def __post_init__(self) -> None:
        if not _TOKEN.match(self.key):
            raise LineError(f"bad command key {self.key!r}: 1-96 of A-Z a-z 0-9 . _ : @ ~ + -")
        if self.pattern not in PATTERNS:
            raise LineError(f"unknown pattern {self.pattern!r}; one of {', '.join(PATTERNS)}")
        if not 0 <= self.duration_s <= MAX_DURATION_S:
            raise LineError(f"duration {self.duration_s} s out of range 0..{MAX_DURATION_S}")
        if self.expires < self.issued:
            raise LineError("command expires before it is issued")

    def encode(self) -> str:
        return f"CMD k={self.key} p={self.pattern} d={self.duration_s} t={self.issued} x={self.expires}"


@dataclass(frozen=True, slots=True)
class SirenAck:
    """A siren's answer to a command."""

    key: str
    status: AckStatus
    t: int
    detail: str | None = None  # one token, for ``bad``

    def encode(self) -> str:
        tail = f" r={self.detail}" if self.detail else ""
        return f"ACK k={self.key} s={self.status} t={self.t}{tail}"


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A siren says it is alive, and what it is doing."""

    seq: int
    t: int
    state: str  # "idle" or the pattern playing
    uptime_s: int

    def encode(self) -> str:
        return f"HB n={self.seq} t={self.t} st={self.state} up={self.uptime_s}"


@dataclass(frozen=True, slots=True)
class SirenStatus:
    """The retained online/offline flag (``OFFLINE`` is the last will)."""

    online: bool
    t: int | None = None

    def encode(self) -> str:
        if self.online:
            return "ONLINE" + (f" t={self.t}" if self.t is not None else "")
        return "OFFLINE"


Line = SirenCommand | SirenAck | Heartbeat | SirenStatus


def _fields(tokens: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in tokens:
        name, eq, value = token.partition("=")
        if not eq or not name or not value:
            raise LineError(f"bad field {token!r}: expected name=value")
        out.setdefault(name, value)
    return out


def _int(fields: Mapping[str, str], name: str, kind: str) -> int:
    if name not in fields:
        raise LineError(f"{kind} line without {name}=")
    try:
        return int(fields[name])
    except ValueError as exc:
        raise LineError(f"{kind} field {name}={fields[name]!r} is not an integer") from exc


def parse_line(raw: str | bytes | bytearray) -> Line:
    """One protocol line (``CMD``, ``ACK``, ``HB``, ``ONLINE``, ``OFFLINE``); unknown fields are ignored."""
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_LINE:
            raise LineError(f"line longer than {MAX_LINE} bytes")
        try:
            raw = bytes(raw).decode("ascii")
        except UnicodeDecodeError as exc:
            raise LineError("line is not ASCII") from exc
    if len(raw) > MAX_LINE:
        raise LineError(f"line longer than {MAX_LINE} bytes")
    tokens = raw.strip().split()
    if not tokens:
        raise LineError("empty line")
    kind, fields = tokens[0], _fields(tokens[1:])
    if kind == "CMD":
        key, pattern = fields.get("k"), fields.get("p")
        if key is None or pattern is None:
            raise LineError("CMD line needs k= and p=")
        if pattern not in PATTERNS:
            raise LineError(f"unknown pattern {pattern!r}; one of {', '.join(PATTERNS)}")
        pat: Pattern = pattern
        issued = _int(fields, "t", "CMD")
        return SirenCommand(key, pat, _int(fields, "d", "CMD"), issued, _int(fields, "x", "CMD"))
    if kind == "ACK":
        key, status = fields.get("k"), fields.get("s")
        if key is None or status is None:
            raise LineError("ACK line needs k= and s=")
        if status not in ACK_STATUSES:
            raise LineError(f"unknown ack status {status!r}")
        st: AckStatus = status
        return SirenAck(key, st, _int(fields, "t", "ACK"), fields.get("r"))
    if kind == "HB":
        return Heartbeat(_int(fields, "n", "HB"), _int(fields, "t", "HB"), fields.get("st", "idle"),
                         _int(fields, "up", "HB") if "up" in fields else 0)  # fmt: skip
    if kind == "ONLINE":
        return SirenStatus(True, _int(fields, "t", "ONLINE") if "t" in fields else None)
    if kind == "OFFLINE":
        return SirenStatus(False)
    raise LineError(f"unknown line type {kind!r}")


# ---- topics -------------------------------------------------------------------


def check_siren_id(siren_id: str) -> str:
    """A siren id usable as one MQTT topic level (1-64 of ``A-Z a-z 0-9 . _ -``)."""
    if not _SIREN_ID.match(siren_id):
        raise ValueError(f"bad siren id {siren_id!r}: 1-64 of A-Z a-z 0-9 . _ -")
    return siren_id


@dataclass(frozen=True, slots=True)
class SirenTopics:
    """The topics of one siren."""

    root: str
    siren: str

    @property
    def base(self) -> str:
        return f"{self.root}/{self.siren}"

    @property
    def cmd(self) -> str:
        return f"{self.base}/cmd"

    @property
    def ack(self) -> str:
        return f"{self.base}/ack"

    @property
    def heartbeat(self) -> str:
        return f"{self.base}/heartbeat"

    @property
    def status(self) -> str:
        return f"{self.base}/status"


def split_topic(root: str, topic: str) -> tuple[str, str] | None:
    """``(siren, leaf)`` for ``ROOT/SIREN/LEAF``, else None."""
    prefix = root + "/"
    if not topic.startswith(prefix):
        return None
    parts = topic[len(prefix) :].split("/")
    if len(parts) != 2:
        return None
    return parts[0], parts[1]


# ---- commands from alerts ----------------------------------------------------------


def command_key(alert: Alert, siren: str) -> str:
    """A stable idempotency key for one alert at one siren (the same alert always gives the same key)."""
    digest = hashlib.sha256(
        f"{alert.site}|{alert.t!r}|{alert.action}|{alert.level}|{siren}".encode()
    ).hexdigest()[:20]
    return f"{alert.action[:3]}-{digest}"


def pattern_for(alert: Alert, siren_reached: bool) -> Pattern | None:
    """The siren pattern an alert calls for: ``imminent`` sounds; the all-clear sounds where sirens did.

    ``siren_reached`` says whether the episode already sounded the site's
    sirens (an all-clear or a downgrade is only played there).
    """
    if alert.action == "all_clear":
        return "all_clear" if siren_reached else None
    if alert.level == "imminent":
        return "imminent"
    return "stop" if siren_reached else None  # downgraded to early: silence the wailing


def command_for(
    alert: Alert, siren: str, pattern: Pattern, *, valid_s: float = 300.0, issued: float | None = None
) -> SirenCommand:
    """The command for one siren; it must not start more than ``valid_s`` after the alert.

    ``issued`` (default: the alert's time) is when that is counted from, on the sirens' clock.
    """
    issued_s = math.floor(alert.t if issued is None else issued)
    duration = DEFAULT_DURATION_S[pattern]
    if pattern == "imminent" and alert.eta is not None:
        duration = int(min(MAX_DURATION_S, max(duration, alert.eta - alert.t + 60.0)))
    return SirenCommand(
        command_key(alert, siren), pattern, duration, issued_s, issued_s + int(max(valid_s, 0))
    )


# ---- the fleet (operator-side bookkeeping, no I/O) ----------------------------------


@dataclass(frozen=True, slots=True)
class Siren:
    """A siren and where it stands."""

    id: str
    site: str
    lat: float
    lon: float


def sirens_for_sites(
    sites: Iterable[Site], positions: Mapping[str, tuple[float, float]] | None = None
) -> list[Siren]:
    """The sirens listed by sites; a siren without a known position stands at its site's centre."""
    out: list[Siren] = []
    for site in sites:
        for siren_id in site.sirens:
            lat, lon = (positions or {}).get(siren_id, (site.lat, site.lon))
            out.append(Siren(check_siren_id(siren_id), site.id, lat, lon))
    return out


NoticeKind = Literal["silent", "recovered"]


@dataclass(frozen=True, slots=True)
class SirenNotice:
    """For operators: a siren fell silent (and who took over) or was heard again."""

    kind: NoticeKind
    siren: str
    site: str
    at: float
    last_heard: float | None
    substitute: str | None = None
    takeovers: tuple[tuple[str, SirenCommand], ...] = ()

    def message(self) -> str:
        if self.kind == "recovered":
            return f"siren {self.siren} ({self.site}) is heard again"
        silent_for = (
            "never heard" if self.last_heard is None else f"silent for {self.at - self.last_heard:.0f} s"
        )
        who = f"; {self.substitute} takes over" if self.substitute else "; no other siren in reach"
        return f"siren {self.siren} ({self.site}) {silent_for}{who}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "siren": self.siren,
                "site": self.site,
                "at": self.at,
                "last_heard": self.last_heard,
                "substitute": self.substitute,
                "takeovers": [{"siren": s, "command": c.encode()} for s, c in self.takeovers],
                "message": self.message(),
            },
            separators=(",", ":"),
        )


@dataclass
class _SirenState:
    siren: Siren
    last_heard: float | None
    online: bool = True
    silent: bool = False
    active: dict[str, SirenCommand] = field(default_factory=dict)


class SirenFleet:
    """Who was heard when; silent sirens; the nearest live siren that takes over for a silent one.

    A siren is silent when nothing was heard from it for ``silent_after_s``
    (counted from the fleet's start for a siren never heard), or at once when
    its last will (``OFFLINE``) arrives. Thread-safe.
    """

    def __init__(self, sirens: Iterable[Siren], *, silent_after_s: float = 15.0,
                 max_takeover_m: float = 15_000.0, now: float | None = None) -> None:  # fmt: skip
        start = time.time() if now is None else now
        self.silent_after_s = silent_after_s
        self.max_takeover_m = max_takeover_m
        self._start = start
        self._lock = threading.Lock()
        self._state = {s.id: _SirenState(s, None) for s in sirens}

    @property
    def sirens(self) -> list[Siren]:
        return [st.siren for st in self._state.values()]

    def __contains__(self, siren_id: object) -> bool:
        return siren_id in self._state

    def heard(self, siren_id: str, t: float) -> None:
        """Anything from the siren (heartbeat, ack, ONLINE) proves it alive."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is not None and (st.last_heard is None or t > st.last_heard):
                st.last_heard = t
                st.online = True

    def last_heard(self, siren_id: str) -> float | None:
        """When anything was last heard from the siren (None: never, or unknown siren)."""
        with self._lock:
            st = self._state.get(siren_id)
            return None if st is None else st.last_heard

    def offline(self, siren_id: str) -> None:
        """Its last will arrived: the broker lost it."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is not None:
                st.online = False

    def commanded(self, siren_id: str, command: SirenCommand) -> None:
        """Remember a command in force at a siren (a silent siren's commands pass to its substitute)."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is None:
                return
            if command.pattern in ("stop", "all_clear"):
                st.active.clear()
            if command.pattern != "stop":
                st.active[command.key] = command

    def _is_live(self, st: _SirenState, now: float) -> bool:
        last = st.last_heard if st.last_heard is not None else self._start
        return st.online and now - last <= self.silent_after_s

    def live(self, siren_id: str, now: float) -> bool:
        with self._lock:
            st = self._state.get(siren_id)
            return st is not None and self._is_live(st, now)

    def _substitute(self, st: _SirenState, now: float) -> Siren | None:
        best: tuple[float, str] | None = None
        for other in self._state.values():
            if other is st or not self._is_live(other, now):
                continue
            d = haversine_m(st.siren.lat, st.siren.lon, other.siren.lat, other.siren.lon)
            if d <= self.max_takeover_m and (best is None or (d, other.siren.id) < best):
                best = (d, other.siren.id)
        return None if best is None else self._state[best[1]].siren

    def substitute(self, siren_id: str, now: float) -> Siren | None:
        """The nearest other live siren within reach, if any."""
        with self._lock:
            st = self._state.get(siren_id)
            return None if st is None else self._substitute(st, now)

    def targets(self, siren_id: str, now: float) -> list[str]:
        """Where a command for this siren goes: the siren, and its substitute while it is silent."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is None:
                return []
            if self._is_live(st, now):
                return [siren_id]
            sub = self._substitute(st, now)
            return [siren_id] if sub is None else [siren_id, sub.id]

    def check(self, now: float) -> list[SirenNotice]:
        """Notices for sirens that fell silent or came back since the last check."""
        notices: list[SirenNotice] = []
        with self._lock:
            for st in self._state.values():
                for key in [k for k, c in st.active.items() if c.issued + c.duration_s < now]:
                    del st.active[key]
                live = self._is_live(st, now)
                if not live and not st.silent:
                    st.silent = True
                    sub = self._substitute(st, now)
                    takeovers: tuple[tuple[str, SirenCommand], ...] = ()
                    if sub is not None:
                        takeovers = tuple(
                            (sub.id, takeover_command(c, sub.id, now)) for c in st.active.values()
                        )
                    notices.append(SirenNotice("silent", st.siren.id, st.siren.site, now, st.last_heard,
                                               None if sub is None else sub.id, takeovers))  # fmt: skip
                elif live and st.silent:
                    st.silent = False
                    notices.append(SirenNotice("recovered", st.siren.id, st.siren.site, now, st.last_heard))
        return notices


def takeover_command(command: SirenCommand, substitute: str, now: float) -> SirenCommand:
    """The command a substitute plays for a silent siren: what remains of it, under its own key."""
    remaining = max(1, int(command.issued + command.duration_s - now))
    return SirenCommand(
        f"{command.key}@{substitute}"[:96], command.pattern, min(remaining, command.duration_s),
        math.floor(now), max(command.expires, math.floor(now) + 60),
    )  # fmt: skip


# ---- MQTT on the operator side ----------------------------------------------------------


def _no_delay(client: mqtt.Client) -> None:
    """Small packets (commands, acks) go out at once instead of waiting for Nagle's algorithm."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _client(client_id: str, *, clean: bool = True) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean,
                         protocol=mqtt.MQTTv311)  # fmt: skip
    client.reconnect_delay_set(1, 10)
    # No client-side cap on QoS 1 messages in flight: paho rescans every outgoing message on each
    # PUBACK when there is one; the outbox's window bounds what is in flight instead.
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    return client


def parse_broker(text: str) -> tuple[str, int]:
    """``host:port`` (port 1883 when left out)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, 1883
    try:
        number = int(port)
    except ValueError as exc:
        raise ValueError(f"bad broker address {text!r}: expected host:port") from exc
    if not host or not 0 < number < 65536:
        raise ValueError(f"bad broker address {text!r}: expected host:port")
    return host, number


class SirenNetwork:
    """The server's MQTT link to the sirens: sends commands, hears acks and heartbeats, watches for silence.

    Silent sirens produce a :class:`SirenNotice` published to the notice topic
    and handed to ``on_notice``; their commands in force are sent to the
    substitute (unless ``send_takeovers`` is off, for a caller that routes
    them through its outbox). ``on_ack`` gets ``(siren, SirenAck)`` for every
    acknowledgement.
    """

    def __init__(
        self,
        host: str,
        port: int,
        fleet: SirenFleet,
        *,
        root: str = DEFAULT_ROOT,
        notice_topic: str = DEFAULT_NOTICE_TOPIC,
        client_id: str | None = None,
        on_ack: Callable[[str, SirenAck], None] | None = None,
        on_notice: Callable[[SirenNotice], None] | None = None,
        check_every_s: float = 1.0,
        send_takeovers: bool = True,
        ack_qos: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host, self.port, self.fleet, self.root = host, port, fleet, root
        self.notice_topic = notice_topic
        self.on_ack, self.on_notice = on_ack, on_notice
        self.check_every_s, self.send_takeovers, self.clock = check_every_s, send_takeovers, clock
        self.ack_qos = ack_qos
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None
        self.background = True
        self._next_check = 0.0
        self.client = _client(client_id or f"nadhir-server-{os.getpid()}-{id(self):x}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.on_published: Callable[[int], None] | None = None

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, _reason: Any, _p: Any) -> None:
        if self.on_published is not None:
            self.on_published(mid)

    def start(self, timeout: float = 10.0, *, background: bool = True) -> None:
        """Connect. In the background (default) a thread runs the network and the silence checks;
        otherwise the caller runs them by calling :meth:`pump` often (one thread, no locking)."""
        self.background = background
        if background:
            self.client.connect_async(self.host, self.port, keepalive=30)
            self.client.loop_start()
            if not self.connected.wait(timeout):
                self.stop()
                raise ConnectionError(f"no MQTT broker answered at {self.host}:{self.port}")
            self._watch = threading.Thread(target=self._watch_loop, name="siren-watch", daemon=True)
            self._watch.start()
            return
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise ConnectionError(f"no MQTT broker answered at {self.host}:{self.port}: {exc}") from exc
        end = time.monotonic() + timeout
        while not self.connected.is_set() and time.monotonic() < end:
            self.client.loop(0.05)
        if not self.connected.is_set():
            self.client.disconnect()
            raise ConnectionError(f"no MQTT broker answered at {self.host}:{self.port}")
        self._next_check = time.monotonic() + self.check_every_s

    def pump(self, timeout: float = 0.0) -> None:
        """Foreground mode: handle network traffic for up to ``timeout`` s, reconnect, check for silence."""
        rc = self.client.loop(timeout)
        if rc != mqtt.MQTT_ERR_SUCCESS and not self._stop.is_set():
            self.connected.clear()
            try:
                self.client.reconnect()
            except OSError as exc:
                log.warning("MQTT broker %s:%s unreachable (%s); retrying", self.host, self.port, exc)
                time.sleep(min(1.0, max(timeout, 0.1)))
        if time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.check_every_s
            self.check_now()

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.join(5)
        self.client.disconnect()
        if self.background:
            self.client.loop_stop()

    def __enter__(self) -> SirenNetwork:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        _no_delay(client)
        # Acks and heartbeats at QoS 0: the broker lets only a few QoS 1 messages per client be
        # in flight, and every siren's ack funnels into this one connection. A lost ack costs a
        # retry, which the siren answers "dup". Status (retained, rare) at QoS 1.
        client.subscribe([(f"{self.root}/+/ack", self.ack_qos), (f"{self.root}/+/heartbeat", 0),
                          (f"{self.root}/+/status", 1)])  # fmt: skip
        self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the MQTT broker (%s); reconnecting", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        where = split_topic(self.root, msg.topic)
        if where is None:
            return
        siren, leaf = where
        try:
            line = parse_line(msg.payload)
        except LineError as exc:
            log.warning("siren %s sent a bad %s line: %s", siren, leaf, exc)
            return
        now = self.clock()
        if isinstance(line, SirenStatus):
            if line.online:
                self.fleet.heard(siren, now)
            else:
                self.fleet.offline(siren)
            return
        self.fleet.heard(siren, now)
        if isinstance(line, SirenAck) and self.on_ack is not None:
            try:
                self.on_ack(siren, line)
            except Exception:
                log.exception("ack handler failed for %s", line.key)

    def send(self, siren_id: str, command: SirenCommand, line: str | None = None) -> mqtt.MQTTMessageInfo:
        """Publish a command (QoS 1) to one siren and remember it as in force there.

        ``line`` is the command already encoded, when the caller has it.
        """
        self.fleet.commanded(siren_id, command)
        topic = f"{self.root}/{siren_id}/cmd"
        return self.client.publish(topic, line if line is not None else command.encode(), qos=1)

    def sound(self, siren_id: str, command: SirenCommand) -> list[str]:
        """Send to the siren, and also to its substitute while it is silent; returns where it went."""
        sent = []
        for target in self.fleet.targets(siren_id, self.clock()):
            cmd = command if target == siren_id else takeover_command(command, target, self.clock())
            self.send(target, cmd)
            sent.append(target)
        return sent

    def check_now(self) -> list[SirenNotice]:
        notices = self.fleet.check(self.clock())
        for notice in notices:
            log.warning("%s", notice.message())
            self.client.publish(self.notice_topic, notice.to_json(), qos=1)
            if self.send_takeovers:
                for target, cmd in notice.takeovers:
                    self.send(target, cmd)
            if self.on_notice is not None:
                try:
                    self.on_notice(notice)
                except Exception:
                    log.exception("notice handler failed")
        return notices

    def _watch_loop(self) -> None:
        while not self._stop.wait(self.check_every_s):
            self.check_now()


# ---- the siren controller ----------------------------------------------------------------


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


class Output:
    """Where a siren's sound goes."""

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        """Play the pattern until its duration ends or ``stop`` is set."""
        raise NotImplementedError


def _run_hook(argv: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(argv, env=env, check=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        log.error("relay hook %s failed: %s", shlex.join(argv), exc)


class RelayOutput(Output):
    """Switches a relay through a hook command (``gpioset``, a script, ...).

    The command is run with ``on`` or ``off`` appended, or with ``{state}``
    (``on``/``off``) and ``{value}`` (``1``/``0``) replaced when it contains
    them, e.g. ``gpioset gpiochip0 17={value}``. The environment gives
    ``NADHIR_SIREN_PATTERN`` and ``NADHIR_SIREN_KEY``.
    """

    def __init__(self, command: str) -> None:
        self.template = shlex.split(command)
        if not self.template:
            raise ValueError("empty relay hook command")
        if shutil.which(self.template[0]) is None:
            raise ValueError(f"relay hook {self.template[0]!r} not found or not executable")

    def _argv(self, on: bool) -> list[str]:
        state, value = ("on", "1") if on else ("off", "0")
        if any("{state}" in a or "{value}" in a for a in self.template):
            return [a.replace("{state}", state).replace("{value}", value) for a in self.template]
        return [*self.template, state]

    def switch(self, on: bool, command: SirenCommand | None = None) -> None:
        env = dict(os.environ)
        if command is not None:
            env["NADHIR_SIREN_PATTERN"] = command.pattern
            env["NADHIR_SIREN_KEY"] = command.key
        _run_hook(self._argv(on), env)

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        on_s, off_s = CADENCE[command.pattern]
        end = time.monotonic() + command.duration_s
        is_on = False
        try:
            while not stop.is_set():
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.switch(True, command)
                is_on = True
                if off_s <= 0:  # steady tone
                    stop.wait(left)
                    break
                if stop.wait(min(on_s, left)):
                    break
                self.switch(False, command)
                is_on = False
                left = end - time.monotonic()
                if left <= 0 or stop.wait(min(off_s, left)):
                    break
        finally:
            if is_on:
                self.switch(False, command)


SAMPLE_RATE = 16_000


def pattern_wave(pattern: Pattern) -> np.ndarray:
    """One cycle of a pattern's tone as 16-bit samples at 16 kHz.

    ``alert``: a slow wail rising and falling between 450 and 900 Hz over 8 s;
    ``imminent``: a fast warble, 1.5 s cycles; ``all_clear``: a steady 700 Hz;
    ``test``: 2 s of 600 Hz then 2 s of silence.
    """
    if pattern == "alert":
        seconds = 8.0
        t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
        freq = 675.0 - 225.0 * np.cos(2 * np.pi * t / seconds)
    elif pattern == "imminent":
        seconds = 1.5
        t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
        freq = 675.0 - 225.0 * np.cos(2 * np.pi * t / seconds)
    elif pattern == "all_clear":
        t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
        freq = np.full_like(t, 700.0)
    elif pattern == "test":
        t = np.arange(SAMPLE_RATE * 4) / SAMPLE_RATE
        freq = np.full_like(t, 600.0)
    else:
        return np.zeros(0, dtype=np.int16)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    signal = 0.8 * np.sin(phase)
    if pattern == "test":
        signal[t >= 2.0] = 0.0
    return np.asarray(np.round(signal * 32767), dtype=np.int16)


def write_wave(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.astype("<i2").tobytes())


class AudioOutput(Output):
    """Plays the pattern's tone through a sound player (default ``aplay -q {file}``), looped."""

    def __init__(self, command: str = "aplay -q {file}", cache_dir: Path | None = None) -> None:
        self.template = shlex.split(command)
        if not self.template:
            raise ValueError("empty audio player command")
        if shutil.which(self.template[0]) is None:
            raise ValueError(f"audio player {self.template[0]!r} not found (install alsa-utils for aplay, "
                             "or give --audio-command)")  # fmt: skip
        if not any("{file}" in a for a in self.template):
            self.template.append("{file}")
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "nadhir-siren-audio"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, Path] = {}
        for pattern in PATTERNS:
            if pattern != "stop":
                path = self.cache_dir / f"{pattern}.wav"
                write_wave(path, pattern_wave(pattern))
                self._files[pattern] = path

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        path = self._files.get(command.pattern)
        if path is None:
            return
        argv = [a.replace("{file}", str(path)) for a in self.template]
        end = time.monotonic() + command.duration_s
        while not stop.is_set() and time.monotonic() < end:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
            except OSError as exc:
                log.error("audio player %s failed: %s", shlex.join(argv), exc)
                return
            while proc.poll() is None:
                if stop.wait(0.05) or time.monotonic() >= end:
                    proc.terminate()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(2)
                    if proc.poll() is None:
                        proc.kill()
                    return
            if proc.returncode != 0:
                log.error("audio player %s exited with %s", shlex.join(argv), proc.returncode)
                return


class Sounder:
    """Plays one command at a time on every output; a new command cuts the one playing."""

    def __init__(self, outputs: Sequence[Output]) -> None:
        self.outputs = list(outputs)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._generation = 0
        self.state = "idle"

    def start(self, command: SirenCommand) -> None:
        with self._lock:
            self._stop.set()
            for th in self._threads:
                th.join(15)
            self._stop = threading.Event()
            self._generation += 1
            self._threads = []
            if command.pattern == "stop" or command.duration_s == 0:
                self.state = "idle"
                return
            self.state = command.pattern
            for output in self.outputs:
                th = threading.Thread(target=self._play, args=(output, command, self._stop, self._generation),
                                      daemon=True)  # fmt: skip
                th.start()
                self._threads.append(th)

    def _play(self, output: Output, command: SirenCommand, stop: threading.Event, generation: int) -> None:
        try:
            output.play(command, stop)
        except Exception:
            log.exception("output failed while playing %s", command.key)
        if generation == self._generation and not any(
            t.is_alive() for t in self._threads if t is not threading.current_thread()
        ):
            self.state = "idle"

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the current pattern has finished playing."""
        for th in list(self._threads):
            th.join(timeout)

    def stop(self) -> None:
        self.start(SirenCommand("shutdown", "stop", 0, 0, 0))


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
        self.client = _client(f"nadhir-siren-{siren_id}", clean=False)
        self.client.will_set(self.topics.status, SirenStatus(False).encode(), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("siren %s: broker refused the connection: %s", self.siren, reason)
            return
        _no_delay(client)
        client.subscribe(self.topics.cmd, qos=1)
        client.publish(self.topics.status, SirenStatus(True, int(self.clock())).encode(), qos=1, retain=True)
        self.connected.set()
        log.info("siren %s connected to %s:%s", self.siren, self.host, self.port)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("siren %s lost the broker (%s); reconnecting", self.siren, reason)

    def _ack(self, key: str, status: AckStatus, detail: str | None = None) -> None:
        ack = SirenAck(key if _TOKEN.match(key) else "invalid", status, int(self.clock()), detail)
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
        """Sound a command unless its key was seen or it expired; acknowledge either way."""
        with self._lock:
            if command.key in self.keys:
                status: AckStatus = "dup"
            elif self.clock() > command.expires:
                status = "expired"
            else:
                self.keys.add(command.key, command.expires)
                status = "ok"
        self._ack(command.key, status)
        if status == "ok":
            log.info(
                "siren %s: %s for %d s (%s)", self.siren, command.pattern, command.duration_s, command.key
            )
            self.sounder.start(command)
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
