"""Where do sightings put fast aircraft, and where do their tracks sit? By aircraft type, against the truth.

Usage: python benchmarks/sighting_offsets.py [--lateness PRIOR | --oracle-lateness] [--ring TYPES:SIGMA_DEG]
           [--only sightings|bearings] [SCENARIO_DIR ...]
       (default: the 7 public scenarios)

Replays each scenario with the system's own tracker and attributes every sighting to a true
aircraft (``truth_owner.py``: within 8 km of it at the report's arrival or up to 300 s before).
For each aircraft type it prints:

* **sightings**: how many; the aircraft's true speed (median); the report's offset from where
  the aircraft is *when the report arrives*, along its course (mean and spread; negative =
  behind it) and across it (spread); that offset along the course divided by the speed (the
  report's apparent lateness, seconds); the distance (median, 90th percentile) against the
  1-sigma the sighting is given;
* **tracks**: every 5th tracker step while the aircraft flies faster than 5 m/s, whether a
  confirmed track is within 30 km of it (covered), and the nearest one's offset along the
  course (median: negative = the track is behind) and speed over the true speed (median).

The sightings' offsets are what the measurement model (``tracking/measurements.py``,
``REPORT_DELAY_SIGMA_S`` and the place's ``sigma_m``) has to describe; the tracks' lag and
speed ratio are what follows from it. An analysis tool: it reads ``truth.json``, which the
system never does. The attribution gate (8 km, 300 s) trims the largest offsets, so the
spreads printed are lower bounds.

``--lateness`` replays with the one-sided lateness prior (``tracking/lateness.py``, e.g.
``half-normal:30:4``); ``--oracle-lateness`` tells the tracker each sighting's lateness by the
truth (``truth_owner.tell_lateness``): what the tracks would be if lateness were known.
``--only sightings|bearings`` tracks with one stream of measurements alone (the sightings'
rows are unchanged): which stream the tracks' lag and speed come from. ``--ring`` folds the
type's speed into tracks whose direction is known but speed vague (``tracking/ring.py``, ``jet:90``).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
from pathlib import Path

import numpy as np

# This folder is on the path when run as a script.
from evaluation_sets import PUBLIC_REAL, PUBLIC_SYNTHETIC, SCENARIOS
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import Stepper
from nadhir.tracking.lateness import LatenessPrior
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir.tracking.ring import RingPrior
from nadhir.tracking.tracker import Ended
from nadhir_lab.scoring import AircraftPath, load_truth
from truth_owner import MeasurementOwner, tell_lateness

TRACK_REACH_M = 30_000.0
MOVING_MPS = 5.0
SNAPSHOT_EVERY = 5  # tracker steps between track snapshots


def _course(owner: MeasurementOwner, ac: AircraftPath, t: float) -> tuple[float, float, float, float] | None:
    """The aircraft's true position and velocity at ``t`` (over the 5 s before), or None."""
    q, q0 = owner.position(ac, t), owner.position(ac, t - 5.0)
    if q is None or q0 is None:
        return None
    return q[0], q[1], (q[0] - q0[0]) / 5.0, (q[1] - q0[1]) / 5.0


def _along_cross(course: tuple[float, float, float, float], x: float, y: float) -> tuple[float, float]:
    px, py, vx, vy = course
    speed = math.hypot(vx, vy)
    dx, dy = x - px, y - py
    return (dx * vx + dy * vy) / speed, (-dx * vy + dy * vx) / speed


