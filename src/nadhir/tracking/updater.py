"""Predictor and Updater: move a track to a time, and fold measurements into it.

Measurement models:

* **Sighting** (a spotter's report, located by coordinates, a town or an
  area): the report arrives late (seeing, typing, relaying), so it locates
  the aircraft where it was ``delta`` seconds ago, ``p - delta * v``. A
  known mean delay (``PositionFix.delay_s``) is folded into the measurement
  matrix ``H = [I, -delta I]``; the delay's spread adds
  ``sigma_delta^2 v v'`` along the track to the spotter's own error, whose
  size depends on how the place was given. For spotters the mean is taken
  as zero and only the spread is kept (see ``REPORT_DELAY_S``).
  A report of a formation locates the formation, not each aircraft: each
  member's estimate gets the formation's spread on top.
  Opt-in (``Updater(lateness=...)``): the lateness as a one-sided prior, a few
  hypotheses each updated and weighed (:mod:`nadhir.tracking.lateness`); it did
  not improve the tuning set's warnings (docs/benchmarks.md, "Tenth session").
* **Heading cue**: a velocity pseudo-measurement along the reported
  direction (eight compass points at best), constraining mostly the
  cross-track velocity.
* **Acoustic bearing**: the bearing to where the sound now heard was
  emitted, with the exact travel delay (see :func:`nadhir.tracking.imm.heard_bearing`);
  simultaneous bearings of one track are fused in one iterated update.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from nadhir.tracking import imm, kalman, scalar
from nadhir.tracking.lateness import LatenessPrior
from nadhir.tracking.measurements import (
    REPORT_DELAY_S,
    BearingFix,
    PositionFix,
)
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.ring import RingPrior
from nadhir.tracking.track import Track

# Aircraft of a formation fly up to a few kilometres apart; one report places them all.
FORMATION_SPREAD_M = 1500.0
# Up to this many tracks with one bearing each are updated in plain floats (see
# :mod:`nadhir.tracking.scalar`); beyond it the batched numpy form is cheaper.
SCALAR_MAX_TRACKS = 4
# A heading cue's speed is unknown; keep it between these fractions of the type's cruise speed.
_VELOCITY_ROWS = ((0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0))


def delayed_h(delay_s: float) -> kalman.Matrix:
    """Measurement matrix of a position reported ``delay_s`` seconds late: ``p - delay * v``."""
    return np.array([[1.0, 0.0, -delay_s, 0.0], [0.0, 1.0, 0.0, -delay_s]])


_REPORT_H = delayed_h(REPORT_DELAY_S)
_EYE2 = np.eye(2)


def _report_h(fix: PositionFix) -> kalman.Matrix:
    return _REPORT_H if fix.delay_s == REPORT_DELAY_S else delayed_h(fix.delay_s)


def position_variance(fix: PositionFix, members: int = 1) -> float:
    """Variance (per axis) of where a sighting puts the aircraft, before the delay's spread.

    The place's own uncertainty (``sigma_m``: coordinates, a town, an area,
    as intake judged it), plus a formation's spread when it reports several.
    """
    var = fix.sigma_m * fix.sigma_m
    if members > 1 or fix.count > 1:
        var += FORMATION_SPREAD_M * FORMATION_SPREAD_M
    return var


class Predictor:
    """IMM prediction with the track's type-dependent models.

    ``coast_straight_s`` (off by default) is a coasting prediction: once a
    track has gone that many seconds without a measurement, its turn models
    fly straight with the manoeuvre model's noise. Without it, every
    prediction step mixes the left and right turn models' rotated
    velocities back into the straight one, and a coasting jet's estimated
    speed falls from 200 to 116 m/s in a minute (a helicopter's from 60 to
    39 m/s in 30 s). It improves tracking_eval's OSPA (-125 m, standard
    error 46 m, 36 scenarios) and its pooled warnings, but costs the public
    scenarios' warned share (0.94 -> 0.87), so it is not the default; see
    docs/benchmarks.md, Tracking.
    """

    def __init__(self, coast_straight_s: float | None = None) -> None:
        self.coast_straight_s = coast_straight_s

    def _straight_turns(self, track: Track, t: float) -> bool:
        return self.coast_straight_s is not None and t - track.last_update > self.coast_straight_s

    def predict(self, track: Track, t: float) -> None:
        """Move the track's state to time ``t`` (never backwards)."""
        dt = t - track.t
        if dt <= 0:
            return
        mu, xs, ps = imm.predict(
            track.mu, track.xs, track.ps, dt, track.profile, self._straight_turns(track, t)
        )
        track.set_models(mu, xs, ps)
        track.t = t

    def predict_all(self, tracks: Sequence[Track], t: float) -> None:
        """Move every track to ``t`` in one batched IMM step (tracks already there are left alone)."""
        moving = [tr for tr in tracks if t > tr.t]
        if not moving:
            return
        if len(moving) == 1:
            self.predict(moving[0], t)
            return
        if self.coast_straight_s is None:  # (the default: no per-track test in this hot loop)
            packed = [imm.step_models(tr.profile, t - tr.t).packed for tr in moving]
        else:
            packed = [
                imm.step_models(tr.profile, t - tr.t, self._straight_turns(tr, t)).packed for tr in moving
            ]
        f, q, pi, ft = imm.unpack_steps(np.array(packed))
        mu, xs, ps = imm.predict_batch(
            np.array([tr.mu for tr in moving]),
            np.array([tr.xs for tr in moving]),
            np.array([tr.ps for tr in moving]),
            f,
            q,
            pi,
            ft,
        )
        _scatter(moving, mu, xs, ps)
        for tr in moving:
            tr.t = t


