"""Score outcome detectors on generated facilities with planted rises (issue 19's bar).

* Sensitivity: the share of planted rises with an alarm in their first ``within`` periods
  (the rise's first week and the ``within - 1`` after it).
* Time to detect: periods from the rise's first week to its first alarm in that span (0 = the
  first week itself); the median over rises found.
* False alarms: alarm periods per facility-year on facilities without a rise, counted from
  ``from_week`` on (the weeks every method is scored on).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nadhir.health.detectors import detect
from nadhir_lab.outcomes import FacilitySeries

WITHIN = 6
WEEKS_PER_YEAR = 52


@dataclass(frozen=True, slots=True)
class Score:
    """One method's figures on one set of facilities."""

    method: str
    rises: int
    found: int
    false_alarms: int
    facility_years: float
    delays: tuple[int, ...]

    @property
    def sensitivity(self) -> float:
        """Share of rises found in time (NaN with no rise)."""
        return self.found / self.rises if self.rises else float("nan")

    @property
    def false_alarm_rate(self) -> float:
        """False alarms per facility-year without a rise."""
        return self.false_alarms / self.facility_years if self.facility_years else float("nan")

    @property
    def median_delay(self) -> float:
        """Median periods from a rise's start to its first alarm (NaN if none found)."""
        return float(statistics.median(self.delays)) if self.delays else float("nan")


Alarms = Callable[[FacilitySeries], np.ndarray]


def stillbirth_alarms(method: str) -> Alarms:
    """The alarm flags of ``detect`` on a facility's stillbirths (out of total births)."""

    def run(s: FacilitySeries) -> np.ndarray:
        found = detect(s.stillbirths.tolist(), method=method, totals=s.total_births.tolist())
        return np.array([d.alarm for d in found], dtype=bool)

    return run


def score(
    method: str,
    series: Sequence[FacilitySeries],
    alarms: Alarms,
    *,
    within: int = WITHIN,
    from_week: int = WEEKS_PER_YEAR,
    rises_from: int = 0,
) -> Score:
    """Score one method; rises starting before ``rises_from`` are left out."""
    rises = found = false_alarms = 0
    years = 0.0
    delays: list[int] = []
    for s in series:
        flags = alarms(s)
        if s.rise is None:
            false_alarms += int(flags[from_week:].sum())
            years += max(flags.size - from_week, 0) / WEEKS_PER_YEAR
            continue
        if s.rise.start < rises_from:
            continue
        rises += 1
        hits = np.flatnonzero(flags[s.rise.start : s.rise.start + within])
        if hits.size:
            found += 1
            delays.append(int(hits[0]))
    return Score(method, rises, found, false_alarms, years, tuple(delays))
