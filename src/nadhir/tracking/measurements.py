"""Measurements in the tracker's local frame.

Intake turns reports into :class:`PositionFix` (with the heading cue, if
any) and acoustic detections into :class:`BearingFix`. Both carry a
likelihood over aircraft types and a weight of evidence: how much the
measurement alone says that an aircraft is really there.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEED_OF_SOUND_MPS = 343.0


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
