"""Small simulated flights with acoustic bearings and spotter sightings, for tracker tests."""

from __future__ import annotations

import bisect
import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from nadhir.geo.frame import LocalFrame
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix, Measurement, PositionFix
from nadhir.tracking.motion import REPORT_LIKELIHOOD, SOUND_LIKELIHOOD
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Tracker

FLIGHTS = Path(__file__).resolve().parents[1] / "data" / "flights"


class Trajectory(Protocol):
    alt: float

    def at(self, t: float) -> tuple[float, float]: ...

    def velocity(self, t: float) -> tuple[float, float]: ...


@dataclass
class Flight:
    """Straight flight from (x0, y0) at (vx, vy) m/s, starting at t0, at height ``alt``."""

    x0: float
    y0: float
    vx: float
    vy: float
    t0: float = 0.0
    alt: float = 0.0

    def at(self, t: float) -> tuple[float, float]:
        return self.x0 + self.vx * (t - self.t0), self.y0 + self.vy * (t - self.t0)

    def velocity(self, t: float) -> tuple[float, float]:
        return self.vx, self.vy


@dataclass
class RecordedFlight:
    """A real flight path (see tests/data/flights/README.md), in a local frame about its start."""

    times: list[float]
    xs: list[float]
    ys: list[float]
    alts: list[float]
    alt: float = 0.0

    @classmethod
    def load(cls, name: str) -> RecordedFlight:
        with (FLIGHTS / f"{name}.csv").open() as fh:
            rows = list(csv.DictReader(fh))
        frame = LocalFrame(float(rows[0]["lat"]), float(rows[0]["lon"]))
        xy = [frame.to_xy(float(r["lat"]), float(r["lon"])) for r in rows]
        alts = [float(r["alt_m"]) for r in rows]
        return cls(
            [float(r["t_s"]) for r in rows],
            [p[0] for p in xy],
            [p[1] for p in xy],
            alts,
            float(np.median(alts)),
        )

    @property
    def duration(self) -> float:
        return self.times[-1]

    def at(self, t: float) -> tuple[float, float]:
        i = min(max(bisect.bisect_right(self.times, t), 1), len(self.times) - 1)
        f = (t - self.times[i - 1]) / max(1e-9, self.times[i] - self.times[i - 1])
        f = min(max(f, 0.0), 1.0)
        return (
            self.xs[i - 1] + f * (self.xs[i] - self.xs[i - 1]),
            self.ys[i - 1] + f * (self.ys[i] - self.ys[i - 1]),
        )

    def velocity(self, t: float) -> tuple[float, float]:
        a, b = self.at(t - 5.0), self.at(t + 5.0)
        return (b[0] - a[0]) / 10.0, (b[1] - a[1]) / 10.0


def sensor_grid(spacing: float, extent: float, cx: float = 0.0, cy: float = 0.0) -> list[tuple[float, float]]:
    n = int(extent // spacing)
    return [(cx + i * spacing, cy + j * spacing) for i in range(-n, n + 1) for j in range(-n, n + 1)]


def bearings(
    flight: Trajectory,
    sensors: list[tuple[float, float]],
    t: float,
    rng: np.random.Generator,
    sigma_deg: float = 5.0,
    audible: float = 12_000.0,
    sound: str = "jet",
    source_prefix: str = "s",
) -> list[BearingFix]:
    """Bearings heard at time t from every sensor in range, with the sound's travel delay (slant range)."""
    out = []
    for k, (sx, sy) in enumerate(sensors):
        x, y = flight.at(t)
        rng_m = math.hypot(x - sx, y - sy)
        if rng_m > audible:
            continue
        # Exact emission time: the sound heard now left when |pos(t - tau) - sensor| = c * tau.
        tau = math.hypot(rng_m, flight.alt) / SPEED_OF_SOUND_MPS
        ex, ey = x, y
        for _ in range(30):
            ex, ey = flight.at(t - tau)
            tau = math.hypot(math.hypot(ex - sx, ey - sy), flight.alt) / SPEED_OF_SOUND_MPS
        b = math.atan2(ex - sx, ey - sy) + math.radians(sigma_deg) * rng.standard_normal()
        out.append(
            BearingFix(
                t=t,
                sx=sx,
                sy=sy,
                bearing_rad=b,
                sigma_rad=math.radians(sigma_deg),
                source=f"{source_prefix}{k}",
                evidence=0.2,
                type_likelihood=SOUND_LIKELIHOOD[sound],
                sound_class=sound,
            )
        )
    return out


def sighting(
    flight: Trajectory,
    t: float,
    rng: np.random.Generator,
    sigma: float = 2000.0,
    source: str = "obs",
    aircraft: str = "jet",
    heading: bool = True,
    count: int = 1,
    delay: float = 60.0,
) -> PositionFix:
    """A report received at ``t`` of where the aircraft was ``delay`` seconds earlier."""
    x, y = flight.at(t - delay)
    vx, vy = flight.velocity(t - delay)
    return PositionFix(
        t=t,
        x=x + sigma * rng.standard_normal(),
        y=y + sigma * rng.standard_normal(),
        sigma_m=sigma,
        source=source,
        evidence=0.8,
        type_likelihood=REPORT_LIKELIHOOD[aircraft],
        heading_rad=math.atan2(vx, vy) if heading else None,
        count=count,
    )


def run(tracker: Tracker, batches: list[tuple[float, list[Measurement]]]) -> None:
    for t, batch in batches:
        tracker.step(t, batch)


def lagging_jet_track(flight: Flight, heading_rad: float, behind_m: float) -> Track:
    """A confirmed jet track ``behind_m`` behind ``flight``'s position at t = 0 on its course,
    at 200 m/s: the lagging track that claims the bearings of the nodes under a real jet."""
    x, y = flight.at(0.0)
    track = Track(
        id="T0",
        t=0.0,
        x=np.array(
            [
                x - behind_m * math.sin(heading_rad),
                y - behind_m * math.cos(heading_rad),
                200.0 * math.sin(heading_rad),
                200.0 * math.cos(heading_rad),
            ]
        ),
        p=np.diag([1500.0**2, 1500.0**2, 30.0**2, 30.0**2]),
        type_probs=np.array([0.9, 0.05, 0.05]),
        created=-300.0,
        last_update=0.0,
        status="confirmed",
        hits=10,
    )
    track.remember()
    return track
