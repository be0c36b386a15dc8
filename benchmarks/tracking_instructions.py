"""Instructions our tracker spends on tracking_vs_stonesoup.py's picture, for valgrind's callgrind.

Usage (the tracker's count is the difference of the two totals):

    PYTHONHASHSEED=0 OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.run \\
        .venv/bin/python benchmarks/tracking_instructions.py
    PYTHONHASHSEED=0 OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.base \\
        .venv/bin/python benchmarks/tracking_instructions.py base
    callgrind_annotate /tmp/cg.run | head -20; callgrind_annotate /tmp/cg.base | head -20

Wall-clock time on a shared machine drifts by half again over tens of
seconds; instruction counts do not, so a speed change of a few per cent can
be judged run by run. They repeat to about 20 thousand instructions only
with a fixed hash seed and one BLAS thread (without them, +-5 %). Both runs
generate the picture and track a one-minute picture first (seed 2), so that
scipy's lazy import and first-call caches are not counted; without ``base``
the benchmark's picture (seed 1, 20 aircraft, 10 minutes) is then tracked.
"""

from __future__ import annotations

import sys

import tracking_vs_stonesoup as bench  # (this folder is on the path when run as a script)

picture = bench.generate(1, 20, 10.0)
bench.run_ours(bench.generate(2, 20, 1.0))  # warm-up: lazy imports and caches
if sys.argv[1:] != ["base"]:
    bench.run_ours(picture)
