"""Run a detector over every facility of an outcome table: one result per facility-period."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from nadhir.health.detectors import DetectorError, detect
from nadhir.health.outcome_table import DENOMINATORS, INDICATORS, FacilityTable


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """What ``nadhir outcomes detect`` prints for one facility-period (None: no baseline yet)."""

    facility_id: str
    period_start: date
    indicator: str
    method: str
    observed: float
    expected: float | None
    threshold: float | None
    alarm: bool

    def as_json(self) -> dict[str, object]:
        """The JSON object of the command's output."""
        return {
            "facility_id": self.facility_id,
            "period_start": self.period_start.isoformat(),
            "indicator": self.indicator,
            "method": self.method,
            "observed": self.observed,
            "expected": self.expected,
            "threshold": self.threshold,
            "alarm": self.alarm,
        }


def detect_table(
    facilities: Sequence[FacilityTable], *, indicator: str, method: str, period: str = "week"
) -> Iterator[PeriodResult]:
    """Results per facility (in table order) and period; periods a facility did not report are left out."""
    if indicator not in INDICATORS:
        raise DetectorError(f"unknown indicator {indicator!r}; one of {', '.join(INDICATORS)}")
    if method == "binomial-cusum" and DENOMINATORS[indicator] is None:
        raise DetectorError(f"binomial-cusum reads a rate, and {indicator} has no denominator in the table")
    for facility in facilities:
        counts = facility.indicator(indicator)
        totals = facility.denominator(indicator)
        try:
            found = detect(counts.tolist(), method=method, totals=None if totals is None else totals.tolist(),
                           period=period)  # fmt: skip
        except DetectorError as exc:
            raise DetectorError(f"{facility.facility_id}: {exc}") from None
        for d, start in zip(found, facility.periods, strict=True):
            if math.isnan(d.observed):
                continue
            yield PeriodResult(
                facility.facility_id,
                start,
                indicator,
                d.method,
                d.observed,
                None if math.isnan(d.expected) else round(d.expected, 4),
                None if math.isnan(d.threshold) else round(d.threshold, 4),
                d.alarm,
            )
