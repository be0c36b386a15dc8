"""Detectors of a rise in a facility's outcome series: one call, one method name.

``detect(counts, method=...)`` returns one :class:`Detection` per period. Methods:

* ``ears-c1``, ``ears-c2``, ``ears-c3``: R ``surveillance::earsC`` with its defaults
  (:mod:`nadhir.health.ears`);
* ``cusum``: a Poisson CUSUM on counts; ``binomial-cusum``: on events out of ``totals``
  (:mod:`nadhir.health.cusum`);
* ``farrington``: Farrington flexible with Noufaily's settings, weekly only, from
  ``52 b + w`` periods of history (:mod:`nadhir.health.farrington`);
* ``auto``: the project's recommendation (:func:`auto_method`; the reasons and figures are in
  docs/outcomes.md).

A missing period is NaN: it gets no alarm, and the baselines read past it.
Pure and synchronous: numbers in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nadhir.health import cusum, ears, farrington

METHODS = ("ears-c1", "ears-c2", "ears-c3", "cusum", "binomial-cusum", "farrington", "auto")
PERIODS = ("week", "day")
# A daily series' CUSUM baseline is the weekly one in days.
DAYS_PER_WEEK = 7


@dataclass(frozen=True, slots=True)
class Detection:
    """What one method says about one period of a series."""

    index: int  # position in the series
    method: str  # the method actually used (auto resolves to one)
    observed: float
    expected: float  # NaN where the method has no baseline yet
    threshold: float  # the upper bound / decision limit on the observed scale (NaN if none)
    alarm: bool


class DetectorError(ValueError):
    """A method, period or series the detectors cannot work with."""


def detect(
    counts: Sequence[float],
    *,
    method: str,
    totals: Sequence[float] | None = None,
    period: str = "week",
) -> list[Detection]:
    """Judge each period of ``counts`` with ``method``; ``totals`` are the denominators (births).

    ``totals`` is needed by ``binomial-cusum`` and lets ``auto`` read rates; NaN marks a missing
    period in either series.
    """
    if method not in METHODS:
        raise DetectorError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if period not in PERIODS:
        raise DetectorError(f"unknown period {period!r}; one of {', '.join(PERIODS)}")
    y = _as_series(counts, "counts")
    n = y.size
    tot: NDArray[np.float64] | None = None
    if totals is not None:
        tot = _as_series(totals, "totals")
        if tot.size != n:
            raise DetectorError(f"{n} counts but {tot.size} totals")
        both = ~np.isnan(y) & ~np.isnan(tot)
        if np.any(y[both] > tot[both]):
            i = int(np.flatnonzero(both & (np.nan_to_num(y) > np.nan_to_num(tot)))[0])
            raise DetectorError(f"period {i}: {y[i]:g} events out of a total of {tot[i]:g}")
    used = auto_method(has_totals=tot is not None) if method == "auto" else method
    return _detections(used, y, _run(used, y, tot, period))


def auto_method(*, has_totals: bool) -> str:
    """The recommended method: the binomial CUSUM with denominators, the Poisson CUSUM without.

    The binomial chart reads rates, so more deliveries are not more stillbirths, and the CUSUMs
    led the generated benchmark at every length of history: from a facility's 13th period (their
    baseline adapts to a young facility, :class:`nadhir.health.cusum.Baseline`) to after three
    years, where Farrington can run but finds fewer rises. Before the 13th period no method is
    worth its false alarms (EARS C2, from the 10th, adds more false alarms than rises found).
    The figures are in docs/outcomes.md.
    """
    return "binomial-cusum" if has_totals else "cusum"


def _run(method: str, y: NDArray[np.float64], tot: NDArray[np.float64] | None, period: str) -> ears.Bounds:
    baseline = cusum.Baseline().scaled(DAYS_PER_WEEK) if period == "day" else cusum.Baseline()
    if method == "ears-c1":
        return ears.ears_c1_c2(y, lag=0)
    if method == "ears-c2":
        return ears.ears_c1_c2(y, lag=ears.C2_LAG)
    if method == "ears-c3":
        return ears.ears_c3(y)
    if method == "cusum":
        return cusum.poisson_cusum(y, baseline=baseline)
    if method == "binomial-cusum":
        if tot is None:
            raise DetectorError("binomial-cusum needs totals (the denominators, e.g. total births)")
        return cusum.binomial_cusum(y, tot, baseline=baseline)
    if period != "week":
        raise DetectorError("farrington reads weekly series only (its reference weeks are 52 periods back)")
    return farrington.farrington(y)


def _detections(method: str, y: NDArray[np.float64], b: ears.Bounds) -> list[Detection]:
    return [_detection(i, method, y, b) for i in range(y.size)]


def _detection(i: int, method: str, y: NDArray[np.float64], b: ears.Bounds) -> Detection:
    return Detection(i, method, float(y[i]), float(b.expected[i]), float(b.threshold[i]), bool(b.alarm[i]))


def _as_series(values: Sequence[float], name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DetectorError(f"{name} must be numbers: {exc}") from None
    if arr.ndim != 1:
        raise DetectorError(f"{name} must be one series, not shape {arr.shape}")
    bad = ~np.isnan(arr) & ((arr < 0) | ~np.isfinite(arr))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DetectorError(f"{name}[{i}] = {arr[i]}: counts are finite and >= 0 (NaN for a missing period)")
    return arr
