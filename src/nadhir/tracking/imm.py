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

import math

import numpy as np
from numpy.typing import NDArray

from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS
from nadhir.tracking.motion import MODEL_NAMES, MotionProfile

Vector = NDArray[np.float64]
Matrix = NDArray[np.float64]

N_MODELS = len(MODEL_NAMES)
# Where a new track starts: most aircraft fly straight most of the time.
INITIAL_MODE_PROBS: Vector = np.array([0.7, 0.1, 0.1, 0.1])
_EYE4 = np.eye(4)
_LOG_2PI = math.log(2.0 * math.pi)


def transition_matrices(profile: MotionProfile, dt: float, q_scale: float = 1.0) -> tuple[Matrix, Matrix]:
    """Per-model transition ``F`` (M, 4, 4) and process noise ``Q`` (M, 4, 4) over ``dt`` seconds."""
    f = np.tile(_EYE4, (N_MODELS, 1, 1))
    f[:, 0, 2] = dt
    f[:, 1, 3] = dt
    for m, omega in ((1, profile.turn_rate), (2, -profile.turn_rate)):
        wt = omega * dt
        s, c = math.sin(wt), math.cos(wt)
        f[m, 0, 2] = s / omega
        f[m, 0, 3] = -(1.0 - c) / omega
        f[m, 1, 2] = (1.0 - c) / omega
        f[m, 1, 3] = s / omega
        f[m, 2, 2] = c
        f[m, 2, 3] = -s
        f[m, 3, 2] = s
        f[m, 3, 3] = c
    dt2, dt3 = dt * dt, dt * dt * dt
    base = np.array(
        [
            [dt3 / 3.0, 0.0, dt2 / 2.0, 0.0],
            [0.0, dt3 / 3.0, 0.0, dt2 / 2.0],
            [dt2 / 2.0, 0.0, dt, 0.0],
            [0.0, dt2 / 2.0, 0.0, dt],
        ]
    )
    qs = np.array([profile.quiet_noise, profile.quiet_noise, profile.quiet_noise, profile.accel_noise])
    q = base[None, :, :] * (qs * q_scale)[:, None, None]
    return f, q


def switching_matrix(profile: MotionProfile, dt: float) -> Matrix:
    """Markov mode-transition probabilities ``pi[i, j]`` (from i to j) over ``dt`` seconds."""
    sojourn = np.array([profile.straight_s, profile.turn_s, profile.turn_s, profile.manoeuvre_s])
    stay = np.exp(-dt / sojourn)
    leave = (1.0 - stay) / (N_MODELS - 1)
    pi = np.repeat(leave[:, None], N_MODELS, axis=1)
    np.fill_diagonal(pi, stay)
    return pi


def combine(mu: Vector, xs: Matrix, ps: NDArray[np.float64]) -> tuple[Vector, Matrix]:
    """Moment-matched single Gaussian of the model mixture."""
    x: Vector = mu @ xs
    d = xs - x
    p: Matrix = np.einsum("m,mij->ij", mu, ps) + (d.T * mu) @ d
    return x, p


def predict(
    mu: Vector, xs: Matrix, ps: NDArray[np.float64], dt: float, profile: MotionProfile
) -> tuple[Vector, Matrix, NDArray[np.float64]]:
    """IMM mixing followed by each model's prediction ``dt`` seconds ahead."""
    pi = switching_matrix(profile, dt)
    c = mu @ pi
    c = np.maximum(c, 1e-12)
    w = pi * mu[:, None] / c[None, :]  # w[i, j]: weight of model i in model j's mixed start
    x0 = w.T @ xs
    dx = xs[:, None, :] - x0[None, :, :]
    p0 = np.einsum("ij,ikl->jkl", w, ps) + np.einsum("ij,ijk,ijl->jkl", w, dx, dx)
    f, q = transition_matrices(profile, dt)
    xs_new = np.einsum("mij,mj->mi", f, x0)
    ps_new = f @ p0 @ f.transpose(0, 2, 1) + q
    return c / c.sum(), xs_new, ps_new


def update_linear(
    mu: Vector,
    xs: Matrix,
    ps: NDArray[np.float64],
    y: Matrix,
    h: NDArray[np.float64],
    r: NDArray[np.float64],
) -> tuple[Vector, Matrix, NDArray[np.float64], float]:
    """Kalman update of every model with innovations ``y`` (M, d), Jacobians ``h`` (M, d, 4), noise ``r``.

    ``r`` is (d, d) or (M, d, d). Returns the new mode probabilities, states,
    covariances (Joseph form) and the log-likelihood of the measurement under
    the mixture.
    """
    ht = h.transpose(0, 2, 1)
    s = h @ ps @ ht + r
    s_inv = np.linalg.inv(s)
    k = ps @ ht @ s_inv
    xs_new = xs + np.einsum("mij,mj->mi", k, y)
    ikh = _EYE4 - k @ h
    ps_new = ikh @ ps @ ikh.transpose(0, 2, 1) + k @ r @ k.transpose(0, 2, 1)
    d2 = np.einsum("mi,mij,mj->m", y, s_inv, y)
    _, logdet = np.linalg.slogdet(s)
    loglik = -0.5 * (d2 + logdet + y.shape[1] * _LOG_2PI)
    return _reweight(mu, loglik, xs_new, ps_new)


