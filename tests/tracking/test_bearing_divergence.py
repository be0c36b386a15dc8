"""A joint update of several bearings cannot throw a track hundreds of kilometres away.

Found on ``idlib-twists`` (issue 4): two bearings from sensors about 1 km
apart, 0.4 rad apart, both inside the gate of a jet track 14 km away whose
position sigma was 5.7 km. As seen from the track the two rays are nearly
parallel, so the linearised two-bearing fit puts the aircraft far out along
them; the track jumped 2,000 km in one update and was published outside
the region. The geometry is rebuilt here directly against the filter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nadhir.geo.compass import wrap_pi
from nadhir.tracking import imm
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Updater

JET = PROFILES["jet"]
SENSORS = np.array([(0.0, 0.0), (1000.0, 0.0)])  # 1 km apart
PRIOR_X = np.array([0.0, 14_000.0, 0.0, -200.0])  # 14 km north, flying south
PRIOR_P = np.diag([4000.0**2, 4000.0**2, 100.0**2, 100.0**2])  # position sigma 5.7 km


def _imm_prior() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        imm.INITIAL_MODE_PROBS.copy(),
        np.repeat(PRIOR_X[None], imm.N_MODELS, axis=0),
        np.repeat(PRIOR_P[None], imm.N_MODELS, axis=0),
    )


def _nis(z: float, sensor: np.ndarray, sigma: float) -> float:
    """A bearing's gate statistic against the prior, as the associator computes it."""
    theta, h, _, g = imm.heard_bearing(
        PRIOR_X[0] - sensor[0], PRIOR_X[1] - sensor[1], PRIOR_X[2], PRIOR_X[3], JET.altitude_m
    )
    var = float(h @ PRIOR_P @ h) + sigma * sigma + float(g * JET.altitude_sigma_m) ** 2
    return float(wrap_pi(z - theta)) ** 2 / var


def _correction_m2(x: np.ndarray) -> float:
    d = x - PRIOR_X
    return float(d @ np.linalg.solve(PRIOR_P, d))


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.15])
def test_two_bearings_from_nearby_sensors_never_throw_the_track_far(sigma: float) -> None:
    """Every pair of gated bearings 0.4 rad apart moves the track by a few prior sigmas at most."""
    tried = 0
    for za in np.linspace(-1.2, 1.2, 49):
        for zb in (za - 0.4, za + 0.4):
            if max(_nis(za, SENSORS[0], sigma), _nis(zb, SENSORS[1], sigma)) > imm.BEARING_GATE:
                continue  # the associator would not have given both to this track
            tried += 1
            mu, xs, ps = _imm_prior()
            m, xn, pn, _ = imm.update_bearings(
                mu, xs, ps, SENSORS, np.array([za, zb]), np.full(2, sigma * sigma),
                JET.altitude_m, JET.altitude_sigma_m,
            )  # fmt: skip
            x, _ = imm.combine(m, xn, pn)
            assert np.all(np.isfinite(x))
            # One gated bearing moves it by at most sqrt(gate) prior sigmas; two by twice that.
            assert _correction_m2(x) <= 4.0 * imm.BEARING_GATE, (za, zb)
            assert math.hypot(x[0] - PRIOR_X[0], x[1] - PRIOR_X[1]) < 30_000.0, (za, zb)
    assert tried > 10


def test_the_runaway_pair_through_the_updater() -> None:
    """The pair that ran 2,800 km off (bearings 0.1 and 0.5 rad, sigma 0.02) stays near the prior."""
    track = Track(
        id="T1", t=0.0, x=PRIOR_X.copy(), p=PRIOR_P.copy(), type_probs=np.array([1.0, 0.0, 0.0]),
        created=0.0, last_update=0.0,
    )  # fmt: skip
    fixes = [
        BearingFix(0.0, float(sx), float(sy), z, 0.02, f"S{k}", 0.3, (1.0, 1.0, 1.0), "jet")
        for k, ((sx, sy), z) in enumerate(zip(SENSORS, (0.1, 0.5), strict=True))
    ]
    Updater().update_bearings_many([(track, fixes)])
    assert math.hypot(track.x[0] - PRIOR_X[0], track.x[1] - PRIOR_X[1]) < 3 * 4000.0
    assert _correction_m2(track.x) <= 4.0 * imm.BEARING_GATE


def test_consistent_bearings_keep_the_joint_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bearings that agree with the track are fused jointly, exactly as without the guard."""
    mu, xs, ps = _imm_prior()
    truth = np.array([1500.0, 12_500.0])
    z = np.arctan2(truth[0] - SENSORS[:, 0], truth[1] - SENSORS[:, 1])  # crossing at the aircraft
    guarded = imm.update_bearings(mu, xs, ps, SENSORS, z, np.full(2, 0.05**2), 4500.0, 2000.0)
    monkeypatch.setattr(imm, "MAX_CORRECTION_M2", math.inf)
    plain = imm.update_bearings(mu, xs, ps, SENSORS, z, np.full(2, 0.05**2), 4500.0, 2000.0)
    for a, b in zip(guarded, plain, strict=True):
        np.testing.assert_array_equal(a, b)
