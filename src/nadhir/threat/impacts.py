"""Impact watch: a strike just reported near a site means more strikes may follow there.

Attacks come in runs: aircraft make several passes over one target a few
minutes apart. A credible impact report therefore threatens the sites
around it for a few minutes, and that threat is imminent.

Each impact threat carries its witnesses: those of the reports of the
strike, and, at a site aircraft were threatening just before, those of the
tracks that threatened it (their tracking is what made the strike
expected). A source whose own track made its own strike report "expected"
is still one witness, which is never enough for sirens.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

import numpy as np

from nadhir.domain import Site, Threat
from nadhir.geo.distance import EARTH_RADIUS_M, haversine_m
from nadhir.geo.frame import LocalFrame
from nadhir.tracking.triangulation import MIN_CROSSING_RAD, Crossing, cross_bearings

IMPACT_WINDOW_S = 360.0  # how long after an impact further passes are expected
IMPACT_REACH_M = 1500.0  # beyond the site's own radius
# One report from a trusted source is enough; two distinct sources always are.
CREDIBLE_TRUST = 0.45
# Two nodes independently placing a blast at one spot is good evidence, if not proof.
ACOUSTIC_CROSSING_TRUST = 0.6
# Two distinct sources are enough when together they say at least this much (two strangers: 0.44).
TWO_SOURCES_MIN = 0.3
# An unconfirmed report threatens with its own weight, capped below every siren threshold, and is
# dropped when it says next to nothing (a stranger naming the town around a hospital).
UNCONFIRMED_MAX = 0.4
UNCONFIRMED_MIN = 0.1
# A strike reported at a site that aircraft were threatening minutes before is no surprise: such a
# report, from one little-known source, is confirmation enough when it says at least this much.
# (A stranger's report naming the threatened town: 0.25; naming the town around a threatened
# hospital: a share of that, too little.)
EXPECTED_MIN = 0.2
EXPECTED_WINDOW_S = 600.0  # how recent the aircraft's threat must be
# And how strong: a faint threat is enough (below a town's phone threshold, 0.4, above a hospital's,
# 0.24). On the public scenarios 0.2-0.3 give the same; 0.4 confirms too few (docs/benchmarks.md).
EXPECTED_THREAT = 0.3
# A report this close to a site's centre was located by the site's name (about 10 m).
NAMED_TOLERANCE_DEG = 1e-4
_DISC_SAMPLES = 256
_K = TypeVar("_K")
SHARPEST_CROSSING_M = 3000.0  # a located blast is no vaguer than this
LOCATOR_RANGE_M = 15_000.0  # farthest a node is taken to hear a blast it locates
# Relative rounding allowed between numpy's sine, arcsine and hypot and the math module's.
_ROUNDING = 1e-9
# Up to this many sites, the impact watch shortlists a strike's sites by boxes in a loop; beyond, in
# arrays (_near_sites). (34 sites: 4 us a strike by boxes against 12 us in arrays.)
_FEW_SITES = 64
# The sine of the shallowest crossing cross_bearings takes, less a margin far above the rounding
# between the size of a determinant and the sine of its arcsine (see _RecentBearings.candidates).
_MIN_CROSSING_SIN = math.sin(MIN_CROSSING_RAD) * (1.0 - 1e-6)


def _named_share(sites: list[Site]) -> list[list[float]]:
    """share[j][i]: the share of site j's area (where a report naming j may have fallen) within
    site i's reach (its radius plus :data:`IMPACT_REACH_M`). Sampled on a sunflower disc."""
    if not sites:
        return []
    lat0 = sum(s.lat for s in sites) / len(sites)
    ky, kx = 110_574.0, 111_320.0 * math.cos(math.radians(lat0))
    x = np.array([s.lon * kx for s in sites])
    y = np.array([s.lat * ky for s in sites])
    reach = np.array([s.radius_m + IMPACT_REACH_M for s in sites])
    k = np.arange(_DISC_SAMPLES) + 0.5
    rho = np.sqrt(k / _DISC_SAMPLES)
    phi = k * math.pi * (3.0 - math.sqrt(5.0))
    out = []
    for j, site in enumerate(sites):
        px = x[j] + site.radius_m * rho * np.cos(phi)
        py = y[j] + site.radius_m * rho * np.sin(phi)
        inside = np.hypot(px[:, None] - x[None, :], py[:, None] - y[None, :]) <= reach[None, :]
        out.append([float(v) for v in inside.mean(axis=0)])
    return out


