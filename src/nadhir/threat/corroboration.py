"""Trust from outcomes: an impact corroborates the sources that tracked the aircraft to it.

A sighting that other observers confirm is probably true; a sighting of an
aircraft that then bombs the place it was flying over is certainly so. When
a credible impact is located, every confirmed track whose recent path ran
within reach of it credits the sources that built it. Reach allows for the
track's own uncertainty (capped, so a vague track cannot claim every
strike) and for the aircraft having moved on between the strike and the
report of it. One strike is usually reported many times, by several people
and microphones; a track credits each of its sources once, so a raid
counts as one confirmation, not as one per message about it.
"""

from __future__ import annotations

from collections.abc import Iterable

from nadhir.tracking.track import Track

# How long before the impact's report a track's path still counts: a strike is reported a few
# minutes late, and the aircraft was over the target a little before that.
IMPACT_LOOKBACK_S = 600.0
IMPACT_REACH_M = 3000.0
# A track's position uncertainty widens the reach, up to this much: beyond it the track is too
# vague to say which town it was over.
MAX_SIGMA_ALLOWANCE_M = 3000.0


class ImpactCorroboration:
    """Decides which sources a located impact confirms, once per track and source."""

    def __init__(self) -> None:
        self._credited: dict[str, set[str]] = {}  # track id -> sources it has credited

    def confirmed_sources(
        self, tracks: Iterable[Track], x: float, y: float, t: float, reporter: str | None = None
    ) -> list[str]:
        """Sources newly confirmed by an impact at (x, y), reported at time t.

        The impact's own reporter is left out: nobody corroborates themselves.
        Sources come out once each, in the order their tracks and evidence
        list them.
        """
        live = list(tracks)
        live_ids = {track.id for track in live}
        for gone in [track_id for track_id in self._credited if track_id not in live_ids]:
            del self._credited[gone]
        confirmed: dict[str, None] = {}
        for track in live:
            if track.status != "confirmed" or not passed_near(track, x, y, t):
                continue
            credited = self._credited.setdefault(track.id, set())
            for source in track.evidence:
                if source != reporter and source not in credited:
                    credited.add(source)
                    confirmed.setdefault(source, None)
        return list(confirmed)


def passed_near(track: Track, x: float, y: float, t: float) -> bool:
    """Whether the track's path came within reach of (x, y) in the lookback before t."""
    reach = IMPACT_REACH_M + min(track.sigma_m, MAX_SIGMA_ALLOWANCE_M)
    reach2 = reach * reach
    points = [*track.history, (track.t, float(track.x[0]), float(track.x[1]))]
    return any(
        t - IMPACT_LOOKBACK_S <= pt <= t + 1.0 and (px - x) ** 2 + (py - y) ** 2 <= reach2
        for pt, px, py in points
    )
