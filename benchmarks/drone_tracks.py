"""Why do drones go untracked? Each drone's measurements and the tracks they started, against the truth.

Usage: python benchmarks/drone_tracks.py [--type drone|helicopter|jet] [--aircraft] [--pairs]
           [--split [--drone-loiter SETTING]] [--crossable] [SCENARIO_DIR ...]
       (default: the two public real-flight scenarios)

Replays each scenario with the system's own tracker, attributes every measurement to a true
aircraft (``truth_owner.py``) and, for the aircraft of one type (drones by default), prints:

* **measurements**: sightings (and the aircraft word each was read as) and bearings (by the
  node's sound class) attributed to it, and the gaps between them (median, 90th percentile);
* **coverage**: over the time it flies after its first measurement (every tracker step), the
  share with a published track (``Track.publishable``) within 10 km of it -- what
  ``warning_gaps.py`` counts as "no track" -- and within 3 km, and the type of the nearest such
  track;
* **track births**: tracks started at a step that carried one of its measurements, within 8 km
  of it: how many, how many were ever published or confirmed, how long they lived, and why they
  ended (the deleter's rule that ended them, re-checked at the moment of deletion, or a merge).

``--pairs`` adds, per pair it struck that the ideal-seen run warned earlier, what the tracker
held of it then; ``--split`` the drones' pairs by whether the drone loitered or flew through in
the 10 minutes before its strike, with the lead lost (``--drone-loiter`` for the system's run);
``--crossable`` each type's bearings, and those another node's bearing of the same aircraft within
the initiator's 20 s could cross (a track starts from bearings only at a crossing).

An analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# This folder is on the path when run as a script.
from evaluation_sets import PUBLIC_REAL, SCENARIOS
from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.pipeline import Pipeline
from nadhir.engine.stepper import Stepper
from nadhir.threat.assessor import DroneLoiter
from nadhir.tracking import deleter as deleter_rules
from nadhir.tracking.initiator import BEARING_MEMORY_S
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir.tracking.motion import TRACK_TYPES
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Ended
from nadhir_lab.scoring import Truth, load_truth
from truth_owner import MeasurementOwner, log_measurements

NEAR_M = 10_000.0
CLOSE_M = 3_000.0
BIRTH_M = 8_000.0


@dataclass
class Birth:
    """A track started from a step that carried the aircraft's measurement."""

    track_id: str
    t0: float
    published: bool = False
    confirmed: bool = False
    end_t: float | None = None
    end: str = "alive at the end"
    kind_at_end: str = ""


@dataclass
class Follow:
    """What happened around one true aircraft."""

    kind: str
    first_t: float | None = None
    sightings: collections.Counter[str] = field(default_factory=collections.Counter)
    bearings: collections.Counter[str] = field(default_factory=collections.Counter)
    times: list[float] = field(default_factory=list)
    steps: int = 0
    near: int = 0
    close: int = 0
    near_types: collections.Counter[str] = field(default_factory=collections.Counter)
    births: list[Birth] = field(default_factory=list)
    speeds: list[float] = field(default_factory=list)
    # Every tracker step while it flies: (t, its measurements so far, the last one's time,
    # nearest track of any stage (distance, stage, type, speed), nearest published one's distance).
    timeline: list[tuple[float, int, float, float, str, str, float, float]] = field(default_factory=list)


def why_deleted(track: Track, t: float) -> str:
    """The deleter's first rule that ends ``track`` at ``t`` (mirrors ``Deleter.should_delete``)."""
    silent = t - track.last_update
    if silent > track.coast_limit_s():
        return "coasted out"
    if track.status == "tentative":
        limit = deleter_rules.TENTATIVE_LIFETIME_S if track.sighted else deleter_rules.TENTATIVE_ACOUSTIC_S
        if silent > limit:
            return "tentative, silent" + (" (sighted)" if track.sighted else " (heard only)")
    if track.gated_recent > 0.0 and t - track.last_sighted > deleter_rules.LOSER_GRACE_S and track.losing(t):
        return "losing its bearings"
    limit = deleter_rules.MAX_SIGMA_M if track.sighted else deleter_rules.MAX_SIGMA_UNSIGHTED_M
    if track.sigma_m > limit:
        return "too vague"
    return "other"


