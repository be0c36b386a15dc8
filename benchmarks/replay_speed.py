"""Replay speed: input events per second of `nadhir replay`, start-up included, on one core.

Usage: python benchmarks/replay_speed.py [SCENARIO_DIR ...] [--repeat N]

Each scenario is replayed in a fresh process (`nadhir replay ... --quiet`),
timed from process start to exit; the best of N runs is reported, since
the slower runs measure other work on the machine, not the replay.

The processes run with their bytecode cached, as a package installed by pip
has it (pip compiles it at install time): one untimed run first writes it to
a temporary PYTHONPYCACHEPREFIX. Without that, an environment with
PYTHONDONTWRITEBYTECODE=1 (as some sandboxes set) compiles every nadhir
module from source in every run, ~65 ms of a replay that no installed
system pays; --no-bytecode-cache measures that condition (the environment's
own, unchanged).
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
    ap.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run in the environment as it is (with PYTHONDONTWRITEBYTECODE=1, sources compiled every run)",
    )
    args = ap.parse_args()
    nadhir = Path(sys.executable).with_name("nadhir")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    pycache = tempfile.TemporaryDirectory()
    if not args.no_bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache.name
    print(f"{'scenario':<20}{'events':>8}{'best s':>9}{'events/s':>10}")
    for scenario in args.scenarios:
        events_path = next(p for p in (scenario / "events.jsonl", scenario / "events.jsonl.gz") if p.exists())
        n = count_lines(events_path)
        best = float("inf")
        with tempfile.TemporaryDirectory() as tmp:
            command = [
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
            ]
            if not args.no_bytecode_cache:
                subprocess.run(command, check=True, env=env)  # untimed: writes the bytecode
            for _ in range(args.repeat):
                start = time.perf_counter()
                subprocess.run(command, check=True, env=env)
                best = min(best, time.perf_counter() - start)
        print(f"{scenario.name:<20}{n:>8}{best:>9.2f}{n / best:>10.0f}")
    pycache.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
