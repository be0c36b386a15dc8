"""Outcome rates with confidence intervals, and which counts make each indicator.

Every rate is a binomial proportion (stillbirths among total births, preterm among live births,
...), so its interval is the **Wilson score interval** (Wilson 1927): it stays inside [0, 1], is
defined for 0 events, and covers close to its nominal level at the small counts of one ward's
week, where the normal ("Wald") interval fails (Brown, Cai & DasGupta 2001, Statistical Science
16:101-133). Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scipy.stats import norm

from nadhir.health.outcomes import OutcomeRecord


@dataclass(frozen=True, slots=True)
class Indicator:
    """A count the detectors watch, and the denominator of its rate (None: a count only)."""

    name: str
    count: Callable[[OutcomeRecord], int]
    total: Callable[[OutcomeRecord], int] | None
    per: int  # the rate is given per this many (1000 for stillbirths, 100 for shares)
    label: str


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator("stillbirths", lambda r: r.stillbirths, lambda r: r.total_births, 1000,
                  "stillbirths per 1,000 total births"),
        Indicator("stillbirths_fresh", lambda r: r.stillbirths_fresh, lambda r: r.total_births, 1000,
                  "fresh stillbirths per 1,000 total births"),
        Indicator("stillbirths_macerated", lambda r: r.stillbirths_macerated, lambda r: r.total_births, 1000,
                  "macerated stillbirths per 1,000 total births"),
        Indicator("miscarriages", lambda r: r.miscarriages, None, 1, "miscarriages"),
        Indicator("preterm_births", lambda r: r.preterm_births, lambda r: r.live_births, 100,
                  "preterm births, % of live births"),
        Indicator("low_birth_weight", lambda r: r.low_birth_weight, lambda r: r.live_births, 100,
                  "low birth weight, % of live births"),
        Indicator("neonatal_deaths", lambda r: r.neonatal_deaths, lambda r: r.live_births, 1000,
                  "neonatal deaths per 1,000 live births"),
        Indicator("maternal_deaths", lambda r: r.maternal_deaths, None, 1, "maternal deaths"),
        Indicator("caesarean_sections", lambda r: r.caesarean_sections or 0, lambda r: r.total_births, 100,
                  "caesarean sections, % of total births"),
    )
}  # fmt: skip
# The rates of the weekly bulletin and the console, in that order.
RATE_INDICATORS: tuple[str, ...] = (
    "stillbirths", "preterm_births", "low_birth_weight", "neonatal_deaths", "caesarean_sections",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rate:
    """``events`` of ``total``, as a rate per ``per`` with its Wilson interval (None when total is 0)."""

    indicator: str
    events: int
    total: int
    per: int
    value: float | None
    low: float | None
    high: float | None
    level: float


def wilson_interval(events: int, total: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``events / total`` at confidence ``level``."""
    if total <= 0:
        raise ValueError("a proportion needs a total above 0")
    if not 0 <= events <= total:
        raise ValueError(f"events ({events}) must be between 0 and the total ({total})")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    z = float(norm.ppf(0.5 + level / 2))
    p = events / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    # At 0 or all events the bound is exactly 0 or 1; rounding must not move it across.
    low = 0.0 if events == 0 else max(0.0, centre - half)
    high = 1.0 if events == total else min(1.0, centre + half)
    return low, high


def rate(indicator: str, records: Iterable[OutcomeRecord], level: float = 0.95) -> Rate:
    """An indicator's rate over ``records`` (their counts summed), with its Wilson interval.

    Caesarean sections are counted over the records that report them only.
    """
    ind = INDICATORS[indicator]
    if ind.total is None:
        raise ValueError(f"{indicator} is a count, not a rate")
    events = total = 0
    for r in records:
        if indicator == "caesarean_sections" and r.caesarean_sections is None:
            continue
        events += ind.count(r)
        total += ind.total(r)
    if total == 0:
        return Rate(indicator, events, 0, ind.per, None, None, None, level)
    low, high = wilson_interval(events, total, level)
    return Rate(
        indicator, events, total, ind.per, ind.per * events / total, ind.per * low, ind.per * high, level
    )


def rates(records: Iterable[OutcomeRecord], level: float = 0.95) -> list[Rate]:
    """The bulletin's rates (:data:`RATE_INDICATORS`) over ``records``."""
    kept = list(records)
    return [rate(name, kept, level) for name in RATE_INDICATORS]
