"""How close the tracker's bearing updates come to a covariance that is not positive definite.

Every model covariance a bearing update produces passes
``imm.positive_definite`` (numpy paths) or ``scalar.positive_definite``
(plain floats) before it is kept; this wraps both, replays scenarios with
the default settings and counts the updated covariances by their smallest
LDL' pivot share (the pivot over its diagonal entry: the share of a
coordinate's variance the coordinates before it do not explain; 1 - r^2).
"refused" counts the updates the guard refused (the model kept its prior);
shares of 1e-14 to 1e-9 are covariances singular to rounding, which
the unbounded bearing Jacobian of a model near or past the speed of sound
makes.

    PYTHONPATH=src:siren/src python benchmarks/near_singular_updates.py [SCENARIO_DIR ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).parent))

import warning_scores
from nadhir.tracking import imm, scalar

BUCKETS = (1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-6)


def pivot_share(p: NDArray[np.float64]) -> float:
    """The smallest LDL' pivot of a 4x4 matrix over its diagonal entry (nan if a pivot is not finite)."""
    a = p.reshape(4, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.empty(4)
        low = np.zeros((4, 4))
        for j in range(4):
            d[j] = a[j, j] - (low[j, :j] ** 2 * d[:j]).sum()
            for i in range(j + 1, 4):
                low[i, j] = (a[i, j] - (low[i, :j] * low[j, :j] * d[:j]).sum()) / d[j]
        return float((d / np.diagonal(a)).min())


def bucket(kept: bool, share: float) -> str:
    """The count a covariance falls in: refused by the tracker, below one of BUCKETS, or ordinary."""
    if not kept:
        return "refused"
    for limit in BUCKETS:
        if share < limit:
            return f"<{limit:g}"
    return "ordinary"


def main() -> None:
    """Replay the scenarios and print each one's counts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", type=Path)
    args = parser.parse_args()
    scenarios = args.scenarios or sorted(Path("tests/data/scenarios").iterdir())
    counts: Counter[str] = Counter()
    arrays, floats = imm.positive_definite, scalar.positive_definite

    def counted_arrays(ps: NDArray[np.float64]) -> NDArray[np.bool_]:
        kept = arrays(ps)
        for p, ok in zip(np.asarray(ps).reshape(-1, 4, 4), kept.reshape(-1).tolist(), strict=True):
            counts[bucket(ok, pivot_share(p))] += 1
        return kept

    def counted_floats(p: list[float]) -> bool:
        kept = floats(p)
        counts[bucket(kept, pivot_share(np.array(p)))] += 1
        return kept

    imm.positive_definite = counted_arrays  # type: ignore[assignment]
    scalar.positive_definite = counted_floats  # type: ignore[assignment]
    order = ["refused", *(f"<{limit:g}" for limit in BUCKETS), "ordinary"]
    print("| scenario | " + " | ".join(order) + " |")
    print("|---" * (len(order) + 1) + "|")
    for scenario in scenarios:
        counts.clear()
        with tempfile.TemporaryDirectory() as tmp:
            warning_scores.run(scenario, False, Path(tmp))
        print(f"| {scenario.name} | " + " | ".join(str(counts[k]) for k in order) + " |", flush=True)


if __name__ == "__main__":
    main()
