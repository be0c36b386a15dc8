"""Associator: which measurement belongs to which track.

Each measurement is scored against each live track by the negative log
likelihood of its innovation, plus a penalty when the measurement's aircraft
type disagrees with the track's (a helicopter report does not update a jet
track unless the track's type is itself uncertain). Pairs outside the gate
are impossible. Measurements from one source at one instant are distinct
aircraft, so each source's group is assigned one-to-one, globally, with
``scipy.optimize.linear_sum_assignment``: two aircraft flying close together
each keep their own measurements. Different sources may all see the same
aircraft, so sources are assigned independently of each other.

Acoustic bearings come in thousands a second from a large sensor field, so
they are scored all at once as arrays, and only against the tracks a sensor
could possibly hear: every track is entered in the cells of a coarse grid
that its audible range (plus two sigma of its position) touches, and a
bearing is scored against the tracks in its sensor's cell. The range gate
rejects every other pair anyway, so the grid changes no result, only the
time taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from nadhir.geo.compass import wrap_pi
from nadhir.tracking import imm, scalar
from nadhir.tracking.assignment import assign
from nadhir.tracking.bearing_rate import BearingRateGate, BearingRates, TrackMotion
from nadhir.tracking.measurements import BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Updater, position_variance

POSITION_GATE = 13.8  # chi-square, 2 dof, 99.9 %
BEARING_GATE = imm.BEARING_GATE  # chi-square, 1 dof, 99.9 %
HEADING_GATE = 10.8  # chi-square, 1 dof, 99.9 %, on a sighting's heading against the track's course
MIN_TYPE_AGREEMENT = 0.15
GRID_CELL_M = 10_000.0
# Below this many tracks every pair is scored directly: building the grid costs more.
GRID_MIN_TRACKS = 24
# Up to this many (bearing, track) pairs are scored in plain floats (see nadhir.tracking.scalar):
# a replay's usual instant, one or two bearings and a handful of tracks.
SCALAR_MAX_PAIRS = 64
_IMPOSSIBLE = 1e9
_AUDIBLE = np.array([PROFILES[k].audible_m for k in TRACK_TYPES])
_AUDIBLE_LIST = [PROFILES[k].audible_m for k in TRACK_TYPES]
_NO_PAIRS: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
_NO_COSTS: NDArray[np.float64] = np.zeros(0)


class Associator:
    """Gating and global nearest-neighbour assignment."""

    def __init__(self, updater: Updater, rate: BearingRateGate | None = None) -> None:
        self._updater = updater
        # Opt-in: a node's bearing that turns faster than a track could turn it is not that track's.
        self._rates = BearingRates(rate) if rate is not None else None
        # How many bearings of the last batch fell in each track's gate.
        self.last_gated_per_track: list[int] = []
        # The (bearing, track) index pairs of the last batch the rate test took out of the gate.
        self.last_rate_refused: list[tuple[int, int]] = []

    # -- sightings --------------------------------------------------------------------------

    def sighting_cost(self, track: Track, m: PositionFix) -> float | None:
        """Association cost of a sighting to a (predicted) track, or None outside the gate.

        The cost of :meth:`sighting_costs`, for one pair, in plain floats.
        """
        cost = sighting_costs_small([track], [m])[0][0]
        return None if cost >= _IMPOSSIBLE else cost

    def assign_sightings(self, tracks: Sequence[Track], batch: Sequence[PositionFix]) -> list[int | None]:
        """For each sighting, the index of its track in ``tracks`` or None (one-to-one per source)."""
        out: list[int | None] = [None] * len(batch)
        if not tracks or not batch:
            return out
        if len(tracks) * len(batch) <= SCALAR_MAX_PAIRS:
            costs = np.array(sighting_costs_small(tracks, batch))
        else:
            costs = self.sighting_costs(tracks, batch)
        for members in _groups_by_source(batch).values():
            _assign_group(costs[members], members, out)
        return out

    def sighting_costs(self, tracks: Sequence[Track], batch: Sequence[PositionFix]) -> NDArray[np.float64]:
        """(sightings x tracks) association costs, ``_IMPOSSIBLE`` outside the gate; vectorised.

        The same quantities as :meth:`sighting_cost`: the late report's
        innovation ``z - (p - delay v)`` against ``H P H' + R``, the heading
        cue against the track's course, and the type agreement.
        """
        x = np.array([t.x for t in tracks])  # (T, 4)
        p = np.array([t.p for t in tracks])  # (T, 4, 4)
        probs = np.array([t.type_probs for t in tracks])
        cols = np.array(
            [
                (
                    *m.type_likelihood,
                    m.delay_s,
                    m.delay_sigma_s**2,
                    position_variance(m),
                    m.x,
                    m.y,
                    np.nan if m.heading_rad is None else m.heading_rad,
                    m.heading_sigma_rad**2,
                )
                for m in batch
            ]
        )  # (S, 10)
        likes = cols[:, :3]
        agreement = (likes @ probs.T) / likes.max(axis=1)[:, None]  # (S, T)
        delay, dsig2, var, zx, zy = (cols[:, k : k + 1] for k in range(3, 8))
        heading, hsig2 = cols[:, 8:9], cols[:, 9:10]
        vx, vy = x[None, :, 2], x[None, :, 3]
        yx = zx - (x[None, :, 0] - delay * vx)
        yy = zy - (x[None, :, 1] - delay * vy)
        # S = P_pp - d (P_pv + P_vp) + d^2 P_vv + var I + dsig^2 v v'
        pxx = (
            p[None, :, 0, 0]
            - 2 * delay * p[None, :, 0, 2]
            + delay**2 * p[None, :, 2, 2]
            + var
            + dsig2 * vx * vx
        )
        pyy = (
            p[None, :, 1, 1]
            - 2 * delay * p[None, :, 1, 3]
            + delay**2 * p[None, :, 3, 3]
            + var
            + dsig2 * vy * vy
        )
        pxy = (
            p[None, :, 0, 1]
            - delay * (p[None, :, 0, 3] + p[None, :, 2, 1])
            + delay**2 * p[None, :, 2, 3]
            + dsig2 * vx * vy
        )
        det = pxx * pyy - pxy * pxy
        d2 = (pyy * yx * yx - 2 * pxy * yx * yy + pxx * yy * yy) / det
        ok = (agreement >= MIN_TYPE_AGREEMENT) & (d2 <= POSITION_GATE)
        # Heading cue against the track's course (only where the course is known). A batch
        # without any heading cue (a scanning sensor's, every sighting of a picture like
        # tracking_vs_stonesoup's) skips it: its mismatch would be 0.0 everywhere, adding 0.0
        # leaves every d2 as it is, and the wider gate then passes whatever the first one did.
        if any(m.heading_rad is not None for m in batch):
            speed = np.hypot(vx, vy)
            vel_sigma = np.sqrt(np.maximum(1e-6, (p[None, :, 2, 2] + p[None, :, 3, 3]) / 2.0))
            known = (speed >= 2.0 * vel_sigma) & ~np.isnan(heading)
            diff = wrap_pi(np.nan_to_num(heading) - np.arctan2(vx, vy))
            mismatch = np.where(
                known, diff * diff / (hsig2 + (vel_sigma / np.maximum(speed, 1e-9)) ** 2), 0.0
            )
            d2 = d2 + mismatch
            ok &= d2 <= POSITION_GATE + HEADING_GATE
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = d2 + np.log(np.maximum(det, 1e-300)) - 2.0 * np.log(np.maximum(agreement, 1e-300))
        out: NDArray[np.float64] = np.where(ok, cost, _IMPOSSIBLE)
        return out

    # -- bearings ---------------------------------------------------------------------------

    def assign_bearings(
        self, tracks: Sequence[Track], batch: Sequence[BearingFix], use_grid: bool | None = None
    ) -> list[int | None]:
        """For each bearing, the index of its track in ``tracks`` or None (one-to-one per sensor)."""
        return self.assign_bearings_gated(tracks, batch, use_grid)[0]

    def assign_bearings_gated(
        self, tracks: Sequence[Track], batch: Sequence[BearingFix], use_grid: bool | None = None
    ) -> tuple[list[int | None], list[bool]]:
        """Assignment as :meth:`assign_bearings`, and whether each bearing fell in any track's gate.

        A bearing that fell in a gate but lost its track to a better one is
        most likely that track's aircraft heard again, not a new aircraft: it
        must not start a track.
        """
        out: list[int | None] = [None] * len(batch)
        gated = [False] * len(batch)
        # Reset before any early return: a batch that gates no track must not leave the previous
        # batch's counts behind, which the tracker would credit to this batch (note_bearings) and
        # so make a track look as if it kept losing bearings it never saw, and delete it.
        self.last_gated_per_track = [0] * len(tracks)
        self.last_rate_refused = []
        try:
            return self._assign_bearings_gated(tracks, batch, use_grid, out, gated)
        finally:
            if self._rates is not None and batch:
                self._rates.remember(batch)
                self._rates.forget_before(batch[-1].t)

    def _assign_bearings_gated(
        self,
        tracks: Sequence[Track],
        batch: Sequence[BearingFix],
        use_grid: bool | None,
        out: list[int | None],
        gated: list[bool],
    ) -> tuple[list[int | None], list[bool]]:
        if not tracks or not batch:
            return out, gated
        if use_grid is None and len(tracks) * len(batch) <= SCALAR_MAX_PAIRS:
            return self._assign_bearings_small(tracks, batch, out, gated)
        pairs_m, pairs_t, cost = self.bearing_costs(tracks, batch, use_grid)
        if self._rates is not None and len(cost):
            keep = np.array(self._rate_keeps(tracks, batch, pairs_m.tolist(), pairs_t.tolist()), dtype=bool)
            pairs_m, pairs_t, cost = pairs_m[keep], pairs_t[keep], cost[keep]
        if len(cost) == 0:
            return out, gated
        self.last_gated_per_track = np.bincount(pairs_t, minlength=len(tracks)).tolist()
        if len(batch) == 1:  # the usual instant: one bearing, its cheapest track
            gated[0] = True
            out[0] = int(pairs_t[int(np.argmin(cost))])
            return out, gated
        for i in np.unique(pairs_m).tolist():
            gated[i] = True
        # Best track of each bearing: sort by (bearing, cost, track) and take the first of each bearing.
        order = np.lexsort((pairs_t, cost, pairs_m))
        pm, pt, pc = pairs_m[order], pairs_t[order], cost[order]
        first = np.ones(len(pm), dtype=bool)
        first[1:] = pm[1:] != pm[:-1]
        best = {int(m): int(t) for m, t in zip(pm[first], pt[first], strict=True)}
        starts = np.searchsorted(pm, np.arange(len(batch)), side="left")
        ends = np.searchsorted(pm, np.arange(len(batch)), side="right")
        for members in _groups_by_source(batch).values():
            if len(members) == 1:
                out[members[0]] = best.get(members[0])
                continue
            cols = sorted({int(t) for i in members for t in pt[starts[i] : ends[i]]})
            if not cols:
                continue
            col_of = {t: c for c, t in enumerate(cols)}
            costs = np.full((len(members), len(cols)), _IMPOSSIBLE)
            for row, i in enumerate(members):
                for k in range(int(starts[i]), int(ends[i])):
                    costs[row, col_of[int(pt[k])]] = pc[k]
            local: list[int | None] = [None] * len(batch)
            _assign_group(costs, members, local)
            for i in members:
                j = local[i]
                out[i] = None if j is None else cols[j]
        return out, gated

    def _assign_bearings_small(
        self,
        tracks: Sequence[Track],
        batch: Sequence[BearingFix],
        out: list[int | None],
        gated: list[bool],
    ) -> tuple[list[int | None], list[bool]]:
        """:meth:`assign_bearings_gated` for a few pairs, scored in plain floats (same decisions)."""
        pairs_m, pairs_t, cost = bearing_costs_small(tracks, batch)
        if self._rates is not None and cost:
            keep = self._rate_keeps(tracks, batch, pairs_m, pairs_t)
            pairs_m = [i for i, k in zip(pairs_m, keep, strict=True) if k]
            pairs_t = [j for j, k in zip(pairs_t, keep, strict=True) if k]
            cost = [c for c, k in zip(cost, keep, strict=True) if k]
        if not cost:
            return out, gated
        counts = [0] * len(tracks)
        for j in pairs_t:
            counts[j] += 1
        self.last_gated_per_track = counts
        # Best track of each bearing: least cost, then lowest track index (as the batched sort).
        best: dict[int, tuple[float, int]] = {}
        options: dict[int, list[tuple[int, float]]] = {}
        for i, j, c in zip(pairs_m, pairs_t, cost, strict=True):
            gated[i] = True
            held = best.get(i)
            if held is None or (c, j) < held:
                best[i] = (c, j)
            options.setdefault(i, []).append((j, c))
        for members in _groups_by_source(batch).values():
            if len(members) == 1:
                held = best.get(members[0])
                out[members[0]] = None if held is None else held[1]
                continue
            cols = sorted({j for i in members for j, _ in options.get(i, ())})
            if not cols:
                continue
            col_of = {j: c for c, j in enumerate(cols)}
            costs = np.full((len(members), len(cols)), _IMPOSSIBLE)
            for row, i in enumerate(members):
                for j, c in options.get(i, ()):
                    costs[row, col_of[j]] = c
            local: list[int | None] = [None] * len(batch)
            _assign_group(costs, members, local)
            for i in members:
                k = local[i]
                out[i] = None if k is None else cols[k]
        return out, gated

    def _rate_keeps(
        self, tracks: Sequence[Track], batch: Sequence[BearingFix], pairs_m: list[int], pairs_t: list[int]
    ) -> list[bool]:
        """For each gated (bearing, track) pair, whether the track can explain how fast the
        bearing's node turned since its previous bearing (every pair, without a previous one)."""
        rates = self._rates
        if rates is None:
            return [True] * len(pairs_m)
        observed = [rates.observed(m) for m in batch]
        motions: dict[int, TrackMotion] = {}
        keep: list[bool] = []
        for i, j in zip(pairs_m, pairs_t, strict=True):
            rate = observed[i]
            if rate is None:
                keep.append(True)
                continue
            motion = motions.get(j)
            if motion is None:
                motion = motions[j] = _motion(tracks[j])
            kept = rates.explains(rate, batch[i], motion)
            keep.append(kept)
            if not kept:
                self.last_rate_refused.append((i, j))
        return keep

    def bearing_costs(
        self, tracks: Sequence[Track], batch: Sequence[BearingFix], use_grid: bool | None = None
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        """Gated (bearing index, track index, cost) triples, as arrays sorted by bearing then track."""
        x = np.array([t.x for t in tracks])
        p = np.array([t.p for t in tracks])
        probs = np.array([t.type_probs for t in tracks])
        sigma = np.sqrt(np.maximum(0.0, p[:, 0, 0] + p[:, 1, 1]))
        audible = np.where(probs > 0.2, _AUDIBLE[None, :], 0.0).max(axis=1)
        reach = audible + 2.0 * sigma
        sensors = np.array([(m.sx, m.sy) for m in batch])
        sx, sy = sensors[:, 0], sensors[:, 1]
        if use_grid is None:
            use_grid = len(tracks) >= GRID_MIN_TRACKS
        if use_grid:
            pm, pt = _grid_pairs(x[:, 0], x[:, 1], reach, sx, sy)
        else:
            pm = np.repeat(np.arange(len(batch)), len(tracks))
            pt = np.tile(np.arange(len(tracks)), len(batch))
        dx, dy = x[pt, 0] - sx[pm], x[pt, 1] - sy[pm]
        near = dx * dx + dy * dy <= reach[pt] ** 2
        if not near.any():  # the usual case far from any track: nothing to score
            return _NO_PAIRS, _NO_PAIRS, _NO_COSTS
        pm, pt, dx, dy = pm[near], pt[near], dx[near], dy[near]
        lag = _lags(tracks, batch, pm, pt)
        if lag is not None:  # bearings heard before (or after) the track's time: where it was then
            dx, dy = dx + x[pt, 2] * lag, dy + x[pt, 3] * lag
        # Per bearing: type likelihood (3), its best value, sigma, bearing.
        cols = np.array(
            [(*m.type_likelihood, max(m.type_likelihood), m.sigma_rad, m.bearing_rad) for m in batch]
        )
        cols = cols[pm]
        agreement = (probs[pt] * cols[:, :3]).sum(axis=1) / cols[:, 3]
        ok = agreement >= MIN_TYPE_AGREEMENT
        pm, pt, dx, dy, agreement, cols = pm[ok], pt[ok], dx[ok], dy[ok], agreement[ok], cols[ok]
        heights = np.array([(prof.altitude_m, prof.altitude_sigma_m) for prof in (t.profile for t in tracks)])
        theta, h, rng, dalt = imm.heard_bearing(dx, dy, x[pt, 2], x[pt, 3], heights[pt, 0])
        hp = (h[:, None, :] @ p[pt])[:, 0, :]
        variance = (hp * h).sum(axis=1) + cols[:, 4] ** 2 + (dalt * heights[pt, 1]) ** 2
        innovation = wrap_pi(cols[:, 5] - theta)
        # A variance that is not positive (a covariance gone indefinite) gates nothing, rather
        # than passing with a negative distance and then taking its log.
        positive = variance > 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            d2 = innovation * innovation / np.where(positive, variance, 1.0)
        ok = positive & (d2 <= BEARING_GATE)
        # Nearer tracks are likelier sources of a sound than far ones of the same bearing.
        cost = (
            d2[ok]
            + np.log(variance[ok])
            + 2.0 * np.log(np.maximum(rng[ok], 500.0) / 5000.0)
            - 2.0 * np.log(agreement[ok])
        )
        return pm[ok], pt[ok], cost


def sighting_costs_small(tracks: Sequence[Track], batch: Sequence[PositionFix]) -> list[list[float]]:
    """:meth:`Associator.sighting_costs` in plain floats, for a few pairs: rows of sightings.

    Term for term the batched computation (type agreement, the late
    report's innovation against ``H P H' + R``, the heading cue against the
    track's course), so the same pairs pass the gate with costs equal to
    rounding; ``_IMPOSSIBLE`` outside it.
    """
    rows = [(*tr.x.tolist(), tr.p.ravel().tolist(), tr.type_probs.tolist()) for tr in tracks]
    out: list[list[float]] = []
    for m in batch:
        l0, l1, l2 = m.type_likelihood
        top = max(l0, l1, l2)
        delay = float(m.delay_s)
        delay2 = delay * delay
        dsig2 = float(m.delay_sigma_s) ** 2
        var = position_variance(m)
        zx, zy = float(m.x), float(m.y)
        heading = None if m.heading_rad is None else float(m.heading_rad)
        hsig2 = float(m.heading_sigma_rad) ** 2
        costs: list[float] = []
        for x0, x1, vx, vy, p, probs in rows:
            agreement = (l0 * probs[0] + l1 * probs[1] + l2 * probs[2]) / top
            yx = zx - (x0 - delay * vx)
            yy = zy - (x1 - delay * vy)
            # S = P_pp - d (P_pv + P_vp) + d^2 P_vv + var I + dsig^2 v v'
            pxx = p[0] - 2 * delay * p[2] + delay2 * p[10] + var + dsig2 * vx * vx
            pyy = p[5] - 2 * delay * p[7] + delay2 * p[15] + var + dsig2 * vy * vy
            pxy = p[1] - delay * (p[3] + p[9]) + delay2 * p[11] + dsig2 * vx * vy
            det = pxx * pyy - pxy * pxy
            d2 = (pyy * yx * yx - 2 * pxy * yx * yy + pxx * yy * yy) / det
            if not (agreement >= MIN_TYPE_AGREEMENT and d2 <= POSITION_GATE):
                costs.append(_IMPOSSIBLE)
                continue
            if heading is not None:  # the heading cue against the track's course, where it is known
                speed = math.hypot(vx, vy)
                vel_sigma = math.sqrt(max(1e-6, (p[10] + p[15]) / 2.0))
                if speed >= 2.0 * vel_sigma:
                    diff = wrap_pi(heading - math.atan2(vx, vy))
                    ratio = vel_sigma / max(speed, 1e-9)
                    d2 = d2 + diff * diff / (hsig2 + ratio * ratio)
            if not d2 <= POSITION_GATE + HEADING_GATE:
                costs.append(_IMPOSSIBLE)
                continue
            costs.append(d2 + math.log(max(det, 1e-300)) - 2.0 * math.log(max(agreement, 1e-300)))
        out.append(costs)
    return out


def bearing_costs_small(
    tracks: Sequence[Track], batch: Sequence[BearingFix]
) -> tuple[list[int], list[int], list[float]]:
    """:meth:`Associator.bearing_costs` in plain floats, for a few pairs: lists, not arrays.

    Term for term the batched computation (reach, type agreement, the heard
    bearing's innovation against ``h P h' + sigma^2 + (d bearing / d height
    * height sigma)^2``, gate, cost), so the same pairs pass the gate with
    costs equal to rounding.
    """
    rows = []
    a0, a1, a2 = _AUDIBLE_LIST
    for tr in tracks:
        x0, x1, x2, x3 = tr.x.tolist()
        p = tr.p.ravel().tolist()
        probs = tr.type_probs.tolist()
        sigma = math.sqrt(max(0.0, p[0] + p[5]))
        w0, w1, w2 = probs
        audible = max(a0 if w0 > 0.2 else 0.0, a1 if w1 > 0.2 else 0.0, a2 if w2 > 0.2 else 0.0)
        reach = audible + 2.0 * sigma
        rows.append((x0, x1, x2, x3, p, probs, reach * reach))
    heights: dict[int, tuple[float, float]] = {}
    pairs_m: list[int] = []
    pairs_t: list[int] = []
    cost: list[float] = []
    for i, m in enumerate(batch):
        sx, sy = float(m.sx), float(m.sy)
        l0, l1, l2 = m.type_likelihood
        top = max(l0, l1, l2)
        sigma2 = float(m.sigma_rad) ** 2
        bearing = float(m.bearing_rad)
        for j, (x0, x1, x2, x3, p, probs, reach2) in enumerate(rows):
            dx, dy = x0 - sx, x1 - sy
            if not dx * dx + dy * dy <= reach2:
                continue
            lag = m.t - tracks[j].t
            if lag:  # (as bearing_costs: where the track was when the bearing was heard)
                dx, dy = dx + x2 * lag, dy + x3 * lag
            agreement = (probs[0] * l0 + probs[1] * l1 + probs[2] * l2) / top
            if not agreement >= MIN_TYPE_AGREEMENT:
                continue
            height = heights.get(j)
            if height is None:
                prof = tracks[j].profile
                height = heights[j] = (prof.altitude_m, prof.altitude_sigma_m)
            theta, h0, h1, h2, h3, rng, dalt = scalar.heard_bearing(dx, dy, x2, x3, height[0])
            spread = dalt * height[1]
            variance = scalar.quadratic((h0, h1, h2, h3), p) + sigma2 + spread * spread
            if not variance > 0.0:  # as bearing_costs: no gate variance, no pair (and no log of it)
                continue
            innovation = wrap_pi(bearing - theta)
            d2 = innovation * innovation / variance
            if not d2 <= BEARING_GATE:
                continue
            pairs_m.append(i)
            pairs_t.append(j)
            # Nearer tracks are likelier sources of a sound than far ones of the same bearing.
            cost.append(
                d2 + math.log(variance) + 2.0 * math.log(max(rng, 500.0) / 5000.0) - 2.0 * math.log(agreement)
            )
    return pairs_m, pairs_t, cost


def _motion(track: Track) -> TrackMotion:
    """A track's position and velocity with their doubts, for the bearing-rate test."""
    x0, x1, vx, vy = track.x.tolist()
    p = track.p
    return TrackMotion(
        x0,
        x1,
        vx,
        vy,
        math.sqrt(max(0.0, float(p[0, 0] + p[1, 1]) / 2.0)),
        math.sqrt(max(0.0, float(p[2, 2] + p[3, 3]) / 2.0)),
    )


def _groups_by_source(batch: Sequence[PositionFix | BearingFix]) -> dict[tuple[str, float], list[int]]:
    """The batch's measurements by (source, time): one source's of one instant go to distinct
    tracks. (A batch of one instant groups by source alone; a window's batch, see
    ``Stepper.window_s``, may hold a node's bearings of one aircraft at successive seconds.)"""
    groups: dict[tuple[str, float], list[int]] = {}
    for i, m in enumerate(batch):
        groups.setdefault((m.source, m.t), []).append(i)
    return groups


def _lags(
    tracks: Sequence[Track], batch: Sequence[BearingFix], pm: NDArray[np.intp], pt: NDArray[np.intp]
) -> NDArray[np.float64] | None:
    """Each pair's bearing time less its track's time, or None when every one is nought (a batch of
    one instant, the default: nothing is shifted, to the bit)."""
    times = [m.t for m in batch]
    track_times = [tr.t for tr in tracks]
    first = track_times[0]
    if all(v == first for v in times) and all(v == first for v in track_times):
        return None
    lag = np.array(times)[pm] - np.array(track_times)[pt]
    return lag if lag.any() else None


def _assign_group(
    costs: NDArray[np.float64], members: list[int], out: list[int | None], leftovers: bool = False
) -> None:
    """One-to-one assignment of one source's measurements (rows) to tracks (columns)."""
    if len(members) == 1:
        j = int(np.argmin(costs[0]))
        if costs[0, j] < _IMPOSSIBLE:
            out[members[0]] = j
        return
    rows, cols = assign(costs)
    for row, j in zip(rows, cols, strict=True):
        if costs[row, j] < _IMPOSSIBLE:
            out[members[int(row)]] = int(j)
    if leftovers:
        for row, i in enumerate(members):
            if out[i] is None:
                j = int(np.argmin(costs[row]))
                if costs[row, j] < _IMPOSSIBLE:
                    out[i] = j


def _grid_pairs(
    tx: NDArray[np.float64],
    ty: NDArray[np.float64],
    reach: NDArray[np.float64],
    sx: NDArray[np.float64],
    sy: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Candidate (bearing, track) pairs: tracks whose reach square covers the sensor's grid cell."""
    cell = GRID_CELL_M
    cells: dict[tuple[int, int], list[int]] = {}
    x0 = np.floor((tx - reach) / cell).astype(np.int64)
    x1 = np.floor((tx + reach) / cell).astype(np.int64)
    y0 = np.floor((ty - reach) / cell).astype(np.int64)
    y1 = np.floor((ty + reach) / cell).astype(np.int64)
    for j in range(len(tx)):
        for cx in range(int(x0[j]), int(x1[j]) + 1):
            for cy in range(int(y0[j]), int(y1[j]) + 1):
                cells.setdefault((cx, cy), []).append(j)
    scx = np.floor(sx / cell).astype(np.int64)
    scy = np.floor(sy / cell).astype(np.int64)
    pm: list[int] = []
    pt: list[int] = []
    empty: list[int] = []
    for i in range(len(sx)):
        found = cells.get((int(scx[i]), int(scy[i])), empty)
        pm.extend([i] * len(found))
        pt.extend(found)
    return np.asarray(pm, dtype=np.intp), np.asarray(pt, dtype=np.intp)
