"""A spotter's unknown lateness, as a one-sided prior split into a few hypotheses.

A spotter's report places the aircraft where it was some time ``tau``
before the report arrived (seeing, typing, relaying): ``tau >= 0`` and
unknown. A Gaussian in ``tau`` centred on zero (the default sighting model,
:mod:`nadhir.tracking.measurements`) gives as much weight to a report that
is early as to one that is late, so a late report of a fast jet pulls its
track back, and slows it. Here ``tau`` has a one-sided prior (half-normal or
exponential), cut into ``n`` bins of equal probability; each bin is a
hypothesis with the bin's mean lateness and, within it, the bin's own spread.
The updater weighs the hypotheses by how well each explains the report and
collapses them again (see :meth:`nadhir.tracking.updater.Updater.update_positions`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

# Points per bin when the prior's moments are taken from its quantiles (a few thousand in all:
# enough for the bins' means and spreads to a fraction of a second).
_POINTS_PER_BIN = 500


@dataclass(frozen=True, slots=True)
class LatenessPrior:
    """Hypotheses on a report's lateness: each bin's mean (s), spread within it (s) and weight."""

    means_s: tuple[float, ...]
    sigmas_s: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.means_s or not len(self.means_s) == len(self.sigmas_s) == len(self.weights):
            raise ValueError("a lateness prior needs one mean, spread and weight per hypothesis")
        if min(self.means_s) < 0.0 or min(self.sigmas_s) < 0.0 or min(self.weights) <= 0.0:
            raise ValueError("lateness means and spreads are >= 0, weights > 0")
        if abs(sum(self.weights) - 1.0) > 1e-9:
            raise ValueError("the hypotheses' weights sum to 1")

    @classmethod
    def half_normal(cls, scale_s: float, bins: int) -> LatenessPrior:
        """``|N(0, scale^2)|``: most reports prompt, fewer the later (mean ``0.80 scale``)."""
        unit = NormalDist()
        return cls._binned(lambda u: scale_s * unit.inv_cdf(0.5 + 0.5 * u), bins)

    @classmethod
    def exponential(cls, mean_s: float, bins: int) -> LatenessPrior:
        """Exponential lateness of the given mean: a long tail of reports relayed late."""
        return cls._binned(lambda u: -mean_s * math.log1p(-u), bins)

    @classmethod
    def parse(cls, spec: str) -> LatenessPrior:
        """``half-normal:SCALE_S:BINS`` or ``exponential:MEAN_S:BINS``, as a setting gives it."""
        kind, value, bins = spec.split(":")
        if kind == "half-normal":
            return cls.half_normal(float(value), int(bins))
        if kind == "exponential":
            return cls.exponential(float(value), int(bins))
        raise ValueError(f"unknown lateness prior {kind!r}: half-normal or exponential")

    @classmethod
    def _binned(cls, quantile: Callable[[float], float], bins: int) -> LatenessPrior:
        if bins < 1:
            raise ValueError("at least one hypothesis")
        n = bins * _POINTS_PER_BIN
        points = [quantile((j + 0.5) / n) for j in range(n)]
        means, sigmas = [], []
        for b in range(bins):
            chunk = points[b * _POINTS_PER_BIN : (b + 1) * _POINTS_PER_BIN]
            m = sum(chunk) / len(chunk)
            means.append(m)
            sigmas.append(math.sqrt(max(0.0, sum((p - m) ** 2 for p in chunk) / len(chunk))))
        return cls(tuple(means), tuple(sigmas), tuple([1.0 / bins] * bins))

    @property
    def mean_s(self) -> float:
        """The prior's mean lateness."""
        return sum(w * m for w, m in zip(self.weights, self.means_s, strict=True))

    @property
    def sigma_s(self) -> float:
        """The prior's spread (its standard deviation)."""
        second = sum(
            w * (s * s + m * m) for w, m, s in zip(self.weights, self.means_s, self.sigmas_s, strict=True)
        )
        return math.sqrt(max(0.0, second - self.mean_s**2))
