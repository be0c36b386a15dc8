"""Plain-float closed forms of the tracker's per-event work when only a few tracks take part.

A replay hears about one bearing per instant, within reach of one or two of
a handful of tracks. At those sizes a numpy call costs about a microsecond
whatever it computes, and the batched forms of :mod:`nadhir.tracking.imm`
and :mod:`nadhir.tracking.associator` make forty to sixty of them; the same
arithmetic on Python floats (a few hundred operations of 30-50 ns) is
several times cheaper. Measured on the ``idlib-twists`` replay (CPU time
per call): scoring an instant's bearings against the tracks 124 -> 31 us,
updating the tracks that took them 154 -> 71 us (a lone bearing's update
of one track about 55 us, with the conversions from and to arrays).

Each function here is the same formula as its batched counterpart, term
for term, so results agree to floating-point rounding (checked in
``tests/tracking/test_imm_paths.py``); the batched forms remain for large
batches (a dense sensor field, hundreds of tracks), where numpy wins.
"""

from __future__ import annotations

import math

from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS

_C2 = SPEED_OF_SOUND_MPS * SPEED_OF_SOUND_MPS
_PI = math.pi
_TWO_PI = 2.0 * math.pi
_LOG_2PI = math.log(2.0 * math.pi)


def heard_bearing(
    dx: float, dy: float, vx: float, vy: float, alt: float
) -> tuple[float, float, float, float, float, float, float]:
    """:func:`nadhir.tracking.imm.heard_bearing` for one aircraft and one sensor, in floats.

    Returns (bearing, the Jacobian's four entries, horizontal range now,
    d bearing / d height).
    """
    a = max(_C2 - (vx * vx + vy * vy), 1.0)  # subsonic
    b = dx * vx + dy * vy
    r2 = dx * dx + dy * dy
    tau = (math.sqrt(b * b + a * (r2 + alt * alt)) - b) / a
    ex, ey = dx - vx * tau, dy - vy * tau
    e2 = max(ex * ex + ey * ey, 1.0)
    gx, gy = ey / e2, -ex / e2
    big_d = max(_C2 * tau + ex * vx + ey * vy, 1.0)
    gv = (gx * vx + gy * vy) / big_d
    hx = gx - gv * ex
    hy = gy - gv * ey
    return math.atan2(ex, ey), hx, hy, -tau * hx, -tau * hy, math.sqrt(r2), -gv * alt


def quadratic(h: tuple[float, float, float, float], p: list[float]) -> float:
    """``h P h'`` for a 4-vector ``h`` and a flat row-major 4x4 ``P``."""
    h0, h1, h2, h3 = h
    hp0 = h0 * p[0] + h1 * p[4] + h2 * p[8] + h3 * p[12]
    hp1 = h0 * p[1] + h1 * p[5] + h2 * p[9] + h3 * p[13]
    hp2 = h0 * p[2] + h1 * p[6] + h2 * p[10] + h3 * p[14]
    hp3 = h0 * p[3] + h1 * p[7] + h2 * p[11] + h3 * p[15]
    return hp0 * h0 + hp1 * h1 + hp2 * h2 + hp3 * h3


def positive_definite(p: list[float]) -> bool:
    """:func:`nadhir.tracking.imm.positive_definite` for one flat row-major 4x4 ``p``, in floats.

    Every LDL' pivot positive and finite.
    """
    d0 = p[0]
    if not 0.0 < d0 < math.inf:
        return False
    l10, l20, l30 = p[4] / d0, p[8] / d0, p[12] / d0
    d1 = p[5] - l10 * l10 * d0
    if not 0.0 < d1 < math.inf:
        return False
    l21 = (p[9] - l20 * l10 * d0) / d1
    l31 = (p[13] - l30 * l10 * d0) / d1
    d2 = p[10] - l20 * l20 * d0 - l21 * l21 * d1
    if not 0.0 < d2 < math.inf:
        return False
    l32 = (p[14] - l30 * l20 * d0 - l31 * l21 * d1) / d2
    d3 = p[15] - l30 * l30 * d0 - l31 * l31 * d1 - l32 * l32 * d2
    return 0.0 < d3 < math.inf


