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

from nadhir.intake.text import MessageReader
from nadhir.pipeline import Pipeline, StepOutput
from nadhir.scenarios.reader import load_scenario
from nadhir.scenarios.replay import Replayer
from nadhir.scenarios.scoring import OSPA_STEP_S, TrackFix, load_truth, track_positions_at
from nadhir.tracking.measurements import Measurement

# This folder is on the path when run as a script.
from truth_owner import MeasurementOwner

C_M = 10_000.0
BUCKETS = ((60.0, "<1 min"), (300.0, "1-5 min"), (900.0, "5-15 min"), (math.inf, ">15 min"))


def _bucket(since: float) -> str:
    return next(name for limit, name in BUCKETS if since < limit)


def analyse(scenario_dir: Path) -> None:
    scenario = load_scenario(scenario_dir)
    truth = load_truth(scenario_dir)
    kinds = {a["id"]: a["type"] for a in json.loads((scenario_dir / "truth.json").read_text())["aircraft"]}
    pipe = Pipeline(scenario.sites, scenario.places, scenario.reporters, reader_factory=MessageReader)
    frame = pipe.frame
    log: list[tuple[float, list[Measurement]]] = []
    live: list[tuple[float, int]] = []
    step, finish = pipe.tracker.step, pipe._finish

    def logged_step(t: float, batch: list[Measurement]) -> list[object]:
        log.append((t, list(batch)))
        return step(t, batch)  # type: ignore[return-value]

    def logged_finish(t: float, out: StepOutput) -> None:
        finish(t, out)
        live.append((t, len(pipe.tracker.tracks)))

    pipe.tracker.step = logged_step  # type: ignore[method-assign,assignment]
    pipe._finish = logged_finish  # type: ignore[method-assign]
    states: dict[str, list[TrackFix]] = collections.defaultdict(list)
    Replayer(
        pipe,
        lambda a: None,
        lambda s: states[s.track].append(TrackFix(s.t, s.lat, s.lon, s.speed_mps, s.heading_deg)),
    ).run(e for _, e in scenario.events())

    owner = MeasurementOwner(truth, scenario_dir, frame, max_delay_s=180, travel_time=True)
    measured: dict[str, list[float]] = collections.defaultdict(list)
    for t, batch in log:
        for m in batch:
            aid = owner(m, t)
            if aid is not None:
                measured[aid].append(t)
    live_times = [t for t, _ in live]

    counts: list[tuple[int, int, int, int]] = []
    parts = np.zeros(4)
    samples: collections.Counter[tuple[str, str]] = collections.Counter()
    misses: collections.Counter[tuple[str, str]] = collections.Counter()
    jets: list[tuple[float, float, float]] = []
    t = truth.start
    while t <= truth.end:  # the scorer's grid
        air = [(ac, p) for ac in truth.aircraft if (p := ac.position_at(t)) is not None]
        published = [np.array(frame.to_xy(*p)) for p in track_positions_at(states, t)]
        if air or published:
            i = bisect.bisect_right(live_times, t) - 1
            seen = [(ac, p) for ac, p in air if measured.get(ac.id) and measured[ac.id][0] <= t]
            counts.append((len(air), len(seen), live[i][1] if i >= 0 else 0, len(published)))
            xy = [np.array(frame.to_xy(*p)) for _, p in air]
            parts += _ospa_parts(xy, published)
            _tally_misses(t, seen, frame, published, measured, kinds, samples, misses)
            jets.extend(_jets_near_a_fix(t, seen, frame, published, measured, kinds))
        t += OSPA_STEP_S

    a = np.array(counts, dtype=float)
    print(f"\n{scenario_dir.name}: {len(a)} steps")
    air, seen, live_n, published_n = a.mean(axis=0)
    print(
        f"  mean per step: {air:.2f} aircraft in the air, {seen:.2f} already measured, "
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
        cost = np.minimum(C_M, np.array([[np.hypot(*(a - b)) for b in tracks] for a in truths])) ** 2
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols, strict=True):
            out[2 if cost[r, c] >= C_M**2 else 3] += cost[r, c]
    return out / n


def _since(measured: dict[str, list[float]], aid: str, t: float) -> float:
    times = measured[aid]
    return t - times[bisect.bisect_right(times, t) - 1]


def _tally_misses(
    t: float,
    seen: list[tuple[object, tuple[float, float]]],
    frame: object,
    tracks: list[np.ndarray],
    measured: dict[str, list[float]],
    kinds: dict[str, str],
    samples: collections.Counter[tuple[str, str]],
    misses: collections.Counter[tuple[str, str]],
) -> None:
    if not seen:
        return
    xy = np.array([frame.to_xy(*p) for _, p in seen])  # type: ignore[attr-defined]
    covered: set[int] = set()
    if tracks:
        dist = np.array([[np.hypot(*(a - b)) for b in tracks] for a in xy])
        rows, cols = linear_sum_assignment(np.minimum(dist, C_M))
        covered = {int(r) for r, c in zip(rows, cols, strict=True) if dist[r, c] < C_M}
    for k, (ac, _) in enumerate(seen):
        aid = ac.id  # type: ignore[attr-defined]
        key = (kinds[aid], _bucket(_since(measured, aid, t)))
        samples[key] += 1
        misses[key] += k not in covered


def _jets_near_a_fix(
    t: float,
    seen: list[tuple[object, tuple[float, float]]],
    frame: object,
    tracks: list[np.ndarray],
    measured: dict[str, list[float]],
    kinds: dict[str, str],
) -> list[tuple[float, float, float]]:
    """(distance, along, across) of the nearest published track, for jets measured < 1 min ago."""
    out = []
    for ac, p in seen:
        aid = ac.id  # type: ignore[attr-defined]
        if not tracks or kinds[aid] != "jet" or _since(measured, aid, t) >= 60.0:
            continue
        here = np.array(frame.to_xy(*p))  # type: ignore[attr-defined]
        ahead = ac.position_at(t + 5.0)  # type: ignore[attr-defined]
        if ahead is None:
            continue
        v = np.array(frame.to_xy(*ahead)) - here  # type: ignore[attr-defined]
        if np.hypot(*v) < 5.0:  # not moving: no path to measure along
            continue
        u = v / np.hypot(*v)
        nearest = min(tracks, key=lambda q: float(np.hypot(*(q - here))))
        off = nearest - here
        out.append((float(np.hypot(*off)), float(off @ u), float(abs(off[0] * u[1] - off[1] * u[0]))))
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for arg in argv:
        analyse(Path(arg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
