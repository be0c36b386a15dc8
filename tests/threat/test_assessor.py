import math

import numpy as np
import pytest

from nadhir.domain import Site, Threat
from nadhir.geo.frame import LocalFrame
from nadhir.threat.assessor import ThreatAssessor
from nadhir.threat.impacts import (
    EXPECTED_THREAT,
    EXPECTED_WINDOW_S,
    ExplosionBearing,
    ExplosionLocator,
    ImpactSighting,
    ImpactWatch,
)
from nadhir.tracking.track import Track

FRAME = LocalFrame(35.9, 36.6)


def _site(site_id: str, x: float, y: float, radius: float = 2000.0) -> Site:
    lat, lon = FRAME.to_latlon(x, y)
    return Site(id=site_id, name=site_id, kind="town", lat=lat, lon=lon, radius_m=radius)


def _track(
    x: float,
    y: float,
    vx: float,
    vy: float,
    kind: int = 0,
    sigma: float = 500.0,
    vel_sigma: float = 10.0,
    existence: float = 0.95,
) -> Track:
    probs = np.full(3, 0.05)
    probs[kind] = 0.9
    p = np.diag([sigma**2, sigma**2, vel_sigma**2, vel_sigma**2])
    track = Track(
        id="T1",
        t=0.0,
        x=np.array([x, y, vx, vy]),
        p=p,
        type_probs=probs / probs.sum(),
        created=0.0,
        last_update=0.0,
    )
    track.evidence["src"] = existence
    return track


SITES = [_site("ahead", 0.0, 40_000.0), _site("aside", 25_000.0, 40_000.0), _site("behind", 0.0, -30_000.0)]


def test_jet_heading_at_a_site_threatens_it_with_the_right_arrival() -> None:
    assessor = ThreatAssessor(SITES, FRAME)
    threats = {th.site: th for th in assessor.assess(_track(0.0, 0.0, 0.0, 200.0), 0.0)}
    assert threats["ahead"].eta == pytest.approx(200.0, rel=0.05)
    assert "behind" not in threats
    aside = threats["aside"].probability if "aside" in threats else 0.0
    assert threats["ahead"].probability > 5 * aside
    # Closer in, the same heading makes the overflight much surer.
    near = {th.site: th for th in assessor.assess(_track(0.0, 30_000.0, 0.0, 200.0), 0.0)}
    assert near["ahead"].probability > 0.6 > threats["ahead"].probability


def test_probability_scales_with_existence() -> None:
    assessor = ThreatAssessor(SITES, FRAME)
    strong = {t.site: t for t in assessor.assess(_track(0, 0, 0, 200, existence=0.9), 0.0)}
    weak = {t.site: t for t in assessor.assess(_track(0, 0, 0, 200, existence=0.3), 0.0)}
    assert weak["ahead"].probability == pytest.approx(strong["ahead"].probability / 3, rel=1e-6)


def test_beyond_the_horizon_is_not_a_threat() -> None:
    far = _site("far", 0.0, 400_000.0)
    assessor = ThreatAssessor([far], FRAME)
    assert assessor.assess(_track(0, 0, 0, 60.0, kind=1), 0.0) == []


def test_aircraft_over_a_site_threatens_it_now() -> None:
    assessor = ThreatAssessor(SITES, FRAME)
    [th] = [
        t
        for t in assessor.assess(_track(300.0, 40_500.0, 0.0, 0.0, kind=1, vel_sigma=40.0), 50.0)
        if t.site == "ahead"
    ]
    assert th.eta == 50.0 and th.probability > 0.7


def _orbit(track: Track, points: list[tuple[float, float]], step_s: float = 10.0) -> None:
    """Give a track a recent path through these points, one every ``step_s``."""
    for k, (x, y) in enumerate(points):
        track.t = step_s * k
        track.history.append((track.t, x, y))


def test_orbit_ringing_a_town_is_a_watch_phones_not_sirens() -> None:
    """A reconnaissance ring 5 km out never crosses the town: a lesser threat, not a siren cue."""
    site = _site("town", 0.0, 0.0)
    assessor = ThreatAssessor([site], FRAME)
    track = _track(5000.0, 0.0, 0.0, 30.0, kind=2)
    ring = [
        (5000.0 * math.cos(2 * math.pi * k / 24), 5000.0 * math.sin(2 * math.pi * k / 24)) for k in range(24)
    ]
    _orbit(track, ring)
    [th] = assessor.assess(track, track.t)
    assert th.cue == "nearby" and 0.4 <= th.probability < 0.55


