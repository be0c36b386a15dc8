"""Where does a scenario's OSPA go? Counts, the squared OSPA's four parts, and who is missed.

Usage: python benchmarks/ospa_parts.py SCENARIO_DIR [SCENARIO_DIR ...]

Replays each scenario through the full pipeline and, on the scorer's 10 s
grid (published tracks dead-reckoned as the scorer does), prints:

* mean counts per step: aircraft in the air, those already measured (some
  sighting or bearing the truth attributes to them, ``truth_owner.py``),
  live tracks (tentative ones too) and published tracks;
* the squared OSPA (c = 10 km) split four ways, as shares: aircraft with no
  track (cardinality), tracks with no aircraft (cardinality), assigned
  pairs farther apart than c, and assigned pairs within c (localisation);
* the measured aircraft left without a track within 10 km by the optimal
  assignment, by type and by time since their last measurement (share of
  such samples, and share of all these misses);
* for jets within a minute of a measurement: how far the nearest published
  track is (median, and share beyond 10 km), and where it sits, along and
  across the jet's path (median; negative along = behind).

An analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import bisect
import collections
import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from logged_replay import replay_logged  # (this folder is on the path when run as a script)
from nadhir_lab.scoring import OSPA_STEP_S, track_positions_at
from truth_owner import MeasurementOwner

C_M = 10_000.0
BUCKETS = ((60.0, "<1 min"), (300.0, "1-5 min"), (900.0, "5-15 min"), (math.inf, ">15 min"))


def _bucket(since: float) -> str:
    return next(name for limit, name in BUCKETS if since < limit)


def analyse(scenario_dir: Path) -> None:
    run = replay_logged(scenario_dir)
    truth, frame = run.truth, run.frame
    kinds = {a["id"]: a["type"] for a in json.loads((scenario_dir / "truth.json").read_text())["aircraft"]}
    owner = MeasurementOwner(truth, scenario_dir, frame, max_delay_s=180, travel_time=True)
    measured = {aid: [t for t, _ in ms] for aid, ms in owner.attribute(run.measurements).items()}
    live_times = [t for t, _ in run.live]

    counts: list[tuple[int, int, int, int]] = []
    parts = np.zeros(4)
    samples: collections.Counter[tuple[str, str]] = collections.Counter()
    misses: collections.Counter[tuple[str, str]] = collections.Counter()
    jets: list[tuple[float, float, float]] = []
    t = truth.start
    while t <= truth.end:  # the scorer's grid
        air = [(ac, p) for ac in truth.aircraft if (p := ac.position_at(t)) is not None]
        tracks = [np.array(frame.to_xy(*p)) for p in track_positions_at(run.published, t)]
        if air or tracks:
            i = bisect.bisect_right(live_times, t) - 1
            # Aircraft already measured: (id, position in the frame, seconds since last measured).
            seen = [
                (ac.id, np.array(frame.to_xy(*p)), t - times[bisect.bisect_right(times, t) - 1])
                for ac, p in air
                if (times := measured.get(ac.id)) and times[0] <= t
            ]
            counts.append((len(air), len(seen), len(run.live[i][1]) if i >= 0 else 0, len(tracks)))
            parts += _ospa_parts([np.array(frame.to_xy(*p)) for _, p in air], tracks)
            covered = _covered([xy for _, xy, _ in seen], tracks)
            for k, (aid, xy, since) in enumerate(seen):
                key = (kinds[aid], _bucket(since))
                samples[key] += 1
                misses[key] += k not in covered
                if kinds[aid] == "jet" and since < 60.0 and tracks:
                    ahead = next(ac for ac, _ in air if ac.id == aid).position_at(t + 5.0)
                    if ahead is not None:
                        jets.extend(_offset(xy, np.array(frame.to_xy(*ahead)) - xy, tracks))
        t += OSPA_STEP_S

    a = np.array(counts, dtype=float)
    print(f"\n{scenario_dir.name}: {len(a)} steps")
    air_n, seen_n, live_n, published_n = a.mean(axis=0)
    print(
        f"  mean per step: {air_n:.2f} aircraft in the air, {seen_n:.2f} already measured, "
        f"{live_n:.2f} live tracks, {published_n:.2f} published"
    )
    missing, extra, far, near = 100 * parts / parts.sum()
    print(
        f"  squared OSPA: {missing:.0f} % aircraft without a track, {extra:.0f} % tracks without an "
        f"aircraft, {far:.0f} % pairs beyond 10 km, {near:.0f} % pairs within 10 km"
    )
    total = max(1, sum(misses.values()))
    print("  measured aircraft without a track within 10 km (type, since last measured: missed, share)")
    for key in sorted(samples):
        print(f"    {key[0]:10s} {key[1]:9s} {misses[key] / samples[key]:5.2f} {misses[key] / total:5.0%}")
    if jets:
        j = np.array(jets)
        dist, along, across = (np.median(j[:, k]) / 1000 for k in range(3))
        print(
            f"  jets within a minute of a measurement ({len(j)} samples): nearest published track "
            f"{dist:.1f} km (median), beyond 10 km {100 * (j[:, 0] > C_M).mean():.0f} %; "
            f"along {along:.1f} km, across {across:.1f} km (medians)"
        )


def _ospa_parts(truths: list[np.ndarray], tracks: list[np.ndarray]) -> np.ndarray:
    """One step's squared OSPA (divided by the larger count) as its four parts."""
    n = max(len(truths), len(tracks))
    out = np.zeros(4)
    out[0] = C_M**2 * max(0, len(truths) - len(tracks))
    out[1] = C_M**2 * max(0, len(tracks) - len(truths))
    if truths and tracks:
        cost = np.minimum(C_M, _distances(truths, tracks)) ** 2
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols, strict=True):
            out[2 if cost[r, c] >= C_M**2 else 3] += cost[r, c]
    return out / n


def _covered(aircraft: list[np.ndarray], tracks: list[np.ndarray]) -> set[int]:
    """Indices of the aircraft the optimal assignment gives a track within 10 km."""
    if not aircraft or not tracks:
        return set()
    dist = _distances(aircraft, tracks)
    rows, cols = linear_sum_assignment(np.minimum(dist, C_M))
    return {int(r) for r, c in zip(rows, cols, strict=True) if dist[r, c] < C_M}


def _offset(
    here: np.ndarray, motion: np.ndarray, tracks: list[np.ndarray]
) -> list[tuple[float, float, float]]:
    """(distance, along, across) of the nearest track from a moving aircraft; none if it is still."""
    if np.hypot(*motion) < 5.0:
        return []
    u = motion / np.hypot(*motion)
    off = min(tracks, key=lambda q: float(np.hypot(*(q - here)))) - here
    return [(float(np.hypot(*off)), float(off @ u), float(abs(off[0] * u[1] - off[1] * u[0])))]


def _distances(a: list[np.ndarray], b: list[np.ndarray]) -> np.ndarray:
    d: np.ndarray = np.hypot(*(np.array(a)[:, None, :] - np.array(b)[None, :, :]).transpose(2, 0, 1))
    return d


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for arg in argv:
        analyse(Path(arg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
