"""Initiator: start tentative tracks from sightings and from crossing bearings."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from nadhir.tracking.kalman import Vector
from nadhir.tracking.measurements import BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.track import Track
from nadhir.tracking.triangulation import cross_bearings

# Unassociated bearings are kept this long to find a crossing partner from another sensor.
BEARING_MEMORY_S = 20.0
# Beyond this range a crossing is more likely two different sounds than one aircraft.
MAX_CROSSING_RANGE_M = 20_000.0


def _prior_types(likelihood: tuple[float, float, float]) -> Vector:
    probs = np.asarray(likelihood, dtype=np.float64)
    out: Vector = probs / probs.sum()
    return out


@dataclass
class _Pending:
    fix: BearingFix


class Initiator:
    """Creates tentative tracks; a track only becomes confirmed by further evidence."""

    def __init__(self) -> None:
        self._next_id = 1
        self._bearings: deque[BearingFix] = deque()

    def _new_id(self) -> str:
        track_id = f"T{self._next_id}"
        self._next_id += 1
        return track_id

    def from_sighting(self, fix: PositionFix) -> Track:
        """A track at a sighting, moving along its heading cue at the type's cruise speed."""
        probs = _prior_types(fix.type_likelihood)
        kind = TRACK_TYPES[int(np.argmax(probs))]
        prof = PROFILES[kind]
        sigma = max(fix.sigma_m, 1000.0)
        if fix.heading_rad is not None:
            ux, uy = math.sin(fix.heading_rad), math.cos(fix.heading_rad)
            v = np.array([prof.cruise_mps * ux, prof.cruise_mps * uy])
            along = prof.speed_sigma_mps
            cross = prof.cruise_mps * math.sin(min(fix.heading_sigma_rad, 1.2))
            rot = np.array([[ux, -uy], [uy, ux]])
            pv = rot @ np.diag([along * along, cross * cross]) @ rot.T
        else:
            v = np.zeros(2)
            pv = np.eye(2) * prof.cruise_mps**2
        p = np.zeros((4, 4))
        p[:2, :2] = np.eye(2) * sigma * sigma
        p[2:, 2:] = pv
        track = Track(
            id=self._new_id(),
            t=fix.t,
            x=np.array([fix.x, fix.y, v[0], v[1]]),
            p=p,
            type_probs=probs,
            created=fix.t,
            last_update=fix.t,
            count=max(1, fix.count),
            hits=1,
            origin_takeoff=fix.takeoff,
            sighted=True,
        )
        track.add_evidence(fix.source, fix.evidence)
        track.remember()
        return track

    def from_bearing(self, fix: BearingFix) -> Track | None:
        """Try to start a track where this bearing crosses a recent one from another sensor.

        Unmatched bearings are remembered for a short while; the best crossing
        is the one closest to both sensors (sound fades with distance, so near
        crossings are the likely ones).
        """
        while self._bearings and fix.t - self._bearings[0].t > BEARING_MEMORY_S:
            self._bearings.popleft()
        best = None
        best_other = None
        for other in self._bearings:
            if other.source == fix.source:
                continue
            like = np.asarray(fix.type_likelihood) * np.asarray(other.type_likelihood)
            if float(like.max()) < 0.2:
                continue
            crossing = cross_bearings(
                fix.sx,
                fix.sy,
                fix.bearing_rad,
                fix.sigma_rad,
                other.sx,
                other.sy,
                other.bearing_rad,
                other.sigma_rad,
            )
            if crossing is None or max(crossing.range_a, crossing.range_b) > MAX_CROSSING_RANGE_M:
                continue
            if best is None or max(crossing.range_a, crossing.range_b) < max(best.range_a, best.range_b):
                best, best_other = crossing, other
        if best is None or best_other is None:
            self._bearings.append(fix)
            return None
        self._bearings.remove(best_other)
        like = np.asarray(fix.type_likelihood) * np.asarray(best_other.type_likelihood)
        probs = like / like.sum()
        kind = TRACK_TYPES[int(np.argmax(probs))]
        prof = PROFILES[kind]
        sigma = max(best.sigma_m, 500.0)
        p = np.diag([sigma * sigma, sigma * sigma, prof.cruise_mps**2, prof.cruise_mps**2])
        track = Track(
            id=self._new_id(),
            t=fix.t,
            x=np.array([best.x, best.y, 0.0, 0.0]),
            p=p,
            type_probs=probs,
            created=fix.t,
            last_update=fix.t,
            hits=2,
        )
        track.add_evidence(fix.source, fix.evidence)
        track.add_evidence(best_other.source, best_other.evidence)
        track.remember()
        return track
