"""Interacting multiple model (IMM) filter over constant-velocity and coordinated-turn models.

Every model shares the state ``[east, north, v_east, v_north]``, so mixing
needs no state augmentation. The models (see :data:`~nadhir.tracking.motion.MODEL_NAMES`):

0. *straight*: constant velocity with the type's small "quiet" noise;
1. *turn-left* and 2. *turn-right*: coordinated turns at the type's turn
   rate (a linear model once the rate is fixed), quiet noise;
3. *manoeuvre*: constant velocity with the type's large acceleration noise
   (a jet's dive or acceleration, a helicopter stopping to hover).

Model switching is a continuous-time Markov chain: each model is kept for an
exponentially distributed time with the type's mean (``straight_s`` ...), so
the transition matrix adapts to the irregular gaps between reports.

All models are held as stacked arrays, ``xs`` (M, 4) and ``ps`` (M, 4, 4),
and every step runs as a handful of batched numpy operations whatever M is:
the cost of a small filter in Python is the number of calls, not the
arithmetic.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nadhir.geo.compass import wrap_pi
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS
from nadhir.tracking.motion import MODEL_NAMES, MotionProfile

Vector = NDArray[np.float64]
Matrix = NDArray[np.float64]

N_MODELS = len(MODEL_NAMES)
# Where a new track starts: most aircraft fly straight most of the time.
INITIAL_MODE_PROBS: Vector = np.array([0.7, 0.1, 0.1, 0.1])
_LOG_2PI = math.log(2.0 * math.pi)
# A bearing update is linearised again when it moves the estimate by more than this share of
# the range to a sensor (the bearing's Jacobian scales as 1 / range).
RELINEARISE_SHARE = 0.1
# The association gate of one bearing (chi-square, 1 dof, 99.9 %); the joint update's fallback
# re-applies it to each bearing after the ones before it.
BEARING_GATE = 10.8
# Largest believable correction of a joint bearing update, as the Mahalanobis distance squared
# of the state's change against the prior covariance (chi-square, 4 dof, 99.9 %). For a linear
# Gaussian update ``d' P^-1 d`` has mean ``tr(I - P^-1 P+) <= 4`` whatever the number of
# bearings, so a larger one means the linearisation failed (see update_bearings_batch).
MAX_CORRECTION_M2 = 18.47


@dataclass(frozen=True, slots=True)
class ModelParams:
    """The IMM parameters of a batch of tracks, one row per track (see :func:`params_of`)."""

    turn_rate: Vector  # (T,) rad/s
    quiet: Vector  # (T,) spectral density of the straight and turn models
    manoeuvre: Vector  # (T,) spectral density of the manoeuvre model
    sojourn: Matrix  # (T, M) mean time in each model


def params_of(profiles: list[MotionProfile]) -> ModelParams:
    """Stack the motion profiles of a batch of tracks."""
    return ModelParams(
        np.array([p.turn_rate for p in profiles]),
        np.array([p.quiet_noise for p in profiles]),
        np.array([p.accel_noise for p in profiles]),
        np.array([(p.straight_s, p.turn_s, p.turn_s, p.manoeuvre_s) for p in profiles]),
    )


def transition_batch(params: ModelParams, dt: Vector) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-track, per-model transition ``F`` (T, M, 4, 4) and process noise ``Q`` (T, M, 4, 4)."""
    n = len(dt)
    f = np.zeros((n, N_MODELS, 4, 4))
    f[:, :, 0, 0] = f[:, :, 1, 1] = f[:, :, 2, 2] = f[:, :, 3, 3] = 1.0
    f[:, :, 0, 2] = dt[:, None]
    f[:, :, 1, 3] = dt[:, None]
    for m, sign in ((1, 1.0), (2, -1.0)):
        omega = sign * params.turn_rate
        wt = omega * dt
        s, c = np.sin(wt), np.cos(wt)
        f[:, m, 0, 2] = s / omega
        f[:, m, 0, 3] = -(1.0 - c) / omega
        f[:, m, 1, 2] = (1.0 - c) / omega
        f[:, m, 1, 3] = s / omega
        f[:, m, 2, 2] = c
        f[:, m, 2, 3] = -s
        f[:, m, 3, 2] = s
        f[:, m, 3, 3] = c
    dt2, dt3 = dt * dt, dt * dt * dt
    base = np.zeros((n, 4, 4))
    base[:, 0, 0] = base[:, 1, 1] = dt3 / 3.0
    base[:, 0, 2] = base[:, 2, 0] = base[:, 1, 3] = base[:, 3, 1] = dt2 / 2.0
    base[:, 2, 2] = base[:, 3, 3] = dt
    qs = np.stack([params.quiet, params.quiet, params.quiet, params.manoeuvre], axis=1)  # (T, M)
    q = base[:, None, :, :] * qs[:, :, None, None]
    return f, q


