"""Where the live engine's time comes from: the wall clock, a scaled one (the demo), a manual one (tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Where the engine's time comes from; ``speed`` is simulated seconds per wall second."""

    @property
    def speed(self) -> float: ...

    def now(self) -> float: ...


class WallClock:
    """Real time."""

    speed = 1.0

    def now(self) -> float:
        return time.time()


class ScaledClock:
    """Simulated time that runs ``speed`` times faster than the wall clock from ``start``."""

    def __init__(self, start: float, speed: float, wall: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._wall = wall
        self._wall0 = wall()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._start + (self._wall() - self._wall0) * self._speed

    def wall_delay(self, t: float) -> float:
        """Wall seconds until simulated time ``t`` (0 if it has passed)."""
        return max(0.0, (t - self.now()) / self._speed)


class ManualClock:
    """A clock that moves only when told (tests)."""

    speed = 1.0

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t
