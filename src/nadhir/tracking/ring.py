"""A known speed with an unknown direction: the ring prior of a type whose speed is bounded below.

A jet flies at its type's speed whatever its course: its velocity lies on a
ring, ``|v| ~ N(cruise, speed_sigma^2)``. A track carries a Gaussian instead,
and wherever its direction is vague the Gaussian is a poor stand-in for the
ring: a track started without a heading (:mod:`nadhir.tracking.initiator`:
zero mean, ``cruise^2`` per axis), or one whose IMM models have spread round
an arc while it coasted through a turn (their moment-matched mean is shorter
than any of them), gives most weight to slow velocities, and every later
estimate of a vaguely known course is pulled toward zero: a sighted jet's
track flies at a third to two thirds of its speed (docs/benchmarks.md,
issue 17, "Tenth session").

The ring is folded in as a pseudo-measurement of the speed, linearised along
the track's direction (an EKF update of ``|v|``, ``H = [0, 0, u']``, noise
``speed_sigma^2``), to every IMM model, whenever two things hold:

* the track knows its speed less well than its type does (variance along its
  course above ``speed_sigma^2``). This bounds the double counting of a prior
  applied more than once: the ring never leaves the speed surer than the
  type's spread over root two;
* its direction is known well enough to linearise ``|v|`` about it
  (``direction_sigma_rad``); near ``v = 0``, where a track starts, it cannot be.

Only types whose speed is bounded below get it (a jet cannot hover; a
helicopter can).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nadhir.domain import AircraftType
from nadhir.tracking import imm
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.track import Track


@dataclass(frozen=True, slots=True)
class RingPrior:
    """Which types get the ring, how well a track's direction must be known to take it, and how
    sure its type must be (0.5: as sure as ``Track.profile`` asks before it uses the type's)."""

    types: tuple[AircraftType, ...] = ("jet",)
    direction_sigma_rad: float = math.radians(90.0)
    type_sure: float = 0.5

    def __post_init__(self) -> None:
        if not self.types or any(t not in TRACK_TYPES for t in self.types):
            raise ValueError(f"ring types are some of {TRACK_TYPES}")
        if not 0.0 < self.direction_sigma_rad <= math.pi:
            raise ValueError("the direction's spread is in (0, pi] rad")
        if not 0.0 <= self.type_sure <= 1.0:
            raise ValueError("the type's probability is in [0, 1]")

    @classmethod
    def parse(cls, spec: str) -> RingPrior:
        """``TYPES:SIGMA_DEG[:SURE]`` as a setting gives it, e.g. ``jet:90`` or ``jet+drone:45:0.8``."""
        types, sigma_deg, *sure = spec.split(":")
        names: list[AircraftType] = []
        for name in types.split("+"):
            match = [t for t in TRACK_TYPES if t == name]
            if not match:
                raise ValueError(f"unknown aircraft type {name!r} in ring prior {spec!r}")
            names.append(match[0])
        return cls(tuple(names), math.radians(float(sigma_deg)), float(sure[0]) if sure else 0.5)

    def apply(self, track: Track) -> bool:
        """Fold the type's speed into the track if it is a ring type, vague in speed and not in
        direction (see the module's docstring); True if it did."""
        best = int(np.argmax(track.type_probs))
        if track.type_probs[best] < self.type_sure or TRACK_TYPES[best] not in self.types:
            return False
        prof = PROFILES[TRACK_TYPES[best]]
        vx, vy = float(track.x[2]), float(track.x[3])
        speed = math.hypot(vx, vy)
        if speed < 1.0:
            return False
        ux, uy = vx / speed, vy / speed
        p = track.p
        along2 = ux * ux * p[2, 2] + 2.0 * ux * uy * p[2, 3] + uy * uy * p[3, 3]
        if along2 <= prof.speed_sigma_mps**2:
            return False
        cross2 = uy * uy * p[2, 2] - 2.0 * ux * uy * p[2, 3] + ux * ux * p[3, 3]
        if math.sqrt(max(0.0, float(cross2))) > self.direction_sigma_rad * speed:
            return False
        # Linearised at the combined estimate's direction, shared by the models: each model's
        # innovation is the cruise speed less its own velocity along that direction.
        h = np.array([[[0.0, 0.0, ux, uy]]])  # (1, 1, 4): one row, every model
        y = (prof.cruise_mps - track.xs[:, 2:] @ np.array([ux, uy]))[:, None]  # (M, 1)
        r = np.array([[prof.speed_sigma_mps**2]])
        mu, xs, ps, _ = imm.update_linear(track.mu, track.xs, track.ps, y, h, r)
        track.set_models(mu, xs, ps)
        return True
