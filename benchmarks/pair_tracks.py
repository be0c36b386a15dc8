"""What did the system's own tracks hold of one striking aircraft, step by step, before its strike?

Usage: python benchmarks/pair_tracks.py [OPT-INS as warning_scores.py] SCENARIO_DIR SITE [SITE ...]

``strike_evidence.py`` says what the sensors and observers had said of a striking aircraft; this
tool says what the tracker made of it. One replay (with the opt-ins given) records, at every
threat assessment, each live track's state and the probability it gave each named site. For each
strike on a named site, from the striker's first measurement (``truth_owner.py``) to the strike,
it prints one line every ``--every`` seconds: the striker's true distance to the site; the
nearest live track to the striker (distance, stage, type, speed against the true speed, heading
error, position sigma); the highest probability any track gave the site and which track (and how
far that track was from the striker); and how many of the striker's measurements so far went to
no track, to the nearest track, to another. A summary line per pair follows: the first time a
track was within 3 and 10 km of the striker, the highest probability the site was given, and
the site's early threshold.

An analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

# This folder is on the path when run as a script.
from nadhir.domain.formats.scenario import load_scenario
from nadhir.domain.records import Threat
from nadhir.engine.pipeline import Pipeline
from nadhir.engine.stepper import Stepper
from nadhir.tracking.measurements import Measurement
from nadhir.tracking.track import Track
from nadhir_lab.scoring import load_truth, strike_site_pairs
from truth_owner import MeasurementOwner, log_measurements
from warning_scores import ReplayOptions, add_options, options_from_args


@dataclass(frozen=True)
class TrackNote:
    """One live track at one assessment."""

    id: str
    x: float
    y: float
    vx: float
    vy: float
    sigma_m: float
    stage: str
    kind: str
    existence: float
    probs: dict[str, float]  # site -> probability, for the sites asked about


def replay(
    scenario_dir: Path, options: ReplayOptions, sites: set[str]
) -> tuple[
    list[tuple[float, list[TrackNote]]],
    dict[str, list[tuple[float, Measurement]]],
    MeasurementOwner,
    Pipeline,
]:
    """Every assessment's live tracks, each true aircraft's measurements, the owner and the pipeline."""
    o = options
    scenario = load_scenario(scenario_dir)
    pipe = o.pipeline(scenario)
    log = log_measurements(pipe.tracker)
    notes: list[tuple[float, list[TrackNote]]] = []
    assess = pipe._tracks_threats

    def noted(t: float) -> list[list[Threat]]:
        per_track = assess(t)
        row = []
        for track, threats in zip(pipe.tracker.tracks.values(), per_track, strict=True):
            row.append(_note(track, t, {th.site: th.probability for th in threats if th.site in sites}))
        notes.append((t, row))
        return per_track

    pipe._tracks_threats = noted  # type: ignore[method-assign]
    Stepper(pipe, lambda _: None, None, window_s=o.window_s).run(e for _, e in scenario.events())
    owner = MeasurementOwner(
        load_truth(scenario_dir), scenario_dir, pipe.frame, max_delay_s=180, travel_time=True
    )
    return notes, owner.attribute(log), owner, pipe


def _note(track: Track, t: float, probs: dict[str, float]) -> TrackNote:
    dt = t - track.t
    x, y = track.position
    vx, vy = track.velocity
    return TrackNote(
        track.id,
        x + vx * dt,
        y + vy * dt,
        vx,
        vy,
        track.sigma_m,
        track.stage,
        track.aircraft,
        track.existence,
        probs,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", type=Path, metavar="SCENARIO_DIR")
    ap.add_argument("sites", nargs="+", metavar="SITE")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between printed lines")
    add_options(ap)
    args = ap.parse_args()
    options = options_from_args(ap, args)
    sites = set(args.sites)
    notes, own_of, owner, pipe = replay(args.scenario, options, sites)
    truth = load_truth(args.scenario)
    scenario = load_scenario(args.scenario)
    frame = pipe.frame
    site_xy = {s.id: frame.to_xy(s.lat, s.lon) for s in scenario.sites if s.id in sites}
    early = {s.id: pipe.policy._thresholds(s)[0] for s in scenario.sites if s.id in sites}
    paths = {ac.id: ac for ac in truth.aircraft}
    for strike, site in strike_site_pairs(truth.strikes, scenario.sites):
        if site.id not in sites or strike.aircraft not in paths:
            continue
        aim = site.id
        ac = paths[strike.aircraft]
        mine = [(t, m) for t, m in own_of.get(ac.id, []) if t <= strike.t]
        if not mine:
            print(f"{aim} {ac.id}: no measurement")
            continue
        start = mine[0][0]
        sx, sy = site_xy[aim]
        print(
            f"== {args.scenario.name} {aim} {ac.id} strike t={strike.t:.0f}, "
            f"first measurement {strike.t - start:.0f} s before, early p {early[aim]:.2f}"
        )
        first3 = first10 = None
        best = (0.0, -1.0, "")
        last_print = -math.inf
        for t, row in notes:
            if t < start or t > strike.t:
                continue
            pos = owner.position(ac, t)
            if pos is None:
                continue
            near = min(row, key=lambda n: math.hypot(n.x - pos[0], n.y - pos[1]), default=None)
            d = math.hypot(near.x - pos[0], near.y - pos[1]) if near else math.inf
            if d < 3000 and first3 is None:
                first3 = t
            if d < 10000 and first10 is None:
                first10 = t
            top = max(row, key=lambda n: n.probs.get(aim, 0.0), default=None)
            p = top.probs.get(aim, 0.0) if top else 0.0
            if p > best[0]:
                best = (p, t, top.id if top else "")
            if t - last_print < args.every:
                continue
            last_print = t
            p2 = owner.position(ac, t + 10) or pos
            tv = ((p2[0] - pos[0]) / 10, (p2[1] - pos[1]) / 10)
            tspeed = math.hypot(*tv)
            off_site = math.hypot(pos[0] - sx, pos[1] - sy) / 1000
            line = f"  -{strike.t - t:5.0f}s striker {off_site:5.1f} km off site, {tspeed:4.0f} m/s"
            if near is not None:
                herr = math.degrees(math.atan2(near.vx, near.vy) - math.atan2(tv[0], tv[1]))
                herr = (herr + 180) % 360 - 180
                line += (
                    f" | nearest {near.id} {d / 1000:5.1f} km {near.stage[:5]} {near.kind[:5]} "
                    f"{math.hypot(near.vx, near.vy):4.0f} m/s hdg {herr:+4.0f} "
                    f"sd {near.sigma_m / 1000:4.1f} km ex {near.existence:.2f} "
                    f"p {near.probs.get(aim, 0.0):.2f}"
                )
            if top is not None and p > 0:
                dt_ = math.hypot(top.x - pos[0], top.y - pos[1]) / 1000
                line += f" | top {top.id} p {p:.2f} ({dt_:.1f} km from striker)"
            n_meas = sum(1 for tm, _ in mine if tm <= t)
            line += f" | meas {n_meas}"
            print(line)
        print(
            f"  summary: track within 3 km first {'-' if first3 is None else f'{strike.t - first3:.0f} s'}, "
            f"within 10 km first {'-' if first10 is None else f'{strike.t - first10:.0f} s'}, "
            f"highest p {best[0]:.2f} at -{strike.t - best[1]:.0f} s by {best[2]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
