"""Predictor and Updater: move a track to a time, and fold a measurement into it."""

from __future__ import annotations

import math

import numpy as np

from nadhir.tracking import kalman
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track

# A spotter's report arrives late (typing, relaying) and locates the aircraft by a town that may
# be kilometres from it; this much position error is added for each second of typical delay.
REPORT_DELAY_S = 40.0


class Predictor:
    """Constant-velocity prediction with the track's type-mixed process noise."""

    def predict(self, track: Track, t: float) -> None:
        """Move the track's state to time ``t`` (never backwards)."""
        dt = t - track.t
        if dt <= 0:
            return
        track.x, track.p = kalman.predict(track.x, track.p, dt, track.process_noise())
        track.t = t

    def predicted_position(self, track: Track, t: float) -> tuple[kalman.Vector, kalman.Matrix]:
        """Predicted state and covariance at ``t`` without changing the track."""
        dt = t - track.t
        if dt <= 0:
            return track.x, track.p
        return kalman.predict(track.x, track.p, dt, track.process_noise())


def report_sigma(fix: PositionFix, track_speed: float) -> float:
    """Effective 1-sigma error of a sighting for a track moving at ``track_speed``."""
    return math.hypot(fix.sigma_m, 0.5 * track_speed * REPORT_DELAY_S)


class Updater:
    """Kalman/EKF updates for sightings, heading cues and acoustic bearings."""

    def position_innovation(
        self, x: kalman.Vector, p: kalman.Matrix, fix: PositionFix, speed: float
    ) -> tuple[kalman.Vector, kalman.Matrix]:
        """Innovation and its covariance for a sighting against a predicted state."""
        sigma = report_sigma(fix, speed)
        y = np.array([fix.x - x[0], fix.y - x[1]])
        s = p[:2, :2] + np.eye(2) * sigma * sigma
        return y, s

    def update_position(self, track: Track, fix: PositionFix) -> None:
        """Fold a sighting's position (and heading cue) into the track."""
        sigma = report_sigma(fix, track.speed)
        track.x, track.p = kalman.update(
            track.x, track.p, np.array([fix.x, fix.y]), kalman.POSITION_H, np.eye(2) * sigma * sigma
        )
        if fix.heading_rad is not None:
            self.update_heading(track, fix.heading_rad, fix.heading_sigma_rad)

    def update_heading(self, track: Track, heading_rad: float, sigma_rad: float) -> None:
        """A direction-of-travel cue, as a velocity pseudo-measurement along that heading.

        The speed of the pseudo-measurement is the track's own when it is well
        known, otherwise the type's cruise speed; the cue constrains mostly the
        cross-track velocity.
        """
        cruise = PROFILES[track.aircraft].cruise_mps
        speed_sigma = math.sqrt(max(1.0, float(track.p[2, 2] + track.p[3, 3])))
        speed = track.speed if speed_sigma < 0.5 * max(track.speed, 1.0) else cruise
        speed = max(speed, 0.5 * cruise)
        ux, uy = math.sin(heading_rad), math.cos(heading_rad)
        z = np.array([speed * ux, speed * uy])
        along = PROFILES[track.aircraft].speed_sigma_mps
        cross = max(5.0, speed * math.sin(min(sigma_rad, 1.2)))
        rot = np.array([[ux, -uy], [uy, ux]])  # columns: along, cross (east, north components)
        r = rot @ np.diag([along * along, cross * cross]) @ rot.T
        h = np.array([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
        track.x, track.p = kalman.update(track.x, track.p, z, h, r)

    def bearing_innovation(
        self, x: kalman.Vector, p: kalman.Matrix, fix: BearingFix
    ) -> tuple[float, float, kalman.Matrix, float]:
        """(innovation, variance, Jacobian, range) of a bearing against a predicted state.

        The sound heard at ``t`` left the aircraft when it was at
        ``p - v * tau``, where ``tau`` is the time sound takes from there to
        the sensor (see :func:`emission_delay`); a jet at Mach 0.6 moves a
        long way in that time, so the bearing is predicted to that point and
        the Jacobian is taken numerically through the delay.
        """
        state = (float(x[0]) - fix.sx, float(x[1]) - fix.sy, float(x[2]), float(x[3]))
        theta = _heard_bearing(*state)
        h = np.empty((1, 4))
        for i in range(4):
            bumped = list(state)
            step = 1.0 if i < 2 else 0.1
            bumped[i] += step
            h[0, i] = kalman.wrap_pi(_heard_bearing(*bumped) - theta) / step
        innovation = kalman.wrap_pi(fix.bearing_rad - theta)
        variance = float((h @ p @ h.T)[0, 0]) + fix.sigma_rad * fix.sigma_rad
        return innovation, variance, h, math.hypot(state[0], state[1])

    def update_bearing(self, track: Track, fix: BearingFix) -> None:
        """EKF update with one acoustic bearing."""
        innovation, _, h, _ = self.bearing_innovation(track.x, track.p, fix)
        r = np.array([[fix.sigma_rad * fix.sigma_rad]])
        track.x, track.p = kalman.update(
            track.x, track.p, np.zeros(1), h, r, innovation=np.array([innovation])
        )


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


def _heard_bearing(dx: float, dy: float, vx: float, vy: float) -> float:
    """Bearing from the sensor to where the sound now heard was emitted."""
    tau = emission_delay(dx, dy, vx, vy)
    ex, ey = dx - vx * tau, dy - vy * tau
    if ex * ex + ey * ey < 1.0:
        ex, ey = dx, dy
    return math.atan2(ex, ey)
