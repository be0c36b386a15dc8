"""How good could the tracks be on a scenario? OSPA of the tracker against two bounds.

Usage: python benchmarks/tracking_bounds.py SCENARIO_DIR [SCENARIO_DIR ...]

For each scenario (replayed through the full pipeline, with the text reader):

* ``tracker``: mean OSPA (c = 10 km, p = 2, the scorer's own function) of
  the published confirmed tracks, as ``nadhir score --tracks`` reports it;
* ``perfect association``: the same filter, but each aircraft's
  measurements are handed to it by looking at the truth (a sighting goes to
  the aircraft it lies within 8 km of, allowing up to 3 minutes of report
  delay; a bearing to the aircraft it points at within 3 sigma, with the
  sound's travel time over the slant range); one track per aircraft is
  published from its first measurement until 10 minutes after its last;
* ``dead reckoning``: a clairvoyant tracker that, at every measurement of
  an aircraft (attributed as above), learns the aircraft's true position
  and velocity at that instant -- more than any report or bearing tells --
  and flies it straight on at that velocity until the next one; one track
  per aircraft from its first measurement until it lands (the right count
  throughout). A causal system fed these inputs would have to predict
  manoeuvres it has not been told of to beat it;
* ``or hovering``: the same, but at every instant it is also told whether
  flying on or staying at the last measured place is nearer the truth (an
  oracle's choice, for aircraft that loiter or hover between reports);
* ``perfect tracker``: the true position of every aircraft from the moment
  of its first measurement on -- no system fed these inputs can do better,
  since an aircraft nobody has seen or heard cannot be placed.

The first gap is association and track management; the next two,
estimation from sparse, late and coarse reports: what the measurements
would give if each were exact, and what flying between them hides. This is an analysis tool: it reads
``truth.json``, which the system itself never does.
"""

from __future__ import annotations

import collections
import math
import sys
from pathlib import Path

import numpy as np

from logged_replay import replay_logged  # (this folder is on the path when run as a script)
from nadhir.geo.frame import LocalFrame
from nadhir.tracking.measurements import Measurement
from nadhir.tracking.tracker import Tracker
from nadhir_lab.scoring import AircraftPath, TrackFix, ospa_samples
from truth_owner import MeasurementOwner

HOLD_S = 600.0


def evaluate(scenario_dir: Path) -> dict[str, float]:
    run = replay_logged(scenario_dir)
    truth, frame = run.truth, run.frame
    tracker_ospa = float(np.mean(ospa_samples(run.published, truth)))

    owner = MeasurementOwner(truth, scenario_dir, frame, max_delay_s=180, travel_time=True)
    own: dict[str, dict[float, list[Measurement]]] = {}
    for aid, measured in owner.attribute(run.measurements).items():
        for t, m in measured:
            own.setdefault(aid, {}).setdefault(t, []).append(m)
    assoc: dict[str, list[TrackFix]] = collections.defaultdict(list)
    perfect: dict[str, list[TrackFix]] = collections.defaultdict(list)
    reckoned: dict[str, list[TrackFix]] = collections.defaultdict(list)
    hovering: dict[str, list[TrackFix]] = collections.defaultdict(list)
    for ac in truth.aircraft:
        by_t = own.get(ac.id)
        if not by_t:
            continue
        times = sorted(by_t)
        tracker = Tracker()
        ticks = np.arange(times[0], min(times[-1] + HOLD_S, ac.times[-1]), 5.0).tolist()
        for t in sorted(set(times) | set(ticks)):
            if t in by_t:
                tracker.step(t, by_t[t])
            else:
                tracker.advance(t)
            if tracker.tracks:
                best = max(tracker.tracks.values(), key=lambda tr: tr.hits)
                lat, lon = frame.to_latlon(*best.position)
                heading = math.degrees(math.atan2(best.x[2], best.x[3])) % 360
                assoc[ac.id].append(TrackFix(t, lat, lon, best.speed, heading))
        for t in np.arange(times[0], ac.times[-1], 5.0).tolist():
            p = ac.position_at(t)
            if p is not None:
                perfect[ac.id].append(TrackFix(t, p[0], p[1], 0.0, 0.0))
        reckoned[ac.id] = _dead_reckoned(ac, times, frame)
        hovering[ac.id] = _dead_reckoned(ac, times, frame, may_hover=True)
    return {
        "tracker": tracker_ospa,
        "perfect_association": float(np.mean(ospa_samples(assoc, truth))),
        "dead_reckoning": float(np.mean(ospa_samples(reckoned, truth))),
        "or_hovering": float(np.mean(ospa_samples(hovering, truth))),
        "perfect_tracker": float(np.mean(ospa_samples(perfect, truth))),
    }


def _dead_reckoned(
    ac: AircraftPath, measured: list[float], frame: LocalFrame, may_hover: bool = False
) -> list[TrackFix]:
    """Fixes every 5 s from ``measured[0]`` to landing: the truth at the last measurement, flown
    straight, or (``may_hover``) kept there instead whenever that is nearer the truth."""
    fixes: list[TrackFix] = []
    anchor: tuple[float, float, float, float, float] | None = None  # t, x, y, vx, vy
    k = 0
    for t in np.arange(measured[0], ac.times[-1], 5.0).tolist():
        while k < len(measured) and measured[k] <= t:
            anchor = _true_state(ac, measured[k], frame)
            k += 1
        if anchor is None:
            continue
        t0, x, y, vx, vy = anchor
        fx, fy = x + vx * (t - t0), y + vy * (t - t0)
        if may_hover and (now := ac.position_at(t)) is not None:
            tx, ty = frame.to_xy(*now)
            if math.hypot(x - tx, y - ty) < math.hypot(fx - tx, fy - ty):
                fx, fy = x, y
        lat, lon = frame.to_latlon(fx, fy)
        fixes.append(TrackFix(t, lat, lon, 0.0, 0.0))
    return fixes


def _true_state(ac: AircraftPath, t: float, frame: LocalFrame) -> tuple[float, float, float, float, float]:
    """Position and velocity (over the 10 s around ``t``) of the aircraft in the local frame."""
    here = ac.position_at(t) or ac.position_at(ac.times[-1])
    before = ac.position_at(max(ac.times[0], t - 5.0)) or here
    after = ac.position_at(min(ac.times[-1], t + 5.0)) or here
    assert here is not None and before is not None and after is not None
    x, y = frame.to_xy(*here)
    x0, y0 = frame.to_xy(*before)
    x1, y1 = frame.to_xy(*after)
    dt = max(1e-9, min(ac.times[-1], t + 5.0) - max(ac.times[0], t - 5.0))
    return t, x, y, (x1 - x0) / dt, (y1 - y0) / dt


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    print(
        f"{'scenario':24s}{'tracker':>10s}{'perfect assoc.':>16s}"
        f"{'dead reckoning':>16s}{'or hovering':>13s}{'perfect tracker':>17s}   (mean OSPA, m)"
    )
    for arg in argv:
        r = evaluate(Path(arg))
        print(
            f"{Path(arg).name:24s}{r['tracker']:10.0f}{r['perfect_association']:16.0f}"
            f"{r['dead_reckoning']:16.0f}{r['or_hovering']:13.0f}{r['perfect_tracker']:17.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
