"""Bearing updates of IMM model states near and past the speed of sound stay well defined.

Above the speed of sound the sound's travel time in
:func:`nadhir.tracking.imm.heard_bearing` has no bound, nor has the
bearing's Jacobian. A jet track of the idlib-spoofer replay (a 2.5 km
sighting spread experiment, 7 December) had such a model; the padded batched
update left its covariance indefinite with all the mode probability, and the
next association took the log of a negative variance (``math domain
error``). Its state is kept in ``tests/data/tracking/supersonic-jet.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.tracking import associator, imm, scalar
from nadhir.tracking.associator import Associator
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix
from nadhir.tracking.motion import SOUND_LIKELIHOOD
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Updater

FIXTURE = Path(__file__).parents[1] / "data" / "tracking" / "supersonic-jet.json"


def _fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def _assert_well_defined(mu: np.ndarray, ps: np.ndarray) -> None:
    """Every covariance symmetric and positive definite; mode probabilities a distribution.

    Positive definite as the tracker tests it (every LDL' pivot positive,
    checked against Cholesky below), and to rounding as LAPACK sees it: an
    update can leave a covariance singular to rounding (a model past the
    speed of sound), which the two may then judge differently.
    """
    np.testing.assert_allclose(ps, np.swapaxes(ps, -1, -2), rtol=1e-12)  # (a prior from mixing: to rounding)
    assert imm.positive_definite(ps).all()
    for p in ps.reshape(-1, 4, 4):
        assert np.linalg.eigvalsh(p)[0] > -1e-12 * np.abs(p).max()
    assert np.isfinite(mu).all()
    assert (mu >= 0.0).all()
    np.testing.assert_allclose(mu.sum(axis=-1), 1.0, rtol=0.0, atol=1e-12)


def _state() -> tuple[np.ndarray, ...]:
    """The saved track's (mu, xs, ps) and its bearing as (T=1, K=1) arrays, with height and spread."""
    d = _fixture()
    b = d["bearing"]
    return (
        np.array([d["mu"]]),
        np.array([d["xs"]]),
        np.array([d["ps"]]),
        np.array([[[b["sensor_x"], b["sensor_y"]]]]),
        np.array([[b["bearing_rad"]]]),
        np.array([[b["sigma_rad"] ** 2]]),
        np.array([d["altitude_m"]]),
        np.array([d["altitude_sigma_m"]]),
    )


def test_the_saved_state_has_models_faster_than_sound() -> None:
    """The fixture still shows the case: three of four models faster than sound."""
    xs = np.array(_fixture()["xs"])
    speeds = np.hypot(xs[:, 2], xs[:, 3])
    assert (speeds > SPEED_OF_SOUND_MPS).sum() == 3


def test_a_padded_lone_bearing_updates_a_supersonic_track_as_the_lone_path_does() -> None:
    """Padded to two slots (information form) the saved update equals the one-bearing path's, definite."""
    mu, xs, ps, sensors, bearings, variances, alt, alt_sigma = _state()
    lone = imm.update_bearings_batch(mu, xs, ps, sensors, bearings, variances, alt, alt_sigma)
    padded = imm.update_bearings_batch(
        mu,
        xs,
        ps,
        np.concatenate([sensors, np.zeros((1, 1, 2))], axis=1),
        np.concatenate([bearings, np.zeros((1, 1))], axis=1),
        np.concatenate([variances, np.full((1, 1), np.inf)], axis=1),
        alt,
        alt_sigma,
    )
    _assert_well_defined(padded[0], padded[2])
    _assert_well_defined(lone[0], lone[2])
    # The supersonic turn model keeps only the floor of the mode probability, as alone.
    assert padded[0][0, 2] < 1e-5
    for a, b in zip(lone, padded, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-6)


