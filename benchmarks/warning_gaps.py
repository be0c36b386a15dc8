"""Where is warning lead lost? Each strike-site pair, the system's own tracks against ideal ones.

Usage: python benchmarks/warning_gaps.py [--pairs] [OPT-INS as warning_scores.py: --ring, --course-fix,
       --sweep, --bearing-rate, --drone-loiter, --policy ...]
       [SCENARIO_DIR ...]

Replays each scenario twice through the same threat model and policy: once
with the system's own tracks, once with ideal tracks from each aircraft's
first measurement on (``warning_scores.py --ideal-seen``, the most the
evidence allows). For every strike-site pair where the ideal run warned
earlier, it looks at the moment the ideal run first warned and asks what
the system's published tracks said of the striking aircraft then:

* ``no track``: no published track state within 10 km of it;
* ``wrong type``: the nearest such track is of another aircraft type;
* ``slow``: its speed is under 60 % of the true speed;
* ``off course``: its heading is more than 45 degrees off the true one
  (aircraft moving faster than 15 m/s only);
* ``track fine``: none of these -- the threat model or the policy judged
  the same aircraft differently from a slightly different state.

It prints the lead lost (seconds, summed over pairs) in each class, by
aircraft type, for the warning (any level) and the sirens (60 s or more
ahead). The opt-ins (``warning_scores.add_options``) go to the system's own run, and the policy
and assessor ones to the ideal run too.
An analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
import tempfile
from pathlib import Path

from nadhir.domain import Problems
from nadhir.domain.formats.scenario import load_scenario
from nadhir.geo.distance import haversine_m
from nadhir_lab.scoring import (
    METRES_PER_DEGREE,
    AircraftPath,
    TrackFix,
    latest_fix,
    load_truth,
    read_track_fixes,
    strike_site_pairs,
)

# This folder is on the path when run as a script.
from warning_scores import DEFAULT, ReplayOptions, add_options, options_from_args, run

NEAR_M = 10_000.0
CLASSES = ("no track", "wrong type", "slow", "off course", "track fine")


def _true_motion(ac: AircraftPath, t: float) -> tuple[float, float]:
    """True speed (m/s) and heading (degrees) over the 20 s around ``t``."""
    a, b = ac.position_at(max(ac.times[0], t - 10)), ac.position_at(min(ac.times[-1], t + 10))
    if a is None or b is None:
        return 0.0, 0.0
    dt = min(ac.times[-1], t + 10) - max(ac.times[0], t - 10)
    north = (b[0] - a[0]) * METRES_PER_DEGREE
    east = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians(a[0]))
    return math.hypot(north, east) / max(dt, 1e-9), math.degrees(math.atan2(east, north)) % 360


def _tracks_with_type(path: Path) -> tuple[dict[str, list[TrackFix]], dict[str, str]]:
    fixes = read_track_fixes(path, Problems())
    kinds: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        kinds[str(obj["track"])] = str(obj.get("aircraft", "unknown"))
    return fixes, kinds


def classify(
    ac: AircraftPath, kind: str, t: float, fixes: dict[str, list[TrackFix]], kinds: dict[str, str]
) -> str:
    """What the published tracks said of aircraft ``ac`` at ``t`` (one of CLASSES)."""
    where = ac.position_at(t)
    if where is None:
        return "no track"
    best: tuple[float, str, TrackFix] | None = None
    for track_id, seq in fixes.items():
        last = latest_fix(seq, t)
        if last is None:
            continue
        lat, lon = last.dead_reckoned(t)
        d = haversine_m(lat, lon, where[0], where[1])
        if d < NEAR_M and (best is None or d < best[0]):
            best = (d, track_id, last)
    if best is None:
        return "no track"
    _, track_id, fix = best
    if kinds.get(track_id, "unknown") not in (kind, "unknown"):
        return "wrong type"
    speed, heading = _true_motion(ac, t)
    if speed > 15.0 and fix.speed_mps < 0.6 * speed:
        return "slow"
    if speed > 15.0 and abs((fix.heading_deg - heading + 180.0) % 360.0 - 180.0) > 45.0:
        return "off course"
    return "track fine"


def gaps(
    scenario_dir: Path, tmp: Path, options: ReplayOptions | None = None
) -> list[tuple[str, str, str, float, float, float, float]]:
    """Per pair where the ideal run warned: (type, class, site, own lead, ideal lead,
    own siren lead, ideal siren lead); ``options`` are the own run's opt-ins (the ideal run gets
    the same policy and assessor; its tracker is the truth)."""
    own_dir, ideal_dir = tmp / "own", tmp / "ideal"
    own_dir.mkdir(exist_ok=True)
    ideal_dir.mkdir(exist_ok=True)
    options = options or ReplayOptions()
    own = run(scenario_dir, False, own_dir, options)
    ideal = run(scenario_dir, "seen", ideal_dir, options)
    fixes, kinds = _tracks_with_type(own_dir / f"{scenario_dir.name}.tracks.jsonl")
    truth = load_truth(scenario_dir)
    raw = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
    types = {a["id"]: a["type"] for a in raw["aircraft"]}
    paths = {ac.id: ac for ac in truth.aircraft}
    pairs = strike_site_pairs(truth.strikes, load_scenario(scenario_dir).sites)
    rows = []
    for i, (strike, site) in enumerate(pairs):
        lead_i, siren_i = ideal.totals.leads_s[i], ideal.totals.siren_leads_s[i]
        if strike.aircraft is None or strike.aircraft not in paths or lead_i <= 0:
            continue
        kind = types.get(strike.aircraft, "unknown")
        cls = classify(paths[strike.aircraft], kind, strike.t - lead_i, fixes, kinds)
        rows.append((kind, cls, site.id, own.totals.leads_s[i], lead_i, own.totals.siren_leads_s[i], siren_i))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--pairs", action="store_true", help="also list every pair")
    add_options(ap)
    args = ap.parse_args()
    options = options_from_args(ap, args)
    lost: dict[tuple[str, str], list[float]] = collections.defaultdict(lambda: [0, 0.0, 0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        for scenario_dir in args.scenarios:
            for kind, cls, site, own, ideal, own_s, ideal_s in gaps(scenario_dir, Path(tmp), options):
                row = lost[(kind, cls)]
                row[0] += 1
                row[1] += max(0.0, ideal - own)
                row[2] += int(ideal_s >= 60 and own_s < 60)
                row[3] += int(own_s >= 60 and ideal_s < 60)
                if args.pairs:
                    print(
                        f"{scenario_dir.name:18} {site:24} {kind:10} {cls:11} "
                        f"lead {own:6.0f} / {ideal:6.0f} s  siren {own_s:6.0f} / {ideal_s:6.0f} s"
                    )
    total = sum(r[1] for r in lost.values()) or 1.0
    print(
        "| type | tracks at the ideal warning | pairs | lead lost (s) | share "
        "| sirens >= 60 s lost | gained |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in sorted({k for k, _ in lost}):
        for cls in CLASSES:
            if (kind, cls) in lost:
                n, seconds, siren_lost, siren_won = lost[(kind, cls)]
                print(
                    f"| {kind} | {cls} | {n} | {seconds:.0f} | {seconds / total:.0%} "
                    f"| {siren_lost} | {siren_won} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
