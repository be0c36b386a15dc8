"""Acoustic sensors: nodes, what they hear, bearings on the emission point, clutter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nadhir.geo.distance import bearing_deg
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS  # the tracker's, so the two agree
from nadhir_lab.simulator.scenario import SimAircraft, SimStrike, _Writer
from nadhir_lab.simulator.world import _chance, _clamp, _offset, _pick_weighted, _rand, _town_weight, _World


@dataclass(frozen=True)
class _Sensor:
    id: str
    x: float
    y: float
    lat: float
    lon: float
    sigma: float
    range_mult: float
    period: float
    clutter_per_hour: float


HEAR_M: dict[str, float] = {"jet": 20000.0, "helicopter": 10000.0, "drone": 4000.0}


HEAR_P: dict[str, float] = {"jet": 0.85, "helicopter": 0.8, "drone": 0.6}


EXPLOSION_M = 25000.0


SOUND_CLASSES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "jet": (("jet", "helicopter", "propeller", "drone"), (0.86, 0.07, 0.05, 0.02)),
    "helicopter": (("helicopter", "jet", "propeller"), (0.84, 0.08, 0.08)),
    "drone": (("drone", "propeller", "helicopter", "jet"), (0.5, 0.38, 0.08, 0.04)),
}


CLUTTER_CLASSES = (("propeller", "explosion", "helicopter", "jet", "drone"), (0.35, 0.15, 0.15, 0.2, 0.15))


BEARING_OUTLIER = 0.02


def _make_sensors(world: _World, rng: np.random.Generator) -> list[_Sensor]:
    plan = world.region.sensors
    x0, y0, x1, y1 = world.bbox
    points: list[tuple[float, float]] = []
    if plan.layout == "grid" and plan.count:
        w, h = x1 - x0, y1 - y0
        nx = max(1, round(math.sqrt(plan.count * w / h)))
        ny = max(1, math.ceil(plan.count / nx))
        dx, dy = w / nx, h / ny
        cells = [(i, j) for j in range(ny) for i in range(nx)][: plan.count]
        for i, j in cells:
            points.append(
                (x0 + (i + 0.5 + _rand(rng, -0.25, 0.25)) * dx, y0 + (j + 0.5 + _rand(rng, -0.25, 0.25)) * dy)
            )
    else:
        weights = [_town_weight(t) for t in world.towns]
        tries = 0
        while len(points) < plan.count and tries < 100 * plan.count:
            tries += 1
            if _chance(rng, 0.7):
                town = _pick_weighted(rng, world.towns, weights)
                p = _offset(world.site_xy(town.id), _rand(rng, 0.0, 360.0), _rand(rng, 1000.0, 5000.0))
            else:
                p = (_rand(rng, x0, x1), _rand(rng, y0, y1))
            if all(math.hypot(p[0] - q[0], p[1] - q[1]) > 2000.0 for q in points):
                points.append(p)
    lo, hi = plan.sigma_deg
    out = []
    for k, (px, py) in enumerate(points):
        lat, lon = world.latlon(px, py)
        out.append(
            _Sensor(
                id=f"{plan.id_prefix}-{k:03d}",
                x=px,
                y=py,
                lat=round(lat, 5),
                lon=round(lon, 5),
                sigma=round(_rand(rng, lo, hi), 1),
                range_mult=_rand(rng, 0.75, 1.25),
                period=_rand(rng, 12.0, 35.0),
                clutter_per_hour=_rand(rng, 0.2, 1.2),
            )
        )
    return out


def _noisy_bearing(rng: np.random.Generator, true_deg: float, sigma: float) -> float:
    if _chance(rng, BEARING_OUTLIER):
        return round((true_deg + _rand(rng, -90.0, 90.0)) % 360.0, 1)
    return round((true_deg + float(rng.normal(0.0, sigma))) % 360.0, 1)


def _acoustic(
    rng: np.random.Generator,
    sensors: Sequence[_Sensor],
    aircraft: Sequence[SimAircraft],
    strikes: Sequence[SimStrike],
    writer: _Writer,
    duration: int,
) -> None:
    for sn in sensors:
        base = {"kind": "acoustic", "sensor": sn.id, "lat": sn.lat, "lon": sn.lon}
        for ac in aircraft:
            reach = HEAR_M[ac.type] * sn.range_mult
            d_all = np.hypot(ac.x - sn.x, ac.y - sn.y)
            if float(d_all.min()) > reach:
                continue
            t_first = float(ac.t[0])
            steps = rng.uniform(0.6, 1.4, size=int((ac.t[-1] - t_first) / (0.6 * sn.period)) + 2) * sn.period
            emit = t_first + _rand(rng, 0.0, sn.period) + np.cumsum(steps)
            emit = emit[emit <= ac.t[-1]]
            idx = np.clip(np.round(emit - t_first).astype(int), 0, len(ac.t) - 1)
            for i in idx:
                d = float(d_all[i])
                if d > reach:
                    continue
                p = HEAR_P[ac.type] * (1.0 - (d / reach) ** 2)
                if not _chance(rng, p):
                    continue
                slant = math.hypot(d, float(ac.alt[i]))
                heard = float(ac.t[i]) + slant / SPEED_OF_SOUND_MPS
                true_b = bearing_deg(sn.lat, sn.lon, float(ac.lat[i]), float(ac.lon[i]))
                classes, weights = SOUND_CLASSES[ac.type]
                cls = _pick_weighted(rng, classes, weights)
                if cls == ac.type:
                    conf = _clamp(float(rng.normal(0.85 - 0.3 * d / reach, 0.07)), 0.3, 0.99)
                else:
                    conf = _clamp(float(rng.normal(0.5, 0.12)), 0.15, 0.85)
                writer.add(
                    heard,
                    {
                        **base,
                        "class": cls,
                        "confidence": round(conf, 2),
                        "bearing_deg": _noisy_bearing(rng, true_b, sn.sigma),
                        "bearing_sigma_deg": sn.sigma,
                    },
                    f"aircraft:{ac.id}@{float(ac.t[i]):.0f}",
                )
        for n, st in enumerate(strikes):
            d = math.hypot(st.x - sn.x, st.y - sn.y)
            reach = EXPLOSION_M * sn.range_mult
            if d > reach or not _chance(rng, 0.95 * math.sqrt(1.0 - (d / reach) ** 2)):
                continue
            cls = "explosion" if _chance(rng, 0.93) else "jet"
            writer.add(
                st.t + d / SPEED_OF_SOUND_MPS,
                {
                    **base,
                    "class": cls,
                    "confidence": round(_rand(rng, 0.7, 0.98), 2),
                    "bearing_deg": _noisy_bearing(rng, bearing_deg(sn.lat, sn.lon, st.lat, st.lon), sn.sigma),
                    "bearing_sigma_deg": sn.sigma,
                },
                f"strike:{n}",
            )
        n_clutter = int(rng.poisson(sn.clutter_per_hour * duration / 3600.0))
        for t in sorted(float(v) for v in rng.uniform(0.0, duration, size=n_clutter)):
            writer.add(
                t,
                {
                    **base,
                    "class": _pick_weighted(rng, *CLUTTER_CLASSES),
                    "confidence": round(_rand(rng, 0.15, 0.55), 2),
                    "bearing_deg": round(_rand(rng, 0.0, 360.0), 1),
                    "bearing_sigma_deg": sn.sigma,
                },
                "clutter",
            )
