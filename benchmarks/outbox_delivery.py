"""Outbox deliveries per second to the local MQTT broker, each one acknowledged by a siren.

    .venv/bin/python benchmarks/outbox_delivery.py [--n 20000] [--sirens 200] [--batch 500]
        [--db sqlite:///...] [--broker 127.0.0.1:1883]

N siren commands are stored in the outbox (SQLite file by default), then one
dispatcher claims them in batches, publishes each at QoS 1 to its siren's
command topic on the broker, and settles it when the siren's ``ACK`` comes
back. The sirens are simulated in another process (so that it does not share
the dispatcher's core) by a few MQTT connections that answer every command
with ``ACK k=KEY s=ok``. The clock runs from the first claim until every delivery
is acknowledged in the database. Target: >= 5,000 deliveries/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from nadhir.alerting.outbox import Dispatcher, NewDelivery, Outbox, SirenChannel
from nadhir.alerting.sirens import SirenAck, SirenCommand, SirenFleet, SirenNetwork, parse_broker, split_topic

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--sirens", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default=None)
    ap.add_argument("--broker", default="127.0.0.1:1883")
    args = ap.parse_args()
    host, port = parse_broker(args.broker)
    root = f"bench-{uuid.uuid4().hex[:8]}/sirens"
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'outbox.sqlite3'}"
    outbox = Outbox.open(url)

    now = time.time()
    t0 = time.perf_counter()
    items = []
    for i in range(args.n):
        siren = f"s{i % args.sirens}"
        cmd = SirenCommand(f"bench-{i}", "test", 1, int(now), int(now) + 3600)
        items.append(NewDelivery("siren", siren, cmd.key, cmd.encode(), cmd.expires))
    for i in range(0, len(items), 1000):
        outbox.add_deliveries(items[i : i + 1000])
    store_s = time.perf_counter() - t0

    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    sim = ctx.Process(
        target=responder,
        args=(host, port, root, [f"s{i}" for i in range(args.sirens)], ready, stop),
        daemon=True,
    )
    sim.start()
    if not ready.wait(10):
        raise SystemExit("simulated sirens did not subscribe")

    dispatcher: Dispatcher | None = None
    net = SirenNetwork(host, port, SirenFleet([]), root=root,
                       on_ack=lambda s, a: dispatcher.on_siren_ack(s, a) if dispatcher else None)  # fmt: skip
    net.start(background=False)
    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(net)}, batch=args.batch)
    halt = threading.Event()
    t1 = time.perf_counter()
    dispatcher.run(halt, until_idle=True, poll_s=0.005, pump=net.pump)
    elapsed = time.perf_counter() - t1
    counts = outbox.counts()
    net.stop()
    stop.set()
    sim.join(5)
    attempts = sum(1 for a in outbox.audit() if a.event == "attempt")
    print(f"stored {args.n} deliveries in {store_s:.2f} s ({args.n / store_s:,.0f}/s)")
    acked = counts.get("acked", 0)
    rate = acked / elapsed
    print(f"acknowledged by the sirens: {acked} of {args.n} in {elapsed:.2f} s = {rate:,.0f} deliveries/s")
    print(f"attempts: {attempts}; states: {counts}")
    outbox.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
