"""A lone node's bearing sweep: where a fast aircraft that only one node hears is, from its speed.

A jet flying high over a sparse sensor field is often heard by one node at a time: the
initiator's crossings need two nodes, so no track starts, however many bearings that node
reports (on the public ``adsb-idlib`` a refuelling jet passed within 0.5-3.3 km of one node,
which gave five bearings in 40 s sweeping from 241° to 27°, and nothing else heard it; its
track started a minute later, 10 km off). Bearings from one place say nothing of the range by
themselves, but an aircraft of known speed on a straight leg fixes it: with its speed ``v``,
heading ``psi`` and position ``p0`` at the newest bearing's time, the aircraft is at
``p0 + v u(psi) (t_i - tau_i - t)`` when the sound heard at ``t_i`` left it (``tau_i`` its
travel time down from the type's usual height), and each bearing puts that point on its ray:
linear in ``p0`` for a given heading. So every heading on a grid gets its least-squares
``p0``; the heading whose bearings fit best, if they fit within their noise, the sweep is wide
enough to fix the range, and every point lies ahead of the node, places the aircraft.

Opt-in (:class:`SweepStart`, ``Initiator(sweep=...)``): docs/benchmarks.md, "Eleventh session".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nadhir.geo.compass import wrap_pi
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.triangulation import moving_point_on_rays

# Headings tried (the best is then refined around by a finer step).
_COARSE_STEP_RAD = math.radians(5.0)
_FINE_STEP_RAD = math.radians(1.0)


@dataclass(frozen=True, slots=True)
class SweepStart:
    """When a lone node's jet bearings may start a track.

    ``window_s``: how far back a node's unclaimed bearings are kept; ``min_bearings``: how many
    it takes; ``min_span_deg``: how far they must sweep (a narrow sweep leaves the range to the
    speed's doubt); ``max_rms``: the worst fit kept, as the RMS of the bearings' misses over
    their sigmas; ``position_sigma_m``: the new track's position spread.
    """

    window_s: float = 60.0
    min_bearings: int = 3
    min_span_deg: float = 20.0
    max_rms: float = 2.0
    position_sigma_m: float = 2000.0
    # Also a node's bearings a track claimed from this far off (None: unclaimed bearings only).
    claimed_far_m: float | None = None

    @classmethod
    def parse(cls, text: str) -> SweepStart:
        """``WINDOW_S:MIN_BEARINGS:MIN_SPAN_DEG[:CLAIMED_FAR_KM]`` (``on`` for the defaults), e.g.
        ``60:3:20`` or ``60:4:30:8``."""
        if text == "on":
            return cls()
        parts = text.split(":")
        if len(parts) not in (3, 4):
            raise ValueError(f"a sweep is WINDOW_S:MIN_BEARINGS:MIN_SPAN_DEG[:FAR_KM] or 'on', not {text!r}")
        far = 1000.0 * float(parts[3]) if len(parts) == 4 else None
        return cls(float(parts[0]), int(parts[1]), float(parts[2]), claimed_far_m=far)


@dataclass(frozen=True, slots=True)
class SweepFix:
    """Where a sweep places the aircraft at the newest bearing's time, and how well it fitted."""

    t: float
    x: float
    y: float
    vx: float
    vy: float
    rms: float
    bearings: int


def _span(bearings: Sequence[float]) -> float:
    """How far a sequence of bearings turns, summed step by step (radians, unsigned)."""
    return abs(sum(wrap_pi(b - a) for a, b in itertools.pairwise(bearings)))


def fit_sweep(fixes: Sequence[BearingFix], speed_mps: float, altitude_m: float) -> SweepFix | None:
    """Place an aircraft of speed ``speed_mps`` on a straight leg from one node's bearings
    (oldest first), or None when no heading fits them within ``2`` sigma RMS or some point
    would lie behind the node. The fit's RMS is returned for the caller's own bar."""
    if len(fixes) < 3:
        return None
    t = fixes[-1].t
    sx, sy = fixes[-1].sx, fixes[-1].sy
    th = np.array([f.bearing_rad for f in fixes])
    sg = np.array([max(f.sigma_rad, 1e-3) for f in fixes])
    ts = np.array([f.t for f in fixes]) - t
    cos_t, sin_t = np.cos(th), np.sin(th)
    # Travel time down from the type's height: first as if overhead, then from the fitted ranges.
    tau = np.full(len(fixes), altitude_m / SPEED_OF_SOUND_MPS)

    def solve(psi: float, tau: np.ndarray, w: np.ndarray) -> tuple[float, float, float, np.ndarray]:
        wx, wy = speed_mps * math.sin(psi), speed_mps * math.cos(psi)
        dt = ts - tau
        fit = moving_point_on_rays(sx, sy, cos_t, sin_t, w, wx, wy, dt, min_det=1e-12)
        if fit is None:
            return math.inf, 0.0, 0.0, np.zeros(len(fixes))
        px, py = fit.x, fit.y
        ex, ey = px + wx * dt - sx, py + wy * dt - sy
        ahead = ex * np.sin(th) + ey * np.cos(th)
        rng = np.hypot(ex, ey)
        if (ahead <= 0.0).any():
            return math.inf, px, py, rng
        miss = wrap_pi(np.arctan2(ex, ey) - th) / sg
        return float(miss @ miss), px, py, rng

    def best(
        psis: np.ndarray, tau: np.ndarray, w: np.ndarray
    ) -> tuple[float, float, float, float, np.ndarray]:
        out = (math.inf, 0.0, 0.0, 0.0, np.zeros(len(fixes)))
        for psi in psis.tolist():
            cost, px, py, rng = solve(psi, tau, w)
            if cost < out[0]:
                out = (cost, psi, px, py, rng)
        return out

    ones = np.ones(len(fixes))
    cost, psi, px, py, rng = best(np.arange(0.0, 2.0 * math.pi, _COARSE_STEP_RAD), tau, ones)
    if not math.isfinite(cost):
        return None
    # Again with each bearing's own travel time and weight (a ray's miss in metres grows with range).
    tau = np.hypot(rng, altitude_m) / SPEED_OF_SOUND_MPS
    w = 1.0 / (np.maximum(rng, 500.0) * sg)
    w = w / w.max()
    fine = psi + np.arange(-3.0 * _COARSE_STEP_RAD, 3.0 * _COARSE_STEP_RAD + 1e-9, _FINE_STEP_RAD)
    cost, psi, px, py, rng = best(fine, tau, w)
    if not math.isfinite(cost):
        return None
    rms = math.sqrt(cost / len(fixes))
    return SweepFix(t, px, py, speed_mps * math.sin(psi), speed_mps * math.cos(psi), rms, len(fixes))


class SweepMemory:
    """Each node's recent unclaimed bearings of a jet, and the tracks their sweeps start."""

    def __init__(self, config: SweepStart) -> None:
        self.config = config
        self._by_source: dict[str, list[BearingFix]] = {}

    def note(self, fix: BearingFix) -> SweepFix | None:
        """Keep an unclaimed bearing; return a fix when its node's sweep now places a jet (the
        node's kept bearings are then used up)."""
        like = fix.type_likelihood
        if like[0] < 0.5 * sum(like):  # only what sounds like a jet: the speed is the jet's
            return None
        c = self.config
        kept = [f for f in self._by_source.get(fix.source, []) if fix.t - f.t <= c.window_s]
        kept.append(fix)
        self._by_source[fix.source] = kept
        if len(kept) < c.min_bearings or _span([f.bearing_rad for f in kept]) < math.radians(c.min_span_deg):
            return None
        prof = PROFILES["jet"]
        found = fit_sweep(kept, prof.cruise_mps, prof.altitude_m)
        if found is None or found.rms > c.max_rms:
            return None
        del self._by_source[fix.source]
        return found

    def forget_before(self, t: float) -> None:
        """Drop nodes whose every kept bearing is older than the window (bounded memory)."""
        window = self.config.window_s
        for source in [s for s, kept in self._by_source.items() if t - kept[-1].t > window]:
            del self._by_source[source]
