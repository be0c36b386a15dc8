"""Simulated sirens for the benchmarks: a few MQTT connections that answer every command ``ok``.

Run in a separate process (``multiprocessing`` with ``spawn``) so that it does
not share the measured process's core.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from nadhir_siren.protocol import SirenAck, split_topic

CONNECTIONS = 8  # simulated sirens share this many MQTT connections (real sirens have one each)


def responder(host: str, port: int, root: str, sirens: list[str], ready: Any, stop: Any) -> None:
    """Simulated sirens: one MQTT connection per group of sirens, answering every command ``ok``."""
    clients = []
    subscribed = threading.Semaphore(0)
    groups = [sirens[i::CONNECTIONS] for i in range(CONNECTIONS)]
    for group in groups:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-sirens-{uuid.uuid4().hex[:8]}")
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(0)

        def on_connect(c: mqtt.Client, *_: object, group: list[str] = group) -> None:
            c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[union-attr]
            c.subscribe([(f"{root}/{s}/cmd", 1) for s in group])

        def on_message(c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
            where = split_topic(root, msg.topic)
            key = msg.payload.split(b" ", 2)[1][2:].decode()
            if where is not None:
                c.publish(f"{root}/{where[0]}/ack", SirenAck(key, "ok", int(time.time())).encode(), qos=1)

        client.on_connect = on_connect
        client.on_subscribe = lambda *_: subscribed.release()
        client.on_message = on_message
        client.connect(host, port)
        client.loop_start()
        clients.append(client)
    for _ in groups:
        subscribed.acquire(timeout=10)
    ready.set()
    stop.wait()
    for client in clients:
        client.disconnect()
        client.loop_stop()
