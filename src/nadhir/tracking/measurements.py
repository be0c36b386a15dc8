"""Measurements in the tracker's local frame.

Intake turns reports into :class:`PositionFix` (with the heading cue, if
any) and acoustic detections into :class:`BearingFix`. Both carry a
likelihood over aircraft types and a weight of evidence: how much the
measurement alone says that an aircraft is really there.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEED_OF_SOUND_MPS = 343.0
# A spotter's report reaches us some time after the sighting (typing, relaying through a
# channel): up to a minute or two, by which the aircraft has moved on by ``delay * speed``.
# The lateness enters as a spread along the track (REPORT_DELAY_SIGMA_S), not as a mean
# shift: placing the track ahead of where it was reported (by a mean delay) measurably cost
# warnings on the replays, because sites just ahead of the report then fall behind the track
# in the threat projection; so the estimate stays at the report, with its along-track doubt.
REPORT_DELAY_S = 0.0
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
