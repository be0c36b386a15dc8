"""A spoofer cannot confirm itself (issue 13): one source never sounds sirens, whatever it sends.

Each case is a small event stream replayed against the bundled demo-idlib
region (its sites, gazetteer and listed reporters). A lone unlisted reporter
(trust 0.25) tries every way it has to look like a real raid: free text,
coordinates, rapid fire, its own strike reports, explosions "heard" by
sensors it claims. It may warn phones (``early``); it must never sound the
sirens (``imminent``). Ten fake identities are still one witness. Two listed
observers seeing the same helicopter do sound them, and so does a stranger's
strike report where a listed observer's aircraft was heading.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import nadhir
from nadhir.domain import Alert
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.replay import replay_scenario

DEMO = Path(nadhir.__file__).parent / "data" / "scenarios" / "demo-idlib"
T0 = datetime(2025, 5, 2, 3, 0, tzinfo=UTC)
SPOOFER = "tg-user-51207"  # in no reporters.json: trust 0.25
IDLIB = (35.9306, 36.6339)  # town, radius 3 km (demo-idlib sites.geojson)
SARAQEB = (35.8622, 36.8006)  # town, radius 2 km

Event = dict[str, Any]
Point = tuple[float, float, float]  # (seconds from T0, metres east, metres north) of the town


def _when(s: float) -> str:
    return (T0 + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _latlon(town: tuple[float, float], x: float, y: float) -> tuple[float, float]:
    lat0, lon0 = town
    return round(lat0 + y / 110_574.0, 5), round(lon0 + x / (111_320.0 * math.cos(math.radians(lat0))), 5)


def _fly(legs: list[tuple[float, float]], speed: float, dt: float, start: tuple[float, float]) -> list[Point]:
    """Positions every ``dt`` seconds along straight legs (metres from the town) at ``speed``."""
    out: list[Point] = []
    t, (x, y) = 600.0, start
    for tx, ty in legs:
        n = max(1, int(math.hypot(tx - x, ty - y) / (speed * dt)))
        for k in range(n):
            x, y = x + (tx - x) / (n - k), y + (ty - y) / (n - k)
            t += dt
            out.append((t, x, y))
    return out


def jet_raid(dt: float) -> list[Point]:
    """A jet's attack on Idlib: in from the west, dives through, out 8 km, turns in again, twice."""
    legs = [(8000.0, 0.0), (9000.0, 3000.0), (-8000.0, 0.0), (-9000.0, -3000.0), (8000.0, 0.0)]
    return _fly(legs, 200.0, dt, (-14_000.0, 2000.0))


def helicopter_raid(dt: float) -> list[Point]:
    """A helicopter's attack on Saraqeb: creeps in from the south-west, over the town, backs off and
    returns, three passes."""
    legs = [
        (0.0, 0.0),
        (3500.0, 500.0),
        (0.0, 0.0),
        (-500.0, 3500.0),
        (0.0, 0.0),
        (-3500.0, -500.0),
        (0.0, 0.0),
    ]
    return _fly(legs, 55.0, dt, (-9000.0, -6000.0))


JET_TEXTS = ["طيران حربي فوق إدلب", "jet over Idlib", "سوخوي في اجواء ادلب"]
HELI_TEXTS = [
    "مروحية فوق سراقب",
    "helicopter over Saraqeb",
    "تحليق مروحي في سماء سراقب",
    "مروحي بأجواء سراقب",
]


def reports(
    points: list[Point],
    town: tuple[float, float],
    who: Callable[[int], str],
    texts: list[str],
    aircraft: str,
    coordinates: bool = True,
) -> list[Event]:
    out = []
    for i, (t, x, y) in enumerate(points):
        event: Event = {
            "t": _when(t),
            "kind": "report",
            "reporter": who(i),
            "channel": "telegram",
            "text": texts[i % len(texts)],
        }
        if coordinates:
            event["aircraft"] = aircraft
            event["lat"], event["lon"] = _latlon(town, x, y)
        out.append(event)
    return out


