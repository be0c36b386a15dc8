"""Impact watch: a strike just reported near a site means more strikes may follow there.

Attacks come in runs: aircraft make several passes over one target a few
minutes apart. A credible impact report therefore threatens the sites
around it for a few minutes, and that threat is imminent.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from nadhir.domain import Site, Threat
from nadhir.geo.distance import haversine_m
from nadhir.geo.frame import LocalFrame
from nadhir.tracking.triangulation import Crossing, cross_bearings

IMPACT_WINDOW_S = 360.0  # how long after an impact further passes are expected
IMPACT_REACH_M = 1500.0  # beyond the site's own radius
# One report from a trusted source is enough; two distinct sources always are.
CREDIBLE_TRUST = 0.45
# Two nodes independently placing a blast at one spot is good evidence, if not proof.
ACOUSTIC_CROSSING_TRUST = 0.6


@dataclass(frozen=True, slots=True)
class ImpactSighting:
    """A located impact report."""

    t: float
    lat: float
    lon: float
    source: str
    trust: float


@dataclass(frozen=True, slots=True)
class _Hit:
    t: float
    source: str
    trust: float
    sites: tuple[int, ...]  # indexes of the sites it threatens


@dataclass(frozen=True, slots=True)
class ExplosionBearing:
    """An acoustic node heard an explosion in this direction."""

    t: float
    sensor: str
    lat: float
    lon: float
    bearing_rad: float
    sigma_rad: float


class ExplosionLocator:
    """Locates explosions where bearings from two acoustic nodes cross.

    Two nodes hearing the same blast within seconds of each other place it
    independently of any human report, and sooner: sound arrives in tens of
    seconds, reports in minutes.
    """

    def __init__(self, frame: LocalFrame, memory_s: float = 45.0, max_range_m: float = 15_000.0) -> None:
        self._frame = frame
        self._memory_s = memory_s
        self._max_range_m = max_range_m
        self._recent: deque[ExplosionBearing] = deque()

    def add(self, bearing: ExplosionBearing) -> ImpactSighting | None:
        """Add a bearing; returns a located impact when it crosses a recent one from another node."""
        while self._recent and bearing.t - self._recent[0].t > self._memory_s:
            self._recent.popleft()
        ax, ay = self._frame.to_xy(bearing.lat, bearing.lon)
        best: Crossing | None = None
        for other in self._recent:
            if other.sensor == bearing.sensor:
                continue
            bx, by = self._frame.to_xy(other.lat, other.lon)
            c = cross_bearings(
                ax, ay, bearing.bearing_rad, bearing.sigma_rad, bx, by, other.bearing_rad, other.sigma_rad
            )
            if c is None or max(c.range_a, c.range_b) > self._max_range_m or c.sigma_m > 3000.0:
                continue
            if best is None or c.sigma_m < best.sigma_m:
                best = c
        self._recent.append(bearing)
        if best is None:
            return None
        lat, lon = self._frame.to_latlon(best.x, best.y)
        return ImpactSighting(bearing.t, lat, lon, "acoustic-crossing", ACOUSTIC_CROSSING_TRUST)


class ImpactWatch:
    """Recent credible impacts and the sites they threaten."""

    def __init__(self, sites: list[Site]) -> None:
        self._sites = sites
        self._recent: deque[_Hit] = deque()

    def add(self, impact: ImpactSighting) -> None:
        """Record an impact report and the sites it threatens."""
        near = tuple(
            i
            for i, site in enumerate(self._sites)
            if haversine_m(site.lat, site.lon, impact.lat, impact.lon) <= site.radius_m + IMPACT_REACH_M
        )
        if near:
            self._recent.append(_Hit(impact.t, impact.source, impact.trust, near))

    def threats(self, t: float) -> list[Threat]:
        """Imminent threats to sites with a credible impact nearby in the last few minutes."""
        while self._recent and t - self._recent[0].t > IMPACT_WINDOW_S:
            self._recent.popleft()
        out: list[Threat] = []
        if not self._recent:
            return out
        by_site: dict[int, dict[str, float]] = {}
        for hit in self._recent:
            for i in hit.sites:
                sources = by_site.setdefault(i, {})
                sources[hit.source] = max(sources.get(hit.source, 0.0), hit.trust)
        for i, sources in sorted(by_site.items()):
            site = self._sites[i]
            miss = math.prod(1.0 - w for w in sources.values())
            credible = 1.0 - miss
            if credible < CREDIBLE_TRUST and len(sources) < 2:
                continue
            out.append(
                Threat(
                    site=site.id,
                    track=None,
                    aircraft="unknown",
                    probability=max(0.7, credible),
                    eta=t,
                    distance_m=0.0,
                    cue="impact",
                )
            )
        return out
