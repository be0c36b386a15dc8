"""Nadhir's own scenario simulator: synthetic air-attack days in the shared scenario format.

The simulator exists so that the project can train and test on data that are
*not* the public scenarios: other regions, other seeds, other twists. It is
driven by a :class:`Region` (a data file under ``nadhir_lab/data/regions``: towns,
hospitals, schools, camps, villages, air bases, how busy the sky is and how
many observers and sensors listen) and a seed. Place names live only in the
region files; this module holds the physics, the people and the phrasing.

What it models
--------------
* **Sorties** in waves. Jets (180-250 m/s) transit over a few dog-leg
  waypoints, fly 2-4 strike passes from alternating initial points a few
  minutes apart, diving to attack altitude, and return. Helicopters (50-70 m/s)
  approach, hover over the aim point and drop, 1-4 times. Drones (25-40 m/s)
  loiter in circles; armed ones leave the circle to strike, some are one-way.
  Reconnaissance sorties of every type circle a town and never strike.
  Formations of 1-3 aircraft fly close together (wingmen trail the leader by
  a lag that closes after take-off, with a lateral offset).
* **Truth**: each aircraft's path every 5 s with altitude; strikes a few
  hundred metres around the aim (a district of a town, or a facility), with
  an occasional miss well outside the site.
* **Observers** at lookout posts near bases, in towns and on hills. Each has
  a range per aircraft type, an activity level, a delay (20-90 s, sometimes
  longer), a position error that grows with distance, a chance of naming the
  wrong type, a language mix, and a style: structured app messages, free text
  in Arabic or English (over/near a place, "east of X", "5 km north of X",
  heading in 8 compass words, takeoff from a base, circling, striking, counts
  with Arabic dual forms), or both. Place names come from the gazetteer and
  the sites, with aliases and generic misspellings.
* **Relay channels** forward observers' texts with their own prefixes and
  delays (duplicates of one sighting).
* **Acoustic sensors** (a jittered grid or nodes scattered around towns) hear
  aircraft within type-dependent ranges. A detection is received one sound
  travel time after emission and bears on the *emission* point, with Gaussian
  bearing noise of the sensor's stated sigma and rare outliers; classes are
  confused (drones often sound like "propeller"); strikes are heard as
  explosions; every node has clutter detections.
* **Impacts** after strikes: civil-defence teams and nearby observers, with
  delays, by coordinates or by place name.

Twists (any subset of :data:`TWISTS`): ``spoofer`` (a source sending false
sightings), ``malformed`` (unparseable lines), ``silent_sensors`` (nodes dying
mid-scenario), ``burst`` (a few minutes of message flood around a strike),
``unknown_places`` (villages that are not in the gazetteer), ``unlisted_teams``
(civil-defence teams that report strikes but are missing from
``reporters.json``, as in the public scenarios: their reports come from
strangers to the system).

Everything is drawn from ``numpy`` generators spawned from one seed, one
stream per component, so a seed gives the same bytes every time and a twist
never changes the flights.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nadhir.domain.timefmt import format_time
from nadhir.geo.distance import EARTH_RADIUS_M, bearing_deg

Kind = Literal["jet", "helicopter", "drone"]
KINDS: tuple[Kind, ...] = ("jet", "helicopter", "drone")
TWISTS: tuple[str, ...] = (
    "burst",
    "malformed",
    "silent_sensors",
    "spoofer",
    "unknown_places",
    "unlisted_teams",
)
SPEED_OF_SOUND_MPS = 343.0
PATH_STEP_S = 5  # truth paths are sampled this often
FACILITY_AIMS = ("hospital", "school")  # facilities a strike on their town may aim at
# The format tag written into truth.json's meta. It names where the simulator lived when the
# format was fixed; it stays as it is so that a seed keeps giving the same bytes.
GENERATOR = "nadhir.scenarios.simulator/1"
FORMATION_SIZES: dict[str, tuple[float, float, float]] = {  # share of sorties of 1, 2, 3 aircraft
    "jet": (0.55, 0.35, 0.10),
    "helicopter": (0.7, 0.25, 0.05),
    "drone": (0.85, 0.15, 0.0),
}

FloatArray = npt.NDArray[np.float64]
T = TypeVar("T")
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


class RegionError(Exception):
    """A region cannot be found or its file is not a valid region description."""


# --------------------------------------------------------------------------- regions


class _Named(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    name_ar: str | None = None
    aliases: tuple[str, ...] = ()
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)


class AirBase(_Named):
    """An air base and the aircraft types that fly from it."""

    aircraft: tuple[Kind, ...] = KINDS


class RegionSite(_Named):
    """A place that can be warned (becomes a ``sites.geojson`` feature)."""

    kind: str = "town"
    radius_m: float | None = Field(default=None, gt=0)
    population: int | None = Field(default=None, ge=0)
    town: str | None = None  # the town a facility belongs to
    polygon: tuple[tuple[float, float], ...] | None = None  # optional outer ring, (lon, lat)
    sirens: int | None = Field(default=None, ge=0)
    shelter_seconds: float | None = Field(default=None, gt=0)

    @property
    def radius(self) -> float:
        """The site's area radius (the format's defaults when not given)."""
        if self.radius_m is not None:
            return self.radius_m
        return 2000.0 if self.kind == "town" else 500.0


class RegionPlace(_Named):
    """A village or landmark; ``listed: false`` keeps it out of the gazetteer."""

    kind: str = "village"
    listed: bool = True


class SensorPlan(BaseModel):
    """How many acoustic nodes, laid out how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(default=36, ge=0, le=1000)
    layout: Literal["grid", "scattered"] = "grid"
    id_prefix: str = "ac"
    sigma_deg: tuple[float, float] = (5.0, 10.0)


def _default_mix() -> dict[Kind, float]:
    return {"jet": 0.4, "helicopter": 0.35, "drone": 0.25}


def _default_recon() -> dict[Kind, float]:
    return {"jet": 0.2, "helicopter": 0.1, "drone": 0.4}


class Region(BaseModel):
    """A region description: geography (all names) and how busy its sky and its listeners are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str = ""
    title_ar: str | None = None
    description: str = ""
    date: str = "2025-06-01"
    start_hours_utc: tuple[int, int] = (0, 20)
    sorties_per_hour: float = Field(default=2.5, gt=0, le=30)
    aircraft_mix: dict[Kind, float] = Field(default_factory=_default_mix)
    recon_share: dict[Kind, float] = Field(default_factory=_default_recon)
    observers: int = Field(default=24, ge=0, le=1000)
    relays: int = Field(default=4, ge=0, le=100)
    sensors: SensorPlan = Field(default_factory=SensorPlan)
    civil_defence: bool = True
    airbases: tuple[AirBase, ...] = Field(min_length=1)
    sites: tuple[RegionSite, ...] = Field(min_length=1)
    places: tuple[RegionPlace, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Region:
        seen: set[str] = set()
        for item in (*self.airbases, *self.sites, *self.places):
            if item.id in seen:
                raise ValueError(f"duplicate id {item.id!r}")
            seen.add(item.id)
        towns = {s.id for s in self.sites if s.kind == "town"}
        if not towns:
            raise ValueError("a region needs at least one town")
        for site in self.sites:
            if site.town is not None and site.town not in towns:
                raise ValueError(f"site {site.id!r}: unknown town {site.town!r}")
        if sum(max(0.0, v) for v in self.aircraft_mix.values()) <= 0:
            raise ValueError("aircraft_mix gives no aircraft")
        for kind, share in self.aircraft_mix.items():
            if share > 0 and not any(kind in base.aircraft for base in self.airbases):
                raise ValueError(f"no air base flies {kind}")
        lo, hi = self.start_hours_utc
        if not 0 <= lo <= hi <= 23:
            raise ValueError("start_hours_utc must be two hours 0..23, in order")
        datetime.fromisoformat(self.date)
        return self


def _regions_dir() -> Any:
    return resources.files("nadhir_lab") / "data" / "regions"


def list_regions() -> list[str]:
    """Names of the regions bundled with the package."""
    return sorted(
        entry.name.removesuffix(".json") for entry in _regions_dir().iterdir() if entry.name.endswith(".json")
    )


def load_region(name_or_path: str | Path) -> Region:
    """A bundled region by name (``wadi-karam``), or a region file by path."""
    path = Path(name_or_path)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        label = str(path)
    else:
        name = str(name_or_path)
        entry = _regions_dir() / f"{name}.json"
        if path.suffix == ".json" or not entry.is_file():
            raise RegionError(f"no region {name!r}: not a file, and bundled regions are {list_regions()}")
        text = entry.read_text(encoding="utf-8")
        label = name
    try:
        return Region.model_validate_json(text)
    except ValidationError as exc:
        raise RegionError(f"{label}: not a valid region: {exc}") from exc


# --------------------------------------------------------------------------- results


@dataclass
class SimAircraft:
    """One aircraft's true flight: 1 s samples (seconds from the scenario start)."""

    id: str
    type: Kind
    sortie: int
    t: FloatArray
    x: FloatArray
    y: FloatArray
    alt: FloatArray
    heading: FloatArray  # degrees
    lat: FloatArray
    lon: FloatArray
    phase: list[str]

    @property
    def takeoff(self) -> float:
        """Seconds from the start at which it left the ground."""
        return float(self.t[0])


@dataclass(frozen=True)
class SimStrike:
    """A bomb's impact (seconds from the start)."""

    t: float
    lat: float
    lon: float
    aircraft: str
    aim: str
    x: float
    y: float


@dataclass(frozen=True)
class Sortie:
    """One planned mission of one to three aircraft."""

    id: int
    type: Kind
    base: str
    count: int
    target: str
    aim: str
    recon: bool
    expendable: bool
    takeoff: float
    aircraft: tuple[str, ...]


@dataclass
class SimEvent:
    """One input line: its receive time (whole seconds from the start) and payload.

    ``payload`` is a JSON object, or a raw string for a deliberately malformed
    line. ``source`` says what caused it (never written): ``aircraft:<id>``,
    ``strike:<n>``, ``clutter``, ``spoofer``, ``relay``, ``burst``, ``malformed``.
    """

    t: int
    seq: int
    payload: dict[str, Any] | str
    source: str


