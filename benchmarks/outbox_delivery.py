"""Outbox deliveries per second to the local MQTT broker, each one acknowledged by a siren.

    .venv/bin/python benchmarks/outbox_delivery.py [--n 20000] [--sirens 200] [--batch 500]
        [--db sqlite:///...] [--broker 127.0.0.1:1883]

N siren commands are stored in the outbox (SQLite file by default), then one
dispatcher claims them in batches, publishes each at QoS 1 to its siren's
command topic on the broker, and settles it when the siren's ``ACK`` comes
back (``--settle-on broker``: when the broker confirms it with its PUBACK).
The sirens are simulated in another process (so that it does not share
the dispatcher's core) by a few MQTT connections that answer every command
with ``ACK k=KEY s=ok``. The clock runs from the first claim until every delivery
is acknowledged in the database. Target: >= 5,000 deliveries/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import threading
import time
import uuid
from pathlib import Path

from nadhir.delivery.channels.mqtt_sirens import SirenChannel, SirenNetwork
from nadhir.delivery.dispatcher import Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.siren_fleet import SirenFleet
from nadhir.delivery.states import NewDelivery
from nadhir_siren.protocol import SirenCommand, parse_broker
from siren_sim import responder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--sirens", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default=None)
    ap.add_argument("--broker", default="127.0.0.1:1883")
    ap.add_argument(
        "--settle-on",
        choices=["siren", "broker"],
        default="siren",
        help="settle each delivery on the siren's ACK (default) or on the broker's PUBACK",
    )
    ap.add_argument("--sim-processes", type=int, default=2, help="processes that simulate the sirens")
    ap.add_argument(
        "--no-sirens",
        action="store_true",
        help="with --settle-on broker: no simulated sirens subscribed (the broker only takes the commands)",
    )
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

    if args.no_sirens and args.settle_on != "broker":
        raise SystemExit("--no-sirens needs --settle-on broker")
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    names = [f"s{i}" for i in range(args.sirens)]
    sims = []
    for k in range(0 if args.no_sirens else args.sim_processes):
        ready = ctx.Event()
        group = names[k :: args.sim_processes]
        sim = ctx.Process(target=responder, args=(host, port, root, group, ready, stop), daemon=True)
        sim.start()
        if not ready.wait(15):
            raise SystemExit("simulated sirens did not subscribe")
        sims.append(sim)

    net = SirenNetwork(host, port, SirenFleet([]), root=root)
    net.start(background=False)
    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(net, settle_on=args.settle_on)}, batch=args.batch)
    halt = threading.Event()
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    dispatcher.run(halt, until_idle=True, poll_s=0.005, pump=net.pump)
    elapsed = time.perf_counter() - t1
    cpu = time.process_time() - cpu1
    counts = outbox.counts()
    net.stop()
    stop.set()
    for sim in sims:
        sim.join(5)
    attempts = sum(1 for a in outbox.audit() if a.event == "attempt")
    print(f"stored {args.n} deliveries in {store_s:.2f} s ({args.n / store_s:,.0f}/s)")
    acked = counts.get("acked", 0)
    rate = acked / elapsed
    by = "the sirens (ACK)" if args.settle_on == "siren" else "the broker (PUBACK)"
    print(f"acknowledged by {by}: {acked} of {args.n} in {elapsed:.2f} s = {rate:,.0f} deliveries/s")
    print(f"attempts: {attempts}; states: {counts}")
    print(f"dispatcher CPU: {cpu:.2f} s = {cpu / max(acked, 1) * 1e6:.0f} us per delivery "
          f"(one core would sustain {acked / cpu:,.0f}/s)")  # fmt: skip
    outbox.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
