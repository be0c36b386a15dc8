"""The explosion locator and the impact corroboration against the pairwise loops they replace.

A blast heard by a country's sensors is located once per pair of nodes that heard it, and each
located one was credited by walking every track's path (issue 16). The locator now crosses all
recent bearings at once in arrays and decides the near-best with ``cross_bearings``; the
corroboration skips tracks with nothing left to credit and paths whose bounding box is out of
reach. Both must give exactly what the pairwise loops gave: the same impact to the bit, the
same sources in the same order.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.domain import Site, Threat
from nadhir.geo.frame import LocalFrame
from nadhir.threat.corroboration import ImpactCorroboration, passed_near
from nadhir.threat.impacts import (
    ACOUSTIC_CROSSING_TRUST,
    CREDIBLE_TRUST,
    EXPECTED_MIN,
    EXPECTED_WINDOW_S,
    TWO_SOURCES_MIN,
    UNCONFIRMED_MAX,
    UNCONFIRMED_MIN,
    ExplosionBearing,
    ExplosionLocator,
    ImpactSighting,
    ImpactWatch,
)
from nadhir.tracking.track import Track
from nadhir.tracking.triangulation import MIN_CROSSING_RAD, Crossing, cross_bearings

FRAME = LocalFrame(35.9, 36.6)


class PairwiseLocator:
    """The locator as it was: every new bearing crossed with each recent one in turn."""

    def __init__(self, frame: LocalFrame, memory_s: float = 45.0, max_range_m: float = 15_000.0) -> None:
        self._frame = frame
        self._memory_s = memory_s
        self._max_range_m = max_range_m
        self._recent: deque[ExplosionBearing] = deque()

    def add(self, bearing: ExplosionBearing) -> ImpactSighting | None:
        while self._recent and bearing.t - self._recent[0].t > self._memory_s:
            self._recent.popleft()
        ax, ay = self._frame.to_xy(bearing.lat, bearing.lon)
        best: Crossing | None = None
        best_sensor = ""
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
                best, best_sensor = c, other.sensor
        self._recent.append(bearing)
        if best is None:
            return None
        lat, lon = self._frame.to_latlon(best.x, best.y)
        return ImpactSighting(
            bearing.t,
            lat,
            lon,
            "acoustic-crossing",
            ACOUSTIC_CROSSING_TRUST,
            frozenset({bearing.sensor, best_sensor}),
        )


def _blast_bearings(seed: int, nodes: int, blasts: int, noise: float) -> list[ExplosionBearing]:
    """Nodes scattered over 60 km hearing a few blasts, in time order, with noisy bearings;
    some hear one twice, some bearings are wild, some pairs are exact duplicates."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-30_000.0, 30_000.0, size=(nodes, 2))
    out: list[tuple[float, str, float, float, float, float]] = []
    for b in range(blasts):
        bx, by = rng.uniform(-20_000.0, 20_000.0, size=2)
        t0 = b * rng.uniform(5.0, 80.0)
        for k in range(nodes):
            dx, dy = bx - xy[k, 0], by - xy[k, 1]
            if math.hypot(dx, dy) > 25_000.0 or rng.random() < 0.2:
                continue
            true = math.atan2(dx, dy)
            wild = rng.random() < 0.1
            bearing = rng.uniform(-math.pi, math.pi) if wild else true + rng.normal(0.0, noise)
            t = round(t0 + math.hypot(dx, dy) / 340.0, 0)
            lat, lon = FRAME.to_latlon(float(xy[k, 0]), float(xy[k, 1]))
            sigma = float(rng.choice([0.03, 0.05, 0.1, 0.2]))
            out.append((t, f"ac-{k}", lat, lon, bearing, sigma))
            if rng.random() < 0.05:
                out.append((t, f"ac-{k}", lat, lon, bearing, sigma))  # a node that reports twice
            if rng.random() < 0.1:  # a node carried elsewhere: never crossed with its own bearings
                moved = FRAME.to_latlon(float(xy[k, 0]) + 3000.0, float(xy[k, 1]))
                out.append((t + 1.0, f"ac-{k}", *moved, math.atan2(dx - 3000.0, dy), sigma))
    out.sort(key=lambda e: e[0])
    return [ExplosionBearing(*e) for e in out]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nodes=st.integers(2, 120),
    blasts=st.integers(1, 6),
    noise=st.sampled_from([0.0, 0.01, 0.05, 0.3]),
)
def test_the_locator_finds_what_the_pairwise_loop_finds(
    seed: int, nodes: int, blasts: int, noise: float
) -> None:
    fast, reference = ExplosionLocator(FRAME), PairwiseLocator(FRAME)
    located = 0
    for bearing in _blast_bearings(seed, nodes, blasts, noise):
        got, want = fast.add(bearing), reference.add(bearing)
        assert got == want
        located += want is not None
    if noise == 0.0 and nodes >= 60:
        assert located > 0  # (the comparison is not only of Nones)


