"""Where does OSPA go? Track coverage by aircraft type and by time since the aircraft was last measured.

Usage: python benchmarks/tracking_coverage.py SCENARIO_DIR [SCENARIO_DIR ...]

Replays each scenario through the full pipeline, keeps every track the
tracker holds after every step (tentative ones too), and, every 10 s of each
aircraft's flight, asks: is some track within 10 km of it (OSPA's cut-off)?
Is some *confirmed* track (what is published)? The answers are pooled over
the scenarios and split by the aircraft's type and by how long ago it was
last seen or heard: never yet ("pre": no tracker can place it), under a
minute, one to five minutes, five to fifteen, longer. A measurement belongs
to the aircraft it fits best, judged from the truth as in
``benchmarks/tracking_bounds.py`` (a sighting within 8 km of where the
aircraft was up to two minutes before, a bearing within 3 sigma).

This is an analysis tool: it reads ``truth.json``, which the system never does.
"""

from __future__ import annotations

import bisect
import collections
import json
import math
import sys
from pathlib import Path

import numpy as np

from logged_replay import replay_logged  # (this folder is on the path when run as a script)
from truth_owner import MeasurementOwner

CUT_OFF_M = 10_000.0
BUCKETS = ((60.0, "<1 min"), (300.0, "1-5 min"), (900.0, "5-15 min"), (math.inf, ">15 min"))


def _bucket(since: float | None) -> str:
    if since is None:
        return "pre"
    return next(name for limit, name in BUCKETS if since < limit)


def coverage(scenario_dir: Path) -> dict[tuple[str, str], list[tuple[bool, bool]]]:
    """(type, bucket) -> per 10 s sample: (any track within 10 km, a confirmed one)."""
    run = replay_logged(scenario_dir)
    truth, frame, snaps = run.truth, run.frame, run.live
    kinds = {a["id"]: a["type"] for a in json.loads((scenario_dir / "truth.json").read_text())["aircraft"]}
    owner = MeasurementOwner(truth, scenario_dir, frame, max_delay_s=120, travel_time=False)
    pos = owner.position
    seen = {aid: [t for t, _ in measured] for aid, measured in owner.attribute(run.measurements).items()}
    times = [t for t, _ in snaps]
    out: dict[tuple[str, str], list[tuple[bool, bool]]] = collections.defaultdict(list)
    for ac in truth.aircraft:
        heard = sorted(seen.get(ac.id, []))
        for t in np.arange(ac.times[0], ac.times[-1], 10.0).tolist():
            p = pos(ac, t)
            if p is None:
                continue
            k = bisect.bisect_right(heard, t) - 1
            i = bisect.bisect_right(times, t) - 1
            tracks = snaps[i][1] if i >= 0 else []
            near = [math.hypot(x - p[0], y - p[1]) < CUT_OFF_M for x, y, _ in tracks]
            confirmed = any(n and c for n, (_, _, c) in zip(near, tracks, strict=True))
            out[(kinds[ac.id], _bucket(t - heard[k] if k >= 0 else None))].append((any(near), confirmed))
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    pooled: dict[tuple[str, str], list[tuple[bool, bool]]] = collections.defaultdict(list)
    for arg in argv:
        for key, rows in coverage(Path(arg)).items():
            pooled[key].extend(rows)
    total_missed = sum(sum(1 for _, c in rows if not c) for rows in pooled.values())
    print(
        "| type | since last measured | samples | any track < 10 km | confirmed < 10 km | share of misses |"
    )
    print("|---|---|---|---|---|---|")
    order = ["pre", *(name for _, name in BUCKETS)]
    for kind in sorted({k for k, _ in pooled}):
        for bucket in order:
            samples = pooled.get((kind, bucket))
            if not samples:
                continue
            a = np.array(samples, dtype=float)
            missed = int(len(samples) - a[:, 1].sum())
            print(
                f"| {kind} | {bucket} | {len(samples)} | {a[:, 0].mean():.2f} | {a[:, 1].mean():.2f} "
                f"| {missed / max(1, total_missed):.0%} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
