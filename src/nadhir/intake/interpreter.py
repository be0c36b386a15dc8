"""Turn an observer's report into a located observation.

Structured fields (``lat``/``lon``, ``place``, ``heading``, ``aircraft``,
``count``, ``origin``) are taken first; free text fills whatever they leave
out. A report that cannot be placed anywhere is rejected with a reason, and so is one
whose text is a summary of past sorties or a call to take cover, unless its own fields
say what was seen where (then the sender filled in a sighting, whatever the words).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from nadhir.domain import AIRCRAFT_TYPES, AircraftType, Observation, Report
from nadhir.geo.compass import compass_to_deg
from nadhir.geo.distance import bearing_deg
from nadhir.geo.gazetteer import Gazetteer
from nadhir.intake.forwarding import ForwardFolder
from nadhir.intake.parsed import ParsedMessage
from nadhir.intake.trust import TrustBook

# 1-sigma of where the aircraft is, by how the position was given.
COORDINATES_SIGMA_M = 2500.0  # a spotter's own estimate, in coordinates
PLACE_SIGMA_MIN_M = 2500.0  # "over <town>": the town's radius, at least this
AIRBASE_SIGMA_M = 2000.0


class TextReader(Protocol):
    """Reads one free-text message into fields."""

    def read(self, text: str) -> ParsedMessage: ...


@dataclass(frozen=True, slots=True)
class Rejected:
    """A report that yields no observation, and why."""

    reason: str


class ReportInterpreter:
    """Report -> Observation, using the gazetteer, the text reader and source trust."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        reader: TextReader | None,
        trust: TrustBook,
        forwarding: ForwardFolder | None = None,
    ) -> None:
        self._gazetteer = gazetteer
        self._reader = reader
        self._trust = trust
        self._forwarding = forwarding or ForwardFolder()

    def interpret(self, report: Report) -> Observation | Rejected:
        """The observation this report makes, or why it makes none."""
        parsed = self._read_text(report.text)
        if parsed is not None and parsed.kind != "sighting" and not _fields_give_sighting(report):
            return Rejected(parsed.rejection or parsed.kind)
        aircraft, aircraft_conf = self._aircraft(report, parsed)
        lat, lon, sigma = report.lat, report.lon, COORDINATES_SIGMA_M
        if lat is None and report.place:
            match = self._gazetteer.lookup(report.place)
            if match is not None:
                lat, lon = match.place.lat, match.place.lon
                sigma = max(PLACE_SIGMA_MIN_M, match.place.radius_m)
        if lat is None and parsed is not None and parsed.lat is not None and parsed.lon is not None:
            lat, lon = parsed.lat, parsed.lon
            sigma = max(PLACE_SIGMA_MIN_M, parsed.sigma_m or PLACE_SIGMA_MIN_M)
        origin_id = self._origin(report, parsed)
        takeoff = parsed is not None and parsed.action == "takeoff"
        if lat is None and origin_id is not None:
            base = self._gazetteer.get(origin_id)
            if base is not None:
                lat, lon, sigma, takeoff = base.lat, base.lon, AIRBASE_SIGMA_M, True
        if lat is None or lon is None:
            if parsed is not None and parsed.unknown_place:
                return Rejected(f"place not in gazetteer: {parsed.unknown_place!r}")
            if report.place:
                return Rejected(f"place not in gazetteer: {report.place!r}")
            return Rejected("no position, place or origin")
        heading = self._heading(report, parsed, lat, lon)
        count = report.count if report.count is not None else (parsed.count if parsed else None)
        action = parsed.action if parsed is not None else "unknown"
        if takeoff:
            action = "takeoff"
        # A forwarded copy is credited to its original sender: it is not a second witness.
        source = self._forwarding.original_source(report.t, report.reporter, report.text)
        return Observation(
            t=report.t,
            source=source,
            aircraft=aircraft,
            lat=lat,
            lon=lon,
            sigma_m=sigma,
            count=max(1, min(count or 1, 8)),
            heading_deg=heading,
            action=action,
            origin_id=origin_id,
            toward_id=parsed.toward_id if parsed else None,
            trust=self._trust.trust(source),
            aircraft_confidence=aircraft_conf,
        )

    def _read_text(self, text: str | None) -> ParsedMessage | None:
        if not text or self._reader is None:
            return None
        return self._reader.read(text)

    @staticmethod
    def _aircraft(report: Report, parsed: ParsedMessage | None) -> tuple[AircraftType, float]:
        if report.aircraft in AIRCRAFT_TYPES and report.aircraft != "unknown":
            return report.aircraft, 0.9
        if parsed is not None and parsed.aircraft != "unknown":
            return parsed.aircraft, max(0.3, parsed.aircraft_confidence)
        return "unknown", 0.0

    def _origin(self, report: Report, parsed: ParsedMessage | None) -> str | None:
        if report.origin:
            match = self._gazetteer.lookup(report.origin)
            if match is not None:
                return match.place.id
        return parsed.origin_id if parsed is not None else None

    def _heading(self, report: Report, parsed: ParsedMessage | None, lat: float, lon: float) -> float | None:
        if report.heading_deg is not None and math.isfinite(report.heading_deg):
            return report.heading_deg % 360.0
        if report.heading:
            deg = compass_to_deg(report.heading)
            if deg is not None:
                return deg
        if parsed is not None and parsed.heading_deg is not None:
            return parsed.heading_deg
        if parsed is not None and parsed.toward_id is not None:
            dest = self._gazetteer.get(parsed.toward_id)
            if dest is not None:
                return bearing_deg(lat, lon, dest.lat, dest.lon)
        return None


def _fields_give_sighting(report: Report) -> bool:
    """Whether the report's own fields (not its text) say what was seen or where."""
    typed = report.aircraft in AIRCRAFT_TYPES and report.aircraft != "unknown"
    return typed or report.lat is not None or bool(report.place)
