"""The siren wire protocol: topics, the lines on them, the patterns, and how to connect to the broker.

Shared by the operator side (``nadhir.delivery.channels.mqtt_sirens``) and the
program on the siren (:mod:`nadhir_siren.controller`): the one module of
``nadhir_siren`` the product imports. Standard library and paho-mqtt only.
For a siren ``ID`` under the root ``nadhir/sirens`` (``docs/sirens.md``)::

    nadhir/sirens/ID/cmd        server -> siren   QoS 1    CMD k=KEY p=imminent d=180 t=UNIX x=UNIX
    nadhir/sirens/ID/ack        siren -> server   QoS 1    ACK k=KEY s=ok|dup|expired|bad|skipped t=UNIX
    nadhir/sirens/ID/heartbeat  siren -> server   QoS 0    HB n=SEQ t=UNIX st=idle|PATTERN up=SECONDS
    nadhir/sirens/ID/status     siren -> server   QoS 1, retained: ONLINE t=UNIX; last will OFFLINE
    nadhir/operators/notices    server -> people  QoS 1    JSON: a siren fell silent or came back

Each command carries an idempotency key: a siren sounds a key at most once,
however often the command is delivered.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

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
# The patterns that tell people something real. A test never cuts one: it would put "no danger" over a
# warning (or over the all-clear, which people also act on). A real pattern always cuts a test.
REAL_PATTERNS: tuple[Pattern, ...] = ("alert", "imminent", "all_clear")
# ``skipped``: a test that came while a real pattern was playing; it is not played, now or later.
AckStatus = Literal["ok", "dup", "expired", "bad", "skipped"]
ACK_STATUSES: tuple[AckStatus, ...] = ("ok", "dup", "expired", "bad", "skipped")
MAX_LINE = 256
TOKEN = re.compile(r"^[A-Za-z0-9._:@~+-]{1,96}$")
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
        if not TOKEN.match(self.key):
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


# ---- connecting ----------------------------------------------------------------
def no_delay(client: mqtt.Client) -> None:
    """Small packets (commands, acks) go out at once instead of waiting for Nagle's algorithm."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def mqtt_client(client_id: str, *, clean: bool = True) -> mqtt.Client:
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
