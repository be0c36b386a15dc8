"""The one compass: half-open 45° sectors, a boundary bearing belongs to the next point clockwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nadhir.geo.compass import compass_point, wrap_deg, wrap_pi


@pytest.mark.parametrize(
    ("deg", "point"),
    [
        (22.5, "NE"), (67.5, "E"), (112.5, "SE"), (157.5, "S"),
        (202.5, "SW"), (247.5, "W"), (292.5, "NW"), (337.5, "N"),
        (0.0, "N"), (-0.0, "N"), (359.99, "N"), (22.499999, "N"), (-1e-20, "N"),
        (45.0, "NE"), (180.0, "S"), (-90.0, "W"), (720.0 + 112.5, "SE"),
    ],
)  # fmt: skip
def test_compass_boundaries(deg: float, point: str) -> None:
    assert compass_point(deg) == point


def test_compass_refuses_what_is_not_a_bearing() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="finite"):
            compass_point(bad)


def test_wraps() -> None:
    assert wrap_deg(-1e-20) == 0.0  # plain % 360 gives 360.0 here
    assert wrap_deg(-90.0) == 270.0 and wrap_deg(360.0) == 0.0 and wrap_deg(725.0) == 5.0
    assert wrap_pi(math.pi) == -math.pi and wrap_pi(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    arr = wrap_pi(np.array([math.pi, -math.pi, 0.5]))
    assert arr.tolist() == [wrap_pi(math.pi), wrap_pi(-math.pi), wrap_pi(0.5)]
