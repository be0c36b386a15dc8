"""Where acoustic bearings cross: two rays at a point, or many at a point flying a known velocity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

# Rays crossing at less than this angle give a fix stretched too far along them to be useful.
MIN_CROSSING_RAD = math.radians(12.0)


@dataclass(frozen=True, slots=True)
class Crossing:
    """The crossing point of two bearings, its distance from each sensor and its uncertainty."""

    x: float
    y: float
    range_a: float
    range_b: float
    sigma_m: float


def cross_bearings(
    ax: float,
    ay: float,
    bearing_a: float,
    sigma_a: float,
    bx: float,
    by: float,
    bearing_b: float,
    sigma_b: float,
) -> Crossing | None:
    """Intersect two bearing rays (radians clockwise from north) from sensors A and B.

    Returns None when the rays are near-parallel or cross behind either
    sensor. The uncertainty grows with range and with how shallow the
    crossing is: each ray's lateral error ``range * sigma`` is spread over
    ``1 / sin(crossing angle)``.
    """
    ua = (math.sin(bearing_a), math.cos(bearing_a))
    ub = (math.sin(bearing_b), math.cos(bearing_b))
    det = ua[0] * (-ub[1]) - ua[1] * (-ub[0])
    crossing = abs(math.asin(max(-1.0, min(1.0, det))))
    if crossing < MIN_CROSSING_RAD:
        return None
    # Solve A + s*ua = B + u*ub for s, u.
    rx, ry = bx - ax, by - ay
    s = (rx * (-ub[1]) - ry * (-ub[0])) / det
    u = (ua[0] * ry - ua[1] * rx) / det
    if s <= 0 or u <= 0:
        return None
    lateral = math.hypot(s * sigma_a, u * sigma_b)
    return Crossing(ax + s * ua[0], ay + s * ua[1], s, u, lateral / math.sin(crossing))


@dataclass(frozen=True, slots=True)
class RayFit:
    """A point fitted to several rays: where it is, and the inverse of the fit's normal matrix
    (row-major 2 x 2), its covariance when each weighted miss has unit variance."""

    x: float
    y: float
    inverse: tuple[float, float, float, float]


def moving_point_on_rays(
    sx: float | Floats,
    sy: float | Floats,
    cos_t: Floats,
    sin_t: Floats,
    weights: Floats,
    vx: float,
    vy: float,
    dt: Floats,
    min_det: float,
    min_det_share: float = 0.0,
) -> RayFit | None:
    """Where an aircraft flying ``(vx, vy)`` was at time 0, from rays each heard ``dt`` earlier
    or later: the weighted least-squares ``p0`` that puts ``p0 + v dt_i`` on ray ``i`` (from
    ``(sx_i, sy_i)`` at bearing ``theta_i``, given as its cosine and sine; one node's or many).

    Ray i: ``(p - s) x u_i = 0``, i.e. ``px cos - py sin = sx cos - sy sin`` with ``p = p0 + v
    dt_i``, each row weighed by ``weights[i]``. None when the normal equations are singular:
    their determinant at most ``min_det``, or at most ``min_det_share`` of its scale (rays too
    near parallel), else the point and its covariance over unit-weight misses (the inverse of the
    normal matrix). The lone node's sweep and the along-course fix both solve this."""
    b = (sx - vx * dt) * cos_t - (sy - vy * dt) * sin_t
    a0, a1 = cos_t * weights, -sin_t * weights
    m00, m01, m11 = float(a0 @ a0), float(a0 @ a1), float(a1 @ a1)
    r0, r1 = float(a0 @ (b * weights)), float(a1 @ (b * weights))
    det = m00 * m11 - m01 * m01
    if det <= max(min_det, min_det_share * m00 * m11):
        return None
    inverse = (m11 / det, -m01 / det, -m01 / det, m00 / det)
    return RayFit((m11 * r0 - m01 * r1) / det, (m00 * r1 - m01 * r0) / det, inverse)
