"""Where two acoustic bearings cross."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