def impacts(t0: float, town: tuple[float, float], who: str, n: int = 3) -> list[Event]:
    """Strike reports around the town's centre, a minute apart."""
    offsets = [(300.0, 200.0), (-250.0, -150.0), (0.0, 0.0), (150.0, -300.0)]
    out = []
    for k in range(n):
        lat, lon = _latlon(town, *offsets[k % len(offsets)])
        out.append({"t": _when(t0 + 60.0 * k), "kind": "impact", "reporter": who, "lat": lat, "lon": lon})
    return out


def claimed_sensors(points: list[Point], town: tuple[float, float], strike_t: float) -> list[Event]:
    """Two acoustic nodes nobody listed hear the jet and then blasts in town, bearings crossing on it."""
    nodes = {"ac-9901": (-6000.0, -5000.0), "ac-9902": (5000.0, -6000.0)}
    out = []
    for t, x, y in points[::3]:
        for k, (sensor, (sx, sy)) in enumerate(nodes.items()):
            out.append(_bearing(t + k, sensor, town, sx, sy, x, y, "jet"))
    for j in range(3):
        for k, (sensor, (sx, sy)) in enumerate(nodes.items()):
            out.append(_bearing(strike_t + 60.0 * j + k, sensor, town, sx, sy, 0.0, 0.0, "explosion"))
    return out


def _bearing(
    t: float, sensor: str, town: tuple[float, float], sx: float, sy: float, x: float, y: float, sound: str
) -> Event:
    lat, lon = _latlon(town, sx, sy)
    bearing = math.degrees(math.atan2(x - sx, y - sy)) % 360.0
    return {
        "t": _when(t),
        "kind": "acoustic",
        "sensor": sensor,
        "lat": lat,
        "lon": lon,
        "class": sound,
        "confidence": 0.9,
        "bearing_deg": round(bearing, 1),
        "bearing_sigma_deg": 4.0,
    }


def _alone(i: int) -> str:
    return SPOOFER


SPOOFER_VARIANTS: dict[str, Callable[[], list[Event]]] = {
    # Place names only, a message every 40 s.
    "text only": lambda: reports(helicopter_raid(40.0), SARAQEB, _alone, HELI_TEXTS, "helicopter", False),
    # A jet's attack passes on Idlib, with coordinates, every 3 s.
    "text and coordinates": lambda: reports(jet_raid(3.0), IDLIB, _alone, JET_TEXTS, "jet"),
    # Place names, then its own reports of strikes in the town its messages pointed at.
    "text and its own impacts": lambda: [
        *reports(helicopter_raid(40.0), SARAQEB, _alone, HELI_TEXTS, "helicopter", False),
        *impacts(1000.0, SARAQEB, SPOOFER),
    ],
    "text, coordinates and its own impacts": lambda: [
        *reports(helicopter_raid(20.0), SARAQEB, _alone, HELI_TEXTS, "helicopter"),
        *impacts(1000.0, SARAQEB, SPOOFER),
    ],
    # A message a second.
    "rapid fire": lambda: reports(jet_raid(1.0), IDLIB, _alone, JET_TEXTS, "jet"),
    # Strike reports in town and nothing else.
    "impacts alone": lambda: impacts(600.0, SARAQEB, SPOOFER, n=6),
    # Its reports, plus two acoustic nodes it claims hearing the jet and the blasts.
    "reports and sensors it claims": lambda: [
        *reports(jet_raid(10.0), IDLIB, _alone, JET_TEXTS, "jet"),
        *claimed_sensors(jet_raid(10.0), IDLIB, 700.0),
    ],
}


def replay(tmp_path: Path, events: list[Event]) -> list[Alert]:
    """Replays the events against demo-idlib's sites, gazetteer and reporters; returns the alerts."""
    for name in ("sites.geojson", "gazetteer.json", "reporters.json"):
        (tmp_path / name).write_bytes((DEMO / name).read_bytes())
    events = sorted(events, key=lambda e: str(e["t"]))
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    (tmp_path / "events.jsonl").write_text(lines, encoding="utf-8")
    result = replay_scenario(load_scenario(tmp_path), keep=True)
    assert result.summary.events == len(events)
    return result.alerts


def _levels(alerts: list[Alert], level: str) -> set[str]:
    return {a.site for a in alerts if a.level == level and a.action != "all_clear"}


