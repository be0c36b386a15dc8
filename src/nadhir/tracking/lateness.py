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

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import cast

from nadhir.domain import AircraftType
from nadhir.tracking.motion import TRACK_TYPES

# Points per bin when the prior's moments are taken from its quantiles (a few thousand in all:
# enough for the bins' means and spreads to a fraction of a second).
_POINTS_PER_BIN = 500


@dataclass(frozen=True, slots=True)
class LatenessPrior:
    """Hypotheses on a report's lateness: each bin's mean (s), spread within it (s) and weight."""

    means_s: tuple[float, ...]
    sigmas_s: tuple[float, ...]
    weights: tuple[float, ...]
    # The reported aircraft the prior is for (a sighting whose word names one of them); None: every
    # sighting. Observatories relay jets later than drones (a jet heard is reported once it has gone
    # over), so the prior may be for jets alone.
    kinds: frozenset[AircraftType] | None = None

    def __post_init__(self) -> None:
        if not self.means_s or not len(self.means_s) == len(self.sigmas_s) == len(self.weights):
            raise ValueError("a lateness prior needs one mean, spread and weight per hypothesis")
        if min(self.means_s) < 0.0 or min(self.sigmas_s) < 0.0 or min(self.weights) <= 0.0:
            raise ValueError("lateness means and spreads are >= 0, weights > 0")
        if abs(sum(self.weights) - 1.0) > 1e-9:
            raise ValueError("the hypotheses' weights sum to 1")
        if self.kinds is not None and (not self.kinds or not self.kinds <= set(TRACK_TYPES)):
            raise ValueError(f"a lateness prior's aircraft are some of {', '.join(TRACK_TYPES)}")

    def applies_to(self, type_likelihood: tuple[float, float, float]) -> bool:
        """Whether a sighting with this type likelihood takes the prior: with ``kinds``, only a
        sighting whose report named one of them (its likelihood's clear favourite, not a report
        that named no aircraft)."""
        if self.kinds is None:
            return True
        best = max(range(len(TRACK_TYPES)), key=lambda i: type_likelihood[i])
        return type_likelihood[best] > 0.5 and TRACK_TYPES[best] in self.kinds

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
        """``half-normal:SCALE_S:BINS`` or ``exponential:MEAN_S:BINS``, as a setting gives it, with
        an optional ``:TYPES`` (comma-separated aircraft: the sightings reported as those only)."""
        kind, value, bins, *rest = spec.split(":")
        if len(rest) > 1:
            raise ValueError("a lateness prior is KIND:VALUE:BINS[:TYPES]")
        if kind == "half-normal":
            prior = cls.half_normal(float(value), int(bins))
        elif kind == "exponential":
            prior = cls.exponential(float(value), int(bins))
        else:
            raise ValueError(f"unknown lateness prior {kind!r}: half-normal or exponential")
        if not rest:
            return prior
        kinds = frozenset(k.strip() for k in rest[0].split(",") if k.strip())
        # (checked in __post_init__, which replace runs again)
        return dataclasses.replace(prior, kinds=cast("frozenset[AircraftType]", kinds))

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
