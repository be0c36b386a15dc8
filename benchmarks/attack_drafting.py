"""Attacks on health care drafted from the public scenarios, against their truth, at several distances.

Usage: python benchmarks/attack_drafting.py [--distances 300,500,1000] [SCENARIO_DIR ...]

For each scenario it replays the events once, then drafts attack records
(:mod:`nadhir.health.attack_drafts`) at each distance, from reported impacts
(as the product does) and, for comparison, from reported and acoustically
located impacts alike. A draft is right when ``truth.json`` has a strike
within that distance of the facility that day. It prints, per distance:
drafts, right, those with a strike within 500 m (on the facility's own
footprint), and truth's facility-days (strikes within the distance of a
health facility) that got a draft; and the time drafting took (the replay
not counted). An analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.replay import replay_scenario
from nadhir.geo.distance import haversine_m
from nadhir.health.attack_drafts import ImpactPoint, draft_attacks, impact_points, is_health_facility

NEAR_M = 500.0  # a strike this close hit the facility's own footprint (a hospital site's radius)
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "scenarios"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", type=Path)
    ap.add_argument("--distances", default="300,500,1000")
    args = ap.parse_args()
    roots = args.scenarios or sorted(p for p in DATA.iterdir() if (p / "truth.json").exists())
    distances = [float(d) for d in args.distances.split(",")]
    totals: dict[tuple[str, float], list[int]] = {}
    draft_s = 0.0
    for root in roots:
        scenario = load_scenario(root)
        result = replay_scenario(scenario, keep=True)
        strikes = json.loads((root / "truth.json").read_text(encoding="utf-8"))["strikes"]
        facilities = [s for s in scenario.sites if is_health_facility(s)]
        t0 = time.perf_counter()
        points = impact_points(result.events, scenario.sites, scenario.places)
        draft_s += time.perf_counter() - t0
        # "located" impacts counted as reports: what drafting from both would give.
        as_reports = [
            ImpactPoint(p.t, p.lat, p.lon, "reported", p.ref, p.precision_m, p.site) for p in points
        ]
        for d in distances:
            truth = {(s.id, st["t"][:10]) for st in strikes for s in facilities
                     if haversine_m(st["lat"], st["lon"], s.lat, s.lon) <= d}  # fmt: skip
            near = {(s.id, st["t"][:10]) for st in strikes for s in facilities
                    if haversine_m(st["lat"], st["lon"], s.lat, s.lon) <= NEAR_M}  # fmt: skip
            for how, pts in (("reported", points), ("reported+located", as_reports)):
                t0 = time.perf_counter()
                drafts = draft_attacks(scenario.sites, pts, result.alerts, result.tracks, distance_m=d)
                draft_s += time.perf_counter() - t0
                got = {(r.facility.id, r.date) for r in drafts}
                row = totals.setdefault((how, d), [0, 0, 0, 0, 0])
                row[0] += len(got)
                row[1] += len(got & truth)
                row[2] += len(truth)
                row[3] += len(truth & got)
                row[4] += len(got & near)
                print(f"{root.name:20s} {how:17s} {d:6.0f} m  drafts {len(got)}  right {len(got & truth)}"
                      f"  truth {len(truth)}  found {len(truth & got)}")  # fmt: skip
    print()
    print(
        f"impacts from            distance  drafts  right  strike within {NEAR_M:.0f} m"
        "  truth facility-days  found"
    )
    for (how, d), (n, right, truth_n, found, near_n) in sorted(
        totals.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        print(f"{how:22s} {d:7.0f} m  {n:6d}  {right:5d}  {near_n:19d}  {truth_n:19d}  {found:5d}")
    print(f"drafting time, all scenarios and distances: {draft_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
