"""What did the sensors and observers say of each striking aircraft before its strike?

Usage: python benchmarks/strike_evidence.py [OPT-INS as warning_scores.py] SCENARIO_DIR [...]

``warning_gaps.py`` measures a pair's lost lead against the ideal-seen run, which knows each
aircraft exactly from its first measurement on. That bound can credit more than the evidence
holds: a sighting placed 8 km off still starts the ideal track on the aircraft itself. This
tool asks, for every strike-site pair, what the evidence was: one replay (with the opt-ins
given) attributes each measurement to a true aircraft (``truth_owner.py``), and one ideal-seen
replay notes when each ideal track first threatened each site at the early probability
(``drone_tracks.first_cues``). Per pair it prints:

* ``own``: the system's lead (s), as the scorer counts it; ``ideal``: the ideal-seen run's;
* ``striker``: the lead of the striking aircraft's own ideal track, from the first time it
  threatened the site at the early probability, in whatever episode (the ideal run's lead may
  come from another aircraft near the site; ``-`` when the striker's ideal track never
  threatened the site before the strike);
* ``first``: the striker's first measurement, seconds before the strike;
* what had come of it by the time the striker's ideal track warned (or by the strike, when it
  never did): ``sightings``, how many and the nearest of them to where the aircraft truly was
  when it came (km); ``bearings``, how many, from how many nodes, and in how many 20 s windows
  two nodes heard it (where a crossing can start a track).

An analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

# This folder is on the path when run as a script.
from drone_tracks import first_cues
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.stepper import Stepper
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir_lab.scoring import load_truth, strike_site_pairs
from truth_owner import MeasurementOwner, log_measurements
from warning_scores import ReplayOptions, add_options, options_from_args, run

CROSS_WINDOW_S = 20.0  # the initiator's memory for a crossing of two nodes' bearings


def attributed(
    scenario_dir: Path, options: ReplayOptions
) -> tuple[dict[str, list[tuple[float, Measurement]]], MeasurementOwner]:
    """Each true aircraft's measurements (time, measurement), from one replay with ``options``, and
    the owner that attributed them."""
    o = options
    scenario = load_scenario(scenario_dir)
    pipe = o.pipeline(scenario)
    log = log_measurements(pipe.tracker)
    Stepper(pipe, lambda _: None, None, window_s=o.window_s).run(e for _, e in scenario.events())
    owner = MeasurementOwner(
        load_truth(scenario_dir), scenario_dir, pipe.frame, max_delay_s=180, travel_time=True
    )
    return owner.attribute(log), owner


def crossable_windows(bearings: list[tuple[float, BearingFix]]) -> int:
    """How many 20 s windows (from each bearing on) hold bearings of two or more nodes."""
    n = 0
    for i, (t0, _) in enumerate(bearings):
        nodes = {m.source for t, m in bearings[i:] if t - t0 <= CROSS_WINDOW_S}
        n += len(nodes) >= 2
    return n


def pair_rows(scenario_dir: Path, options: ReplayOptions) -> list[str]:
    """One line per strike-site pair (see the module docstring)."""
    own_of, owner = attributed(scenario_dir, options)
    with tempfile.TemporaryDirectory() as tmp:
        own = run(scenario_dir, False, Path(tmp), options)
        ideal = run(scenario_dir, "seen", Path(tmp), options)
    cues = first_cues(scenario_dir, True)
    truth = load_truth(scenario_dir)
    raw = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
    types = {str(a["id"]): str(a["type"]) for a in raw["aircraft"]}
    paths = {ac.id: ac for ac in truth.aircraft}
    rows = []
    for i, (strike, site) in enumerate(strike_site_pairs(truth.strikes, load_scenario(scenario_dir).sites)):
        aid = strike.aircraft or ""
        cue = cues.get((site.id, aid))
        if cue is not None and cue[0] > strike.t:
            cue = None
        by = strike.t if cue is None else cue[0]
        everything = [(t, m) for t, m in own_of.get(aid, []) if t <= strike.t]
        mine = [(t, m) for t, m in everything if t <= by]
        seen = [(t, m) for t, m in mine if isinstance(m, PositionFix)]
        heard = [(t, m) for t, m in mine if isinstance(m, BearingFix)]
        misses = []
        for t, m in seen:
            p = owner.position(paths[aid], t) if aid in paths else None
            if p is not None:
                misses.append(math.hypot(p[0] - m.x, p[1] - m.y))
        striker = f"{strike.t - cue[0]:6.0f}" if cue is not None else "     -"
        first = f"{strike.t - everything[0][0]:6.0f}" if everything else "     -"
        nearest = f"{min(misses) / 1000:5.1f} km" if misses else "      -"
        nodes = len({m.source for _, m in heard})
        rows.append(
            f"{scenario_dir.name:18} {site.id:26} {types.get(aid, '?'):10} "
            f"own {own.totals.leads_s[i]:6.0f}  ideal {ideal.totals.leads_s[i]:6.0f}  striker {striker}  "
            f"first {first}  sightings {len(seen):3} nearest {nearest}  "
            f"bearings {len(heard):3} from {nodes:2} nodes, {crossable_windows(heard):3} crossable"
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO_DIR")
    add_options(ap)
    args = ap.parse_args()
    options = options_from_args(ap, args)
    for scenario_dir in args.scenarios:
        for line in pair_rows(scenario_dir, options):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