def _replay_rig(
    scenario_dir: Path,
) -> tuple[Scenario, Pipeline, Truth, dict[str, str], MeasurementOwner]:
    """The scenario, a fresh pipeline for it, its truth, each true aircraft's type, and the owner
    that says which aircraft each measurement came from."""
    scenario = load_scenario(scenario_dir)
    pipeline = build_pipeline(scenario)
    truth = load_truth(scenario_dir)
    raw = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
    types = {str(a["id"]): str(a["type"]) for a in raw["aircraft"]}
    owner = MeasurementOwner(truth, scenario_dir, pipeline.frame, max_delay_s=180, travel_time=True)
    return scenario, pipeline, truth, types, owner


def follow(scenario_dir: Path, kind: str) -> dict[str, Follow]:
    """Replay one scenario and follow every aircraft of type ``kind`` (see the module docstring)."""
    scenario, pipeline, truth, types, owner = _replay_rig(scenario_dir)
    paths = {ac.id: ac for ac in truth.aircraft if types[ac.id] == kind}
    out = {aid: Follow(kind) for aid in paths}
    births: dict[str, tuple[str, Birth]] = {}
    tracker = pipeline.tracker
    step, advance = tracker.step, tracker.advance

    def after(t: float, ended: Ended, carried: set[str], before: set[str]) -> None:
        for track in ended.deleted:
            if track.id in births:
                _, b = births.pop(track.id)
                b.end_t, b.end, b.kind_at_end = t, why_deleted(track, t), track.aircraft
        for tid in ended.merged:
            if tid in births:
                _, b = births.pop(tid)
                b.end_t, b.end = t, "merged into another"
        where = {aid: owner.position(ac, t) for aid, ac in paths.items()}
        for tid, track in tracker.tracks.items():
            if tid in before:
                continue
            for aid in carried:
                p = where.get(aid)
                if p is not None and math.hypot(track.x[0] - p[0], track.x[1] - p[1]) < BIRTH_M:
                    b = Birth(tid, t)
                    births[tid] = (aid, b)
                    out[aid].births.append(b)
                    break
        for tid, (_, b) in births.items():
            track = tracker.tracks.get(tid)
            if track is not None:
                b.published = b.published or track.publishable
                b.confirmed = b.confirmed or track.status == "confirmed"
        for aid, p in where.items():
            f = out[aid]
            if p is None or f.first_t is None:
                continue
            f.steps += 1
            best: tuple[float, Track] | None = None
            any_best: tuple[float, Track] | None = None
            for track in tracker.tracks.values():
                d = math.hypot(track.x[0] - p[0], track.x[1] - p[1])
                if any_best is None or d < any_best[0]:
                    any_best = (d, track)
                if not track.publishable:
                    continue
                if best is None or d < best[0]:
                    best = (d, track)
            f.timeline.append(
                (
                    t,
                    len(f.times),
                    f.times[-1],
                    math.inf if any_best is None else any_best[0],
                    "none" if any_best is None else any_best[1].stage,
                    "none" if any_best is None else any_best[1].aircraft,
                    math.nan if any_best is None else any_best[1].speed,
                    math.inf if best is None else best[0],
                )
            )
            if best is not None and best[0] < NEAR_M:
                f.near += 1
                f.near_types[best[1].aircraft] += 1
                f.close += best[0] < CLOSE_M

    def logged_step(t: float, batch: list[Measurement]) -> Ended:
        carried: set[str] = set()
        for m in batch:
            aid = owner(m, t)
            if aid is None or aid not in out:
                continue
            f = out[aid]
            carried.add(aid)
            if f.first_t is None:
                f.first_t = t
            f.times.append(t)
            if isinstance(m, PositionFix):
                word = max(range(3), key=lambda i: m.type_likelihood[i])
                f.sightings[TRACK_TYPES[word] if max(m.type_likelihood) > 0.5 else "unknown"] += 1
            elif isinstance(m, BearingFix):
                f.bearings[m.sound_class] += 1
        before = set(tracker.tracks)
        ended = step(t, batch)
        after(t, ended, carried, before)
        return ended

    def logged_advance(t: float) -> Ended:
        ended = advance(t)
        after(t, ended, set(), set(tracker.tracks))
        return ended

    tracker.step = logged_step  # type: ignore[method-assign]
    tracker.advance = logged_advance  # type: ignore[method-assign]
    Stepper(pipeline, lambda _: None, None).run(e for _, e in scenario.events())
    for aid, ac in paths.items():
        ts = np.array(ac.times)
        if len(ts) > 1:
            pos = [owner.position(ac, float(t)) for t in ts]
            d = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(pos) if a and b]
            out[aid].speeds.append(float(np.median(np.array(d) / np.maximum(np.diff(ts), 1e-9))))
    return out


