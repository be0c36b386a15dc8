"""Scale: 200 aircraft at once and 10,000 acoustic sensors reporting at 1 Hz, on one core.

Usage: python benchmarks/tracking_scale.py [--aircraft N] [--sensors N] [--seconds S] [--seed N]
                                            [--check-grid] [--json]

A generated load (seeded): 10,000 acoustic nodes on a square grid 4 km
apart (a 400 km square), 200 aircraft over it (30 % jets at 4-5 km
altitude, 40 % helicopters, 30 % drones) flying legs and turns. Every
second each node reports a bearing (5 deg noise, with the sound's travel
time over the slant range) to each aircraft it hears (jets within 25 km,
helicopters 12 km, drones 8 km; detection probability 0.8), at most the two
nearest, plus a little clutter (0.5 % of nodes report a random bearing).
Every aircraft was reported once by a spotter at the start, so the run
measures the steady state of a crowded sky, not its first minutes.

Only ``Tracker.step`` is timed (making the load is not). Passes when the
worst simulated second is processed in less than one second of wall time
(faster than real time). ``--check-grid`` replays the first seconds with the
association grid switched off and checks that every track comes out the same.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from nadhir.tracking import associator as assoc_module
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES, REPORT_LIKELIHOOD, SOUND_LIKELIHOOD
from nadhir.tracking.tracker import Tracker

SPACING_M = 4000.0
SIGMA_DEG = 5.0
P_DETECT = 0.8
MAX_PER_NODE = 2
CLUTTER_SHARE = 0.005
MIX = (("jet", 0.3, 4500.0), ("helicopter", 0.4, 1000.0), ("drone", 0.3, 2000.0))


class Sky:
    """Aircraft flying legs and turns over a square sensor field."""

    def __init__(self, n_aircraft: int, n_sensors: int, rng: np.random.Generator) -> None:
        side = round(math.sqrt(n_sensors))
        self.extent = side * SPACING_M
        g = (np.arange(side) + 0.5) * SPACING_M - self.extent / 2
        gx, gy = np.meshgrid(g, g)
        self.sx, self.sy = gx.ravel(), gy.ravel()
        self.side = side
        kinds = rng.choice(len(MIX), size=n_aircraft, p=[m[1] for m in MIX])
        self.kind = [MIX[k][0] for k in kinds]
        self.alt = np.array([MIX[k][2] for k in kinds])
        self.audible = np.array([PROFILES[k].audible_m for k in self.kind])
        cruise = np.array([PROFILES[k].cruise_mps for k in self.kind])
        self.speed = cruise * rng.uniform(0.8, 1.2, n_aircraft)
        half = self.extent / 2 * 0.85
        self.x = rng.uniform(-half, half, n_aircraft)
        self.y = rng.uniform(-half, half, n_aircraft)
        self.heading = rng.uniform(0, 2 * math.pi, n_aircraft)
        self.turn = np.zeros(n_aircraft)
        self.leg_left = rng.uniform(0, 60, n_aircraft)
        self.rng = rng

    def fly(self, dt: float) -> None:
        rng = self.rng
        self.leg_left -= dt
        new = self.leg_left <= 0
        if new.any():
            k = int(new.sum())
            straight = rng.random(k) < 0.6
            rates = rng.choice([-1.0, 1.0], k) * np.radians(rng.uniform(1.0, 4.0, k))
            self.turn[new] = np.where(straight, 0.0, rates)
            self.leg_left[new] = rng.uniform(20.0, 90.0, k)
        self.heading += self.turn * dt
        self.x += self.speed * np.sin(self.heading) * dt
        self.y += self.speed * np.cos(self.heading) * dt
        # Keep the sky inside the field: turn back at the edge.
        out = (np.abs(self.x) > self.extent / 2 * 0.9) | (np.abs(self.y) > self.extent / 2 * 0.9)
        self.heading[out] = np.arctan2(-self.x[out], -self.y[out])

    def sightings(self, t: float) -> list[PositionFix]:
        rng = self.rng
        return [
            PositionFix(
                t=t,
                x=float(self.x[i] + rng.normal(0, 2500.0)),
                y=float(self.y[i] + rng.normal(0, 2500.0)),
                sigma_m=2500.0,
                source=f"spotter-{i}",
                evidence=0.8,
                type_likelihood=REPORT_LIKELIHOOD[self.kind[i]],
                heading_rad=float(self.heading[i]),
                delay_s=0.0,
            )
            for i in range(len(self.x))
        ]

    def bearings(self, t: float) -> list[BearingFix]:
        """Every node's detections this second (vectorised per aircraft over the nodes in earshot)."""
        rng = self.rng
        rows: list[tuple[int, int, float, float]] = []  # (node, aircraft, bearing, range)
        vx, vy = self.speed * np.sin(self.heading), self.speed * np.cos(self.heading)
        for i in range(len(self.x)):
            r = self.audible[i]
            i0 = max(0, int((self.x[i] - r + self.extent / 2) // SPACING_M))
            i1 = min(self.side - 1, int((self.x[i] + r + self.extent / 2) // SPACING_M))
            j0 = max(0, int((self.y[i] - r + self.extent / 2) // SPACING_M))
            j1 = min(self.side - 1, int((self.y[i] + r + self.extent / 2) // SPACING_M))
            if i1 < i0 or j1 < j0:
                continue
            cols, rws = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
            nodes = (rws * self.side + cols).ravel()
            dx, dy = self.x[i] - self.sx[nodes], self.y[i] - self.sy[nodes]
            rng_m = np.hypot(dx, dy)
            heard = (rng_m <= r) & (rng.random(len(nodes)) < P_DETECT)
            nodes, dx, dy, rng_m = nodes[heard], dx[heard], dy[heard], rng_m[heard]
            # Emission point of the sound heard now (straight flight over the travel time).
            c = SPEED_OF_SOUND_MPS
            a = c * c - (vx[i] ** 2 + vy[i] ** 2)
            b = dx * vx[i] + dy * vy[i]
            tau = (-b + np.sqrt(b * b + a * (rng_m**2 + self.alt[i] ** 2))) / a
            brg = np.arctan2(dx - vx[i] * tau, dy - vy[i] * tau) + np.radians(
                SIGMA_DEG
            ) * rng.standard_normal(len(nodes))
            rows.extend(zip(nodes.tolist(), [i] * len(nodes), brg.tolist(), rng_m.tolist(), strict=True))
        rows.sort(key=lambda row: (row[0], row[3]))
        out: list[BearingFix] = []
        last, kept = -1, 0
        for node, i, brg, _ in rows:
            kept = kept + 1 if node == last else 1
            last = node
            if kept > MAX_PER_NODE:
                continue
            out.append(self._fix(t, node, brg, self.kind[i]))
        n_clutter = rng.binomial(len(self.sx), CLUTTER_SHARE)
        for node in rng.choice(len(self.sx), n_clutter, replace=False).tolist():
            out.append(self._fix(t, node, float(rng.uniform(-math.pi, math.pi)), "propeller"))
        return out

    def _fix(self, t: float, node: int, bearing: float, sound: str) -> BearingFix:
        return BearingFix(
            t=t,
            sx=float(self.sx[node]),
            sy=float(self.sy[node]),
            bearing_rad=bearing,
            sigma_rad=math.radians(SIGMA_DEG),
            source=f"node-{node}",
            evidence=0.2,
            type_likelihood=SOUND_LIKELIHOOD[sound],
            sound_class=sound,
        )


def run(args: argparse.Namespace) -> dict[str, object]:
    rng = np.random.default_rng(args.seed)
    sky = Sky(args.aircraft, args.sensors, rng)
    tracker = Tracker()
    tracker.step(0.0, sky.sightings(0.0))
    per_second: list[float] = []
    events = 0
    batches: list[list[BearingFix]] = []
    for k in range(1, args.seconds + 1):
        sky.fly(1.0)
        batch = sky.bearings(float(k))
        if args.check_grid and k <= 3:
            batches.append(batch)
        events += len(batch)
        start = time.perf_counter()
        tracker.step(float(k), batch)
        per_second.append(time.perf_counter() - start)
    errors = []
    for i in range(len(sky.x)):
        d = [math.hypot(tr.x[0] - sky.x[i], tr.x[1] - sky.y[i]) for tr in tracker.tracks.values()]
        errors.append(min(d) if d else math.inf)
    confirmed = sum(1 for tr in tracker.tracks.values() if tr.status == "confirmed")
    result: dict[str, object] = {
        "aircraft": args.aircraft,
        "sensors": len(sky.sx),
        "seconds": args.seconds,
        "bearings_per_second": events / args.seconds,
        "wall_per_second_mean": float(np.mean(per_second)),
        "wall_per_second_p95": float(np.percentile(per_second, 95)),
        "wall_per_second_max": float(np.max(per_second)),
        "us_per_bearing": 1e6 * float(np.sum(per_second)) / max(1, events),
        "tracks": len(tracker.tracks),
        "confirmed": confirmed,
        "aircraft_within_1km": int(sum(e < 1000.0 for e in errors)),
        "median_error_m": float(np.median(errors)),
        "pass": float(np.max(per_second)) < 1.0,
    }
    if args.check_grid:
        result["grid_identical"] = _check_grid(args, batches)
        result["pass"] = bool(result["pass"]) and bool(result["grid_identical"])
    return result


def _check_grid(args: argparse.Namespace, batches: list[list[BearingFix]]) -> bool:
    """Replay the first seconds with and without the association grid: the same tracks must result."""
    states = []
    for min_tracks in (assoc_module.GRID_MIN_TRACKS, 10**9):
        saved = assoc_module.GRID_MIN_TRACKS
        assoc_module.GRID_MIN_TRACKS = min_tracks
        try:
            sky = Sky(args.aircraft, args.sensors, np.random.default_rng(args.seed))
            tracker = Tracker()
            tracker.step(0.0, sky.sightings(0.0))
            for k, batch in enumerate(batches, start=1):
                tracker.step(float(k), batch)
            states.append([(tr.id, tr.x.tobytes(), tr.p.tobytes()) for tr in tracker.tracks.values()])
        finally:
            assoc_module.GRID_MIN_TRACKS = saved
    return states[0] == states[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aircraft", type=int, default=200)
    ap.add_argument("--sensors", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check-grid", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['aircraft']} aircraft, {result['sensors']} sensors at 1 Hz, {result['seconds']} s: "
            f"{result['bearings_per_second']:.0f} bearings/s"
        )
        print(
            f"wall time per simulated second: mean {result['wall_per_second_mean']:.3f} s, "
            f"p95 {result['wall_per_second_p95']:.3f} s, max {result['wall_per_second_max']:.3f} s "
            f"({result['us_per_bearing']:.1f} us per bearing)"
        )
        within, total = result["aircraft_within_1km"], result["aircraft"]
        print(
            f"tracks {result['tracks']} (confirmed {result['confirmed']}), aircraft with a track within 1 km:"
        )
        print(f"  {within}/{total}, median error {result['median_error_m']:.0f} m")
        if "grid_identical" in result:
            print(f"grid and all-pairs association identical: {result['grid_identical']}")
        print("PASS (faster than real time)" if result["pass"] else "FAIL")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
