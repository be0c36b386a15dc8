"""Observers and relay channels: who sees what, and the reports and impact messages they send."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nadhir_lab.simulator.phrasing import (
    IMPACT_AR,
    IMPACT_EN,
    PREFIX_AR,
    PREFIX_EN,
    RELAY_PREFIX,
    SUFFIX_AR,
    SUFFIX_EN,
    TEMPLATES_AR,
    TEMPLATES_EN,
    _compass,
    _heading_phrase,
    _name_variant,
    _relative_phrase,
    _type_phrase,
)
from nadhir_lab.simulator.regions import AirBase
from nadhir_lab.simulator.scenario import PATH_STEP_S, SimAircraft, SimStrike, Sortie, _Writer
from nadhir_lab.simulator.world import (
    _chance,
    _heading_from,
    _offset,
    _pick,
    _pick_weighted,
    _rand,
    _Spot,
    _town_weight,
    _World,
)


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
                # A recorded flight appears in the air: there is no take-off to see.
                if o.base == s.base and t - s.takeoff < 300.0 and s.source is None:
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
