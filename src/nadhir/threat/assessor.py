"""Threat assessment: which sites each track may reach within the horizon, when, and how surely.

For a moving track the site is projected onto the track's velocity: the
along-track distance over the speed gives the arrival time, and the
cross-track miss distance, against a lateral uncertainty that grows with
the distance still to fly (heading uncertainty from the filter plus the
type's manoeuvring), gives the probability of passing over the site.
A track circling or hovering threatens the sites under its orbit: as an
attack (a siren cue) when its path crosses the site, as a watch (phones)
when it only rings it; a ring's heading is no course for the towns around
it, and a track heading back at a site it flew over minutes ago is on its
second pass. Everything is multiplied by the track's existence probability, so an
uncorroborated sighting from an untrusted source threatens little.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nadhir.domain import AircraftType, Site, Threat, ThreatCue
from nadhir.geo.frame import LocalFrame
from nadhir.threat.learned import FEATURES, StrikeModel, logit
from nadhir.threat.normal import normal_cdf
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track

HORIZON_S = 15 * 60.0
# A strike this far outside a site's area still hurts it (the scorer's 1.5 km margin agrees).
STRIKE_MARGIN_M = 1000.0

# Heading spread (radians, 1 sigma) an aircraft of each type adds by manoeuvring, per unit distance
# flown: jets fly legs between waypoints; helicopters and drones wander more.
MANOEUVRE_RAD: dict[AircraftType, float] = {"jet": 0.22, "helicopter": 0.30, "drone": 0.45, "unknown": 0.35}

# Circling: over this window, a path at least this long that ends this close to where it began.
CIRCLE_WINDOW_S = 240.0
CIRCLE_MIN_PATH_M = 2500.0
CIRCLE_MAX_NET_RATIO = 0.45
ORBIT_MAX_SIGMA_M = 2000.0
ORBIT_CENTRE_M = 2000.0  # how far beyond a site's area an orbit's centre may lie and still be over it
# An orbit whose path crosses a site is working it; one that only rings the site is watching it.
CIRCLING_PROBABILITY = 0.8
RINGED_PROBABILITY = 0.45
# Second passes: over the site between RETURN_WINDOW_S and RETURN_GAP_S ago, heading at it again.
RETURN_WINDOW_S = 360.0
RETURN_GAP_S = 45.0
RETURN_MIN_PROBABILITY = 0.6
# A second pass is a finer inference than an orbit over a site: the track must be placed to 1 km.
RETURN_MAX_SIGMA_M = 1000.0
THROUGH_CENTRE_SHARE = 0.4  # a path coming this close to its orbit's centre (share of radius) crosses it


CUES: tuple[ThreatCue, ...] = ("approach", "overhead", "circling", "nearby")
# Their codes, looked up once rather than at every assessment.
_APPROACH, _OVERHEAD, _CIRCLING, _NEARBY = (
    CUES.index(c) for c in ("approach", "overhead", "circling", "nearby")
)
# Sites a track has passed, within this distance, are told so (a cue for a prompt all-clear).
RECEDING_REPORT_M = 30_000.0
RECEDING_CLEAR_M = 8_000.0  # and it must be clear of the site by this much: attack passes loop back


# The drone profile's orbit: its cruise over its turn rate (32 m/s at 0.02 rad/s: 1.6 km).
DRONE_ORBIT_M = PROFILES["drone"].cruise_mps / PROFILES["drone"].turn_rate


@dataclass(frozen=True, slots=True)
class DroneLoiter:
    """Opt-in: a drone track too slow for a drone to fly is taken as loitering where it sits.

    A fixed-wing drone cannot fly much slower than half its cruise. Real ones (the recorded
    survey and fire-watch flights the tuning set flies as drones, 50-70 m/s) loiter in orbits of
    1-3 km, which sightings a few kilometres off and one node's bearings at a time cannot trace:
    their track sits near the orbit at 2-20 m/s, and has no course and no path that circles.
    With this setting such a track (type drone, speed under ``speed_share`` of the drone's
    cruise) threatens the sites within ``radius_m`` of it as if it were over them (see
    :meth:`ThreatAssessor._loiter`). Measured on issue 17's tuning set, docs/benchmarks.md
    ("Twelfth session, drones on real flights").
    """

    speed_share: float = 0.5
    radius_m: float = DRONE_ORBIT_M

    @classmethod
    def parse(cls, text: str) -> DroneLoiter:
        """``on`` (the defaults above) or ``SPEED_SHARE[:RADIUS_M]``."""
        if text == "on":
            return cls()
        parts = text.split(":")
        if not 1 <= len(parts) <= 2:
            raise ValueError(f"drone loiter {text!r}: 'on' or SPEED_SHARE[:RADIUS_M]")
        share = float(parts[0])
        radius = float(parts[1]) if len(parts) == 2 else DRONE_ORBIT_M
        if not 0.0 < share <= 1.0 or radius <= 0.0:
            raise ValueError(f"drone loiter {text!r}: a share in (0, 1] and a positive radius")
        return cls(share, radius)


def _phi(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard normal CDF."""
    return normal_cdf(z)


