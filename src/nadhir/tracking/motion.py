"""How each kind of aircraft moves: speeds, manoeuvre noise, how long it stays audible.

These are physical priors, not numbers fitted to any scenario: typical
cruise speeds of ground-attack jets, attack helicopters and reconnaissance
drones, and the distance at which a cheap microphone hears each of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nadhir.domain import AircraftType

# Order of the type-probability vector carried by every track.
TRACK_TYPES: tuple[AircraftType, ...] = ("jet", "helicopter", "drone")


@dataclass(frozen=True, slots=True)
class MotionProfile:
    """Motion priors for one aircraft type."""

    cruise_mps: float  # typical speed over the ground
    speed_sigma_mps: float  # spread of that speed
    accel_noise: float  # white-noise acceleration spectral density, m^2/s^3
    audible_m: float  # beyond this an acoustic node is unlikely to hear it
    coast_s: float  # how long a track may go unobserved before it is dropped


PROFILES: dict[AircraftType, MotionProfile] = {
    "jet": MotionProfile(
        cruise_mps=200.0, speed_sigma_mps=40.0, accel_noise=40.0, audible_m=25_000.0, coast_s=240.0
    ),
    "helicopter": MotionProfile(
        cruise_mps=60.0, speed_sigma_mps=20.0, accel_noise=4.0, audible_m=12_000.0, coast_s=420.0
    ),
    "drone": MotionProfile(
        cruise_mps=32.0, speed_sigma_mps=10.0, accel_noise=1.5, audible_m=8_000.0, coast_s=600.0
    ),
    "unknown": MotionProfile(
        cruise_mps=100.0, speed_sigma_mps=70.0, accel_noise=20.0, audible_m=15_000.0, coast_s=300.0
    ),
}

# Acoustic classes -> likelihood of each track type (jet, helicopter, drone).
# A classifier on a cheap node confuses neighbours; these rows say how much.
SOUND_LIKELIHOOD: dict[str, tuple[float, float, float]] = {
    "jet": (0.75, 0.15, 0.10),
    "helicopter": (0.15, 0.75, 0.10),
    "drone": (0.10, 0.20, 0.70),
    "propeller": (0.15, 0.35, 0.50),
}

# Reported aircraft word -> likelihood of each track type. Spotters know a jet from a helicopter
# far better than a microphone does, but they do mistake drones for other things.
REPORT_LIKELIHOOD: dict[str, tuple[float, float, float]] = {
    "jet": (0.85, 0.08, 0.07),
    "helicopter": (0.08, 0.85, 0.07),
    "drone": (0.07, 0.13, 0.80),
    "unknown": (1 / 3, 1 / 3, 1 / 3),
}
