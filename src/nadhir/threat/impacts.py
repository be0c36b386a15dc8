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

IMPACT_WINDOW_S = 360.0  # how long after an impact further passes are expected
IMPACT_REACH_M = 1500.0  # beyond the site's own radius
# One report from a trusted source is enough; two distinct sources always are.
CREDIBLE_TRUST = 0.45


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


class ImpactWatch:
    """Recent credible impacts and the sites they threaten."""

    def __init__(self, sites: list[Site]) -> None:
        self._sites = sites
        self._recent: deque[_Hit] = deque()

    def add(self, impact: ImpactSighting) -> None:
        """Record an impact report and the sites it threatens."""
        near = tuple(
            i for i, site in enumerate(self._sites)
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
            out.append(Threat(site=site.id, track=None, aircraft="unknown", probability=max(0.7, credible),
                              eta=t, distance_m=0.0))
        return out
