"""A track: one aircraft (or a close formation) the system believes is flying."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from nadhir.domain import AircraftType
from nadhir.tracking.kalman import Matrix, Vector
from nadhir.tracking.motion import PROFILES, TRACK_TYPES

TrackStatus = Literal["tentative", "confirmed"]

# Evidence that an aircraft exists, from one source, saturates: a sensor that hears the same
# engine twenty times is still one sensor.
MAX_EVIDENCE_PER_SOURCE = 0.6
CONFIRM_EXISTENCE = 0.75
CONFIRM_HITS = 3
CONFIRM_SIGMA_M = 5000.0  # a track too vague to place is not yet worth confirming
HISTORY_S = 600.0


@dataclass
class Track:
    """Filter state, type belief and life-cycle bookkeeping of one track."""

    id: str
    t: float
    x: Vector
    p: Matrix
    type_probs: Vector
    created: float
    last_update: float
    count: int = 1
    status: TrackStatus = "tentative"
    hits: int = 0
    evidence: dict[str, float] = field(default_factory=dict)  # source -> evidence, insertion-ordered
    history: deque[tuple[float, float, float]] = field(default_factory=lambda: deque(maxlen=240))
    origin_takeoff: bool = False
    sighted: bool = False  # a person has reported it (not only microphones)

    # -- belief -----------------------------------------------------------------

    @property
    def aircraft(self) -> AircraftType:
        """Most likely aircraft type."""
        return TRACK_TYPES[int(np.argmax(self.type_probs))]

    @property
    def existence(self) -> float:
        """Probability that this track is a real aircraft, from independent sources' evidence."""
        miss = 1.0
        for w in self.evidence.values():
            miss *= 1.0 - w
        return 1.0 - miss

    def add_evidence(self, source: str, weight: float) -> None:
        """Add one measurement's weight of evidence from a source (saturating per source)."""
        prior = self.evidence.get(source, 0.0)
        self.evidence[source] = min(MAX_EVIDENCE_PER_SOURCE, 1.0 - (1.0 - prior) * (1.0 - weight))
        if (
            self.status == "tentative"
            and self.existence >= CONFIRM_EXISTENCE
            and self.hits >= CONFIRM_HITS
            and self.sigma_m <= CONFIRM_SIGMA_M
        ):
            self.status = "confirmed"

    def weaken(self, source: str, factor: float) -> None:
        """Scale down what one source contributed (it has lost trust)."""
        if source in self.evidence:
            self.evidence[source] *= factor

    def update_type(self, likelihood: tuple[float, float, float], weight: float = 1.0) -> None:
        """Bayes update of the type belief; ``weight`` < 1 tempers an unreliable cue."""
        like = np.power(np.asarray(likelihood), weight)
        post = self.type_probs * like
        total = float(post.sum())
        if total > 0:
            # Keep every type possible: a spotter or a microphone can be wrong.
            self.type_probs = np.maximum(post / total, 0.01)
            self.type_probs /= self.type_probs.sum()

    # -- kinematics -------------------------------------------------------------

    @property
    def position(self) -> tuple[float, float]:
        return float(self.x[0]), float(self.x[1])

    @property
    def velocity(self) -> tuple[float, float]:
        return float(self.x[2]), float(self.x[3])

    @property
    def speed(self) -> float:
        return math.hypot(float(self.x[2]), float(self.x[3]))

    @property
    def sigma_m(self) -> float:
        """Horizontal position uncertainty: the root of the positional covariance's trace."""
        return math.sqrt(max(0.0, float(self.p[0, 0] + self.p[1, 1])))

    def process_noise(self) -> float:
        """Acceleration noise, mixed over the type belief."""
        return float(
            sum(p * PROFILES[k].accel_noise for p, k in zip(self.type_probs, TRACK_TYPES, strict=True))
        )

    def coast_limit_s(self) -> float:
        """How long the track may go unobserved before it is deleted."""
        return PROFILES[self.aircraft].coast_s

    def remember(self) -> None:
        """Record the current position for manoeuvre (circling) detection."""
        self.history.append((self.t, float(self.x[0]), float(self.x[1])))
        while self.history and self.t - self.history[0][0] > HISTORY_S:
            self.history.popleft()
