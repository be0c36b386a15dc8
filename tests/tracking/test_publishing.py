"""Which tracks are published: confirmed ones, and tentative ones more likely real than not.

An aircraft reported by one spotter stays tentative until a second source
confirms it (CONFIRM_EXISTENCE); meanwhile it is still probably there, and a
picture without it misses it (OSPA counts it as missed).
"""

from __future__ import annotations

import numpy as np

from nadhir.tracking.track import CONFIRM_SIGMA_M, Track


def _track(sigma_m: float, evidence: float, status: str = "tentative") -> Track:
    axis = sigma_m / np.sqrt(2.0)
    track = Track(
        id="T1",
        t=0.0,
        x=np.array([0.0, 0.0, 200.0, 0.0]),
        p=np.diag([axis**2, axis**2, 30.0**2, 30.0**2]),
        type_probs=np.array([0.9, 0.05, 0.05]),
        created=0.0,
        last_update=0.0,
        status=status,  # type: ignore[arg-type]
        hits=1,
    )
    track.evidence["spotter-1"] = evidence
    return track


def test_a_probable_well_placed_tentative_track_is_published() -> None:
    track = _track(2000.0, 0.55)
    assert track.status == "tentative"
    assert track.publishable


def test_an_improbable_or_vague_tentative_track_is_not() -> None:
    assert not _track(2000.0, 0.4).publishable  # more likely a false report than an aircraft
    assert not _track(CONFIRM_SIGMA_M + 1000.0, 0.55).publishable  # too vague to place


def test_confirmed_tracks_are_always_published() -> None:
    assert _track(CONFIRM_SIGMA_M * 3, 0.2, status="confirmed").publishable