def _reweight(
    mu: Vector, loglik: Vector, xs: Matrix, ps: NDArray[np.float64]
) -> tuple[Vector, Matrix, NDArray[np.float64], float]:
    top = float(loglik.max())
    w = mu * np.exp(loglik - top)
    total = float(w.sum())
    if not math.isfinite(total) or total <= 0.0:
        return mu, xs, ps, top
    mu_new = np.maximum(w / total, 1e-6)
    return mu_new / mu_new.sum(), xs, ps, top + math.log(total)


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
    c = SPEED_OF_SOUND_MPS
    a = np.maximum(c * c - (vx * vx + vy * vy), 1.0)  # subsonic
    b = dx * vx + dy * vy
    r2 = dx * dx + dy * dy
    h2 = np.asarray(alt) ** 2
    tau = (-b + np.sqrt(b * b + a * (r2 + h2))) / a
    ex, ey = dx - vx * tau, dy - vy * tau
    e2 = np.maximum(ex * ex + ey * ey, 1.0)
    gx, gy = ey / e2, -ex / e2
    big_d = np.maximum(c * c * tau + ex * vx + ey * vy, 1.0)
    gv = (gx * vx + gy * vy) / big_d
    hx, hy = gx - gv * ex, gy - gv * ey
    h = np.stack([hx, hy, -tau * hx, -tau * hy], axis=-1)
    return np.arctan2(ex, ey), h, np.sqrt(r2), -gv * np.asarray(alt)


def wrap(angle: NDArray[np.float64]) -> NDArray[np.float64]:
    """Wrap angles in radians into [-pi, pi)."""
    out: NDArray[np.float64] = (angle + math.pi) % (2.0 * math.pi) - math.pi
    return out


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
    """Joint iterated-EKF update of every model with K simultaneous bearings.

    ``sensors`` is (K, 2), ``bearings`` and ``variances`` (K,); ``alt`` is the
    aircraft's assumed height and ``alt_sigma`` its spread. A wrong height
    shifts every bearing of the instant through the sound's travel time, so
    it enters as one error common to all K bearings (a rank-one term of the
    measurement covariance), which keeps fifty bearings from a dense sensor
    field from claiming fifty independent looks. The update is
    done in information form, so its cost does not grow with K beyond the
    Jacobians: ``A = P^-1 + H' R^-1 H``, ``x+ = x + A^-1 H' R^-1 y``. The
    linearisation point is refined ``iterations - 1`` times (Gauss-Newton),
    which matters when a vague track meets several sharp bearings at once.
    """
    p_inv = np.linalg.inv(ps)
    r_diag_inv = 1.0 / variances
    s2 = alt_sigma * alt_sigma
    x_lin = xs
    for _ in range(max(1, iterations)):
        dx = x_lin[:, None, 0] - sensors[None, :, 0]
        dy = x_lin[:, None, 1] - sensors[None, :, 1]
        # (M, K) bearings, (M, K, 4) Jacobians, (M, K) sensitivities to the height
        theta, h, _, g = heard_bearing(dx, dy, x_lin[:, None, 2], x_lin[:, None, 3], alt)
        # Innovation about the linearisation point, referred back to the prior (IEKF).
        y = wrap(bearings[None, :] - theta) - np.einsum("mki,mi->mk", h, xs - x_lin)
        # R = D + s2 g g': the unknown height errs the same way for every bearing of the
        # instant, so it is one correlated error, not K independent ones (Sherman-Morrison).
        dg = g * r_diag_inv[None, :]  # D^-1 g, (M, K)
        gamma = s2 / (1.0 + s2 * np.einsum("mk,mk->m", g, dg))  # (M,)
        hw = h * r_diag_inv[None, :, None]  # D^-1 H
        hdg = np.einsum("mki,mk->mi", h, dg)  # H' D^-1 g, (M, 4)
        a = p_inv + hw.transpose(0, 2, 1) @ h - gamma[:, None, None] * hdg[:, :, None] * hdg[:, None, :]
        ydg = np.einsum("mk,mk->m", y, dg)
        b = np.einsum("mki,mk->mi", hw, y) - gamma[:, None] * hdg * ydg[:, None]  # H' R^-1 y
        p_post = np.linalg.inv(a)
        x_new = xs + np.einsum("mij,mj->mi", p_post, b)
        x_lin = x_new
    p_post = 0.5 * (p_post + p_post.transpose(0, 2, 1))
    # Likelihood of y under S = H P H' + R, by the Woodbury identity and the determinant lemma.
    y_rinv_y = np.einsum("mk,k,mk->m", y, r_diag_inv, y) - gamma * ydg * ydg
    d2 = y_rinv_y - np.einsum("mi,mij,mj->m", b, p_post, b)
    _, logdet_p = np.linalg.slogdet(ps)
    _, logdet_a = np.linalg.slogdet(a)
    logdet_r = float(np.log(variances).sum()) + np.log1p(s2 * np.einsum("mk,mk->m", g, dg))
    logdet_s = logdet_r + logdet_p + logdet_a
    loglik = -0.5 * (d2 + logdet_s + len(bearings) * _LOG_2PI)
    return _reweight(mu, loglik, x_new, p_post)