def test_attack_passes_through_a_town_are_circling_it() -> None:
    """Back and forth over the town (a jet's attack passes): working it, the siren cue."""
    site = _site("town", 0.0, 0.0)
    assessor = ThreatAssessor([site], FRAME)
    track = _track(0.0, 9000.0, 0.0, -200.0)  # turning in for the next pass
    passes = [
        (1500.0 * math.sin(2 * math.pi * k / 12), 9000.0 * math.cos(2 * math.pi * k / 12)) for k in range(13)
    ]
    _orbit(track, passes, step_s=20.0)
    [th] = [t for t in assessor.assess(track, track.t) if t.site == "town"]
    assert th.cue == "circling" and th.probability > 0.7


def test_a_ring_wide_enough_to_take_in_a_neighbour_still_spares_it_the_siren() -> None:
    """A 6 km ring round one town passes over its neighbour 6 km away: still a watch, not an attack."""
    centre, neighbour = _site("centre", 0.0, 0.0), _site("neighbour", 6000.0, 0.0)
    assessor = ThreatAssessor([centre, neighbour], FRAME)
    track = _track(6000.0, 0.0, 0.0, 200.0)
    ring = [
        (6000.0 * math.cos(2 * math.pi * k / 12), 6000.0 * math.sin(2 * math.pi * k / 12)) for k in range(25)
    ]
    _orbit(track, ring)
    assert all(th.cue != "circling" for th in assessor.assess(track, track.t))


def test_credible_impact_makes_nearby_sites_imminent_for_a_while() -> None:
    town = _site("town", 0.0, 0.0)
    other = _site("other", 30_000.0, 0.0)
    watch = ImpactWatch([town, other])
    watch.add(ImpactSighting(100.0, town.lat, town.lon + 0.005, "civil-defence", 0.9))
    [th] = watch.threats(120.0)
    assert th.site == "town" and th.eta == 120.0
    assert watch.threats(100.0 + 3600.0) == []


def test_one_untrusted_impact_report_is_not_enough_for_sirens_but_two_sources_are() -> None:
    town = _site("town", 0.0, 0.0)
    watch = ImpactWatch([town])
    watch.add(ImpactSighting(0.0, town.lat, town.lon, "stranger", 0.2))
    [weak] = watch.threats(10.0)  # passed on at what it is worth, below any siren threshold
    assert weak.cue == "impact" and weak.probability == pytest.approx(0.2)
    watch.add(ImpactSighting(5.0, town.lat, town.lon, "stranger-2", 0.2))
    [th] = watch.threats(10.0)
    assert th.probability >= 0.7
    # A trusted source alone is confirmation; an unconfirmed report never reaches the sirens' level.
    lone = ImpactWatch([town])
    lone.add(ImpactSighting(0.0, town.lat, town.lon, "almost", 0.44))
    assert lone.threats(1.0)[0].probability <= 0.4


def _threat(site: Site, probability: float, cue: str = "approach") -> Threat:
    return Threat(site.id, "T1", "helicopter", probability, 0.0, 1000.0, cue)  # type: ignore[arg-type]


def test_a_strike_reported_where_aircraft_were_just_threatening_needs_one_source() -> None:
    """A stranger's report of a strike on a town an aircraft was heading for minutes ago is believed
    (sirens); the same report out of a clear sky, or long after, is passed on to phones only."""
    town = _site("town", 0.0, 0.0)
    expected = ImpactWatch([town])
    expected.note_threats(100.0, [_threat(town, 0.5)])
    expected.add(ImpactSighting(400.0, town.lat, town.lon, "stranger", 0.25))
    assert expected.threats(410.0)[0].probability >= 0.7
    out_of_the_blue = ImpactWatch([town])
    out_of_the_blue.add(ImpactSighting(400.0, town.lat, town.lon, "stranger", 0.25))
    assert out_of_the_blue.threats(410.0)[0].probability <= 0.4
    long_after = ImpactWatch([town])
    long_after.note_threats(100.0, [_threat(town, 0.5)])
    long_after.add(ImpactSighting(100.0 + EXPECTED_WINDOW_S + 1.0, town.lat, town.lon, "stranger", 0.25))
    assert long_after.threats(800.0)[0].probability <= 0.4


