"""Sorties planned in waves and flown at 1 s: flight programs, kinematic limits, formations, strikes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from nadhir.geo.compass import wrap_pi
from nadhir_lab.simulator.recorded import PlacedFlight, RecordedFlight, place
from nadhir_lab.simulator.regions import KINDS, Kind, RegionSite
from nadhir_lab.simulator.scenario import PATH_STEP_S, SimAircraft, SimStrike, Sortie
from nadhir_lab.simulator.world import (
    _chance,
    _clamp,
    _heading_from,
    _offset,
    _pick,
    _pick_weighted,
    _rand,
    _town_weight,
    _World,
)

FACILITY_AIMS = ("hospital", "school")  # facilities a strike on their town may aim at


FORMATION_SIZES: dict[str, tuple[float, float, float]] = {  # share of sorties of 1, 2, 3 aircraft
    "jet": (0.55, 0.35, 0.10),
    "helicopter": (0.7, 0.25, 0.05),
    "drone": (0.85, 0.15, 0.0),
}


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
            hdg = wrap_pi(hdg + _clamp(wrap_pi(want_hdg - hdg), -turn, turn))
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
                behind = abs(wrap_pi(math.atan2(leg.x - x, leg.y - y) - hdg)) > math.pi / 2
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


def _plan_and_fly(
    world: _World,
    rng: np.random.Generator,
    duration: int,
    recorded: Sequence[RecordedFlight] = (),
    rec_rng: np.random.Generator | None = None,
) -> tuple[list[Sortie], list[SimAircraft], list[SimStrike]]:
    """Plan the sorties and fly them: by the type's programme, or, given ``recorded`` flights,
    each sortie one of them (:mod:`.recorded`), drawn with ``rec_rng``."""
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
    plans: list[tuple[float, int, Kind, RecordedFlight | None]] = []
    for _ in range(n_sorties):
        wave = int(rng.integers(n_waves))
        kind = _pick_weighted(rng, KINDS, [m + 1e-12 for m in mix])
        takeoff = wave_t[wave] + _rand(rng, 0.0, 480.0)
        takeoff = float(PATH_STEP_S * round(takeoff / PATH_STEP_S))
        rec = None
        if recorded and rec_rng is not None:
            rec = recorded[int(rec_rng.integers(len(recorded)))]
            kind = rec.kind
        plans.append((takeoff, wave, kind, rec))
    plans.sort(key=lambda p: p[0])
    for sid, (takeoff, wave, kind, rec) in enumerate(plans):
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
        if rec is not None:
            # A recording flies alone and is no one-way drone: the public real-flight scenarios'
            # aircraft do the same.
            count, expendable = 1, False
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
        if rec is not None and rec_rng is not None:
            over = (tx, ty) if recon else (ax, ay)
            lead = _placed(place(rec, rec_rng, over, takeoff, not recon, duration))
        else:
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
                sid,
                kind,
                base.id,
                count,
                target_site.id,
                aim_site.id,
                recon,
                expendable,
                takeoff,
                tuple(ids),
                None if rec is None else rec.source,
            )
        )
    strikes.sort(key=lambda s: (s.t, s.aircraft))
    return sorties, aircraft, strikes


def _placed(p: PlacedFlight) -> _Flight:
    """A placed recording as a flight (releases included)."""
    return _Flight(
        t=[float(v) for v in p.t],
        x=[float(v) for v in p.x],
        y=[float(v) for v in p.y],
        alt=[float(v) for v in p.alt],
        hdg=[float(v) for v in p.heading],
        phase=list(p.phase),
        releases=[] if p.release is None else [p.release],
    )


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
