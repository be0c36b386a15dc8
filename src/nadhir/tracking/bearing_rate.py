"""A node's bearing rate in the gate: a far track cannot make a node's bearing swing fast.

A jet track that lags 7-20 km behind its jet on the same course lies, seen from a node the jet
is approaching, in about the jet's direction, so it claims that node's bearings; a bearing
moves a track across its ray, never along it, so the lag is never corrected (docs/benchmarks.md,
"Eleventh session": jets nobody tracks). The bearing's direction cannot tell the two apart, but
its rate can: an aircraft at horizontal range ``r`` turns a node's bearing at ``v_perp / r``
radians a second (``v_perp`` its speed across the line of sight), so a track 15 km off turns it
a fraction of a degree a second while the jet 3 km off turns it several. Each node's recent
bearings of a sound class (``max_dt_s`` back) give its rate by a least-squares slope, with that
slope's noise; a track whose own rate differs from it by more than ``noise_sigmas`` of the
slope's and the track's doubt together is not its source: that pair is taken out of the gate,
and the bearing, if no other track can explain it, may start a track near the node (a
crossing, or the opt-in sweep of ``tracking/sweep.py``).

Opt-in (:class:`BearingRateGate`, ``Associator(rate=...)``): docs/benchmarks.md, "Eleventh
session", the bearing rate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from nadhir.geo.compass import wrap_pi
from nadhir.tracking.measurements import BearingFix


@dataclass(frozen=True, slots=True)
class BearingRateGate:
    """When a node's bearing turns at a rate a track cannot explain.

    ``max_dt_s``: how far back a node's bearings of the same sound class give the rate (longer,
    the aircraft has turned or another has come); ``min_span_s``: the least time they must span
    (shorter, the bearings' noise swamps the rate); ``noise_sigmas``: how many sigmas of the
    slope's and the track's doubt the two rates may differ by before the pair leaves the gate.
    """

    max_dt_s: float = 20.0
    noise_sigmas: float = 3.0
    min_span_s: float = 6.0
    # No track is held to a range closer than this (its rate would grow without bound).
    min_range_m: float = 1000.0

    @classmethod
    def parse(cls, text: str) -> BearingRateGate:
        """``MAX_DT_S:NOISE_SIGMAS[:MIN_SPAN_S]`` (``on`` for the defaults), e.g. ``20:3``."""
        if text == "on":
            return cls()
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(
                f"a bearing rate gate is MAX_DT_S:NOISE_SIGMAS[:MIN_SPAN_S] or 'on', not {text!r}"
            )
        if len(parts) == 3:
            return cls(float(parts[0]), float(parts[1]), float(parts[2]))
        return cls(float(parts[0]), float(parts[1]))


@dataclass(frozen=True, slots=True)
class TrackMotion:
    """What the rate test needs of a (predicted) track: where it is and its velocity, with doubts."""

    x: float
    y: float
    vx: float
    vy: float
    position_sigma_m: float
    speed_sigma_m: float


@dataclass(frozen=True, slots=True)
class NodeRate:
    """A node's bearing rate (rad/s, signed: clockwise positive) and that slope's noise sigma."""

    rate: float
    sigma: float


class BearingRates:
    """Each node's recent bearings per sound class, and the rate test against a track."""

    def __init__(self, config: BearingRateGate) -> None:
        self.config = config
        self._recent: dict[tuple[str, str], list[BearingFix]] = {}

    def observed(self, fix: BearingFix) -> NodeRate | None:
        """The node's bearing rate through its recent bearings of this sound class and ``fix``
        (a weighted least-squares slope of the unwrapped bearings on time); None when they are
        too few or span too short a time."""
        c = self.config
        kept = [
            f for f in self._recent.get((fix.source, fix.sound_class), ()) if 0.0 < fix.t - f.t <= c.max_dt_s
        ]
        if not kept or fix.t - kept[0].t < c.min_span_s:
            return None
        ts = [f.t - fix.t for f in (*kept, fix)]
        # Unwrapped step by step, oldest first: a node's bearings of one aircraft move less than
        # half a turn between two reports.
        seq = (*kept, fix)
        bs = [0.0]
        for a, b in itertools.pairwise(seq):
            bs.append(bs[-1] + wrap_pi(b.bearing_rad - a.bearing_rad))
        ws = [1.0 / max(f.sigma_rad, 1e-3) ** 2 for f in seq]
        sw = sum(ws)
        tm = sum(w * t for w, t in zip(ws, ts, strict=True)) / sw
        bm = sum(w * b for w, b in zip(ws, bs, strict=True)) / sw
        stt = sum(w * (t - tm) ** 2 for w, t in zip(ws, ts, strict=True))
        if stt <= 0.0:
            return None
        slope = sum(w * (t - tm) * (b - bm) for w, t, b in zip(ws, ts, bs, strict=True)) / stt
        return NodeRate(slope, 1.0 / math.sqrt(stt))

    def explains(self, rate: NodeRate, fix: BearingFix, track: TrackMotion) -> bool:
        """Whether ``track`` turns ``fix``'s node's bearing at about the ``rate`` observed."""
        c = self.config
        dx, dy = track.x - fix.sx, track.y - fix.sy
        r = max(math.hypot(dx, dy), c.min_range_m)
        # d/dt atan2(dx, dy) = (vx dy - vy dx) / r^2.
        own = (track.vx * dy - track.vy * dx) / (r * r)
        speed = math.hypot(track.vx, track.vy)
        # The track's rate's doubt: its speed's across the line of sight, and its position's (a
        # track nearer turns the bearing faster), each over the nearest range it may be at.
        near = max(r - track.position_sigma_m, c.min_range_m)
        doubt = math.hypot(track.speed_sigma_m, speed * track.position_sigma_m / near) / near
        return abs(rate.rate - own) <= c.noise_sigmas * math.hypot(rate.sigma, doubt)

    def remember(self, batch: Sequence[BearingFix]) -> None:
        """Keep each node's bearings per sound class (after the batch has been gated)."""
        for fix in batch:
            self._recent.setdefault((fix.source, fix.sound_class), []).append(fix)

    def forget_before(self, t: float) -> None:
        """Drop bearings too old to give a rate (bounded memory)."""
        horizon = self.config.max_dt_s
        for key in list(self._recent):
            kept = [f for f in self._recent[key] if t - f.t <= horizon]
            if kept:
                self._recent[key] = kept
            else:
                del self._recent[key]
