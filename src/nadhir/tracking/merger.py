"""Merger: fold duplicate tracks of one aircraft into the older track.

A spotter's sighting and a crossing of acoustic bearings can start two
tracks for the same aircraft before either has seen the other's evidence.
Members of one formation are never merged with each other: they are known
to be different aircraft.
"""

from __future__ import annotations

import numpy as np

from nadhir.tracking import kalman
from nadhir.tracking.track import Track

MERGE_GATE = 6.0  # chi-square on the position difference, 2 dof (~95 %)
MIN_TYPE_OVERLAP = 0.3
# Up to this many (changed track, track) pairs are screened in plain floats: a replay's step
# changes one or two of a handful of tracks, where numpy's per-call cost (~1 us) dominates.
# Measured on idlib-twists: 20 -> 8 us per step.
SCALAR_MAX_PAIRS = 64


class Merger:
    """Finds pairs of tracks that are one aircraft and merges them."""

    def merge(self, tracks: dict[str, Track], changed: dict[str, None] | None = None) -> list[str]:
        """Merge duplicates in place; returns the ids of tracks removed.

        With ``changed``, only pairs with at least one track in it (new or just
        updated) are examined: two tracks that only coasted since the last
        look were not duplicates then.
        """
        items = list(tracks.values())
        if len(items) < 2 or (changed is not None and not changed):
            return []
        if changed is None:
            rows = list(range(len(items)))
        else:
            rows = [i for i, t in enumerate(items) if t.id in changed]
        if len(rows) * len(items) <= SCALAR_MAX_PAIRS:
            pair_list = _close_pairs_small(items, rows)
        else:
            pair_list = _close_pairs(items, rows)
        removed: set[str] = set()
        order: list[str] = []
        for i, j in pair_list:
            a, b = items[i], items[j]
            if a.id in removed or b.id in removed or a.group == b.group or abs(a.t - b.t) > 1e-6:
                continue
            if float(np.dot(a.type_probs, b.type_probs)) < MIN_TYPE_OVERLAP:
                continue
            if kalman.mahalanobis2(a.x[:2] - b.x[:2], a.p[:2, :2] + b.p[:2, :2]) > MERGE_GATE:
                continue
            if kalman.mahalanobis2(a.x[2:] - b.x[2:], a.p[2:, 2:] + b.p[2:, 2:]) > MERGE_GATE:
                continue
            self._fold(a, b)
            removed.add(b.id)
            order.append(b.id)
        for track_id in order:
            del tracks[track_id]
        return order

    @staticmethod
    def _fold(keep: Track, drop: Track) -> None:
        """Covariance-weighted fusion of two estimates of the same state, evidence pooled."""
        pa_inv, pb_inv = np.linalg.inv(keep.p), np.linalg.inv(drop.p)
        p = np.linalg.inv(pa_inv + pb_inv)
        keep.x = p @ (pa_inv @ keep.x + pb_inv @ drop.x)
        keep.p = (p + p.T) / 2.0
        keep.reset_modes()
        probs = keep.type_probs * drop.type_probs
        keep.type_probs = np.maximum(probs / probs.sum(), 0.01)
        keep.type_probs /= keep.type_probs.sum()
        for source, weight in drop.evidence.items():
            keep.add_evidence(source, weight)
        # Judged on the pooled evidence with the kept track's own hits (as merges always have been:
        # the existence only grows with each source added, so one look after them all is enough).
        confirm = keep.ready_to_confirm or drop.status == "confirmed"
        keep.hits += drop.hits
        keep.count = max(keep.count, drop.count)
        keep.last_update = max(keep.last_update, drop.last_update)
        keep.origin_takeoff = keep.origin_takeoff or drop.origin_takeoff
        keep.sighted = keep.sighted or drop.sighted
        if confirm:
            keep.confirm()


def _close_pairs(items: list[Track], rows: list[int]) -> list[tuple[int, int]]:
    """Index pairs (i < j), sorted, of tracks within the merge gate's cheap bound; all at once.

    The bound: squared distance against ``MERGE_GATE`` times the summed
    position variances. Only pairs with a track in ``rows`` are examined.
    """
    pos = np.array([t.x for t in items])[:, :2]  # (one gather of whole states, then one slice)
    var = np.array([t.p.item(0, 0) + t.p.item(1, 1) for t in items])  # the same sum, no numpy scalars
    idx = np.array(rows, dtype=np.intp)
    d2 = ((pos[idx, None, :] - pos[None, :, :]) ** 2).sum(axis=2)
    close = d2 <= MERGE_GATE * (var[idx, None] + var[None, :])
    ri, cj = np.nonzero(close)
    pairs = {
        (min(rows[a], int(b)), max(rows[a], int(b))) for a, b in zip(ri.tolist(), cj.tolist(), strict=True)
    }
    return sorted((a, b) for a, b in pairs if a != b)


def _close_pairs_small(items: list[Track], rows: list[int]) -> list[tuple[int, int]]:
    """:func:`_close_pairs` in plain floats (the same bound, term for term)."""
    pos = []
    var = []
    for t in items:
        x, y = t.x[:2].tolist()
        p = t.p
        pos.append((x, y))
        var.append(p.item(0, 0) + p.item(1, 1))  # the same sum, without numpy scalars
    pairs: set[tuple[int, int]] = set()
    for a in rows:
        ax, ay = pos[a]
        va = var[a]
        for b, (bx, by) in enumerate(pos):
            if a == b:
                continue
            dx, dy = ax - bx, ay - by
            if dx * dx + dy * dy <= MERGE_GATE * (va + var[b]):
                pairs.add((a, b) if a < b else (b, a))
    return sorted(pairs)
