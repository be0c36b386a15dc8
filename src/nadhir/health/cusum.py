"""Poisson and binomial CUSUMs with an in-control level that each facility learns from its own past.

Both are log-likelihood-ratio CUSUMs (Page 1954; Lucas 1985 for counts; Steiner et al. 2000 for
outcome rates): at each period the score ``S = max(0, S_prev + log L1/L0)`` grows while the counts
look more like the shifted level than the in-control one, and an alarm is raised when it passes
``h``; the score starts again from 0 after an alarm, so a lasting rise alarms again only when
the evidence builds up anew.

* In-control level: the mean count (Poisson) or the pooled rate, sum(events) / sum(totals)
  (binomial), over the ``window`` periods (a year) that end ``guard`` (8) periods before the one
  judged, so that a rise under way does not enter its own baseline for ``guard`` periods, from
  ``min_history`` (12) periods of baseline. A young facility, with fewer than ``guard +
  min_history`` periods behind it, is judged on a shorter guard (4) from 8 periods of baseline,
  so its chart starts at the 13th period rather than the 21st (the young pair was chosen on
  tuning series, ``benchmarks/outcome_detection.py --tune``; see :class:`Baseline`).
* Shift looked for: the level times ``ratio`` (2, a doubling).
* ``h`` on the log-likelihood scale, so one value serves small and large facilities alike; it was
  chosen on generated tuning series and reported on others (docs/outcomes.md, benchmarks).

The binomial chart reads events out of totals (stillbirths of total births), so that a week with
more deliveries is not read as a week with more stillbirths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nadhir.health.ears import Bounds

RATIO = 2.0  # the shift looked for
H_POISSON = 3.0  # chosen on the tuning seeds: benchmarks/outcome_detection.py --tune
H_BINOMIAL = 3.0
# A level of zero (no event in the whole baseline) is read as this fraction of one event over the
# baseline, so the chart still runs: the first events after a clean year are evidence, not a
# division by zero.
ZERO_LEVEL_EVENTS = 0.5

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Baseline:
    """Which past periods make the in-control level of period t (in periods of the series)."""

    window: int = 52  # a year of weeks
    guard: int = 8  # between the baseline's end and the period judged
    min_history: int = 12  # periods of baseline before the chart starts
    young_guard: int = 4  # the guard while t < guard + min_history
    young_min_history: int = 8

    def __post_init__(self) -> None:
        if self.window < 1 or not 0 <= self.young_guard <= self.guard:
            raise ValueError(f"bad baseline: {self}")
        if not 1 <= self.young_min_history <= self.min_history <= self.window:
            raise ValueError(f"bad baseline: {self}")

    def scaled(self, factor: int) -> Baseline:
        """The same baseline in periods ``factor`` times shorter (days for weeks: 7)."""
        return Baseline(*(factor * v for v in (self.window, self.guard, self.min_history,
                                               self.young_guard, self.young_min_history)))  # fmt: skip

    def first_judged(self) -> int:
        """The index of the first period the chart judges (with every period reported)."""
        return self.young_guard + self.young_min_history


def _trailing_sums(values: Floats, baseline: Baseline) -> tuple[Floats, Floats, Floats]:
    """Per t: the sum of ``values`` over t's baseline, how many of its periods were reported (a
    missing period, NaN, adds nothing to either) and how many it needs."""
    n = values.size
    cum = np.concatenate(([0.0], np.cumsum(np.nan_to_num(values))))
    reported = np.concatenate(([0.0], np.cumsum(~np.isnan(values))))
    t = np.arange(n)
    young = t < baseline.guard + baseline.min_history
    end = np.maximum(t - np.where(young, baseline.young_guard, baseline.guard), 0)  # exclusive
    start = np.maximum(end - baseline.window, 0)
    needed = np.where(young, baseline.young_min_history, baseline.min_history).astype(np.float64)
    return cum[end] - cum[start], reported[end] - reported[start], needed


def poisson_cusum(
    counts: Floats,
    *,
    h: float = H_POISSON,
    ratio: float = RATIO,
    baseline: Baseline = Baseline(),
) -> Bounds:
    """Poisson CUSUM for a count series; the threshold is the smallest count that would alarm."""
    _check(h, ratio)
    total, length, needed = _trailing_sums(counts, baseline)
    n = counts.size
    expected = np.full(n, np.nan)
    threshold = np.full(n, np.nan)
    alarm = np.zeros(n, dtype=bool)
    log_ratio = math.log(ratio)
    score = 0.0
    for t in range(n):
        if length[t] < needed[t]:
            continue
        level = max(total[t], ZERO_LEVEL_EVENTS) / length[t]
        drift = (ratio - 1.0) * level  # the log-likelihood ratio's constant part
        expected[t] = level
        threshold[t] = max((h - score + drift) / log_ratio, 0.0)
        if math.isnan(counts[t]):  # not reported: no evidence either way
            continue
        score = max(0.0, score + counts[t] * log_ratio - drift)
        if score > h:
            alarm[t] = True
            score = 0.0
    return Bounds(expected, threshold, alarm)


def binomial_cusum(
    events: Floats,
    totals: Floats,
    *,
    h: float = H_BINOMIAL,
    ratio: float = RATIO,
    baseline: Baseline = Baseline(),
) -> Bounds:
    """Binomial CUSUM for events out of totals; expected and threshold are counts of this period."""
    _check(h, ratio)
    if events.shape != totals.shape:
        raise ValueError("events and totals must have the same length")
    over = np.nan_to_num(events) > np.nan_to_num(totals, nan=np.inf)
    if np.any(over):
        bad = int(np.argmax(over))
        raise ValueError(f"period {bad}: {events[bad]:g} events out of a total of {totals[bad]:g}")
    # A period counts in the baseline only when both its events and its total were reported.
    reported = ~np.isnan(events) & ~np.isnan(totals)
    events = np.where(reported, events, np.nan)
    totals = np.where(reported, totals, np.nan)
    ev_sum, length, needed = _trailing_sums(events, baseline)
    tot_sum, _, _ = _trailing_sums(totals, baseline)
    n = events.size
    expected = np.full(n, np.nan)
    threshold = np.full(n, np.nan)
    alarm = np.zeros(n, dtype=bool)
    score = 0.0
    for t in range(n):
        if length[t] < needed[t] or tot_sum[t] <= 0:
            continue
        p0 = max(ev_sum[t], ZERO_LEVEL_EVENTS) / tot_sum[t]
        p1 = min(ratio * p0, 0.999)  # a rate cannot pass 1
        if p1 <= p0:  # the in-control rate is already near 1: no shift left to look for
            continue
        per_event = math.log(p1 / p0) - math.log((1.0 - p1) / (1.0 - p0))
        per_total = math.log((1.0 - p1) / (1.0 - p0))  # negative
        if not reported[t]:  # not reported: no expected count without its total, no evidence
            continue
        expected[t] = p0 * totals[t]
        threshold[t] = max((h - score - totals[t] * per_total) / per_event, 0.0)
        score = max(0.0, score + events[t] * per_event + totals[t] * per_total)
        if score > h:
            alarm[t] = True
            score = 0.0
    return Bounds(expected, threshold, alarm)


def _check(h: float, ratio: float) -> None:
    if h <= 0:
        raise ValueError(f"h must be > 0, not {h}")
    if ratio <= 1:
        raise ValueError(f"the shift looked for must be a rise (ratio > 1), not {ratio}")
