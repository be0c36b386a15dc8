"""Reporting completeness and timeliness per facility.

A facility is expected to report every period from the first it reported (or a given start) up
to the last period that has ended. **Completeness** is the share of those periods with a report;
**timeliness** the share reported by the deadline (the period's end plus a grace: two days for a
week, one for a day). A rise in one facility's counts means little when a third of its weeks are
missing, so alarms are flagged (or held back) under :data:`MIN_COMPLETENESS` (80 %, WHO's usual
floor for routine reporting). Pure: no clock (``now`` is given), no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from nadhir.health.outcomes import OutcomeRecord, Period, period_length

MIN_COMPLETENESS = 0.8
GRACE: dict[Period, dt.timedelta] = {"week": dt.timedelta(days=2), "day": dt.timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class Received:
    """A record and when it was first received (POSIX seconds)."""

    record: OutcomeRecord
    received_at: float


@dataclass(frozen=True, slots=True)
class Completeness:
    """One facility's reporting over ``expected`` periods (None shares when none were expected)."""

    facility_id: str
    period: Period
    expected: int
    reported: int
    on_time: int
    late: int
    missing: tuple[dt.date, ...]  # the periods expected and not reported, oldest first

    @property
    def completeness(self) -> float | None:
        return None if self.expected == 0 else self.reported / self.expected

    @property
    def timeliness(self) -> float | None:
        return None if self.expected == 0 else self.on_time / self.expected

    @property
    def complete_enough(self) -> bool:
        """Whether alarms of this facility can be read as they are (completeness >= 80 %)."""
        c = self.completeness
        return c is not None and c >= MIN_COMPLETENESS


def deadline(record: OutcomeRecord) -> dt.datetime:
    """When a record is due: the end of its period (UTC midnight) plus the grace."""
    end = dt.datetime.combine(record.period_end, dt.time(), dt.UTC)
    return end + GRACE[record.period]


def last_ended(period: Period, now: float) -> dt.date:
    """The start of the last period that has ended by ``now``."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    if period == "day":
        return today - dt.timedelta(days=1)
    this_monday = today - dt.timedelta(days=today.weekday())
    return this_monday - dt.timedelta(days=7)


def completeness(
    facility_id: str,
    received: Iterable[Received],
    now: float,
    *,
    period: Period = "week",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Completeness:
    """The facility's completeness and timeliness for periods from ``since`` (default: its first
    report) to ``until`` (default: the last period ended by ``now``), both included."""
    mine = [r for r in received if r.record.facility_id == facility_id and r.record.period == period]
    by_start = {r.record.period_start: r for r in mine}
    last = until if until is not None else last_ended(period, now)
    first = since if since is not None else (min(by_start) if by_start else None)
    if first is None or first > last:
        return Completeness(facility_id, period, 0, 0, 0, 0, ())
    step = period_length(period)
    expected = reported = on_time = 0
    missing: list[dt.date] = []
    day = first
    while day <= last:
        expected += 1
        got = by_start.get(day)
        if got is None:
            missing.append(day)
        else:
            reported += 1
            if got.received_at <= deadline(got.record).timestamp():
                on_time += 1
        day += step
    return Completeness(facility_id, period, expected, reported, on_time, reported - on_time, tuple(missing))
