"""Replay speed: input events per second of `nadhir replay`, start-up included, on one core.

Usage: python benchmarks/replay_speed.py [SCENARIO_DIR ...] [--repeat N]

Each scenario is replayed in a fresh process (`nadhir replay ... --quiet`),
timed from process start to exit; the best of N runs is reported, since
the slower runs measure other work on the machine, not the replay.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "tests" / "data" / "scenarios" / n for n in ("idlib-basic", "idlib-twists")]


def count_lines(path: Path) -> int:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    nadhir = Path(sys.executable).with_name("nadhir")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"{'scenario':<20}{'events':>8}{'best s':>9}{'events/s':>10}")
    for scenario in args.scenarios:
        events_path = next(p for p in (scenario / "events.jsonl", scenario / "events.jsonl.gz") if p.exists())
        n = count_lines(events_path)
        best = float("inf")
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat):
                start = time.perf_counter()
                subprocess.run(
                    [
                        "taskset",
                        "-c",
                        "0",
                        str(nadhir),
                        "replay",
                        str(scenario),
                        "--out",
                        f"{tmp}/a.jsonl",
                        "--tracks",
                        f"{tmp}/t.jsonl",
                        "--quiet",
                    ],
                    check=True,
                    env=env,
                )
                best = min(best, time.perf_counter() - start)
        print(f"{scenario.name:<20}{n:>8}{best:>9.2f}{n / best:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