class Updater:
    """IMM updates for sightings, heading cues and acoustic bearings.

    ``lateness`` (off by default) replaces the Gaussian lateness of a
    spotter's report (``PositionFix.delay_s``, ``delay_sigma_s``) by a
    one-sided prior cut into a few hypotheses (:mod:`nadhir.tracking.lateness`):
    each model of the track is updated under every hypothesis, weighed by
    how well it explains the report, and collapsed again. A report well
    behind a fast track then reads as a late one instead of dragging the
    track back. Sensor fixes (no lateness spread) keep the plain update.

    ``ring`` (off by default) is the type's speed, folded into a track whose
    direction is known but whose speed is vaguer than its type's
    (:mod:`nadhir.tracking.ring`; the tracker applies it after each step's updates).
    """

    def __init__(self, lateness: LatenessPrior | None = None, ring: RingPrior | None = None) -> None:
        self.lateness = lateness
        self.ring = ring

    def update_position(self, track: Track, fix: PositionFix, members: int = 1) -> None:
        """Fold a sighting's position (and heading cue) into the track."""
        self.update_positions([(track, fix, members)])

    def update_positions(self, pairs: Sequence[tuple[Track, PositionFix, int]]) -> None:
        """Sightings folded into distinct tracks at once: (track, sighting, formation size) triples."""
        if not pairs:
            return
        if self.lateness is not None:
            prior = self.lateness
            taken = [f.delay_sigma_s > 0.0 and prior.applies_to(f.type_likelihood) for _, f, _ in pairs]
            late = [pair for pair, t in zip(pairs, taken, strict=True) if t]
            if late:
                _lateness_update(late, prior)
                for tr, f, _ in late:
                    if f.heading_rad is not None:
                        self.update_heading(tr, f.heading_rad, f.heading_sigma_rad)
                pairs = [pair for pair, t in zip(pairs, taken, strict=True) if not t]
                if not pairs:
                    return
        tracks = [tr for tr, _, _ in pairs]
        if len(pairs) <= SCALAR_MAX_TRACKS:
            states = [_sighting_update_small(tr, f, k) for tr, f, k in pairs]
            _scatter(
                tracks,
                np.array([m for m, _, _ in states]),
                np.array([x for _, x, _ in states]),
                np.array([p for _, _, p in states]).reshape(len(pairs), imm.N_MODELS, 4, 4),
            )
        else:
            xs = np.array([tr.xs for tr in tracks])  # (N, M, 4)
            hm = np.array([_report_h(f) for _, f, _ in pairs])  # (N, 2, 4)
            z = np.array([(f.x, f.y) for _, f, _ in pairs])
            y = z[:, None, :] - np.einsum("nij,nmj->nmi", hm, xs)
            var = np.array([position_variance(f, k) for _, f, k in pairs])
            d2 = np.array([f.delay_sigma_s**2 for _, f, _ in pairs])
            v = xs[:, :, 2:]  # (N, M, 2): the delay's spread lies along each model's velocity
            r = d2[:, None, None, None] * v[..., :, None] * v[..., None, :] + var[:, None, None, None] * _EYE2
            # (N, 1, 2, 4): every model of a track shares its H, and the matrix products broadcast
            # it over the models as np.broadcast_to would (the same stride-0 view, without its cost).
            h = hm[:, None, :, :]
            mu, xs_new, ps, _ = imm.update_linear(
                np.array([tr.mu for tr in tracks]), xs, np.array([tr.ps for tr in tracks]), y, h, r
            )
            _scatter(tracks, mu, xs_new, ps)
        for tr, f, _ in pairs:
            if f.heading_rad is not None:
                self.update_heading(tr, f.heading_rad, f.heading_sigma_rad)

    def update_bearings_many(self, work: Sequence[tuple[Track, Sequence[BearingFix]]]) -> None:
        """Each track's simultaneous bearings, all tracks in one batched update (padded to the longest).

        Bearings of several instants (a window's batch, ``Stepper.window_s``) are folded in one
        instant at a time, oldest first: one joint update of a track's bearings of several seconds
        trips the runaway guard of :func:`imm.update_bearings_batch` (their spread in time is not
        in the Jacobian, see :func:`_sensors`) and falls back to one bearing at a time.
        """
        if not work:
            return
        instants = _instants(fixes for _, fixes in work)
        if instants is not None:
            for t in instants:
                self.update_bearings_many(
                    [(tr, now) for tr, fixes in work if (now := [f for f in fixes if f.t == t])]
                )
            return
        if len(work) <= SCALAR_MAX_TRACKS and all(len(f) == 1 for _, f in work):
            self._update_lone_bearings(work)
            return
        n, k = len(work), max(len(f) for _, f in work)
        sensors = np.zeros((n, k, 2))
        bearings = np.zeros((n, k))
        variances = np.full((n, k), np.inf)
        for i, (tr, fixes) in enumerate(work):
            sensors[i, : len(fixes)] = _sensors(tr, fixes)
            bearings[i, : len(fixes)] = [f.bearing_rad for f in fixes]
            variances[i, : len(fixes)] = [f.sigma_rad * f.sigma_rad for f in fixes]
        tracks = [tr for tr, _ in work]
        profiles = [tr.profile for tr in tracks]
        mu, xs, ps, _ = imm.update_bearings_batch(
            np.array([tr.mu for tr in tracks]),
            np.array([tr.xs for tr in tracks]),
            np.array([tr.ps for tr in tracks]),
            sensors,
            bearings,
            variances,
            np.array([p.altitude_m for p in profiles]),
            np.array([p.altitude_sigma_m for p in profiles]),
        )
        _scatter(tracks, mu, xs, ps)

    @staticmethod
    def _update_lone_bearings(work: Sequence[tuple[Track, Sequence[BearingFix]]]) -> None:
        """:meth:`update_bearings_many` for a few tracks with one bearing each, in plain floats."""
        tracks = [tr for tr, _ in work]
        bearings = []
        for tr, fixes in work:
            f, prof = fixes[0], tr.profile
            sigma = float(f.sigma_rad)
            ((sx, sy),) = _sensors(tr, fixes)
            bearings.append(
                (
                    float(sx),
                    float(sy),
                    float(f.bearing_rad),
                    sigma * sigma,
                    prof.altitude_m,
                    prof.altitude_sigma_m * prof.altitude_sigma_m,
                )
            )
        mus, xs, ps = scalar.update_one_bearing(
            [tr.mu.tolist() for tr in tracks],
            [tr.xs.tolist() for tr in tracks],
            [tr.ps.reshape(imm.N_MODELS, 16).tolist() for tr in tracks],
            bearings,
            iterations=2,
            relinearise_share=imm.RELINEARISE_SHARE,
        )
        _scatter(tracks, np.array(mus), np.array(xs), np.array(ps).reshape(len(tracks), imm.N_MODELS, 4, 4))

    def update_heading(self, track: Track, heading_rad: float, sigma_rad: float) -> None:
        """A direction-of-travel cue, as a velocity pseudo-measurement along that heading.

        The speed of the pseudo-measurement is the track's own when it is well
        known, otherwise the type's cruise speed; the cue constrains mostly the
        cross-track velocity.
        """
        prof = PROFILES[track.aircraft]
        speed_sigma = math.sqrt(max(1.0, float(track.p[2, 2] + track.p[3, 3])))
        speed = track.speed if speed_sigma < 0.5 * max(track.speed, 1.0) else prof.cruise_mps
        speed = max(speed, 0.5 * prof.cruise_mps)
        ux, uy = math.sin(heading_rad), math.cos(heading_rad)
        along = max(prof.speed_sigma_mps, 0.5 * speed_sigma)
        cross = max(5.0, speed * math.sin(min(sigma_rad, 1.2)))
        # rot diag(along^2, cross^2) rot', rot = [[ux, -uy], [uy, ux]] (columns: along, cross)
        al2, cr2 = along * along, cross * cross
        r = (
            ux * al2 * ux + (-uy) * cr2 * (-uy),
            ux * al2 * uy + (-uy) * cr2 * ux,
            uy * al2 * ux + ux * cr2 * (-uy),
            uy * al2 * uy + ux * cr2 * ux,
        )
        zx, zy = speed * ux, speed * uy
        xs = track.xs.tolist()
        mu, xs_new, ps = scalar.update_linear(
            track.mu.tolist(),
            xs,
            track.ps.reshape(imm.N_MODELS, 16).tolist(),
            [(zx - x[2], zy - x[3]) for x in xs],
            _VELOCITY_ROWS,
            [r] * imm.N_MODELS,
        )
        track.set_models(np.array(mu), np.array(xs_new), np.array(ps).reshape(imm.N_MODELS, 4, 4))

    def update_bearings(self, track: Track, fixes: Sequence[BearingFix]) -> None:
        """Joint iterated-EKF update with the simultaneous bearings assigned to this track (those of
        several instants one instant at a time, as :meth:`update_bearings_many`)."""
        instants = _instants([fixes])
        if instants is not None:
            for t in instants:
                self.update_bearings(track, [f for f in fixes if f.t == t])
            return
        sensors = np.array(_sensors(track, fixes))
        bearings = np.array([f.bearing_rad for f in fixes])
        variances = np.array([f.sigma_rad * f.sigma_rad for f in fixes])
        prof = track.profile
        mu, xs, ps, _ = imm.update_bearings(
            track.mu, track.xs, track.ps, sensors, bearings, variances, prof.altitude_m, prof.altitude_sigma_m
        )
        track.set_models(mu, xs, ps)


