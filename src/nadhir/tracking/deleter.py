"""Deleter: end tracks that have gone unobserved too long or grown too vague to use."""

from __future__ import annotations

from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track

# A tentative track that no second source supports within this time was probably a false sighting.
TENTATIVE_LIFETIME_S = 300.0
# A tentative track started by acoustic bearings alone dies quickly if no further sound supports it.
TENTATIVE_ACOUSTIC_S = 60.0
MAX_SIGMA_M = 25_000.0
# Bearings alone cannot hold a vague track in place; one nobody has seen is dropped sooner.
MAX_SIGMA_UNSIGHTED_M = 8_000.0
# A track that loses nearly every bearing it could explain is dropped unless a spotter saw it lately.
LOSER_GRACE_S = 60.0


_SHORTEST_COAST_S = min(prof.coast_s for prof in PROFILES.values())


class Deleter:
    """Decides when a track ends.

    By default a track may go unobserved for as long as its aircraft type is
    usually unreported by spotters and microphones (minutes). A deployment
    whose sources revisit every aircraft on a fixed cycle (a scanning sensor)
    sets ``max_silence_s`` and ``tentative_s`` to a few revisits instead.
    """

    def __init__(self, max_silence_s: float | None = None, tentative_s: float | None = None) -> None:
        self.max_silence_s = max_silence_s
        self.tentative_s = tentative_s

    def should_delete(self, track: Track, t: float) -> bool:
        """True when the track should be dropped at time ``t``."""
        silent = t - track.last_update
        if silent > _SHORTEST_COAST_S or self.max_silence_s is not None:
            # (checked only when it can matter: the type's limit needs the type belief's argmax)
            coast = track.coast_limit_s() if self.max_silence_s is None else self.max_silence_s
            if silent > coast:
                return True
        if track.status == "tentative":
            limit = TENTATIVE_LIFETIME_S if track.sighted else TENTATIVE_ACOUSTIC_S
            if self.tentative_s is not None:
                limit = self.tentative_s
            if silent > limit:
                return True
        if track.gated_recent > 0.0 and t - track.last_sighted > LOSER_GRACE_S and track.losing(t):
            return True  # a duplicate or ghost: the sounds it could explain go to another track
        limit = MAX_SIGMA_M if track.sighted else MAX_SIGMA_UNSIGHTED_M
        return track.sigma_m > limit
