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

import itertools
from collections.abc import Iterable

from nadhir.tracking.track import Track

# How long before the impact's report a track's path still counts: a strike is reported a few
# minutes late, and the aircraft was over the target a little before that.
IMPACT_LOOKBACK_S = 600.0
IMPACT_REACH_M = 3000.0
# A track's position uncertainty widens the reach, up to this much: beyond it the track is too
# vague to say which town it was over.
MAX_SIGMA_ALLOWANCE_M = 3000.0


_HistoryKey = tuple[int, tuple[float, float, float], tuple[float, float, float]]


class ImpactCorroboration:
    """Decides which sources a located impact confirms, once per track and source."""

    def __init__(self) -> None:
        self._credited: dict[str, set[str]] = {}  # track id -> sources it has credited
        # track id -> (its history's key, the history's bounding box): see _far_from_path.
        self._boxes: dict[str, tuple[_HistoryKey, tuple[float, float, float, float]]] = {}
        # track id -> (its evidence, how many sources it held when every one was credited)
        self._complete: dict[str, tuple[dict[str, float], int]] = {}

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
        for held in (self._boxes, self._complete):
            for gone in [track_id for track_id in held if track_id not in live_ids]:
                del held[gone]
        confirmed: dict[str, None] = {}
        for track in live:
            if track.status != "confirmed":
                continue
            # A country's sensors locate one blast hundreds of times (every pair of nodes that
            # heard it), and each time every track's path was walked. A track whose sources are
            # all credited already has nothing to give, and one whose whole path stays out of
            # reach cannot have passed near: the same sources come out, without the walk.
            # (Sources are only ever added to a track's evidence: while it holds as many as when
            # all were credited, all still are.)
            evidence = track.evidence
            credited = self._credited.get(track.id)
            complete = self._complete.get(track.id)
            if complete is not None and complete[0] is evidence:
                if complete[1] == len(evidence):
                    continue
                # Only the sources added since need asking.
                if credited is not None and credited.issuperset(
                    itertools.islice(evidence, complete[1], None)
                ):
                    self._complete[track.id] = (evidence, len(evidence))
                    continue
            elif credited is not None and credited.issuperset(evidence):
                self._complete[track.id] = (evidence, len(evidence))
                continue
            if self._far_from_path(track, x, y) or not passed_near(track, x, y, t):
                continue
            if credited is None:
                credited = self._credited[track.id] = set()
            for source in track.evidence:
                if source != reporter and source not in credited:
                    credited.add(source)
                    confirmed.setdefault(source, None)
        return list(confirmed)

    def _far_from_path(self, track: Track, x: float, y: float) -> bool:
        """True when (x, y) is out of :func:`passed_near`'s reach of every point of the track's path.

        Tested against the bounding box of its whole history (a superset of the lookback's points)
        and its present position, with the same reach: a point out of reach of the box is out of
        reach of every point in it, so this only ever says True where passed_near says False.
        """
        reach = IMPACT_REACH_M + min(track.sigma_m, MAX_SIGMA_ALLOWANCE_M)
        px, py = track.x.item(0), track.x.item(1)
        if (px - x) ** 2 + (py - y) ** 2 <= reach * reach:
            return False
        history = track.history
        if not history:
            return True
        # The history is appended at its end and trimmed at its start, in time order: its length
        # and end points change whenever its points do (see Track.remember).
        key = (len(history), history[0], history[-1])
        held = self._boxes.get(track.id)
        if held is not None and held[0] == key:
            x0, y0, x1, y1 = held[1]
        else:
            xs = [p[1] for p in history]
            ys = [p[2] for p in history]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
            self._boxes[track.id] = (key, (x0, y0, x1, y1))
        # Distance from (x, y) to the box, with a margin for rounding: the box test must never
        # reject a point that passed_near's sum of squares would accept.
        dx = max(x0 - x, 0.0, x - x1)
        dy = max(y0 - y, 0.0, y - y1)
        return dx * dx + dy * dy > reach * reach * (1.0 + 1e-9) + 1e-6


def passed_near(track: Track, x: float, y: float, t: float) -> bool:
    """Whether the track's path came within reach of (x, y) in the lookback before t."""
    reach = IMPACT_REACH_M + min(track.sigma_m, MAX_SIGMA_ALLOWANCE_M)
    reach2 = reach * reach
    points = [*track.history, (track.t, float(track.x[0]), float(track.x[1]))]
    return any(
        t - IMPACT_LOOKBACK_S <= pt <= t + 1.0 and (px - x) ** 2 + (py - y) ** 2 <= reach2
        for pt, px, py in points
    )