@dataclass(frozen=True, slots=True)
class ImpactSighting:
    """A located impact report.

    ``witnesses``: the independent witnesses behind it (empty: its source alone).
    """

    t: float
    lat: float
    lon: float
    source: str
    trust: float
    witnesses: frozenset[str] = frozenset()


# How a strike was placed: by a place's name (somewhere in it), by coordinates, or by two acoustic
# nodes' bearings crossing (within SHARPEST_CROSSING_M).
Placement = Literal["named", "located", "acoustic"]
ACOUSTIC_SOURCE = "acoustic-crossing"


@dataclass(frozen=True, slots=True)
class _Hit:
    t: float
    source: str
    weights: tuple[tuple[int, float], ...]  # (site index, how much the report says that site was hit)
    expected: frozenset[int] = frozenset()  # sites among them that aircraft were threatening then
    witnesses: frozenset[str] = frozenset()  # of the report
    # (site index, the witnesses of the tracks that threatened it then) for the expected sites
    backing: tuple[tuple[int, frozenset[str]], ...] = ()
    # Metres from the report's position to each weighted site's centre (in the order of weights).
    distances: tuple[float, ...] = ()
    placement: Placement = "located"


@dataclass(frozen=True, slots=True)
class ImpactEvidence:
    """What the recent strike reports say about one site, as the siren model reads it.

    All of it is known when the reports come: where they placed the strike relative to the
    site, how many reports and distinct sources there are, how they were placed, whether
    aircraft were threatening the site just before, and when the newest came.
    """

    nearest_m: float  # the closest report's position to the site's centre
    hits: int
    sources: int
    named_share: float  # the share of the reports placed only by a place's name
    acoustic: bool  # one of them is two acoustic nodes' crossing bearings
    expected: bool
    newest_t: float


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

    Each new bearing is crossed with every recent one from another node and
    the sharpest crossing wins. A blast heard by a country's sensors makes
    hundreds of recent bearings, so the crossings are first worked out for
    all of them at once in arrays (:class:`_RecentBearings`); the few whose
    figures come near the best are then crossed again one by one with
    :func:`cross_bearings`, which decides, so that the located impact is
    the one the pairwise loop finds, to the bit.
    """

    def __init__(
        self, frame: LocalFrame, memory_s: float = 45.0, max_range_m: float = LOCATOR_RANGE_M
    ) -> None:
        self._frame = frame
        self._memory_s = memory_s
        self._max_range_m = max_range_m
        self._recent = _RecentBearings()

    def add(self, bearing: ExplosionBearing) -> ImpactSighting | None:
        """Add a bearing; returns a located impact when it crosses a recent one from another node."""
        recent = self._recent
        recent.forget(bearing.t, self._memory_s)
        ax, ay = self._frame.to_xy(bearing.lat, bearing.lon)
        best: Crossing | None = None
        best_k = -1
        best_sensor = ""
        for k, rough_sigma in recent.candidates(ax, ay, bearing, self._max_range_m, SHARPEST_CROSSING_M):
            if best is not None and rough_sigma > best.sigma_m * (1.0 + _ROUNDING):
                break  # (candidates come sharpest first: none of the rest can beat the best)
            other, bx, by = recent.bearings[k]
            c = cross_bearings(
                ax, ay, bearing.bearing_rad, bearing.sigma_rad, bx, by, other.bearing_rad, other.sigma_rad
            )
            if c is None or max(c.range_a, c.range_b) > self._max_range_m or c.sigma_m > SHARPEST_CROSSING_M:
                continue
            # The sharpest, and of equally sharp ones the oldest (the pairwise loop's choice).
            if best is None or c.sigma_m < best.sigma_m or (c.sigma_m == best.sigma_m and k < best_k):
                best, best_k, best_sensor = c, k, other.sensor
        recent.append(bearing, ax, ay)
        if best is None:
            return None
        lat, lon = self._frame.to_latlon(best.x, best.y)
        # Two nodes' ears: the crossing rests on both (the pipeline maps them to witnesses).
        return ImpactSighting(
            bearing.t,
            lat,
            lon,
            ACOUSTIC_SOURCE,
            ACOUSTIC_CROSSING_TRUST,
            frozenset({bearing.sensor, best_sensor}),
        )

    def remember(self, bearing: ExplosionBearing) -> None:
        """Keep a bearing for later ones to cross, without locating it now (a blast it points at
        is already located: see :class:`BlastClusters`)."""
        self._recent.forget(bearing.t, self._memory_s)
        ax, ay = self._frame.to_xy(bearing.lat, bearing.lon)
        self._recent.append(bearing, ax, ay)


@dataclass
class _Spot:
    """A spot a step's blasts were gathered at: where, its first fix, its latest time, its nodes."""

    x: float
    y: float
    first: ImpactSighting
    latest: float
    nodes: set[str] = field(default_factory=set)


