"""Associator: which measurement belongs to which track.

Each measurement is scored against each live track by the negative log
likelihood of its innovation, plus a penalty when the measurement's aircraft
type disagrees with the track's. Pairs outside the gate are impossible.
A batch of simultaneous measurements is then assigned globally with
``scipy.optimize.linear_sum_assignment``, so that two aircraft flying close
together each keep their own measurements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from nadhir.tracking import kalman
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Predictor, Updater

POSITION_GATE = 13.8  # chi-square, 2 dof, 99.9 %
BEARING_GATE = 10.8  # chi-square, 1 dof, 99.9 %
MIN_TYPE_AGREEMENT = 0.15
_IMPOSSIBLE = 1e9


class Associator:
    """Gating and global nearest-neighbour assignment."""

    def __init__(self, predictor: Predictor, updater: Updater) -> None:
        self._predictor = predictor
        self._updater = updater

    def cost(self, track: Track, m: Measurement) -> float | None:
        """Association cost of a measurement to a track, or None outside the gate."""
        agreement = float(np.dot(track.type_probs, m.type_likelihood)) / max(m.type_likelihood)
        if agreement < MIN_TYPE_AGREEMENT:
            return None
        x, p = self._predictor.predicted_position(track, m.t)
        if isinstance(m, PositionFix):
            y, s = self._updater.position_innovation(x, p, m, track.speed)
            d2 = kalman.mahalanobis2(y, s)
            if d2 > POSITION_GATE:
                return None
            return d2 + math.log(float(np.linalg.det(s))) - 2.0 * math.log(agreement)
        innovation, variance, _, rng = self._updater.bearing_innovation(x, p, m)
        audible = max(PROFILES[k].audible_m for k, w in zip(TRACK_TYPES, track.type_probs, strict=True)
                      if w > 0.2)
        if rng > audible + 2.0 * math.sqrt(max(0.0, float(p[0, 0] + p[1, 1]))):
            return None
        d2 = innovation * innovation / variance
        if d2 > BEARING_GATE:
            return None
        # Nearer tracks are likelier sources of a sound than far ones of the same bearing.
        return d2 + math.log(variance) + 2.0 * math.log(max(rng, 500.0) / 5000.0) - 2.0 * math.log(agreement)

    def assign(self, tracks: Sequence[Track], batch: Sequence[Measurement]) -> list[int | None]:
        """For each measurement, the index of its track in ``tracks`` or None."""
        if not tracks or not batch:
            return [None] * len(batch)
        costs = np.full((len(batch), len(tracks)), _IMPOSSIBLE)
        for i, m in enumerate(batch):
            for j, track in enumerate(tracks):
                c = self.cost(track, m)
                if c is not None:
                    costs[i, j] = c
        out: list[int | None] = [None] * len(batch)
        if len(batch) == 1:
            j = int(np.argmin(costs[0]))
            if costs[0, j] < _IMPOSSIBLE:
                out[0] = j
            return out
        rows, cols = linear_sum_assignment(costs)
        for i, j in zip(rows, cols, strict=True):
            if costs[i, j] < _IMPOSSIBLE:
                out[int(i)] = int(j)
        # Several bearings of one sensor at one instant may all be the same formation: a measurement
        # the assignment left out may still join its best gated track.
        for i in range(len(batch)):
            if out[i] is None and isinstance(batch[i], BearingFix):
                j = int(np.argmin(costs[i]))
                if costs[i, j] < _IMPOSSIBLE:
                    out[i] = j
        return out