def _instants(groups: Iterable[Sequence[BearingFix]]) -> list[float] | None:
    """The distinct times of the fixes, oldest first, or None when they are all of one instant."""
    times = {f.t for fixes in groups for f in fixes}
    return sorted(times) if len(times) > 1 else None


def _sensors(track: Track, fixes: Sequence[BearingFix]) -> list[tuple[float, float]]:
    """The fixes' sensor positions, each moved by the track's velocity times the time from the
    fix to the track (a window's batch, ``Stepper.window_s``: a bearing heard a few seconds before
    the step looked at the aircraft where it was then; the relative geometry is the same). With
    every fix at the track's time, the default, the positions as they are.

    (The velocity is the track's combined estimate, and the shift is a constant of the update: the
    bearing's dependence on velocity through it is left out of the Jacobian, a few seconds' worth
    beside the sound's tens of seconds of travel.)
    """
    t = track.t
    if all(f.t == t for f in fixes):
        return [(f.sx, f.sy) for f in fixes]
    _, _, vx, vy = track.x.tolist()
    return [(f.sx - vx * (f.t - t), f.sy - vy * (f.t - t)) for f in fixes]


def _sighting_update_small(
    track: Track, fix: PositionFix, members: int
) -> tuple[list[float], list[list[float]], list[list[float]]]:
    """One sighting's IMM update of one track in plain floats (see :func:`scalar.update_linear`).

    The late report's ``H = [I, -delay I]``; its noise per model is the spotter's position variance
    plus the delay's spread along that model's velocity (``var I + sigma_delay^2 v v^T``).
    """
    d = float(fix.delay_s)
    h = ((1.0, 0.0, -d, 0.0), (0.0, 1.0, 0.0, -d))
    var = position_variance(fix, members)
    d2 = float(fix.delay_sigma_s) ** 2
    zx, zy = float(fix.x), float(fix.y)
    xs = track.xs.tolist()
    ys = []
    rs = []
    for x0, x1, vx, vy in xs:
        ys.append((zx - (x0 - d * vx), zy - (x1 - d * vy)))
        rs.append((var + d2 * vx * vx, d2 * vx * vy, d2 * vx * vy, var + d2 * vy * vy))
    return scalar.update_linear(track.mu.tolist(), xs, track.ps.reshape(imm.N_MODELS, 16).tolist(), ys, h, rs)


