"""Twists on a plain day: a spoofer, malformed lines, dying sensors, a burst, unknown places."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nadhir.domain.timefmt import format_time
from nadhir_lab.simulator.observers import _Composer, _Observer, _observer_delay, _Voice
from nadhir_lab.simulator.phrasing import (
    TEMPLATES_AR,
    TEMPLATES_EN,
    VAGUE,
    _compass,
    _name_variant,
    _relative_phrase,
    _type_phrase,
)
from nadhir_lab.simulator.regions import KINDS
from nadhir_lab.simulator.scenario import SimAircraft, SimStrike, Sortie, _Writer
from nadhir_lab.simulator.sensors import _Sensor
from nadhir_lab.simulator.world import (
    _chance,
    _heading_from,
    _offset,
    _pick,
    _pick_weighted,
    _rand,
    _town_weight,
    _World,
)

TWISTS: tuple[str, ...] = (
    "burst",
    "malformed",
    "silent_sensors",
    "spoofer",
    "unknown_places",
    "unlisted_teams",
)


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
