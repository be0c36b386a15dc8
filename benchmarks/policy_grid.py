"""Alert policy settings through the whole replay, each group of an evaluation set to three places.

Usage: python benchmarks/policy_grid.py tuning|report [--jobs N] [--cache DIR] POINT ...

Each POINT is one quoted string of words: ``model`` for the bundled siren model at its operating
point, and ``key=value`` policy settings (``policy_settings.py``), e.g. ``"model seen_hold_s=150
seen_hold_floor=0.13"``; ``default`` for neither. Each point replays the set (as
``warning_scores.py --set``, whose two-place figures it equals) and prints per group, and for issue
5's pair (``idlib-basic`` + ``idlib-twists``, pinned by ``tests/engine/test_replay.py``) when in the
set: warned / lead/oracle / sirens >= 60 s / imminent false alarms / alert-min x oracle /
imminent-min x oracle. Three places, because a bar (alert-minutes <= 2.2 x) can fall between two
settings that print the same to two. Results: docs/benchmarks.md, twelfth session, "holds".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# This folder is on the path when run as a script.
from evaluation_sets import evaluation_set
from nadhir.alerting.siren_model import SirenModel
from nadhir_lab.scoring import combine
from policy_settings import policy_settings
from warning_scores import ReplayOptions, _one

PAIR = ("idlib-basic", "idlib-twists")


def figures(r: dict[str, Any]) -> str:
    """The six headline figures of a pooled row, to three places."""
    oracle = r["oracle_alert_minutes_per_site_hour"]
    cells = [r[k] for k in ("warned_share", "lead_vs_oracle", "siren_warned_60s_share")]
    cells += [r["imminent_false_alarm_share"]]
    cells += [r[k] / oracle for k in ("alert_minutes_per_site_hour", "imminent_minutes_per_site_hour")]
    return " / ".join("n/a" if v is None else f"{v:.3f}" for v in cells)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval_set", choices=("tuning", "report"))
    ap.add_argument("points", nargs="+", help='e.g. "default" or "model seen_hold_s=150"')
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nadhir-eval-sets")
    args = ap.parse_args()
    members = evaluation_set(args.eval_set, args.cache)
    folders = [m.folder for m in members]
    n = len(members)
    for point in args.points:
        words = point.split()
        model = SirenModel.named("bundled") if "model" in words else None
        policy = policy_settings([w for w in words if "=" in w])
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            reports = list(pool.map(_one, folders, [ReplayOptions(policy=policy, siren_model=model)] * n))
        print(f"## {point}")
        for group in dict.fromkeys(m.group for m in members):
            part = [r for m, r in zip(members, reports, strict=True) if m.group == group]
            print(f"  {group} ({len(part)}): {figures(combine(part))}")
        pair = [r for m, r in zip(members, reports, strict=True) if m.folder.name in PAIR]
        if pair:
            print(f"  issue 5 pair: {figures(combine(pair))}")
        print(f"  {args.eval_set} set: {figures(combine(reports))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
