"""Single-model Kalman filter pieces in the local east-north frame.

State ``x = [east, north, v_east, v_north]`` (metres, m/s). The tracker's
filter is the IMM of :mod:`nadhir.tracking.imm`, written out by hand and
batched across tracks rather than taken from a library (a general-purpose
filter object costs more in call overhead than the arithmetic itself; see
``benchmarks/tracking_vs_stonesoup.py``). This module keeps the plain
constant-velocity filter and the small helpers (Mahalanobis distance, angle
wrapping) the rest of the tracker shares.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]
Matrix = NDArray[np.float64]


def transition(dt: float) -> Matrix:
    """The constant-velocity transition matrix for a step of ``dt`` seconds."""
    return np.array([[1.0, 0.0, dt, 0.0], [0.0, 1.0, 0.0, dt], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])


def process_noise(dt: float, q: float) -> Matrix:
    """Discretised white-noise-acceleration covariance for spectral density ``q``."""
    dt2, dt3 = dt * dt, dt * dt * dt
    a, b, c = q * dt3 / 3.0, q * dt2 / 2.0, q * dt
    return np.array([[a, 0.0, b, 0.0], [0.0, a, 0.0, b], [b, 0.0, c, 0.0], [0.0, b, 0.0, c]])


def predict(x: Vector, p: Matrix, dt: float, q: float) -> tuple[Vector, Matrix]:
    """Propagate mean and covariance ``dt`` seconds ahead."""
    if dt <= 0.0:
        return x, p
    f = transition(dt)
    return f @ x, f @ p @ f.T + process_noise(dt, q)


def update(
    x: Vector, p: Matrix, z: Vector, h: Matrix, r: Matrix, innovation: Vector | None = None
) -> tuple[Vector, Matrix]:
    """Kalman update (Joseph form, which keeps the covariance symmetric and positive)."""
    y = z - h @ x if innovation is None else innovation
    s = h @ p @ h.T + r
    k = p @ h.T @ np.linalg.inv(s)
    i_kh = np.eye(4) - k @ h
    return x + k @ y, i_kh @ p @ i_kh.T + k @ r @ k.T


def mahalanobis2(innovation: Vector, s: Matrix) -> float:
    """Squared Mahalanobis distance of an innovation with covariance ``s``."""
    return float(innovation @ np.linalg.solve(s, innovation))


POSITION_H: Matrix = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])


def bearing_jacobian(dx: float, dy: float) -> tuple[float, Matrix]:
    """Bearing (radians, clockwise from north) of offset (dx, dy) and its 1x4 Jacobian."""
    r2 = dx * dx + dy * dy
    theta = math.atan2(dx, dy)
    h = np.array([[dy / r2, -dx / r2, 0.0, 0.0]])
    return theta, h
