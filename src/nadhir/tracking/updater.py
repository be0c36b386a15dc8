"""Predictor and Updater: move a track to a time, and fold measurements into it.

Measurement models:

* **Sighting** (a spotter's report, located by coordinates, a town or an
  area): the report arrives late (seeing, typing, relaying), so it locates
  the aircraft where it was ``delta`` seconds ago, ``p - delta * v``. The
  mean delay is folded into the measurement matrix ``H = [I, -delta I]``;
  its spread adds ``sigma_delta^2 v v'`` along the track to the
  spotter's own error, whose size depends on how the place was given.
  A report of a formation locates the formation, not each aircraft: each
  member's estimate gets the formation's spread on top.
* **Heading cue**: a velocity pseudo-measurement along the reported
  direction (eight compass points at best), constraining mostly the
  cross-track velocity.
* **Acoustic bearing**: the bearing to where the sound now heard was
  emitted, with the exact travel delay (see :func:`nadhir.tracking.imm.heard_bearing`);
  simultaneous bearings of one track are fused in one iterated update.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nadhir.tracking import imm, kalman
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track

# A spotter's report reaches us about a minute after the sighting (typing, relaying through a
# channel), give or take most of a minute: the aircraft has moved on by ``delay * speed``.
REPORT_DELAY_S = 60.0
REPORT_DELAY_SIGMA_S = 45.0
# Aircraft of a formation fly up to a few kilometres apart; one report places them all.
FORMATION_SPREAD_M = 1500.0
# A heading cue's speed is unknown; keep it between these fractions of the type's cruise speed.
_POSITION_H = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
_VELOCITY_H = np.array([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])


def delayed_h(delay_s: float) -> kalman.Matrix:
    """Measurement matrix of a position reported ``delay_s`` seconds late: ``p - delay * v``."""
    return np.array([[1.0, 0.0, -delay_s, 0.0], [0.0, 1.0, 0.0, -delay_s]])


_REPORT_H = delayed_h(REPORT_DELAY_S)


def sighting_noise(fix: PositionFix, vx: float, vy: float, members: int = 1) -> kalman.Matrix:
    """2x2 covariance of a sighting for an aircraft flying at (vx, vy): spotter error plus delay spread."""
    var = fix.sigma_m * fix.sigma_m
    if members > 1 or fix.count > 1:
        var += FORMATION_SPREAD_M * FORMATION_SPREAD_M
    d2 = REPORT_DELAY_SIGMA_S * REPORT_DELAY_SIGMA_S
    return np.array([[var + d2 * vx * vx, d2 * vx * vy], [d2 * vx * vy, var + d2 * vy * vy]])


def report_sigma(fix: PositionFix, track_speed: float) -> float:
    """Effective 1-sigma error of a sighting for a track moving at ``track_speed`` (for display)."""
    return math.hypot(fix.sigma_m, REPORT_DELAY_SIGMA_S * track_speed / math.sqrt(2.0))


class Predictor:
    """IMM prediction with the track's type-dependent models."""

    def predict(self, track: Track, t: float) -> None:
        """Move the track's state to time ``t`` (never backwards)."""
        dt = t - track.t
        if dt <= 0:
            return
        mu, xs, ps = imm.predict(track.mu, track.xs, track.ps, dt, track.profile)
        track.set_models(mu, xs, ps)
        track.t = t

    def predicted_position(self, track: Track, t: float) -> tuple[kalman.Vector, kalman.Matrix]:
        """Predicted combined state and covariance at ``t`` without changing the track."""
        dt = t - track.t
        if dt <= 0:
            return track.x, track.p
        mu, xs, ps = imm.predict(track.mu, track.xs, track.ps, dt, track.profile)
        return imm.combine(mu, xs, ps)


