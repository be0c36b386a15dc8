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
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from nadhir.tracking.track import Track

# How long before the impact's report a track's path still counts: a strike is reported a few
# minutes late, and the aircraft was over the target a little before that.
IMPACT_LOOKBACK_S = 600.0
IMPACT_REACH_M = 3000.0
# A track's position uncertainty widens the reach, up to this much: beyond it the track is too
# vague to say which town it was over.
MAX_SIGMA_ALLOWANCE_M = 3000.0
# From this many impacts at once, the bounding-box test is made for them all in arrays.
_MANY_IMPACTS = 4
# Relative rounding allowed between numpy's squares and Python's powers of two.
_ROUNDING = 1e-9


_Point = tuple[float, float, float]  # (t, x, y), as Track.history holds them
_Box = tuple[float, float, float, float]  # (x0, y0, x1, y1)


class PathBox:
    """A track history's bounding box, kept up as the history grows at its end and loses its start.

    The box of a track was built again from its whole history (some 165 points) at most asks,
    since its path moves between most of them; here only the points added since the last ask
    are looked at. Each side is the value ``min``/``max`` over the whole history gives (its first
    occurrence, so equal values of another sign of zero cannot differ): it is held with the
    point that gave it, and the box is built again from all the points when that point has left
    the history, when the history did not only grow at its end and lose its start (the last
    point seen is not in it any more), or when its first point is not a number.
    """

    __slots__ = ("_count", "_last", "_sides", "box")

    def __init__(self, history: Sequence[_Point]) -> None:
        self.box: _Box = (0.0, 0.0, 0.0, 0.0)
        self._count = 0
        self._last: _Point | None = None
        # Per side, (the point that gives it, its index in the history when last asked).
        self._sides: list[tuple[_Point, int]] = []
        self._rebuild(history)

    def update(self, history: Sequence[_Point]) -> _Box:
        """The box of ``history``, the same history as at the last ask, grown and trimmed since."""
        n = len(history)
        added = 0
        for point in reversed(history):  # the points after the last one seen are new
            if point is self._last:
                break
            added += 1
        else:
            return self._rebuild(history)
        dropped = self._count + added - n
        first = history[0]
        if dropped < 0 or first[1] != first[1] or first[2] != first[2]:
            return self._rebuild(history)
        sides = []
        for point, index in self._sides:
            if index < dropped or history[index - dropped] is not point:
                return self._rebuild(history)
            sides.append((point, index - dropped))
        x0, y0, x1, y1 = self.box
        for k in range(n - added, n):
            point = history[k]
            # Strictly beyond, as min and max take a later point: the first occurrence stays.
            if point[1] < x0:
                x0, sides[0] = point[1], (point, k)
            if point[2] < y0:
                y0, sides[1] = point[2], (point, k)
            if point[1] > x1:
                x1, sides[2] = point[1], (point, k)
            if point[2] > y1:
                y1, sides[3] = point[2], (point, k)
        self.box, self._sides, self._count, self._last = (x0, y0, x1, y1), sides, n, history[-1]
        return self.box

    def _rebuild(self, history: Sequence[_Point]) -> _Box:
        xs = [p[1] for p in history]
        ys = [p[2] for p in history]
        x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
        # The first occurrence of each value: what min and max return.
        ix0, iy0, ix1, iy1 = xs.index(x0), ys.index(y0), xs.index(x1), ys.index(y1)
        self.box = (x0, y0, x1, y1)
        self._sides = [(history[ix0], ix0), (history[iy0], iy0), (history[ix1], ix1), (history[iy1], iy1)]
        self._count, self._last = len(history), history[-1]
        return self.box


