"""Fan-out: with 1,000,000 subscribers, target an alert for 10 sites to its recipients.

    .venv/bin/python benchmarks/fanout.py [--subscribers 1000000] [--sites 10] [--repeat 5] [--seed 1]

Synthetic subscribers over north-west Syria (34.8-36.9 N, 35.7-38.0 E): half
subscribe to 1-3 of 200 sites, half to a point and a radius (log-uniform
1-50 km), a tenth of those both. Sites are towns with radii of 1-4 km. The
figure is the time of ``SubscriberIndex.targets`` for 10 random sites (best
and median of ``--repeat`` draws), checked against a brute-force scan.
Target: <= 1 s on one core. Run with ``OMP_NUM_THREADS=1`` (set below) so
numpy stays on one core; the KD-tree query is single-threaded.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import time

import numpy as np

from nadhir.delivery.subscriptions import SubscriberIndex
from nadhir.domain import Site
from nadhir.geo.distance import EARTH_RADIUS_M


def brute_force(sites: list[Site], members: dict[str, np.ndarray], idx: np.ndarray, lat: np.ndarray,
                lon: np.ndarray, rad: np.ndarray) -> np.ndarray:  # fmt: skip
    parts = [members.get(s.id, np.zeros(0, dtype=np.int64)) for s in sites]
    la, lo = np.radians(lat), np.radians(lon)
    for s in sites:
        p1, l1 = np.radians(s.lat), np.radians(s.lon)
        a = np.sin((la - p1) / 2) ** 2 + np.cos(p1) * np.cos(la) * np.sin((lo - l1) / 2) ** 2
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
        parts.append(idx[d <= rad + s.radius_m])
    return np.unique(np.concatenate(parts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscribers", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.subscribers
    all_sites = [
        Site(f"site-{k}", f"Site {k}", "town", float(rng.uniform(34.8, 36.9)), float(rng.uniform(35.7, 38.0)),
             float(rng.uniform(1000, 4000)))
        for k in range(200)
    ]  # fmt: skip

    t0 = time.perf_counter()
    by_site = n // 2
    members: dict[str, list[np.ndarray]] = {}
    owners = np.arange(by_site, dtype=np.int64)
    for _ in range(3):
        choice = rng.integers(0, len(all_sites), by_site)
        keep = rng.random(by_site) < 0.6
        for k in range(len(all_sites)):
            members.setdefault(all_sites[k].id, []).append(owners[(choice == k) & keep])
    site_members = {s: np.concatenate(v) for s, v in members.items()}
    point_idx = np.concatenate([np.arange(by_site, n, dtype=np.int64),
                                rng.choice(by_site, n // 20, replace=False).astype(np.int64)])  # fmt: skip
    m = len(point_idx)
    lat = rng.uniform(34.8, 36.9, m)
    lon = rng.uniform(35.7, 38.0, m)
    rad = np.exp(rng.uniform(np.log(1000.0), np.log(50_000.0), m))
    gen_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    index = SubscriberIndex(n, site_members, point_idx, lat, lon, rad)
    build_s = time.perf_counter() - t1

    times: list[float] = []
    cpus: list[float] = []
    counts: list[int] = []
    for r in range(args.repeat):
        chosen = [all_sites[int(k)] for k in rng.choice(len(all_sites), args.sites, replace=False)]
        t, c = time.perf_counter(), time.process_time()
        got = index.targets(chosen)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        counts.append(len(got))
        if r == 0:
            expected = brute_force(chosen, site_members, point_idx, lat, lon, rad)
            assert np.array_equal(got, expected), "index and brute force disagree"
    print(f"subscribers: {n:,} ({len(point_idx):,} point+radius, {by_site:,} by site), made in {gen_s:.1f} s")
    print(f"index built in {build_s:.2f} s")
    ms = sorted(t * 1000 for t in times)
    print(f"alert for {args.sites} sites: {statistics.median(counts):,.0f} recipients (median)")
    print(f"targeting: best {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, worst {ms[-1]:.0f} ms "
          f"over {args.repeat} draws (first checked against a brute-force scan)")  # fmt: skip
    cpu_ms = sorted(c * 1000 for c in cpus)
    print(f"CPU time of targeting: median {statistics.median(cpu_ms):.0f} ms, worst {cpu_ms[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