class BlastClusters:
    """The blasts located in one step, gathered into one per spot (opt-in: ``Pipeline.blast_cluster_m``).

    A blast heard by a country's sensors is located again by nearly every bearing that crosses
    an earlier one, about ten times at one instant and dozens in a window of a few seconds, and
    each located copy was added to the impact watch and credited on its own. Gathered here
    instead: a located blast within ``radius_m`` of one already held joins it, and a bearing
    that points at a held blast (it passes within ``radius_m`` of it, ahead of its node and in
    range) joins it without being located at all (:meth:`ExplosionLocator.remember`). At the
    step's end (or before an impact report in it) each spot is added once, at its first fix,
    stamped with its latest time, with every node behind it as a witness, and credited. It
    changes the impact watch's hit counts (one hit a spot and step, not one a crossing), so it
    is opt-in and scored (docs/benchmarks.md, "Thirteenth session,
    explosions and reports").
    """

    def __init__(self, frame: LocalFrame, radius_m: float, max_range_m: float = LOCATOR_RANGE_M) -> None:
        if not (math.isfinite(radius_m) and radius_m > 0.0):
            raise ValueError(f"radius_m must be a finite number of metres > 0, not {radius_m}")
        self._frame = frame
        self._radius_m = radius_m
        self._max_range_m = max_range_m
        self._spots: list[_Spot] = []

    def __bool__(self) -> bool:
        return bool(self._spots)

    def explains(self, bearing: ExplosionBearing) -> bool:
        """Whether ``bearing`` points at a held spot; if so, it joins it (its node a witness)."""
        if not self._spots:
            return False
        ax, ay = self._frame.to_xy(bearing.lat, bearing.lon)
        ux, uy = math.sin(bearing.bearing_rad), math.cos(bearing.bearing_rad)
        for spot in self._spots:
            rx, ry = spot.x - ax, spot.y - ay
            ahead = rx * ux + ry * uy
            if 0.0 < ahead <= self._max_range_m and abs(rx * uy - ry * ux) <= self._radius_m:
                spot.latest = max(spot.latest, bearing.t)
                spot.nodes.add(bearing.sensor)
                return True
        return False

    def add(self, blast: ImpactSighting) -> None:
        """Hold a located blast: it joins the first held spot within ``radius_m``, or starts one."""
        x, y = self._frame.to_xy(blast.lat, blast.lon)
        for spot in self._spots:
            if math.hypot(x - spot.x, y - spot.y) <= self._radius_m:
                spot.latest = max(spot.latest, blast.t)
                spot.nodes.update(blast.witnesses)
                return
        self._spots.append(_Spot(x, y, blast, blast.t, set(blast.witnesses)))

    def take(self) -> list[ImpactSighting]:
        """One blast a spot, in the order the spots began; empties the holder."""
        out = [replace(s.first, t=s.latest, witnesses=frozenset(s.nodes)) for s in self._spots]
        self._spots = []
        return out


