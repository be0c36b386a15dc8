"""EARS C1, C2 and C3 on counts, as R's ``surveillance::earsC`` (version 1.20.3) computes them.

* C1: the baseline is the ``baseline`` periods just before t; the upper bound is their mean plus
  ``z`` times their standard deviation (n - 1), ``z = qnorm(1 - alpha)``; alarm when the count is
  strictly above it (R compares with ``>``).
* C2: the same with a two-period lag: the baseline is t - baseline - 2 .. t - 3.
* C3: the sum of ``max(0, C2 - 1)`` over t - 2, t - 1 and t, alarm above ``z``. R's code computes
  its C3 bound from the observed count itself, which leaves the current period's C2 out; we follow
  the statistic as its help page (and Fricker et al. 2008) define it, so a spike in the current
  period counts. The two agree wherever the two earlier periods decide (docs/outcomes.md).

``min_sigma`` (R's ``minSigma``, default 0) floors the standard deviation: with a flat baseline and
0, any count above the mean alarms, as in R.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.stats import norm

BASELINE = 7
ALPHA_C1_C2 = 0.001
ALPHA_C3 = 0.025
C2_LAG = 2  # C2's baseline ends this many periods before the one it judges

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Bounds:
    """Per period: the expected count, the upper bound and the alarm (NaN/False before a baseline)."""

    expected: Floats
    threshold: Floats
    alarm: NDArray[np.bool_]


def _baseline_stats(y: Floats, baseline: int, lag: int) -> tuple[Floats, Floats]:
    """Mean and sd (n - 1) of the ``baseline`` periods ending ``lag`` periods before each t.

    NaN where the series is too short to hold a baseline.
    """
    n = y.size
    mean = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    first = baseline + lag
    if n > first:
        windows = sliding_window_view(y, baseline)[: n - first]
        mean[first:] = windows.mean(axis=1)
        sd[first:] = windows.std(axis=1, ddof=1)
    return mean, sd


def ears_c1_c2(
    counts: Floats, *, lag: int, baseline: int = BASELINE, alpha: float = ALPHA_C1_C2, min_sigma: float = 0.0
) -> Bounds:
    """C1 (``lag=0``) or C2 (``lag=C2_LAG``) bounds and alarms for one series."""
    _check(baseline, alpha, min_sigma)
    z = float(norm.ppf(1.0 - alpha))
    mean, sd = _baseline_stats(counts, baseline, lag)
    upper = mean + z * np.maximum(sd, min_sigma)
    with np.errstate(invalid="ignore"):
        alarm = np.where(np.isnan(upper), False, counts > upper)
    return Bounds(mean, upper, alarm.astype(bool))


def c2_statistic(counts: Floats, mean: Floats, sd: Floats, min_sigma: float) -> Floats:
    """(y - mean) / sd per period; 0 where a flat baseline meets its own mean (0/0: no discrepancy)."""
    sigma = np.maximum(sd, min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (counts - mean) / sigma
    flat_equal = (sigma == 0) & (counts == mean)
    return np.where(flat_equal, 0.0, stat)


def ears_c3(
    counts: Floats, *, baseline: int = BASELINE, alpha: float = ALPHA_C3, min_sigma: float = 0.0
) -> Bounds:
    """C3 bounds and alarms for one series: the first is at index ``baseline + 4``."""
    _check(baseline, alpha, min_sigma)
    z = float(norm.ppf(1.0 - alpha))
    n = counts.size
    mean, sd = _baseline_stats(counts, baseline, C2_LAG)
    excess = np.maximum(c2_statistic(counts, mean, sd, min_sigma) - 1.0, 0.0)  # NaN before a baseline
    # The two earlier periods' part of C3; NaN until both have a C2.
    earlier = np.full(n, np.nan)
    if n > 2:
        earlier[2:] = excess[:-2] + excess[1:-1]
    sigma = np.maximum(sd, min_sigma)
    with np.errstate(invalid="ignore"):
        # The count at which the current period's excess lifts C3 to z; once the earlier two alone
        # pass z, any count above zero alarms (R's bound is floored at 0 the same way).
        bound = np.where(earlier > z, 0.0, np.maximum(mean + sigma * (1.0 + z - earlier), 0.0))
        bound = np.where(sigma == 0, np.where(earlier > z, 0.0, np.maximum(mean, 0.0)), bound)
        bound = np.where(np.isnan(earlier) | np.isnan(mean), np.nan, bound)
        alarm = np.where(np.isnan(bound), False, counts > bound)
    return Bounds(np.where(np.isnan(bound), np.nan, mean), bound, alarm.astype(bool))


def _check(baseline: int, alpha: float, min_sigma: float) -> None:
    if baseline < 3:
        raise ValueError(f"EARS needs a baseline of at least 3 periods, not {baseline}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), not {alpha}")
    if min_sigma < 0:
        raise ValueError(f"min_sigma must be >= 0, not {min_sigma}")
