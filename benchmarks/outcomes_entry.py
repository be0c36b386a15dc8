"""Outcome records at scale: read and check a CSV, import it into the store, then completeness,
rates and one facility's SVG over everything (issue 19's 200 facilities x 5 years, weekly).

    .venv/bin/python benchmarks/outcomes_entry.py --facilities 200 --years 5

The series are drawn from Poisson/binomial models (30-250 births a week, 1-4 % stillbirths).
Writes its figures to stdout; docs/benchmarks.md keeps them with the date and the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from nadhir.health.alarms import SeriesPoint
from nadhir.health.completeness import Received, completeness
from nadhir.health.outcomes import OutcomeRecord
from nadhir.health.outcomes_csv import read_outcomes_csv, write_outcomes_csv
from nadhir.health.plot import series_svg
from nadhir.health.rates import rates
from nadhir.service.outcomes import OutcomeDesk
from nadhir.store import Store


def generate(facilities: int, weeks: int, seed: int = 19) -> list[OutcomeRecord]:
    rng = np.random.default_rng(seed)
    first = dt.date.fromisocalendar(2021, 1, 1)
    out = []
    for f in range(facilities):
        births, sb = rng.uniform(30, 250), rng.uniform(0.01, 0.04)
        for w in range(weeks):
            total = int(rng.poisson(births))
            s = int(rng.binomial(total, sb))
            live = total - s
            fresh = int(rng.binomial(s, 0.45))
            out.append(OutcomeRecord(
                f"facility-{f:03d}", "week", first + dt.timedelta(weeks=w), live, fresh, s - fresh,
                int(rng.poisson(0.07 * births)), int(rng.binomial(live, 0.1)), int(rng.binomial(live, 0.12)),
                int(rng.binomial(live, 0.014)), int(rng.poisson(0.0004 * births)),
                int(rng.binomial(total, 0.3)), None,
            ))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    weeks = 52 * args.years
    records = generate(args.facilities, weeks)
    text = write_outcomes_csv(records)
    size = f"CSV {len(text) / 1e6:.1f} MB"
    print(f"{len(records)} reports ({args.facilities} facilities x {weeks} weeks), {size}")

    t0 = time.perf_counter()
    read = read_outcomes_csv(text)
    t1 = time.perf_counter()
    print(f"read and check CSV: {t1 - t0:.2f} s ({len(read) / (t1 - t0):,.0f} reports/s)")

    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{Path(tmp) / 'b.sqlite3'}") as store:
        desk = OutcomeDesk(store.engine, ())
        t0 = time.perf_counter()
        kept = desk.submit(read, time.time(), "csv", "benchmark")
        t1 = time.perf_counter()
        rate = kept.added / (t1 - t0)
        print(f"import into SQLite (one transaction): {t1 - t0:.2f} s ({rate:,.0f} reports/s)")
        t0 = time.perf_counter()
        again = desk.submit(read, time.time(), "csv", "benchmark")
        t1 = time.perf_counter()
        print(f"import again, all unchanged ({again.unchanged}): {t1 - t0:.2f} s")
        t0 = time.perf_counter()
        received = desk.received()
        t1 = time.perf_counter()
        print(f"read back every current report: {t1 - t0:.2f} s")
    now = dt.datetime.combine(records[-1].period_end + dt.timedelta(days=3), dt.time(), dt.UTC).timestamp()
    stamped = [Received(r.record, r.received_at) for r in received]
    t0 = time.perf_counter()
    by_facility: dict[str, list[Received]] = {}
    for r in stamped:
        by_facility.setdefault(r.record.facility_id, []).append(r)
    shares = [completeness(f, rs, now) for f, rs in by_facility.items()]
    t1 = time.perf_counter()
    print(f"completeness of {len(shares)} facilities: {1000 * (t1 - t0):.0f} ms")
    t0 = time.perf_counter()
    for rs in by_facility.values():
        rates([r.record for r in rs[-13:]])
    t1 = time.perf_counter()
    print(f"rates with Wilson intervals, {len(by_facility)} facilities: {1000 * (t1 - t0):.0f} ms")
    one = [r.record for r in next(iter(by_facility.values()))]
    points = [SeriesPoint(r.period_start, float(r.stillbirths), 4.0, 8.0, r.stillbirths > 8) for r in one]
    t0 = time.perf_counter()
    svg = series_svg("facility-000", points, last=None)
    t1 = time.perf_counter()
    print(f"SVG of {len(points)} weeks: {1000 * (t1 - t0):.1f} ms, {len(svg) / 1000:.0f} kB")


if __name__ == "__main__":
    main()