def _lateness_update(pairs: Sequence[tuple[Track, PositionFix, int]], prior: LatenessPrior) -> None:
    """Sightings folded into distinct tracks, each model updated under every lateness hypothesis.

    Model ``m`` under hypothesis ``k`` (lateness ``tau_k``, spread ``s_k`` within its bin) sees
    ``z = p - (d + tau_k) v`` with noise ``var I + s_k^2 v v'`` (``d``: the fix's own known mean
    delay, 0 for a spotter). The model-hypothesis pairs are updated as one mixture with prior
    weights ``mu_m w_k``, which gives each pair's posterior weight; each model's hypotheses are
    then collapsed (moment-matched), and the model's probability is the sum of its pairs'.
    """
    tracks = [tr for tr, _, _ in pairs]
    n, m_count, k_count = len(pairs), imm.N_MODELS, len(prior.means_s)
    taus = np.array(prior.means_s)
    spreads2 = np.array(prior.sigmas_s) ** 2
    weights = np.array(prior.weights)
    xs = np.array([tr.xs for tr in tracks])  # (N, M, 4)
    ps = np.array([tr.ps for tr in tracks])  # (N, M, 4, 4)
    mu = np.array([tr.mu for tr in tracks])  # (N, M)
    delay = np.array([f.delay_s for _, f, _ in pairs])[:, None, None] + taus[None, None, :]  # (N, 1, K)
    z = np.array([(f.x, f.y) for _, f, _ in pairs])
    var = np.array([position_variance(f, k) for _, f, k in pairs])
    v = xs[:, :, None, 2:]  # (N, M, 1, 2)
    y = z[:, None, None, :] - (xs[:, :, None, :2] - delay[..., None] * v)  # (N, M, K, 2)
    r = spreads2[None, None, :, None, None] * v[..., :, None] * v[..., None, :] + (
        var[:, None, None, None, None] * _EYE2
    )  # (N, M, K, 2, 2)
    h = np.zeros((n, 1, k_count, 2, 4))
    h[..., 0, 0] = h[..., 1, 1] = 1.0
    h[..., 0, 2] = h[..., 1, 3] = -delay
    flat = m_count * k_count
    joint, xs_k, ps_k, _ = imm.update_linear(
        (mu[:, :, None] * weights[None, None, :]).reshape(n, flat),
        np.broadcast_to(xs[:, :, None, :], (n, m_count, k_count, 4)).reshape(n, flat, 4),
        np.broadcast_to(ps[:, :, None], (n, m_count, k_count, 4, 4)).reshape(n, flat, 4, 4),
        y.reshape(n, flat, 2),
        np.broadcast_to(h, (n, m_count, k_count, 2, 4)).reshape(n, flat, 2, 4),
        r.reshape(n, flat, 2, 2),
    )
    joint = joint.reshape(n, m_count, k_count)
    mu_new = joint.sum(axis=2)  # (N, M)
    within = joint / mu_new[:, :, None]  # each model's hypotheses, given the model
    xs_k = xs_k.reshape(n, m_count, k_count, 4)
    ps_k = ps_k.reshape(n, m_count, k_count, 4, 4)
    xs_new = np.einsum("nmk,nmki->nmi", within, xs_k)
    dev = xs_k - xs_new[:, :, None, :]
    ps_new = np.einsum("nmk,nmkij->nmij", within, ps_k + dev[..., :, None] * dev[..., None, :])
    _scatter(tracks, mu_new, xs_new, 0.5 * (ps_new + np.swapaxes(ps_new, -1, -2)))


def _scatter(
    tracks: Sequence[Track], mu: NDArray[np.float64], xs: NDArray[np.float64], ps: NDArray[np.float64]
) -> None:
    """Hand a batch's IMM states back to their tracks, with their combined estimates."""
    x, p = imm.combine(mu, xs, ps)
    for i, tr in enumerate(tracks):
        tr.mu, tr.xs, tr.ps, tr.x, tr.p = mu[i], xs[i], ps[i], x[i], p[i]
