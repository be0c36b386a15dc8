"""Which tracks are published, and where.

Confirmed tracks, and tentative ones more likely real than not: an aircraft
reported by one spotter stays tentative until a second source confirms it
(CONFIRM_EXISTENCE); meanwhile it is still probably there, and a picture
without it misses it (OSPA counts it as missed). A track between
measurements is published where its last measured estimate flies on.
"""

from __future__ import annotations

import numpy as np
import pytest

from nadhir.domain import Report, Reporter, Site
from nadhir.engine.pipeline import Pipeline
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


def test_a_coasting_track_is_published_flying_on_at_its_last_measured_velocity() -> None:
    """Between measurements the filter's prediction slows (its turn models' velocities average
    out); the published state keeps the last measured estimate's velocity and flies on."""
    site = Site(id="far", name="Far", kind="town", lat=36.5, lon=36.6, radius_m=2000)
    observers = [Reporter(id=f"obs-{k}", kind="observer", trust=0.9) for k in range(2)]
    pipe = Pipeline([site], [], observers)
    # A jet flying north at ~200 m/s, reported by two observers every 20 s for two minutes.
    lat0, lon0, t0 = 35.5, 36.6, 1_000_000.0
    for k in range(7):
        t = t0 + 20.0 * k
        lat = lat0 + 200.0 * 20.0 * k / 111_000.0
        pipe.process(
            [Report(t, f"obs-{j}", aircraft="jet", lat=lat, lon=lon0, heading="N", count=1) for j in range(2)]
        )
    [track] = pipe.tracker.tracks.values()
    measured_at, measured_speed = track.t, track.speed
    (x0, y0), (vx, vy) = track.position, track.velocity
    assert measured_speed > 150.0
    later = measured_at + 60.0
    out = pipe.advance(later)
    [state] = [s for s in out.tracks if s.track == track.id]
    assert track.speed < 0.8 * measured_speed  # the filter's own prediction has slowed
    assert state.speed_mps == pytest.approx(measured_speed)
    x, y = pipe.frame.to_xy(state.lat, state.lon)
    assert x == pytest.approx(x0 + vx * 60.0, abs=1.0)
    assert y == pytest.approx(y0 + vy * 60.0, abs=1.0)
