"""Sirens over MQTT, the server side: :class:`SirenNetwork` sends commands, hears acks and heartbeats
and watches for silence (with :class:`~nadhir.delivery.siren_fleet.SirenFleet`); :class:`SirenChannel`
is the dispatcher's channel ``siren`` on top of it. Topics and lines: :mod:`nadhir_siren.protocol`."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import paho.mqtt.client as mqtt

from nadhir.delivery.dispatcher import ACK_OUTCOMES
from nadhir.delivery.siren_fleet import SirenFleet, SirenNotice, takeover_command
from nadhir.delivery.states import Delivery, Outcome
from nadhir_siren.protocol import (
    DEFAULT_NOTICE_TOPIC,
    DEFAULT_ROOT,
    LineError,
    SirenAck,
    SirenCommand,
    SirenStatus,
    mqtt_client,
    no_delay,
    parse_line,
    split_topic,
)

log = logging.getLogger(__name__)


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
        self.client = mqtt_client(client_id or f"nadhir-server-{os.getpid()}-{id(self):x}")
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
        no_delay(client)
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


class SirenChannel:
    """Siren commands over MQTT (QoS 1).

    ``settle_on="siren"`` (the default): the siren's ``ACK`` settles the
    delivery (``ok``/``dup`` -> acked, ``expired``, ``bad`` -> failed).
    ``settle_on="broker"``: the broker's PUBACK does, for receivers that do
    not answer (a bridge, a siren without acknowledgements).
    """

    def __init__(self, network: SirenNetwork, *, settle_on: Literal["siren", "broker"] = "siren") -> None:
        if settle_on not in ("siren", "broker"):
            raise ValueError(f"settle_on must be 'siren' or 'broker', not {settle_on!r}")
        self.network = network
        self.settle_on = settle_on
        self._acknowledge: Callable[[Outcome], None] | None = None
        self._mids: dict[int, str] = {}
        self._lock = threading.Lock()

    def bind(self, acknowledge: Callable[[Outcome], None]) -> None:
        """Called by the :class:`Dispatcher`: where outcomes that arrive later are handed in."""
        self._acknowledge = acknowledge
        if self.settle_on == "siren":
            self.network.on_ack = self._siren_ack
        else:
            self.network.on_published = self._published

    def _siren_ack(self, siren: str, ack: SirenAck) -> None:
        if self._acknowledge is not None:
            self._acknowledge(Outcome(ack.key, ACK_OUTCOMES[ack.status], f"siren {siren}: {ack.status}"))

    def _published(self, mid: int) -> None:
        with self._lock:
            key = self._mids.pop(mid, None)
        if key is not None and self._acknowledge is not None:
            self._acknowledge(Outcome(key, "acked", "broker PUBACK"))

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        out: list[Outcome] = []
        for d in batch:
            try:
                cmd = parse_line(d.payload)
                if not isinstance(cmd, SirenCommand):
                    raise LineError("payload is not a CMD line")
            except LineError as exc:
                out.append(Outcome(d.key, "failed", f"bad siren command: {exc}"))
                continue
            if self.settle_on == "broker":
                with self._lock:  # the PUBACK may come back on the network thread before publish returns
                    info = self.network.send(d.target, cmd, d.payload)
                    self._mids[info.mid] = d.key
            else:
                self.network.send(d.target, cmd, d.payload)
        return out
