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
from nadhir.tracking.measurements import Measurement, PositionFix
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Predictor, Updater

POSITION_GATE = 13.8  # chi-square, 2 dof, 99.9 %
BEARING_GATE = 10.8  # chi-square, 1 dof, 99.9 %
HEADING_GATE = 10.8  # chi-square, 1 dof, 99.9 %, on a sighting's heading against the track's course
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
            d2 += self._heading_mismatch2(x, p, m)
            if d2 > POSITION_GATE + HEADING_GATE:
                return None
            return d2 + math.log(float(np.linalg.det(s))) - 2.0 * math.log(agreement)
        innovation, variance, _, rng = self._updater.bearing_innovation(x, p, m)
        audible = max(
            PROFILES[k].audible_m for k, w in zip(TRACK_TYPES, track.type_probs, strict=True) if w > 0.2
        )
        if rng > audible + 2.0 * math.sqrt(max(0.0, float(p[0, 0] + p[1, 1]))):
            return None
        d2 = innovation * innovation / variance
        if d2 > BEARING_GATE:
            return None
        # Nearer tracks are likelier sources of a sound than far ones of the same bearing.
        return d2 + math.log(variance) + 2.0 * math.log(max(rng, 500.0) / 5000.0) - 2.0 * math.log(agreement)

    @staticmethod
    def _heading_mismatch2(x: kalman.Vector, p: kalman.Matrix, m: PositionFix) -> float:
        """Squared normalised difference between a sighting's heading and the track's course."""
        if m.heading_rad is None:
            return 0.0
        speed = math.hypot(float(x[2]), float(x[3]))
        vel_sigma = math.sqrt(max(1e-6, float(p[2, 2] + p[3, 3]) / 2.0))
        if speed < 2.0 * vel_sigma:
            return 0.0  # the track's course is unknown: any heading agrees
        course = math.atan2(float(x[2]), float(x[3]))
        diff = kalman.wrap_pi(m.heading_rad - course)
        variance = m.heading_sigma_rad**2 + (vel_sigma / speed) ** 2
        return diff * diff / variance

    def assign(self, tracks: Sequence[Track], batch: Sequence[Measurement]) -> list[int | None]:
        """For each measurement, the index of its track in ``tracks`` or None.

        Measurements from one source at one instant are distinct aircraft, so
        they are assigned one-to-one (globally, by least total cost); different
        sources may all see the same aircraft, so each source's group is
        assigned on its own. A measurement left over in a group (more sounds
        than tracks, e.g. a close formation flown as one track) joins its best
        gated track.
        """
        out: list[int | None] = [None] * len(batch)
        if not tracks or not batch:
            return out
        groups: dict[str, list[int]] = {}
        for i, m in enumerate(batch):
            groups.setdefault(m.source, []).append(i)
        for members in groups.values():
            costs = np.full((len(members), len(tracks)), _IMPOSSIBLE)
            for row, i in enumerate(members):
                for j, track in enumerate(tracks):
                    c = self.cost(track, batch[i])
                    if c is not None:
                        costs[row, j] = c
            if len(members) > 1:
                rows, cols = linear_sum_assignment(costs)
                for row, j in zip(rows, cols, strict=True):
                    if costs[row, j] < _IMPOSSIBLE:
                        out[members[int(row)]] = int(j)
            for row, i in enumerate(members):
                if out[i] is None:
                    j = int(np.argmin(costs[row]))
                    if costs[row, j] < _IMPOSSIBLE:
                        out[i] = j
        return out
