"""The region in a local metric frame, the random draws and the plane geometry every part uses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from nadhir.geo.distance import EARTH_RADIUS_M
from nadhir_lab.simulator.regions import Region, RegionSite
from nadhir_lab.simulator.scenario import FloatArray

T = TypeVar("T")


_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


def _rand(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _chance(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


def _pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def _pick_weighted(rng: np.random.Generator, items: Sequence[T], weights: Sequence[float]) -> T:
    w = np.asarray(weights, dtype=float)
    return items[int(rng.choice(len(items), p=w / w.sum()))]


@dataclass(frozen=True)
class _Spot:
    """A named place a reporter may use."""

    id: str
    name: str
    name_ar: str | None
    aliases: tuple[str, ...]
    kind: str
    x: float
    y: float
    listed: bool  # in the gazetteer or the sites
    town: bool


class _World:
    """The region in a local metric frame."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self.lat0 = float(np.mean([s.lat for s in region.sites]))
        self.lon0 = float(np.mean([s.lon for s in region.sites]))
        self.kx = _M_PER_DEG * math.cos(math.radians(self.lat0))
        self.towns = [s for s in region.sites if s.kind == "town"]
        self.sites = {s.id: s for s in region.sites}
        self.bases = {b.id: b for b in region.airbases}
        spots: list[_Spot] = []
        for s in region.sites:
            if s.kind in ("town", "camp"):
                x, y = self.xy(s.lat, s.lon)
                spots.append(_Spot(s.id, s.name, s.name_ar, s.aliases, s.kind, x, y, True, s.kind == "town"))
        for p in region.places:
            x, y = self.xy(p.lat, p.lon)
            spots.append(_Spot(p.id, p.name, p.name_ar, p.aliases, p.kind, x, y, p.listed, False))
        self.spots = spots
        self.spot_x = np.array([s.x for s in spots])
        self.spot_y = np.array([s.y for s in spots])
        xs = [self.xy(s.lat, s.lon) for s in self.towns]
        self.bbox = (
            min(p[0] for p in xs) - 6000.0,
            min(p[1] for p in xs) - 6000.0,
            max(p[0] for p in xs) + 6000.0,
            max(p[1] for p in xs) + 6000.0,
        )

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * _M_PER_DEG

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.lat0 + y / _M_PER_DEG, self.lon0 + x / self.kx

    def latlon_arrays(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.lat0 + y / _M_PER_DEG, self.lon0 + x / self.kx

    def site_xy(self, site_id: str) -> tuple[float, float]:
        s = self.sites[site_id]
        return self.xy(s.lat, s.lon)

    def base_xy(self, base_id: str) -> tuple[float, float]:
        b = self.bases[base_id]
        return self.xy(b.lat, b.lon)


def _clamp(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


def _unit(deg: float) -> tuple[float, float]:
    r = math.radians(deg)
    return math.sin(r), math.cos(r)


def _heading_from(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360.0


def _offset(p: tuple[float, float], deg: float, dist: float) -> tuple[float, float]:
    ux, uy = _unit(deg)
    return p[0] + dist * ux, p[1] + dist * uy


def _town_weight(town: RegionSite) -> float:
    """Bigger towns see more sorties, sub-linearly."""
    return math.sqrt(max(town.population or 3000, 1000))
