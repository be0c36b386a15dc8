"""The box about a site's reach holds every point the haversine puts within reach, so the impact
watch's shortlist by box loses no site the loop over every site with ``haversine_m`` finds."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.domain import Site
from nadhir.geo.distance import EARTH_RADIUS_M, haversine_m
from nadhir.threat.impacts import IMPACT_REACH_M, ImpactWatch, _reach_box


@settings(max_examples=500, deadline=None)
@given(
    lat=st.floats(-85.0, 85.0),
    lon=st.floats(-180.0, 180.0),
    reach=st.floats(1.0, 60_000.0),
    direction=st.floats(0.0, 2 * math.pi),
    fraction=st.floats(0.0, 1.0),
)
def test_every_point_within_reach_is_in_the_box(
    lat: float, lon: float, reach: float, direction: float, fraction: float
) -> None:
    """Points at up to the reach in every direction (up to its very edge: the haversine decides)."""
    half_lat, half_lon = _reach_box(lat, reach)
    # A point about `fraction` of the reach away, scaled up until the haversine puts it just in.
    angle = reach * fraction / EARTH_RADIUS_M
    dlat = math.degrees(angle * math.cos(direction))
    dlon = math.degrees(angle * math.sin(direction)) / max(math.cos(math.radians(lat)), 1e-9)
    for scale in (1.0, 1.001, 1.01, 1.05, 1.2):
        plat, plon = lat + dlat * scale, lon + dlon * scale
        if abs(plat) > 90.0 or haversine_m(lat, lon, plat, plon) > reach:
            continue
        gap = abs(lon - plon)
        assert abs(lat - plat) <= half_lat
        assert not half_lon < gap < 360.0 - half_lon


@settings(max_examples=200, deadline=None)
@given(
    centres=st.lists(st.tuples(st.floats(-60.0, 60.0), st.floats(-179.0, 179.0)), min_size=1, max_size=8),
    radius=st.floats(50.0, 8000.0),
    pick=st.integers(0, 7),
    direction=st.floats(0.0, 2 * math.pi),
    metres=st.floats(0.0, 12_000.0),
    many=st.booleans(),
)
def test_the_sites_near_a_strike_are_those_of_the_loop_over_every_site(
    centres: list[tuple[float, float]], radius: float, pick: int, direction: float, metres: float, many: bool
) -> None:
    """A few sites (shortlisted by boxes) or many (by arrays, the same centres and more about them)."""
    if many:  # (more than the watch's few: its arrays shortlist them)
        centres = (
            centres + [(lat + 0.01 * k, lon - 0.013 * k) for k in range(1, 10) for lat, lon in centres] * 9
        )
    sites = [
        Site(id=f"s{k}", name=f"s{k}", kind="town", lat=lat, lon=lon, radius_m=radius)
        for k, (lat, lon) in enumerate(centres)
    ]
    lat0, lon0 = centres[pick % len(centres)]
    lat = lat0 + math.degrees(metres / EARTH_RADIUS_M * math.cos(direction))
    lon = lon0 + math.degrees(metres / EARTH_RADIUS_M * math.sin(direction)) / math.cos(math.radians(lat0))
    loop = [
        (i, d)
        for i, s in enumerate(sites)
        if (d := haversine_m(s.lat, s.lon, lat, lon)) <= s.radius_m + IMPACT_REACH_M
    ]
    assert ImpactWatch(sites)._near_sites(lat, lon) == loop
