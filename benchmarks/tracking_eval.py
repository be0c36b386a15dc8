"""Tracking accuracy over many simulated scenarios: mean OSPA with its standard error.

Usage: python benchmarks/tracking_eval.py [--seeds 101-112] [--hours 2] [--cache DIR] [--json]
                                         [--baseline EARLIER.json] [--coast-straight-s S]
                                         [--course-fix FIX]

One replay's OSPA is a poor judge of a tracking change: the replay is
chaotic (a gate or an assignment decided on the other side of a threshold
sends it down another path), so a change that only reorders floating-point
sums already moves one scenario's OSPA by a few hundred metres. This
averages over many scenarios from the project's own simulator, in both
bundled regions, every third one with all twists, and prints each
scenario's OSPA and warned share, their means and the OSPA mean's standard
error, and the warning figures of issue 5 with every scenario's counts
summed (warned share, lead / oracle, sirens >= 60 s, imminent false
alarms, alert-minutes against the oracle's): a tracking change can trade
accuracy against warnings, and two public scenarios are too few to tell.
To compare two versions of the tracker, save the first run's ``--json``
output and pass it as ``--baseline`` to the second: the mean of
the per-scenario differences and its standard error are printed (a
difference within about two standard errors of zero is noise).

Scenarios are generated once into ``--cache`` (default: a folder under the
system's temporary directory) and reused.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

from nadhir.tracking.course_fix import AlongCourse
from nadhir.tracking.updater import Predictor
from nadhir_lab.scoring import ScoreReport, combine
from nadhir_lab.simulator import TWISTS, list_regions, load_region, simulate, write_scenario

# One replay-and-score loop for the benchmarks (this folder is on the path when run as a script).
from warning_scores import ReplayOptions, add_window_option, run


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def scenario_dirs(seeds: list[int], hours: float, cache: Path) -> list[Path]:
    """Simulated scenarios, one per seed, regions taken in turn; written to ``cache`` if missing
    (or made with another set of twists: the simulator gains twists over time)."""
    regions = list_regions()
    out = []
    for k, seed in enumerate(seeds):
        region = regions[k % len(regions)]
        twists = list(TWISTS) if k % 3 == 2 else []
        folder = cache / f"{region}-{seed}-{hours:g}h{'-twists' if twists else ''}"
        truth = folder / "truth.json"
        if not truth.is_file() or json.loads(truth.read_text())["meta"]["twists"] != sorted(twists):
            write_scenario(simulate(load_region(region), seed=seed, hours=hours, twists=twists), folder)
        out.append(folder)
    return out


def evaluate(
    folder: Path,
    tmp: Path,
    coast_straight_s: float | None = None,
    course_fix: AlongCourse | None = None,
    window_s: float = 0.0,
) -> ScoreReport:
    """Replay one scenario and score it (alerts and tracks); ``course_fix``: the tracker's
    along-course fix (``tracking/course_fix.py``, off by default); ``window_s``: the stepper's
    event window (``Stepper.window_s``, 0 = off, the default)."""
    predictor = None if coast_straight_s is None else Predictor(coast_straight_s=coast_straight_s)
    return run(
        folder, False, tmp, ReplayOptions(predictor=predictor, course_fix=course_fix, window_s=window_s)
    )


def warning_row(r: dict[str, float]) -> str:
    """The warning figures of issue 5, from counts summed over scenarios (as ``nadhir score`` does)."""

    def f(key: str) -> str:
        v = r.get(key)
        return "n/a" if v is None else f"{v:.2f}"

    minutes = r["alert_minutes_per_site_hour"] / r["oracle_alert_minutes_per_site_hour"]
    return (
        f"warned {f('warned_share')}, lead/oracle {f('lead_vs_oracle')}, "
        f"sirens >= 60 s {f('siren_warned_60s_share')}, imminent false alarms "
        f"{f('imminent_false_alarm_share')}, alert-min / oracle {minutes:.2f}"
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="101-112", help="seed range, e.g. 101-112")
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nadhir-tracking-eval")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--baseline", type=Path, help="an earlier run's --json output to compare with")
    ap.add_argument(
        "--coast-straight-s",
        type=float,
        help="the tracker's coasting prediction (Predictor(coast_straight_s=...), off by default)",
    )
    ap.add_argument("--course-fix", help="the tracker's along-course fix (tracking/course_fix.py), e.g. on")
    add_window_option(ap)
    args = ap.parse_args(argv)
    course_fix = AlongCourse.parse(args.course_fix) if args.course_fix else None
    folders = scenario_dirs(_seeds(args.seeds), args.hours, args.cache)
    rows = []
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in folders:
            report = evaluate(folder, Path(tmp), args.coast_straight_s, course_fix, args.window)
            reports.append(report)
            r = report.as_dict()
            ospa_m, warned = float(r["ospa_m"] or 0.0), float(r["warned_share"] or 0.0)
            rows.append((folder.name, ospa_m, warned))
            if not args.json:
                print(f"{folder.name:36s} OSPA {ospa_m:6.0f} m  warned {warned:.2f}", flush=True)
    ospas = np.array([r[1] for r in rows])
    sem = float(ospas.std(ddof=1) / math.sqrt(len(ospas))) if len(ospas) > 1 else float("nan")
    summary = {
        "scenarios": len(rows),
        "mean_ospa_m": float(ospas.mean()),
        "sem_ospa_m": sem,
        "mean_warned": float(np.mean([r[2] for r in rows])),
        "together": combine(reports),
    }
    if args.baseline is not None:
        before = {name: ospa_m for name, ospa_m, _ in json.loads(args.baseline.read_text())["rows"]}
        diffs = np.array([ospa_m - before[name] for name, ospa_m, _ in rows if name in before])
        if len(diffs) > 1:
            summary["paired_diff_ospa_m"] = float(diffs.mean())
            summary["sem_paired_diff_m"] = float(diffs.std(ddof=1) / math.sqrt(len(diffs)))
    if args.json:
        print(json.dumps({"rows": rows, **summary}))
        return 0
    print(
        f"{summary['scenarios']} scenarios: mean OSPA {summary['mean_ospa_m']:.0f} m "
        f"(standard error {sem:.0f} m), mean warned share {summary['mean_warned']:.2f}"
    )
    print(f"warnings, all scenarios together: {warning_row(summary['together'])}")
    if "paired_diff_ospa_m" in summary:
        print(
            f"against the baseline: {summary['paired_diff_ospa_m']:+.0f} m per scenario "
            f"(standard error {summary['sem_paired_diff_m']:.0f} m)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
