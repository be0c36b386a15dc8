"""One simulation from a region and a seed: every part on its own random stream, then the files' rows."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from nadhir_lab.simulator.flight import _plan_and_fly
from nadhir_lab.simulator.observers import (
    _Composer,
    _impacts,
    _make_observers,
    _Observer,
    _observer_reports,
    _relay,
)
from nadhir_lab.simulator.recorded import recorded_flights
from nadhir_lab.simulator.regions import Region, _Named
from nadhir_lab.simulator.scenario import SimulatedScenario, _Writer
from nadhir_lab.simulator.sensors import _acoustic, _make_sensors, _Sensor
from nadhir_lab.simulator.twists import TWISTS, _burst, _malformed, _silence, _spoofer, _unknown_place_reports
from nadhir_lab.simulator.world import _chance, _rand, _World

# A region file allows up to 1,000 nodes; an override may ask for a country's worth (issue 16 plans
# for 2,000-10,000).
MAX_SENSORS = 20_000


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


def simulate(
    region: Region,
    seed: int,
    hours: float = 3.0,
    twists: Sequence[str] = (),
    sensor_count: int | None = None,
    recorded: str | None = None,
) -> SimulatedScenario:
    """Simulate ``hours`` of air activity over ``region``; the same seed gives the same scenario.

    ``sensor_count`` overrides the region's count of acoustic nodes (same layout), up to
    :data:`MAX_SENSORS`: a region's sky with a country's listeners, for the replay speed
    benchmark. The flights, observers and every other stream stay those of the seed.

    ``recorded`` (``"tuning"`` or ``"report"``, :data:`RECORDED_SETS`) flies every sortie along a
    real recorded flight of that set (:mod:`.recorded`) instead of the type's programme.
    """
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if sensor_count is not None:
        if not 0 <= sensor_count <= MAX_SENSORS:
            raise ValueError(f"sensor_count must be between 0 and {MAX_SENSORS}")
        plan = region.sensors.model_copy(update={"count": sensor_count})
        region = region.model_copy(update={"sensors": plan})
    if not 0.25 <= hours <= 48:
        raise ValueError("hours must be between 0.25 and 48")
    unknown = sorted(set(twists) - set(TWISTS))
    if unknown:
        raise ValueError(f"unknown twist(s) {unknown}; known: {list(TWISTS)}")
    chosen = tuple(t for t in TWISTS if t in set(twists))
    flights = () if recorded is None else recorded_flights(recorded)
    # Children of a seed sequence do not depend on how many are spawned: the thirteenth stream
    # (recorded flights) leaves the twelve before it, and so every scenario made before, as it was.
    streams = np.random.SeedSequence([seed, zlib.crc32(region.name.encode("utf-8"))]).spawn(13)
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
                "recorded",
            ),
            streams,
            strict=True,
        )
    }
    world = _World(region)
    duration = round(hours * 3600.0)
    start = _start_time(region, rng["time"], seed)
    sorties, aircraft, strikes = _plan_and_fly(world, rng["flights"], duration, flights, rng["recorded"])
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
