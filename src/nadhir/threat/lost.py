"""Lost contact: a track that is dropped has not gone away.

When the tracker stops hearing and seeing an aircraft it deletes the track,
but the aircraft is still flying somewhere near its last position — often
low over its target, out of the sensors' reach. The sites the track last
threatened stay threatened for a while, with a fading probability, unless
the track was last seen leaving them. Losing contact is not an all-clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from nadhir.domain import AircraftType, Threat

# How long after contact is lost its threats fade out: slow aircraft stay near for longer.
LOST_HOLD_S: dict[AircraftType, float] = {"jet": 180.0, "helicopter": 600.0, "drone": 900.0, "unknown": 300.0}


@dataclass(frozen=True, slots=True)
class _Lost:
    t: float
    threats: tuple[Threat, ...]
    hold_s: float


# Fainter than this a faded threat changes nothing (the policy's thresholds are far above it).
MIN_PROBABILITY = 0.02


class LostContactWatch:
    """Threats of recently deleted tracks, fading with time."""

    def __init__(self) -> None:
        self._lost: dict[str, _Lost] = {}

    def lose(self, track_id: str, t: float, aircraft: AircraftType, last_threats: list[Threat]) -> None:
        """Remember a deleted track's last threats."""
        kept = tuple(th for th in last_threats if th.cue != "impact" and th.probability >= MIN_PROBABILITY)
        if kept:
            self._lost[track_id] = _Lost(t, kept, LOST_HOLD_S[aircraft])

    def tracks(self) -> list[str]:
        """The ids of the lost tracks still remembered."""
        return list(self._lost)

    def threats(self, t: float) -> list[Threat]:
        """The fading threats of lost tracks at time ``t`` (never sirens: cue ``nearby``)."""
        out: list[Threat] = []
        for track_id in list(self._lost):
            lost = self._lost[track_id]
            age = t - lost.t
            if age >= lost.hold_s:
                del self._lost[track_id]
                continue
            fade = 1.0 - age / lost.hold_s
            # Built directly rather than with dataclasses.replace, which is several times slower and
            # runs for every faded threat at every step.
            out.extend(
                Threat(
                    th.site,
                    th.track,
                    th.aircraft,
                    p,
                    max(t, th.eta or t),
                    th.distance_m,
                    "nearby",
                    th.witnesses,
                )
                for th in lost.threats
                if (p := th.probability * fade) >= MIN_PROBABILITY
            )
        return out