@dataclass
class SimulatedScenario:
    """A simulated scenario, ready for :func:`write_scenario`."""

    region: Region
    seed: int
    twists: tuple[str, ...]
    start: float  # POSIX seconds
    duration_s: int
    sites: list[dict[str, Any]]
    gazetteer: list[dict[str, Any]]
    reporters: list[dict[str, Any]]
    events: list[SimEvent]
    aircraft: list[SimAircraft]
    strikes: list[SimStrike]
    sorties: list[Sortie]
    meta_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.duration_s

    def iso(self, t: float) -> str:
        """ISO time of ``t`` seconds after the start."""
        return format_time(self.start + t)

    def meta(self) -> dict[str, Any]:
        """The truth file's ``meta``."""
        sorties = [
            {
                "id": s.id,
                "type": s.type,
                "base": s.base,
                "count": s.count,
                "target": s.target,
                "aim": s.aim,
                "recon": s.recon,
                "expendable": s.expendable,
                "takeoff": self.iso(s.takeoff),
                "aircraft": list(s.aircraft),
            }
            for s in self.sorties
        ]
        return {
            "start": self.iso(0),
            "end": self.iso(self.duration_s),
            "seed": self.seed,
            "region": self.region.name,
            "hours": round(self.duration_s / 3600.0, 3),
            "twists": list(self.twists),
            "generator": GENERATOR,
            **self.meta_extra,
            "sorties": sorties,
        }

    def truth(self) -> dict[str, Any]:
        """``truth.json`` content: paths every 5 s, strikes, meta."""
        aircraft = []
        for ac in self.aircraft:
            path = []
            last = len(ac.t) - 1
            for i in range(len(ac.t)):
                t = float(ac.t[i])
                if t > self.duration_s:
                    break
                if (round(t) % PATH_STEP_S) and i != last:
                    continue
                path.append(
                    {
                        "t": self.iso(t),
                        "lat": round(float(ac.lat[i]), 5),
                        "lon": round(float(ac.lon[i]), 5),
                        "alt_m": round(float(ac.alt[i])),
                    }
                )
            if path:
                aircraft.append({"id": ac.id, "type": ac.type, "path": path})
        strikes = [
            {
                "t": self.iso(s.t),
                "lat": round(s.lat, 5),
                "lon": round(s.lon, 5),
                "aircraft": s.aircraft,
                "aim": s.aim,
            }
            for s in self.strikes
        ]
        return {"aircraft": aircraft, "strikes": strikes, "meta": self.meta()}

    def event_lines(self) -> list[str]:
        """``events.jsonl`` lines (without newlines), in time order."""
        out = []
        for ev in sorted(self.events, key=lambda e: (e.t, e.seq)):
            if isinstance(ev.payload, str):
                out.append(ev.payload)
            else:
                out.append(json.dumps({"t": self.iso(ev.t), **ev.payload}, ensure_ascii=False))
        return out


def write_scenario(sim: SimulatedScenario, out_dir: Path, *, gzip_events: bool = False) -> Path:
    """Write the five scenario files into ``out_dir`` (created if needed); returns the events file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    collection = {"type": "FeatureCollection", "features": sim.sites}
    _write_text(out_dir / "sites.geojson", json.dumps(collection, ensure_ascii=False, indent=1) + "\n")
    _write_text(out_dir / "gazetteer.json", json.dumps(sim.gazetteer, ensure_ascii=False, indent=1) + "\n")
    _write_text(out_dir / "reporters.json", _json_rows(sim.reporters))
    _write_text(out_dir / "truth.json", _truth_text(sim.truth()))
    body = ("\n".join(sim.event_lines()) + "\n").encode("utf-8")
    plain, packed = out_dir / "events.jsonl", out_dir / "events.jsonl.gz"
    target, stale = (packed, plain) if gzip_events else (plain, packed)
    if stale.exists():
        stale.unlink()
    if gzip_events:
        with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
            fh.write(body)
    else:
        target.write_bytes(body)
    return target


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _json_rows(rows: Sequence[dict[str, Any]]) -> str:
    return "[\n" + ",\n".join(" " + json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n"


def _truth_text(truth: dict[str, Any]) -> str:
    """Compact but diff-friendly: one aircraft, strike or meta key per line."""
    lines = ["{", ' "aircraft": [']
    aircraft = truth["aircraft"]
    for i, ac in enumerate(aircraft):
        comma = "," if i < len(aircraft) - 1 else ""
        lines.append("  " + json.dumps(ac, ensure_ascii=False, separators=(",", ":")) + comma)
    lines.append(" ],")
    lines.append(' "strikes": ' + _json_rows(truth["strikes"]).rstrip("\n").replace("\n", "\n ") + ",")
    lines.append(' "meta": ' + json.dumps(truth["meta"], ensure_ascii=False, indent=1).replace("\n", "\n "))
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- world


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


# --------------------------------------------------------------------------- flight


@dataclass(frozen=True)
class _Kinematics:
    speed: tuple[float, float]
    cruise_alt: tuple[float, float]
    attack_alt: tuple[float, float]
    turn_deg_s: float
    accel: float  # m/s per s
    climb: float  # m/s
    fall_s: tuple[float, float]  # bomb fall time after release
    glide: float  # altitude per metre of distance on the way down


KINEMATICS: dict[Kind, _Kinematics] = {
    "jet": _Kinematics(
        (180.0, 250.0), (4500.0, 7000.0), (2000.0, 3500.0), 3.0, 6.0, 45.0, (15.0, 30.0), 0.06
    ),
    "helicopter": _Kinematics(
        (50.0, 70.0), (1500.0, 3200.0), (900.0, 2200.0), 6.0, 2.5, 8.0, (14.0, 22.0), 0.1
    ),
    "drone": _Kinematics((25.0, 40.0), (1200.0, 3000.0), (800.0, 2000.0), 7.0, 1.5, 5.0, (4.0, 10.0), 0.1),
}


@dataclass(frozen=True)
class _Leg:
    kind: Literal["goto", "orbit", "hover", "land"]
    x: float
    y: float
    speed: float
    alt: float
    phase: str  # transit, attack, circling, hover, return
    radius: float = 0.0
    duration: float = 0.0
    clockwise: bool = True
    tol: float = 800.0
    release: bool = False


@dataclass
class _Flight:
    t: list[float] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    alt: list[float] = field(default_factory=list)
    hdg: list[float] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    releases: list[int] = field(default_factory=list)


def _wrap_pi(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _clamp(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


def _fly(x0: float, y0: float, t0: float, legs: Sequence[_Leg], kin: _Kinematics, end_t: float) -> _Flight:
    """Integrate a flight program at 1 s: turn-rate, acceleration and climb limited."""
    f = _Flight()
    x, y, alt, speed = x0, y0, 0.0, 0.0
    hdg = math.atan2(legs[0].x - x, legs[0].y - y)
    turn = math.radians(kin.turn_deg_s)
    t = t0

    def record(phase: str) -> None:
        f.t.append(t)
        f.x.append(x)
        f.y.append(y)
        f.alt.append(alt)
        f.hdg.append(math.degrees(hdg) % 360.0)
        f.phase.append(phase)

    record("takeoff")
    for leg in legs:
        elapsed = 0
        hovered = 0
        best, best_i = math.inf, -1
        while True:
            dx, dy = leg.x - x, leg.y - y
            dist = math.hypot(dx, dy)
            want_speed, want_alt, want_hdg = leg.speed, leg.alt, math.atan2(dx, dy)
            if leg.kind == "orbit":
                phi = math.atan2(x - leg.x, y - leg.y)
                sign = 1.0 if leg.clockwise else -1.0
                delta = _clamp(1.5 * (dist - leg.radius) / max(leg.radius, 1.0), -0.6, 1.4)
                want_hdg = phi + sign * (math.pi / 2 + delta)
            elif leg.kind == "hover":
                # Slow enough to turn inside the remaining distance: a helicopter closing on its
                # spot faster than its turn allows would circle the spot instead of reaching it.
                want_speed = min(leg.speed, max(0.8, (dist - 20.0) / 8.0), max(0.8, 0.5 * dist * turn))
                if dist < 60.0:
                    want_hdg = hdg
            elif leg.kind == "land":
                want_alt = min(leg.alt, dist * kin.glide)
                if dist < 5000.0:
                    want_speed = max(leg.speed * 0.5, min(leg.speed, dist / 40.0))
            hdg = _wrap_pi(hdg + _clamp(_wrap_pi(want_hdg - hdg), -turn, turn))
            speed += _clamp(want_speed - speed, -kin.accel, kin.accel)
            alt += _clamp(want_alt - alt, -1.5 * kin.climb, kin.climb)
            alt = max(alt, 0.0)
            x += speed * math.sin(hdg)
            y += speed * math.cos(hdg)
            t += 1.0
            elapsed += 1
            record("hover" if leg.kind == "hover" and dist < 150.0 else leg.phase)
            dist = math.hypot(leg.x - x, leg.y - y)
            done = False
            if leg.kind == "goto":
                if dist < best:
                    best, best_i = dist, len(f.t) - 1
                behind = abs(_wrap_pi(math.atan2(leg.x - x, leg.y - y) - hdg)) > math.pi / 2
                radius = max(speed, 1.0) / turn
                done = dist < leg.tol or (behind and dist < 1.5 * radius + leg.tol)
                if done and leg.release:
                    f.releases.append(best_i)
            elif leg.kind == "orbit":
                done = elapsed >= leg.duration
            elif leg.kind == "hover":
                if dist < 150.0:
                    hovered += 1
                    if leg.release and hovered == max(1, int(leg.duration // 2)):
                        f.releases.append(len(f.t) - 1)
                done = hovered >= leg.duration
            elif leg.kind == "land":
                radius = max(speed, 1.0) / turn
                done = dist < max(400.0, 6.0 * speed) and alt < 200.0
                done = done or dist < 1.5 * radius + 500.0
                if done:  # the last few hundred metres straight down the runway
                    steps = max(1, math.ceil(dist / max(speed, 1.0)))
                    x_from, y_from, alt_from = x, y, alt
                    for k in range(1, steps + 1):
                        x = x_from + (leg.x - x_from) * k / steps
                        y = y_from + (leg.y - y_from) * k / steps
                        alt = alt_from * (1.0 - k / steps)
                        t += 1.0
                        record(leg.phase)
            if done or elapsed > 4 * 3600 or t > end_t + 600:
                break
        if t > end_t + 600:
            break
    return f


def _route(
    rng: np.random.Generator, a: tuple[float, float], b: tuple[float, float], spread: float = 0.12
) -> list[tuple[float, float]]:
    """Dog-leg waypoints from a to b (b excluded), so that paths are not straight lines."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    dist = math.hypot(dx, dy)
    if dist < 8000.0:
        return []
    n = int(rng.integers(1, 4)) if dist > 25000.0 else int(rng.integers(0, 2))
    fractions = sorted(float(v) for v in rng.uniform(0.15, 0.85, size=n))
    nx, ny = -dy / dist, dx / dist
    # A smooth bend (one arc plus a little S), never a zig-zag.
    bow = _clamp(float(rng.normal(0.0, spread * dist)), -0.25 * dist, 0.25 * dist)
    wiggle = float(rng.normal(0.0, 0.3 * abs(bow)))
    out = []
    for frac in fractions:
        lateral = bow * math.sin(math.pi * frac) + wiggle * math.sin(2 * math.pi * frac)
        lateral = _clamp(lateral, -25000.0, 25000.0)
        out.append((a[0] + frac * dx + lateral * nx, a[1] + frac * dy + lateral * ny))
    return out