def test_equally_sharp_crossings_go_to_the_oldest_bearing() -> None:
    """Two nodes placed symmetrically give the new bearing two crossings of the same sigma."""
    fast, reference = ExplosionLocator(FRAME), PairwiseLocator(FRAME)
    west = FRAME.to_latlon(-5000.0, 5000.0)
    east = FRAME.to_latlon(5000.0, 5000.0)
    south = FRAME.to_latlon(0.0, 0.0)
    bearings = [
        ExplosionBearing(0.0, "ac-e", *east, -math.pi / 2, 0.05),
        ExplosionBearing(1.0, "ac-w", *west, math.pi / 2, 0.05),
        ExplosionBearing(2.0, "ac-s", *south, 0.0, 0.05),
    ]
    results = [(fast.add(b), reference.add(b)) for b in bearings]
    assert all(got == want for got, want in results)
    last = results[-1][1]
    assert last is not None and last.witnesses == frozenset({"ac-s", "ac-e"})


@settings(max_examples=200, deadline=None)
@given(
    offset=st.floats(-1e-6, 1e-6),
    towards=st.floats(-1.0, 1.0),
    spacing=st.floats(300.0, 2500.0),
    sigma=st.sampled_from([0.002, 0.01, 0.05]),
)
def test_crossings_at_the_shallowest_angle_are_taken_as_the_pairwise_loop_takes_them(
    offset: float, towards: float, spacing: float, sigma: float
) -> None:
    """Two bearings crossing within a hair of the least angle cross_bearings takes: the fast
    path tests the angle's sine rather than the angle, and must keep what the loop keeps."""
    angle = MIN_CROSSING_RAD + offset
    west, east = FRAME.to_latlon(0.0, 0.0), FRAME.to_latlon(spacing, 0.0)
    # The eastern node's bearing turns `angle` west of the western one's: they meet ahead of both.
    bearings = [
        ExplosionBearing(0.0, "ac-w", *west, towards, sigma),
        ExplosionBearing(1.0, "ac-e", *east, towards - angle, sigma),
        ExplosionBearing(2.0, "ac-w", *west, towards + angle, sigma),
    ]
    fast, reference = ExplosionLocator(FRAME), PairwiseLocator(FRAME)
    results = [(fast.add(bearing), reference.add(bearing)) for bearing in bearings]
    assert all(got == want for got, want in results)
    if offset < -1e-9:
        assert results[1][1] is None  # (too shallow: the loop's own test decides)


@settings(max_examples=30, deadline=None)
@given(spacing=st.floats(300.0, 1000.0), towards=st.floats(-1.0, 1.0))
def test_a_crossing_just_past_the_shallowest_angle_is_located(spacing: float, towards: float) -> None:
    """The same two nodes a hair steeper than the least angle, sharp bearings: located by both."""
    angle = MIN_CROSSING_RAD + 1e-7
    west, east = FRAME.to_latlon(0.0, 0.0), FRAME.to_latlon(spacing, 0.0)
    fast, reference = ExplosionLocator(FRAME), PairwiseLocator(FRAME)
    for bearing in (
        ExplosionBearing(0.0, "ac-w", *west, towards, 0.002),
        ExplosionBearing(1.0, "ac-e", *east, towards - angle, 0.002),
    ):
        got, want = fast.add(bearing), reference.add(bearing)
        assert got == want
    assert want is not None