class _RecentBearings:
    """The recent explosion bearings, oldest first, with their figures in arrays for crossing them all.

    ``bearings[k]`` is (bearing, x, y) for k in ``range(start, len(bearings))``; the arrays hold,
    at the same k, what :func:`cross_bearings` works from: the node's position, the sine and
    cosine of its bearing (from :mod:`math`, as cross_bearings takes them; kept negated, as it
    uses them), its sigma, and a number per node.
    """

    def __init__(self) -> None:
        self.bearings: list[tuple[ExplosionBearing, float, float]] = []
        self.start = 0
        # x, y, -sin, -cos (as cross_bearings negates them, once for all), sigma, node
        self._columns = np.zeros((6, 64))
        self._nodes: dict[str, int] = {}

    def forget(self, t: float, memory_s: float) -> None:
        """Drop the oldest bearings while they were heard more than ``memory_s`` before ``t``."""
        bearings, k = self.bearings, self.start
        while k < len(bearings) and t - bearings[k][0].t > memory_s:
            k += 1
        self.start = k

    def append(self, bearing: ExplosionBearing, x: float, y: float) -> None:
        """Keep a bearing heard at (x, y) as the newest."""
        if self.start > 0 and self.start * 2 >= len(self.bearings):
            kept = len(self.bearings) - self.start
            self.bearings = self.bearings[self.start :]
            self._columns[:, :kept] = self._columns[:, self.start : self.start + kept]
            self.start = 0
        k = len(self.bearings)
        if k == self._columns.shape[1]:
            self._columns = np.concatenate([self._columns, np.zeros_like(self._columns)], axis=1)
        node = self._nodes.setdefault(bearing.sensor, len(self._nodes))
        self._columns[:, k] = (
            x,
            y,
            -math.sin(bearing.bearing_rad),
            -math.cos(bearing.bearing_rad),
            bearing.sigma_rad,
            node,
        )
        self.bearings.append((bearing, x, y))

    def candidates(
        self, ax: float, ay: float, bearing: ExplosionBearing, max_range_m: float, max_sigma_m: float
    ) -> Iterator[tuple[int, float]]:
        """The recent bearings whose crossing with ``bearing`` (heard at (ax, ay)) may qualify.

        (index, rough sigma of the crossing), sharpest first, the oldest first among equals.
        Worked out in arrays, with cross_bearings' operations in its order: the same figures but
        for the rounding of numpy's sine and hypot, which the tests allow for. Left out: the
        bearings from the same node, and those surely out of range or too vague; the caller
        decides the rest with cross_bearings.

        The crossing's angle is not taken (cross_bearings' arcsine, then its sine): the sine of
        the angle is the size of ``det`` (clipped to 1), so the angle's test is made on that
        size against the sine of the least angle, less a rounding margin, and the rough sigma is
        divided by it. Those too shallow, or from the same node, are left out first, and the
        rest worked out only for those that are left (on the country scenario one in eight of the
        recent bearings goes at this step; about one in eight of them all is a candidate). Given
        lazily, as the caller takes them: it most often stops at the first few.
        """
        lo, hi = self.start, len(self.bearings)
        if lo == hi:
            return
        columns = self._columns[:, lo:hi]
        uax, uay = math.sin(bearing.bearing_rad), math.cos(bearing.bearing_rad)
        det = uax * columns[3] - uay * columns[2]  # (the columns hold -cos and -sin: exact)
        size = np.minimum(np.abs(det), 1.0)
        node = self._nodes.get(bearing.sensor, -1)
        steep = np.flatnonzero((size >= _MIN_CROSSING_SIN) & (columns[5] != node))
        if not len(steep):
            return
        bx, by, minus_ubx, minus_uby, sigma_b, _ = columns[:, steep]
        det, size = det[steep], size[steep]  # (none is nought: no division by zero below)
        rx, ry = bx - ax, by - ay
        s = (rx * minus_uby - ry * minus_ubx) / det
        u = (uax * ry - uay * rx) / det
        sigma = np.hypot(s * bearing.sigma_rad, u * sigma_b) / size
        ok = (
            (s > -_ROUNDING)
            & (u > -_ROUNDING)
            & (np.maximum(s, u) <= max_range_m * (1.0 + _ROUNDING))
            & (sigma <= max_sigma_m * (1.0 + _ROUNDING))
        )
        kept = np.flatnonzero(ok)
        if not len(kept):
            return
        by_sigma = kept[np.argsort(sigma[kept], kind="stable")]
        order, rough = steep[by_sigma] + lo, sigma[by_sigma]
        for j in range(len(order)):
            yield int(order[j]), float(rough[j])


