"""Merger: fold duplicate tracks of one aircraft into the older track.

A spotter's sighting and a crossing of acoustic bearings can start two
tracks for the same aircraft before either has seen the other's evidence.
"""

from __future__ import annotations

import numpy as np

from nadhir.tracking import kalman
from nadhir.tracking.track import Track

MERGE_GATE = 6.0  # chi-square on the position difference, 2 dof (~95 %)
MIN_TYPE_OVERLAP = 0.3


class Merger:
    """Finds pairs of tracks that are one aircraft and merges them."""

    def merge(self, tracks: dict[str, Track]) -> list[str]:
        """Merge duplicates in place; returns the ids of tracks removed."""
        removed: list[str] = []
        items = list(tracks.values())
        for i, a in enumerate(items):
            if a.id in removed:
                continue
            for b in items[i + 1 :]:
                if b.id in removed or abs(a.t - b.t) > 1e-6:
                    continue
                if float(np.dot(a.type_probs, b.type_probs)) < MIN_TYPE_OVERLAP:
                    continue
                d = a.x[:2] - b.x[:2]
                spread = float(a.p[0, 0] + a.p[1, 1] + b.p[0, 0] + b.p[1, 1])
                if float(d @ d) > MERGE_GATE * spread:  # cheap bound before the full test
                    continue
                if kalman.mahalanobis2(d, a.p[:2, :2] + b.p[:2, :2]) > MERGE_GATE:
                    continue
                dv = a.x[2:] - b.x[2:]
                if kalman.mahalanobis2(dv, a.p[2:, 2:] + b.p[2:, 2:]) > MERGE_GATE:
                    continue
                self._fold(a, b)
                removed.append(b.id)
        for track_id in removed:
            del tracks[track_id]
        return removed

    @staticmethod
    def _fold(keep: Track, drop: Track) -> None:
        """Covariance-weighted fusion of two estimates of the same state, evidence pooled."""
        pa_inv, pb_inv = np.linalg.inv(keep.p), np.linalg.inv(drop.p)
        p = np.linalg.inv(pa_inv + pb_inv)
        keep.x = p @ (pa_inv @ keep.x + pb_inv @ drop.x)
        keep.p = (p + p.T) / 2.0
        probs = keep.type_probs * drop.type_probs
        keep.type_probs = np.maximum(probs / probs.sum(), 0.01)
        keep.type_probs /= keep.type_probs.sum()
        for source, weight in drop.evidence.items():
            keep.add_evidence(source, weight)
        keep.hits += drop.hits
        keep.count = max(keep.count, drop.count)
        keep.last_update = max(keep.last_update, drop.last_update)
        keep.origin_takeoff = keep.origin_takeoff or drop.origin_takeoff
        keep.sighted = keep.sighted or drop.sighted
        if drop.status == "confirmed":
            keep.status = "confirmed"
