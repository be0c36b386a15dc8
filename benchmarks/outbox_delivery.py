"""Outbox deliveries per second to the local MQTT broker, each one acknowledged by a siren.

    .venv/bin/python benchmarks/outbox_delivery.py [--n 20000] [--sirens 200] [--batch 500]
        [--db sqlite:///...|postgres|postgresql+psycopg://...] [--broker 127.0.0.1:1883] [--workers N]

N siren commands are stored in the outbox (SQLite file by default), then one
dispatcher claims them in batches, publishes each at QoS 1 to its siren's
command topic on the broker, and settles it when the siren's ``ACK`` comes
back (``--settle-on broker``: when the broker confirms it with its PUBACK).
The sirens are simulated in another process (so that it does not share
the dispatcher's core) by a few MQTT connections that answer every command
with ``ACK k=KEY s=ok``. The clock runs from the first claim until every delivery
is acknowledged in the database. Target: >= 5,000 deliveries/s.

``--workers N`` runs N delivery workers, each a process with its own dispatcher, database pool and
MQTT connection, claiming from the one outbox (on PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite
allows one writer). ``--db postgres`` makes a fresh schema in the PostgreSQL at
``$NADHIR_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and
drops it afterwards. Each worker's own rate (deliveries it sent / its busy time) is printed beside
the total.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from nadhir.delivery.channels.mqtt_sirens import SirenChannel, SirenNetwork
from nadhir.delivery.dispatcher import Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.siren_fleet import SirenFleet
from nadhir.delivery.states import NewDelivery
from nadhir_siren.protocol import SirenCommand, parse_broker
from siren_sim import responder

PG_URL = os.environ.get("NADHIR_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_schema(database: str = PG_URL) -> tuple[str, Any]:
    """A fresh schema in the PostgreSQL ``database`` (PG_URL unless given): its URL, and a function
    that drops it."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(database)
    schema = f"nadhir_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    ), drop


def worker(url: str, host: str, port: int, root: str, settle_on: str, batch: int, ready: Any, go: Any,
           results: Any) -> None:  # fmt: skip
    """One delivery worker (a process): claims from the shared outbox until nothing is open."""
    outbox = Outbox.open(url)
    net = SirenNetwork(host, port, SirenFleet([]), root=root)
    net.start(background=False)
    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(net, settle_on=settle_on)}, batch=batch)  # type: ignore[arg-type]
    ready.set()
    go.wait()
    t1, cpu1 = time.perf_counter(), time.process_time()
    dispatcher.run(threading.Event(), until_idle=True, poll_s=0.005, pump=net.pump)
    results.put((os.getpid(), dispatcher.sent, time.perf_counter() - t1, time.process_time() - cpu1))
    net.stop()
    outbox.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--sirens", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default=None, help="database URL, or 'postgres' for a fresh schema")
    ap.add_argument(
        "--workers", type=int, default=1, help="delivery worker processes (default 1, in-process)"
    )
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
    drop = None
    if args.db == "postgres":
        url, drop = postgres_schema()
    else:
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

    per_worker: list[tuple[int, int, float, float]] = []
    if args.workers > 1:
        go, results = ctx.Event(), ctx.Queue()
        procs = []
        for _ in range(args.workers):
            ready = ctx.Event()
            job = (url, host, port, root, args.settle_on, args.batch, ready, go, results)
            proc = ctx.Process(target=worker, args=job)
            proc.start()
            if not ready.wait(30):
                raise SystemExit("a delivery worker did not start")
            procs.append(proc)
        t1 = time.perf_counter()
        go.set()
        per_worker = [results.get(timeout=600) for _ in procs]
        elapsed = time.perf_counter() - t1
        for proc in procs:
            proc.join(10)
        cpu = sum(w[3] for w in per_worker)
    else:
        net = SirenNetwork(host, port, SirenFleet([]), root=root)
        net.start(background=False)
        dispatcher = Dispatcher(
            outbox, {"siren": SirenChannel(net, settle_on=args.settle_on)}, batch=args.batch
        )
        halt = threading.Event()
        t1 = time.perf_counter()
        cpu1 = time.process_time()
        dispatcher.run(halt, until_idle=True, poll_s=0.005, pump=net.pump)
        elapsed = time.perf_counter() - t1
        cpu = time.process_time() - cpu1
        net.stop()
    counts = outbox.counts()
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
    for pid, sent, busy, wcpu in per_worker:
        print(f"  worker {pid}: sent {sent} in {busy:.2f} s = {sent / busy:,.0f}/s "
              f"(CPU {wcpu:.2f} s = {wcpu / max(sent, 1) * 1e6:.0f} us per delivery)")  # fmt: skip
    if per_worker:
        print(f"{args.workers} workers on {outbox.engine.dialect.name}: {rate:,.0f} deliveries/s in all, "
              f"{rate / args.workers:,.0f}/s per worker")  # fmt: skip
    outbox.close()
    if drop is not None:
        drop()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