def update_one_bearing(
    mus: list[list[float]],
    xss: list[list[list[float]]],
    pss: list[list[list[float]]],
    bearings: list[tuple[float, float, float, float, float, float]],
    iterations: int,
    relinearise_share: float,
) -> tuple[list[list[float]], list[list[list[float]]], list[list[list[float]]]]:
    """:func:`nadhir.tracking.imm.update_bearings_batch` for tracks with one bearing each, in floats.

    Per track: mode probabilities ``mus[t]`` (M), model states ``xss[t]``
    (M lists of 4), model covariances ``pss[t]`` (M flat row-major lists of
    16), and its bearing ``(sensor x, sensor y, bearing, variance, height,
    height variance)``. Returns the updated three, in the same layout.

    The covariance-form update of ``imm._update_one_bearing``: the height's
    error is extra variance ``s2 g^2``, ``K = P h' / s``; the linearisation
    is refined (iterated EKF) only while some track's correction moved its
    estimated emission point by more than ``relinearise_share`` of its
    range to the sensor: that decision is taken for all tracks together,
    as in the batched form.
    """
    n_models = len(mus[0]) if mus else 0
    sqrt, atan2 = math.sqrt, math.atan2
    x_lin = xss
    # Per track and model: the last iteration's state, innovation, variance and P h'.
    out_x: list[list[list[float]]] = []
    out_y: list[list[float]] = []
    out_var: list[list[float]] = []
    out_ph: list[list[tuple[float, float, float, float]]] = []
    for it in range(max(1, iterations)):
        out_x, out_y, out_var, out_ph = [], [], [], []
        far = False
        for t, (sx, sy, z, r, alt, s2) in enumerate(bearings):
            alt2 = alt * alt
            xs_t, ps_t, lin_t = xss[t], pss[t], x_lin[t]
            new_x: list[list[float]] = []
            ys: list[float] = []
            vs: list[float] = []
            phs: list[tuple[float, float, float, float]] = []
            for m in range(n_models):
                l0, l1, l2, l3 = lin_t[m]
                # heard_bearing(l0 - sx, l1 - sy, l2, l3, alt), written out (a call costs ~1 us)
                dx, dy = l0 - sx, l1 - sy
                a = _C2 - (l2 * l2 + l3 * l3)
                if a < 1.0:
                    a = 1.0
                b = dx * l2 + dy * l3
                tau = (sqrt(b * b + a * ((dx * dx + dy * dy) + alt2)) - b) / a
                ex, ey = dx - l2 * tau, dy - l3 * tau
                e2 = ex * ex + ey * ey
                if e2 < 1.0:
                    e2 = 1.0
                gx, gy = ey / e2, -ex / e2
                big_d = _C2 * tau + ex * l2 + ey * l3
                if big_d < 1.0:
                    big_d = 1.0
                gv = (gx * l2 + gy * l3) / big_d
                h0 = gx - gv * ex
                h1 = gy - gv * ey
                h2 = -tau * h0
                h3 = -tau * h1
                g = -gv * alt
                x0, x1, x2, x3 = xs_t[m]
                y = (z - atan2(ex, ey) + _PI) % _TWO_PI - _PI  # geo.compass.wrap_pi, inlined: a hot loop
                if it:  # innovation about the linearisation point, referred back to the prior (IEKF)
                    y = y - (h0 * (x0 - l0) + h1 * (x1 - l1) + h2 * (x2 - l2) + h3 * (x3 - l3))
                p = ps_t[m]
                ph0 = p[0] * h0 + p[1] * h1 + p[2] * h2 + p[3] * h3
                ph1 = p[4] * h0 + p[5] * h1 + p[6] * h2 + p[7] * h3
                ph2 = p[8] * h0 + p[9] * h1 + p[10] * h2 + p[11] * h3
                ph3 = p[12] * h0 + p[13] * h1 + p[14] * h2 + p[15] * h3
                var = (h0 * ph0 + h1 * ph1 + h2 * ph2 + h3 * ph3) + r + s2 * g * g
                n0 = x0 + ph0 / var * y
                n1 = x1 + ph1 / var * y
                n2 = x2 + ph2 / var * y
                n3 = x3 + ph3 / var * y
                if not far:  # as imm._moved_far: the emission point moves with v by range / c
                    rng = sqrt(dx * dx + dy * dy)
                    d0, d1, d2, d3 = n0 - l0, n1 - l1, n2 - l2, n3 - l3
                    tau = rng / SPEED_OF_SOUND_MPS
                    limit = relinearise_share * rng
                    far = d0 * d0 + d1 * d1 + tau * tau * (d2 * d2 + d3 * d3) > limit * limit
                new_x.append([n0, n1, n2, n3])
                ys.append(y)
                vs.append(var)
                phs.append((ph0, ph1, ph2, ph3))
            out_x.append(new_x)
            out_y.append(ys)
            out_var.append(vs)
            out_ph.append(phs)
        x_lin = out_x
        if not far:
            break
    new_mus: list[list[float]] = []
    new_ps: list[list[list[float]]] = []
    for t in range(len(bearings)):
        ps_t, ph_t, var_t, y_t = pss[t], out_ph[t], out_var[t], out_y[t]
        post: list[list[float]] = []
        loglik: list[float] = []
        for m in range(n_models):
            p = ps_t[m]
            ph0, ph1, ph2, ph3 = ph_t[m]
            var, y = var_t[m], y_t[m]
            g0, g1, g2, g3 = ph0 / var, ph1 / var, ph2 / var, ph3 / var
            # P - K (P h')', made exactly symmetric as the batched form's 0.5 (P + P')
            a01 = 0.5 * ((p[1] - g0 * ph1) + (p[4] - g1 * ph0))
            a02 = 0.5 * ((p[2] - g0 * ph2) + (p[8] - g2 * ph0))
            a03 = 0.5 * ((p[3] - g0 * ph3) + (p[12] - g3 * ph0))
            a12 = 0.5 * ((p[6] - g1 * ph2) + (p[9] - g2 * ph1))
            a13 = 0.5 * ((p[7] - g1 * ph3) + (p[13] - g3 * ph1))
            a23 = 0.5 * ((p[11] - g2 * ph3) + (p[14] - g3 * ph2))
            new_p = [
                0.5 * ((p[0] - g0 * ph0) + (p[0] - g0 * ph0)),
                a01,
                a02,
                a03,
                a01,
                0.5 * ((p[5] - g1 * ph1) + (p[5] - g1 * ph1)),
                a12,
                a13,
                a02,
                a12,
                0.5 * ((p[10] - g2 * ph2) + (p[10] - g2 * ph2)),
                a23,
                a03,
                a13,
                a23,
                0.5 * ((p[15] - g3 * ph3) + (p[15] - g3 * ph3)),
            ]
            if positive_definite(new_p):
                post.append(new_p)
            else:  # as imm._keep_definite: the model keeps its prior, the likelihood stands
                post.append(list(p))
                out_x[t][m] = list(xss[t][m])
            # (a variance that is not positive gives no likelihood, as numpy's log gives nan)
            loglik.append(-0.5 * (y * y / var + math.log(var) + _LOG_2PI) if var > 0.0 else math.nan)
        new_mus.append(reweight(mus[t], loglik))
        new_ps.append(post)
    return new_mus, out_x, new_ps


