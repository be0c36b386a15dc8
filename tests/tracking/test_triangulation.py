import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nadhir.tracking.triangulation import cross_bearings, moving_point_on_rays


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


@given(
    x0=st.floats(-20_000, 20_000),
    y0=st.floats(-20_000, 20_000),
    vx=st.floats(-250, 250),
    vy=st.floats(-250, 250),
    one_node=st.booleans(),
)
def test_rays_to_a_moving_point_give_back_where_it_was(
    x0: float, y0: float, vx: float, vy: float, one_node: bool
) -> None:
    """Rays drawn exactly to an aircraft flying a known velocity, from one node (the sweep's
    case) or several (the along-course fix's), place it where it was at time 0."""
    dt = np.array([-40.0, -30.0, -20.0, -10.0, 0.0])
    if one_node:
        sx: float | np.ndarray = -30_000.0
        sy: float | np.ndarray = 25_000.0
    else:
        sx = np.array([-30_000.0, 30_000.0, -30_000.0, 30_000.0, 0.0])
        sy = np.array([25_000.0, 25_000.0, -25_000.0, -25_000.0, 30_000.0])
    theta = np.arctan2(x0 + vx * dt - sx, y0 + vy * dt - sy)
    # One node fixes a point only if its bearing turns (an aircraft still, or flying along the
    # ray, is anywhere on it): the callers' fits ask for a span of bearings too.
    assume(not one_node or float(np.ptp(np.unwrap(theta))) > math.radians(2.0))
    fit = moving_point_on_rays(
        sx, sy, np.cos(theta), np.sin(theta), np.ones(5), vx, vy, dt, min_det=0.0, min_det_share=1e-12
    )
    assert fit is not None
    assert math.hypot(fit.x - x0, fit.y - y0) < 1.0


def test_rays_from_one_node_to_a_still_point_fix_nothing() -> None:
    """All rays the same: the normal equations are singular, and no point is made up."""
    theta = np.full(4, 0.7)
    dt = np.array([-3.0, -2.0, -1.0, 0.0])
    fit = moving_point_on_rays(
        0.0, 0.0, np.cos(theta), np.sin(theta), np.ones(4), 0.0, 0.0, dt, min_det=1e-12
    )
    assert fit is None