@pytest.mark.parametrize("variant", list(SPOOFER_VARIANTS))
def test_a_lone_unlisted_source_never_sounds_sirens(tmp_path: Path, variant: str) -> None:
    alerts = replay(tmp_path, SPOOFER_VARIANTS[variant]())
    assert _levels(alerts, "imminent") == set(), variant
    # Phones may be warned: what it says is passed on at what it is worth.
    assert alerts, variant


def test_ten_fake_identities_warn_phones_only(tmp_path: Path) -> None:
    """The jet raid on Idlib reported in turn by ten strangers: one witness, early only."""
    alerts = replay(
        tmp_path, reports(jet_raid(3.0), IDLIB, lambda i: f"tg-user-{7000 + i % 10}", JET_TEXTS, "jet")
    )
    assert "idlib" in _levels(alerts, "early")
    assert _levels(alerts, "imminent") == set()


def test_two_listed_observers_seeing_the_same_raid_sound_the_sirens(tmp_path: Path) -> None:
    """The control: the same helicopter raid seen by two listed observers, in their own words."""
    points = helicopter_raid(10.0)
    first = reports(points, SARAQEB, lambda i: "obs-saraqeb-9", HELI_TEXTS, "helicopter")
    second_texts = ["Saraqeb: helicopter circling low", "heli seen above Saraqeb town"]
    later = [(t + 3.0, x + 100.0, y) for t, x, y in points[1:]]
    second = reports(later, SARAQEB, lambda i: "obs-binnish-15", second_texts, "helicopter")
    alerts = replay(tmp_path, [*first, *second])
    assert "saraqeb" in _levels(alerts, "imminent")


def test_a_strangers_strike_report_where_a_listed_observers_aircraft_was_heading_sounds_the_sirens(
    tmp_path: Path,
) -> None:
    """Session 4's rule holds with independent witnesses: a listed observer's helicopter threatened the
    town, and a stranger (a civil-defence team nobody listed) reports the strike there."""
    points = helicopter_raid(20.0)
    seen = reports(points, SARAQEB, lambda i: "obs-saraqeb-9", HELI_TEXTS, "helicopter")
    alerts = replay(tmp_path, [*seen, *impacts(1000.0, SARAQEB, "civil-defence-saraqeb")])
    assert "saraqeb" in _levels(alerts, "imminent")
    # The observer alone (no strike report) makes no siren: the track rests on one witness.
    alone = tmp_path / "alone"
    alone.mkdir()
    assert _levels(replay(alone, seen), "imminent") == set()


def _first_siren(alerts: list[Alert], site: str) -> float:
    return min(a.t for a in alerts if a.site == site and a.level == "imminent")


def test_a_stronger_claim_from_one_witness_does_not_delay_corroborated_sirens(tmp_path: Path) -> None:
    """Two listed observers watch a helicopter work Saraqeb. A third listed observer reports strikes
    in the town just as the helicopter comes in, before any track threatens it: one witness, a
    stronger threat than the helicopter's but phones only. The helicopter's threat, which two
    witnesses support, must still sound the sirens as soon as it would without the strike reports
    (standing for the site in place of the stronger one; without that they came 143 s later)."""
    points = helicopter_raid(10.0)
    first = reports(points, SARAQEB, lambda i: "obs-saraqeb-9", HELI_TEXTS, "helicopter")
    second_texts = ["Saraqeb: helicopter circling low", "heli seen above Saraqeb town"]
    later = [(t + 3.0, x + 100.0, y) for t, x, y in points[1:]]
    second = reports(later, SARAQEB, lambda i: "obs-binnish-15", second_texts, "helicopter")
    (tmp_path / "seen").mkdir()
    seen = _first_siren(replay(tmp_path / "seen", [*first, *second]), "saraqeb")
    strikes = impacts(points[3][0], SARAQEB, "obs-hama-airport-1")  # trust 0.92: credible alone
    (tmp_path / "struck").mkdir()
    struck = replay(tmp_path / "struck", [*first, *second, *strikes])
    assert _first_siren(struck, "saraqeb") <= seen
