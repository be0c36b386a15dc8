import numpy as np

from nadhir.tracking import kalman


def test_prediction_moves_by_velocity_and_grows_uncertainty() -> None:
    x = np.array([0.0, 0.0, 100.0, -50.0])
    p = np.eye(4)
    x2, p2 = kalman.predict(x, p, 10.0, q=1.0)
    assert np.allclose(x2, [1000.0, -500.0, 100.0, -50.0])
    assert np.all(np.diag(p2) > np.diag(p))


def test_update_pulls_towards_measurement_and_shrinks_covariance() -> None:
    x = np.array([0.0, 0.0, 0.0, 0.0])
    p = np.diag([1e6, 1e6, 1e2, 1e2])
    x2, p2 = kalman.update(x, p, np.array([1000.0, 0.0]), kalman.POSITION_H, np.eye(2) * 1e6)
    assert 400 < x2[0] < 600
    assert p2[0, 0] < p[0, 0]
    assert np.allclose(p2, p2.T)


def test_bearing_jacobian_matches_finite_difference() -> None:
    dx, dy = 3000.0, 4000.0
    theta, h = kalman.bearing_jacobian(dx, dy)
    eps = 1e-3
    t1, _ = kalman.bearing_jacobian(dx + eps, dy)
    t2, _ = kalman.bearing_jacobian(dx, dy + eps)
    assert np.isclose(h[0, 0], (t1 - theta) / eps, rtol=1e-4)
    assert np.isclose(h[0, 1], (t2 - theta) / eps, rtol=1e-4)