def transition_matrices(profile: MotionProfile, dt: float) -> tuple[Matrix, Matrix]:
    """Per-model transition ``F`` (M, 4, 4) and process noise ``Q`` (M, 4, 4) over ``dt`` seconds."""
    f, q = transition_batch(params_of([profile]), np.array([dt]))
    return f[0], q[0]


def switching_batch(params: ModelParams, dt: Vector) -> NDArray[np.float64]:
    """Markov mode-transition probabilities ``pi[t, i, j]`` (from i to j) over each track's ``dt``."""
    stay = np.exp(-dt[:, None] / params.sojourn)  # (T, M)
    leave = (1.0 - stay) / (N_MODELS - 1)
    pi = np.repeat(leave[:, :, None], N_MODELS, axis=2)
    idx = np.arange(N_MODELS)
    pi[:, idx, idx] = stay
    return pi


def switching_matrix(profile: MotionProfile, dt: float) -> Matrix:
    """Markov mode-transition probabilities ``pi[i, j]`` (from i to j) over ``dt`` seconds."""
    out: Matrix = switching_batch(params_of([profile]), np.array([dt]))[0]
    return out


def combine(
    mu: NDArray[np.float64], xs: NDArray[np.float64], ps: NDArray[np.float64]
) -> tuple[Vector, Matrix]:
    """Moment-matched single Gaussian of the model mixture (any leading batch dimensions).

    Hand-tuned: called after every prediction and update, so a batch of
    tracks and a single track each have their own form, with fewer
    intermediate views than the general one. Each performs the general
    form's products on the same shapes and is equal to it to the bit
    (tests/tracking/test_predict_reuse.py checks the one-track form).
    """
    if mu.ndim == 2:
        # A batch of tracks, after every prediction and update: the same products as below
        # with fewer intermediate views and an in-place sum, equal to the bit. Measured on the
        # idlib-twists replay (combine's time, old and new alternated in one process, best of
        # 6-10, four runs): 21-25 -> 18-23 us per event, 2.5 us less on average.
        n = len(mu)
        w = mu[:, None, :]
        xb: Vector = (w @ xs)[:, 0]
        db = xs - xb[:, None]
        pb: Matrix = (w @ ps.reshape(n, N_MODELS, 16)).reshape(n, 4, 4)
        pb += (db * mu[:, :, None]).transpose(0, 2, 1) @ db
        return xb, pb
    if mu.ndim == 1:
        # One track (a lone track's prediction, a heading cue): the general form's operations
        # on the same shapes, with plain indexing instead of its ellipses and shape unpacking.
        w1 = mu[None, :]
        x1: Vector = (w1 @ xs)[0]
        d1 = xs - x1[None, :]
        p1: Matrix = (w1 @ ps.reshape(N_MODELS, 16))[0].reshape(4, 4)
        p1 = p1 + (d1 * mu[:, None]).T @ d1
        return x1, p1
    x: Vector = (mu[..., None, :] @ xs)[..., 0, :]
    d = xs - x[..., None, :]
    wd = d * mu[..., :, None]
    p: Matrix = (mu[..., None, :] @ ps.reshape(*ps.shape[:-2], 16))[..., 0, :].reshape((*ps.shape[:-3], 4, 4))
    p = p + np.swapaxes(wd, -1, -2) @ d
    return x, p


_F_END = N_MODELS * 16
_Q_END = 2 * N_MODELS * 16
_PI_END = _Q_END + N_MODELS * N_MODELS


@dataclass(frozen=True, slots=True)
class StepModels:
    """One profile's IMM matrices over one step, packed flat so a batch gathers them in one call.

    ``packed`` holds each model's transition ``f`` (M, 4, 4), its process
    noise ``q`` (M, 4, 4), the mode switching ``pi`` (M, M) and ``f``
    transposed, in that order (a product with a transposed view costs numpy
    three times one with a contiguous array: 5.4 against 1.6 us for a batch).
    """

    profile: MotionProfile  # kept so that the cache's key (its id) cannot be reused
    packed: NDArray[np.float64]
    # ``unpack_steps(packed[None])``, made once: a lone track's prediction (most steps of a
    # quiet sky) would otherwise slice and reshape the same four views on every call.
    single: tuple[NDArray[np.float64], ...]

    @property
    def f(self) -> NDArray[np.float64]:
        return self.packed[:_F_END].reshape(N_MODELS, 4, 4)

    @property
    def q(self) -> NDArray[np.float64]:
        return self.packed[_F_END:_Q_END].reshape(N_MODELS, 4, 4)

    @property
    def pi(self) -> NDArray[np.float64]:
        return self.packed[_Q_END:_PI_END].reshape(N_MODELS, N_MODELS)

    @property
    def ft(self) -> NDArray[np.float64]:
        return self.packed[_PI_END:].reshape(N_MODELS, 4, 4)


