"""What the store's database takes per second: events, and alerts stored with their deliveries.

    .venv/bin/python benchmarks/store_write_rate.py [--db postgres|sqlite:///...] [--alerts 2000]
        [--sirens 10] [--people 100] [--events 100000]

The two writes of the scale-out path that go to PostgreSQL: the engine's events (stored in batches,
as the live engine flushes them: ``Store.add_events`` of 1,000 at a time) and each alert with its
deliveries (``Outbox.store_alert``: the alert row, one row per delivery and one audit row each, in
one transaction committed before anything is sent; here the sirens of the site and a people
fan-out). ``--db postgres`` makes a fresh schema in ``$NADHIR_BENCH_POSTGRES_URL`` (see
outbox_delivery.py) and drops it afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import NewDelivery
from nadhir.domain import AcousticDetection, Alert
from nadhir.store import Store
from outbox_delivery import postgres_schema


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="postgres")
    ap.add_argument("--alerts", type=int, default=2_000)
    ap.add_argument("--sirens", type=int, default=10, help="siren commands per alert")
    ap.add_argument("--people", type=int, default=100, help="people deliveries per alert")
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    drop = None
    if args.db == "postgres":
        url, drop = postgres_schema()
    else:
        url = args.db if "://" in args.db else f"sqlite:///{Path(tmp.name) / 'store.sqlite3'}"
    store = Store.open(url)
    outbox = Outbox.open(url)
    try:
        t0 = time.time()
        run_id = store.start_run("bench", None, [])
        events = [
            AcousticDetection(t0 + i * 0.01, f"ac-{i % 2000:04d}", 35.9, 36.6, "jet", 0.8, 90.0, 8.0)
            for i in range(args.events)
        ]
        start = time.perf_counter()
        for i in range(0, len(events), 1000):
            store.add_events(run_id, events[i : i + 1000])
        ev_s = time.perf_counter() - start
        print(f"{outbox.engine.dialect.name}: events stored {args.events} in {ev_s:.2f} s = "
              f"{args.events / ev_s:,.0f} events/s (batches of 1,000)")  # fmt: skip

        per = args.sirens + args.people
        start = time.perf_counter()
        for k in range(args.alerts):
            alert = Alert(t0 + k, "alert", f"site-{k % 200}", "imminent", "jet", t0 + k + 120, 0.9, f"T{k}",
                          episode=t0 + k, seq=1)  # fmt: skip
            expires = t0 + k + 600
            sirens = [NewDelivery("siren", f"s-{k}-{j}", f"cmd-{k}-{j}", "CMD", expires)
                      for j in range(args.sirens)]  # fmt: skip
            people = [NewDelivery("sms", f"+9639{j:08d}", f"sms-{k}-{j}", "text", expires)
                      for j in range(args.people)]  # fmt: skip
            outbox.store_alert(alert, sirens)  # the sirens first, as the service stores them
            if people:
                outbox.store_alert(alert, people)
        al_s = time.perf_counter() - start
        print(f"alerts stored {args.alerts} with {per} deliveries each ({args.sirens} sirens, {args.people} "
              f"people) in {al_s:.2f} s = {args.alerts / al_s:,.0f} alerts/s, "
              f"{args.alerts * per / al_s:,.0f} deliveries/s (each with its audit row)")  # fmt: skip
        only = max(1, args.alerts // 4)
        start = time.perf_counter()
        for k in range(only):
            at = t0 + 1e6 + k
            alert = Alert(at, "alert", "site-x", "imminent", "jet", None, 0.9, None, episode=at, seq=1)
            outbox.store_alert(alert, [NewDelivery("siren", "s-x", f"x-{k}", "CMD", at + 600)])
        one_s = time.perf_counter() - start
        print(f"alerts with one siren command: {only} in {one_s:.2f} s = {only / one_s:,.0f} alerts/s "
              f"({one_s / only * 1e3:.2f} ms per durable commit)")  # fmt: skip
    finally:
        outbox.close()
        store.close()
        if drop is not None:
            drop()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