def first_cues(scenario_dir: Path, ideal: bool) -> dict[tuple[str, str], tuple[float, str]]:
    """(site, track) -> the first time a threat of that track at that site reached the early
    probability (0.4), and its cue: with ideal tracks (the aircraft's id) or the system's."""
    from warning_scores import IdealTracker

    scenario = load_scenario(scenario_dir)
    pipeline = build_pipeline(scenario)
    if ideal:
        raw = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
        owner = MeasurementOwner(
            load_truth(scenario_dir), scenario_dir, pipeline.frame, max_delay_s=180, travel_time=True
        )
        pipeline.tracker = IdealTracker(pipeline, raw, owner)  # type: ignore[assignment]
    first: dict[tuple[str, str], tuple[float, str]] = {}
    assess_many = pipeline.assessor.assess_many

    def logged(jobs: Any, t: float) -> Any:
        out = assess_many(jobs, t)
        for threats in out:
            for th in threats:
                if th.probability >= 0.4:
                    first.setdefault((th.site, th.track), (t, th.cue))
        return out

    pipeline.assessor.assess_many = logged  # type: ignore[method-assign]
    Stepper(pipeline, lambda _: None, None).run(e for _, e in scenario.events())
    return first


def lost_pairs(scenario_dir: Path, follows: dict[str, Follow]) -> list[str]:
    """A line per strike-site pair of a followed aircraft whose ideal-seen warning came earlier than
    the system's: what the tracker held of the aircraft when the ideal run first warned."""
    import tempfile

    from nadhir_lab.scoring import strike_site_pairs
    from warning_scores import run

    with tempfile.TemporaryDirectory() as tmp:
        own = run(scenario_dir, False, Path(tmp))
        ideal = run(scenario_dir, "seen", Path(tmp))
    cues_ideal = first_cues(scenario_dir, True)
    cues_own = first_cues(scenario_dir, False)
    truth = load_truth(scenario_dir)
    lines = []
    for i, (strike, site) in enumerate(strike_site_pairs(truth.strikes, load_scenario(scenario_dir).sites)):
        lead_i, lead_o = ideal.totals.leads_s[i], own.totals.leads_s[i]
        if strike.aircraft not in follows or lead_i <= lead_o:
            continue
        f = follows[strike.aircraft]
        t_warn = strike.t - lead_i
        snap = [e for e in f.timeline if e[0] <= t_warn]
        born = [b for b in f.births if b.t0 <= t_warn]
        fates = "; ".join(
            f"{b.track_id} {b.t0 - t_warn:+.0f}s "
            + ("pub" if b.published else "unpub")
            + (f" ended {b.end_t - t_warn:+.0f}s {b.end}" if b.end_t is not None else "")
            for b in born[-3:]
        )
        if not snap:
            lines.append(f"{scenario_dir.name} {site.id} {strike.aircraft}: lead {lead_o:.0f}/{lead_i:.0f} s")
            continue
        _, n, last, d_any, stage, kind, speed, d_pub = snap[-1]
        ci = cues_ideal.get((site.id, strike.aircraft))
        seen_cue = "ideal: none" if ci is None else f"ideal: {ci[1]} {ci[0] - strike.t:+.0f}s"
        co = [v for (sid, _), v in cues_own.items() if sid == site.id and v[0] <= strike.t]
        own_cue = "own: none" if not co else "own: " + ",".join(sorted({c for _, c in co}))
        lines.append(
            f"{scenario_dir.name} {site.id} {strike.aircraft} lead {lead_o:.0f}/{lead_i:.0f} s "
            f"[{seen_cue}; {own_cue}]: "
            f"{n} meas, last {t_warn - last:.0f} s ago; nearest {d_any / 1000:.1f} km {stage} {kind} "
            f"{speed:.0f} m/s; published {d_pub / 1000:.1f} km; births {len(born)}: {fates}"
        )
    return lines


