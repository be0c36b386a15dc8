"""An along-course fix: bearings placing a track's aircraft ahead of it pull it along its course.

A jet's track that lags 7-20 km behind its jet on the same course claims the bearings of the
nodes the jet passes over: from a node near the jet's ground path, the jet and a track far
behind it on that path lie in about one direction. A bearing moves a track across its ray,
never along it, so the lag is never corrected (docs/benchmarks.md, "Eleventh session": jets
nobody tracks). On the public ``adsb-idlib`` such a track was also slow (35-140 m/s for a
200 m/s jet), so the lag kept growing.

But the track knows its aircraft's heading, and with a velocity given, bearings place the
aircraft (as the lone node's sweep of ``tracking/sweep.py`` does with a heading searched for):
the sound heard at ``t_i`` left the aircraft at ``p0 + v (t_i - tau_i - t)``, ``p0`` its
position now and ``tau_i`` the sound's travel time down from the type's height, and each
bearing puts that point on its node's ray, linear in ``p0``. One bearing cannot place it (a ray
parallel to the course, as while the jet approaches the node, crosses the course anywhere);
two nodes' rays cross, and one node's rays do once they turn. So the bearings a track took in
the last ``window_s`` (and those the opt-in bearing-rate gate refused it) are fitted by least
squares, each ray's miss weighed by its range times its noise, at headings within
``max_turn_deg`` of the track's and at the type's cruise speed when the track is slower (one
node cannot tell a slow aircraft near from a fast one far; the speed sets the range).

When the fit fits (RMS miss within ``max_rms`` sigmas), lies near the track's course line and
ahead of the track by more than ``min_offset_m`` and ``offset_sigmas`` of the fit's and the
track's along-course doubt together, its along-course position is folded into the track as a
one-row pseudo-measurement, ``H = [ux, uy, 0, 0]``, that moves the position only (not the
velocity: a jump of kilometres would otherwise become a speed hundreds of m/s faster), and a
slow track is given the type's speed along its course. Its side-to-side place stays the
bearings' ordinary update's business. The bearings used are then dropped.

Opt-in (:class:`AlongCourse`, ``Tracker(course_fix=...)``): docs/benchmarks.md, "Twelfth
session, along-course fix".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nadhir.geo.compass import wrap_pi
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix
from nadhir.tracking.track import Track
from nadhir.tracking.triangulation import moving_point_on_rays

# The headings tried about the track's own (its heading's doubt), and their step.
_TURN_STEP_RAD = math.radians(2.5)
# The fit's passes (each from the last one's travel times), until these settle within _SETTLED_S.
_MAX_PASSES = 12
_SETTLED_S = 0.02
_EYE4 = np.eye(4)


@dataclass(frozen=True, slots=True)
class AlongCourse:
    """When bearings placing a track's aircraft ahead of it pull the track along its course.

    ``min_offset_m``: the least lead acted on; ``min_bearings``: how many of the track's
    bearings it takes, kept ``window_s`` (one node's alone must turn at least
    ``min_span_deg``); ``offset_sigmas``: how far beyond the fit's and the track's along-course
    doubt the lead must lie; ``max_turn_deg``: headings tried either side of the track's;
    ``max_rms``: the worst fit kept (RMS of the bearings' misses over their sigmas);
    ``max_offset_m``: the farthest lead believed (farther, another aircraft);
    ``max_lateral_m``: the farthest off the track's course line the fit may place it (beyond
    that and ``offset_sigmas`` of its doubt, not this track's aircraft).
    """

    min_offset_m: float = 3000.0
    min_bearings: int = 3
    window_s: float = 40.0
    min_span_deg: float = 10.0
    offset_sigmas: float = 2.0
    max_turn_deg: float = 10.0
    max_rms: float = 2.0
    max_offset_m: float = 30_000.0
    max_lateral_m: float = 3000.0
    # The bearings of all the nodes a track took, fitted together (two nodes' rays cross, where
    # one node's need to turn); False: each node's alone.
    across_nodes: bool = True
    # The fewest distinct nodes among the bearings fitted (two or more: their rays cross, and the
    # assumed speed matters less; one node's range is the speed's).
    min_nodes: int = 1
    # How much better (in summed squared sigmas) the fit must explain the bearings than the
    # track's own position and velocity do (None: no such test).
    min_gain: float | None = None
    # Only tracks at least this fast have a course worth the name (a hovering helicopter's has none).
    min_speed_mps: float = 60.0
    # Fly the fit at the type's cruise speed when the track is slower (one node's bearings cannot
    # tell a slow aircraft near from a fast one far: only the speed sets the range), and give the
    # track that speed along its course too; False: the track's own speed.
    type_speed: bool = True

    @classmethod
    def parse(cls, text: str) -> AlongCourse:
        """``MIN_OFFSET_KM:MIN_BEARINGS[:WINDOW_S[:MIN_SPAN_DEG[:SPEED[:MIN_NODES]]]]`` (``on``
        for the defaults; SPEED ``type`` or ``track``), e.g. ``3:3`` or ``5:4:60:15:track:2``;
        or settings by name over the defaults, ``FIELD=VALUE,...``, e.g. ``max_rms=1``."""
        if text == "on":
            return cls()
        if "=" in text:
            return cls._parse_fields(text)
        parts = text.split(":")
        if not 2 <= len(parts) <= 6 or (len(parts) >= 5 and parts[4] not in ("type", "track")):
            raise ValueError(
                "an along-course fix is MIN_OFFSET_KM:MIN_BEARINGS"
                f"[:WINDOW_S[:MIN_SPAN_DEG[:type|track[:MIN_NODES]]]] or 'on', not {text!r}"
            )
        d = cls()
        return cls(
            1000.0 * float(parts[0]),
            int(parts[1]),
            float(parts[2]) if len(parts) >= 3 else d.window_s,
            float(parts[3]) if len(parts) >= 4 else d.min_span_deg,
            type_speed=parts[4] == "type" if len(parts) >= 5 else d.type_speed,
            min_nodes=int(parts[5]) if len(parts) == 6 else d.min_nodes,
        )

    @classmethod
    def _parse_fields(cls, text: str) -> AlongCourse:
        """``FIELD=VALUE,...`` over the defaults, e.g. ``max_rms=1,min_nodes=2``."""
        out = cls()
        changes: dict[str, Any] = {}
        for item in text.split(","):
            name, _, value = item.partition("=")
            if name not in cls.__dataclass_fields__:
                raise ValueError(f"an along-course fix has no setting {name!r}")
            old = getattr(out, name)
            new: bool | int | float | None
            if isinstance(old, bool):
                new = value in ("1", "true", "yes")
            elif isinstance(old, int):
                new = int(value)
            else:
                new = None if value == "none" else float(value)
            changes[name] = new
        return replace(out, **changes)


@dataclass(frozen=True, slots=True)
class CourseFit:
    """Where bearings place an aircraft of known velocity at the newest bearing's time,
    the fit's 2x2 covariance (row-major) and its RMS miss in sigmas."""

    t: float
    x: float
    y: float
    cov: tuple[float, float, float, float]
    rms: float


@dataclass(frozen=True, slots=True)
class AlongFix:
    """A fix to fold into a track: its along-course position ``z`` (metres along the unit course
    ``(ux, uy)``) with its variance, and, when the fit flew the type's speed rather than the
    track's, that speed along the course with the type's spread (else None)."""

    z: float
    ux: float
    uy: float
    variance: float
    speed: float | None = None
    speed_variance: float = 0.0
    # How much better the fit explains its bearings than the track did, and its RMS miss.
    gain: float = 0.0
    rms: float = 0.0


def _span(bearings: Sequence[float]) -> float:
    """How far a sequence of bearings turns, summed step by step (radians, unsigned)."""
    return abs(sum(wrap_pi(b - a) for a, b in itertools.pairwise(bearings)))


def _columns(
    fixes: Sequence[BearingFix],
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]:
    """The bearings as arrays: nodes' ``x`` and ``y``, bearings, sigmas (at least a milliradian)
    and times relative to the newest."""
    sx = np.array([f.sx for f in fixes])
    sy = np.array([f.sy for f in fixes])
    th = np.array([f.bearing_rad for f in fixes])
    sg = np.array([max(f.sigma_rad, 1e-3) for f in fixes])
    ts = np.array([f.t for f in fixes]) - fixes[-1].t
    return sx, sy, th, sg, ts


def misses(fixes: Sequence[BearingFix], x: float, y: float, vx: float, vy: float, altitude_m: float) -> float:
    """The sum of the squared misses, over their sigmas, of ``fixes`` (oldest first) against an
    aircraft at ``(x, y)`` at the newest one's time flying ``(vx, vy)`` (each with its travel
    time from where the sound left it, settled as in :func:`fit_on_course`)."""
    sx, sy, th, sg, ts = _columns(fixes)
    tau = np.full(len(fixes), altitude_m / SPEED_OF_SOUND_MPS)
    for _ in range(_MAX_PASSES):
        ex, ey = x + vx * (ts - tau) - sx, y + vy * (ts - tau) - sy
        settled = np.hypot(np.hypot(ex, ey), altitude_m) / SPEED_OF_SOUND_MPS
        if float(np.abs(settled - tau).max()) < _SETTLED_S:
            break
        tau = settled
    miss = wrap_pi(np.arctan2(ex, ey) - th) / sg
    return float(miss @ miss)


def fit_on_course(fixes: Sequence[BearingFix], vx: float, vy: float, altitude_m: float) -> CourseFit | None:
    """Place an aircraft flying ``(vx, vy)`` from bearings (oldest first; one node's or several):
    the least-squares position at the newest bearing's time. None when fewer than two bearings,
    the rays do not fix a point, or some point would lie behind its node."""
    if len(fixes) < 2:
        return None
    t = fixes[-1].t
    sx, sy, th, sg, ts = _columns(fixes)
    cos_t, sin_t = np.cos(th), np.sin(th)
    # Travel time down from the type's height: first as if overhead, then from the fitted ranges.
    tau = np.full(len(fixes), altitude_m / SPEED_OF_SOUND_MPS)
    w = np.full(len(fixes), 1.0 / 3000.0) / sg
    out: CourseFit | None = None
    # Each pass's ranges give the next its travel times and weights, until the travel times
    # settle (from overhead they are short by up to 20 s at 8 km, and converge geometrically).
    for _ in range(_MAX_PASSES):
        dt = ts - tau
        # Each ray weighed by its range times its noise (a miss in metres across the ray).
        fit = moving_point_on_rays(sx, sy, cos_t, sin_t, w, vx, vy, dt, min_det=1e-312, min_det_share=1e-12)
        if fit is None:
            return None
        px, py = fit.x, fit.y
        ex, ey = px + vx * dt - sx, py + vy * dt - sy
        if (ex * sin_t + ey * cos_t <= 0.0).any():
            return None
        rng = np.hypot(ex, ey)
        miss = wrap_pi(np.arctan2(ex, ey) - th) / sg
        rms = math.sqrt(float(miss @ miss) / len(fixes))
        out = CourseFit(t, px, py, fit.inverse, rms)
        settled = np.hypot(rng, altitude_m) / SPEED_OF_SOUND_MPS
        w = 1.0 / (np.maximum(rng, 500.0) * sg)
        if float(np.abs(settled - tau).max()) < _SETTLED_S:
            break
        tau = settled
    return out


def along_update(track: Track, z: float, ux: float, uy: float, variance: float) -> None:
    """Fold an along-course position ``z`` (metres along the unit course ``(ux, uy)`` from the
    origin) into every model of ``track``: a one-row linear update, ``H = [ux, uy, 0, 0]``, that
    moves its position only. Its velocity is left as it was (a lagging track's position and
    speed doubts are correlated, and an optimal gain would turn a jump of kilometres into a
    speed hundreds of metres a second faster)."""
    fold_row(track, np.array([ux, uy, 0.0, 0.0]), z, variance, np.array([1.0, 1.0, 0.0, 0.0]))


def fold_row(
    track: Track,
    h: NDArray[np.float64],
    z: float,
    variance: float,
    moves: NDArray[np.float64] | None = None,
) -> None:
    """A scalar linear measurement ``z = h x`` of noise ``variance`` folded into every model of
    ``track`` (the models reweighted by how well each explains it). ``moves`` (0 or 1 per state)
    keeps the gain off the states marked 0 (a "consider" update; the covariance then in Joseph
    form, right for any gain)."""
    mu, xs, ps = track.mu, track.xs, track.ps
    new_xs = xs.copy()
    new_ps = ps.copy()
    loglik = np.empty(len(mu))
    for m in range(len(mu)):
        ph = ps[m] @ h
        s = float(h @ ph) + variance
        innov = z - float(h @ xs[m])
        gain = ph / s
        if moves is None:
            p = ps[m] - np.outer(gain, ph)
        else:
            gain = gain * moves
            i_kh = _EYE4 - np.outer(gain, h)
            p = i_kh @ ps[m] @ i_kh.T + variance * np.outer(gain, gain)
        new_xs[m] = xs[m] + gain * innov
        new_ps[m] = 0.5 * (p + p.T)
        loglik[m] = -0.5 * (innov * innov / s + math.log(2.0 * math.pi * s))
    w = np.log(np.maximum(mu, 1e-300)) + loglik
    w = np.exp(w - w.max())
    track.set_models(w / w.sum(), new_xs, new_ps)


class CourseFixer:
    """Each track's recent bearings (all its nodes', or per node), and the along-course fixes
    they add up to."""

    def __init__(self, config: AlongCourse) -> None:
        self.config = config
        self._kept: dict[tuple[str, str], list[BearingFix]] = {}
        # How many fixes were applied (for instrumented replays and tests).
        self.applied = 0

    def lead(self, track: Track, fix: BearingFix) -> AlongFix | None:
        """Keep ``fix`` among the bearings ``track`` took; when they now place the
        track's aircraft ahead of it on its course (see the module's docstring), the along-course
        fix to fold in (:meth:`apply`), else None. The
        track's state is read as it is (predicted to the bearing's time, before its update)."""
        c = self.config
        key = (track.id, "" if c.across_nodes else fix.source)
        kept = [f for f in self._kept.get(key, ()) if fix.t - f.t <= c.window_s]
        kept.append(fix)
        self._kept[key] = kept
        if len(kept) < c.min_bearings:
            return None
        nodes = len({f.source for f in kept})
        if nodes < c.min_nodes:
            return None
        one_node = nodes == 1
        if one_node and _span([f.bearing_rad for f in kept]) < math.radians(c.min_span_deg):
            return None
        x = track.x
        vx, vy = float(x[2]), float(x[3])
        speed = math.hypot(vx, vy)
        if speed < c.min_speed_mps:
            return None
        psi = math.atan2(vx, vy)
        prof = track.profile
        alt = prof.altitude_m
        fly = max(speed, prof.cruise_mps) if c.type_speed else speed
        best: CourseFit | None = None
        turn = math.radians(c.max_turn_deg)
        for k in np.arange(-turn, turn + 1e-9, _TURN_STEP_RAD).tolist():
            found = fit_on_course(kept, fly * math.sin(psi + k), fly * math.cos(psi + k), alt)
            if found is not None and (best is None or found.rms < best.rms):
                best = found
        if best is None or best.rms > c.max_rms:
            return None
        gain = misses(kept, float(x[0]), float(x[1]), vx, vy, alt) - best.rms**2 * len(kept)
        if c.min_gain is not None and gain < c.min_gain:
            return None
        ux, uy = vx / speed, vy / speed
        dx, dy = best.x - float(x[0]), best.y - float(x[1])
        c00, c01, _, c11 = best.cov
        # The fit's doubt, widened when its bearings miss by more than their noise.
        grow = max(1.0, best.rms * best.rms)
        p = track.p
        along_fit = grow * (ux * ux * c00 + 2.0 * ux * uy * c01 + uy * uy * c11)
        along_own = float(ux * ux * p[0, 0] + 2.0 * ux * uy * p[0, 1] + uy * uy * p[1, 1])
        across_var = grow * (uy * uy * c00 - 2.0 * ux * uy * c01 + ux * ux * c11) + float(
            uy * uy * p[0, 0] - 2.0 * ux * uy * p[0, 1] + ux * ux * p[1, 1]
        )
        offset = ux * dx + uy * dy
        lateral = abs(ux * dy - uy * dx)
        bar = max(c.min_offset_m, c.offset_sigmas * math.sqrt(along_fit + along_own))
        if not bar < offset <= c.max_offset_m:
            return None
        if lateral > max(c.max_lateral_m, c.offset_sigmas * math.sqrt(across_var)):
            return None
        # Used once: the next lead needs bearings heard after this fix.
        del self._kept[key]
        z = ux * best.x + uy * best.y
        if fly > speed:
            return AlongFix(z, ux, uy, along_fit, fly, prof.speed_sigma_mps**2, gain, best.rms)
        return AlongFix(z, ux, uy, along_fit, gain=gain, rms=best.rms)

    def apply(self, track: Track, found: AlongFix) -> None:
        """Fold a fix from :meth:`lead` into ``track`` (after the bearings' own update)."""
        along_update(track, found.z, found.ux, found.uy, found.variance)
        if found.speed is not None:
            fold_row(track, np.array([0.0, 0.0, found.ux, found.uy]), found.speed, found.speed_variance)
        self.applied += 1

    def forget(self, track_id: str) -> None:
        """Drop an ended track's kept bearings."""
        for key in [k for k in self._kept if k[0] == track_id]:
            del self._kept[key]

    def forget_before(self, t: float) -> None:
        """Drop tracks whose every kept bearing is older than the window (bounded memory)."""
        window = self.config.window_s
        for key in [k for k, kept in self._kept.items() if t - kept[-1].t > window]:
            del self._kept[key]
