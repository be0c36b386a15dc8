"""Deleter: end tracks that have gone unobserved too long or grown too vague to use."""

from __future__ import annotations

from nadhir.tracking.track import Track

# A tentative track that no second source supports within this time was probably a false sighting.
TENTATIVE_LIFETIME_S = 300.0
MAX_SIGMA_M = 25_000.0


class Deleter:
    """Decides when a track ends."""

    def should_delete(self, track: Track, t: float) -> bool:
        """True when the track should be dropped at time ``t``."""
        silent = t - track.last_update
        if track.status == "tentative" and silent > min(TENTATIVE_LIFETIME_S, track.coast_limit_s()):
            return True
        return silent > track.coast_limit_s() or track.sigma_m > MAX_SIGMA_M