def _unit(deg: float) -> tuple[float, float]:
    r = math.radians(deg)
    return math.sin(r), math.cos(r)


def _heading_from(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360.0


def _program(
    rng: np.random.Generator,
    kind: Kind,
    base: tuple[float, float],
    target: tuple[float, float],
    aim: tuple[float, float],
    recon: bool,
    expendable: bool,
    second_target: tuple[float, float] | None,
) -> list[_Leg]:
    """The legs of one sortie: out over waypoints, the work over the target, back over other waypoints."""
    kin = KINEMATICS[kind]
    v = _rand(rng, *kin.speed)
    cruise = _rand(rng, *kin.cruise_alt)
    attack = _rand(rng, *kin.attack_alt)
    transit_tol = {"jet": 1500.0, "helicopter": 500.0, "drone": 250.0}[kind]
    legs: list[_Leg] = []
    approach = _heading_from(base, target) + float(rng.normal(0.0, 30.0))

    def transit_to(point: tuple[float, float], start: tuple[float, float]) -> None:
        for wx, wy in _route(rng, start, point):
            legs.append(_Leg("goto", wx, wy, v, cruise, "transit", tol=transit_tol))

    def circle(centre: tuple[float, float], radius: float, duration: float, clockwise: bool) -> None:
        legs.append(_Leg("orbit", centre[0], centre[1], v, cruise, "circling", radius, duration, clockwise))

    if kind == "jet":
        if recon:
            transit_to(target, base)
            for centre in (target, second_target):
                if centre is None:
                    continue
                circle(centre, _rand(rng, 5000.0, 8000.0), _rand(rng, 240.0, 600.0), _chance(rng, 0.5))
        else:
            theta = approach
            passes = int(rng.integers(2, 5))
            first_ip = _offset(aim, theta + 180.0, 12000.0)
            transit_to(first_ip, base)
            for _ in range(passes):
                ip = _offset(aim, theta + 180.0, _rand(rng, 10000.0, 13000.0))
                legs.append(_Leg("goto", ip[0], ip[1], v, cruise, "attack", tol=2000.0))
                legs.append(_Leg("goto", aim[0], aim[1], v, attack, "attack", tol=300.0, release=True))
                out = _offset(aim, theta + _rand(rng, -35.0, 35.0), _rand(rng, 6000.0, 9000.0))
                legs.append(_Leg("goto", out[0], out[1], v, attack + 1000.0, "attack", tol=1500.0))
                theta = theta + 180.0 + _rand(rng, -70.0, 70.0)
    elif kind == "helicopter":
        if recon:
            transit_to(target, base)
            circle(target, _rand(rng, 2000.0, 3500.0), _rand(rng, 360.0, 900.0), _chance(rng, 0.5))
        else:
            theta = approach
            passes = int(rng.integers(1, 5))
            transit_to(_offset(aim, theta + 180.0, 4000.0), base)
            for _ in range(passes):
                start = _offset(aim, theta + 180.0, _rand(rng, 3000.0, 5000.0))
                legs.append(_Leg("goto", start[0], start[1], v, attack, "attack", tol=400.0))
                spot = (aim[0] + float(rng.normal(0, 80.0)), aim[1] + float(rng.normal(0, 80.0)))
                legs.append(
                    _Leg(
                        "hover",
                        spot[0],
                        spot[1],
                        v,
                        attack,
                        "attack",
                        duration=_rand(rng, 20.0, 60.0),
                        release=True,
                    )
                )
                out = _offset(aim, theta + _rand(rng, -60.0, 60.0), _rand(rng, 2500.0, 4000.0))
                legs.append(_Leg("goto", out[0], out[1], v, attack, "attack", tol=400.0))
                theta = theta + _rand(rng, 90.0, 270.0)
    else:
        transit_to(target, base)
        radius = _rand(rng, 800.0, 2500.0)
        clockwise = _chance(rng, 0.5)
        if recon:
            circle(target, radius, _rand(rng, 900.0, 2400.0), clockwise)
            if second_target is not None:
                transit_to(second_target, target)
                circle(second_target, radius, _rand(rng, 600.0, 1200.0), clockwise)
        else:
            circle(target, radius, _rand(rng, 180.0, 600.0), clockwise)
            strikes = 1 if expendable else int(rng.integers(1, 4))
            for k in range(strikes):
                legs.append(_Leg("goto", aim[0], aim[1], v, attack, "attack", tol=120.0, release=True))
                if expendable:
                    return legs
                if k < strikes - 1:
                    circle(target, radius, _rand(rng, 120.0, 360.0), clockwise)
    last = (legs[-1].x, legs[-1].y)
    for wx, wy in _route(rng, last, base, spread=0.08):
        legs.append(_Leg("goto", wx, wy, v, cruise, "return", tol=transit_tol))
    legs.append(_Leg("land", base[0], base[1], v, cruise, "return"))
    return legs


def _offset(p: tuple[float, float], deg: float, dist: float) -> tuple[float, float]:
    ux, uy = _unit(deg)
    return p[0] + dist * ux, p[1] + dist * uy


def _wingman(leader: _Flight, rng: np.random.Generator, slot: int, kind: Kind) -> tuple[_Flight, float]:
    """A wingman: takes off a little later, closes up, and flies offset beside the leader."""
    scale = 1.0 if kind == "jet" else 0.4
    lag0 = float(rng.uniform(15.0, 40.0))
    side = (1.0 if slot % 2 else -1.0) * _rand(rng, 250.0, 700.0) * scale
    back = _rand(rng, 100.0, 400.0) * scale * ((slot + 1) // 2)
    t = np.asarray(leader.t)
    t0 = t[0]
    lag = lag0 * np.exp(-(t - t0) / 90.0) + 1.0
    src = np.clip(t - lag, t0, t[-1])
    x = np.interp(src, t, np.asarray(leader.x))
    y = np.interp(src, t, np.asarray(leader.y))
    alt = np.interp(src, t, np.asarray(leader.alt))
    # The formation keeps its shape along the leader's smoothed track, not its every twitch.
    hdg = np.radians(np.asarray(leader.hdg))
    hx, hy = np.empty(len(t)), np.empty(len(t))
    sx, sy = math.sin(hdg[0]), math.cos(hdg[0])
    for i in range(len(t)):
        sx += (math.sin(hdg[i]) - sx) / 30.0
        sy += (math.cos(hdg[i]) - sy) / 30.0
        hx[i], hy[i] = sx, sy
    hx, hy = np.interp(src, t, hx), np.interp(src, t, hy)
    norm = np.hypot(hx, hy) + 1e-9
    hx, hy = hx / norm, hy / norm
    ramp = np.clip(alt / 300.0, 0.0, 1.0)
    want_x = x + ramp * (side * hy - back * hx)
    want_y = y + ramp * (-side * hx - back * hy)
    # Pursue the slot at no more than the type's top speed (plus a little to catch up).
    vmax = 1.2 * KINEMATICS[kind].speed[1]
    wx, wy = np.empty(len(t)), np.empty(len(t))
    wx[0], wy[0] = want_x[0], want_y[0]
    for i in range(1, len(t)):
        dx, dy = want_x[i] - wx[i - 1], want_y[i] - wy[i - 1]
        step = math.hypot(dx, dy)
        k = 1.0 if step <= vmax else vmax / step
        wx[i], wy[i] = wx[i - 1] + k * dx, wy[i - 1] + k * dy
    heading = np.degrees(np.arctan2(np.gradient(wx), np.gradient(wy))) % 360.0
    f = _Flight(t=list(t), x=list(wx), y=list(wy), alt=list(alt), hdg=list(heading), phase=list(leader.phase))
    return f, lag0


# --------------------------------------------------------------------------- plan


def _plan_and_fly(
    world: _World, rng: np.random.Generator, duration: int
) -> tuple[list[Sortie], list[SimAircraft], list[SimStrike]]:
    region = world.region
    mix = [max(0.0, region.aircraft_mix.get(k, 0.0)) for k in KINDS]
    n_sorties = max(2, int(rng.poisson(region.sorties_per_hour * duration / 3600.0)))
    n_waves = max(1, round(n_sorties / _rand(rng, 1.4, 2.4)))
    wave_t = sorted(float(v) for v in rng.uniform(120.0, max(600.0, duration - 1500.0), size=n_waves))
    town_w = [_town_weight(t) for t in world.towns]
    wave_focus = [_pick_weighted(rng, world.towns, town_w) for _ in range(n_waves)]
    camps = [s for s in region.sites if s.kind == "camp"]
    sorties: list[Sortie] = []
    aircraft: list[SimAircraft] = []
    strikes: list[SimStrike] = []
    plans = []
    for _ in range(n_sorties):
        wave = int(rng.integers(n_waves))
        kind = _pick_weighted(rng, KINDS, [m + 1e-12 for m in mix])
        takeoff = wave_t[wave] + _rand(rng, 0.0, 480.0)
        takeoff = float(PATH_STEP_S * round(takeoff / PATH_STEP_S))
        plans.append((takeoff, wave, kind))
    plans.sort(key=lambda p: p[0])
    for sid, (takeoff, wave, kind) in enumerate(plans):
        bases = [b for b in region.airbases if kind in b.aircraft]
        base = _pick(rng, bases)
        focus = wave_focus[wave]
        fx, fy = world.site_xy(focus.id)
        near = [t for t in world.towns if math.hypot(*(np.subtract(world.site_xy(t.id), (fx, fy)))) < 22000.0]
        if camps and _chance(rng, 0.12):
            target_site: RegionSite = _pick(rng, camps)
        elif _chance(rng, 0.4):
            target_site = focus
        else:
            target_site = _pick_weighted(rng, near, [_town_weight(t) for t in near])
        recon = _chance(rng, region.recon_share.get(kind, 0.0))
        facilities = [s for s in region.sites if s.town == target_site.id and s.kind in FACILITY_AIMS]
        aim_site = target_site
        if not recon and facilities and _chance(rng, 0.3):
            aim_site = _pick(rng, facilities)
        count = int(_pick_weighted(rng, (1, 2, 3), FORMATION_SIZES[kind]))
        expendable = kind == "drone" and not recon and _chance(rng, 0.2)
        tx, ty = world.site_xy(target_site.id)
        # The aim point: a district of a town, the facility itself.
        spread = 0.5 * aim_site.radius if aim_site.kind == "town" else 0.0
        ax, ay = world.site_xy(aim_site.id)
        ax += float(rng.normal(0.0, spread / 2)) if spread else 0.0
        ay += float(rng.normal(0.0, spread / 2)) if spread else 0.0
        second = None
        if recon and _chance(rng, 0.35):
            others = [t for t in near if t.id != target_site.id]
            if others:
                second = world.site_xy(_pick(rng, others).id)
        legs = _program(rng, kind, world.base_xy(base.id), (tx, ty), (ax, ay), recon, expendable, second)
        lead = _fly(*world.base_xy(base.id), takeoff, legs, KINEMATICS[kind], duration)
        flights: list[tuple[_Flight, float]] = [(lead, 0.0)]
        for slot in range(1, count):
            flights.append(_wingman(lead, rng, slot, kind))
        ids = []
        for k, (flight, lag) in enumerate(flights):
            ac_id = f"s{sid:02d}-{k}"
            ids.append(ac_id)
            aircraft.append(_aircraft(world, ac_id, kind, sid, flight))
            kin = KINEMATICS[kind]
            for idx in lead.releases:
                sigma = 250.0 if aim_site.kind == "town" else 140.0
                if _chance(rng, 0.08):
                    miss = _offset((ax, ay), _rand(rng, 0.0, 360.0), _rand(rng, 1000.0, 3000.0))
                    sx, sy = miss
                else:
                    sx, sy = ax + float(rng.normal(0.0, sigma)), ay + float(rng.normal(0.0, sigma))
                fall = 0.0 if expendable else _rand(rng, *kin.fall_s)
                st = lead.t[idx] + fall + (lag * 0.1 + _rand(rng, 0.0, 6.0) if k else 0.0)
                if st > duration:
                    continue
                lat, lon = world.latlon(sx, sy)
                strikes.append(SimStrike(float(round(float(st))), lat, lon, ac_id, aim_site.id, sx, sy))
        sorties.append(
            Sortie(
                sid, kind, base.id, count, target_site.id, aim_site.id, recon, expendable, takeoff, tuple(ids)
            )
        )
    strikes.sort(key=lambda s: (s.t, s.aircraft))
    return sorties, aircraft, strikes


def _town_weight(town: RegionSite) -> float:
    """Bigger towns see more sorties, sub-linearly."""
    return math.sqrt(max(town.population or 3000, 1000))


def _aircraft(world: _World, ac_id: str, kind: Kind, sortie: int, f: _Flight) -> SimAircraft:
    x, y = np.asarray(f.x, dtype=float), np.asarray(f.y, dtype=float)
    lat, lon = world.latlon_arrays(x, y)
    return SimAircraft(
        id=ac_id,
        type=kind,
        sortie=sortie,
        t=np.asarray(f.t, dtype=float),
        x=x,
        y=y,
        alt=np.asarray(f.alt, dtype=float),
        heading=np.asarray(f.hdg, dtype=float),
        lat=lat,
        lon=lon,
        phase=list(f.phase),
    )


# --------------------------------------------------------------------------- phrasing

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
DIR_EN: dict[str, tuple[str, ...]] = {
    "N": ("north", "N", "northwards"),
    "NE": ("north-east", "northeast", "NE"),
    "E": ("east", "E", "eastwards"),
    "SE": ("south-east", "southeast", "SE"),
    "S": ("south", "S", "southwards"),
    "SW": ("south-west", "southwest", "SW"),
    "W": ("west", "W", "westwards"),
    "NW": ("north-west", "northwest", "NW"),
}
REL_EN: dict[str, tuple[str, ...]] = {
    "N": ("north",),
    "NE": ("north-east", "northeast"),
    "E": ("east",),
    "SE": ("south-east", "southeast"),
    "S": ("south",),
    "SW": ("south-west", "southwest"),
    "W": ("west",),
    "NW": ("north-west", "northwest"),
}
DIR_AR: dict[str, tuple[str, ...]] = {
    "N": ("الشمال",),
    "NE": ("الشمال الشرقي",),
    "E": ("الشرق",),
    "SE": ("الجنوب الشرقي",),
    "S": ("الجنوب",),
    "SW": ("الجنوب الغربي",),
    "W": ("الغرب",),
    "NW": ("الشمال الغربي",),
}
ADVERB_AR: dict[str, str] = {"N": "شمالاً", "E": "شرقاً", "S": "جنوباً", "W": "غرباً"}
REL_AR: dict[str, tuple[str, ...]] = {
    "N": ("شمال", "شمالي"),
    "NE": ("شمال شرق", "شمال شرقي"),
    "E": ("شرق", "شرقي"),
    "SE": ("جنوب شرق", "جنوب شرقي"),
    "S": ("جنوب", "جنوبي"),
    "SW": ("جنوب غرب", "جنوب غربي"),
    "W": ("غرب", "غربي"),
    "NW": ("شمال غرب", "شمال غربي"),
}

# Aircraft phrases by type and count (1, 2 = dual, 3 = three or more). An Arabic entry is
# "nominative|genitive|form": form m (masculine), f (feminine, or a non-human plural), d (dual).
TYPE_AR: dict[str, dict[int, tuple[str, ...]]] = {
    "jet": {
        1: ("طيران حربي||m", "طائرة حربية||f", "الطيران الحربي||m", "مقاتلة حربية||f", "حربي||m"),
        2: ("طائرتان حربيتان|طائرتين حربيتين|d", "حربيتان|حربيتين|d", "سرب من طائرتين حربيتين||m"),
        3: ("ثلاث طائرات حربية||f", "3 طائرات حربية||f", "سرب طيران حربي||m"),
    },
    "helicopter": {
        1: ("طيران مروحي||m", "طائرة مروحية||f", "مروحية||f", "الطيران المروحي||m", "حوامة||f"),
        2: ("مروحيتان|مروحيتين|d", "طائرتان مروحيتان|طائرتين مروحيتين|d"),
        3: ("ثلاث مروحيات||f", "3 مروحيات||f"),
    },
    "drone": {
        1: ("طائرة مسيرة||f", "مسيرة||f", "طائرة بدون طيار||f", "درون||m"),
        2: ("مسيرتان|مسيرتين|d", "طائرتان مسيرتان|طائرتين مسيرتين|d"),
        3: ("ثلاث مسيرات||f", "3 طائرات مسيرة||f"),
    },
    "recon": {
        1: ("طائرة استطلاع||f", "طيران استطلاع||m", "مسيرة استطلاع||f"),
        2: ("طائرتا استطلاع|طائرتي استطلاع|d",),
        3: ("عدة طائرات استطلاع||f",),
    },
    "unknown": {1: ("طيران||m", "طائرة||f"), 2: ("طائرتان|طائرتين|d",), 3: ("عدة طائرات||f", "3 طائرات||f")},
}
# Verbs and adjectives that agree with the aircraft phrase: masculine, feminine, dual.
AGREE_AR: dict[str, tuple[str, str, str]] = {
    "fly": ("يحلق", "تحلق", "تحلقان"),
    "hover": ("يحوم", "تحوم", "تحومان"),
    "circle": ("يدور", "تدور", "تدوران"),
    "watch": ("يرصد", "ترصد", "ترصدان"),
    "strike": ("يستهدف", "تستهدف", "تستهدفان"),
    "bomb": ("يقصف", "تقصف", "تقصفان"),
    "raid": ("ينفذ", "تنفذ", "تنفذان"),
    "drop": ("يلقي", "تلقي", "تلقيان"),
    "leave": ("يغادر", "تغادر", "تغادران"),
    "took_off": ("أقلع", "أقلعت", "أقلعتا"),
    "head": ("يتجه", "تتجه", "تتجهان"),
    "headed": ("متجه", "متجهة", "متجهتان"),
    "its": ("وجهته", "وجهتها", "وجهتهما"),
}
TYPE_EN: dict[str, dict[int, tuple[str, ...]]] = {
    "jet": {
        1: ("jet", "warplane", "fighter jet", "fast jet", "combat aircraft"),
        2: ("two jets", "2 jets", "pair of warplanes", "2x fighter jets"),
        3: ("three jets", "3 warplanes", "flight of 3 jets"),
    },
    "helicopter": {
        1: ("helicopter", "helo", "chopper", "gunship"),
        2: ("two helicopters", "2 helos", "pair of choppers"),
        3: ("three helicopters", "3 helos"),
    },
    "drone": {
        1: ("drone", "UAV", "armed drone"),
        2: ("two drones", "2 UAVs"),
        3: ("three drones", "several drones"),
    },
    "recon": {
        1: ("recon drone", "surveillance drone", "spy drone"),
        2: ("two recon drones",),
        3: ("several recon drones",),
    },
    "unknown": {1: ("aircraft", "plane"), 2: ("two aircraft", "2 planes"), 3: ("several aircraft",)},
}

# {T} the aircraft (subject), {G} the aircraft after a noun or preposition, {V...} an agreeing
# verb or adjective (see AGREE_AR), {P} a place, {R} a place relation ("east of X"), {B} a base.
TEMPLATES_AR: dict[str, tuple[str, ...]] = {
    "over": (
        "{T} فوق {P}",
        "{T} في أجواء {P}",
        "{T} في اجواء {P}",
        "تحليق {G} في سماء {P}",
        "رصد {G} فوق {P}",
        "{T} {Vfly} فوق {P}",
        "{T} بسماء {P}",
    ),
    "over_rel": ("{T} {R}", "رصد {G} {R}", "تحليق {G} {R}", "{T} {Vfly} {R}"),
    "circling": (
        "{T} {Vhover} فوق {P}",
        "{T} {Vhover} في سماء {P}",
        "تحويم {G} فوق {P}",
        "{T} {Vcircle} في أجواء {P}",
        "{T} {Vwatch} أجواء {P}",
    ),
    "circling_rel": ("{T} {Vhover} {R}", "تحويم {G} {R}"),
    "striking": (
        "{T} {Vstrike} {P}",
        "غارة من {G} على {P}",
        "{T} {Vbomb} {P}",
        "قصف من {G} على {P}",
        "{T} {Vraid} غارة على أطراف {P}",
        "{T} {Vstrike} محيط {P}",
        "غارة جوية على {P}",
    ),
    "striking_helicopter": ("{T} {Vdrop} براميل متفجرة على {P}", "براميل من {G} على {P}"),
    "takeoff": ("إقلاع {G} من {B}", "{T} {Vtook_off} من {B}", "اقلاع {G} من {B}", "خروج {G} من {B}"),
    "transit": ("{T} في الأجواء", "{T} بالأجواء", "رصد {G}"),
    "leaving": ("{T} {Vleave} أجواء {P}", "انسحاب {G} من أجواء {P}"),
}
TEMPLATES_EN: dict[str, tuple[str, ...]] = {
    "over": (
        "{T} over {P}",
        "{T} spotted over {P}",
        "{T} above {P}",
        "{T} in the sky over {P}",
        "{T} flying over {P}",
        "{T} seen near {P}",
        "{P}: {T} overhead",
    ),
    "over_rel": ("{T} {R}", "{T} spotted {R}", "{T} seen {R}"),
    "circling": (
        "{T} circling over {P}",
        "{T} circling {P}",
        "{T} loitering over {P}",
        "{T} orbiting {P}",
        "{T} making rounds over {P}",
    ),
    "circling_rel": ("{T} circling {R}", "{T} loitering {R}"),
    "striking": (
        "{T} striking {P}",
        "{T} bombing {P}",
        "airstrike on {P}",
        "{T} hitting {P}",
        "{T} attacking the outskirts of {P}",
    ),
    "striking_helicopter": ("{T} dropping barrel bombs on {P}",),
    "takeoff": (
        "{T} took off from {B}",
        "{T} takeoff from {B}",
        "{T} departing {B}",
        "{T} airborne from {B}",
        "takeoff: {T} from {B}",
    ),
    "transit": ("{T} in the air", "{T} airborne", "{T} heard"),
    "leaving": ("{T} leaving {P}", "{T} left the area of {P}"),
}
HEADING_AR = ("باتجاه {D}", "{Vheaded} نحو {D}", "{Vheaded} إلى {D}", "نحو {D}", "{Vits} {D}")
HEADING_EN = ("heading {D}", "moving {D}", "going {D}", "towards {D}", "-> {D}", "direction {D}")
PREFIX_AR = ("عاجل: ", "🔴 ", "⚠️ ", "تنبيه: ", "المراصد: ", "مرصد: ", "‼️ ")
SUFFIX_AR = (" يرجى الحذر", " انتبهوا", " خذوا الحيطة", " 🚨", " الله يحميكم")
PREFIX_EN = ("URGENT ", "ALERT: ", "⚠️ ", "#warning ", "Update: ")
SUFFIX_EN = (" now", " - take cover", " stay safe", " !!")
RELAY_PREFIX = ("", "نقلاً عن المراصد: ", "المراصد: ", "⚡ ", "عاجل | ", "fwd: ", "via spotters: ", "📡 ")
IMPACT_AR = ("انفجار في {P}", "قصف على {P}", "سقوط صاروخ في {P}", "استهداف {P} الآن", "انفجارات في محيط {P}")
IMPACT_EN = ("explosion in {P}", "strike hit {P}", "impact near {P}", "{P} was hit")
VAGUE = (
    "الطيران فوقنا",
    "انتبهوا طيران بالأجواء",
    "صوت انفجارات قوية",
    "هل من معلومات عن الطيران؟",
    "planes everywhere!!",
    "anyone know what's flying?",
    "يا جماعة شو في؟",
    "loud jets, where?",
)


def _compass(deg: float) -> str:
    return COMPASS[int(((deg % 360.0) + 22.5) // 45.0) % 8]


def _misspell_latin(name: str, rng: np.random.Generator) -> str:
    """A plausible transliteration slip: vowels, doubled letters, articles, spacing."""
    choice = int(rng.integers(6))
    if choice == 0 and " " in name:
        return name.replace(" ", "", 1)
    if choice == 1:
        for a, b in (("al-", "el-"), ("al-", "al "), ("Al-", "El "), ("-", " ")):
            if a in name:
                return name.replace(a, b, 1)
    if choice == 2:
        for a, b in (("ou", "u"), ("u", "ou"), ("ei", "ay"), ("ay", "ei"), ("i", "ee")):
            if a in name:
                return name.replace(a, b, 1)
    if choice == 3:
        vowels = [i for i, c in enumerate(name) if c in "ae" and i > 0]
        if vowels:
            i = _pick(rng, vowels)
            return name[:i] + ("e" if name[i] == "a" else "a") + name[i + 1 :]
    if choice == 4:
        cons = [i for i, c in enumerate(name) if c.isalpha() and c.lower() not in "aeiou" and i > 0]
        if cons:
            i = _pick(rng, cons)
            return name[: i + 1] + name[i] + name[i + 1 :]
    return name.lower()


def _misspell_arabic(name: str, rng: np.random.Generator) -> str:
    """Common Arabic spelling slips: taa marbuta, hamza seats, alif maqsura, the article, spacing."""
    choice = int(rng.integers(5))
    if choice == 0 and "ة" in name:
        return name.replace("ة", "ه")
    if choice == 1 and any(c in name for c in "أإآ"):
        return name.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if choice == 2 and ("ى" in name or name.endswith("ي")):
        return name.replace("ى", "ي") if "ى" in name else name[:-1] + "ى"
    if choice == 3 and name.startswith("ال") and len(name) > 4:
        return name[2:]
    if " " in name:
        return name.replace(" ", "", 1)
    return name


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def _name_variant(spot: _Spot, arabic: bool, rng: np.random.Generator, misspell: float) -> str:
    """How a reporter writes a place's name."""
    ar_names = [a for a in spot.aliases if _is_arabic(a)]
    la_names = [a for a in spot.aliases if not _is_arabic(a)]
    if arabic and spot.name_ar and not _chance(rng, 0.08):
        name = spot.name_ar if not ar_names or _chance(rng, 0.75) else _pick(rng, ar_names)
        return _misspell_arabic(name, rng) if _chance(rng, misspell) else name
    name = spot.name if not la_names or _chance(rng, 0.6) else _pick(rng, la_names)
    return _misspell_latin(name, rng) if _chance(rng, misspell) else name


@dataclass(frozen=True)
class _Aircraft:
    """How a message names the aircraft: subject and oblique forms, and the agreement."""

    nom: str
    gen: str
    form: int  # 0 masculine, 1 feminine, 2 dual (Arabic); 0 for English

    def fill(self, template: str, **slots: str) -> str:
        """Fill {T}, {G}, the agreeing {V...} words and the given slots."""
        for key, forms in AGREE_AR.items():
            template = template.replace("{V" + key + "}", forms[self.form])
        return template.format(T=self.nom, G=self.gen, **slots)


def _type_phrase(kind: str, count: int, arabic: bool, recon: bool, rng: np.random.Generator) -> _Aircraft:
    key = "recon" if recon and kind == "drone" and _chance(rng, 0.6) else kind
    n = min(max(count, 1), 3)
    if not arabic:
        phrase = _pick(rng, TYPE_EN[key][n])
        return _Aircraft(phrase, phrase, 0)
    nom, gen, form = _pick(rng, TYPE_AR[key][n]).split("|")
    return _Aircraft(nom, gen or nom, "mfd".index(form))


def _heading_phrase(deg: float, arabic: bool, rng: np.random.Generator, who: _Aircraft) -> str:
    point = _compass(deg)
    if arabic:
        if point in ADVERB_AR and _chance(rng, 0.3):
            return who.fill("{Vhead} " + ADVERB_AR[point])
        return who.fill(_pick(rng, HEADING_AR), D=_pick(rng, DIR_AR[point]))
    return _pick(rng, HEADING_EN).format(D=_pick(rng, DIR_EN[point]))


def _relative_phrase(spot_name: str, point: str, km: float, arabic: bool, rng: np.random.Generator) -> str:
    """ "east of X", "5 km north of X", in either language."""
    if arabic:
        rel = _pick(rng, REL_AR[point])
        if _chance(rng, 0.3):
            return f"على بعد {round(km)} كم {rel} {spot_name}"
        return f"{rel} {spot_name}"
    rel = _pick(rng, REL_EN[point])
    if _chance(rng, 0.3):
        return f"{round(km)} km {rel} of {spot_name}"
    return f"{'just ' if km < 5 and _chance(rng, 0.3) else ''}{rel} of {spot_name}"


# --------------------------------------------------------------------------- observers


@dataclass(frozen=True)
class _Voice:
    """How a source writes."""

    arabic: float  # share of messages in Arabic
    structured: float  # share sent as structured app messages
    fields_with_text: float  # share of text messages that also carry fields
    channel: str
    misspell: float


@dataclass(frozen=True)
class _Observer:
    id: str
    x: float
    y: float
    lat: float
    lon: float
    trust: float
    base: str | None
    range_mult: float
    activity: float
    delay: tuple[float, float]
    gap: tuple[float, float]
    type_error: float
    skill: float  # position error multiplier
    voice: _Voice


RANGE_M: dict[str, float] = {"jet": 16000.0, "helicopter": 10000.0, "drone": 5000.0}
CONFUSE_TYPE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "jet": (("helicopter", "unknown", "drone"), (0.5, 0.3, 0.2)),
    "helicopter": (("jet", "unknown", "drone"), (0.55, 0.35, 0.1)),
    "drone": (("jet", "helicopter", "unknown"), (0.2, 0.3, 0.5)),
}


def _make_voice(rng: np.random.Generator) -> _Voice:
    structured = _pick(rng, (0.0, 0.0, 0.2, 0.6, 0.9))
    channel = "app" if structured >= 0.6 else _pick(rng, ("telegram", "telegram", "radio", "sms"))
    return _Voice(
        arabic=_pick(rng, (0.95, 0.85, 0.7, 0.4)),
        structured=structured,
        fields_with_text=_pick(rng, (0.0, 0.1, 0.3)),
        channel=channel,
        misspell=_rand(rng, 0.05, 0.3),
    )


def _make_observers(world: _World, rng: np.random.Generator) -> list[_Observer]:
    region = world.region
    posts: list[tuple[str, float, float, str | None]] = []
    cx, cy = 0.0, 0.0
    for base in region.airbases:
        bx, by = world.base_xy(base.id)
        toward = _heading_from((bx, by), (cx, cy))
        for _ in range(int(rng.integers(1, 3))):
            px, py = _offset((bx, by), toward + _rand(rng, -60.0, 60.0), _rand(rng, 4000.0, 10000.0))
            posts.append((base.id, px, py, base.id))
    weights = [_town_weight(t) for t in world.towns]
    while len(posts) < region.observers:
        if _chance(rng, 0.22):
            x0, y0, x1, y1 = world.bbox
            posts.append(("field", _rand(rng, x0, x1), _rand(rng, y0, y1), None))
        else:
            town = _pick_weighted(rng, world.towns, weights)
            px, py = _offset(world.site_xy(town.id), _rand(rng, 0.0, 360.0), _rand(rng, 300.0, 2500.0))
            posts.append((town.id, px, py, None))
    out = []
    for i, (home, px, py, base_id) in enumerate(posts):
        lat, lon = world.latlon(px, py)
        lo = _rand(rng, 20.0, 35.0)
        out.append(
            _Observer(
                id=f"obs-{home}-{i}",
                x=px,
                y=py,
                lat=lat,
                lon=lon,
                trust=round(_rand(rng, 0.5, 0.95), 2),
                base=base_id,
                range_mult=_rand(rng, 0.7, 1.3),
                activity=_rand(rng, 0.45, 0.95),
                delay=(lo, _rand(rng, max(lo + 10.0, 50.0), 90.0)),
                gap=(_rand(rng, 90.0, 180.0), 420.0),
                type_error=_rand(rng, 0.03, 0.12),
                skill=_rand(rng, 0.6, 1.5),
                voice=_make_voice(rng),
            )
        )
    return out


class _Writer:
    """Collects events with a stable creation order."""

    def __init__(self, duration: int) -> None:
        self.events: list[SimEvent] = []
        self.duration = duration

    def add(self, t: float, payload: dict[str, Any] | str, source: str) -> SimEvent | None:
        ti = round(t)
        if ti < 0 or ti > self.duration:
            return None
        ev = SimEvent(ti, len(self.events), payload, source)
        self.events.append(ev)
        return ev


class _Composer:
    """Turns what a source perceives into a report's fields and text."""

    def __init__(self, world: _World, hidden_ok: bool) -> None:
        self.world = world
        self.hidden_ok = hidden_ok
        self.usable = np.array([s.listed or hidden_ok for s in world.spots])
        self.bias = np.array(
            [0.75 if s.town else (0.55 if (not s.listed and hidden_ok) else 1.0) for s in world.spots]
        )

    def nearest(self, x: float, y: float, rng: np.random.Generator) -> tuple[_Spot, float, float]:
        """The place a reporter names for (x, y): distance and bearing from the place to the point."""
        d = np.hypot(self.world.spot_x - x, self.world.spot_y - y)
        score = d * self.bias * rng.uniform(0.85, 1.15, size=len(d))
        score[~self.usable] = np.inf
        i = int(np.argmin(score))
        spot = self.world.spots[i]
        return spot, float(d[i]), _heading_from((spot.x, spot.y), (x, y))

    def report(
        self,
        rng: np.random.Generator,
        voice: _Voice,
        *,
        kind: str,
        count: int,
        recon: bool,
        x: float,
        y: float,
        heading: float | None,
        action: str,
        base: AirBase | None = None,
    ) -> dict[str, Any]:
        arabic = _chance(rng, voice.arabic)
        spot, dist, from_spot = self.nearest(x, y, rng)
        lat, lon = self.world.latlon(x, y)
        out: dict[str, Any] = {"channel": voice.channel}
        if _chance(rng, voice.structured):
            out["aircraft"] = kind
            if _chance(rng, 0.85):
                out["count"] = count
            if dist < 4000.0 and _chance(rng, 0.45) and action != "takeoff":
                out["place"] = _name_variant(spot, _chance(rng, voice.arabic), rng, voice.misspell)
            else:
                out["lat"], out["lon"] = round(lat, 4), round(lon, 4)
            if heading is not None and action in ("over", "takeoff", "leaving"):
                roll = rng.random()
                if roll < 0.45:
                    out["heading"] = _compass(heading)
                elif roll < 0.75:
                    out["heading_deg"] = round(heading) % 360
            if action == "takeoff" and base is not None:
                out["origin"] = _name_variant(_base_spot(base), _chance(rng, 0.6), rng, voice.misspell)
            return out
        templates = TEMPLATES_AR if arabic else TEMPLATES_EN
        t_phrase = _type_phrase(kind, count, arabic, recon, rng)
        name = _name_variant(spot, arabic, rng, voice.misspell)
        with_heading = heading is not None and action in ("over", "takeoff", "leaving") and _chance(rng, 0.6)
        if action == "takeoff" and base is not None:
            text = t_phrase.fill(
                _pick(rng, templates["takeoff"]),
                B=_name_variant(_base_spot(base), arabic, rng, voice.misspell),
            )
        elif action == "striking" and dist < 8000.0:
            pool = templates["striking"]
            if kind == "helicopter" and _chance(rng, 0.35):
                pool = templates["striking_helicopter"]
            text = t_phrase.fill(_pick(rng, pool), P=name)
        elif dist < 3500.0 or (action in ("circling", "leaving") and dist < 6000.0):
            key = action if action in ("circling", "leaving") else "over"
            text = t_phrase.fill(_pick(rng, templates[key]), P=name)
        elif dist < 14000.0:
            key = "circling_rel" if action == "circling" else "over_rel"
            rel = _relative_phrase(name, _compass(from_spot), dist / 1000.0, arabic, rng)
            text = t_phrase.fill(_pick(rng, templates[key]), R=rel)
        else:
            text = t_phrase.fill(_pick(rng, templates["transit"]))
            with_heading = heading is not None
        if with_heading and heading is not None:
            text = f"{text} {_heading_phrase(heading, arabic, rng, t_phrase)}"
        if _chance(rng, 0.3):
            text = _pick(rng, PREFIX_AR if arabic else PREFIX_EN) + text
        if _chance(rng, 0.2):
            text += _pick(rng, SUFFIX_AR if arabic else SUFFIX_EN)
        out["text"] = text
        if _chance(rng, voice.fields_with_text):
            out["aircraft"] = kind
            if dist < 4000.0:
                out["place"] = _name_variant(spot, False, rng, voice.misspell)
            else:
                out["lat"], out["lon"] = round(lat, 4), round(lon, 4)
        return out


def _base_spot(base: AirBase) -> _Spot:
    return _Spot(base.id, base.name, base.name_ar, base.aliases, "airbase", 0.0, 0.0, True, False)


def _perceive_type(kind: str, rng: np.random.Generator, error: float) -> str:
    if not _chance(rng, error):
        return kind
    options, weights = CONFUSE_TYPE[kind]
    return _pick_weighted(rng, options, weights)


def _observer_reports(
    world: _World,
    rng: np.random.Generator,
    observers: Sequence[_Observer],
    sorties: Sequence[Sortie],
    aircraft: dict[str, SimAircraft],
    strikes: Sequence[SimStrike],
    composer: _Composer,
    writer: _Writer,
) -> None:
    for o in observers:
        for s in sorties:
            lead = aircraft[s.aircraft[0]]
            idx = np.arange(0, len(lead.t), PATH_STEP_S)
            d = np.hypot(lead.x[idx] - o.x, lead.y[idx] - o.y)
            visible = d < RANGE_M[s.type] * o.range_mult
            next_ok = -math.inf
            for j in np.flatnonzero(visible):
                i = int(idx[j])
                t = float(lead.t[i])
                new = j == 0 or not visible[j - 1]
                if t < next_ok:
                    continue
                if not _chance(rng, o.activity if new else 0.7 * o.activity):
                    next_ok = t + 60.0
                    continue
                next_ok = t + _rand(rng, *o.gap)
                phase = lead.phase[i]
                action = "over"
                if o.base == s.base and t - s.takeoff < 300.0:
                    action = "takeoff"
                elif phase == "circling":
                    action = "circling"
                elif phase == "hover" or (phase == "attack" and _near_aim(world, s, lead, i)):
                    action = "striking"
                elif phase == "return" and _chance(rng, 0.3):
                    action = "leaving"
                _emit_sighting(world, rng, o, s, lead, i, action, float(d[j]), composer, writer)
        for n, st in enumerate(strikes):
            if math.hypot(st.x - o.x, st.y - o.y) > 12000.0 or not _chance(rng, 0.45 * o.activity):
                continue
            ac = aircraft[st.aircraft]
            s = sorties[ac.sortie]
            if st.aircraft != s.aircraft[0]:
                continue
            i = int(np.clip(np.searchsorted(ac.t, st.t), 0, len(ac.t) - 1))
            _emit_sighting(
                world,
                rng,
                o,
                s,
                ac,
                i,
                "striking",
                math.hypot(st.x - o.x, st.y - o.y),
                composer,
                writer,
                at=(st.x, st.y),
                when=st.t + _rand(rng, 0.0, 20.0),
                source=f"strike:{n}",
            )


def _near_aim(world: _World, s: Sortie, ac: SimAircraft, i: int) -> bool:
    ax, ay = world.site_xy(s.aim)
    return math.hypot(ac.x[i] - ax, ac.y[i] - ay) < 5000.0


def _emit_sighting(
    world: _World,
    rng: np.random.Generator,
    o: _Observer,
    s: Sortie,
    ac: SimAircraft,
    i: int,
    action: str,
    dist: float,
    composer: _Composer,
    writer: _Writer,
    *,
    at: tuple[float, float] | None = None,
    when: float | None = None,
    source: str | None = None,
) -> None:
    x, y = (float(ac.x[i]), float(ac.y[i])) if at is None else at
    # Error mostly along the line of sight: distance is hard to judge, direction less so.
    los = math.atan2(x - o.x, y - o.y)
    along = float(rng.normal(0.0, (300.0 + 0.22 * dist) * o.skill))
    across = float(rng.normal(0.0, (150.0 + 0.05 * dist) * o.skill))
    px = x + along * math.sin(los) + across * math.cos(los)
    py = y + along * math.cos(los) - across * math.sin(los)
    heading = (float(ac.heading[i]) + float(rng.normal(0.0, 20.0))) % 360.0
    kind = _perceive_type(s.type, rng, o.type_error)
    count = s.count
    if (s.count > 1 and _chance(rng, 0.2)) or (s.count == 1 and _chance(rng, 0.05)):
        count = max(1, s.count + _pick(rng, (-1, 1)))
    payload = composer.report(
        rng,
        o.voice,
        kind=kind,
        count=count,
        recon=s.recon,
        x=px,
        y=py,
        heading=None if action in ("circling", "striking") else heading,
        action=action,
        base=world.bases[s.base] if action == "takeoff" else None,
    )
    t = (float(ac.t[i]) if when is None else when) + _observer_delay(rng, o)
    writer.add(t, {"kind": "report", "reporter": o.id, **payload}, source or f"aircraft:{ac.id}")


def _observer_delay(rng: np.random.Generator, o: _Observer) -> float:
    if _chance(rng, 0.05):
        return _rand(rng, 90.0, 300.0)
    return _rand(rng, *o.delay)


def _relay(
    rng: np.random.Generator, n_relays: int, observers: Sequence[_Observer], writer: _Writer
) -> list[str]:
    """Channels that forward some observers' texts: duplicates of one sighting, later."""
    ids = [f"tg-ch-{k + 1}" for k in range(n_relays)]
    originals = [
        e
        for e in writer.events
        if isinstance(e.payload, dict)
        and e.payload.get("text")
        and str(e.payload.get("reporter", "")).startswith("obs-")
    ]
    for rid in ids:
        follows = {o.id for o in observers if _chance(rng, _rand(rng, 0.3, 0.6))}
        share = _rand(rng, 0.35, 0.7)
        prefix = _pick(rng, RELAY_PREFIX)
        for ev in originals:
            assert isinstance(ev.payload, dict)
            if ev.payload["reporter"] not in follows or not _chance(rng, share):
                continue
            text = str(ev.payload["text"])
            if prefix.strip() and not text.startswith(prefix.strip()):
                text = prefix + text
            payload: dict[str, Any] = {"kind": "report", "reporter": rid, "channel": "telegram", "text": text}
            if _chance(rng, 0.3):
                for key in ("aircraft", "place", "lat", "lon"):
                    if key in ev.payload:
                        payload[key] = ev.payload[key]
            writer.add(ev.t + _rand(rng, 15.0, 150.0), payload, "relay")
    return ids


# --------------------------------------------------------------------------- impacts


def _impacts(
    world: _World,
    rng: np.random.Generator,
    strikes: Sequence[SimStrike],
    observers: Sequence[_Observer],
    composer: _Composer,
    writer: _Writer,
) -> set[str]:
    teams: set[str] = set()
    for n, st in enumerate(strikes):
        source = f"strike:{n}"
        town = min(world.towns, key=lambda tw: math.hypot(*np.subtract(world.site_xy(tw.id), (st.x, st.y))))
        town_dist = math.hypot(*np.subtract(world.site_xy(town.id), (st.x, st.y)))
        if world.region.civil_defence and town_dist < 15000.0 and _chance(rng, 0.65):
            team = f"civdef-{town.id}"
            teams.add(team)
            payload: dict[str, Any] = {"kind": "impact", "reporter": team}
            if _chance(rng, 0.3):
                payload["place"] = _name_variant(_site_spot(world, st.aim), _chance(rng, 0.5), rng, 0.05)
            else:
                lat, lon = world.latlon(
                    st.x + float(rng.normal(0, 150.0)), st.y + float(rng.normal(0, 150.0))
                )
                payload["lat"], payload["lon"] = round(lat, 4), round(lon, 4)
            writer.add(st.t + _rand(rng, 60.0, 420.0), payload, source)
        near = [o for o in observers if math.hypot(o.x - st.x, o.y - st.y) < 10000.0]
        reported = 0
        for o in near:
            if reported >= 3 or not _chance(rng, 0.35):
                continue
            reported += 1
            dist = math.hypot(o.x - st.x, o.y - st.y)
            ex = st.x + float(rng.normal(0, 300.0 + 0.08 * dist))
            ey = st.y + float(rng.normal(0, 300.0 + 0.08 * dist))
            payload = {"kind": "impact", "reporter": o.id}
            if _chance(rng, 0.55):
                spot, _, _ = composer.nearest(ex, ey, rng)
                arabic = _chance(rng, o.voice.arabic)
                name = _name_variant(spot, arabic, rng, o.voice.misspell)
                payload["place"] = name
                if _chance(rng, 0.5):
                    payload["text"] = _pick(rng, IMPACT_AR if arabic else IMPACT_EN).format(P=name)
            else:
                lat, lon = world.latlon(ex, ey)
                payload["lat"], payload["lon"] = round(lat, 4), round(lon, 4)
            writer.add(st.t + _rand(rng, 15.0, 150.0), payload, source)
    return teams


def _site_spot(world: _World, site_id: str) -> _Spot:
    s = world.sites[site_id]
    x, y = world.site_xy(site_id)
    return _Spot(s.id, s.name, s.name_ar, s.aliases, s.kind, x, y, True, s.kind == "town")


# --------------------------------------------------------------------------- acoustic sensors


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


# --------------------------------------------------------------------------- twists


def _spoofer(world: _World, rng: np.random.Generator, composer: _Composer, writer: _Writer) -> str:
    """A source that invents sightings: plausible words, no aircraft behind them."""
    spoofer = _pick(rng, ("tg-user-{}", "anon-{}", "user{}")).format(int(rng.integers(10000, 99999)))
    voice = _Voice(arabic=0.8, structured=0.0, fields_with_text=0.25, channel="telegram", misspell=0.1)
    t = _rand(rng, 60.0, 600.0)
    weights = [_town_weight(tw) for tw in world.towns]
    while t < writer.duration:
        town = _pick_weighted(rng, world.towns, weights)
        x, y = _offset(world.site_xy(town.id), _rand(rng, 0.0, 360.0), _rand(rng, 0.0, 3000.0))
        kind = _pick(rng, KINDS)
        action = _pick_weighted(rng, ("over", "striking", "circling", "takeoff"), (0.5, 0.2, 0.15, 0.15))
        base = _pick(rng, world.region.airbases) if action == "takeoff" else None
        payload = composer.report(
            rng,
            voice,
            kind=kind,
            count=int(_pick(rng, (1, 1, 2))),
            recon=False,
            x=x,
            y=y,
            heading=_rand(rng, 0.0, 360.0),
            action=action,
            base=base,
        )
        writer.add(t, {"kind": "report", "reporter": spoofer, **payload}, "spoofer")
        t += _rand(rng, 240.0, 600.0)
    return spoofer


MALFORMED: tuple[str, ...] = (
    '{{"kind": "report", "reporter": "obs-no-clock", "text": "{text}"}}',
    '{{"t": "{t}", "kind": "report", "reporter": "obs-cut", "text": "{text}',
    "<!DOCTYPE html><title>504 Gateway Time-out</title>",
    "\x00\x1b\x7f\ufffd\x02 lost frame",
    '["{t}", "report", "{text}"]',
    '{{"t": "{t}", "kind": "report", "reporter": "obs-gps-fault", "lat": 512.3, "lon": -999}}',
    '{{"t": "last night around {hour}", "kind": "report", "reporter": "obs-typed", "text": "{text}"}}',
    '{{"t": "{t}", "kind": "telemetry", "sensor": "gw-2", "battery": 0.31}}',
    '{{"t": "{t}", "kind": "report", "reporter": "obs-words", "aircraft": "jet", "count": "two"}}',
    '{{"t": "{t}", "kind": "acoustic", "sensor": "ac-lost", "class": "jet", "confidence": 0.8}}',
    '{{"t": "{t}", "kind": "impact", "reporter": "obs-vague"}}',
    "42",
)


def _malformed(rng: np.random.Generator, sim_start: float, writer: _Writer) -> int:
    """Lines that a tolerant reader must skip and report: each of these is rejected by the format."""
    n = int(rng.integers(6, 11))
    chosen = rng.choice(len(MALFORMED), size=n, replace=False)
    for k in sorted(int(c) for c in chosen):
        t = _rand(rng, 0.0, writer.duration)
        line = MALFORMED[k].format(
            t=format_time(sim_start + t), text="طيران فوق المنطقة", hour=int(rng.integers(0, 24))
        )
        writer.add(t, line, "malformed")
    return n


def _silence(
    rng: np.random.Generator, sensors: Sequence[_Sensor], writer: _Writer, start: float
) -> dict[str, str]:
    """Sensors that die mid-scenario: nothing from them after their time of death."""
    if not sensors:
        return {}
    k = max(1, round(len(sensors) * _rand(rng, 0.35, 0.55)))
    dead = sorted(int(i) for i in rng.choice(len(sensors), size=k, replace=False))
    deaths = {sensors[i].id: round(writer.duration * _rand(rng, 0.3, 0.7)) for i in dead}
    writer.events = [
        e
        for e in writer.events
        if not (
            isinstance(e.payload, dict)
            and e.payload.get("kind") == "acoustic"
            and e.payload.get("sensor") in deaths
            and e.t > deaths[str(e.payload["sensor"])]
        )
    ]
    return {sid: format_time(start + t) for sid, t in deaths.items()}


def _burst(
    world: _World,
    rng: np.random.Generator,
    strikes: Sequence[SimStrike],
    aircraft: dict[str, SimAircraft],
    sorties: Sequence[Sortie],
    composer: _Composer,
    writer: _Writer,
    start: float,
) -> dict[str, Any]:
    """A few minutes of flood around a strike: new sources, re-sends, panic."""
    middle = [s for s in strikes if 0.15 * writer.duration < s.t < 0.9 * writer.duration]
    anchor = _pick(rng, middle or list(strikes)) if strikes else None
    t0 = (anchor.t if anchor else writer.duration / 2) - _rand(rng, 120.0, 240.0)
    t1 = t0 + _rand(rng, 240.0, 480.0)
    n = int(rng.integers(30, 61))
    window = [
        e
        for e in writer.events
        if t0 <= e.t <= t1 and isinstance(e.payload, dict) and e.payload.get("kind") == "report"
    ]
    added = 0
    for _ in range(n):
        t = _rand(rng, t0, t1)
        roll = rng.random()
        if anchor is not None and roll < 0.5:
            ac = aircraft[anchor.aircraft]
            s = sorties[ac.sortie]
            i = int(np.clip(np.searchsorted(ac.t, t - 30.0), 0, len(ac.t) - 1))
            x = float(ac.x[i]) + float(rng.normal(0, 1500.0))
            y = float(ac.y[i]) + float(rng.normal(0, 1500.0))
            voice = _Voice(
                arabic=0.9, structured=0.0, fields_with_text=0.1, channel="telegram", misspell=0.25
            )
            payload = composer.report(
                rng,
                voice,
                kind=s.type,
                count=s.count,
                recon=False,
                x=x,
                y=y,
                heading=float(ac.heading[i]),
                action=_pick(rng, ("over", "striking")),
            )
            reporter = f"user-{int(rng.integers(100000, 999999))}"
            ev = writer.add(t, {"kind": "report", "reporter": reporter, **payload}, f"aircraft:{ac.id}")
        elif window and roll < 0.8:
            orig = _pick(rng, window)
            assert isinstance(orig.payload, dict)
            ev = writer.add(orig.t + _rand(rng, 5.0, 60.0), dict(orig.payload), "burst")
        else:
            ev = writer.add(
                t,
                {
                    "kind": "report",
                    "reporter": f"user-{int(rng.integers(100000, 999999))}",
                    "channel": "telegram",
                    "text": _pick(rng, VAGUE),
                },
                "burst",
            )
        added += ev is not None
    return {"start": format_time(start + t0), "end": format_time(start + t1), "messages": added}


def _unknown_place_reports(
    world: _World,
    rng: np.random.Generator,
    observers: Sequence[_Observer],
    aircraft: Sequence[SimAircraft],
    sorties: Sequence[Sortie],
    writer: _Writer,
) -> list[str]:
    """Extra sightings named by villages the gazetteer does not know (local observers use them)."""
    hidden = [s for s in world.spots if not s.listed]
    if not hidden or not observers:
        return []
    used: set[str] = set()
    leaders = [ac for ac in aircraft if ac.id == sorties[ac.sortie].aircraft[0]]
    for spot in hidden:
        o = min(observers, key=lambda ob: math.hypot(ob.x - spot.x, ob.y - spot.y))
        for ac in leaders:
            d = np.hypot(ac.x - spot.x, ac.y - spot.y)
            close = np.flatnonzero(d < 8000.0)
            if len(close) == 0:
                continue
            s = sorties[ac.sortie]
            for _ in range(int(rng.integers(1, 3))):
                i = int(_pick(rng, list(close)))
                arabic = _chance(rng, 0.75)
                who = _type_phrase(s.type, s.count, arabic, s.recon, rng)
                name = _name_variant(spot, arabic, rng, 0.1)
                templates = TEMPLATES_AR if arabic else TEMPLATES_EN
                if d[i] < 3500.0:
                    text = who.fill(_pick(rng, templates["over"]), P=name)
                else:
                    point = _compass(_heading_from((spot.x, spot.y), (float(ac.x[i]), float(ac.y[i]))))
                    rel = _relative_phrase(name, point, float(d[i]) / 1000.0, arabic, rng)
                    text = who.fill(_pick(rng, templates["over_rel"]), R=rel)
                payload: dict[str, Any] = {
                    "kind": "report",
                    "reporter": o.id,
                    "channel": o.voice.channel,
                    "text": text,
                }
                if _chance(rng, 0.3):
                    payload.update(aircraft=s.type, place=name)
                if writer.add(float(ac.t[i]) + _observer_delay(rng, o), payload, f"aircraft:{ac.id}"):
                    used.add(spot.id)
    return sorted(used)


# --------------------------------------------------------------------------- assembly


def _start_time(region: Region, rng: np.random.Generator, seed: int) -> float:
    day = datetime.fromisoformat(region.date).replace(tzinfo=UTC) + timedelta(days=seed % 90)
    lo, hi = region.start_hours_utc
    minutes = int(rng.integers(lo * 60, hi * 60 + 1)) // 5 * 5
    return (day + timedelta(minutes=minutes)).timestamp()


def _site_features(region: Region) -> list[dict[str, Any]]:
    out = []
    for s in region.sites:
        props: dict[str, Any] = {"id": s.id, "name": s.name}
        if s.name_ar:
            props["name_ar"] = s.name_ar
        props["kind"] = s.kind
        geometry: dict[str, Any]
        if s.polygon:
            ring = [list(p) for p in s.polygon]
            if ring[0] != ring[-1]:
                ring.append(ring[0])
            geometry = {"type": "Polygon", "coordinates": [ring]}
        else:
            geometry = {"type": "Point", "coordinates": [s.lon, s.lat]}
            props["radius_m"] = s.radius
        sirens = s.sirens
        if sirens is None:
            pop = s.population or 0
            sirens = (1 + min(3, pop // 30000)) if s.kind == "town" else (1 if s.kind != "school" else 0)
        if sirens:
            props["sirens"] = [f"siren-{s.id}-{k + 1}" for k in range(sirens)]
        if s.population is not None:
            props["population"] = s.population
        if s.shelter_seconds is not None:
            props["shelter_seconds"] = s.shelter_seconds
        out.append({"type": "Feature", "geometry": geometry, "properties": props})
    return out


def _gazetteer(region: Region) -> list[dict[str, Any]]:
    rows = []
    entries: list[tuple[_Named, str]] = [(b, "airbase") for b in region.airbases]
    entries += [(p, p.kind) for p in region.places if p.listed]
    for item, kind in entries:
        rows.append(
            {
                "id": item.id,
                "name": item.name,
                "name_ar": item.name_ar,
                "aliases": list(item.aliases),
                "lat": item.lat,
                "lon": item.lon,
                "kind": kind,
            }
        )
    return rows


def simulate(region: Region, seed: int, hours: float = 3.0, twists: Sequence[str] = ()) -> SimulatedScenario:
    """Simulate ``hours`` of air activity over ``region``; the same seed gives the same scenario."""
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if not 0.25 <= hours <= 48:
        raise ValueError("hours must be between 0.25 and 48")
    unknown = sorted(set(twists) - set(TWISTS))
    if unknown:
        raise ValueError(f"unknown twist(s) {unknown}; known: {list(TWISTS)}")
    chosen = tuple(t for t in TWISTS if t in set(twists))
    streams = np.random.SeedSequence([seed, zlib.crc32(region.name.encode("utf-8"))]).spawn(12)
    rng = {
        name: np.random.default_rng(s)
        for name, s in zip(
            (
                "time",
                "flights",
                "observers",
                "reports",
                "relays",
                "impacts",
                "sensors",
                "acoustic",
                "spoofer",
                "malformed",
                "silent",
                "burst",
            ),
            streams,
            strict=True,
        )
    }
    world = _World(region)
    duration = round(hours * 3600.0)
    start = _start_time(region, rng["time"], seed)
    sorties, aircraft, strikes = _plan_and_fly(world, rng["flights"], duration)
    by_id = {ac.id: ac for ac in aircraft}
    observers = _make_observers(world, rng["observers"])
    sensors = _make_sensors(world, rng["sensors"])
    writer = _Writer(duration)
    hidden_ok = "unknown_places" in chosen
    composer = _Composer(world, hidden_ok)
    _observer_reports(world, rng["reports"], observers, sorties, by_id, strikes, composer, writer)
    relays = _relay(rng["relays"], region.relays, observers, writer)
    teams = _impacts(world, rng["impacts"], strikes, observers, composer, writer)
    _acoustic(rng["acoustic"], sensors, aircraft, strikes, writer, duration)
    extra: dict[str, Any] = {
        "spoofer": None,
        "dead_sensors": {},
        "burst": None,
        "unknown_places": [],
        "malformed_lines": 0,
        "unlisted_teams": [],
    }
    if "unknown_places" in chosen:
        used = _unknown_place_reports(world, rng["reports"], observers, aircraft, sorties, writer)
        extra["unknown_places"] = sorted(set(used) | _hidden_named(world, writer))
    if "spoofer" in chosen:
        extra["spoofer"] = _spoofer(world, rng["spoofer"], composer, writer)
    if "burst" in chosen:
        extra["burst"] = _burst(world, rng["burst"], strikes, by_id, sorties, composer, writer, start)
    if "silent_sensors" in chosen:
        extra["dead_sensors"] = _silence(rng["silent"], sensors, writer, start)
    if "malformed" in chosen:
        extra["malformed_lines"] = _malformed(rng["malformed"], start, writer)
    if "unlisted_teams" in chosen:
        extra["unlisted_teams"], teams = sorted(teams), set()
    reporters = _reporters(world, rng["observers"], observers, sensors, relays, teams)
    return SimulatedScenario(
        region=region,
        seed=seed,
        twists=chosen,
        start=start,
        duration_s=duration,
        sites=_site_features(region),
        gazetteer=_gazetteer(region),
        reporters=reporters,
        events=writer.events,
        aircraft=aircraft,
        strikes=strikes,
        sorties=sorties,
        meta_extra=extra,
    )


def _hidden_named(world: _World, writer: _Writer) -> set[str]:
    """Hidden villages that some report names, in any spelling."""
    hidden = [s for s in world.spots if not s.listed]
    found: set[str] = set()
    texts = [
        " ".join(str(e.payload.get(k, "")) for k in ("text", "place"))
        for e in writer.events
        if isinstance(e.payload, dict) and e.payload.get("kind") == "report"
    ]
    blob = "\n".join(texts).lower()
    for spot in hidden:
        names = (spot.name, spot.name_ar or "", *spot.aliases)
        if any(n and n.lower() in blob for n in names):
            found.add(spot.id)
    return found


def _reporters(
    world: _World,
    rng: np.random.Generator,
    observers: Sequence[_Observer],
    sensors: Sequence[_Sensor],
    relays: Iterable[str],
    teams: Iterable[str],
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"id": o.id, "kind": "observer", "lat": round(o.lat, 4), "lon": round(o.lon, 4), "trust": o.trust}
        for o in observers
    ]
    for team in sorted(teams):
        town = world.sites[team.removeprefix("civdef-")]
        rows.append({"id": team, "kind": "observer", "lat": town.lat, "lon": town.lon, "trust": 0.9})
    for rid in relays:
        if _chance(rng, 0.5):
            rows.append({"id": rid, "kind": "observer", "trust": round(_rand(rng, 0.45, 0.7), 2)})
    rows.extend({"id": s.id, "kind": "sensor", "lat": s.lat, "lon": s.lon, "trust": 0.9} for s in sensors)
    return rows


def summary(sim: SimulatedScenario) -> dict[str, Any]:
    """Counts for a one-line description of a simulated scenario."""
    kinds: dict[str, int] = {}
    for ev in sim.events:
        key = ev.payload.get("kind", "?") if isinstance(ev.payload, dict) else "malformed"
        kinds[str(key)] = kinds.get(str(key), 0) + 1
    return {
        "region": sim.region.name,
        "seed": sim.seed,
        "start": sim.iso(0),
        "hours": round(sim.duration_s / 3600.0, 2),
        "twists": list(sim.twists),
        "sorties": len(sim.sorties),
        "aircraft": len(sim.aircraft),
        "strikes": len(sim.strikes),
        "events": dict(sorted(kinds.items())),
    }