class ImpactWatch:
    """Recent credible impacts and the sites they threaten."""

    def __init__(self, sites: list[Site]) -> None:
        self._sites = sites
        # The sites' centres and reach in arrays, to shortlist those an impact may hit (_near_sites).
        self._lat = np.array([s.lat for s in sites], dtype=float)
        self._lon = np.array([s.lon for s in sites], dtype=float)
        self._reach = np.array([s.radius_m + IMPACT_REACH_M for s in sites], dtype=float)
        # Half the sides, in degrees, of a box about each site that holds its reach (_near_sites).
        self._boxes = [_reach_box(s.lat, s.radius_m + IMPACT_REACH_M) for s in sites]
        self._recent: deque[_Hit] = deque()
        self._share = _named_share(sites)
        self._index = {s.id: i for i, s in enumerate(sites)}
        self._threatened_at: dict[int, float] = {}  # site index -> last time an aircraft threatened it
        # site index -> {witness of such a threat: the last time it was behind one}
        self._threatened_by: dict[int, dict[str, float]] = {}
        # site index -> (witnesses, time) of its last note not yet written into _threatened_by: see
        # note_threats. Written before _threatened_by is read, so it reads as if written at once.
        self._pending_by: dict[int, tuple[frozenset[str], float]] = {}
        # (site, probability, witnesses) for the hits in _recent, worked out again only when they
        # change: the pipeline asks at every step, and the hits change once in a few dozen steps.
        self._credible: list[tuple[str, float, frozenset[str]]] | None = None
        self._tally = _HitTally()  # what the hits in _recent say, kept as they come and go
        # site index -> (t, the earliest time behind them, the witnesses behind it at t): _backers_at.
        self._backers: dict[int, tuple[float, float, frozenset[str]]] = {}

    def add(self, impact: ImpactSighting) -> None:
        """Record an impact report and the sites it threatens.

        A report that names a site ("an airstrike on Idlib") is placed at that
        site's centre, but the strike fell somewhere in it: a hospital in the
        town is hit only if the strike fell near it, so its share of the
        report's weight is the share of the town within its reach.
        """
        named = self._named(impact)
        placement: Placement
        sites = self._sites
        if named is not None:
            weights = [(i, impact.trust * share) for i, share in enumerate(self._share[named]) if share > 0.0]
            placement = "named"
            distances = tuple(
                haversine_m(sites[i].lat, sites[i].lon, impact.lat, impact.lon) for i, _ in weights
            )
        else:
            near = self._near_sites(impact.lat, impact.lon)
            weights = [(i, impact.trust) for i, _ in near]
            distances = tuple(d for _, d in near)
            placement = "acoustic" if impact.source == ACOUSTIC_SOURCE else "located"
        if weights:
            expected = frozenset(
                i for i, _ in weights if impact.t - self._threatened_at.get(i, -math.inf) <= EXPECTED_WINDOW_S
            )
            # Only these sites' notes are read: the others' wait (see note_threats).
            self._write_pending(expected)
            backing = tuple((i, self._backers_at(i, impact.t)) for i in sorted(expected))
            witnesses = impact.witnesses or frozenset({impact.source})
            hit = _Hit(
                impact.t, impact.source, tuple(weights), expected, witnesses, backing, distances, placement
            )
            self._recent.append(hit)
            self._tally.add(hit)
            self._credible = None

    def note_threats(self, t: float, threats: Iterable[Threat]) -> None:
        """Record which sites aircraft threaten at ``t`` (the tracks' threats, not impacts').

        A later strike report at such a site is expected, and needs less to be believed.
        """
        index, at, pending = self._index, self._threatened_at, self._pending_by
        for threat in threats:
            if threat.probability >= EXPECTED_THREAT and threat.cue != "impact":
                i = index.get(threat.site)
                if i is not None:
                    at[i] = t
                    witnesses = threat.witnesses
                    if witnesses:
                        # A track heard by a country's sensors has hundreds of witnesses, and the
                        # same set (one object, see the pipeline) threatens a site step after step.
                        # Writing each witness's time at every step was the work; the last note
                        # of one set waits instead, and is written when another set comes or
                        # before _threatened_by is read: the same keys and last times.
                        held = pending.get(i)
                        if held is not None and held[0] is not witnesses and not _covers(witnesses, t, held):
                            self._write(i, *held)
                        pending[i] = (witnesses, t)

    def _write_pending(self, sites: Iterable[int] | None = None) -> None:
        """Write the notes note_threats held back into _threatened_by: those of ``sites``, or all.

        Each site's notes are written in the order they came either way (a site's held note is
        written before another set is noted there), and only a site's own notes are read.
        """
        pending = self._pending_by
        for i in list(pending) if sites is None else [i for i in sites if i in pending]:
            self._write(i, *pending.pop(i))

    def _write(self, i: int, witnesses: frozenset[str], t: float) -> None:
        """Note that ``witnesses`` were behind a threat to site ``i`` at ``t``."""
        self._threatened_by.setdefault(i, {}).update(dict.fromkeys(witnesses, t))
        held = self._backers.get(i)
        if held is not None and (t < held[1] or not held[2].issuperset(witnesses)):
            # A witness it left out (new, or too old then) is recent now, or one in it is older.
            del self._backers[i]

    def _backers_at(self, i: int, t: float) -> frozenset[str]:
        """The witnesses behind a threat to site ``i`` in the :data:`EXPECTED_WINDOW_S` before ``t``.

        A blast heard by a country's sensors is located many times a minute, with the same
        hundreds of witnesses behind the sites around it; the set is built again only when it may
        have changed, and is then the same object (the hits' backing is merged once per object).
        It is the same set while time runs on (a witness left out as too old stays out), no
        witness it left out is written again (see _write), and the earliest time behind it is
        still in the window: every one in it was written at that time or later.
        """
        held = self._backers.get(i)
        if held is not None and t >= held[0] and (not held[2] or t - held[1] <= EXPECTED_WINDOW_S):
            return held[2]
        backers, earliest = _recent_witnesses(self._threatened_by.get(i, {}), t)
        self._backers[i] = (t, earliest, backers)
        return backers

    def evidence(self, site_id: str) -> ImpactEvidence | None:
        """What the recent reports (as of the last :meth:`threats`) say about a site; None: none."""
        i = self._index.get(site_id)
        if i is None or i not in self._tally.weights:
            return None
        nearest, hits, named, newest = math.inf, 0, 0, -math.inf
        sources: set[str] = set()
        acoustic = expected = False
        for hit in self._recent:
            for (j, _), distance in zip(hit.weights, hit.distances, strict=True):
                if j != i:
                    continue
                nearest = min(nearest, distance)
                hits += 1
                named += hit.placement == "named"
                acoustic = acoustic or hit.placement == "acoustic"
                expected = expected or i in hit.expected
                newest = max(newest, hit.t)
                sources.add(hit.source)
        if hits == 0:
            return None
        return ImpactEvidence(nearest, hits, len(sources), named / hits, acoustic, expected, newest)

    def _near_sites(self, lat: float, lon: float) -> list[tuple[int, float]]:
        """(site index, metres) of the sites whose reach takes in (lat, lon), in the sites' order.

        A located blast is added hundreds of times a minute, and each was measured against every
        site with :func:`haversine_m`. A box of latitude and longitude about each site's reach
        (:func:`_reach_box`, wider than the reach) shortlists the sites in two comparisons each;
        :func:`haversine_m` then decides each one on the shortlist and gives its distance, so the
        sites and metres are those the loop over every site found, to the bit. (A country's few
        dozen sites: a loop of comparisons is quicker than a dozen array operations; beyond
        :data:`_FEW_SITES` the arrays shortlist them, as they did for all.)
        """
        sites = self._sites
        shortlist: Iterable[int]
        if len(sites) > _FEW_SITES:
            # Many sites: in arrays, with a margin far above the rounding between numpy's sine,
            # cosine and arcsine and the math module's.
            p1, p2 = np.radians(self._lat), math.radians(lat)
            dp, dl = p2 - p1, np.radians(lon - self._lon)
            a = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
            rough = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
            shortlist = np.flatnonzero(rough <= self._reach * (1.0 + _ROUNDING) + 1e-6).tolist()
        else:
            shortlist = (
                i
                for i, (site, (half_lat, half_lon)) in enumerate(zip(sites, self._boxes, strict=True))
                if abs(site.lat - lat) <= half_lat and not half_lon < abs(site.lon - lon) < 360.0 - half_lon
            )
        out = []
        for i in shortlist:
            site = sites[i]
            d = haversine_m(site.lat, site.lon, lat, lon)
            if d <= site.radius_m + IMPACT_REACH_M:
                out.append((i, d))
        return out

    def _named(self, impact: ImpactSighting) -> int | None:
        """The site whose centre the report sits on (located by the site's name), if any."""
        # (In arrays: a difference and its size are exact, the same bits as the loop's floats.)
        named = np.flatnonzero(
            (np.abs(self._lat - impact.lat) < NAMED_TOLERANCE_DEG)
            & (np.abs(self._lon - impact.lon) < NAMED_TOLERANCE_DEG)
        )
        return int(named[0]) if len(named) else None

    def threats(self, t: float) -> list[Threat]:
        """Imminent threats to sites with a credible impact nearby in the last few minutes."""
        while self._recent and t - self._recent[0].t > IMPACT_WINDOW_S:
            self._tally.remove(self._recent.popleft())
            self._credible = None
        if self._credible is None:
            self._credible = self._credible_sites()
        return [
            Threat(site, None, "unknown", probability, t, 0.0, "impact", witnesses)
            for site, probability, witnesses in self._credible
        ]

    def _credible_sites(self) -> list[tuple[str, float, frozenset[str]]]:
        """(site, probability of a strike there, witnesses) for the recent hits, in the sites' order."""
        out: list[tuple[str, float, frozenset[str]]] = []
        tally = self._tally
        expected = tally.expected
        for i in sorted(tally.weights):
            sources = tally.strongest(i)
            site = self._sites[i]
            miss = math.prod(1.0 - w for w in sources.values())
            credible = 1.0 - miss
            # One trusted source is enough; so are two independent ones, unless what they say
            # about this site is weak (both only named the town around it); so is one little-known
            # source reporting a strike where aircraft were just threatening.
            confirmed = (
                credible >= CREDIBLE_TRUST
                or (len(sources) >= 2 and credible >= TWO_SOURCES_MIN)
                or (i in expected and credible >= EXPECTED_MIN)
            )
            # An unconfirmed report (one little-known source) is still a report of a strike: it is
            # passed on at what it is worth, below any siren threshold, for the policy to judge.
            probability = max(0.7, credible) if confirmed else min(credible, UNCONFIRMED_MAX)
            if probability < UNCONFIRMED_MIN:
                continue
            out.append((site.id, probability, tally.witnesses(i)))
        return out