@dataclass(frozen=True, slots=True)
class SiteGeometry:
    """A site in the tracker's frame."""

    site: Site
    x: float
    y: float
    radius_m: float


# Records the features of every assessment (for training the strike model).
FeatureRecorder = Callable[[float, Track, list[str], NDArray[np.float64]], None]
VULNERABLE_KINDS = frozenset({"hospital"})
MODEL_MIN_PROBABILITY = 0.1


class ThreatAssessor:
    """Turns tracks into per-site threats."""

    def __init__(
        self,
        sites: list[Site],
        frame: LocalFrame,
        horizon_s: float = HORIZON_S,
        model: StrikeModel | None = None,
        recorder: FeatureRecorder | None = None,
        loiter: DroneLoiter | None = None,
    ) -> None:
        self.horizon_s = horizon_s
        # Opt-in: a drone track too slow to fly threatens the sites within its orbit (_loiter).
        self.loiter = loiter
        self.model = model
        self.recorder = recorder
        self.sites = [SiteGeometry(s, *frame.to_xy(s.lat, s.lon), s.radius_m) for s in sites]
        self._x = np.array([g.x for g in self.sites])
        self._y = np.array([g.y for g in self.sites])
        self._r = np.array([g.radius_m for g in self.sites])
        self._r_eff = self._r + STRIKE_MARGIN_M
        # Per-site constants of assess(), computed once: each is the very expression assess() used to
        # evaluate on every call, so the results are bit for bit the same.
        self._r_eff2 = self._r_eff * self._r_eff
        self._edge_r = np.stack((self._r_eff, -self._r_eff))  # the grown area's two edges, across track
        self._r_clear = self._r_eff + RECEDING_CLEAR_M
        self._r_centre = self._r_eff + ORBIT_CENTRE_M
        self._ids = [g.site.id for g in self.sites]
        self._vulnerable = np.array([1.0 if g.site.kind in VULNERABLE_KINDS else 0.0 for g in self.sites])

    def assess(self, track: Track, t: float, witnesses: frozenset[str] | None = None) -> list[Threat]:
        """Threats this track poses at time ``t``, one per site it may reach.

        Each carries ``witnesses``, the independent witnesses behind the track
        (the pipeline's :meth:`~nadhir.intake.trust.TrustBook.witnesses` of its
        sources); without them every source of the track counts as one.

        Vectorised over sites: a country-wide deployment has thousands. No plain-float path for
        a handful of sites: math.exp, atan2 and hypot differ from numpy's (vectorised) ones in the
        last bit for 0.2-5 % of arguments (measured), and the outputs must not change by a byte.
        """
        existence = track.existence
        if existence < 0.05:
            return []
        kind = track.aircraft
        px, py = track.position
        vx, vy = track.velocity
        speed = math.hypot(vx, vy)
        var = track.p.diagonal().tolist()  # floats: the same sums as numpy's scalars give, sooner
        pos_var = max(1.0, (var[0] + var[1]) / 2.0)
        vel_var = max(1e-6, (var[2] + var[3]) / 2.0)
        cruise = PROFILES[kind].cruise_mps
        reach_m = max(speed, cruise) * self.horizon_s
        rx, ry = self._x - px, self._y - py
        dist = np.hypot(rx, ry)
        near = dist <= reach_m + self._r
        # With a few dozen sites numpy's cost is per call, not per site: this runs about 40 small
        # array operations, so each one saved counts (ndarray.nonzero is ~4x cheaper than any()).
        if not len(near.nonzero()[0]):
            return []
        r_eff = self._r_eff
        cross = dist  # read only (the model's feature): without a course, the miss is the distance
        moving = speed > 0.3 * cruise and speed > 1.5 * math.sqrt(vel_var)
        if moving:
            ux, uy = vx / speed, vy / speed
            along = rx * ux + ry * uy
            # The same bits as abs(-rx * uy + ry * ux): negation is exact and a + -b is a - b.
            cross = np.abs(ry * ux - rx * uy)
            sigma_theta2 = vel_var / (speed * speed) + MANOEUVRE_RAD[kind] ** 2
            lateral = np.sqrt(pos_var + along * along * sigma_theta2)
            ahead = along > 0
            # Both edges of the grown area in one (2, n) array: one pass through the CDF.
            edges = _phi((self._edge_r - cross) / lateral)
            p_reach = np.where(ahead, edges[0] - edges[1], 0.0)
            eta = np.where(ahead, t + along / speed, np.inf)
        else:
            # Direction unknown: with every course equally likely, the chance it heads this way is
            # the share of the compass the site's area covers.
            angle = 2.0 * np.arctan2(r_eff, dist)
            p_reach = angle / (2.0 * math.pi)
            eta = t + np.maximum(0.0, dist - r_eff) / cruise
        # Over the site now: the chance the aircraft is inside the (grown) site area, from the
        # position uncertainty (the disc treated as a Gaussian of variance r^2/2).
        spread = self._r_eff2 + 2.0 * pos_var
        p_now = (self._r_eff2 / spread) * np.exp(-dist * dist / spread)
        now = p_now > p_reach
        p_reach = np.maximum(p_now, p_reach)  # as where(now, ...): no NaN or -0.0 reaches here
        eta = np.where(now, t, eta)
        cue = np.where(now, _OVERHEAD, _APPROACH if moving else _NEARBY)  # codes: indexes into CUES
        # Behind it and moving away: the aircraft has passed, a cue for a prompt all-clear. Worked
        # out at the end, and only for a moving track not working an area (see :meth:`_settle_row`).
        receding = self._settle_row(track, t, moving, pos_var, cruise, dist, p_reach, eta, cue)
        prob = existence * p_reach
        keep = (near & (prob >= 0.02) & (eta - t <= self.horizon_s)).nonzero()[0]
        # The model judges the candidates worth deciding about; faint ones keep their geometry.
        if self.model is not None or self.recorder is not None:
            judged = keep[prob[keep] >= MODEL_MIN_PROBABILITY]
            if len(judged):
                x = self._features(
                    track,
                    t,
                    judged,
                    p_reach,
                    eta,
                    dist,
                    cross,
                    cue,
                    existence,
                    speed / cruise,
                    math.sqrt(pos_var),
                )
                if self.recorder is not None:
                    self.recorder(t, track, [self.sites[i].site.id for i in judged], x)
                if self.model is not None:
                    prob = prob.copy()
                    prob[judged] = self.model.predict(x)
        # Built from plain lists: this runs for every track every few seconds, and indexing numpy
        # arrays element by element costs more than the threats themselves.
        ids, tid = self._ids, track.id
        backed = frozenset(track.evidence) if witnesses is None else witnesses
        dists = dist.tolist()
        out: list[Threat] = []
        if receding:
            # ~ahead rather than along <= 0, to keep a NaN's verdict.
            passed = (
                ~ahead & (dist > self._r_clear) & (prob < 0.02) & (dist <= RECEDING_REPORT_M)
            ).nonzero()[0]
            out = [
                Threat(ids[i], tid, kind, 0.0, None, dists[i], "receding", backed) for i in passed.tolist()
            ]
        if len(keep):
            probs, etas, cues = prob.tolist(), eta.tolist(), cue.tolist()
            out += [
                Threat(ids[i], tid, kind, probs[i], etas[i], dists[i], CUES[cues[i]], backed)
                for i in keep.tolist()
            ]
        return out

    def assess_many(
        self, jobs: Sequence[tuple[Track, frozenset[str] | None]], t: float
    ) -> list[list[Threat]]:
        """:meth:`assess` of each (track, witnesses) at ``t``, the same threats, in one pass over sites.

        A step assesses a dozen tracks against the same sites, and each :meth:`assess` is some 40
        small array operations whose cost is per call, not per site. Here the geometry of every
        track against every site is worked out in (tracks x sites) arrays, element for element
        the very operations :meth:`assess` makes (the same values: numpy's elementwise functions
        give an element the same bits at any place in an array; tests/threat/test_assess_many.py
        holds it to :meth:`assess`); what depends on a track's path (an orbit, a second pass) is
        then settled track by track on its row, as there. With a learned model or a recorder
        each track is assessed alone.
        """
        if self.model is not None or self.recorder is not None or len(jobs) < 2:
            return [self.assess(track, t, witnesses) for track, witnesses in jobs]
        out: list[list[Threat]] = [[] for _ in jobs]
        rows: list[int] = []  # the jobs worth a row: a track likely enough to exist
        cols: list[tuple[float, ...]] = []  # per row: _row_scalars
        moving_: list[bool] = []
        for j, (track, _) in enumerate(jobs):
            scalars = self._row_scalars(track)
            if scalars is None:
                continue
            rows.append(j)
            moving_.append(scalars[0])
            cols.append(scalars[1:])
        if not rows:
            return out
        columns = np.array(cols).T[:, :, None].copy()  # (scalar, row, 1): each a contiguous column
        px, py, reach, pos_var, cruise, ux, uy, st2, speed, existence = columns
        on_course = np.array(moving_)[:, None]
        r_eff = self._r_eff
        rx, ry = self._x - px, self._y - py
        dist = np.hypot(rx, ry)
        near = dist <= reach + self._r
        any_near = near.any(axis=1).tolist()
        # The moving tracks' course (assess: "if moving").
        along = rx * ux + ry * uy
        cross = np.abs(ry * ux - rx * uy)
        lateral = np.sqrt(pos_var + along * along * st2)
        ahead = along > 0
        edges = _phi((self._edge_r - cross[:, None, :]) / lateral[:, None, :])
        p_course = np.where(ahead, edges[:, 0] - edges[:, 1], 0.0)
        eta_course = np.where(ahead, t + along / speed, np.inf)
        # The still ones' share of the compass.
        p_still = (2.0 * np.arctan2(r_eff, dist)) / (2.0 * math.pi)
        eta_still = t + np.maximum(0.0, dist - r_eff) / cruise
        p_reach = np.where(on_course, p_course, p_still)
        eta = np.where(on_course, eta_course, eta_still)
        spread = self._r_eff2 + 2.0 * pos_var
        p_now = (self._r_eff2 / spread) * np.exp(-dist * dist / spread)
        now = p_now > p_reach
        p_reach = np.maximum(p_now, p_reach)
        eta = np.where(now, t, eta)
        cue = np.where(now, _OVERHEAD, np.where(on_course, _APPROACH, _NEARBY))
        receding = [False] * len(rows)
        for k, j in enumerate(rows):
            if not any_near[k]:
                continue
            track = jobs[j][0]
            receding[k] = self._settle_row(
                track, t, moving_[k], cols[k][3], cols[k][4], dist[k], p_reach[k], eta[k], cue[k]
            )
        prob = existence * p_reach
        keep = near & (prob >= 0.02) & (eta - t <= self.horizon_s)
        passed = (
            np.array(receding)[:, None]
            & ~ahead
            & (dist > self._r_clear)
            & (prob < 0.02)
            & (dist <= RECEDING_REPORT_M)
        )
        ids = self._ids
        backed = [
            frozenset(track.evidence) if witnesses is None else witnesses
            for track, witnesses in (jobs[j] for j in rows)
        ]
        kinds = [jobs[j][0].aircraft for j in rows]
        tids = [jobs[j][0].id for j in rows]
        # Receding sites first, then the kept ones, each in the sites' order (as assess lists them).
        pk, pi = passed.nonzero()
        for k, i, d in zip(pk.tolist(), pi.tolist(), dist[pk, pi].tolist(), strict=True):
            out[rows[k]].append(Threat(ids[i], tids[k], kinds[k], 0.0, None, d, "receding", backed[k]))
        kk, ki = keep.nonzero()
        for k, i, p, e, d, c in zip(
            kk.tolist(),
            ki.tolist(),
            prob[kk, ki].tolist(),
            eta[kk, ki].tolist(),
            dist[kk, ki].tolist(),
            cue[kk, ki].tolist(),
            strict=True,
        ):
            out[rows[k]].append(Threat(ids[i], tids[k], kinds[k], p, e, d, CUES[c], backed[k]))
        return out

    def _row_scalars(
        self, track: Track
    ) -> tuple[bool, float, float, float, float, float, float, float, float, float, float] | None:
        """(moving, x, y, reach, position variance, cruise, course x, course y, heading variance, speed,
        existence): a track's scalars as :meth:`assess` works them out, or None when it is not worth
        assessing. A still track's course values are harmless stand-ins, never chosen."""
        existence = track.existence
        if existence < 0.05:
            return None
        px, py = track.position
        vx, vy = track.velocity
        speed = math.hypot(vx, vy)
        var = track.p.diagonal().tolist()
        pos_var = max(1.0, (var[0] + var[1]) / 2.0)
        vel_var = max(1e-6, (var[2] + var[3]) / 2.0)
        cruise = PROFILES[track.aircraft].cruise_mps
        reach = max(speed, cruise) * self.horizon_s
        if speed > 0.3 * cruise and speed > 1.5 * math.sqrt(vel_var):
            sigma_theta2 = vel_var / (speed * speed) + MANOEUVRE_RAD[track.aircraft] ** 2
            return (
                True,
                px,
                py,
                reach,
                pos_var,
                cruise,
                vx / speed,
                vy / speed,
                sigma_theta2,
                speed,
                existence,
            )
        return False, px, py, reach, pos_var, cruise, 0.0, 0.0, 0.0, 1.0, existence

    def _settle_row(
        self,
        track: Track,
        t: float,
        moving: bool,
        pos_var: float,
        cruise: float,
        dist: NDArray[np.float64],
        p_reach: NDArray[np.float64],
        eta: NDArray[np.float64],
        cue: NDArray[np.int64],
    ) -> bool:
        """What :meth:`assess` settles from a track's path, written into its row (``p_reach``,
        ``eta``, ``cue``: views of :meth:`assess_many`'s arrays); whether it is receding."""
        r_eff = self._r_eff
        loiter = self._loiter(track, t, pos_var, dist, p_reach, eta, cue)
        orbit = self._orbit(track, cruise) if pos_var < ORBIT_MAX_SIGMA_M**2 else None
        ringing = False
        if orbit is not None:
            # An aircraft working an area (strike passes, a reconnaissance orbit) threatens what lies
            # at the centre of its orbit; the towns its turns swing over are passed, not aimed at.
            ox, oy, orad, hx, hy = orbit
            # A pattern that crosses its own middle works a target; a ring (wide enough, perhaps, to
            # take in a neighbouring town) watches one.
            through = float(np.minimum.reduce(np.hypot(hx - ox, hy - oy))) <= THROUGH_CENTRE_SHARE * orad
            ringing = not through
            to_centre = np.hypot(self._x - ox, self._y - oy)
            centre = (to_centre <= self._r_centre).nonzero()[0]
            if len(centre):
                # Strikes are delivered over the target: jets dive through it pass after pass,
                # helicopters hover over it, drones leave their orbit to dive on it. A watch orbit
                # (reconnaissance) rings its town at a distance and never crosses it. So an orbit
                # whose path has crossed the site is working it (a siren cue); one that only rings
                # it is a lesser threat, with no course to project (phones, not sirens).
                closest = np.sqrt(
                    np.min(
                        (hx[:, None] - self._x[centre]) ** 2 + (hy[:, None] - self._y[centre]) ** 2, axis=0
                    )
                )
                # Only a track placed to within half the site's (grown) radius can tell that its
                # path crossed the site rather than passed beside it.
                placed = math.sqrt(pos_var) <= 0.5 * r_eff[centre]
                over = (closest <= r_eff[centre]) & through & placed
                p_orbit = np.where(over, CIRCLING_PROBABILITY, RINGED_PROBABILITY)
                code = np.where(over, _CIRCLING, _NEARBY)
                # Working a site outranks any course: a run in at it is one more pass.
                raise_ = over | (p_reach[centre] < p_orbit)
                idx = centre[raise_]
                p_reach[idx] = np.maximum(p_reach[idx], p_orbit[raise_])
                eta[idx] = t
                cue[idx] = code[raise_]
            swung_over = (to_centre > self._r_centre) & (to_centre <= orad + r_eff)
            cue[swung_over] = _NEARBY
            # A ring's heading sweeps the compass every few minutes: it is no course. Where a watching
            # aircraft goes next is as unknown as for a track with no heading. (A loitering drone
            # otherwise "approaches" every town around it in turn, for as long as it loiters.)
            if ringing and moving:
                beyond = (to_centre > self._r_centre) & (cue == _APPROACH)
                if beyond.any():
                    share = np.arctan2(r_eff, dist) / math.pi
                    p_reach[beyond] = np.minimum(p_reach, share)[beyond]
                    cue[beyond] = _NEARBY
        # A second pass: an aircraft heading back at a site it has already flown over is attacking
        # it (jets dive through the target, fly out and turn in again; helicopters hover over it,
        # back off and return). Aircraft in transit cross a town once and do not come back; a ring
        # round one town crosses its neighbours again and again without attacking them. (Only a
        # moving track has "approach" cues.)
        if moving and not ringing and pos_var < RETURN_MAX_SIGMA_M**2:
            again = ((cue == _APPROACH) & (p_reach >= RETURN_MIN_PROBABILITY)).nonzero()[0]
            if len(again):
                back = self._returning(track, again, r_eff[again])
                cue[again[back]] = _CIRCLING
        # An aircraft working an area turns back: its passes are not departures.
        return moving and orbit is None and not loiter

    def _loiter(
        self,
        track: Track,
        t: float,
        pos_var: float,
        dist: NDArray[np.float64],
        p_reach: NDArray[np.float64],
        eta: NDArray[np.float64],
        cue: NDArray[np.int64],
    ) -> bool:
        """With :class:`DroneLoiter` set, a drone track too slow for a drone to fly is a loiter the
        track cannot trace: the aircraft flies round an orbit about where the track sits. A site
        within that orbit is as threatened as one the track is over, the orbit's radius added to
        the site's (grown) area: the over-the-site formula of :meth:`assess` with ``r_eff +
        radius``. A threat it raises is a watch (``nearby``); a drone warns phones, not sirens.
        Written into the row's arrays; whether the track loiters."""
        loiter = self.loiter
        if loiter is None or track.aircraft != "drone":
            return False
        if track.speed >= loiter.speed_share * PROFILES["drone"].cruise_mps:
            return False
        r = self._r_eff + loiter.radius_m
        r2 = r * r
        spread = r2 + 2.0 * pos_var
        p_loiter = (r2 / spread) * np.exp(-dist * dist / spread)
        raise_ = (p_loiter > p_reach).nonzero()[0]
        if len(raise_):
            p_reach[raise_] = p_loiter[raise_]
            eta[raise_] = t
            cue[raise_] = _NEARBY
        return True

    def _features(
        self,
        track: Track,
        t: float,
        keep: NDArray[np.intp],
        p_reach: NDArray[np.float64],
        eta: NDArray[np.float64],
        dist: NDArray[np.float64],
        cross: NDArray[np.float64],
        cue: NDArray[np.int8],
        existence: float,
        speed_ratio: float,
        sigma_m: float,
    ) -> NDArray[np.float64]:
        """The learned model's features (:data:`~nadhir.threat.learned.FEATURES`) for the kept sites."""
        n = len(keep)
        p = p_reach[keep]
        x = np.empty((n, len(FEATURES)))
        x[:, 0] = p
        x[:, 1] = logit(p)
        x[:, 2] = existence
        x[:, 3] = np.minimum(15.0, (eta[keep] - t) / 60.0)
        x[:, 4] = dist[keep] / 10_000.0
        x[:, 5] = np.minimum(cross[keep], 50_000.0) / 5_000.0
        for j, name in enumerate(("approach", "overhead", "circling", "nearby")):
            x[:, 6 + j] = cue[keep] == CUES.index(name)
        x[:, 10:13] = track.type_probs
        x[:, 13] = min(2.0, speed_ratio)
        x[:, 14] = min(4.0, sigma_m / 5_000.0)
        x[:, 15] = 1.0 if track.sighted else 0.0
        x[:, 16] = min(6.0, (t - track.created) / 600.0)
        x[:, 17] = min(10.0, max(0.0, t - track.last_update) / 60.0)
        x[:, 18] = self._vulnerable[keep]
        x[:, 19] = p * x[:, 8]
        x[:, 20] = p * x[:, 7]
        x[:, 21] = p * x[:, 3]
        return x

    def _returning(
        self, track: Track, idx: NDArray[np.intp], reach: NDArray[np.float64]
    ) -> NDArray[np.bool_]:
        """Which of the sites ``idx`` the track flew over (within ``reach``) in the last few
        minutes, before the last :data:`RETURN_GAP_S`: it has been there and is coming back."""
        history, now = track.history, track.t
        # The points in the window are a run of the history (kept in time order, see Track.remember),
        # found by bisection with the window's own tests rather than by testing every point.
        lo = bisect.bisect_left(history, True, key=lambda h: now - h[0] <= RETURN_WINDOW_S)
        hi = bisect.bisect_left(history, True, key=lambda h: not now - h[0] >= RETURN_GAP_S, lo=lo)
        if lo >= hi:
            return np.zeros(len(idx), dtype=bool)
        window = list(itertools.islice(history, lo, hi))
        hx, hy = np.array([h[1] for h in window]), np.array([h[2] for h in window])
        d2 = (hx[:, None] - self._x[idx]) ** 2 + (hy[:, None] - self._y[idx]) ** 2
        out: NDArray[np.bool_] = np.min(d2, axis=0) <= reach * reach
        return out

    @staticmethod
    def _orbit(
        track: Track, cruise: float
    ) -> tuple[float, float, float, NDArray[np.float64], NDArray[np.float64]] | None:
        """(centre x, centre y, radius, path xs, path ys) when the track's recent path circles, else None.

        The path is sampled no finer than every 20 s so that the jitter of a
        noisy estimate is not taken for manoeuvring, and the aircraft must have
        covered the ground at a flying speed, not hovered in the noise.
        """
        # The window's start, found by bisection (the history is kept in time order, see
        # Track.remember: the points older than the window come first), then sampled forward from
        # it. Plain locals in the loop: it runs over some 30 points for every assessment of a
        # well-placed track.
        history, now = track.history, track.t
        first = bisect.bisect_left(history, True, key=lambda h: not now - h[0] > CIRCLE_WINDOW_S)
        hist: list[tuple[float, float, float]] = []
        last = -math.inf
        for h in itertools.islice(history, first, None):
            if h[0] - last >= 20.0:
                hist.append(h)
                last = h[0]
        if len(hist) < 5:
            return None
        path = sum(math.hypot(b[1] - a[1], b[2] - a[2]) for a, b in itertools.pairwise(hist))
        net = math.hypot(hist[-1][1] - hist[0][1], hist[-1][2] - hist[0][2])
        duration = hist[-1][0] - hist[0][0]
        if path < CIRCLE_MIN_PATH_M or net > CIRCLE_MAX_NET_RATIO * path or path < 0.4 * cruise * duration:
            return None
        xs = np.array([h[1] for h in hist])
        ys = np.array([h[2] for h in hist])
        # ndarray.mean() is this very sum over the count, behind a few microseconds of Python.
        cx, cy = float(np.add.reduce(xs)) / len(xs), float(np.add.reduce(ys)) / len(ys)
        radius = float(np.maximum.reduce(np.hypot(xs - cx, ys - cy)))
        return cx, cy, min(radius, 6000.0), xs, ys
