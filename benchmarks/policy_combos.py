"""Combinations of alert policy settings over the kept threats, each group to three places.

Usage: python benchmarks/policy_combos.py [--set tuning|report] [--jobs N] [--cache DIR] POINT ...

Each POINT is one quoted string of ``key=value`` policy settings (``policy_settings.py``), or
``default``. The policy alone runs over the threats ``alert_minutes.py`` keeps per scenario (one
replay of the tracker per scenario, then seconds per point), and per group, for issue 5's pair
(``idlib-basic`` + ``idlib-twists``, pinned by ``tests/engine/test_replay.py``) and for the whole
set it prints warned / lead/oracle / sirens >= 60 s / imminent false alarms / alert-min x oracle /
imminent-min x oracle, to three places as ``policy_grid.py`` does (whose full replays it equals for
the hold and circling settings; the siren model and the ``impact_siren_*`` settings need the
pipeline's own steps, so use ``policy_grid.py`` for those). Each point ends with a line saying
whether it meets the six bars of issue 17 on the public synthetic five and issue 5's pinned pair
lead, and whether the tuning set and the recorded-flight group keep warned, lead and sirens
>= 60 s at least at the defaults'. Results: docs/benchmarks.md, twelfth session, "combined policy".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# This folder is on the path when run as a script.
from alert_minutes import DEFAULT_CACHE, _job
from evaluation_sets import evaluation_set
from nadhir_lab.scoring import combine
from policy_grid import PAIR
from policy_settings import policy_settings

# Issue 17's bars for the public synthetic five (warned, lead, sirens >= 60 s at least; imminent
# false alarms, alert-minutes, imminent-minutes at most) and issue 5's pinned pair lead.
AT_LEAST = (0.93, 0.55, 0.65)
AT_MOST = (0.5, 2.2, 1.0)
PAIR_LEAD = 0.45
PUBLIC = "public synthetic"
RECORDED = "recorded flights"


def cells(r: dict[str, Any]) -> list[float | None]:
    """The six headline figures of a pooled row (None where the row has none)."""
    oracle = r["oracle_alert_minutes_per_site_hour"]
    out: list[float | None] = [r[k] for k in ("warned_share", "lead_vs_oracle", "siren_warned_60s_share")]
    out += [r["imminent_false_alarm_share"]]
    out += [
        r[k] / oracle if oracle else None
        for k in ("alert_minutes_per_site_hour", "imminent_minutes_per_site_hour")
    ]
    return out


def shown(row: list[float | None]) -> str:
    """A row of figures to three places."""
    return " / ".join("n/a" if v is None else f"{v:.3f}" for v in row)


def verdict(rows: dict[str, list[float | None]], base: dict[str, list[float | None]]) -> str:
    """Whether a point's rows meet issue 17's public bars and issue 5's pair lead, and which of
    warned / lead / sirens >= 60 s it lowers (at three places) against the defaults' ``base`` on the
    whole set and the recorded-flight group."""
    out = []
    pub = next((v for k, v in rows.items() if k.startswith(PUBLIC)), None)
    if pub is not None:
        ok = all(v is not None and v >= b for v, b in zip(pub[:3], AT_LEAST, strict=True))
        ok = ok and all(v is not None and v <= b for v, b in zip(pub[3:], AT_MOST, strict=True))
        out.append(f"public bars {'met' if ok else 'missed'}")
    lead = rows["pair"][1]
    out.append(f"pair lead {'met' if lead is not None and lead >= PAIR_LEAD else 'missed'}")
    for name in ("set", *[k for k in rows if k.startswith(RECORDED)]):
        worse = [
            label
            for label, v, d in zip(
                ("warned", "lead", "sirens60"), rows[name][:3], base[name][:3], strict=True
            )
            if v is not None and d is not None and round(v, 3) < round(d, 3)
        ]
        out.append(f"{name} worse on {','.join(worse)}" if worse else f"{name} no worse")
    return "; ".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("points", nargs="+", help='e.g. "default" or "seen_hold_s=150 circling_dwell_s=30"')
    ap.add_argument("--set", dest="eval_set", choices=("tuning", "report"), default="tuning")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where alert_minutes.py keeps threats")
    ap.add_argument("--sets-cache", type=Path, default=Path(tempfile.gettempdir()) / "nadhir-eval-sets")
    args = ap.parse_args()
    members = evaluation_set(args.eval_set, args.sets_cache)
    cache = args.cache / args.eval_set
    groups = list(dict.fromkeys(m.group for m in members))
    base: dict[str, list[float | None]] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for point in ["default", *[p for p in args.points if p != "default"]]:
            config = policy_settings([w for w in point.split() if "=" in w])
            results = list(pool.map(_job, [(m.folder, cache, False, config, None) for m in members]))
            rows: dict[str, list[float | None]] = {}
            for group in groups:
                part = [r.report for m, r in zip(members, results, strict=True) if m.group == group]
                rows[group.split(" (")[0]] = cells(combine(part))
            rows["pair"] = cells(
                combine([r.report for m, r in zip(members, results, strict=True) if m.folder.name in PAIR])
            )
            rows["set"] = cells(combine([r.report for r in results]))
            if point == "default":
                base = rows
            print(f"## {point}")
            for name, row in rows.items():
                print(f"  {name}: {shown(row)}")
            print("  => " + verdict(rows, base), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