class Updater:
    """IMM updates for sightings, heading cues and acoustic bearings."""

    def position_innovation(
        self, x: kalman.Vector, p: kalman.Matrix, fix: PositionFix, members: int = 1
    ) -> tuple[kalman.Vector, kalman.Matrix]:
        """Innovation and its covariance for a sighting against a (combined) predicted state."""
        y = np.array([fix.x, fix.y]) - _REPORT_H @ x
        s = _REPORT_H @ p @ _REPORT_H.T + sighting_noise(fix, float(x[2]), float(x[3]), members)
        return y, s

    def update_position(self, track: Track, fix: PositionFix, members: int = 1) -> None:
        """Fold a sighting's position (and heading cue) into the track."""
        z = np.array([fix.x, fix.y])
        y = z[None, :] - track.xs @ _REPORT_H.T
        r = np.stack([sighting_noise(fix, float(v[0]), float(v[1]), members) for v in track.xs[:, 2:]])
        h = np.broadcast_to(_REPORT_H, (imm.N_MODELS, 2, 4))
        mu, xs, ps, _ = imm.update_linear(track.mu, track.xs, track.ps, y, h, r)
        track.set_models(mu, xs, ps)
        if fix.heading_rad is not None:
            self.update_heading(track, fix.heading_rad, fix.heading_sigma_rad)

    def update_heading(self, track: Track, heading_rad: float, sigma_rad: float) -> None:
        """A direction-of-travel cue, as a velocity pseudo-measurement along that heading.

        The speed of the pseudo-measurement is the track's own when it is well
        known, otherwise the type's cruise speed; the cue constrains mostly the
        cross-track velocity.
        """
        prof = PROFILES[track.aircraft]
        speed_sigma = math.sqrt(max(1.0, float(track.p[2, 2] + track.p[3, 3])))
        speed = track.speed if speed_sigma < 0.5 * max(track.speed, 1.0) else prof.cruise_mps
        speed = max(speed, 0.5 * prof.cruise_mps)
        ux, uy = math.sin(heading_rad), math.cos(heading_rad)
        z = np.array([speed * ux, speed * uy])
        along = max(prof.speed_sigma_mps, 0.5 * speed_sigma)
        cross = max(5.0, speed * math.sin(min(sigma_rad, 1.2)))
        rot = np.array([[ux, -uy], [uy, ux]])  # columns: along, cross (east, north components)
        r = rot @ np.diag([along * along, cross * cross]) @ rot.T
        y = z[None, :] - track.xs[:, 2:]
        h = np.broadcast_to(_VELOCITY_H, (imm.N_MODELS, 2, 4))
        mu, xs, ps, _ = imm.update_linear(track.mu, track.xs, track.ps, y, h, r)
        track.set_models(mu, xs, ps)

    def update_bearings(self, track: Track, fixes: Sequence[BearingFix]) -> None:
        """Joint iterated-EKF update with the simultaneous bearings assigned to this track."""
        sensors = np.array([(f.sx, f.sy) for f in fixes])
        bearings = np.array([f.bearing_rad for f in fixes])
        variances = np.array([f.sigma_rad * f.sigma_rad for f in fixes])
        prof = track.profile
        mu, xs, ps, _ = imm.update_bearings(
            track.mu, track.xs, track.ps, sensors, bearings, variances, prof.altitude_m, prof.altitude_sigma_m
        )
        track.set_models(mu, xs, ps)

    def update_bearing(self, track: Track, fix: BearingFix) -> None:
        """EKF update with one acoustic bearing."""
        self.update_bearings(track, [fix])


def emission_delay(dx: float, dy: float, vx: float, vy: float) -> float:
    """Seconds since the sound now heard left an aircraft at offset (dx, dy) moving at (vx, vy).

    Solves ``|d - v tau| = c tau`` for the positive root (subsonic flight).
    """
    c2 = SPEED_OF_SOUND_MPS * SPEED_OF_SOUND_MPS
    a = c2 - (vx * vx + vy * vy)
    if a <= 1.0:
        return math.hypot(dx, dy) / SPEED_OF_SOUND_MPS
    b = dx * vx + dy * vy
    return (-b + math.sqrt(b * b + a * (dx * dx + dy * dy))) / a
