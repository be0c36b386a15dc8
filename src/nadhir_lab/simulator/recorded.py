"""Real recorded flights flown over a simulated region (issue 17: aircraft that fly like real ones).

The simulator's own aircraft fly programmes: a jet's dog-legs and dives, a helicopter's hover,
a drone's circle, each within its type's speeds and turn rates. Real pilots fly otherwise:
slower jets, faster drones, loiters that are not circles, climbs and turns the programmes never
make. A rule tuned on programmed flights can fail on real ones (the public ``adsb-*`` scenarios
showed it). This module lets a simulated day fly ADS-B trajectories instead, from the library in
``nadhir_lab/data/flights`` (extracted by ``tools/extract_flights.py`` from the `traffic`
package's samples; its ``manifest.json`` names each one's source).

A recording is moved, never reshaped: rotated by a random angle and shifted so that one of its
points, chosen at random in its middle part, lies over the sortie's aim point; its times start at
the sortie's take-off. An attacking sortie releases there, once (the public real-flight scenarios
do the same); a reconnaissance sortie passes over its target and releases nothing. The aircraft
appears where its recording starts, in the air, with no take-off from a base to report. Its
kind is the recording's (see the manifest): a survey aircraft is flown as a drone, an ambulance
helicopter as a helicopter, whatever its speed.

The library is split in two sets fixed before any scoring: ``tuning`` (the recordings the public
real-flight scenarios were made from) and ``report`` (recordings no rule or threshold is ever
chosen on).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from nadhir_lab.simulator.regions import Kind

RECORDED_SETS = ("tuning", "report")


@dataclass(frozen=True)
class RecordedFlight:
    """One recorded stretch of flight, in its own local frame (metres east and north of its start)."""

    name: str
    set: str
    kind: Kind
    source: str  # "sample:icao24:window", as the public real-flight scenarios name theirs (+ window)
    t: np.ndarray  # seconds from the start, every second
    x: np.ndarray
    y: np.ndarray
    alt: np.ndarray


@cache
def recorded_flights(set_name: str) -> tuple[RecordedFlight, ...]:
    """The library's flights of one set (``"tuning"`` or ``"report"``), resampled every second."""
    if set_name not in RECORDED_SETS:
        raise ValueError(f"unknown set of recorded flights {set_name!r}; known: {list(RECORDED_SETS)}")
    folder = resources.files("nadhir_lab") / "data" / "flights"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for entry in manifest:
        if entry["set"] != set_name:
            continue
        with (folder / entry["file"]).open("r", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        t5 = np.array([float(r["t_s"]) for r in rows])
        lat = np.array([float(r["lat"]) for r in rows])
        lon = np.array([float(r["lon"]) for r in rows])
        alt = np.array([float(r["alt_m"]) for r in rows])
        # A local equirectangular frame: at most 30 minutes of flight, tens of kilometres.
        lat0, lon0 = float(lat[0]), float(lon[0])
        x5 = np.radians(lon - lon0) * 6_371_000.0 * math.cos(math.radians(lat0))
        y5 = np.radians(lat - lat0) * 6_371_000.0
        t = np.arange(0.0, float(t5[-1]) + 1.0, 1.0)
        sample = str(entry["sample"]).split("/")[-1]
        out.append(
            RecordedFlight(
                name=str(entry["file"]).removesuffix(".csv"),
                set=set_name,
                kind=entry["kind"],
                source=f"{sample}:{entry['icao24']}:{str(entry['file']).removesuffix('.csv')[-1]}",
                t=t,
                x=np.interp(t, t5, x5),
                y=np.interp(t, t5, y5),
                alt=np.interp(t, t5, alt),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class PlacedFlight:
    """A recording placed over the region: positions every second from take-off, and where it
    releases (an index into them), if it does."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    alt: np.ndarray
    heading: np.ndarray
    phase: list[str]
    release: int | None


def place(
    flight: RecordedFlight,
    rng: np.random.Generator,
    aim: tuple[float, float],
    takeoff: float,
    attack: bool,
    end_t: float,
) -> PlacedFlight:
    """Rotate ``flight`` at random and shift it so that a point of its middle lies over ``aim``."""
    n = len(flight.t)
    over = int(rng.integers(int(0.3 * n), max(int(0.3 * n) + 1, int(0.8 * n))))
    theta = float(rng.uniform(0.0, 2.0 * math.pi))
    c, s = math.cos(theta), math.sin(theta)
    x = c * flight.x + s * flight.y
    y = -s * flight.x + c * flight.y
    x = x - x[over] + aim[0]
    y = y - y[over] + aim[1]
    t = flight.t + takeoff
    keep = t <= end_t + 600.0
    t, x, y, alt = t[keep], x[keep], y[keep], flight.alt[keep]
    if len(t) > 1:
        heading = np.degrees(np.arctan2(np.gradient(x), np.gradient(y))) % 360.0
    else:
        heading = np.zeros(len(t))
    release = over if attack and over < len(t) else None
    return PlacedFlight(t, x, y, alt, heading, _phases(x, y, heading, release), release)


def _phases(x: np.ndarray, y: np.ndarray, heading: np.ndarray, release: int | None) -> list[str]:
    """What an observer would say the aircraft is doing: the two minutes before a release are its
    attack, after it the way home; a stretch that turned through most of a circle in the last two
    minutes is circling; the rest is transit."""
    n = len(x)
    turn = np.abs((np.diff(heading, prepend=heading[:1]) + 180.0) % 360.0 - 180.0)
    # Ground speed under a few m/s (a hover) makes headings noise; do not count their turns.
    speed = np.hypot(np.gradient(x), np.gradient(y))
    turn[speed < 3.0] = 0.0
    window = np.convolve(turn, np.ones(120), mode="full")[:n]
    phase = []
    for i in range(n):
        if release is not None and release - 120 <= i <= release:
            phase.append("attack")
        elif release is not None and i > release:
            phase.append("return")
        elif window[i] >= 300.0:
            phase.append("circling")
        else:
            phase.append("transit")
    return phase
