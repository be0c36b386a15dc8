"""Measurements in the tracker's local frame.

Intake turns reports into :class:`PositionFix` (with the heading cue, if
any) and acoustic detections into :class:`BearingFix`. Both carry a
likelihood over aircraft types and a weight of evidence: how much the
measurement alone says that an aircraft is really there.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEED_OF_SOUND_MPS = 343.0
# A spotter's report reaches us about a minute after the sighting (typing, relaying through a
# channel), give or take most of a minute: the aircraft has moved on by ``delay * speed``.
REPORT_DELAY_S = 60.0
REPORT_DELAY_SIGMA_S = 45.0


@dataclass(frozen=True, slots=True)
class PositionFix:
    """A located sighting: where, how uncertain, which way it was heading."""

    t: float
    x: float
    y: float
    sigma_m: float
    source: str
    evidence: float  # 0..1, the source's trust in this sighting
    type_likelihood: tuple[float, float, float]
    heading_rad: float | None = None
    heading_sigma_rad: float = 0.4
    count: int = 1
    takeoff: bool = False
    # How late the report is (mean, spread), seconds: a spotter's by default; 0 for a sensor's fix.
    delay_s: float = REPORT_DELAY_S
    delay_sigma_s: float = REPORT_DELAY_SIGMA_S


@dataclass(frozen=True, slots=True)
class BearingFix:
    """An acoustic bearing from a sensor at (sx, sy) towards where the sound came from."""

    t: float
    sx: float
    sy: float
    bearing_rad: float
    sigma_rad: float
    source: str
    evidence: float
    type_likelihood: tuple[float, float, float]
    sound_class: str


Measurement = PositionFix | BearingFix