def measure(
    folder: Path,
    lateness: LatenessPrior | None = None,
    oracle_lateness: bool = False,
    only: str | None = None,
    ring: RingPrior | None = None,
) -> tuple[dict[str, list[tuple[float, ...]]], dict[str, list[tuple[float, ...]]]]:
    """Per aircraft type: sighting rows (speed, along, cross, distance, sigma) and track rows
    (speed, along, speed of the nearest confirmed track; along NaN when none is within reach).
    ``lateness`` sets the tracker's model of a report's lateness (``--lateness``); ``oracle_lateness``
    tells it each sighting's lateness by the truth instead (``--oracle-lateness``); ``only``
    (``"sightings"`` or ``"bearings"``) feeds the tracker that stream alone (``--only``), while the
    sighting rows still describe every sighting; ``ring`` sets the tracker's ring prior (``--ring``)."""
    scenario = load_scenario(folder)
    pipeline = build_pipeline(scenario, None, None, lateness=lateness, ring=ring)
    tracker = pipeline.tracker
    if oracle_lateness:
        told = MeasurementOwner(
            load_truth(folder), folder, pipeline.frame, max_delay_s=300, travel_time=False
        )
        tell_lateness(tracker, told)
    log: list[tuple[float, list[Measurement]]] = []
    snaps: list[tuple[float, list[tuple[float, float, float, float]]]] = []
    step = tracker.step

    def logged_step(t: float, batch: list[Measurement]) -> Ended:
        log.append((t, list(batch)))
        if only is not None:
            kind = PositionFix if only == "sightings" else BearingFix
            batch = [m for m in batch if isinstance(m, kind)]
        ended = step(t, batch)
        if len(log) % SNAPSHOT_EVERY == 0:
            snaps.append(
                (
                    t,
                    [
                        tuple(float(v) for v in tr.x)
                        for tr in tracker.tracks.values()
                        if tr.status == "confirmed"
                    ],
                )  # type: ignore[misc]
            )
        return ended

    tracker.step = logged_step  # type: ignore[method-assign]
    Stepper(pipeline, lambda _: None, None).run(e for _, e in scenario.events())
    truth = load_truth(folder)
    kinds = {a["id"]: a["type"] for a in json.loads((folder / "truth.json").read_text())["aircraft"]}
    owner = MeasurementOwner(truth, folder, pipeline.frame, max_delay_s=300, travel_time=True)
    sightings: dict[str, list[tuple[float, ...]]] = collections.defaultdict(list)
    aircraft = {a.id: a for a in truth.aircraft}
    for aid, measurements in owner.attribute(log).items():
        for t, m in measurements:
            course = _course(owner, aircraft[aid], t)
            if not isinstance(m, PositionFix) or course is None or math.hypot(*course[2:]) < MOVING_MPS:
                continue
            along, cross = _along_cross(course, m.x, m.y)
            speed = math.hypot(*course[2:])
            sightings[kinds[aid]].append((speed, along, cross, math.hypot(along, cross), m.sigma_m))
    tracks: dict[str, list[tuple[float, ...]]] = collections.defaultdict(list)
    for t, states in snaps:
        for ac in truth.aircraft:
            course = _course(owner, ac, t)
            if course is None or math.hypot(*course[2:]) < MOVING_MPS:
                continue
            near = [(math.hypot(x[0] - course[0], x[1] - course[1]), x) for x in states]
            near = [n for n in near if n[0] < TRACK_REACH_M]
            speed = math.hypot(*course[2:])
            if not near:
                tracks[kinds[ac.id]].append((speed, math.nan, math.nan))
                continue
            x = min(near)[1]
            tracks[kinds[ac.id]].append((speed, _along_cross(course, x[0], x[1])[0], math.hypot(x[2], x[3])))
    return sightings, tracks


def report(
    name: str, sightings: dict[str, list[tuple[float, ...]]], tracks: dict[str, list[tuple[float, ...]]]
) -> None:
    """Print one scenario's (or group's) rows, one per aircraft type."""
    for kind in sorted(set(sightings) | set(tracks)):
        s = np.array(sightings.get(kind, []), dtype=float).reshape(-1, 5)
        tr = np.array(tracks.get(kind, []), dtype=float).reshape(-1, 3)
        covered = ~np.isnan(tr[:, 1]) if len(tr) else np.zeros(0, dtype=bool)
        cells = [name, kind, str(len(s))]
        if len(s):
            late = s[:, 1] / s[:, 0]
            cells += [
                f"{np.median(s[:, 0]):.0f}",
                f"{np.mean(s[:, 1]) / 1000:.1f} ± {np.std(s[:, 1]) / 1000:.1f}",
                f"{np.std(s[:, 2]) / 1000:.1f}",
                f"{np.mean(late):.0f} ± {np.std(late):.0f}",
                f"{np.median(s[:, 3]) / 1000:.1f} / {np.percentile(s[:, 3], 90) / 1000:.1f}",
                f"{np.median(s[:, 4]) / 1000:.1f}",
            ]
        else:
            cells += ["-"] * 6
        if covered.any():
            cells += [
                f"{covered.mean():.2f}",
                f"{np.median(tr[covered, 1]) / 1000:.1f}",
                f"{np.median(tr[covered, 2] / tr[covered, 0]):.2f}",
            ]
        else:
            cells += [f"{covered.mean():.2f}" if len(tr) else "-", "-", "-"]
        print("| " + " | ".join(cells) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "scenarios", nargs="*", type=Path, default=[SCENARIOS / n for n in PUBLIC_SYNTHETIC + PUBLIC_REAL]
    )
    ap.add_argument(
        "--lateness",
        help="a report's lateness as a one-sided prior: half-normal:SCALE_S:BINS or exponential:MEAN_S:BINS",
    )
    ap.add_argument(
        "--oracle-lateness",
        action="store_true",
        help="tell the tracker each sighting's lateness by the truth (an analysis bound)",
    )
    ap.add_argument(
        "--only", choices=("sightings", "bearings"), help="feed the tracker this stream of measurements alone"
    )
    ap.add_argument("--ring", help="fold the type's speed into tracks of these types: TYPES:SIGMA_DEG")
    args = ap.parse_args()
    lateness = LatenessPrior.parse(args.lateness) if args.lateness else None
    ring = RingPrior.parse(args.ring) if args.ring else None
    print(
        "| scenario | type | sightings | true speed m/s | along km (mean ± sd) | across sd km "
        "| lateness s (mean ± sd) | distance km median / p90 | sigma km | tracked | track along km "
        "| track speed / true |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    pooled_s: dict[str, list[tuple[float, ...]]] = collections.defaultdict(list)
    pooled_t: dict[str, list[tuple[float, ...]]] = collections.defaultdict(list)
    for folder in args.scenarios:
        sightings, tracks = measure(folder, lateness, args.oracle_lateness, args.only, ring)
        report(folder.name, sightings, tracks)
        for k, v in sightings.items():
            pooled_s[k] += v
        for k, v in tracks.items():
            pooled_t[k] += v
    if len(args.scenarios) > 1:
        report("**together**", pooled_s, pooled_t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
