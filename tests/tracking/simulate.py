"""Small simulated flights with acoustic bearings and spotter sightings, for tracker tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix, Measurement, PositionFix
from nadhir.tracking.motion import REPORT_LIKELIHOOD, SOUND_LIKELIHOOD


@dataclass
class Flight:
    """Straight flight from (x0, y0) at (vx, vy) m/s, starting at t0."""

    x0: float
    y0: float
    vx: float
    vy: float
    t0: float = 0.0

    def at(self, t: float) -> tuple[float, float]:
        return self.x0 + self.vx * (t - self.t0), self.y0 + self.vy * (t - self.t0)


def sensor_grid(spacing: float, extent: float) -> list[tuple[float, float]]:
    n = int(extent // spacing)
    return [(i * spacing, j * spacing) for i in range(-n, n + 1) for j in range(-n, n + 1)]


def bearings(
    flight: Flight,
    sensors: list[tuple[float, float]],
    t: float,
    rng: np.random.Generator,
    sigma_deg: float = 5.0,
    audible: float = 12_000.0,
    sound: str = "jet",
) -> list[BearingFix]:
    """Bearings heard at time t from every sensor in range, with the sound's travel delay."""
    out = []
    for k, (sx, sy) in enumerate(sensors):
        x, y = flight.at(t)
        rng_m = math.hypot(x - sx, y - sy)
        if rng_m > audible:
            continue
        # Exact emission time: the sound heard now left when |pos(t - tau) - sensor| = c * tau.
        tau = rng_m / SPEED_OF_SOUND_MPS
        for _ in range(30):
            ex, ey = flight.at(t - tau)
            tau = math.hypot(ex - sx, ey - sy) / SPEED_OF_SOUND_MPS
        b = math.atan2(ex - sx, ey - sy) + math.radians(sigma_deg) * rng.standard_normal()
        out.append(
            BearingFix(
                t=t,
                sx=sx,
                sy=sy,
                bearing_rad=b,
                sigma_rad=math.radians(sigma_deg),
                source=f"s{k}",
                evidence=0.2,
                type_likelihood=SOUND_LIKELIHOOD[sound],
                sound_class=sound,
            )
        )
    return out


def sighting(
    flight: Flight,
    t: float,
    rng: np.random.Generator,
    sigma: float = 2000.0,
    source: str = "obs",
    aircraft: str = "jet",
    heading: bool = True,
) -> PositionFix:
    x, y = flight.at(t)
    return PositionFix(
        t=t,
        x=x + sigma * rng.standard_normal(),
        y=y + sigma * rng.standard_normal(),
        sigma_m=sigma,
        source=source,
        evidence=0.8,
        type_likelihood=REPORT_LIKELIHOOD[aircraft],
        heading_rad=math.atan2(flight.vx, flight.vy) if heading else None,
    )


def run(tracker, batches: list[tuple[float, list[Measurement]]]) -> None:  # type: ignore[no-untyped-def]
    for t, batch in batches:
        tracker.step(t, batch)