class WalkingCorroboration:
    """The corroboration as it was: every confirmed track's path walked for every impact."""

    def __init__(self) -> None:
        self._credited: dict[str, set[str]] = {}

    def confirmed_sources(
        self, tracks: list[Track], x: float, y: float, t: float, reporter: str | None = None
    ) -> list[str]:
        live_ids = {track.id for track in tracks}
        for gone in [track_id for track_id in self._credited if track_id not in live_ids]:
            del self._credited[gone]
        confirmed: dict[str, None] = {}
        for track in tracks:
            if track.status != "confirmed" or not passed_near(track, x, y, t):
                continue
            credited = self._credited.setdefault(track.id, set())
            for source in track.evidence:
                if source != reporter and source not in credited:
                    credited.add(source)
                    confirmed.setdefault(source, None)
        return list(confirmed)


def _flying_track(rng: np.random.Generator, k: int) -> Track:
    x, y = rng.uniform(-30_000.0, 30_000.0, size=2)
    heading = rng.uniform(0.0, 2 * math.pi)
    speed = float(rng.choice([50.0, 120.0, 220.0]))
    sigma = float(rng.choice([200.0, 1500.0, 6000.0]))
    track = Track(
        id=f"T{k}",
        t=0.0,
        x=np.array([x, y, speed * math.sin(heading), speed * math.cos(heading)]),
        p=np.diag([sigma**2, sigma**2, 100.0, 100.0]),
        type_probs=np.array([0.8, 0.1, 0.1]),
        created=0.0,
        last_update=0.0,
        status="confirmed" if rng.random() < 0.8 else "tentative",
    )
    return track


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_tracks=st.integers(1, 12))
def test_the_corroboration_credits_what_walking_every_path_credits(seed: int, n_tracks: int) -> None:
    rng = np.random.default_rng(seed)
    tracks = [_flying_track(rng, k) for k in range(n_tracks)]
    fast, reference = ImpactCorroboration(), WalkingCorroboration()
    for step in range(1, 200):
        t = step * 10.0
        for track in tracks:  # fly on, remember the path, hear new sources now and then
            track.x = track.x + np.array([track.x[2] * 10.0, track.x[3] * 10.0, 0.0, 0.0])
            track.t = t
            track.remember()
            if rng.random() < 0.3:
                track.add_evidence(f"ac-{int(rng.integers(0, 40))}", 0.2)
        if step % 50 == 0 and len(tracks) > 1:
            tracks.pop(int(rng.integers(0, len(tracks))))  # a track ends
        if rng.random() < 0.5:
            if rng.random() < 0.5 and tracks:  # an impact under a track's path, or anywhere
                pick = tracks[int(rng.integers(0, len(tracks)))]
                _, px, py = pick.history[int(rng.integers(0, len(pick.history)))]
                x, y = px + rng.normal(0.0, 3000.0), py + rng.normal(0.0, 3000.0)
            else:
                x, y = rng.uniform(-60_000.0, 60_000.0, size=2)
            reporter = "ac-3" if rng.random() < 0.3 else "acoustic-crossing"
            got = fast.confirmed_sources(tracks, float(x), float(y), t, reporter=reporter)
            want = reference.confirmed_sources(tracks, float(x), float(y), t, reporter=reporter)
            assert got == want


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_tracks=st.integers(1, 12))
def test_the_corroboration_credits_a_step_s_blasts_as_one_at_a_time(seed: int, n_tracks: int) -> None:
    """The blasts of one instant asked together (confirmed_sources_many): for each, the sources
    that asking the walking loop about each in turn gives. Runs of 1 to 25 blasts, most near a
    track's path (a strike heard by many nodes: located again and again around one spot), some
    anywhere, now and then one from a reporter who is one of the tracks' sources."""
    rng = np.random.default_rng(seed)
    tracks = [_flying_track(rng, k) for k in range(n_tracks)]
    fast, reference = ImpactCorroboration(), WalkingCorroboration()
    for step in range(1, 120):
        t = step * 10.0
        for track in tracks:
            track.x = track.x + np.array([track.x[2] * 10.0, track.x[3] * 10.0, 0.0, 0.0])
            track.t = t
            track.remember()
            if rng.random() < 0.3:
                track.add_evidence(f"ac-{int(rng.integers(0, 40))}", 0.2)
        if step % 40 == 0 and len(tracks) > 1:
            tracks.pop(int(rng.integers(0, len(tracks))))
        if rng.random() < 0.5:
            continue
        pick = tracks[int(rng.integers(0, len(tracks)))]
        _, cx, cy = pick.history[int(rng.integers(0, len(pick.history)))]
        impacts: list[tuple[float, float, float, str | None]] = []
        for _ in range(int(rng.choice([1, 2, 3, 4, 8, 25]))):
            if rng.random() < 0.8:
                x, y = cx + rng.normal(0.0, 3000.0), cy + rng.normal(0.0, 3000.0)
            else:
                x, y = rng.uniform(-60_000.0, 60_000.0, size=2)
            reporter = "ac-3" if rng.random() < 0.2 else "acoustic-crossing"
            impacts.append((float(x), float(y), t - float(rng.choice([0.0, 5.0])), reporter))
        got = fast.confirmed_sources_many(tracks, impacts)
        want = [reference.confirmed_sources(tracks, x, y, at, reporter=r) for x, y, at, r in impacts]
        assert got == want


