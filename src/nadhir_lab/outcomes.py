"""Generated weekly outcome series of maternity facilities, with planted rises (issue 19's benchmark).

Each facility has a delivery volume of 30-250 births a week (with a yearly season of +-10 %, a
slow drift and Poisson noise), a stillbirth risk of 1-4 % of total births that wanders a little
from week to week (a gamma factor, so counts are overdispersed as real ones are), and, if it is
given one, a rise: the stillbirth risk times 1.5-2.5 for 4-10 weeks. The other indicators of the
CSV (miscarriages, preterm births, low birth weight, neonatal and maternal deaths) follow usual
shares of births so that the files read like a facility's. Same seed, same series.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nadhir.health.outcomes import REQUIRED_COUNTS

# The columns of the CSV that `nadhir outcomes detect` reads, the counts in the product's order.
CSV_COLUMNS = ("facility_id", "period_start", *REQUIRED_COUNTS)
BIRTHS_RANGE = (30.0, 250.0)
STILLBIRTH_RISK_RANGE = (0.01, 0.04)
RISE_FACTOR_RANGE = (1.5, 2.5)
RISE_WEEKS_RANGE = (4, 10)
SEASON_AMPLITUDE = 0.10
DRIFT_SD = 0.01  # per week, on the log of the delivery volume
RISK_SHAPE = 60.0  # the weekly gamma factor on the risk: coefficient of variation 1/sqrt(60) ~ 13 %
FIRST_MONDAY = date(2021, 1, 4)  # ISO week 2021-W01

Ints = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Rise:
    """A planted rise in the stillbirth risk: weeks ``start .. start + weeks - 1``, times ``factor``."""

    start: int
    weeks: int
    factor: float


@dataclass(frozen=True, slots=True)
class FacilitySeries:
    """One facility's weekly counts (all arrays the same length) and its planted rise, if any."""

    facility_id: str
    first_week: date
    live_births: Ints
    stillbirths_fresh: Ints
    stillbirths_macerated: Ints
    miscarriages: Ints
    preterm_births: Ints
    low_birth_weight: Ints
    neonatal_deaths: Ints
    maternal_deaths: Ints
    rise: Rise | None

    @property
    def stillbirths(self) -> Ints:
        """Fresh plus macerated."""
        return self.stillbirths_fresh + self.stillbirths_macerated

    @property
    def total_births(self) -> Ints:
        """Live births plus stillbirths: the stillbirth rate's denominator."""
        return self.live_births + self.stillbirths

    def week_start(self, index: int) -> date:
        """The Monday that starts week ``index``."""
        return self.first_week + timedelta(weeks=index)


def facility(
    rng: np.random.Generator,
    facility_id: str,
    weeks: int,
    *,
    rise: Rise | None = None,
    first_week: date = FIRST_MONDAY,
    risk_drift: float = 0.0,
) -> FacilitySeries:
    """One facility's series; ``rise`` plants a rise in its stillbirth risk.

    ``risk_drift``: the weekly sd of a random walk on the log of the risk (clipped to x0.6-x1.6),
    for facilities whose case mix changes over the years (0: a steady risk).
    """
    volume = rng.uniform(*BIRTHS_RANGE)
    risk = rng.uniform(*STILLBIRTH_RISK_RANGE)
    t = np.arange(weeks)
    phase = rng.uniform(0, 2 * math.pi)
    season = 1.0 + SEASON_AMPLITUDE * np.sin(2 * math.pi * t / 52.0 + phase)
    drift = np.exp(np.clip(np.cumsum(rng.normal(0.0, DRIFT_SD, weeks)), -0.4, 0.4))
    total = rng.poisson(volume * season * drift).astype(np.int64)
    weekly_risk = risk * rng.gamma(RISK_SHAPE, 1.0 / RISK_SHAPE, weeks)
    if risk_drift > 0:
        walk = np.cumsum(rng.normal(0.0, risk_drift, weeks))
        weekly_risk *= np.exp(np.clip(walk, math.log(0.6), math.log(1.6)))
    if rise is not None:
        weekly_risk[rise.start : rise.start + rise.weeks] *= rise.factor
    stillbirths = rng.binomial(total, np.minimum(weekly_risk, 0.5))
    fresh = rng.binomial(stillbirths, 0.55)
    live = total - stillbirths
    return FacilitySeries(
        facility_id=facility_id,
        first_week=first_week,
        live_births=live,
        stillbirths_fresh=fresh,
        stillbirths_macerated=stillbirths - fresh,
        miscarriages=rng.poisson(0.12 * total),
        preterm_births=rng.binomial(live, 0.11),
        low_birth_weight=rng.binomial(live, 0.13),
        neonatal_deaths=rng.binomial(live, 0.018),
        maternal_deaths=rng.poisson(0.0025 * live),
        rise=rise,
    )


def random_rise(rng: np.random.Generator, weeks: int, *, earliest: int) -> Rise:
    """A rise of 4-10 weeks, x1.5-x2.5, starting at ``earliest`` or later and ending in the series."""
    length = int(rng.integers(RISE_WEEKS_RANGE[0], RISE_WEEKS_RANGE[1] + 1))
    latest = weeks - length
    if latest < earliest:
        raise ValueError(f"a {weeks}-week series has no room for a rise after week {earliest}")
    start = int(rng.integers(earliest, latest + 1))
    return Rise(start, length, float(rng.uniform(*RISE_FACTOR_RANGE)))


def facilities(
    seed: int,
    count: int,
    weeks: int,
    *,
    rise_share: float = 0.5,
    earliest_rise: int = 52,
    risk_drift: float = 0.0,
) -> list[FacilitySeries]:
    """``count`` facilities, the first ``rise_share`` of them with one planted rise each."""
    rng = np.random.default_rng(seed)
    with_rise = round(count * rise_share)
    out = []
    for i in range(count):
        rise = random_rise(rng, weeks, earliest=earliest_rise) if i < with_rise else None
        out.append(facility(rng, f"F{seed:04d}-{i:03d}", weeks, rise=rise, risk_drift=risk_drift))
    return out


def csv_rows(series: Iterable[FacilitySeries]) -> Iterable[list[str]]:
    """The rows (without header) of ``nadhir outcomes detect``'s CSV for these facilities."""
    for s in series:
        columns: Sequence[Ints] = [getattr(s, name) for name in REQUIRED_COUNTS]
        for i in range(s.live_births.size):
            yield [s.facility_id, s.week_start(i).isoformat(), *(str(int(c[i])) for c in columns)]


def write_csv(series: Iterable[FacilitySeries], path: Path) -> None:
    """Write the facilities' weekly rows, header first."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(series))