def test_only_aircraft_threats_make_a_strike_expected() -> None:
    """A faint threat, or an earlier strike report (which has its own rules), expects nothing."""
    town = _site("town", 0.0, 0.0)
    for threat in (_threat(town, EXPECTED_THREAT - 0.01), _threat(town, 0.9, cue="impact")):
        watch = ImpactWatch([town])
        watch.note_threats(100.0, [threat])
        watch.add(ImpactSighting(200.0, town.lat, town.lon, "stranger", 0.25))
        assert watch.threats(210.0)[0].probability <= 0.4


def test_an_expected_strike_named_by_the_town_does_not_confirm_its_hospital() -> None:
    town = _site("town", 0.0, 0.0, radius=3000.0)
    hospital = _hospital("hospital", 1500.0, 0.0)
    watch = ImpactWatch([town, hospital])
    watch.note_threats(0.0, [_threat(town, 0.6), _threat(hospital, 0.6)])
    watch.add(ImpactSighting(60.0, town.lat, town.lon, "stranger", 0.25))  # "an airstrike on the town"
    named = {th.site: th.probability for th in watch.threats(70.0)}
    assert named["town"] >= 0.7 and named.get("hospital", 0.0) <= 0.4


def _hospital(site_id: str, x: float, y: float) -> Site:
    lat, lon = FRAME.to_latlon(x, y)
    return Site(id=site_id, name=site_id, kind="hospital", lat=lat, lon=lon, radius_m=500.0)


def test_an_impact_reported_by_a_towns_name_threatens_the_town_more_than_its_hospital() -> None:
    """'Airstrike on the town' puts the strike somewhere in it, not at the hospital 1.5 km from its
    centre: the town is under fire, the hospital only as likely as the share of the town near it."""
    town = _site("town", 0.0, 0.0, radius=3000.0)
    hospital = _hospital("hospital", 1500.0, 0.0)
    watch = ImpactWatch([town, hospital])
    watch.add(ImpactSighting(0.0, town.lat, town.lon, "civil-defence", 0.8))  # located by name
    named = {th.site: th.probability for th in watch.threats(10.0)}
    assert named["town"] >= 0.7 and named.get("hospital", 0.0) <= 0.4  # phones at most, no sirens
    # The same report with the strike's coordinates, 300 m from the hospital, threatens both.
    lat, lon = FRAME.to_latlon(1500.0, 300.0)
    watch.add(ImpactSighting(20.0, lat, lon, "civil-defence-2", 0.8))
    placed = {th.site: th.probability for th in watch.threats(30.0)}
    assert placed["hospital"] >= 0.7 and placed["town"] >= 0.7


def test_a_jet_turning_back_at_a_town_it_dived_through_is_on_its_second_pass() -> None:
    """Dived through the town two minutes ago, flew out 8 km, turned: heading in again is an attack."""
    site = _site("town", 0.0, 0.0)
    assessor = ThreatAssessor([site], FRAME)
    track = _track(0.0, 8000.0, 0.0, -200.0, sigma=300.0)
    out_and_back = [(0.0, -4000.0 + 2000.0 * k) for k in range(7)] + [(1000.0, 8000.0), (0.0, 8000.0)]
    _orbit(track, out_and_back, step_s=15.0)
    track.t = 160.0
    [th] = [t for t in assessor.assess(track, track.t) if t.site == "town"]
    assert th.cue == "circling" and th.probability > 0.6
    # The same run-in by a jet that has not been over the town yet is an approach (phones).
    fresh = _track(0.0, 8000.0, 0.0, -200.0, sigma=300.0)
    [first] = [t for t in assessor.assess(fresh, 0.0) if t.site == "town"]
    assert first.cue == "approach"


def test_a_ringing_drone_is_not_on_course_for_the_towns_around_its_orbit() -> None:
    """Loitering round one town, a drone's heading points at each neighbour in turn: no approach."""
    centre, neighbour = _site("centre", 0.0, 0.0), _site("neighbour", 0.0, 17_000.0)
    assessor = ThreatAssessor([centre, neighbour], FRAME)
    track = _track(5000.0, 0.0, 0.0, 30.0, kind=2)  # on the ring's east side, heading north
    ring = [
        (5000.0 * math.cos(2 * math.pi * k / 12), 5000.0 * math.sin(2 * math.pi * k / 12)) for k in range(13)
    ]
    _orbit(track, ring, step_s=20.0)
    threats = {th.site: th for th in assessor.assess(track, track.t)}
    assert threats["centre"].cue == "nearby"  # watched
    assert "neighbour" not in threats or (
        threats["neighbour"].cue == "nearby" and threats["neighbour"].probability < 0.2
    )
    # Without the loiter behind it, the same heading is a course for the neighbour.
    straight = {th.site: th for th in assessor.assess(_track(5000.0, 0.0, 0.0, 30.0, kind=2), 0.0)}
    assert straight["neighbour"].cue == "approach"