class _HitTally:
    """What the recent hits say, per site, kept up to date as hits come and go (oldest first).

    The impact watch asked it afresh of every recent hit whenever one came or went; a blast
    heard by a country's sensors is located many times a minute, each a hit backed by hundreds
    of witnesses, and the asking was the work. Kept here instead: per site and source, the
    hits' weights, counted (their largest is the source's say) and in order of arrival (the
    sources' order of first arrival among the recent hits, in which the watch multiplies their
    misses); per site, how many hits stand behind each witness (a backing set counted once per
    site however many hits carry it); and how many hits expected each site.
    """

    def __init__(self) -> None:
        self._seq = 0  # hits added so far: the next one's sequence number
        # site -> source -> (the hits' sequence numbers, oldest first; how many of each weight)
        self.weights: dict[int, dict[str, tuple[deque[int], Counter[float]]]] = {}
        self.witnessed: dict[int, Counter[str]] = {}  # site -> witness -> contributions held
        self.expected: Counter[int] = Counter()  # site -> hits that expected a strike there
        self._backing: Counter[tuple[int, frozenset[str]]] = Counter()  # (site, set) -> hits with it
        # site -> (its witnesses' count of keys changed so far, the witnesses then): see witnesses()
        self._changes: Counter[int] = Counter()
        self._frozen: dict[int, tuple[int, frozenset[str]]] = {}

    def add(self, hit: _Hit) -> None:
        """Count a new hit (the newest)."""
        seq = self._seq
        self._seq += 1
        for i, weight in hit.weights:
            seqs, counts = self.weights.setdefault(i, {}).setdefault(hit.source, (deque(), Counter()))
            seqs.append(seq)
            counts[weight] += 1
            self._count_witnesses(i, hit.witnesses)
        for i, backers in hit.backing:
            self._backing[i, backers] += 1
            if self._backing[i, backers] == 1:
                self._count_witnesses(i, backers)
        self.expected.update(hit.expected)

    def remove(self, hit: _Hit) -> None:
        """Forget the oldest hit, ``hit``."""
        for i, weight in hit.weights:
            sources = self.weights[i]
            seqs, counts = sources[hit.source]
            seqs.popleft()
            _drop(counts, [weight])
            if not seqs:
                del sources[hit.source]
                if not sources:
                    del self.weights[i]
            self._forget_witnesses(i, hit.witnesses)
        for i, backers in hit.backing:
            self._backing[i, backers] -= 1
            if self._backing[i, backers] == 0:
                del self._backing[i, backers]
                self._forget_witnesses(i, backers)
        _drop(self.expected, hit.expected)

    def strongest(self, i: int) -> dict[str, float]:
        """Each source's strongest weight at site ``i``, in the order the sources first came."""
        ordered = sorted(self.weights[i].items(), key=lambda item: item[1][0][0])
        return {source: max(0.0, max(counts)) for source, (_, counts) in ordered}

    def witnesses(self, i: int) -> frozenset[str]:
        """The witnesses behind the hits at site ``i``: built again only when they changed."""
        held = self._frozen.get(i)
        if held is not None and held[0] == self._changes[i]:
            return held[1]
        witnesses = frozenset(self.witnessed.get(i, ()))
        self._frozen[i] = (self._changes[i], witnesses)
        return witnesses

    def _count_witnesses(self, i: int, witnesses: Iterable[str]) -> None:
        counts = self.witnessed.setdefault(i, Counter())
        before = len(counts)
        counts.update(witnesses)
        if len(counts) != before:  # (only adds keys: a change in number is a change of keys)
            self._changes[i] += 1

    def _forget_witnesses(self, i: int, witnesses: Iterable[str]) -> None:
        counts = self.witnessed[i]
        before = len(counts)
        _drop(counts, witnesses)
        if len(counts) != before:  # (only drops keys)
            self._changes[i] += 1
        if not counts:
            del self.witnessed[i]