def _site(site_id: str, x: float, y: float) -> Site:
    lat, lon = FRAME.to_latlon(x, y)
    return Site(id=site_id, name=site_id, kind="town", lat=lat, lon=lon, radius_m=2000.0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(1, 150),
    gap=st.sampled_from([1.0, 5.0, 30.0, 200.0]),
)
def test_the_impact_watch_keeps_what_reading_afresh_gives(seed: int, steps: int, gap: float) -> None:
    """Each hit's backing, kept between strikes, is what reading the notes afresh gives; the
    threats, from the tally kept as hits come and go, what working them out from every hit gives."""
    rng = np.random.default_rng(seed)
    sites = [_site("north", 0.0, 10_000.0), _site("south", 0.0, -10_000.0)]
    watch = ImpactWatch(sites)
    pool = [frozenset(f"ac-{k}" for k in rng.choice(60, size=int(rng.integers(1, 30)))) for _ in range(6)]
    # And a track's witnesses as they grow: each set the last one and a few more sources.
    for _ in range(6):
        pool.append(pool[-1] | frozenset(f"ac-{k}" for k in rng.choice(60, size=int(rng.integers(1, 4)))))
    t = 0.0
    for _ in range(steps):
        t += float(rng.choice([0.0, gap]))
        threats = [
            Threat(
                site.id,
                "T1",
                "jet",
                float(rng.uniform(0.0, 1.0)),
                t,
                0.0,
                "approach",
                pool[rng.integers(0, len(pool))],
            )
            for site in sites
            if rng.random() < 0.6
        ]
        watch.note_threats(t, threats)
        for _ in range(int(rng.integers(0, 3))):
            # A blast located by two nodes, or a report from one of a few observers of some trust,
            # at a site's centre (named) or between the two sites (within reach of both, or neither).
            newest = watch._recent[-1] if watch._recent else None
            site = sites[int(rng.integers(0, 2))]
            lat, lon = (
                (site.lat, site.lon) if rng.random() < 0.5 else FRAME.to_latlon(0.0, rng.normal(0, 3000.0))
            )
            if rng.random() < 0.6:
                pair = frozenset({f"ac-{rng.integers(0, 9)}", f"ac-{rng.integers(10, 19)}"})
                watch.add(ImpactSighting(t, lat, lon, "acoustic-crossing", 0.6, pair))
            else:
                trust = float(rng.choice([0.1, 0.3, 0.35, 0.45]))
                watch.add(ImpactSighting(t, lat, lon, f"obs-{rng.integers(0, 4)}", trust, frozenset()))
            if not watch._recent or watch._recent[-1] is newest:
                continue  # (a strike within no site's reach is no hit)
            for i, backers in watch._recent[-1].backing:
                assert backers == frozenset(
                    w for w, at in watch._threatened_by.get(i, {}).items() if t - at <= EXPECTED_WINDOW_S
                )
        assert [(th.site, th.probability, th.witnesses) for th in watch.threats(t)] == _credible_afresh(watch)