class ImpactCorroboration:
    """Decides which sources a located impact confirms, once per track and source."""

    def __init__(self) -> None:
        self._credited: dict[str, set[str]] = {}  # track id -> sources it has credited
        # track id -> its history's bounding box, kept up between asks: see _far_from_path.
        self._boxes: dict[str, PathBox] = {}
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
        return self.confirmed_sources_many(tracks, [(x, y, t, reporter)])[0]

    def confirmed_sources_many(
        self, tracks: Iterable[Track], impacts: Sequence[tuple[float, float, float, str | None]]
    ) -> list[list[str]]:
        """:meth:`confirmed_sources` of each impact (x, y, t, reporter) in turn, the tracks unchanged.

        A blast heard by a country's sensors is located again with every bearing that crosses
        an earlier one, ten or so at one instant, and each walked every track. Here each track
        is asked once: whether it has anything left to credit, then which of the impacts its
        path passed near (the first of them credits it), the bounding-box test made for all
        the impacts at once. The same sources come out for each impact as one call per impact,
        in the same order: a track's credits change only when an impact it passed near credits
        it, and each impact lists the sources of its tracks in their order.
        """
        live = list(tracks)
        live_ids = {track.id for track in live}
        for held in (self._credited, self._boxes, self._complete):
            for gone in [track_id for track_id in held if track_id not in live_ids]:
                del held[gone]
        confirmed: list[dict[str, None]] = [{} for _ in impacts]
        if not impacts:
            return []
        # The impacts' (x, y) as two arrays, when there are enough to test in arrays.
        spots = np.array([(x, y) for x, y, _, _ in impacts]).T if len(impacts) >= _MANY_IMPACTS else None
        for track in live:
            if track.status != "confirmed" or self._all_credited(track):
                continue
            credited = self._credited.get(track.id)
            for k in self._passed_near(track, impacts, spots):
                if credited is None:
                    credited = self._credited[track.id] = set()
                reporter, out = impacts[k][3], confirmed[k]
                for source in track.evidence:
                    if source != reporter and source not in credited:
                        credited.add(source)
                        out.setdefault(source, None)
                if self._all_credited(track):
                    break
        return [list(out) for out in confirmed]

    def _all_credited(self, track: Track) -> bool:
        """Whether every source of the track is credited already: it has nothing to give.

        A country's sensors locate one blast hundreds of times (every pair of nodes that heard
        it), and each time every track's path was walked. Sources are only ever added to a
        track's evidence: while it holds as many as when all were credited, all still are, and
        only the sources added since need asking.
        """
        evidence = track.evidence
        credited = self._credited.get(track.id)
        complete = self._complete.get(track.id)
        if complete is not None and complete[0] is evidence:
            if complete[1] == len(evidence):
                return True
            if credited is None or not credited.issuperset(itertools.islice(evidence, complete[1], None)):
                return False
        elif credited is None or not credited.issuperset(evidence):
            return False
        self._complete[track.id] = (evidence, len(evidence))
        return True

    def _passed_near(
        self,
        track: Track,
        impacts: Sequence[tuple[float, float, float, str | None]],
        spots: NDArray[np.float64] | None,
    ) -> Iterator[int]:
        """The impacts (by index, in order) that the track's path came within reach of (passed_near).

        Those whose (x, y) is out of reach of the path's bounding box and present position are
        left out first (:meth:`_far_from_path`; for many impacts in arrays, with the same
        operations, plus a rounding margin on the present position's distance, where numpy
        squares where Python raises to a power); passed_near decides the rest.
        """
        near: Iterator[int]
        if spots is None:
            near = (k for k, (x, y, _, _) in enumerate(impacts) if not self._far_from_path(track, x, y))
        else:
            near = iter(self._not_far_from_path(track, spots[0], spots[1]))
        for k in near:
            x, y, t, _ = impacts[k]
            if passed_near(track, x, y, t):
                yield k

    def _not_far_from_path(self, track: Track, x: NDArray[np.float64], y: NDArray[np.float64]) -> list[int]:
        """The impacts at (x, y) :meth:`_far_from_path` keeps, and perhaps a few more, in arrays."""
        reach = IMPACT_REACH_M + min(track.sigma_m, MAX_SIGMA_ALLOWANCE_M)
        px, py = track.x.item(0), track.x.item(1)
        keep = (px - x) ** 2 + (py - y) ** 2 <= reach * reach * (1.0 + _ROUNDING) + 1e-6
        box = self._box(track)
        if box is not None:
            x0, y0, x1, y1 = box
            dx = np.maximum(np.maximum(x0 - x, 0.0), x - x1)
            dy = np.maximum(np.maximum(y0 - y, 0.0), y - y1)
            keep |= ~(dx * dx + dy * dy > reach * reach * (1.0 + 1e-9) + 1e-6)
        out: list[int] = np.flatnonzero(keep).tolist()
        return out

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
        box = self._box(track)
        if box is None:
            return True
        x0, y0, x1, y1 = box
        # Distance from (x, y) to the box, with a margin for rounding: the box test must never
        # reject a point that passed_near's sum of squares would accept.
        dx = max(x0 - x, 0.0, x - x1)
        dy = max(y0 - y, 0.0, y - y1)
        return dx * dx + dy * dy > reach * reach * (1.0 + 1e-9) + 1e-6

    def _box(self, track: Track) -> _Box | None:
        """The bounding box (x0, y0, x1, y1) of the track's history; None while it has none."""
        history = track.history
        if not history:
            return None
        # The history is appended at its end and trimmed at its start, in time order (see
        # Track.remember): the box follows it from the points added since the last ask.
        held = self._boxes.get(track.id)
        if held is None:
            held = self._boxes[track.id] = PathBox(history)
            return held.box
        return held.update(history)


def passed_near(track: Track, x: float, y: float, t: float) -> bool:
    """Whether the track's path came within reach of (x, y) in the lookback before t."""
    reach = IMPACT_REACH_M + min(track.sigma_m, MAX_SIGMA_ALLOWANCE_M)
    reach2 = reach * reach
    start, end = t - IMPACT_LOOKBACK_S, t + 1.0
    # A plain loop over the history, then the present position: the same tests as any() over a
    # copy of them all, without the copy and the generator (it runs over a million points on a
    # country's first 100,000 events).
    for pt, px, py in track.history:
        if start <= pt <= end and (px - x) ** 2 + (py - y) ** 2 <= reach2:
            return True
    return start <= track.t <= end and (float(track.x[0]) - x) ** 2 + (float(track.x[1]) - y) ** 2 <= reach2