def test_the_plain_float_path_keeps_the_same_models_definite() -> None:
    """The few-track float path leaves every model definite and agrees with the arrays.

    The supersonic model's update is singular to rounding: the arrays' result
    is indefinite (so that model keeps its prior), the floats' barely definite
    (kept), so there the two agree on its probability and to centimetres on
    its state, not on its covariance.
    """
    mu, xs, ps, sensors, bearings, variances, alt, alt_sigma = _state()
    arrays = imm.update_bearings_batch(mu, xs, ps, sensors, bearings, variances, alt, alt_sigma)
    mus, xss, pss = scalar.update_one_bearing(
        mu.tolist(),
        xs.tolist(),
        ps.reshape(1, imm.N_MODELS, 16).tolist(),
        [(sensors[0, 0, 0], sensors[0, 0, 1], bearings[0, 0], variances[0, 0], alt[0], alt_sigma[0] ** 2)],
        iterations=2,
        relinearise_share=imm.RELINEARISE_SHARE,
    )
    floats = np.array(pss).reshape(1, imm.N_MODELS, 4, 4)
    _assert_well_defined(np.array(mus), floats)
    np.testing.assert_allclose(np.array(mus), arrays[0], rtol=1e-9, atol=1e-12)
    others = [0, 1, 3]
    np.testing.assert_allclose(np.array(xss)[:, others], arrays[1][:, others], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(floats[:, others], arrays[2][:, others], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(np.array(xss)[:, 2], arrays[1][:, 2], rtol=0.0, atol=0.01)


def _jet(track_id: str, mu: np.ndarray, xs: np.ndarray, ps: np.ndarray) -> Track:
    x, p = imm.combine(mu, xs, ps)
    track = Track(
        id=track_id,
        t=0.0,
        x=x,
        p=p,
        type_probs=np.array([1.0, 0.0, 0.0]),  # a jet (TRACK_TYPES order)
        created=0.0,
        last_update=0.0,
    )
    track.set_models(mu.copy(), xs.copy(), ps.copy())
    return track


def _fix(sx: float, sy: float, bearing: float, sigma: float) -> BearingFix:
    return BearingFix(0.0, sx, sy, bearing, sigma, "s", 0.2, SOUND_LIKELIHOOD["jet"], "jet")


def test_the_replays_batched_update_leaves_the_supersonic_track_definite() -> None:
    """As in the replay: the saved track's one bearing in one batch with a track that has two."""
    mu, xs, ps, sensors, bearings, variances, _, _ = _state()
    saved = _jet("T18", mu[0], xs[0], ps[0])
    sx, sy = sensors[0, 0]
    other = _jet("T2", mu[0], xs[0] + np.array([40_000.0, 0.0, 0.0, 0.0]), ps[0])
    fix = _fix(float(sx), float(sy), float(bearings[0, 0]), math.sqrt(variances[0, 0]))
    ox, oy = other.x[:2]
    two = [_fix(ox - 9000.0, oy, math.pi / 2, 0.05), _fix(ox, oy - 12_000.0, 0.0, 0.05)]
    Updater().update_bearings_many([(saved, [fix]), (other, two)])
    _assert_well_defined(saved.mu, saved.ps)
    # and the next association scores it with a positive variance
    assert imm.positive_definite(saved.p)
    _, h, _, g = imm.heard_bearing(saved.x[0] - sx, saved.x[1] - sy, saved.x[2], saved.x[3], 4500.0)
    assert h @ saved.p @ h + variances[0, 0] + (g * 2000.0) ** 2 > 0.0
    tracks, fixes = [saved], [fix]
    _, _, cost = Associator(Updater()).bearing_costs(tracks, fixes, use_grid=False)
    small = associator.bearing_costs_small(tracks, fixes)
    assert np.isfinite(cost).all() and all(math.isfinite(c) for c in small[2])


def test_an_indefinite_track_covariance_gates_no_bearing() -> None:
    """A gate variance that is not positive pairs nothing (it used to pass and take a log of it)."""
    mu, xs, ps, *_ = _state()
    track = _jet("T18", mu[0], xs[0], ps[0])
    track.p = np.diag([1e6, 1e6, -1e12, -1e12])  # as an indefinite model covariance could leave it
    x, y = track.x[:2]
    fix = _fix(float(x) + 5000.0, float(y), -math.pi / 2, 0.14)  # heard 5 km east of it
    pm, pt, cost = Associator(Updater()).bearing_costs([track], [fix], use_grid=False)
    assert pm.size == pt.size == cost.size == 0
    assert associator.bearing_costs_small([track], [fix]) == ([], [], [])


def test_positive_definite_agrees_in_floats_and_arrays() -> None:
    """The LDL' pivot test in floats and in arrays, against Cholesky, on definite and indefinite matrices."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        a = rng.normal(size=(4, 4)) * rng.choice([1.0, 100.0, 1e4], size=4)
        p = a @ a.T + np.diag(rng.uniform(-50.0, 50.0, size=4))
        try:
            np.linalg.cholesky(p)
            chol = True
        except np.linalg.LinAlgError:
            chol = False
        definite = scalar.positive_definite(p.ravel().tolist())
        assert bool(imm.positive_definite(p)) == definite
        assert chol or not definite  # definite ones factorise
        if chol and np.linalg.eigvalsh(p)[0] > 1e-6 * np.abs(p).max():
            assert definite  # and so does any but a nearly singular one
    singular = np.diag([1e8, 1e8, 1e4, 1e4])
    singular[3] = singular[2] = [0.0, 0.0, 1e4, 1e4]  # v_north = v_east exactly
    assert not imm.positive_definite(singular)
    assert not scalar.positive_definite(singular.ravel().tolist())
    assert imm.positive_definite(singular + np.diag([0.0, 0.0, 0.0, 1.0]))
    assert not imm.positive_definite(np.diag([1.0, 1.0, np.nan, 1.0]))
    assert not scalar.positive_definite(np.diag([1.0, 1.0, 1.0, np.inf]).ravel().tolist())


def _covariance(rng: np.random.Generator, pos_sigma: float, vel_sigma: float) -> np.ndarray:
    """A random positive definite model covariance at the given position and velocity spreads."""
    scale = np.array([pos_sigma, pos_sigma, vel_sigma, vel_sigma])
    c = rng.uniform(-0.9, 0.9, size=(4, 4))
    corr = np.eye(4) + 0.3 * (c + c.T) / 2.0
    corr = corr @ corr.T  # positive definite
    d = np.sqrt(np.diag(corr))
    corr = corr / d[:, None] / d[None, :]
    p = corr * scale[:, None] * scale[None, :]
    return np.asarray(0.5 * (p + p.T))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    tracks=st.integers(1, 3),
    slots=st.integers(1, 3),
    speed=st.floats(0.0, 2.0),  # fastest model's speed in units of the speed of sound
    pos_sigma=st.floats(50.0, 20_000.0),
    vel_sigma=st.floats(5.0, 300.0),
    sigma_rad=st.floats(0.005, 0.3),
    iterations=st.integers(1, 3),
    approaching=st.booleans(),
)
def test_bearing_updates_near_and_past_the_speed_of_sound_stay_definite(
    seed: int,
    tracks: int,
    slots: int,
    speed: float,
    pos_sigma: float,
    vel_sigma: float,
    sigma_rad: float,
    iterations: int,
    approaching: bool,
) -> None:
    """Any batch, padded or not, model speeds up to twice that of sound: SPD covariances, a distribution."""
    rng = np.random.default_rng(seed)
    m = imm.N_MODELS
    mu = rng.dirichlet(np.ones(m), size=tracks)
    centre = rng.normal(size=(tracks, 1, 2)) * 30_000.0
    # Sensors 1-60 km from the track, bearings near the truth, some tracks padded.
    angle = rng.uniform(0.0, 2.0 * math.pi, size=(tracks, slots))
    dist = rng.uniform(1_000.0, 60_000.0, size=(tracks, slots))
    sensors = centre + np.stack([np.sin(angle), np.cos(angle)], axis=-1) * dist[..., None]
    if approaching:  # towards the first sensor, within 60 degrees: the sound's longest travel times
        heading = angle[:, :1] + math.pi + rng.uniform(-1.0, 1.0, size=(tracks, m))
    else:
        heading = rng.uniform(0.0, 2.0 * math.pi, size=(tracks, m))
    v = speed * SPEED_OF_SOUND_MPS * rng.uniform(0.8, 1.0, size=(tracks, m))
    xs = np.concatenate(
        [
            centre + rng.normal(size=(tracks, m, 2)) * pos_sigma,
            np.stack([v * np.sin(heading), v * np.cos(heading)], axis=-1),
        ],
        axis=-1,
    )
    ps = np.array([[_covariance(rng, pos_sigma, vel_sigma) for _ in range(m)] for _ in range(tracks)])
    bearings = angle + math.pi + rng.normal(size=(tracks, slots)) * 3.0 * sigma_rad
    variances = np.full((tracks, slots), sigma_rad**2)
    real = rng.integers(1, slots + 1, size=tracks)
    variances[np.arange(slots)[None, :] >= real[:, None]] = np.inf
    alt = np.full(tracks, 4500.0)
    alt_sigma = np.full(tracks, 2000.0)
    mu_new, xs_new, ps_new, _ = imm.update_bearings_batch(
        mu, xs, ps, sensors, bearings, variances, alt, alt_sigma, iterations
    )
    _assert_well_defined(mu_new, ps_new)
    assert np.isfinite(xs_new).all()
    if slots == 1:  # the few-track float path too
        mus, _, pss = scalar.update_one_bearing(
            mu.tolist(),
            xs.tolist(),
            ps.reshape(tracks, m, 16).tolist(),
            [
                (sensors[t, 0, 0], sensors[t, 0, 1], bearings[t, 0], variances[t, 0], 4500.0, 2000.0**2)
                for t in range(tracks)
            ],
            iterations=iterations,
            relinearise_share=imm.RELINEARISE_SHARE,
        )
        _assert_well_defined(np.array(mus), np.array(pss).reshape(tracks, m, 4, 4))