def _reach_box(lat: float, reach_m: float) -> tuple[float, float]:
    """Half the sides (degrees of latitude, of longitude) of a box about a site at ``lat`` that holds
    every point :func:`haversine_m` puts within ``reach_m`` of the site, with a wide margin.

    The haversine's ``a`` is at least ``sin(dp / 2) ** 2``, so the distance is at least the
    latitudes' difference in radians times the earth's radius; and at least ``cos p1 cos p2
    sin(dl / 2) ** 2``, where the point's latitude is within that angle of the site's, so its
    cosine is at least that of the larger latitude. The margins (a millionth, a metre, a
    millionth of a degree) are far above the rounding of either side.
    """
    angle = (reach_m * (1.0 + 1e-6) + 1.0) / EARTH_RADIUS_M
    p = abs(math.radians(lat))
    if p + angle >= math.pi / 2:
        return 180.0, 360.0  # (near a pole: no box)
    spread = math.sin(angle / 2) / math.sqrt(math.cos(p) * math.cos(p + angle))
    half_lon = 360.0 if spread >= 1.0 else math.degrees(2 * math.asin(spread))
    return math.degrees(angle) * (1.0 + 1e-6) + 1e-6, half_lon * (1.0 + 1e-6) + 1e-6


def _covers(witnesses: frozenset[str], t: float, held: tuple[frozenset[str], float]) -> bool:
    """Whether a note of ``witnesses`` at ``t`` makes the held note (witnesses, time) moot.

    A track's witnesses only grow (it only gains sources), so the next set behind a site is most
    often the last one and a few more. Every witness of the held note is then written again, at
    ``t`` or later, before _threatened_by is read (notes are written in the order they came, and
    each pending one before the site's notes are read), and its time there is that later one:
    writing the held note first leaves the same keys and last times (in another order, which
    nothing reads: the backing is a set and its earliest time). Nor does it clear the kept
    backing (_backers) where the later write would not: a set that a superset's write leaves
    standing holds the subset, and the held note is no older than that backing's earliest time
    (notes come in time order, one per step, and a site's backing is worked out from notes
    already written: the held one, still pending, came after them).
    """
    return held[1] <= t and witnesses.issuperset(held[0])


def _recent_witnesses(notes: dict[str, float], t: float) -> tuple[frozenset[str], float]:
    """The witnesses noted (witness -> last time) within :data:`EXPECTED_WINDOW_S` before ``t``,
    and the earliest of their times (infinity when none is).

    A site's notes hold hundreds of a country's nodes, written a step's set at a time, so they
    share a few dozen distinct times: the window's test is made once per distinct time (the same
    test, ``t - at <= EXPECTED_WINDOW_S``, on the same floats) and the witnesses are picked out by
    their time in C, rather than the test made in Python for every witness. The earliest time
    behind them is the least passing time, since every passing time is some witness's.
    """
    times = set(notes.values())
    passing = {at for at in times if t - at <= EXPECTED_WINDOW_S}
    if len(passing) == len(times):
        backers = frozenset(notes)
    else:
        backers = frozenset(itertools.compress(notes, map(passing.__contains__, notes.values())))
    return backers, min(passing) if passing else math.inf


def _drop(counts: Counter[_K], keys: Iterable[_K]) -> None:
    """Take one off each key's count, deleting the keys that reach nought."""
    for key in keys:
        left = counts[key] - 1
        if left:
            counts[key] = left
        else:
            del counts[key]
