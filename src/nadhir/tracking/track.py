"""A track: one aircraft the system believes is flying.

A formation (a report of "two jets") is followed as one track per aircraft,
linked by ``group``: they start together and take the formation's sightings
together, but each has its own filter, so members that split apart, or that
microphones hear separately, keep their own estimates.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from nadhir.domain import AircraftType
from nadhir.tracking import imm
from nadhir.tracking.kalman import Matrix, Vector
from nadhir.tracking.motion import PROFILES, TRACK_TYPES, MotionProfile

TrackStatus = Literal["tentative", "confirmed"]
TrackStage = Literal["tentative", "confirmed", "coasting"]

# Evidence that an aircraft exists, from one source, saturates: a sensor that hears the same
# engine twenty times is still one sensor.
MAX_EVIDENCE_PER_SOURCE = 0.6
CONFIRM_EXISTENCE = 0.75
CONFIRM_HITS = 3
CONFIRM_SIGMA_M = 5000.0  # a track too vague to place is not yet worth confirming
HISTORY_S = 600.0
COMPETITION_MEMORY_S = 60.0
LOSING_MIN_GATED = 4.0
LOSING_WIN_SHARE = 0.25
# A confirmed track unobserved for this long is coasting: flown on by its motion model alone.
COAST_AFTER_S = 60.0
# A tentative track joins the published picture once it is more likely real than not (and placed
# as well as confirmation asks, CONFIRM_SIGMA_M): confirmation waits for a second source, and an
# aircraft only one spotter has reported would otherwise be missing from the picture meanwhile.
PUBLISH_EXISTENCE = 0.5
_ONE = 1.0  # (its __sub__ is ``1.0 - w``)
# A track's miss (the chance none of its sources is right) this small makes it certain: see existence.
_CERTAIN_MISS = 2.0**-100


@dataclass
class Track:
    """Filter state, type belief and life-cycle bookkeeping of one track.

    ``x`` and ``p`` are the combined (moment-matched) estimate of the IMM
    filter, whose per-model states are ``xs``, ``ps`` with probabilities ``mu``.
    """

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
    group: str = ""  # formation id shared by the members of one formation ("" = its own id)
    # Bearings that fell in this track's gate in the last minute or so, and those it won
    # (exponentially forgotten): a track that keeps losing the sounds it could have
    # explained to other tracks is a duplicate or a ghost.
    gated_recent: float = 0.0
    won_recent: float = 0.0
    last_sighted: float = -math.inf
    last_bearing_t: float = -math.inf
    mu: Vector = field(default_factory=lambda: imm.INITIAL_MODE_PROBS.copy())
    xs: Matrix = field(default_factory=lambda: np.zeros((0, 4)))
    ps: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 4, 4)))
    # The existence last worked out, and how many sources it was worked out over: read for every
    # track at every assessment, publication and confirmation, over hundreds of sources, while
    # the evidence changes only in add_evidence (which clears it). The count catches a source
    # written into ``evidence`` directly (tests do), not a value overwritten there.
    _existence: tuple[int, float] | None = field(default=None, init=False, repr=False, compare=False)
    # Whether the existence is 1.0 and stays so: see existence.
    _certain: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.group:
            self.group = self.id
        if self.xs.shape != (imm.N_MODELS, 4):
            self.reset_modes()

    def reset_modes(self) -> None:
        """Make every model's estimate the combined one (after ``x``/``p`` were set directly)."""
        self.xs = np.repeat(self.x[None, :], imm.N_MODELS, axis=0)
        self.ps = np.repeat(self.p[None, :, :], imm.N_MODELS, axis=0)

    def set_models(self, mu: Vector, xs: Matrix, ps: NDArray[np.float64]) -> None:
        """Store the IMM state and refresh the combined estimate."""
        self.mu, self.xs, self.ps = mu, xs, ps
        self.x, self.p = imm.combine(mu, xs, ps)

    # -- belief -----------------------------------------------------------------

    def _best_type(self) -> tuple[int, float]:
        a, b, c = self.type_probs.tolist()
        if a >= b and a >= c:
            return 0, a
        return (1, b) if b >= c else (2, c)

    @property
    def aircraft(self) -> AircraftType:
        """Most likely aircraft type."""
        return TRACK_TYPES[self._best_type()[0]]

    @property
    def profile(self) -> MotionProfile:
        """Motion priors of the most likely type, or of "unknown" while no type stands out."""
        best, prob = self._best_type()
        if prob < 0.5:
            return PROFILES["unknown"]
        return PROFILES[TRACK_TYPES[best]]

    @property
    def existence(self) -> float:
        """Probability that this track is a real aircraft, from independent sources' evidence."""
        if self._certain:
            return 1.0
        evidence = self.evidence
        held = self._existence
        if held is not None and held[0] == len(evidence):
            return held[1]
        # math.prod multiplies the same doubles in the same order as a loop of ``miss *= 1.0 - w``
        # from 1.0 (bit for bit), in C: a track heard by a country's sensors has hundreds of sources.
        miss = math.prod(map(_ONE.__sub__, evidence.values()))
        existence = 1.0 - miss
        self._existence = (len(evidence), existence)
        # Certain, and certain to stay so: with every weight in [0, 1], a weight only grows (by
        # add_evidence, to within a rounding: a relative 2**-52 per update) and a source added
        # multiplies the miss by a factor of at most 1, and rounded products of non-negative
        # factors are monotone in them. So a miss this far below 2**-54 (where 1.0 - miss is
        # 1.0) stays below it, and 1.0 - miss stays 1.0, bit for bit, while add_evidence is given
        # weights in [0, 1] (a weight outside that range undoes this, see add_evidence).
        if miss < _CERTAIN_MISS and all(0.0 <= w <= 1.0 for w in evidence.values()):
            self._certain = True
        return existence

    @property
    def stage(self) -> TrackStage:
        """Life-cycle stage: tentative, confirmed (observed lately) or coasting. Deleted tracks are gone."""
        if self.status == "tentative":
            return "tentative"
        return "coasting" if self.t - self.last_update > COAST_AFTER_S else "confirmed"

    @property
    def publishable(self) -> bool:
        """Whether the track belongs in the published picture (``tracks.jsonl``, the live feed).

        Confirmed tracks, and tentative ones that are more likely real than
        not and placed to within ``CONFIRM_SIGMA_M``. Only publishing: the
        life cycle (and what ends a tentative track) is unchanged.
        """
        if self.status == "confirmed":
            return True
        return self.sigma_m <= CONFIRM_SIGMA_M and self.existence >= PUBLISH_EXISTENCE

    def add_evidence(self, source: str, weight: float) -> None:
        """Add one measurement's weight of evidence from a source (saturating per source).

        Evidence only: whether it confirms the track is the tracker's call
        (:attr:`ready_to_confirm`, then :meth:`confirm`).
        """
        prior = self.evidence.get(source, 0.0)
        self._existence = None
        if not 0.0 <= weight <= 1.0:
            self._certain = False
        self.evidence[source] = min(MAX_EVIDENCE_PER_SOURCE, 1.0 - (1.0 - prior) * (1.0 - weight))

    @property
    def ready_to_confirm(self) -> bool:
        """A tentative track that has earned confirmation: likely real, seen often, placed well enough."""
        return (
            self.status == "tentative"
            and self.existence >= CONFIRM_EXISTENCE
            and self.hits >= CONFIRM_HITS
            and self.sigma_m <= CONFIRM_SIGMA_M
        )

    def confirm(self) -> None:
        """Make the track confirmed. There is no way back: a confirmed track ends by deletion or merger."""
        self.status = "confirmed"

    def update_type(self, likelihood: tuple[float, float, float], weight: float = 1.0) -> None:
        """Bayes update of the type belief; ``weight`` < 1 tempers an unreliable cue."""
        # Written out for three types: it runs for every measurement a track takes.
        a, b, c = self.type_probs.tolist()
        la, lb, lc = likelihood
        if weight != 1.0:  # (x ** 1.0 is x exactly, so a full-weight cue skips the powers)
            la, lb, lc = la**weight, lb**weight, lc**weight
        a, b, c = a * la, b * lb, c * lc
        total = a + b + c
        if total > 0:
            # Keep every type possible: a spotter or a microphone can be wrong.
            a, b, c = max(a / total, 0.01), max(b / total, 0.01), max(c / total, 0.01)
            norm = a + b + c
            self.type_probs = np.array([a / norm, b / norm, c / norm])

    # -- kinematics -------------------------------------------------------------

    # These are read for every track at every step (threats, publishing, deletion): ``item``
    # gives the same Python float as ``float(x[i])`` without making a numpy scalar first.

    @property
    def position(self) -> tuple[float, float]:
        x = self.x
        return x.item(0), x.item(1)

    @property
    def velocity(self) -> tuple[float, float]:
        x = self.x
        return x.item(2), x.item(3)

    @property
    def speed(self) -> float:
        x = self.x
        return math.hypot(x.item(2), x.item(3))

    @property
    def sigma_m(self) -> float:
        """Horizontal position uncertainty: the root of the positional covariance's trace."""
        p = self.p
        return math.sqrt(max(0.0, p.item(0, 0) + p.item(1, 1)))

    def process_noise(self) -> float:
        """Effective white-acceleration spectral density (m^2/s^3), mixed over type and motion mode.

        For consumers that extrapolate with a single constant-velocity model
        (the live map's prediction cone).
        """
        total = 0.0
        straight = float(self.mu[0])
        for w, kind in zip(self.type_probs, TRACK_TYPES, strict=True):
            prof = PROFILES[kind]
            total += float(w) * (straight * prof.quiet_noise + (1.0 - straight) * prof.accel_noise)
        return total

    def coast_limit_s(self) -> float:
        """How long the track may go unobserved before it is deleted."""
        return PROFILES[self.aircraft].coast_s

    def note_bearings(self, t_prev: float, t: float, gated: int, won: int) -> None:
        """Count the bearings this track could have explained at ``t`` and those it was given."""
        fade = math.exp(-max(0.0, t - t_prev) / COMPETITION_MEMORY_S)
        self.gated_recent = self.gated_recent * fade + gated
        self.won_recent = self.won_recent * fade + won

    def losing(self, t: float) -> bool:
        """True when, lately, other tracks have taken nearly all the bearings this one could explain."""
        fade = math.exp(-max(0.0, t - self.last_bearing_t) / COMPETITION_MEMORY_S)
        gated = self.gated_recent * fade
        return gated >= LOSING_MIN_GATED and self.won_recent * fade < LOSING_WIN_SHARE * gated

    def remember(self) -> None:
        """Record the current position for manoeuvre (circling) detection."""
        x = self.x
        self.history.append((self.t, x.item(0), x.item(1)))
        while self.history and self.t - self.history[0][0] > HISTORY_S:
            self.history.popleft()