def reweight(mu: list[float], loglik: list[float]) -> list[float]:
    """Bayes update of mode probabilities, floored at 1e-6 (as ``imm._reweight``)."""
    if any(math.isnan(ll) for ll in loglik):  # as numpy, whose max is then nan: keep the prior
        norm = 0.0
        for v in mu:
            norm += v
        return [v / norm for v in mu]
    top = max(loglik)
    w = [m * math.exp(ll - top) for m, ll in zip(mu, loglik, strict=True)]
    total = 0.0
    for v in w:  # summed in order, as numpy sums four numbers (sum() may compensate)
        total += v
    good = math.isfinite(total) and total > 0.0
    new = [max(v / total, 1e-6) for v in w] if good else list(mu)
    norm = 0.0
    for v in new:
        norm += v
    return [v / norm for v in new]


def update_linear(
    mu: list[float],
    xs: list[list[float]],
    ps: list[list[float]],
    ys: list[tuple[float, float]],
    h: tuple[tuple[float, float, float, float], tuple[float, float, float, float]],
    rs: list[tuple[float, float, float, float]],
) -> tuple[list[float], list[list[float]], list[list[float]]]:
    """:func:`nadhir.tracking.imm.update_linear` for one track and a 2-d measurement, in floats.

    Per model: state ``xs[m]`` (4), covariance ``ps[m]`` (flat row-major 16),
    innovation ``ys[m]`` and noise ``rs[m]`` (2x2 row-major); one 2x4 ``h``
    for all models. ``S = H P H' + R`` inverted in closed form, ``P - K S K'``
    made exactly symmetric, the mode probabilities reweighted by each
    model's likelihood. Written out entry by entry (loops over indices cost
    twice as much). Measured on one track of four models: 36 us for
    ``imm.update_linear``, 19 us for this with the conversions to and from
    arrays.
    """
    (a0, a1, a2, a3), (b0, b1, b2, b3) = h
    new_x: list[list[float]] = []
    new_p: list[list[float]] = []
    loglik: list[float] = []
    for m in range(len(mu)):
        p00, p01, p02, p03, p10, p11, p12, p13, p20, p21, p22, p23, p30, p31, p32, p33 = ps[m]
        # P H' (4 x 2): columns u (first row of H) and v (second)
        u0 = p00 * a0 + p01 * a1 + p02 * a2 + p03 * a3
        u1 = p10 * a0 + p11 * a1 + p12 * a2 + p13 * a3
        u2 = p20 * a0 + p21 * a1 + p22 * a2 + p23 * a3
        u3 = p30 * a0 + p31 * a1 + p32 * a2 + p33 * a3
        v0 = p00 * b0 + p01 * b1 + p02 * b2 + p03 * b3
        v1 = p10 * b0 + p11 * b1 + p12 * b2 + p13 * b3
        v2 = p20 * b0 + p21 * b1 + p22 * b2 + p23 * b3
        v3 = p30 * b0 + p31 * b1 + p32 * b2 + p33 * b3
        r00, r01, r10, r11 = rs[m]
        s00 = (a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3) + r00
        s01 = (a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3) + r01
        s10 = (b0 * u0 + b1 * u1 + b2 * u2 + b3 * u3) + r10
        s11 = (b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3) + r11
        det = s00 * s11 - s01 * s10
        i00, i01, i10, i11 = s11 / det, -s01 / det, -s10 / det, s00 / det
        y0, y1 = ys[m]
        # K = P H' S^-1, rows (k_i0, k_i1)
        k00, k01 = u0 * i00 + v0 * i10, u0 * i01 + v0 * i11
        k10, k11 = u1 * i00 + v1 * i10, u1 * i01 + v1 * i11
        k20, k21 = u2 * i00 + v2 * i10, u2 * i01 + v2 * i11
        k30, k31 = u3 * i00 + v3 * i10, u3 * i01 + v3 * i11
        x0, x1, x2, x3 = xs[m]
        new_x.append(
            [
                x0 + (k00 * y0 + k01 * y1),
                x1 + (k10 * y0 + k11 * y1),
                x2 + (k20 * y0 + k21 * y1),
                x3 + (k30 * y0 + k31 * y1),
            ]
        )
        # P - K (P H')', made exactly symmetric as the batched form's 0.5 (A + A')
        q00 = 0.5 * ((p00 - (k00 * u0 + k01 * v0)) + (p00 - (k00 * u0 + k01 * v0)))
        q11 = 0.5 * ((p11 - (k10 * u1 + k11 * v1)) + (p11 - (k10 * u1 + k11 * v1)))
        q22 = 0.5 * ((p22 - (k20 * u2 + k21 * v2)) + (p22 - (k20 * u2 + k21 * v2)))
        q33 = 0.5 * ((p33 - (k30 * u3 + k31 * v3)) + (p33 - (k30 * u3 + k31 * v3)))
        q01 = 0.5 * ((p01 - (k00 * u1 + k01 * v1)) + (p10 - (k10 * u0 + k11 * v0)))
        q02 = 0.5 * ((p02 - (k00 * u2 + k01 * v2)) + (p20 - (k20 * u0 + k21 * v0)))
        q03 = 0.5 * ((p03 - (k00 * u3 + k01 * v3)) + (p30 - (k30 * u0 + k31 * v0)))
        q12 = 0.5 * ((p12 - (k10 * u2 + k11 * v2)) + (p21 - (k20 * u1 + k21 * v1)))
        q13 = 0.5 * ((p13 - (k10 * u3 + k11 * v3)) + (p31 - (k30 * u1 + k31 * v1)))
        q23 = 0.5 * ((p23 - (k20 * u3 + k21 * v3)) + (p32 - (k30 * u2 + k31 * v2)))
        new_p.append([q00, q01, q02, q03, q01, q11, q12, q13, q02, q12, q22, q23, q03, q13, q23, q33])
        d2 = y0 * (i00 * y0 + i01 * y1) + y1 * (i10 * y0 + i11 * y1)
        # (a covariance that is not positive definite gives no likelihood, as numpy's log gives nan)
        loglik.append(-0.5 * (d2 + math.log(det) + 2 * _LOG_2PI) if det > 0.0 else math.nan)
    return reweight(mu, loglik), new_x, new_p
