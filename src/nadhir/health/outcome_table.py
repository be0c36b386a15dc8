"""Facility outcome counts from a CSV table (``nadhir outcomes detect``'s input), one series each.

Columns (a header row, any order, other columns ignored): ``facility_id, period_start,
live_births, stillbirths_fresh, stillbirths_macerated, miscarriages, preterm_births,
low_birth_weight, neonatal_deaths, maternal_deaths``. ``period_start`` is a date (YYYY-MM-DD; the
Monday of its ISO week for weekly data) or an ISO week (YYYY-Www). Counts are whole numbers >= 0;
preterm births and low birth weight count live-born babies, so neither can pass live births.

A facility's series runs from its first period to its last; a period it did not report is
missing (NaN), never zero. A bad row stops the reading with its line number: nothing is judged
from a table half read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from nadhir.health.outcomes import REQUIRED_COUNTS

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
PERIOD_DAYS = {"week": 7, "day": 1}

Floats = NDArray[np.float64]


class OutcomeTableError(ValueError):
    """A table that cannot be read; ``line`` is the file's line (1 = the header), 0 for the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


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


def parse_period(text: str, period: str) -> date:
    """A period's first day from ``YYYY-MM-DD`` or ``YYYY-Www`` (weekly data starts on Mondays)."""
    value = text.strip()
    try:
        if len(value) == 8 and value[4:6].upper() == "-W":
            day = date.fromisocalendar(int(value[:4]), int(value[6:]), 1)
        else:
            day = date.fromisoformat(value)
    except ValueError:
        message = f"period_start {text!r} is not a date (YYYY-MM-DD) or an ISO week (YYYY-Www)"
        raise ValueError(message) from None
    if period == "week" and day.isoweekday() != 1:
        raise ValueError(f"period_start {text!r} is a {day:%A}; a week starts on Monday (or write YYYY-Www)")
    return day


def read_table(lines: Iterable[str], *, period: str = "week") -> list[FacilityTable]:
    """Every facility of the table, in the order they first appear."""
    if period not in PERIOD_DAYS:
        raise OutcomeTableError(0, f"unknown period {period!r}; one of {', '.join(PERIOD_DAYS)}")
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise OutcomeTableError(0, "the table is empty (no header row)")
    names = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise OutcomeTableError(1, f"missing column(s): {', '.join(missing)}")
    where = {c: names.index(c) for c in COLUMNS}
    rows: dict[str, dict[date, list[float]]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise OutcomeTableError(line, f"{len(row)} fields where the header has {len(names)}")
        facility = row[where["facility_id"]].strip()
        if not facility:
            raise OutcomeTableError(line, "facility_id is empty")
        try:
            start = parse_period(row[where["period_start"]], period)
        except ValueError as exc:
            raise OutcomeTableError(line, str(exc)) from None
        counts = [_count(row[where[c]], c, line) for c in COUNT_COLUMNS]
        live = counts[0]
        for column in ("preterm_births", "low_birth_weight"):
            value = counts[COUNT_COLUMNS.index(column)]
            if value > live:
                raise OutcomeTableError(line, f"{column} ({value:g}) is more than live_births ({live:g})")
        seen = rows.setdefault(facility, {})
        if start in seen:
            raise OutcomeTableError(line, f"a second row for {facility} and period {start.isoformat()}")
        seen[start] = counts
    return [_facility(f, by_period, PERIOD_DAYS[period]) for f, by_period in rows.items()]


def _count(text: str, column: str, line: int) -> float:
    value = text.strip()
    if not value.isdigit():  # no sign, no decimals: a count
        raise OutcomeTableError(line, f"{column} {text!r} is not a whole number >= 0")
    return float(value)


def _facility(facility: str, by_period: dict[date, list[float]], step_days: int) -> FacilityTable:
    first, last = min(by_period), max(by_period)
    n = (last - first).days // step_days + 1
    periods = tuple(first + timedelta(days=i * step_days) for i in range(n))
    table = np.full((n, len(COUNT_COLUMNS)), np.nan)
    for start, counts in by_period.items():
        # Weekly periods are Mondays, so every offset is a whole number of steps.
        table[(start - first).days // step_days] = counts
    return FacilityTable(facility, periods, {c: table[:, i].copy() for i, c in enumerate(COUNT_COLUMNS)})
