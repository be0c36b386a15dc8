"""Facility status: messages read per second, updates kept per second, readiness for the policy.

    .venv/bin/python benchmarks/facility_status.py [--n 2000] [--db sqlite|URL]

Three figures: status messages (English and Arabic, from the demo's kind) read into updates on one
core; updates kept through the desk (read of the last status, carry forward, check, insert: one
transaction each) in a new SQLite file or the database given; and how long the service takes to
work out every facility's readiness from the store (what it does after each update and every
minute).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from nadhir.health.status_message import read_status_message
from nadhir.intake.field_reports import Mandates
from nadhir.service.facility_status import FacilityStatusRoom
from nadhir.service.region import load_region
from nadhir.store import Store
from outbox_delivery import postgres_schema  # (this folder is on the path when run as a script)

MESSAGES = [
    "status idlib-maternity-hospital: doctors 3, incubators 4 of 6, generator, fuel 2 days",
    "حالة idlib-maternity-hospital: أطباء ٣، حواضن ٤ من ٦، مولدة، وقود ٢ أيام",
    "status sarmada-hospital: midwives 2, nurses 7, water low, caesarean no, blood partial",
    "حالة مشفى سراقب: يعمل جزئيا، قابلات ٢، حواضن مشغولة ١، ماء قليل، قيصرية لا",
    "status jisr-hospital: evacuated, damage partial",
]


@contextmanager
def fresh_database(db: str, tmp: str) -> Iterator[str]:
    """A new SQLite file, or a new schema of the PostgreSQL database given (dropped after): the
    benchmark never migrates or writes a schema someone else uses."""
    if db == "sqlite":
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    url, drop = postgres_schema(db)
    try:
        yield url
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="updates to keep")
    parser.add_argument(
        "--db", default="sqlite", help="'sqlite' (a new file) or a PostgreSQL URL (a new schema in it)"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    reads = 0
    while time.perf_counter() - t0 < 2.0:
        for text in MESSAGES:
            read_status_message(text)
        reads += len(MESSAGES)
    read_rate = reads / (time.perf_counter() - t0)

    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.db, tmp) as url, Store.open(url) as store:
        clock = [1_746_000_000.0]
        sites = load_region(None).scenario.sites
        room = FacilityStatusRoom(store.engine, sites, Mandates(()), lambda: clock[0], lambda ready: None)
        messages = [read_status_message(m) for m in MESSAGES]
        t0 = time.perf_counter()
        for k in range(args.n):
            m = messages[k % len(messages)]
            clock[0] += 60.0
            room.desk.update(m.facility, m.update, clock[0], "obs", "sms")
        keep_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(20):
            room.readiness()
        ready_ms = (time.perf_counter() - t0) / 20 * 1000
    print(f"status messages read: {read_rate:,.0f}/s on one core")
    backend = sa.make_url(url).get_backend_name()
    print(f"updates kept ({backend}): {args.n / keep_s:,.0f}/s ({keep_s / args.n * 1000:.2f} ms each)")
    print(f"readiness of {len(room.facilities)} facilities from {args.n} rows: {ready_ms:.1f} ms")


if __name__ == "__main__":
    main()
