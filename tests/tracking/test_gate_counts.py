"""The associator's per-track gate counts describe the batch just assigned, never an earlier one.

The tracker credits each track with the bearings that fell in its gate and
those it won (``Track.note_bearings``), and deletes one that keeps losing
the bearings it could explain. A batch that gated no track used to leave
the previous batch's counts in ``Associator.last_gated_per_track``, so the
tracker counted them again as gated but not won: a good track looked like
a loser.
"""

from __future__ import annotations

import numpy as np
import pytest

from nadhir.tracking.associator import Associator
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Tracker
from nadhir.tracking.updater import Updater


def _track() -> Track:
    return Track(
        id="T1",
        t=0.0,
        x=np.array([0.0, 10_000.0, 0.0, -200.0]),
        p=np.diag([1000.0**2, 1000.0**2, 50.0**2, 50.0**2]),
        type_probs=np.array([0.98, 0.01, 0.01]),
        created=0.0,
        last_update=0.0,
        status="confirmed",
        hits=5,
    )


def _bearing(t: float, sx: float, sy: float, bearing: float) -> BearingFix:
    return BearingFix(t, sx, sy, bearing, 0.05, f"S{int(sx)}", 0.3, (1.0, 1.0, 1.0), "jet")


def _heard(t: float) -> BearingFix:
    """A bearing from a sensor 10 km south of the track, pointing at it (falls in its gate)."""
    return _bearing(t, 0.0, 0.0, 0.0)


def _far(t: float) -> BearingFix:
    """A bearing from a sensor 300 km away (in no track's gate)."""
    return _bearing(t, 300_000.0, 0.0, 1.0)


@pytest.mark.parametrize("use_grid", [None, False, True])  # plain floats, all pairs, grid
def test_a_batch_that_gates_nothing_resets_the_counts(use_grid: bool | None) -> None:
    assoc = Associator(Updater())
    tracks = [_track()]
    assoc.assign_bearings_gated(tracks, [_heard(1.0)], use_grid)
    assert assoc.last_gated_per_track == [1]
    assignment, gated = assoc.assign_bearings_gated(tracks, [_far(2.0)], use_grid)
    assert assignment == [None] and gated == [False]
    assert assoc.last_gated_per_track == [0]
    assoc.assign_bearings_gated(tracks, [], use_grid)
    assert assoc.last_gated_per_track == [0]


def test_tracker_does_not_count_old_bearings_as_lost() -> None:
    """A far bearing after a heard one leaves the track's gated/won record untouched."""
    tracker = Tracker()
    track = _track()
    tracker.tracks[track.id] = track
    tracker.step(1.0, [_heard(1.0)])
    assert (track.gated_recent, track.won_recent) == (1.0, 1.0)
    for k in range(2, 8):
        tracker.step(float(k), [_far(float(k))])
    assert (track.gated_recent, track.won_recent) == (1.0, 1.0)
    assert not track.losing(8.0)
    assert track.id in tracker.tracks
