"""What a simulation produces (aircraft, strikes, sorties, events) and how it is written as a scenario."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nadhir.domain.timefmt import format_time
from nadhir_lab.simulator.regions import Kind, Region

PATH_STEP_S = 5  # truth paths are sampled this often


# The format tag written into truth.json's meta. It names where the simulator lived when the
# format was fixed; it stays as it is so that a seed keeps giving the same bytes.
GENERATOR = "nadhir.scenarios.simulator/1"


FloatArray = npt.NDArray[np.float64]


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
    # The recorded flight it flies ("sample:icao24", :mod:`.recorded`), or None for a programme.
    source: str | None = None


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
                **({} if s.source is None else {"source": s.source}),
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
