"""A node's bearing rate in the gate: a far track cannot make a node's bearing swing fast.

A jet track that lags 7-20 km behind its jet on the same course lies, seen from a node under
the jet, in about the jet's direction, so it claims that node's bearings; a bearing moves a
track across its ray, never along it, so the lag is never corrected (docs/benchmarks.md,
"Eleventh session": jets nobody tracks). The bearing's direction cannot tell the two apart, but
its rate can: an aircraft at horizontal range ``r`` moving at ``v`` turns a node's bearing at
most ``v / r`` radians a second, so a track 15 km off at 250 m/s explains at most 1°/s, while a
jet passing 2 km from the node swings it 7°/s. A node's bearing that turned faster since its
previous one (of the same sound class, a few seconds before) than the track can explain, by
more than the two bearings' noise, is not the track's: that pair is taken out of the gate, and
the bearing, if no other track can explain it, may start a track near the node (a crossing, or
the opt-in sweep of ``tracking/sweep.py``).

Opt-in (:class:`BearingRateGate`, ``Associator(rate=...)``): docs/benchmarks.md, "Eleventh
session", the bearing rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nadhir.geo.compass import wrap_pi
from nadhir.tracking.measurements import BearingFix


@dataclass(frozen=True, slots=True)
class BearingRateGate:
    """When a node's bearing turns too fast for a track to be its source.

    ``min_dt_s`` / ``max_dt_s``: the node's previous bearing of the same sound class counts only
    this long before (closer, the two bearings' noise swamps the rate; longer, the aircraft has
    turned or another has come); ``noise_sigmas``: how many sigmas of the rate's noise (both
    bearings' sigmas over the interval) the rate may exceed the track's most before the pair
    leaves the gate; ``track_sigmas``: how far (in sigmas of its position and speed) the track is
    given the benefit of the doubt: nearer the node and faster than its estimate.
    """

    min_dt_s: float = 2.0
    max_dt_s: float = 20.0
    noise_sigmas: float = 3.0
    track_sigmas: float = 2.0
    # No track is held to a range closer than this (its rate limit would grow without bound).
    min_range_m: float = 1000.0

    @classmethod
    def parse(cls, text: str) -> BearingRateGate:
        """``MAX_DT_S:NOISE_SIGMAS[:TRACK_SIGMAS]`` (``on`` for the defaults), e.g. ``20:3``."""
        if text == "on":
            return cls()
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(
                f"a bearing rate gate is MAX_DT_S:NOISE_SIGMAS[:TRACK_SIGMAS] or 'on', not {text!r}"
            )
        if len(parts) == 3:
            return cls(max_dt_s=float(parts[0]), noise_sigmas=float(parts[1]), track_sigmas=float(parts[2]))
        return cls(max_dt_s=float(parts[0]), noise_sigmas=float(parts[1]))


@dataclass(frozen=True, slots=True)
class TrackMotion:
    """What the rate test needs of a (predicted) track: where it is and how fast, with doubts."""

    x: float
    y: float
    speed_mps: float
    position_sigma_m: float
    speed_sigma_m: float


class BearingRates:
    """Each node's previous bearing per sound class, and the rate test against a track."""

    def __init__(self, config: BearingRateGate) -> None:
        self.config = config
        self._last: dict[tuple[str, str], BearingFix] = {}

    def observed(self, fix: BearingFix) -> tuple[float, float] | None:
        """The node's bearing rate (rad/s, unsigned) since its previous bearing of this sound
        class, and that rate's noise sigma; None when there is no previous bearing in range."""
        prev = self._last.get((fix.source, fix.sound_class))
        if prev is None:
            return None
        dt = fix.t - prev.t
        c = self.config
        if not c.min_dt_s <= dt <= c.max_dt_s:
            return None
        rate = abs(wrap_pi(fix.bearing_rad - prev.bearing_rad)) / dt
        noise = math.hypot(fix.sigma_rad, prev.sigma_rad) / dt
        return rate, noise

    def explains(self, rate: tuple[float, float], fix: BearingFix, track: TrackMotion) -> bool:
        """Whether ``track`` could turn ``fix``'s node's bearing at the ``rate`` observed."""
        c = self.config
        rng = math.hypot(track.x - fix.sx, track.y - fix.sy) - c.track_sigmas * track.position_sigma_m
        most = (track.speed_mps + c.track_sigmas * track.speed_sigma_m) / max(rng, c.min_range_m)
        observed, noise = rate
        return observed <= most + c.noise_sigmas * noise

    def remember(self, batch: Sequence[BearingFix]) -> None:
        """Keep each node's newest bearing per sound class (after the batch has been gated)."""
        for fix in batch:
            self._last[(fix.source, fix.sound_class)] = fix

    def forget_before(self, t: float) -> None:
        """Drop bearings too old to give a rate (bounded memory)."""
        horizon = self.config.max_dt_s
        for key in [k for k, f in self._last.items() if t - f.t > horizon]:
            del self._last[key]