def loiter_split(
    scenario_dir: Path, drone_loiter: DroneLoiter | None
) -> dict[str, tuple[int, float, int, int]]:
    """The pairs a drone struck, by what it did in the 10 minutes before: "loiter" when, at most
    20 s steps of them, its true path over the last 240 s ended less than 0.45 of its length from
    where it began (the assessor's circling test, on the truth), else "transit". Per class:
    pairs, lead lost against the ideal-seen run (s), pairs the system warned, pairs the ideal warned."""
    import tempfile

    from nadhir_lab.scoring import strike_site_pairs
    from warning_scores import ReplayOptions, run

    truth = load_truth(scenario_dir)
    raw = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
    types = {str(a["id"]): str(a["type"]) for a in raw["aircraft"]}
    with tempfile.TemporaryDirectory() as tmp:
        own = run(scenario_dir, False, Path(tmp), ReplayOptions(drone_loiter=drone_loiter))
        ideal = run(scenario_dir, "seen", Path(tmp))
    frame = build_pipeline(load_scenario(scenario_dir)).frame
    paths = {a.id: a for a in truth.aircraft}
    out: dict[str, tuple[int, float, int, int]] = {}
    pairs = strike_site_pairs(truth.strikes, load_scenario(scenario_dir).sites)
    for i, (strike, _) in enumerate(pairs):
        if strike.aircraft is None or types.get(strike.aircraft) != "drone":
            continue
        ac = paths[strike.aircraft]
        votes = []
        for t in np.arange(strike.t - 600.0, strike.t, 20.0).tolist():
            pts = [ac.position_at(u) for u in np.arange(t - 240.0, t + 1.0, 10.0).tolist()]
            xy = np.array([frame.to_xy(*p) for p in pts if p is not None])
            if len(xy) < 5:
                continue
            path = float(np.sum(np.hypot(*np.diff(xy, axis=0).T)))
            votes.append(float(np.hypot(*(xy[-1] - xy[0]))) < 0.45 * path)
        kind = "loiter" if votes and np.mean(votes) >= 0.5 else "transit"
        n, lost, warned, ideal_warned = out.get(kind, (0, 0.0, 0, 0))
        out[kind] = (
            n + 1,
            lost + max(0.0, ideal.totals.leads_s[i] - own.totals.leads_s[i]),
            warned + int(own.totals.leads_s[i] > 0),
            ideal_warned + int(ideal.totals.leads_s[i] > 0),
        )
    return out


def lone_bearings(scenario_dir: Path) -> collections.Counter[tuple[str, str]]:
    """Per true aircraft type: bearings attributed to it, and those with a bearing of the same
    aircraft from another node within 20 s (the initiator's memory: what a crossing needs)."""
    scenario, pipeline, _, types, owner = _replay_rig(scenario_dir)
    log = log_measurements(pipeline.tracker)
    Stepper(pipeline, lambda _: None, None).run(e for _, e in scenario.events())
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for aid, measured in owner.attribute(log).items():
        heard = [(t, m) for t, m in measured if isinstance(m, BearingFix)]
        for t, m in heard:
            counts[(types[aid], "bearings")] += 1
            counts[(types[aid], "crossable")] += any(
                abs(u - t) <= BEARING_MEMORY_S and o.source != m.source for u, o in heard
            )
    return counts


