"""A local east-north metric frame for tracking.

Tracking works in metres. Over a theatre a few hundred kilometres across an
equirectangular projection about a fixed reference is accurate to well under
the spotters' errors (a few hundred metres at 200 km), costs two multiplies,
and needs no projection library in the hot loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nadhir.geo.distance import EARTH_RADIUS_M

_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """East/north metres about a reference latitude and longitude."""

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return _M_PER_DEG * math.cos(math.radians(self.lat0))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """(lat, lon) in degrees to (east, north) in metres."""
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * _M_PER_DEG

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        """(east, north) in metres to (lat, lon) in degrees."""
        return self.lat0 + y / _M_PER_DEG, self.lon0 + x / self._kx


def heading_to_unit(heading_deg: float) -> tuple[float, float]:
    """Unit (east, north) vector for a heading in degrees clockwise from north."""
    r = math.radians(heading_deg)
    return math.sin(r), math.cos(r)


def unit_to_heading(dx: float, dy: float) -> float:
    """Heading in [0, 360) of an (east, north) vector."""
    return math.degrees(math.atan2(dx, dy)) % 360.0