def test_a_vague_track_cannot_say_its_passes_crossed_the_town() -> None:
    """The same attack passes from a track placed only to 1.8 km (town radius 2 km + 1 km margin):
    it may have passed beside the town, so it warns phones, not sirens."""
    site = _site("town", 0.0, 0.0)
    assessor = ThreatAssessor([site], FRAME)
    track = _track(0.0, 9000.0, 0.0, -200.0, sigma=1800.0)
    passes = [
        (1500.0 * math.sin(2 * math.pi * k / 12), 9000.0 * math.cos(2 * math.pi * k / 12)) for k in range(13)
    ]
    _orbit(track, passes, step_s=20.0)
    [th] = [t for t in assessor.assess(track, track.t) if t.site == "town"]
    assert th.cue != "circling"


def test_impact_threats_follow_hits_arriving_and_expiring() -> None:
    """The watch keeps its per-site verdicts between steps: they must change with the hits."""
    town = _site("town", 0.0, 0.0)
    watch = ImpactWatch([town])
    assert watch.threats(0.0) == []
    watch.add(ImpactSighting(10.0, town.lat, town.lon, "stranger", 0.2))
    [weak] = watch.threats(20.0)
    assert weak.probability == pytest.approx(0.2) and weak.eta == 20.0
    assert watch.threats(10.0 + 400.0) == []  # expired
    watch.add(ImpactSighting(500.0, town.lat, town.lon, "civil-defence", 0.9))
    [strong] = watch.threats(510.0)
    assert strong.probability >= 0.7 and strong.eta == 510.0


def _backed(site: Site, probability: float, witnesses: frozenset[str]) -> Threat:
    return Threat(site.id, "T1", "helicopter", probability, 0.0, 1000.0, "approach", witnesses)


def test_an_expected_strike_carries_the_witnesses_of_the_report_and_of_the_tracks_that_expected_it() -> None:
    """A stranger's strike report where its own track pointed is one witness (no sirens); where a
    listed observer's track pointed, it is two."""
    town = _site("town", 0.0, 0.0)
    own = ImpactWatch([town])
    own.note_threats(100.0, [_backed(town, 0.5, frozenset({"unlisted"}))])
    own.add(ImpactSighting(400.0, town.lat, town.lon, "stranger", 0.25, frozenset({"unlisted"})))
    [th] = own.threats(410.0)
    assert th.probability >= 0.7 and th.witnesses == frozenset({"unlisted"})
    other = ImpactWatch([town])
    other.note_threats(100.0, [_backed(town, 0.5, frozenset({"obs-1"}))])
    other.add(ImpactSighting(400.0, town.lat, town.lon, "stranger", 0.25, frozenset({"unlisted"})))
    assert other.threats(410.0)[0].witnesses == frozenset({"unlisted", "obs-1"})
    # A track's witnesses from before the window expect nothing.
    stale = ImpactWatch([town])
    stale.note_threats(100.0, [_backed(town, 0.5, frozenset({"obs-1"}))])
    stale.add(ImpactSighting(100.0 + EXPECTED_WINDOW_S + 1.0, town.lat, town.lon, "obs-2", 0.9))
    assert stale.threats(800.0)[0].witnesses == frozenset({"obs-2"})


def test_an_explosion_located_by_two_nodes_rests_on_both() -> None:
    locator = ExplosionLocator(FRAME)
    west_lat, west_lon = FRAME.to_latlon(-5000.0, 0.0)
    south_lat, south_lon = FRAME.to_latlon(0.0, -5000.0)
    sigma = math.radians(3.0)
    assert locator.add(ExplosionBearing(0.0, "ac-w", west_lat, west_lon, math.pi / 2, sigma)) is None
    located = locator.add(ExplosionBearing(2.0, "ac-s", south_lat, south_lon, 0.0, sigma))
    assert located is not None
    assert located.witnesses == frozenset({"ac-w", "ac-s"})
