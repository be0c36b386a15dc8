"""R's ``surveillance`` package as the reference: run earsC / farringtonFlexible on many series at once.

One Rscript process per call (R starts slowly): the series go in as a long CSV, R's upper bounds and
alarms come back the same way. ``available()`` is False where Rscript or the package is missing;
the tests skip then (CI installs r-cran-surveillance, so it never skips there).
"""

from __future__ import annotations

import csv
import functools
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SCRIPT = r"""
suppressPackageStartupMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
call <- args[3]
out <- list()
for (s in unique(d$series)) {
  y <- d$count[d$series == s]
  x <- sts(observed = matrix(y, ncol = 1), frequency = 52, start = c(2021, 1))
  if (call == "farrington") {
    ctl <- list(b = 3, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26, alpha = 0.01,
                thresholdMethod = "nbPlugin", glmWarnings = FALSE, weightsThreshold = 2.58)
    r <- suppressWarnings(farringtonFlexible(x, control = ctl))
    first <- 52 * 3 + 3 + 1
  } else {
    r <- earsC(x, control = list(method = call))
    first <- switch(call, C1 = 8, C2 = 10, C3 = 12)
  }
  idx <- first:length(y)
  out[[length(out) + 1]] <- data.frame(series = s, index = idx - 1,
      upper = as.vector(upperbound(r)), alarm = as.integer(as.vector(alarms(r))))
}
write.csv(do.call(rbind, out), args[2], row.names = FALSE, na = "NA")
"""


@functools.cache
def available() -> bool:
    """Rscript and the surveillance package are installed."""
    if shutil.which("Rscript") is None:
        return False
    done = subprocess.run(["Rscript", "-e", "library(surveillance)"], capture_output=True, check=False)
    return done.returncode == 0


def run(call: str, series: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per series: R's upper bound and alarm per period (NaN / False where R judges nothing or says NA).

    ``call``: ``C1``, ``C2``, ``C3`` (earsC with its defaults) or ``farrington`` (farringtonFlexible
    with the settings nadhir.health.farrington uses).
    """
    with tempfile.TemporaryDirectory() as tmp:
        src, dst, script = Path(tmp) / "in.csv", Path(tmp) / "out.csv", Path(tmp) / "run.R"
        script.write_text(SCRIPT, encoding="utf-8")
        with src.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["series", "count"])
            for i, y in enumerate(series):
                w.writerows([i, int(v)] for v in y)
        subprocess.run(["Rscript", str(script), str(src), str(dst), call], check=True, capture_output=True)
        upper = [np.full(len(y), np.nan) for y in series]
        alarm = [np.zeros(len(y), dtype=bool) for y in series]
        with dst.open(newline="") as f:
            for row in csv.DictReader(f):
                s, t = int(row["series"]), int(row["index"])
                upper[s][t] = np.nan if row["upper"] == "NA" else float(row["upper"])
                alarm[s][t] = row["alarm"] == "1"
    return list(zip(upper, alarm, strict=True))
