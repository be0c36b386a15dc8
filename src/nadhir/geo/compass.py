"""Angles and compass points: the one wrap of each kind and the one compass the system speaks.

Every direction word a person reads (an SMS, a CAP message, the kiosk, the console) comes from
:func:`compass_point`, so they can never disagree about the same bearing.
"""

from __future__ import annotations

import math
from typing import TypeVar, overload

import numpy as np
from numpy.typing import NDArray

COMPASS_POINTS: tuple[str, ...] = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
COMPASS_DEG: dict[str, float] = {p: 45.0 * i for i, p in enumerate(COMPASS_POINTS)}

_TWO_PI = 2.0 * math.pi

_A = TypeVar("_A", float, NDArray[np.float64])


def compass_to_deg(point: str) -> float | None:
    """Degrees for a compass point such as ``NE`` (case-insensitive); None if unknown."""
    return COMPASS_DEG.get(point.strip().upper())


def wrap_deg(deg: float) -> float:
    """A bearing in degrees brought into [0, 360).

    ``deg % 360`` alone is not enough: a tiny negative angle (``-1e-20 % 360``) rounds to 360.0,
    which is not a bearing; it is north, 0.
    """
    r = deg % 360.0
    return 0.0 if r >= 360.0 else r


@overload
def wrap_pi(angle: float) -> float: ...
@overload
def wrap_pi(angle: NDArray[np.float64]) -> NDArray[np.float64]: ...
def wrap_pi(angle: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """An angle in radians (or an array of them) wrapped into [-pi, pi): the signed difference
    form the filters use for bearing innovations and turns."""
    return (angle + math.pi) % _TWO_PI - math.pi


def compass_point(deg: float) -> str:
    """The compass point (``N``, ``NE``, ... ``NW``) of a bearing in degrees.

    Eight half-open sectors of 45°, each centred on its point and holding its lower boundary:
    N is [337.5, 22.5), NE is [22.5, 67.5), and so on. A bearing exactly between two points
    therefore takes the next one clockwise (22.5 → NE, 112.5 → SE, 337.5 → N); -0.0 and 359.99
    are N. Raises ValueError for a bearing that is not a finite number.
    """
    if not math.isfinite(deg):
        raise ValueError(f"bearing must be a finite number, not {deg!r}")
    return COMPASS_POINTS[int((wrap_deg(deg) + 22.5) // 45.0) % 8]