def _credible_afresh(watch: ImpactWatch) -> list[tuple[str, float, frozenset[str]]]:
    """The impact threats as the watch worked them out before it kept a tally: from every hit."""
    by_site: dict[int, dict[str, float]] = {}
    witnessed: dict[int, set[str]] = {}
    expected: set[int] = set()
    for hit in watch._recent:
        expected |= hit.expected
        for i, weight in hit.weights:
            sources = by_site.setdefault(i, {})
            sources[hit.source] = max(sources.get(hit.source, 0.0), weight)
            witnessed.setdefault(i, set()).update(hit.witnesses)
        for i, backers in hit.backing:
            witnessed.setdefault(i, set()).update(backers)
    out = []
    for i, sources in sorted(by_site.items()):
        credible = 1.0 - math.prod(1.0 - w for w in sources.values())
        confirmed = (
            credible >= CREDIBLE_TRUST
            or (len(sources) >= 2 and credible >= TWO_SOURCES_MIN)
            or (i in expected and credible >= EXPECTED_MIN)
        )
        probability = max(0.7, credible) if confirmed else min(credible, UNCONFIRMED_MAX)
        if probability >= UNCONFIRMED_MIN:
            out.append((watch._sites[i].id, probability, frozenset(witnessed[i])))
    return out


def _public_sites() -> list[Site]:
    """Every site of the public scenarios (towns, hospitals, schools: radii from 150 m to kilometres)."""
    from pathlib import Path

    from nadhir.domain.formats.scenario import Problems, load_sites

    root = Path(__file__).resolve().parents[1] / "data" / "scenarios"
    return [
        site for folder in sorted(root.iterdir()) for site in load_sites(folder / "sites.geojson", Problems())
    ]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_impact_watch_places_a_strike_as_the_loop_over_every_site_does(seed: int) -> None:
    """The sites a strike hits, their distances and the site a report names are those the loops
    over every site with ``haversine_m`` found, to the bit: strikes on and around the public
    scenarios' sites, right at their reach's edge among them."""
    from nadhir.geo.distance import haversine_m
    from nadhir.threat.impacts import IMPACT_REACH_M, NAMED_TOLERANCE_DEG

    sites = _public_sites()
    watch = ImpactWatch(sites)
    rng = np.random.default_rng(seed)
    for _ in range(40):
        site = sites[int(rng.integers(0, len(sites)))]
        kind = rng.integers(0, 4)
        if kind == 0:  # named: at its centre, or a hair off it
            lat = site.lat + float(rng.choice([0.0, 0.99, -0.99, 1.01])) * NAMED_TOLERANCE_DEG
            lon = site.lon + float(rng.choice([0.0, 0.99, -1.01])) * NAMED_TOLERANCE_DEG
        else:  # near it, or at its reach's edge (the last metre either way), or kilometres off
            ring = site.radius_m + IMPACT_REACH_M
            r = {1: rng.uniform(0.0, ring), 2: ring + rng.uniform(-1e-6, 1e-6), 3: rng.uniform(0, 30_000.0)}[
                kind
            ]
            angle = rng.uniform(0.0, 2 * math.pi)
            lat = site.lat + r * math.cos(angle) / 111_195.0
            lon = site.lon + r * math.sin(angle) / (111_195.0 * math.cos(math.radians(site.lat)))
        loop = [
            (i, d)
            for i, s in enumerate(sites)
            if (d := haversine_m(s.lat, s.lon, lat, lon)) <= s.radius_m + IMPACT_REACH_M
        ]
        assert watch._near_sites(lat, lon) == loop
        named = next(
            (
                i
                for i, s in enumerate(sites)
                if abs(s.lat - lat) < NAMED_TOLERANCE_DEG and abs(s.lon - lon) < NAMED_TOLERANCE_DEG
            ),
            None,
        )
        assert watch._named(ImpactSighting(0.0, lat, lon, "x", 0.5)) == named
