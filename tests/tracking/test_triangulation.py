import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.tracking.triangulation import cross_bearings


def _bearing(sx: float, sy: float, x: float, y: float) -> float:
    return math.atan2(x - sx, y - sy)


def test_two_bearings_cross_at_the_source() -> None:
    target = (3000.0, 8000.0)
    a, b = (0.0, 0.0), (10_000.0, 0.0)
    c = cross_bearings(*a, _bearing(*a, *target), 0.05, *b, _bearing(*b, *target), 0.05)
    assert c is not None
    assert c.x == pytest.approx(target[0], abs=1e-6)
    assert c.y == pytest.approx(target[1], abs=1e-6)
    assert c.range_a == pytest.approx(math.hypot(*target))


def test_parallel_or_diverging_bearings_give_nothing() -> None:
    assert cross_bearings(0, 0, 0.0, 0.05, 1000, 0, 0.0, 0.05) is None  # parallel, both north
    # Crossing behind sensor A: A looks south, B looks north-west towards a point north of A.
    assert cross_bearings(0, 0, math.pi, 0.05, 1000, 0, -math.pi / 4, 0.05) is None


def test_shallow_crossing_is_less_certain_than_square_one() -> None:
    square = cross_bearings(0, 0, math.radians(45), 0.05, 10_000, 0, math.radians(-45), 0.05)
    shallow = cross_bearings(0, 0, math.radians(80), 0.05, 10_000, 0, math.radians(-60), 0.05)
    assert square is not None and shallow is not None
    assert shallow.sigma_m / max(shallow.range_a, shallow.range_b) > square.sigma_m / max(
        square.range_a, square.range_b
    )


@given(
    st.floats(-20_000, 20_000),
    st.floats(-20_000, 20_000),
    st.floats(-20_000, 20_000),
    st.floats(-20_000, 20_000),
)
def test_crossing_recovers_any_point_seen_at_a_usable_angle(
    tx: float, ty: float, bx: float, by: float
) -> None:
    a = (0.0, 0.0)
    if math.hypot(tx, ty) < 100 or math.hypot(tx - bx, ty - by) < 100:
        return
    ba, bb = _bearing(*a, tx, ty), _bearing(bx, by, tx, ty)
    c = cross_bearings(*a, ba, 0.05, bx, by, bb, 0.05)
    angle = abs(math.sin(bb - ba))
    if angle < math.sin(math.radians(13)):
        return
    assert c is not None
    assert c.x == pytest.approx(tx, abs=1e-3 * max(1.0, abs(tx)) + 1e-3)
    assert c.y == pytest.approx(ty, abs=1e-3 * max(1.0, abs(ty)) + 1e-3)
