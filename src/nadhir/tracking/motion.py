"""How each kind of aircraft moves: speeds, manoeuvres, how long it stays audible.

These are physical priors, not numbers fitted to any scenario:

* typical cruise speeds of ground-attack jets (~200 m/s, Mach 0.6 low level),
  attack and transport helicopters (~60 m/s) and reconnaissance or one-way
  attack drones (~30 m/s);
* how hard each turns: a jet in a 2 g level turn at 200 m/s turns at
  ``g * sqrt(n^2 - 1) / v`` = 0.085 rad/s (we take 4 deg/s), a helicopter
  in a rate-two turn at 6 deg/s, a drone orbiting a target at ~1.5 km radius
  at 1.2 deg/s;
* how much each wanders between manoeuvres (white-acceleration spectral
  densities, m^2/s^3: the speed drifts by ``sqrt(q * T)`` over ``T`` seconds):
  a jet on a straight leg holds its velocity to a few m/s over a minute, but
  dives and accelerates at several m/s^2 in an attack; a helicopter slows to a
  hover within half a minute;
* how long a mode lasts on average: legs of minutes, turns of tens of seconds,
  a drone's loiter of many minutes;
* the height each flies at, which delays its sound: jets bomb from medium
  altitude, above the reach of shoulder-launched missiles (~4-5 km),
  helicopters transit at around a kilometre, reconnaissance and attack
  drones at one to three;
* the distance at which a cheap microphone hears each of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nadhir.domain import AircraftType

# Order of the type-probability vector carried by every track.
TRACK_TYPES: tuple[AircraftType, ...] = ("jet", "helicopter", "drone")

# Order of the motion models of the interacting multiple model (IMM) filter.
MODEL_NAMES: tuple[str, ...] = ("straight", "turn-left", "turn-right", "manoeuvre")


@dataclass(frozen=True, slots=True)
class MotionProfile:
    """Motion priors for one aircraft type."""

    cruise_mps: float  # typical speed over the ground
    speed_sigma_mps: float  # spread of that speed
    accel_noise: float  # manoeuvring white-acceleration spectral density, m^2/s^3
    audible_m: float  # beyond this an acoustic node is unlikely to hear it
    coast_s: float  # how long a track may go unobserved before it is dropped
    quiet_noise: float = 0.5  # spectral density on a straight leg or in a steady turn, m^2/s^3
    turn_rate: float = 0.07  # rad/s of the coordinated-turn models
    straight_s: float = 180.0  # mean time on a straight leg
    turn_s: float = 60.0  # mean time in a turn
    manoeuvre_s: float = 30.0  # mean time of a dive, acceleration or stop
    altitude_m: float = 2000.0  # typical height above the ground (sets the sound's travel time)
    altitude_sigma_m: float = 1500.0


PROFILES: dict[AircraftType, MotionProfile] = {
    "jet": MotionProfile(
        cruise_mps=200.0,
        speed_sigma_mps=40.0,
        accel_noise=60.0,
        audible_m=25_000.0,
        coast_s=240.0,
        quiet_noise=0.5,
        turn_rate=0.07,
        straight_s=180.0,
        turn_s=40.0,
        manoeuvre_s=30.0,
        altitude_m=4500.0,
        altitude_sigma_m=2000.0,
    ),
    "helicopter": MotionProfile(
        cruise_mps=60.0,
        speed_sigma_mps=20.0,
        accel_noise=8.0,
        audible_m=12_000.0,
        coast_s=420.0,
        quiet_noise=0.3,
        turn_rate=0.10,
        straight_s=180.0,
        turn_s=40.0,
        manoeuvre_s=60.0,
        altitude_m=1000.0,
        altitude_sigma_m=700.0,
    ),
    "drone": MotionProfile(
        cruise_mps=32.0,
        speed_sigma_mps=10.0,
        accel_noise=1.5,
        audible_m=8_000.0,
        coast_s=600.0,
        quiet_noise=0.05,
        turn_rate=0.02,
        straight_s=300.0,
        turn_s=600.0,
        manoeuvre_s=60.0,
        altitude_m=2000.0,
        altitude_sigma_m=1000.0,
    ),
    "unknown": MotionProfile(
        cruise_mps=100.0,
        speed_sigma_mps=70.0,
        accel_noise=20.0,
        audible_m=15_000.0,
        coast_s=300.0,
        quiet_noise=0.5,
        turn_rate=0.05,
        straight_s=180.0,
        turn_s=60.0,
        manoeuvre_s=40.0,
        altitude_m=2500.0,
        altitude_sigma_m=2000.0,
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