def unpack_steps(packed: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """``f``, ``q`` (T, M, 4, 4), ``pi`` (T, M, M) and ``f`` transposed from T stacked ``packed``."""
    n = len(packed)
    return (
        packed[:, :_F_END].reshape(n, N_MODELS, 4, 4),
        packed[:, _F_END:_Q_END].reshape(n, N_MODELS, 4, 4),
        packed[:, _Q_END:_PI_END].reshape(n, N_MODELS, N_MODELS),
        packed[:, _PI_END:].reshape(n, N_MODELS, 4, 4),
    )


# Steps recur (the clock ticks every few seconds, reports come on whole seconds): their
# matrices are built once per motion profile and step length, not once per track and step.
# Keyed by the profile's identity, which is cheaper to hash than its thirteen fields.
_STEP_CACHE: dict[tuple[int, float, bool], StepModels] = {}
_STEP_CACHE_MAX = 4096


def step_models(profile: MotionProfile, dt: float, straight_turns: bool = False) -> StepModels:
    """The (cached) IMM matrices of one motion profile over ``dt`` seconds.

    With ``straight_turns`` the two turn models fly straight on with the
    manoeuvre model's noise instead (a coasting prediction, see
    :class:`nadhir.tracking.updater.Predictor`): every model then keeps the
    velocity it starts from, so mixing them cannot shorten it.
    """
    key = (id(profile), dt, straight_turns)
    hit = _STEP_CACHE.get(key)
    if hit is not None and hit.profile is profile:
        return hit
    params, dts = params_of([profile]), np.array([dt])
    f, q = transition_batch(params, dts)
    if straight_turns:
        f[0, 1:3] = f[0, 0]
        q[0, 1:3] = q[0, 3]
    packed = np.concatenate(
        [f[0].ravel(), q[0].ravel(), switching_batch(params, dts)[0].ravel(), np.swapaxes(f[0], 1, 2).ravel()]
    )
    packed.setflags(write=False)  # every track of this profile reads the same array
    if len(_STEP_CACHE) >= _STEP_CACHE_MAX:
        _STEP_CACHE.clear()
    models = _STEP_CACHE[key] = StepModels(profile, packed, unpack_steps(packed[None]))
    return models


def predict_batch(
    mu: NDArray[np.float64],
    xs: NDArray[np.float64],
    ps: NDArray[np.float64],
    f: NDArray[np.float64],
    q: NDArray[np.float64],
    pi: NDArray[np.float64],
    ft: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """IMM mixing and prediction of T tracks at once.

    ``mu`` (T, M), ``xs`` (T, M, 4), ``ps`` (T, M, 4, 4); each track's
    :class:`StepModels` stacked: ``f``, ``q`` (T, M, 4, 4), ``pi`` (T, M, M),
    and optionally ``f`` transposed (contiguous, which is faster).

    Hand-tuned: it runs at every report instant and clock tick, on a few
    tracks, where each numpy call costs about a microsecond whatever it
    computes. Hence matrix products over the small axes (one call each)
    rather than ``einsum``; ``transpose`` rather than ``np.swapaxes`` (the
    same view without the Python wrapper); sums added in place and
    ``np.add.reduce`` for ``sum``. These are the same operations on the same
    operands as the plain forms, so the results are equal to the bit (the
    replays' outputs are byte-identical); products must stay numpy's, since
    OpenBLAS's fused multiply-add differs from plain floats in the last bit
    (docs/benchmarks.md, Replay speed).
    """
    n = len(mu)
    c = np.maximum((mu[:, None, :] @ pi)[:, 0, :], 1e-12)
    # wt[t, j, i]: weight of model i in model j's mixed starting point
    wt = (pi * (mu[:, :, None] / c[:, None, :])).transpose(0, 2, 1)
    x0 = wt @ xs  # (T, j, 4)
    p0 = (wt @ ps.reshape(n, N_MODELS, 16)).reshape(n, N_MODELS, 4, 4)
    dx = xs[:, None, :, :] - x0[:, :, None, :]  # (T, j, i, 4)
    p0 += (dx * wt[..., None]).transpose(0, 1, 3, 2) @ dx
    xs_new = (f @ x0[..., None])[..., 0]
    ps_new = f @ p0 @ (f.transpose(0, 1, 3, 2) if ft is None else ft)
    ps_new += q
    return c / np.add.reduce(c, 1, keepdims=True), xs_new, ps_new


def predict(
    mu: Vector,
    xs: Matrix,
    ps: NDArray[np.float64],
    dt: float,
    profile: MotionProfile,
    straight_turns: bool = False,
) -> tuple[Vector, Matrix, NDArray[np.float64]]:
    """IMM mixing followed by each model's prediction ``dt`` seconds ahead (one track)."""
    f, q, pi, ft = step_models(profile, dt, straight_turns).single
    m, x, p = predict_batch(mu[None], xs[None], ps[None], f, q, pi, ft)
    return m[0], x[0], p[0]


def update_linear(
    mu: NDArray[np.float64],
    xs: NDArray[np.float64],
    ps: NDArray[np.float64],
    y: NDArray[np.float64],
    h: NDArray[np.float64],
    r: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Kalman update of every model with innovations ``y`` (..., M, d), Jacobians ``h`` (..., M, d, 4).

    ``h`` may have 1 for M when the models share it; ``r`` broadcasts against (..., M, d, d).
    Leading dimensions batch tracks.
    Returns the new mode probabilities, states, covariances and
    the log-likelihood of the measurement under each track's mixture. The
    covariance update is ``P - K S K'`` (made exactly symmetric), which is the
    Joseph form's result for the optimal gain at a fraction of its cost.
    """
    pht = ps @ np.swapaxes(h, -1, -2)
    s = h @ pht + r
    s_inv: NDArray[np.float64]
    logdet: NDArray[np.float64]
    if s.shape[-1] == 2:  # the common case (positions, velocities): a closed-form inverse
        a, b, c, d = s[..., 0, 0], s[..., 0, 1], s[..., 1, 0], s[..., 1, 1]
        det = a * d - b * c
        s_inv = np.empty_like(s)
        s_inv[..., 0, 0], s_inv[..., 0, 1], s_inv[..., 1, 0], s_inv[..., 1, 1] = d, -b, -c, a
        s_inv /= det[..., None, None]
        logdet = np.log(det)
    else:
        s_inv = np.asarray(np.linalg.inv(s), dtype=np.float64)
        logdet = np.asarray(np.linalg.slogdet(s)[1], dtype=np.float64)
    k = pht @ s_inv
    xs_new = xs + np.einsum("...ij,...j->...i", k, y)
    ps_new = ps - k @ np.swapaxes(pht, -1, -2)
    ps_new = 0.5 * (ps_new + np.swapaxes(ps_new, -1, -2))
    d2 = np.einsum("...i,...ij,...j->...", y, s_inv, y)
    loglik = -0.5 * (d2 + logdet + y.shape[-1] * _LOG_2PI)
    return _reweight(mu, loglik, xs_new, ps_new)


def positive_definite(ps: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether each symmetric 4x4 covariance of ``ps`` (..., 4, 4) is positive definite, shape (...).

    By its LDL' factorisation, every pivot positive and finite (a pivot that
    is nan, as an entry that is not finite makes one, fails too): the test
    Cholesky makes, without the square roots. Written out entry by entry,
    as :func:`nadhir.tracking.scalar.positive_definite` is in floats, so
    both paths apply one test. (A covariance that is singular to rounding
    passes or fails as its rounding went, so there the paths can decide
    differently; either result is a usable covariance.)
    """
    a = ps
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d0 = a[..., 0, 0]
        l10, l20, l30 = a[..., 1, 0] / d0, a[..., 2, 0] / d0, a[..., 3, 0] / d0
        d1 = a[..., 1, 1] - l10 * l10 * d0
        l21 = (a[..., 2, 1] - l20 * l10 * d0) / d1
        l31 = (a[..., 3, 1] - l30 * l10 * d0) / d1
        d2 = a[..., 2, 2] - l20 * l20 * d0 - l21 * l21 * d1
        l32 = (a[..., 3, 2] - l30 * l20 * d0 - l31 * l21 * d1) / d2
        d3 = a[..., 3, 3] - l30 * l30 * d0 - l31 * l31 * d1 - l32 * l32 * d2
        pivots = np.stack([d0, d1, d2, d3], axis=-1)
        return np.asarray(((pivots > 0.0) & (pivots < np.inf)).all(axis=-1))


def _keep_definite(
    xs: NDArray[np.float64], ps: NDArray[np.float64], xs_new: NDArray[np.float64], ps_new: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The updated model states, but a model whose new covariance is not positive definite keeps its prior.

    A bearing's Jacobian grows with the sound's travel time, which has no
    bound for a model state near or past the speed of sound (see
    :func:`heard_bearing`): the update then removes nearly all of the
    variance along one direction, and rounding leaves that direction with a
    negative one. Such a covariance would poison every later step (a
    negative gate variance, an inverse of no meaning), while the model's
    prior is still a valid state that the measurement merely failed to
    refine; its likelihood, taken with the prior covariance, stays valid and
    still weighs the model.
    """
    ok = positive_definite(ps_new)
    if ok.all():  # the usual case: nothing to copy
        return xs_new, ps_new
    return np.where(ok[..., None], xs_new, xs), np.where(ok[..., None, None], ps_new, ps)


def _reweight(
    mu: NDArray[np.float64], loglik: NDArray[np.float64], xs: NDArray[np.float64], ps: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Bayes update of the mode probabilities (last axis); returns the mixture log-likelihood too."""
    top = loglik.max(axis=-1, keepdims=True)
    w = mu * np.exp(loglik - top)
    total = w.sum(axis=-1, keepdims=True)
    good = np.isfinite(total) & (total > 0.0)
    mu_new = np.where(good, np.maximum(w / np.where(good, total, 1.0), 1e-6), mu)
    mu_new = mu_new / mu_new.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        ll = (top + np.log(np.where(good, total, 1.0)))[..., 0]
    return mu_new, xs, ps, ll


# -- acoustic bearings ----------------------------------------------------------------------


def heard_bearing(
    dx: NDArray[np.float64],
    dy: NDArray[np.float64],
    vx: NDArray[np.float64],
    vy: NDArray[np.float64],
    alt: NDArray[np.float64] | float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Bearing from a sensor to where the sound now heard left the aircraft, and its Jacobian.

    ``(dx, dy)`` is the aircraft's horizontal offset from the sensor now,
    ``(vx, vy)`` its velocity and ``alt`` its height above the sensor (arrays
    of one shape, or a scalar height). The sound left ``tau`` seconds ago,
    when the slant distance from the emission point ``e = d - v tau`` is
    ``|e|^2 + alt^2 = (c tau)^2``: a jet at 5 km flies a kilometre or more
    further while its sound comes down. Differentiating that gives
    ``dtau = e.(dd - tau dv) / D`` with ``D = c^2 tau + e.v``, hence the
    Jacobian rows: ``h_pos = g - (g.v) e / D`` with ``g = (e_y, -e_x) / |e|^2``,
    and ``h_vel = -tau h_pos``; and the bearing's sensitivity to the
    (unknown) height, ``-(g.v) alt / D``.

    Returns (bearing, h (..., 4), horizontal range now, d bearing / d height).
    """
    c2 = SPEED_OF_SOUND_MPS * SPEED_OF_SOUND_MPS
    a = np.maximum(c2 - (vx * vx + vy * vy), 1.0)  # subsonic
    b = dx * vx + dy * vy
    r2 = dx * dx + dy * dy
    tau = (np.sqrt(b * b + a * (r2 + alt * alt)) - b) / a
    ex, ey = dx - vx * tau, dy - vy * tau
    e2 = np.maximum(ex * ex + ey * ey, 1.0)
    gx, gy = ey / e2, -ex / e2
    big_d = np.maximum(c2 * tau + ex * vx + ey * vy, 1.0)
    gv = (gx * vx + gy * vy) / big_d
    h = np.empty((*np.shape(tau), 4))
    h[..., 0] = hx = gx - gv * ex
    h[..., 1] = hy = gy - gv * ey
    h[..., 2] = -tau * hx
    h[..., 3] = -tau * hy
    return np.arctan2(ex, ey), h, np.sqrt(r2), -gv * alt


def update_bearings_batch(
    mu: NDArray[np.float64],
    xs: NDArray[np.float64],
    ps: NDArray[np.float64],
    sensors: NDArray[np.float64],
    bearings: NDArray[np.float64],
    variances: NDArray[np.float64],
    alt: Vector,
    alt_sigma: Vector,
    iterations: int = 2,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Joint iterated-EKF update of T tracks, each with up to K simultaneous bearings.

    ``mu`` (T, M), ``xs`` (T, M, 4), ``ps`` (T, M, 4, 4); ``sensors`` (T, K, 2),
    ``bearings`` and ``variances`` (T, K), where a track with fewer bearings
    is padded with infinite variances (no information); ``alt`` and
    ``alt_sigma`` (T,) are each aircraft's assumed height and its spread.

    A wrong height shifts every bearing of the instant through the sound's
    travel time, so it enters as one error common to all of a track's
    bearings (a rank-one term ``s2 g g'`` of the measurement covariance,
    inverted by Sherman-Morrison), which keeps fifty bearings from a dense
    sensor field from claiming fifty independent looks. The update is done
    in information form, so its cost does not grow with K beyond the
    Jacobians: ``A = P^-1 + H' R^-1 H``, ``x+ = x + A^-1 H' R^-1 y``. The
    linearisation point is refined up to ``iterations - 1`` times
    (Gauss-Newton), which matters when a vague track meets several sharp
    bearings at once; it stops when the last correction moved no estimate by
    more than ``RELINEARISE_SHARE`` of its range to a sensor.
    """
    if variances.shape[1] == 1:
        return _update_one_bearing(
            mu, xs, ps, sensors[:, 0], bearings[:, 0], variances[:, 0], alt, alt_sigma, iterations
        )
    real = np.isfinite(variances)  # (T, K)
    r_inv = np.where(real, 1.0 / np.where(real, variances, 1.0), 0.0)[:, None, :]  # (T, 1, K)
    s2 = (alt_sigma * alt_sigma)[:, None]  # (T, 1)
    height = alt[:, None, None]
    sx, sy = sensors[:, None, :, 0], sensors[:, None, :, 1]  # (T, 1, K)
    z = bearings[:, None, :]
    # Padded slots have zero weight (r_inv = 0) and finite innovations, so need no masking.
    p_inv = np.linalg.inv(ps)
    x_lin = xs
    for it in range(max(1, iterations)):
        # (T, M, K) bearings, (T, M, K, 4) Jacobians, (T, M, K) ranges, sensitivities to the height
        theta, h, rng, g = heard_bearing(
            x_lin[..., 0, None] - sx,
            x_lin[..., 1, None] - sy,
            x_lin[..., 2, None],
            x_lin[..., 3, None],
            height,
        )
        y = wrap_pi(z - theta)
        if it:  # innovation about the linearisation point, referred back to the prior (IEKF)
            y = y - (h @ (xs - x_lin)[..., None])[..., 0]
        dg = g * r_inv  # D^-1 g
        gdg = (g * dg).sum(axis=-1)  # (T, M)
        gamma = s2 / (1.0 + s2 * gdg)
        hw_t = np.swapaxes(h * r_inv[..., None], -1, -2)  # (D^-1 H)': (T, M, 4, K)
        hdg = (hw_t @ g[..., None])[..., 0]  # H' D^-1 g
        a = p_inv + hw_t @ h - gamma[..., None, None] * (hdg[..., :, None] * hdg[..., None, :])
        ydg = (y * dg).sum(axis=-1)
        b = (hw_t @ y[..., None])[..., 0] - (gamma * ydg)[..., None] * hdg  # H' R^-1 y
        p_post = _inverse_or_nan(a)
        x_new = xs + (p_post @ b[..., None])[..., 0]
        # Relinearise only when the correction moved some estimate by a sizeable share of its
        # range to a sensor: below that the Jacobians barely change (and it halves the cost).
        x_lin, x_prev = x_new, x_lin
        if not _moved_far(x_new, x_prev, np.where(real[:, None, :], rng, np.inf).min(axis=-1)):
            break
    p_post = 0.5 * (p_post + np.swapaxes(p_post, -1, -2))
    # Likelihood of y under S = H P H' + R, by the Woodbury identity and the determinant lemma.
    d2 = (
        (y * y * r_inv).sum(axis=-1)
        - gamma * ydg * ydg
        - (b[..., None, :] @ (p_post @ b[..., None]))[..., 0, 0]
    )
    _, logdet_p = np.linalg.slogdet(ps)
    if not np.isfinite(p_post).all():  # a singular A (see _inverse_or_nan): redone below anyway
        inverted = np.asarray(np.isfinite(p_post).all(axis=(-2, -1)))
        a = np.where(inverted[..., None, None], a, np.eye(4))
    _, logdet_a = np.linalg.slogdet(a)
    log_var = np.where(real, np.log(np.where(real, variances, 1.0)), 0.0).sum(axis=1)[:, None]
    logdet_r = log_var + np.log1p(s2 * gdg)
    loglik = -0.5 * (d2 + logdet_r + logdet_p + logdet_a + real.sum(axis=1)[:, None] * _LOG_2PI)
    out = _reweight(mu, loglik, x_new, p_post)
    # Guard against a runaway joint update. Two bearings from nearby sensors that each fit a
    # vague track (each alone passed the gate) but disagree with each other (nearly parallel
    # rays as seen from the track, yet 0.4 rad apart) are fitted by the linearised model only
    # far away along the rays, where the range is wrong by hundreds of kilometres: the
    # Gauss-Newton step has no step control, so it lands there, and the likelihood taken at
    # that point even hands the runaway model all the mode probability (a confirmed track was
    # published 2,000 km outside the region, issue 4). A linear update's correction is a few
    # prior sigmas at most (MAX_CORRECTION_M2), so a track whose correction is larger in any
    # model is updated again, one bearing at a time, each re-gated against the state the
    # earlier ones left (see _sequential_bearings): a single bearing's step is bounded by its
    # own innovation, and a bearing that contradicts the others is dropped.
    d = x_new - xs
    m2 = (d[..., None, :] @ (p_inv @ d[..., None]))[..., 0, 0]  # (T, M)
    runaway = (m2 > MAX_CORRECTION_M2).any(axis=1) & (real.sum(axis=1) > 1)
    # A model state near or past the speed of sound has bearing Jacobians of no bound (the
    # sound's travel time, see heard_bearing): A is then too ill-conditioned to invert, its
    # "inverse" is indefinite, and the likelihood taken from it can hand that model all the mode
    # probability. Such a track is updated one bearing at a time too, in covariance form, which
    # takes the measurement's likelihood from the prior and keeps a model's prior when its
    # posterior is not positive definite (_keep_definite): as a lone bearing would have been.
    broken = ~positive_definite(p_post).all(axis=1)
    runaway |= broken
    if runaway.any():
        mu_out, xs_out, ps_out, ll_out = (a.copy() for a in out)
        for t in np.flatnonzero(runaway).tolist():
            k = real[t]
            mu_out[t], xs_out[t], ps_out[t], ll_out[t] = _sequential_bearings(
                mu[t],
                xs[t],
                ps[t],
                sensors[t][k],
                bearings[t][k],
                variances[t][k],
                float(alt[t]),
                float(alt_sigma[t]),
                iterations,
            )
        return mu_out, xs_out, ps_out, ll_out
    return out


def _inverse_or_nan(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """The inverses of a stack of matrices, nan where one is singular (numpy would fail them all).

    The information matrix of a model near or past the speed of sound can be
    singular to rounding (see :func:`heard_bearing`); its nan inverse makes an
    update that is not positive definite, which the caller redoes one bearing
    at a time, while the other tracks of the batch keep their joint update.
    """
    try:
        return np.asarray(np.linalg.inv(a), dtype=np.float64)
    except np.linalg.LinAlgError:
        flat = a.reshape(-1, *a.shape[-2:])
        out = np.full_like(flat, np.nan)
        for i, m in enumerate(flat):
            with contextlib.suppress(np.linalg.LinAlgError):  # a singular one stays nan
                out[i] = np.linalg.inv(m)
        return out.reshape(a.shape)


def _sequential_bearings(
    mu: Vector,
    xs: Matrix,
    ps: NDArray[np.float64],
    sensors: Matrix,
    bearings: Vector,
    variances: Vector,
    alt: float,
    alt_sigma: float,
    iterations: int,
) -> tuple[Vector, Matrix, NDArray[np.float64], float]:
    """One track's bearings folded in one at a time, best fitting first, each re-gated.

    The fallback of :func:`update_bearings_batch` when the joint update ran
    away. Each round scores the remaining bearings against the track's
    combined estimate as the associator does (innovation squared over
    ``h P h' + sigma^2 + (d bearing / d height * height sigma)^2``), applies
    the best one if it is inside :data:`BEARING_GATE` and stops otherwise.
    A one-bearing update moves the estimate by ``d' P^-1 d <= y^2 / s``,
    the bearing's own gated innovation, so no round can run away, and each
    round's covariance is smaller than the prior's, so the whole correction
    is within a few prior sigmas per bearing. (The height's error, common to
    the bearings of an instant, is counted once per bearing here: slightly
    overconfident, in a rare case.)
    """
    left = list(range(len(bearings)))
    ll_total = 0.0
    a_s = np.array([alt_sigma])
    a_h = np.array([alt])
    while left:
        x, p = combine(mu, xs, ps)
        idx = np.array(left)
        theta, h, _, g = heard_bearing(
            x[0] - sensors[idx, 0],
            x[1] - sensors[idx, 1],
            np.full(len(idx), x[2]),
            np.full(len(idx), x[3]),
            alt,
        )
        var = (h @ p * h).sum(axis=1) + variances[idx] + (g * alt_sigma) ** 2
        y = wrap_pi(bearings[idx] - theta)
        with np.errstate(divide="ignore", invalid="ignore"):  # a variance that is not positive: no fit
            nis = np.where(var > 0.0, y * y / var, np.inf)
        best = int(np.argmin(nis))  # the first of equals: input order
        if not nis[best] <= BEARING_GATE:
            break
        k = left.pop(best)
        m, xn, pn, ll = _update_one_bearing(
            mu[None],
            xs[None],
            ps[None],
            sensors[k][None],
            bearings[k : k + 1],
            variances[k : k + 1],
            a_h,
            a_s,
            iterations,
        )
        mu, xs, ps = m[0], xn[0], pn[0]
        ll_total += float(ll[0])
    return mu, xs, ps, ll_total


def _moved_far(x_new: NDArray[np.float64], x_old: NDArray[np.float64], rng: NDArray[np.float64]) -> bool:
    """Whether a correction moved any estimated emission point by a sizeable share of its range.

    The sound heard left the aircraft about ``range / c`` seconds ago, so a
    change of velocity moves the emission point as much as a change of
    position of ``range / c`` times it.
    """
    d = x_new - x_old
    tau = rng / SPEED_OF_SOUND_MPS
    moved = d[..., 0] ** 2 + d[..., 1] ** 2 + tau * tau * (d[..., 2] ** 2 + d[..., 3] ** 2)
    return bool((moved > (RELINEARISE_SHARE * rng) ** 2).any())


def _update_one_bearing(
    mu: NDArray[np.float64],
    xs: NDArray[np.float64],
    ps: NDArray[np.float64],
    sensors: NDArray[np.float64],
    bearings: Vector,
    variances: Vector,
    alt: Vector,
    alt_sigma: Vector,
    iterations: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """:func:`update_bearings_batch` when every track has exactly one bearing (the common case).

    With one bearing the height's error is just extra variance ``s2 g^2``
    and the innovation is a scalar, so the update is the plain covariance
    form, ``K = P h' / s``, with no matrix inverted; the same result as the
    information form, at a third of the calls.
    """
    r = variances[:, None]  # (T, 1)
    s2 = (alt_sigma * alt_sigma)[:, None]
    height = alt[:, None]
    sx, sy = sensors[:, None, 0], sensors[:, None, 1]  # (T, 1)
    z = bearings[:, None]
    x_lin = xs
    for it in range(max(1, iterations)):
        theta, h, rng, g = heard_bearing(
            x_lin[..., 0] - sx, x_lin[..., 1] - sy, x_lin[..., 2], x_lin[..., 3], height
        )  # (T, M), (T, M, 4), (T, M), (T, M)
        y = wrap_pi(z - theta)
        if it:  # innovation about the linearisation point, referred back to the prior (IEKF)
            y = y - (h * (xs - x_lin)).sum(axis=-1)
        ph = (ps @ h[..., None])[..., 0]  # P h'
        var = (h * ph).sum(axis=-1) + r + s2 * g * g
        gain = ph / var[..., None]
        x_new = xs + gain * y[..., None]
        x_lin, x_prev = x_new, x_lin
        if not _moved_far(x_new, x_prev, rng):
            break
    p_post = ps - gain[..., :, None] * ph[..., None, :]
    p_post = 0.5 * (p_post + np.swapaxes(p_post, -1, -2))
    x_new, p_post = _keep_definite(xs, ps, x_new, p_post)
    loglik = -0.5 * (y * y / var + np.log(var) + _LOG_2PI)
    return _reweight(mu, loglik, x_new, p_post)


def update_bearings(
    mu: Vector,
    xs: Matrix,
    ps: NDArray[np.float64],
    sensors: Matrix,
    bearings: Vector,
    variances: Vector,
    alt: float = 0.0,
    alt_sigma: float = 0.0,
    iterations: int = 2,
) -> tuple[Vector, Matrix, NDArray[np.float64], float]:
    """:func:`update_bearings_batch` for one track: ``sensors`` (K, 2), ``bearings``, ``variances`` (K,)."""
    m, x, p, ll = update_bearings_batch(
        mu[None],
        xs[None],
        ps[None],
        sensors[None],
        bearings[None],
        variances[None],
        np.array([alt]),
        np.array([alt_sigma]),
        iterations,
    )
    return m[0], x[0], p[0], float(ll[0])
