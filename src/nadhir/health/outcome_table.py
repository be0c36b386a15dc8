"""Facility outcome counts from the outcomes CSV (``nadhir outcomes detect``'s input), one series each.

The CSV is read by :func:`nadhir.health.outcomes_csv.read_outcomes_csv`, the reader of an import,
with its checks and its errors (every bad line named, the file refused whole: nothing is judged
from a table half read); other columns than the outcome counts are ignored here. ``period_start``
is a date (YYYY-MM-DD; the Monday of its ISO week for weekly data) or, for weekly data, an ISO
week (YYYY-Www).

A facility's series runs from its first period to its last; a period it did not report is
missing (NaN), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from nadhir.health.outcomes import REQUIRED_COUNTS, Period, period_length
from nadhir.health.outcomes_csv import read_outcomes_csv

# The counts every record has (one list for the records, their entry and this table).
COUNT_COLUMNS = REQUIRED_COUNTS
COLUMNS = ("facility_id", "period_start", *COUNT_COLUMNS)

# Indicator -> how its counts are read from the columns; stillbirths are fresh plus macerated.
INDICATORS = (*COUNT_COLUMNS, "stillbirths")

# The denominator each indicator is a share of (binomial-cusum; auto reads rates with it). WHO
# counts stillbirths per 1,000 total births (live + still), preterm birth, low birth weight and
# neonatal deaths among live births, maternal deaths per live births (the maternal mortality
# ratio). Miscarriages and live births have none among these columns.
DENOMINATORS: dict[str, str | None] = {
    "stillbirths": "total_births",
    "stillbirths_fresh": "total_births",
    "stillbirths_macerated": "total_births",
    "preterm_births": "live_births",
    "low_birth_weight": "live_births",
    "neonatal_deaths": "live_births",
    "maternal_deaths": "live_births",
    "miscarriages": None,
    "live_births": None,
}

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FacilityTable:
    """One facility's periods (consecutive, first to last) and its counts per column (NaN: missing)."""

    facility_id: str
    periods: tuple[date, ...]
    counts: dict[str, Floats]

    def indicator(self, name: str) -> Floats:
        """The series of an indicator (``stillbirths`` adds fresh and macerated)."""
        if name == "stillbirths":
            return self.counts["stillbirths_fresh"] + self.counts["stillbirths_macerated"]
        if name == "total_births":
            return self.counts["live_births"] + self.indicator("stillbirths")
        return self.counts[name]

    def denominator(self, indicator: str) -> Floats | None:
        """The series the indicator is a share of, or None."""
        name = DENOMINATORS[indicator]
        return None if name is None else self.indicator(name)


def read_table(text: str, *, period: Period = "week") -> list[FacilityTable]:
    """Every facility of the table, in the order they first appear; :class:`OutcomeCsvError` if bad."""
    records = read_outcomes_csv(text, period=period, ignore_other_columns=True)
    rows: dict[str, dict[date, list[float]]] = {}
    for r in records:
        rows.setdefault(r.facility_id, {})[r.period_start] = [float(getattr(r, c)) for c in COUNT_COLUMNS]
    step_days = period_length(period).days
    return [_facility(f, by_period, step_days) for f, by_period in rows.items()]


def _facility(facility: str, by_period: dict[date, list[float]], step_days: int) -> FacilityTable:
    first, last = min(by_period), max(by_period)
    n = (last - first).days // step_days + 1
    periods = tuple(first + timedelta(days=i * step_days) for i in range(n))
    table = np.full((n, len(COUNT_COLUMNS)), np.nan)
    for start, counts in by_period.items():
        # Weekly periods are Mondays, so every offset is a whole number of steps.
        table[(start - first).days // step_days] = counts
    return FacilityTable(facility, periods, {c: table[:, i].copy() for i, c in enumerate(COUNT_COLUMNS)})