def _gaps(times: list[float]) -> tuple[float, float]:
    if len(times) < 2:
        return math.nan, math.nan
    g = np.diff(sorted(set(times)))
    return float(np.median(g)), float(np.percentile(g, 90))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path, default=[SCENARIOS / n for n in PUBLIC_REAL])
    ap.add_argument("--type", default="drone", choices=TRACK_TYPES)
    ap.add_argument("--aircraft", action="store_true", help="a row per aircraft, not only per scenario")
    ap.add_argument(
        "--pairs", action="store_true", help="also each pair it struck whose ideal warning was earlier"
    )
    ap.add_argument(
        "--split",
        action="store_true",
        help="also the drones' pairs by loiter or transit, lead lost against the ideal-seen run",
    )
    ap.add_argument("--drone-loiter", help="with --split: the system run with this DroneLoiter setting")
    ap.add_argument(
        "--crossable", action="store_true", help="also each type's bearings that another node's could cross"
    )
    args = ap.parse_args()
    total = Follow(args.type)
    print(
        "| scenario | aircraft | speed m/s | sightings (as jet/heli/drone/unknown) | bearings "
        "(jet/heli/drone/prop) | gap s median / p90 | published track <= 10 km / <= 3 km "
        "| nearest's type (j/h/d) | births | ever published / confirmed | ends |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    notes: list[str] = []
    loiter = DroneLoiter.parse(args.drone_loiter) if args.drone_loiter else None
    split: dict[str, list[float]] = {}
    crossable: collections.Counter[tuple[str, str]] = collections.Counter()
    for scenario_dir in args.scenarios:
        if args.split:
            for kind, row in loiter_split(scenario_dir, loiter).items():
                into = split.setdefault(kind, [0, 0.0, 0, 0])
                for k, v in enumerate(row):
                    into[k] += v
        if args.crossable:
            crossable.update(lone_bearings(scenario_dir))
        follows = follow(scenario_dir, args.type)
        if args.pairs:
            notes += lost_pairs(scenario_dir, follows)
        rows = list(follows.items()) if args.aircraft else []
        part = Follow(args.type)
        for f in follows.values():
            for into in (part, total):
                into.sightings.update(f.sightings)
                into.bearings.update(f.bearings)
                into.steps += f.steps
                into.near += f.near
                into.close += f.close
                into.near_types.update(f.near_types)
                into.births.extend(f.births)
                into.speeds.extend(f.speeds)
        for aid, f in rows:
            print(_row(scenario_dir.name, aid, f, _gaps(f.times)))
        gaps = [g for f in follows.values() for g in np.diff(sorted(set(f.times))).tolist()]
        part.times = []
        print(_row(scenario_dir.name, f"all {len(follows)}", part, _pooled(gaps)))
        total.times.extend(gaps)
    print(_row("**together**", "", total, _pooled(total.times)))
    if split:
        print("\n| drone before its strike | pairs | lead lost (s) | warned | ideal-seen warned |")
        print("|---|---|---|---|---|")
        for kind, (n, lost, warned, ideal_warned) in sorted(split.items()):
            print(f"| {kind} | {n:.0f} | {lost:.0f} | {warned:.0f} | {ideal_warned:.0f} |")
    if crossable:
        print("\n| type | bearings | with another node's within 20 s |")
        print("|---|---|---|")
        for kind in sorted({k for k, _ in crossable}):
            n, c = crossable[(kind, "bearings")], crossable[(kind, "crossable")]
            print(f"| {kind} | {n} | {c} ({c / max(n, 1):.0%}) |")
    if notes:
        print()
        print("\n".join(notes))
    return 0


def _pooled(gaps: list[float]) -> tuple[float, float]:
    if not gaps:
        return math.nan, math.nan
    return float(np.median(gaps)), float(np.percentile(gaps, 90))


def _row(name: str, aid: str, f: Follow, gaps: tuple[float, float]) -> str:
    s, b = f.sightings, f.bearings
    seen = f"{sum(s.values())} ({s['jet']}/{s['helicopter']}/{s['drone']}/{s['unknown']})"
    heard = f"{sum(b.values())} ({b['jet']}/{b['helicopter']}/{b['drone']}/{b['propeller']})"
    cover = "n/a"
    if f.steps:
        cover = f"{f.near / f.steps:.2f} / {f.close / f.steps:.2f}"
    nt = f.near_types
    near = f"{nt['jet']}/{nt['helicopter']}/{nt['drone']}"
    pub = sum(b.published for b in f.births)
    conf = sum(b.confirmed for b in f.births)
    ends = collections.Counter(b.end for b in f.births)
    ended = ", ".join(f"{k} {v}" for k, v in ends.most_common())
    lives = [b.end_t - b.t0 for b in f.births if b.end_t is not None]
    life = f"; life median {np.median(lives):.0f} s" if lives else ""
    speed = f"{np.median(f.speeds):.0f}" if f.speeds else "n/a"
    return (
        f"| {name} | {aid} | {speed} | {seen} | {heard} | {gaps[0]:.0f} / {gaps[1]:.0f} | {cover} | {near} "
        f"| {len(f.births)} | {pub} / {conf} | {ended}{life} |"
    )


if __name__ == "__main__":
    sys.exit(main())
