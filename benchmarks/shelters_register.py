"""Shelters register at a region's scale: a CSV import, the ranking, the exports, the field message.

    .venv/bin/python benchmarks/shelters_register.py [--sites 1500] [--updates 8] [--db URL]

North-west Syria's CCCM cluster tracks about 1,500 camps and sites; each gets an update every week
or two. This makes ``--sites`` sites with ``--updates`` updates each (realistic ranges, seeded), then
times, on one core: reading the CSV, keeping it in the store (default: a fresh SQLite file), reading
every site's latest update back, ranking them against Sphere, writing and validating the HXL export
with libhxl, and taking one field message (read, last update, new update kept). Targets: the whole
import under 10 s, the ranked list (what ``GET /api/v1/shelters`` computes) under 0.5 s, one field
message under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from nadhir.domain import Reporter
from nadhir.intake.field_reports import Mandates
from nadhir.shelters.csv_format import COLUMNS, read_csv
from nadhir.shelters.exports import check_hxl, hxl_csv
from nadhir.shelters.field import ShelterSiteReader
from nadhir.shelters.sphere import ranked
from nadhir.store import Store, default_url
from nadhir.store.shelters import ShelterBook

T0 = 1_793_836_800.0  # 2026-11-05T00:00:00Z
WEEK = 7 * 86_400.0
TYPES = ("planned-camp", "self-settled-camp", "collective-centre", "reception-centre")


def make_csv(sites: int, updates: int, rng: random.Random) -> str:
    lines = [",".join(COLUMNS)]
    for i in range(sites):
        kind = rng.choice(TYPES)
        lat, lon = rng.uniform(35.8, 36.3), rng.uniform(36.3, 36.9)
        people = rng.randint(50, 6000)
        for k in range(updates):
            people = max(0, int(people * rng.uniform(0.9, 1.3)))
            hh = people // 5
            tents = hh + rng.randint(0, 20)
            latrines, showers = rng.randint(0, people // 15 + 1), rng.randint(0, 40)
            water, area = people * rng.randint(5, 25), people * rng.randint(2, 5)
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + k * WEEK + rng.randint(0, 86_000)))
            row = [f"site-{i:05d}", f"Site {i}", "", kind, f"{lat:.5f}", f"{lon:.5f}", str(hh), str(people),
                   str(latrines), str(showers), str(water), str(tents), str(rng.randint(0, tents)), str(area),
                   when]  # fmt: skip
            lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def timed(label: str, fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args)
    elapsed = time.perf_counter() - start
    print(f"{label:<38} {elapsed * 1000:9.1f} ms")
    return out, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1500)
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    rng = random.Random(20)
    text = make_csv(args.sites, args.updates, rng)
    rows = args.sites * args.updates
    print(f"{args.sites} sites x {args.updates} updates = {rows} rows, {len(text) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or default_url(Path(tmp) / "shelters.sqlite3")
        with Store.open(url) as store:
            book = ShelterBook(store.engine)
            read, t_read = timed("read the CSV", read_csv, text)
            assert not read.problems, read.problems[:3]
            outcome, t_keep = timed("keep every update (one transaction)", book.add, read.updates)
            assert len(outcome.kept) == rows
            latest, t_latest = timed("latest update of every site", book.latest)
            order, t_rank = timed("rank against Sphere", ranked, latest)
            hxl, _ = timed("HXL export", hxl_csv, latest)
            errors, _ = timed("HXL validated with libhxl", check_hxl, hxl)
            assert errors == [], errors[:3]
            print(f"{'import total (read + keep)':<38} {(t_read + t_keep) * 1000:9.1f} ms")
            print(f"{'ranked list (latest + rank)':<38} {(t_latest + t_rank) * 1000:9.1f} ms")
            print(f"neediest: {order[0].site_id} misses {', '.join(order[0].misses)}")

            def keep(update):  # type: ignore[no-untyped-def]
                out = book.add([update])
                return out.conflicts[0].reason if out.conflicts else None

            every_site = tuple(f"site-{i:05d}" for i in range(args.sites))
            bench = Mandates([Reporter("bench", "observer", speaks_for=every_site)])
            reader = ShelterSiteReader(book.last_of, keep, bench)
            times = []
            for n in range(50):
                site = f"site-{rng.randrange(args.sites):05d}"
                start = time.perf_counter()
                reader.take("bench", f"site {site}: latrines {n + 1}, tents flooded 0", T0 + 60 * WEEK + n)
                times.append(time.perf_counter() - start)
            print(f"{'field message (50): median / max':<38} {statistics.median(times) * 1000:9.1f} ms"
                  f" / {max(times) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
