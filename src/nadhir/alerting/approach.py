"""The approach of a threat: where it comes from and where it heads, seen from the site it threatens.

Decided once, when the alert is (the pipeline calls :func:`approach_toward` with the track's
published state), and carried on the :class:`~nadhir.domain.Alert`; no edge rebuilds it.
"""

from __future__ import annotations

from nadhir.domain import Approach, Site, TrackState
from nadhir.geo.compass import compass_point
from nadhir.geo.distance import bearing_deg, haversine_m

# Slower than this, a direction of travel is noise (a hovering helicopter, a circling drone).
MOVING_MPS = 5.0


def approach_toward(state: TrackState, site: Site) -> Approach:
    """The approach of a track toward a site, from the track's state.

    No bearing while the aircraft is over the site (inside its radius), no heading while it
    barely moves.
    """
    from_deg = None
    if haversine_m(site.lat, site.lon, state.lat, state.lon) > site.radius_m:
        from_deg = bearing_deg(site.lat, site.lon, state.lat, state.lon)
    heading = state.heading_deg if state.speed_mps >= MOVING_MPS else None
    return Approach(
        from_deg=from_deg,
        from_point=None if from_deg is None else compass_point(from_deg),
        heading_deg=heading,
        heading_point=None if heading is None else compass_point(heading),
    )
