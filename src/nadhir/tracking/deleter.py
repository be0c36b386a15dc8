"""Deleter: end tracks that have gone unobserved too long or grown too vague to use."""

from __future__ import annotations

from nadhir.tracking.track import Track

# A tentative track that no second source supports within this time was probably a false sighting.
TENTATIVE_LIFETIME_S = 300.0
# A tentative track started by acoustic bearings alone dies quickly if no further sound supports it.
TENTATIVE_ACOUSTIC_S = 60.0
MAX_SIGMA_M = 12_000.0  # a track this vague can no longer be told from any other aircraft nearby
# Bearings alone cannot hold a vague track in place; one nobody has seen is dropped sooner.
MAX_SIGMA_UNSIGHTED_M = 8_000.0
# A track that loses nearly every bearing it could explain is dropped unless a spotter saw it lately.
LOSER_GRACE_S = 60.0


class Deleter:
    """Decides when a track ends."""

    def should_delete(self, track: Track, t: float) -> bool:
        """True when the track should be dropped at time ``t``."""
        silent = t - track.last_update
        if track.status == "tentative":
            limit = TENTATIVE_LIFETIME_S if track.sighted else TENTATIVE_ACOUSTIC_S
            if silent > min(limit, track.coast_limit_s()):
                return True
        if track.losing(t) and t - track.last_sighted > LOSER_GRACE_S:
            return True  # a duplicate or ghost: the sounds it could explain go to another track
        limit = MAX_SIGMA_M if track.sighted else MAX_SIGMA_UNSIGHTED_M
        return silent > track.coast_limit_s() or track.sigma_m > limit
